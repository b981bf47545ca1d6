"""Nothing a customer said is lost: a message claimed before a crash is answered after restart.
And outside demo mode, against a real core-banking API, OTP fails closed while no SMS channel exists."""

from __future__ import annotations

import sys
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "channels"))
sys.path.insert(0, str(Path(__file__).resolve().parent / "banking"))
import pytest  # noqa: E402
from bank_api_server import AUTH, PREFIX, Faults, make_app  # noqa: E402
from web_chat import new_session, say, texts  # noqa: E402

from bot.banking.demo import DemoBank  # noqa: E402
from bot.loop import inbound_to_json  # noqa: E402
from channels.base import InboundMessage  # noqa: E402
from gateway import STORES, WEB, create_app  # noqa: E402


async def test_message_claimed_before_a_crash_is_answered_after_restart(aiohttp_client, make_settings):
    settings = make_settings()
    client = await aiohttp_client(create_app(settings))
    app = client.server.app
    session = await new_session(client)
    conversation = app[WEB].signer.verify(session)
    # The crash: the message was claimed and written to the inbox, then the process died mid-turn.
    msg = InboundMessage("web", conversation, conversation, "hello", "lost-1", datetime.now(timezone.utc))
    assert await app[STORES].claims.claim("web", msg.conversation_key, "lost-1", inbound_to_json(msg))
    assert await app[STORES].audit.count() == 0
    await client.close()

    client = await aiohttp_client(create_app(settings))  # restart on the same data directory
    app = client.server.app
    records = await app[STORES].audit.for_conversation(msg.conversation_key)
    assert [(r.message_id, r.intent) for r in records] == [("lost-1", "greeting")]
    result = await app[STORES].inbox.result("web", msg.conversation_key, "lost-1")
    assert result.status == "done" and "Sahayak" in result.replies[0]["text"]
    # A retry of the same message now gets that answer instead of a second turn.
    assert "Sahayak" in texts(await say(client, session, "hello", msg_id="lost-1"))
    assert await app[STORES].audit.count() == 1


@pytest.fixture
async def bank_api(aiohttp_server, tmp_path):
    """A local core-banking REST server (the real adapter's contract) backed by a demo bank."""
    bank = await DemoBank.open(tmp_path / "cbs.sqlite")
    faults = Faults()
    try:
        yield await aiohttp_server(make_app(bank, faults=faults)), faults
    finally:
        await bank.close()


async def test_outside_demo_mode_without_sms_otp_fails_closed_before_any_lookup(aiohttp_client, make_settings,
                                                                               bank_api):
    server, faults = bank_api
    settings = make_settings(demo=False, secret_key="s" * 40,
                             secure_link_base="https://netbanking.bank.example/secure/",
                             core_banking_url=str(server.make_url(PREFIX)),
                             core_banking_auth_header=f"{AUTH[0]}: {AUTH[1]}")
    client = await aiohttp_client(create_app(settings))
    session = await new_session(client)
    await say(client, session, "balance")
    reply = texts(await say(client, session, "+91 98123 45678"))
    # No SMS channel is configured: refuse rather than skip OTP, and before asking the bank anything,
    # so the answer is the same for a customer's number and a stranger's.
    assert "can't verify you right now" in reply
    assert "Available balance" not in reply
    assert not any(seen.path.endswith("/customers/lookup") for seen in faults.seen)


async def test_turn_finishes_when_the_request_that_brought_it_is_cancelled(gateway):
    import asyncio

    from gateway import LOOP

    client = await gateway()
    app = client.server.app
    session = await new_session(client)
    conversation = app[WEB].signer.verify(session)
    msg = InboundMessage("web", conversation, conversation, "hello", "gone-1", datetime.now(timezone.utc))
    request = asyncio.ensure_future(app[LOOP].handle(msg))
    await asyncio.sleep(0.001)  # the turn has started
    request.cancel()             # the visitor closed the tab
    await app[LOOP].drain()
    assert request.cancelled()
    result = await app[STORES].inbox.result("web", msg.conversation_key, "gone-1")
    assert result.status == "done" and result.replies
    assert await app[STORES].audit.count(msg.conversation_key) == 1
    # The conversation is not stuck: the next message runs normally.
    assert "Sahayak" in texts(await say(client, session, "hi"))


async def test_a_failed_audit_write_closes_the_message_and_does_not_block_restart(aiohttp_client, make_settings):
    settings = make_settings()
    client = await aiohttp_client(create_app(settings))
    app = client.server.app
    session = await new_session(client)
    audit = app[STORES].audit
    real_append = audit.append

    async def broken(record):
        raise RuntimeError("disk full")

    audit.append = broken
    resp = await client.post("/web/messages", json={"session": session, "text": "hi", "id": "a-1"})
    assert resp.status == 500 and (await resp.json())["error"] == "internal"
    audit.append = real_append
    conversation = "web:" + app[WEB].signer.verify(session)
    assert (await app[STORES].inbox.result("web", conversation, "a-1")).status == "done"
    # A retry gets the stored answer at once instead of waiting for a turn that will never come.
    assert "Sahayak" in texts(await say(client, session, "hi", msg_id="a-1"))
    await client.close()
    client = await aiohttp_client(create_app(settings))  # and start-up has nothing stuck to replay
    assert (await client.get("/healthz")).status == 200


def test_inbox_payload_round_trips_attachments():
    from bot.loop import inbound_from_json
    from channels.base import Attachment

    msg = InboundMessage("whatsapp", "+919812345678", "+919812345678", "🎤", "wamid.A",
                         datetime.now(timezone.utc), attachments=(Attachment("audio", "audio/ogg", "media-1"),))
    assert inbound_from_json(inbound_to_json(msg)) == msg


async def test_a_failed_turn_is_logged_without_the_customers_number(gateway, caplog):
    from gateway import LOOP

    client = await gateway()
    loop = client.server.app[LOOP]

    async def broken(*args, **kwargs):
        raise RuntimeError("graph exploded")

    loop.graph.ainvoke = broken
    msg = InboundMessage("sms", "+919812345678", "+919812345678", "balance", "SMfail1", datetime.now(timezone.utc))
    with caplog.at_level("INFO"):
        result = await loop.handle(msg)
    assert result.replies and "Sorry" in result.replies[0].text
    logged = "\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records)
    assert "turn failed" in logged and "+919812345678" not in logged and "5678" in logged
