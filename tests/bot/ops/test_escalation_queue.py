"""The human-agent queue: escalation -> case in the queue -> the bot stays silent -> an agent claims,
replies and hands back -> the bot answers again, with the agent's notes in the conversation state."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest

from bot.appkeys import LOOP, SETTINGS, STORES
from bot.stores.cases import Cases, case_priority
from bot.stores.sql import PostgresDb, SqliteDb
from tests.channels.web_chat import RAJESH_MOBILE, latest_otp, new_session, say, table_counts, texts

TOKEN = "ops-token-0123456789abcdef-xyz"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def _conversation(session: str) -> str:
    return f"web:{session.split('.')[0]}"


async def _fail_otp_three_times(client, session: str) -> tuple[str, str]:
    await say(client, session, "balance")
    await say(client, session, RAJESH_MOBILE)
    otp = await latest_otp(client)
    wrong = "000000" if otp != "000000" else "111111"
    for _ in range(3):
        third = texts(await say(client, session, wrong))
    reference = third.split("reference is ")[1].split(".")[0]
    return reference, wrong


async def _queue(client, status: str = "open") -> list[dict]:
    resp = await client.get("/ops/cases", params={"status": status}, headers=AUTH)
    assert resp.status == 200, await resp.text()
    return (await resp.json())["cases"]


def test_priority_rules():
    assert case_priority("otp_failed", verified=False) == "urgent"
    assert case_priority("fraud", verified=True) == "urgent"
    assert case_priority("customer_request", verified=True) == "high"
    assert case_priority("customer_request", verified=False) == "normal"
    assert case_priority("unresolved", verified=True) == "normal"


async def test_escalation_queue_end_to_end(gateway):
    client = await gateway(ops_token=TOKEN)
    app = client.server.app
    session = await new_session(client)
    conversation = _conversation(session)
    reference, wrong = await _fail_otp_three_times(client, session)

    # Listed as urgent, with a masked summary: no OTP guess and no mobile number in it.
    [case] = await _queue(client)
    assert case["reference"] == reference
    assert (case["priority"], case["reason"], case["tier"], case["status"]) == \
        ("urgent", "otp_failed", "standard", "open")
    assert case["waiting_s"] >= 0
    assert case["summary"] and "balance" in case["summary"]
    assert wrong not in case["summary"] and RAJESH_MOBILE not in case["summary"] and "9812345678" not in case["summary"]
    assert "[OTP]" in case["summary"] and "[MOBILE" in case["summary"]

    # The bot stays silent: one notice, then nothing; the messages are still audited (masked).
    audited = await app[STORES].audit.count(conversation)
    notice = texts(await say(client, session, "hello? anyone there"))
    assert reference in notice and "officer will reply here" in notice
    assert await say(client, session, "my number is 9812345678") == []
    assert await say(client, session, "please call me") == []
    assert await app[STORES].audit.count(conversation) == audited + 3
    records = await app[STORES].audit.for_conversation(conversation)
    assert "9812345678" not in records[-2].text and "[MOBILE" in records[-2].text
    assert records[-1].outcome == "with_human" and records[-1].replies == []

    # The agent sees the transcript (masked).
    resp = await client.get(f"/ops/cases/{reference}", headers=AUTH)
    transcript = (await resp.json())["transcript"]
    assert any(m["text"] == "please call me" for m in transcript)
    assert all("9812345678" not in m["text"] for m in transcript)

    # Claim: the first agent wins, a second gets 409; re-claiming one's own case is fine.
    resp = await client.post(f"/ops/cases/{reference}/claim", json={"agent": "asha"}, headers=AUTH)
    assert resp.status == 200 and (await resp.json())["case"]["agent"] == "asha"
    resp = await client.post(f"/ops/cases/{reference}/claim", json={"agent": "vikram"}, headers=AUTH)
    assert resp.status == 409
    assert (await client.post(f"/ops/cases/{reference}/claim", json={"agent": "asha"}, headers=AUTH)).status == 200
    assert await _queue(client) == []
    [claimed] = await _queue(client, "claimed")
    assert claimed["agent"] == "asha" and claimed["claimed_at"] >= claimed["created_at"]

    # Only the holder replies; the web customer receives it on the WebSocket as a reply frame.
    resp = await client.post(f"/ops/cases/{reference}/reply", json={"agent": "vikram", "text": "hi"}, headers=AUTH)
    assert resp.status == 409
    ws = await client.ws_connect("/web/ws")
    await ws.send_json({"type": "hello", "session": session})
    assert (await ws.receive_json(timeout=5))["type"] == "history"
    agent_text = ("Hello, this is Asha from customer care. I have reset your OTP attempts; "
                  "call us on 9812345678 if needed.")
    resp = await client.post(f"/ops/cases/{reference}/reply", json={"agent": "asha", "text": agent_text}, headers=AUTH)
    assert resp.status == 200, await resp.text()
    frame = await ws.receive_json(timeout=5)
    assert frame["type"] == "reply" and frame["text"] == agent_text
    await ws.close()
    # Audited as from the agent, masked.
    last = (await app[STORES].audit.for_conversation(conversation))[-1]
    assert last.outcome == "agent_reply" and last.replies[0]["from"] == "agent" and last.replies[0]["agent"] == "asha"
    assert "9812345678" not in last.replies[0]["text"]

    # Hand back with notes: the bot answers the next message, and the notes are in the graph state.
    resp = await client.post(f"/ops/cases/{reference}/hand-back",
                             json={"agent": "asha", "notes": "Customer confirmed identity by phone."}, headers=AUTH)
    assert resp.status == 200, await resp.text()
    assert (await resp.json())["case"]["status"] == "handed_back"
    state = await app[LOOP].graph.aget_state({"configurable": {"thread_id": conversation}})
    assert state.values["agent_notes"] == "Customer confirmed identity by phone."
    assert state.values["step"] == "idle" and not state.next
    answer = texts(await say(client, session, "hello"))
    assert answer and "officer will reply here" not in answer
    assert (await app[LOOP].graph.aget_state({"configurable": {"thread_id": conversation}})).values["step"] == "idle"
    [done] = await _queue(client, "handed_back")
    assert done["reference"] == reference and done["closed_at"] is not None
    # A handed-back case cannot be claimed again.
    assert (await client.post(f"/ops/cases/{reference}/claim", json={"agent": "asha"}, headers=AUTH)).status == 409


async def test_talk_to_an_agent_priority(gateway):
    client = await gateway(ops_token=TOKEN)
    # Unverified: normal.
    session = await new_session(client)
    assert "reference" in texts(await say(client, session, "Talk to an agent"))
    # Verified first: high.
    verified = await new_session(client)
    await say(client, verified, "balance")
    await say(client, verified, RAJESH_MOBILE)
    assert "Available balance" in texts(await say(client, verified, await latest_otp(client)))
    await say(client, verified, "Talk to an agent")
    cases = await _queue(client)
    assert [(c["priority"], c["reason"]) for c in cases] == [("high", "customer_request"),
                                                               ("normal", "customer_request")]
    # Sorted urgent first: a later OTP failure jumps the queue.
    third = await new_session(client)
    await _fail_otp_three_times(client, third)
    assert [c["priority"] for c in await _queue(client)] == ["urgent", "high", "normal"]


async def test_ops_requires_the_token(gateway):
    client = await gateway(ops_token=TOKEN)
    app = client.server.app
    session = await new_session(client)
    reference, _ = await _fail_otp_three_times(client, session)
    before = table_counts(app[SETTINGS].data_dir)
    for headers in ({}, {"Authorization": "Bearer wrong-token-0123456789abcdef"}, {"Authorization": TOKEN},
                    {"Authorization": f"Basic {TOKEN}"}):
        assert (await client.get("/ops/cases", headers=headers)).status == 401
        resp = await client.post(f"/ops/cases/{reference}/claim", json={"agent": "asha"}, headers=headers)
        assert resp.status == 401 and (await resp.json())["error"] == "unauthorized"
        resp = await client.post(f"/ops/cases/{reference}/hand-back", json={"agent": "asha", "notes": "x"},
                                 headers=headers)
        assert resp.status == 401
    assert table_counts(app[SETTINGS].data_dir) == before
    [case] = await _queue(client)
    assert case["status"] == "open" and case["agent"] is None


async def test_ops_bad_input(gateway):
    client = await gateway(ops_token=TOKEN)
    session = await new_session(client)
    reference, _ = await _fail_otp_three_times(client, session)
    assert (await client.get("/ops/cases", params={"status": "bogus"}, headers=AUTH)).status == 400
    assert (await client.post("/ops/cases/ESC-20260101-ABCDEF/claim", json={"agent": "a"}, headers=AUTH)).status == 404
    assert (await client.post("/ops/cases/nonsense/claim", json={"agent": "a"}, headers=AUTH)).status == 400
    url = f"/ops/cases/{reference}/claim"
    for body in (b"not json", b"[1]", b"{}", b'{"agent": ""}', b'{"agent": "a b"}', b'{"agent": 5}'):
        resp = await client.post(url, data=body, headers={**AUTH, "Content-Type": "application/json"})
        assert resp.status == 400, body
    assert (await client.post(url, json={"agent": "asha"}, headers=AUTH)).status == 200
    resp = await client.post(f"/ops/cases/{reference}/reply", json={"agent": "asha", "text": "x" * 5000}, headers=AUTH)
    assert resp.status == 400
    resp = await client.post(f"/ops/cases/{reference}/hand-back", json={"agent": "asha"}, headers=AUTH)
    assert resp.status == 400
    [case] = await _queue(client, "claimed")
    assert case["reference"] == reference


async def test_ops_not_mounted_without_the_setting(gateway):
    client = await gateway()
    assert (await client.get("/ops/cases", headers=AUTH)).status == 404
    assert (await client.post("/ops/cases/ESC-20260101-ABCDEF/claim", json={"agent": "a"}, headers=AUTH)).status == 404


def test_ops_token_must_be_long(make_settings):
    with pytest.raises(ValueError, match="SAHAYAK_OPS_TOKEN must be at least 24"):
        make_settings(ops_token="short-token")


async def test_cases_migrate_an_existing_sqlite_table(tmp_path):
    path = tmp_path / "old.sqlite"
    with sqlite3.connect(path) as conn:  # the first release's table, with a row in it
        conn.execute(Cases.DDL["sqlite"])
        conn.execute("INSERT INTO cases VALUES ('ESC-20260101-ABCDEF', 1.0, 'escalation', 'web', 'web:x', '',"
                     " 'unresolved', 'open')")
    db = await SqliteDb.open(path)
    try:
        cases = Cases(db)
        await cases.setup()
        await cases.setup()  # idempotent
        old = await cases.get("ESC-20260101-ABCDEF")
        assert (old.priority, old.tier, old.summary, old.agent) == ("normal", "standard", "", None)
        assert await cases.claim(old.reference, "asha") and not await cases.claim(old.reference, "vikram")
    finally:
        await db.close()


async def test_cases_migrate_an_existing_postgres_table(postgres_url):
    db = await PostgresDb.open(postgres_url)
    try:
        await db.script(Cases.DDL["postgres"])
        await db.execute("INSERT INTO cases VALUES ('ESC-20260101-ABCDEF', 1.0, 'escalation', 'web', 'web:x', '',"
                         " 'unresolved', 'open')")
        cases = Cases(db)
        await asyncio.gather(cases.setup(), cases.setup())  # two gateways starting together
        old = await cases.get("ESC-20260101-ABCDEF")
        assert (old.priority, old.tier, old.summary, old.agent) == ("normal", "standard", "", None)
        new = await cases.open_case(kind="escalation", channel="web", conversation="web:y", customer_id="",
                                    reason="otp_failed", priority="urgent", summary="customer: [OTP]")
        assert [c.reference for c in await cases.queue()] == [new.reference, old.reference]
        assert await cases.claim(new.reference, "asha") and not await cases.claim(new.reference, "vikram")
        assert await cases.finish(new.reference, "asha") and (await cases.get(new.reference)).status == "handed_back"
    finally:
        await db.close()
