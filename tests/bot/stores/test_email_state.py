"""Email channel state on SQLite and PostgreSQL: thread records and the webhook token replay cache."""

from __future__ import annotations

import asyncio
import time

import pytest

from bot.stores.email_state import EmailThreads, WebhookTokens
from bot.stores.sql import PostgresDb, SqliteDb
from conftest import fresh_postgres_database


@pytest.fixture
def db(sql_db):
    return sql_db


async def test_thread_record_keeps_its_subject_and_follows_the_latest_message(db):
    threads = EmailThreads(db)
    await threads.setup()
    await threads.setup()  # idempotent
    assert await threads.get("thread-1") is None
    await threads.open("thread-1", customer="rajesh@example.in", subject="What is my balance?", root="m1@a",
                       message_id="m1@a", references=("m1@a",))
    await threads.advance("thread-1", subject="changed by the customer", message_id="m2@a",
                          references=("m1@a", "r1@b", "m2@a"))
    thread = await threads.get("thread-1")
    assert thread.subject == "What is my balance?"
    assert (thread.customer, thread.root, thread.last_message_id) == ("rajesh@example.in", "m1@a", "m2@a")
    assert thread.references == ("m1@a", "r1@b", "m2@a")
    # Opening it again (the next message, or a redelivered old one) changes nothing.
    await threads.open("thread-1", customer="rajesh@example.in", subject="x", root="m1@a", message_id="m1@a",
                       references=("m1@a",))
    assert await threads.get("thread-1") == thread
    # A thread first seen without a subject takes the first one that comes.
    await threads.open("thread-2", customer="x@example.in", subject="", root="n1@a", message_id="n1@a",
                       references=("n1@a",))
    await threads.advance("thread-2", subject="Balance", message_id="n2@a", references=("n1@a", "n2@a"))
    assert (await threads.get("thread-2")).subject == "Balance"
    await threads.advance("thread-unknown", subject="x", message_id="z@a", references=())  # nothing to move
    assert await threads.get("thread-unknown") is None
    assert await threads.prune(older_than_s=3600) == 0
    assert await threads.prune(older_than_s=-1) == 2
    assert await threads.get("thread-1") is None


async def test_message_ids_find_their_conversation_per_address(db):
    threads = EmailThreads(db)
    await threads.setup()
    await threads.remember_message("thread-1", customer="rajesh@example.in", message_id="m1@a",
                                   references=("m1@a",))
    await threads.remember_message("thread-1", customer="rajesh@example.in", message_id="r1@bank",
                                   references=("m1@a", "r1@bank"))
    await threads.remember_message("thread-2", customer="rajesh@example.in", message_id="m9@a",
                                   references=("m9@a",))
    # The first id of the list that is known wins (own id, then In-Reply-To, then References).
    assert await threads.find_conversation("rajesh@example.in", ["new@a", "r1@bank"]) == "thread-1"
    assert await threads.find_conversation("rajesh@example.in", ["new@a", "m9@a", "r1@bank"]) == "thread-2"
    assert await threads.find_conversation("rajesh@example.in", ["new@a", "other@a"]) is None
    assert await threads.find_conversation("rajesh@example.in", []) is None
    # Per address: the same ids from someone else find nothing.
    assert await threads.find_conversation("someone.else@example.in", ["r1@bank", "m1@a"]) is None
    # Written once: a second conversation claiming an id does not take it over.
    await threads.remember_message("thread-3", customer="rajesh@example.in", message_id="r1@bank",
                                   references=("x@a",))
    assert await threads.find_conversation("rajesh@example.in", ["r1@bank"]) == "thread-1"
    assert await threads.references_of("thread-1", "rajesh@example.in", "r1@bank") == ("m1@a", "r1@bank")
    assert await threads.references_of("thread-3", "rajesh@example.in", "r1@bank") is None
    assert await threads.references_of("thread-1", "rajesh@example.in", "unknown@a") is None
    await threads.prune(older_than_s=-1)
    assert await threads.find_conversation("rajesh@example.in", ["r1@bank", "m9@a"]) is None


async def test_a_token_is_accepted_once_even_concurrently(db):
    tokens = WebhookTokens(db)
    await tokens.setup()
    now = time.time()
    results = await asyncio.gather(*(tokens.remember("mailgun", "tok-1", now) for _ in range(10)))
    assert results.count(True) == 1
    assert await tokens.remember("mailgun", "tok-2", now)
    assert not await tokens.remember("mailgun", "tok-2", now)
    assert await tokens.remember("other-provider", "tok-2", now)  # per provider
    await tokens.forget("mailgun", "tok-2")
    assert await tokens.remember("mailgun", "tok-2", now)  # a retry after a failed take-in


async def test_old_tokens_are_pruned(db):
    tokens = WebhookTokens(db)
    await tokens.setup()
    assert await tokens.remember("mailgun", "old", time.time() - 7200)
    tokens._last_prune = 0.0  # the next call prunes
    assert await tokens.remember("mailgun", "new", time.time())
    rows = await db.fetchall("SELECT token FROM webhook_tokens ORDER BY token")
    assert rows == [("new",)]
