"""Email channel state on SQLite and PostgreSQL: thread records and the webhook token replay cache."""

from __future__ import annotations

import asyncio
import time

import pytest

from bot.stores.email_state import EmailThreads, WebhookTokens
from bot.stores.sql import PostgresDb, SqliteDb
from conftest import fresh_postgres_database


@pytest.fixture(params=["sqlite", "postgres"])
async def db(request, tmp_path):
    if request.param == "sqlite":
        database = await SqliteDb.open(tmp_path / "state.sqlite")
        yield database
        await database.close()
    else:
        async with fresh_postgres_database() as url:
            database = await PostgresDb.open(url)
            yield database
            await database.close()


async def test_thread_record_keeps_its_subject_and_follows_the_latest_message(db):
    threads = EmailThreads(db)
    await threads.setup()
    await threads.setup()  # idempotent
    assert await threads.get("thread-1") is None
    await threads.remember("thread-1", customer="rajesh@example.in", subject="What is my balance?", root="m1@a",
                           message_id="m1@a", references=("m1@a",))
    await threads.remember("thread-1", customer="rajesh@example.in", subject="changed by the customer",
                           root="m1@a", message_id="m2@a", references=("m1@a", "r1@b", "m2@a"))
    thread = await threads.get("thread-1")
    assert thread.subject == "What is my balance?"
    assert (thread.customer, thread.root, thread.last_message_id) == ("rajesh@example.in", "m1@a", "m2@a")
    assert thread.references == ("m1@a", "r1@b", "m2@a")
    # A thread first seen without a subject takes the first one that comes.
    await threads.remember("thread-2", customer="x@example.in", subject="", root="n1@a", message_id="n1@a",
                           references=("n1@a",))
    await threads.remember("thread-2", customer="x@example.in", subject="Balance", root="n1@a",
                           message_id="n2@a", references=("n1@a", "n2@a"))
    assert (await threads.get("thread-2")).subject == "Balance"
    assert await threads.prune(older_than_s=3600) == 0
    assert await threads.prune(older_than_s=-1) == 2
    assert await threads.get("thread-1") is None


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
