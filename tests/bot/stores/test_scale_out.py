"""Scale-out stores against the real servers: PostgreSQL (checkpoints, audit, inbox, OTP, cases)
and Redis (claims, per-conversation locks), with two gateways sharing them as behind a load balancer."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import psycopg
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "channels"))
from web_chat import RAJESH_MOBILE, latest_otp, new_session, say, texts  # noqa: E402

from bot.stores.claims import RedisClaims  # noqa: E402
from bot.stores.inbox import Inbox  # noqa: E402
from bot.stores.sql import PostgresDb  # noqa: E402
from bot.stores.locks import ConversationLocks  # noqa: E402
from conftest import REDIS_URL  # noqa: E402
from gateway import STORES, create_app  # noqa: E402


@pytest.fixture
def scale_out_settings(make_settings, postgres_url, redis_prefix):
    return lambda: make_settings(postgres_url=postgres_url, redis_url=REDIS_URL, redis_prefix=redis_prefix)


async def test_balance_conversation_on_postgres_and_redis(aiohttp_client, scale_out_settings, postgres_url):
    client = await aiohttp_client(create_app(scale_out_settings()))
    session = await new_session(client)
    await say(client, session, "balance")
    await say(client, session, RAJESH_MOBILE)
    body = texts(await say(client, session, await latest_otp(client)))
    assert "Available balance: ₹" in body
    async with await psycopg.AsyncConnection.connect(postgres_url) as conn:
        audit = await (await conn.execute("SELECT COUNT(*) FROM audit")).fetchone()
        threads = await (await conn.execute("SELECT COUNT(DISTINCT thread_id) FROM checkpoints")).fetchone()
        assert audit[0] == 3 and threads[0] == 1
        with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
            await conn.execute("DELETE FROM audit")


async def test_two_gateways_share_claims_locks_and_conversations(aiohttp_client, scale_out_settings):
    a = await aiohttp_client(create_app(scale_out_settings()))
    b = await aiohttp_client(create_app(scale_out_settings()))
    session = await new_session(a)  # same secret? demo secret lives in the shared data dir
    await say(a, session, "balance")
    await say(b, session, RAJESH_MOBILE)  # the conversation continues on the other gateway
    otp = await latest_otp(a)
    assert "Available balance" in texts(await say(b, session, otp))

    # The same message delivered to both gateways, 10 times each, at once: one turn.
    results = await asyncio.gather(*(say(c, session, "hi", msg_id="lb-dup") for c in (a, b) * 10))
    assert all(r == results[0] for r in results)
    records = await a.server.app[STORES].audit.for_conversation(f"web:{session.split('.')[0]}")
    assert [r.message_id for r in records].count("lb-dup") == 1


async def test_redis_claim_is_atomic(redis_prefix, postgres_url):
    import redis.asyncio as aioredis

    client = aioredis.from_url(REDIS_URL)
    inbox = Inbox(await PostgresDb.open(postgres_url))
    await inbox.setup()
    claims = RedisClaims(client, redis_prefix, inbox)
    wins = await asyncio.gather(*(claims.claim("whatsapp", "whatsapp:919812345678", "wamid.X", {"text": "hi"})
                                  for _ in range(50)))
    assert wins.count(True) == 1
    ttl = await client.ttl(f"{redis_prefix}claim:whatsapp:whatsapp:919812345678:wamid.X")
    assert ttl > 7 * 24 * 3600  # outlives WhatsApp's 7-day retry window
    assert len(await inbox.unfinished(older_than_s=-1)) == 1  # the winner, and only it, is in the inbox
    await inbox._db.close()
    await client.aclose()


async def test_redis_lock_serialises_turns_across_lock_holders(redis_prefix):
    import redis.asyncio as aioredis

    client = aioredis.from_url(REDIS_URL)
    # Two independent lock managers = two gateway processes.
    gateways = [ConversationLocks(client, redis_prefix), ConversationLocks(client, redis_prefix)]
    inside, overlaps = 0, 0

    async def turn(locks):
        nonlocal inside, overlaps
        ticket = locks.ticket("web:c1")
        async with locks.hold("web:c1", ticket):
            inside += 1
            overlaps += inside > 1
            await asyncio.sleep(0.01)
            inside -= 1

    await asyncio.gather(*(turn(gateways[i % 2]) for i in range(10)))
    assert overlaps == 0
    await client.aclose()
