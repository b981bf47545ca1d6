"""The WhatsApp channel end to end against a stand-in Graph API: the webhook handshake, signatures on raw
bytes (Devanagari and emoji, escaped and raw), batched updates, dedup under 20 concurrent deliveries,
malformed payloads leaving nothing behind, forward-only statuses, the balance conversation, the 24-hour
window and templates, the outage backlog, retries on 429/5xx -- plus the pure wire functions."""

from __future__ import annotations

import asyncio
import io
import json
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient
from graph_api_stand_in import GraphApiStandIn
from graph_api_stand_in import start as start_graph_api
from pywa_async.errors import WhatsAppError
from web_chat import RAJESH_MOBILE, latest_otp, table_counts

from bot.stores.notices import Notices
from bot.stores.sql import PostgresDb, SqliteDb
from channels.base import OutboundMessage, Rendered, render
from channels.whatsapp import MAX_BODY, WHATSAPP, OutsideServiceWindow, WhatsAppChannel
from channels.whatsapp_wire import VOICE_NOTE_TEXT, WireError, parse_webhook, plan_outbound, sign
from conftest import REDIS_URL, fresh_postgres_database
from gateway import LOOP, SETTINGS, STORES, create_app

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "whatsapp"
APP_SECRET = "3f9c1e7a2b8d4f60a5c7e9b1d3f5a7c9"
VERIFY_TOKEN = "sahayak-verify-7Qm2"
ACCESS_TOKEN = "EAAGtestAccessToken0123456789"
PHONE_NUMBER_ID = "106540352242922"
PRIYA = "+919876543210"


# --- helpers (reusable: `make bench` can sign webhooks with signed_request) ----------------------------

def load_fixture(name: str, *, at: float | None = None) -> dict:
    """A recorded webhook payload; `at` rewrites every timestamp (the fixtures' are in the past, and a
    message older than the replay age is treated as an outage backlog)."""
    payload = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    if at is not None:
        _set_timestamps(payload, str(int(at)))
    return payload


def _set_timestamps(node, value: str) -> None:
    if isinstance(node, dict):
        for key, child in node.items():
            if key == "timestamp":
                node[key] = value
            else:
                _set_timestamps(child, value)
    elif isinstance(node, list):
        for child in node:
            _set_timestamps(child, value)


def text_payload(text: str, *, sender: str = RAJESH_MOBILE, message_id: str, at: float | None = None) -> dict:
    """One text message as Meta delivers it (the shape of fixtures/whatsapp/text.json)."""
    payload = load_fixture("text", at=time.time() if at is None else at)
    value = payload["entry"][0]["changes"][0]["value"]
    value["contacts"][0]["wa_id"] = value["messages"][0]["from"] = sender.lstrip("+")
    value["messages"][0]["id"] = message_id
    value["messages"][0]["text"]["body"] = text
    return payload


def signed_request(payload: dict | bytes, app_secret: str = APP_SECRET, *,
                   ensure_ascii: bool = True) -> tuple[bytes, dict[str, str]]:
    """The exact bytes Meta would POST and its headers. Meta sends compact JSON with non-ASCII escaped
    (\\uXXXX); `ensure_ascii=False` gives raw UTF-8 instead. Either verifies: the HMAC is over bytes."""
    if isinstance(payload, bytes):
        body = payload
    else:
        body = json.dumps(payload, ensure_ascii=ensure_ascii, separators=(",", ":")).encode("utf-8")
    return body, {"Content-Type": "application/json",
                  "X-Hub-Signature-256": sign(app_secret.encode(), body)}


async def post_signed(client: TestClient, payload: dict | bytes, **kwargs):
    body, headers = signed_request(payload, **kwargs)
    return await client.post("/whatsapp/webhook", data=body, headers=headers)


def whatsapp_settings(graph_api_url: str) -> dict:
    return {"whatsapp_verify_token": VERIFY_TOKEN, "whatsapp_app_secret": APP_SECRET,
            "whatsapp_access_token": ACCESS_TOKEN, "whatsapp_phone_number_id": PHONE_NUMBER_ID,
            "whatsapp_api_url": graph_api_url}


@dataclass
class Wa:
    client: TestClient
    graph: GraphApiStandIn

    @property
    def channel(self) -> WhatsAppChannel:
        return self.client.app[WHATSAPP]

    @property
    def stores(self):
        return self.client.app[STORES]

    @property
    def data_dir(self) -> Path:
        return self.client.app[SETTINGS].data_dir

    async def settle(self) -> None:
        """Every turn and notice queued so far has run and sent (deterministic, no sleeps)."""
        for _ in range(3):
            await self.client.app[LOOP].drain()
            await self.channel.drain()

    def counts(self) -> dict[str, int]:
        counts = table_counts(self.data_dir)
        with sqlite3.connect(self.data_dir / "sahayak.sqlite") as conn:
            for table in ("delivery_status", "contact_windows", "notices"):
                counts[table] = conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
        return counts


@pytest.fixture
async def wa(aiohttp_server, gateway) -> Wa:
    graph = await start_graph_api(aiohttp_server, ACCESS_TOKEN, PHONE_NUMBER_ID)
    client = await gateway(**whatsapp_settings(graph.url))
    client.app[WHATSAPP].retry_base_s = 0.01  # retries stay bounded in count; tests need not wait
    return Wa(client, graph)


# --- the webhook -------------------------------------------------------------------------------------

async def test_handshake_echoes_the_challenge_for_our_token_only(wa):
    ok = await wa.client.get("/whatsapp/webhook", params={
        "hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1158201444"})
    assert ok.status == 200 and await ok.text() == "1158201444"
    assert ok.content_type == "text/plain"
    for params in ({"hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "1"},
                   {"hub.mode": "unsubscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1"},
                   {"hub.mode": "subscribe", "hub.challenge": "1"}, {}):
        bad = await wa.client.get("/whatsapp/webhook", params=params)
        assert bad.status == 403, params
    odd = await wa.client.get("/whatsapp/webhook", params={
        "hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "<script>"})
    assert odd.status == 400


async def test_forged_or_missing_signature_is_refused_and_nothing_stored(wa):
    before = wa.counts()
    body, headers = signed_request(load_fixture("text", at=time.time()))
    forged = [
        {"Content-Type": "application/json"},  # missing
        {"X-Hub-Signature-256": ""},
        {"X-Hub-Signature-256": sign(b"not-the-app-secret", body)},
        {"X-Hub-Signature-256": sign(APP_SECRET.encode(), body + b" ")},  # signs other bytes
        {"X-Hub-Signature-256": headers["X-Hub-Signature-256"].replace("sha256=", "sha1=")},
        {"X-Hub-Signature-256": "sha256=" + "0" * 64},
        {"X-Hub-Signature-256": "sha256=zz\u00e9"},
    ]
    for h in forged:
        resp = await wa.client.post("/whatsapp/webhook", data=body, headers=h)
        assert resp.status == 403, h
        assert (await resp.json())["error"] == "forbidden"
    # A forged signature on a body that is not even JSON: still 403 (the signature comes first).
    resp = await wa.client.post("/whatsapp/webhook", data=b"{oops", headers={"X-Hub-Signature-256": "sha256=00"})
    assert resp.status == 403
    await wa.settle()
    assert wa.counts() == before
    assert wa.graph.attempts == []


async def test_devanagari_and_emoji_verify_escaped_and_raw(wa):
    now = time.time()
    escaped_payload = load_fixture("text_hindi_emoji", at=now)
    raw_payload = load_fixture("text_hindi_emoji", at=now)
    raw_value = raw_payload["entry"][0]["changes"][0]["value"]
    raw_value["messages"][0].update(id="wamid.raw-utf8-copy", **{"from": PRIYA[1:]})  # another conversation
    escaped, _ = signed_request(escaped_payload)
    raw, _ = signed_request(raw_payload, ensure_ascii=False)
    assert escaped.isascii() and b"\\u0928" in escaped and b"\\ud83d\\ude4f" in escaped  # as Meta sends it
    assert "नमस्ते 🙏".encode() in raw
    assert (await post_signed(wa.client, escaped)).status == 200
    assert (await post_signed(wa.client, raw)).status == 200
    # Bytes signed in one form but sent in the other do not verify: the HMAC is over what was received.
    _, raw_headers = signed_request(raw)
    resp = await wa.client.post("/whatsapp/webhook", data=escaped, headers=raw_headers)
    assert resp.status == 403
    await wa.settle()
    bodies = wa.graph.bodies(RAJESH_MOBILE) + wa.graph.bodies(PRIYA)
    assert len(bodies) == 2 and all("OTP" in b and "मोबाइल" in b for b in bodies)  # understood, answered in Hindi


async def test_batched_messages_and_a_status_in_one_post(wa):
    now = time.time()
    batch = load_fixture("batch_two_messages_and_status", at=now)
    assert (await post_signed(wa.client, batch)).status == 200
    await wa.settle()
    assert len(wa.graph.bodies(RAJESH_MOBILE)) == 1 and len(wa.graph.bodies(PRIYA)) == 1
    greeting = wa.graph.sent[0]
    assert greeting["type"] == "interactive" and greeting["interactive"]["type"] == "button"
    assert [b["reply"]["title"] for b in greeting["interactive"]["action"]["buttons"]] == [
        "Check balance", "Recent transactions", "Talk to an agent"]
    status_id = batch["entry"][1]["changes"][0]["value"]["statuses"][0]["id"]
    assert await wa.stores.deliveries.status("whatsapp", status_id) == "delivered"
    for number in (RAJESH_MOBILE, PRIYA):
        assert await wa.stores.windows.last_inbound("whatsapp", number) == float(int(now))
    # Every reply we sent is recorded as accepted by the Graph API, under the id it returned.
    counts = wa.counts()
    assert counts["delivery_status"] == 1 + 2 and counts["inbox"] == 2


async def test_twenty_concurrent_duplicate_deliveries_send_one_reply(wa):
    body, headers = signed_request(load_fixture("text", at=time.time()))
    responses = await asyncio.gather(*(wa.client.post("/whatsapp/webhook", data=body, headers=headers)
                                       for _ in range(20)))
    assert [r.status for r in responses] == [200] * 20
    await wa.settle()
    assert len(wa.graph.sent) == 1
    counts = wa.counts()
    assert counts["inbox"] == 1 and counts["audit"] == 1


async def test_malformed_payloads_are_400_and_leave_nothing(wa):
    now = time.time()
    good = load_fixture("text", at=now)

    def variant(edit) -> dict:
        payload = json.loads(json.dumps(good))
        edit(payload)
        return payload

    def message(p) -> dict:
        return p["entry"][0]["changes"][0]["value"]["messages"][0]

    second_bad = variant(lambda p: p["entry"][0]["changes"][0]["value"]["messages"].append(
        {**message(p), "id": "wamid.second", "timestamp": "soon"}))
    cases = [
        b"{not json",
        b"\xff\xfe{}",
        b"[]",
        variant(lambda p: p.update(object="page")),
        variant(lambda p: p.update(entry={"changes": []})),
        variant(lambda p: p["entry"][0].update(changes=None)),
        variant(lambda p: p["entry"][0]["changes"][0]["value"].pop("metadata")),
        variant(lambda p: p["entry"][0]["changes"][0]["value"].update(messages={"from": "1"})),
        variant(lambda p: message(p).pop("id")),
        variant(lambda p: message(p).update({"from": "Rajesh"})),
        variant(lambda p: message(p).update({"from": "+919812345678"})),
        variant(lambda p: message(p).update(timestamp="yesterday")),
        variant(lambda p: message(p).update(text={"body": 42})),
        variant(lambda p: message(p).update(text={"body": "x" * 4097})),
        variant(lambda p: message(p).update(type="interactive", interactive={"type": "button_reply"})),
        variant(lambda p: message(p).update(type="audio", audio={"mime_type": "audio/ogg"})),
        variant(lambda p: p["entry"][0]["changes"][0]["value"].update(statuses=[{"id": "wamid.x", "status": "read"}])),
        second_bad,  # one bad message refuses the whole batch: the good one before it is not kept
    ]
    before = wa.counts()
    for case in cases:
        resp = await post_signed(wa.client, case)
        assert resp.status == 400, case
        error = await resp.json()
        assert error["error"] == "invalid_payload" and error["message"], case
    await wa.settle()
    assert wa.counts() == before
    assert wa.graph.attempts == []
    resp = await post_signed(wa.client, second_bad)
    assert "messages[1].timestamp" in (await resp.json())["message"]  # the error says where


async def test_status_callbacks_only_move_forward(wa):
    read, sent = load_fixture("status_read"), load_fixture("status_sent")
    wamid = read["entry"][0]["changes"][0]["value"]["statuses"][0]["id"]
    assert (await post_signed(wa.client, read)).status == 200
    assert (await post_signed(wa.client, sent)).status == 200  # late "sent" after "read"
    assert await wa.stores.deliveries.status("whatsapp", wamid) == "read"
    failed = load_fixture("status_failed")
    assert (await post_signed(wa.client, failed)).status == 200  # "failed" never overrides "read"
    assert await wa.stores.deliveries.status("whatsapp", wamid) == "read"
    # A status word we do not know is skipped, not refused (Meta would retry it for days).
    unknown = load_fixture("status_read")
    unknown["entry"][0]["changes"][0]["value"]["statuses"][0].update(id="wamid.other", status="deleted")
    assert (await post_signed(wa.client, unknown)).status == 200
    assert await wa.stores.deliveries.status("whatsapp", "wamid.other") is None


async def test_failed_status_keeps_the_error(wa):
    failed = load_fixture("status_failed")
    wamid = failed["entry"][0]["changes"][0]["value"]["statuses"][0]["id"]
    assert (await post_signed(wa.client, failed)).status == 200
    with sqlite3.connect(wa.data_dir / "sahayak.sqlite") as conn:
        row = conn.execute("SELECT status, recipient, error FROM delivery_status WHERE message_id = ?",
                           (wamid,)).fetchone()
    assert row == ("failed", RAJESH_MOBILE, "131026 Message undeliverable")


async def test_balance_conversation_on_whatsapp(wa):
    assert (await post_signed(wa.client, text_payload("balance", message_id="wamid.balance-1"))).status == 200
    await wa.settle()
    otp_prompt = wa.graph.sent[-1]
    assert "6-digit OTP" in otp_prompt["interactive"]["body"]["text"]
    assert [b["reply"]["title"] for b in otp_prompt["interactive"]["action"]["buttons"]] == [
        "Resend OTP", "Talk to an agent"]
    code = await latest_otp(wa.client, RAJESH_MOBILE)  # the demo outbox: the registered mobile's SMS
    assert code not in json.dumps(wa.graph.sent)
    assert (await post_signed(wa.client, text_payload(code, message_id="wamid.balance-2"))).status == 200
    await wa.settle()
    bodies = "\n".join(wa.graph.bodies(RAJESH_MOBILE))
    assert "Available balance: ₹" in bodies and "on hold" in bodies
    # A tap on a reply button arrives as its title and reads like typed text.
    tap = load_fixture("button_reply", at=time.time())
    tap["entry"][0]["changes"][0]["value"]["messages"][0]["interactive"]["button_reply"]["title"] = "Recent transactions"
    sent_before = len(wa.graph.sent)
    assert (await post_signed(wa.client, tap)).status == 200
    await wa.settle()
    assert "last" in "\n".join(wa.graph.bodies()[sent_before:]).lower()
    records = await wa.stores.audit.for_conversation(f"whatsapp:{RAJESH_MOBILE}")
    assert all(code not in r.text for r in records)  # the OTP is masked in the audit


async def test_outside_the_window_free_form_is_refused_and_a_template_goes_through(wa):
    await wa.stores.windows.touch("whatsapp", RAJESH_MOBILE, time.time() - 25 * 3600)
    with pytest.raises(OutsideServiceWindow, match="templates"):
        await wa.channel.send(RAJESH_MOBILE, [Rendered("Your card was blocked.")])
    with pytest.raises(OutsideServiceWindow):
        await wa.channel.send(PRIYA, [Rendered("never wrote to us")])
    assert wa.graph.attempts == []

    wamid = await wa.channel.send_template(RAJESH_MOBILE, "account_alert", "en", ["₹1,500.00", "4321"])
    assert wa.graph.sent == [{
        "messaging_product": "whatsapp", "recipient_type": "individual", "to": "919812345678", "type": "template",
        "template": {"name": "account_alert", "language": {"code": "en"}, "components": [
            {"type": "body", "parameters": [{"type": "text", "text": "₹1,500.00"}, {"type": "text", "text": "4321"}]}]},
    }]
    assert await wa.stores.deliveries.status("whatsapp", wamid) == "accepted"
    with pytest.raises(ValueError, match="template language"):
        await wa.channel.send_template(RAJESH_MOBILE, "account_alert", "english", [])

    # The customer writes: the window opens again and free-form replies go out.
    assert (await post_signed(wa.client, text_payload("hi", message_id="wamid.reopen"))).status == 200
    await wa.settle()
    assert wa.graph.sent[-1]["type"] == "interactive"


async def test_meta_refusing_a_free_form_message_raises_outside_window(wa):
    """Our window says open but Meta's says closed (clocks, another sender on the number): same error."""
    await wa.stores.windows.touch("whatsapp", RAJESH_MOBILE, time.time())
    wa.graph.fail_next(131047)
    with pytest.raises(OutsideServiceWindow, match="refused"):
        await wa.channel.send(RAJESH_MOBILE, [Rendered("hello")])
    assert len(wa.graph.attempts) == 1  # not retried


async def test_stale_messages_after_an_outage_get_one_back_notice(wa):
    two_hours_ago = time.time() - 2 * 3600
    first = text_payload("balance", message_id="wamid.stale-1", at=two_hours_ago)
    value = first["entry"][0]["changes"][0]["value"]
    value["messages"].append({**value["messages"][0], "id": "wamid.stale-2", "text": {"body": "hello??"}})
    second = text_payload("is anyone there", message_id="wamid.stale-3", at=two_hours_ago + 60)
    hindi = text_payload("मेरा बैलेंस", sender=PRIYA, message_id="wamid.stale-hi", at=two_hours_ago)
    for payload in (first, second, first, hindi):  # `first` twice: Meta retrying a delivery
        assert (await post_signed(wa.client, payload)).status == 200
    await wa.settle()

    assert len(wa.graph.bodies(RAJESH_MOBILE)) == 1
    assert "back now" in wa.graph.bodies(RAJESH_MOBILE)[0]
    assert wa.graph.bodies(PRIYA) == [
        "जवाब न दे पाने के लिए क्षमा करें: हमारी WhatsApp सेवा कुछ समय के लिए उपलब्ध नहीं थी और अब फिर से चालू है। "
        "आपके पिछले संदेश हमें मिल गए हैं। कृपया अपना अनुरोध दोबारा भेजें, हम तुरंत आपकी मदद करेंगे।"]
    # Nothing ran through the agent (no OTP went out for "balance"), yet every message is kept.
    resp = await wa.client.get("/demo/outbox", params={"to": RAJESH_MOBILE})
    assert (await resp.json())["messages"] == []
    records = await wa.stores.audit.for_conversation(f"whatsapp:{RAJESH_MOBILE}")
    assert sorted(r.message_id for r in records) == ["wamid.stale-1", "wamid.stale-2", "wamid.stale-3"]
    assert {r.outcome for r in records} == {"stale_after_outage"}
    for mid in ("wamid.stale-1", "wamid.stale-2", "wamid.stale-3"):
        row = await wa.stores.inbox.result("whatsapp", f"whatsapp:{RAJESH_MOBILE}", mid)
        assert row is not None and row.status == "done"  # closed: a restart does not replay them
    assert await wa.client.app[LOOP].replay_unfinished() == 0

    # Back to normal: a fresh message gets a real answer.
    assert (await post_signed(wa.client, text_payload("hi", message_id="wamid.fresh"))).status == 200
    await wa.settle()
    assert "Sahayak" in wa.graph.bodies(RAJESH_MOBILE)[-1]


async def test_graph_api_429_then_200_is_delivered_after_a_retry(wa):
    wa.graph.fail_next(429)
    assert (await post_signed(wa.client, load_fixture("text", at=time.time()))).status == 200
    await wa.settle()
    assert len(wa.graph.attempts) == 2 and len(wa.graph.sent) == 1
    with sqlite3.connect(wa.data_dir / "sahayak.sqlite") as conn:
        rows = conn.execute("SELECT message_id, recipient, status FROM delivery_status").fetchall()
    assert len(rows) == 1 and rows[0][1:] == (RAJESH_MOBILE, "accepted") and rows[0][0].startswith("wamid.")


async def test_retries_are_bounded_and_only_for_transient_errors(wa):
    await wa.stores.windows.touch("whatsapp", RAJESH_MOBILE, time.time())
    wa.graph.fail_next(500, 502, 500)
    with pytest.raises(WhatsAppError):
        await wa.channel.send(RAJESH_MOBILE, [Rendered("hello")])
    assert len(wa.graph.attempts) == 3 and wa.graph.sent == []
    wa.graph.fail_next(500, 502)  # two failures, then through
    await wa.channel.send(RAJESH_MOBILE, [Rendered("hello")])
    assert len(wa.graph.attempts) == 6 and len(wa.graph.sent) == 1
    wa.graph.fail_next(400)  # a bad request is not retried
    with pytest.raises(WhatsAppError):
        await wa.channel.send(RAJESH_MOBILE, [Rendered("hello")])
    assert len(wa.graph.attempts) == 7


async def test_unsupported_types_get_a_polite_reply_and_reactions_none(wa):
    now = time.time()
    for name in ("sticker", "location", "reaction", "sticker"):  # the second sticker is a retry
        assert (await post_signed(wa.client, load_fixture(name, at=now))).status == 200
    await wa.settle()
    bodies = wa.graph.bodies(RAJESH_MOBILE)
    assert len(bodies) == 2 and all("text messages and voice notes" in b for b in bodies)
    records = await wa.stores.audit.for_conversation(f"whatsapp:{RAJESH_MOBILE}")
    assert sorted((r.text, r.outcome) for r in records) == [
        ("[location]", "unsupported_type"), ("[reaction]", "ignored"), ("[sticker]", "unsupported_type")]


async def test_voice_note_reaches_the_loop_with_its_audio(wa):
    batch = parse_webhook(json.dumps(load_fixture("voice_note")).encode(), PHONE_NUMBER_ID)
    [item] = batch.messages
    assert item.handling == "turn" and item.message.text == VOICE_NOTE_TEXT
    [audio] = item.message.attachments
    assert (audio.kind, audio.mime_type, audio.ref) == ("audio", "audio/ogg; codecs=opus", "1038447281236543")
    assert (await post_signed(wa.client, load_fixture("voice_note", at=time.time()))).status == 200
    await wa.settle()
    assert len(wa.graph.sent) == 1  # answered (for now with the menu; transcription comes with voice)


async def test_body_limit_is_3_mib_on_this_route(wa):
    payload = load_fixture("status_read")
    payload["padding"] = "x" * (2 * 1024 * 1024)  # far above the app's 64 KiB, below Meta's maximum
    body, headers = signed_request(payload)
    resp = await wa.client.post("/whatsapp/webhook", data=io.BytesIO(body), headers=headers)
    assert resp.status == 200
    payload["padding"] = "x" * MAX_BODY
    body, headers = signed_request(payload)
    resp = await wa.client.post("/whatsapp/webhook", data=io.BytesIO(body), headers=headers)
    assert resp.status == 413  # refused on Content-Length

    async def chunks():  # no Content-Length: refused while reading, once past the limit
        for start in range(0, len(body), 256 * 1024):
            yield body[start:start + 256 * 1024]

    resp = await wa.client.post("/whatsapp/webhook", data=chunks(), headers=headers)
    assert resp.status == 413


async def test_updates_for_another_number_or_field_are_skipped(wa):
    other = load_fixture("text", at=time.time())
    other["entry"][0]["changes"][0]["value"]["metadata"]["phone_number_id"] = "999999999999999"
    template_event = {"object": "whatsapp_business_account", "entry": [{"id": "102290129340398", "changes": [
        {"field": "message_template_status_update",
         "value": {"event": "APPROVED", "message_template_id": 1234, "message_template_name": "account_alert",
                   "message_template_language": "en", "reason": "NONE"}}]}]}
    before = wa.counts()
    for payload in (other, template_event):
        assert (await post_signed(wa.client, payload)).status == 200
    await wa.settle()
    assert wa.counts() == before and wa.graph.attempts == []


async def test_whatsapp_is_off_without_its_settings(gateway):
    client = await gateway()
    assert "whatsapp" not in client.app[LOOP].channels
    assert (await client.get("/whatsapp/webhook")).status == 404


async def test_duplicates_across_two_gateways_on_postgres_and_redis(aiohttp_server, aiohttp_client, make_settings,
                                                                    postgres_url, redis_prefix):
    graph = await start_graph_api(aiohttp_server, ACCESS_TOKEN, PHONE_NUMBER_ID)
    settings = make_settings(postgres_url=postgres_url, redis_url=REDIS_URL, redis_prefix=redis_prefix,
                             **whatsapp_settings(graph.url))
    a, b = await aiohttp_client(create_app(settings)), await aiohttp_client(create_app(settings))
    body, headers = signed_request(load_fixture("text", at=time.time()))
    responses = await asyncio.gather(*(c.post("/whatsapp/webhook", data=body, headers=headers) for c in (a, b) * 10))
    assert {r.status for r in responses} == {200}
    for client in (a, b):
        await client.app[LOOP].drain()
    assert len(graph.sent) == 1


# --- pure wire functions -----------------------------------------------------------------------------

def test_every_fixture_parses_and_the_profile_name_is_never_used():
    for path in sorted(FIXTURES.glob("*.json")):
        batch = parse_webhook(path.read_bytes(), PHONE_NUMBER_ID)
        assert batch.messages or batch.statuses, path.name
        for item in batch.messages:
            msg = item.message
            assert msg.conversation == msg.sender and msg.sender in (RAJESH_MOBILE, PRIYA)
            assert "Rajesh" not in repr(msg) and "Priya" not in repr(msg), path.name


def test_button_list_and_template_replies_read_as_their_titles():
    def text_of(name: str) -> str:
        [item] = parse_webhook((FIXTURES / f"{name}.json").read_bytes(), PHONE_NUMBER_ID).messages
        return item.message.text

    assert text_of("button_reply") == "Check balance"
    assert text_of("list_reply") == "Recent transactions"
    assert text_of("template_button") == "Check balance"


def test_control_characters_are_removed_not_refused():
    payload = text_payload("bal\x00ance\ud800", message_id="wamid.ctl")
    [item] = parse_webhook(json.dumps(payload).encode(), PHONE_NUMBER_ID).messages
    assert item.message.text == "balance"
    with pytest.raises(WireError, match="JSON"):
        parse_webhook(b"", PHONE_NUMBER_ID)


def test_fixtures_are_what_pywa_parses_and_our_signature_is_metas():
    """Our fixtures are realistic enough for pywa's own update parser, and `sign` agrees with pywa's
    validator of X-Hub-Signature-256 (an independent implementation of Meta's scheme)."""
    from pywa import WhatsApp, utils
    from pywa.types.base_update import RawUpdate

    client = WhatsApp(phone_id=PHONE_NUMBER_ID, token=None)
    for name, expected in (("text", "Message"), ("voice_note", "Message"), ("button_reply", "CallbackButton"),
                           ("list_reply", "CallbackSelection"), ("status_read", "MessageStatus"),
                           ("status_failed", "MessageStatus"), ("sticker", "Message")):
        body = (FIXTURES / f"{name}.json").read_bytes()
        raw = RawUpdate(body, hmac_header=None, update_hash=name)
        handler = client._get_handler_type(raw)  # noqa: SLF001 - pywa's dispatcher, as its server uses it
        update = client._handlers_to_updates[handler].from_update(client=client, update=raw)  # noqa: SLF001
        assert type(update).__name__ == expected, name
        assert utils.webhook_updates_validator(app_secret=APP_SECRET, request_body=body,
                                               x_hub_signature=sign(APP_SECRET.encode(), body))


def test_outbound_plan_by_number_and_length_of_options():
    three = plan_outbound(Rendered("Pick one", ("Check balance", "Recent transactions", "Talk to an agent")))
    assert [(p.kind, p.options) for p in three] == [("buttons", ("Check balance", "Recent transactions",
                                                                  "Talk to an agent"))]
    four = plan_outbound(Rendered("Pick", ("a", "b", "c", "d")))
    assert [p.kind for p in four] == ["list"]
    hindi = plan_outbound(Rendered("चुनिए", ("a", "b", "c", "d")))
    assert hindi[0].language == "hi"
    long_labels = plan_outbound(Rendered("Pick", ("Block my debit card now", "No")))  # 23 characters > 20
    assert [p.kind for p in long_labels] == ["list"]
    too_long = plan_outbound(Rendered("Pick", ("A label far too long for any list row", "No")))
    assert [p.kind for p in too_long] == ["text"] and "1. A label far too long" in too_long[0].text
    duplicates = plan_outbound(Rendered("Pick", ("Yes", "Yes")))
    assert [p.kind for p in duplicates] == ["text"]
    long_text = plan_outbound(Rendered("word " * 400, ("Yes", "No")))  # 2000 characters
    assert [p.kind for p in long_text] == ["text", "buttons"] and all(len(p.text) <= 1024 for p in long_text)
    # More than 10 options never reach the plan as options: render() numbers them first.
    eleven = render(OutboundMessage("Pick", tuple(str(i) for i in range(11))), WhatsAppChannel.capabilities)
    assert eleven[0].buttons == () and "11. 10" in eleven[0].text


async def test_interactive_limits_are_what_the_graph_api_accepts(wa):
    await wa.stores.windows.touch("whatsapp", RAJESH_MOBILE, time.time())
    cases = [Rendered("Pick", ("Check balance", "Recent transactions", "Talk to an agent")),
             Rendered("Pick", tuple(f"Option {i}" for i in range(10))),
             Rendered("Pick", ("Block my debit card now", "No")),
             Rendered("word " * 400, ("Yes", "No")),
             Rendered("Pick", ("A label far too long for any list row", "No"))]
    await wa.channel.send(RAJESH_MOBILE, cases)
    assert len(wa.graph.sent) == 6 and len(wa.graph.attempts) == 6  # the stand-in applies Meta's limits
    assert wa.graph.sent[1]["interactive"]["action"]["button"] == "Options"


@pytest.fixture
def notices_db(sql_db):
    return sql_db


async def test_notice_once_per_quiet_period(notices_db):
    notices = Notices(notices_db)
    await notices.setup()
    claims = await asyncio.gather(*(notices.claim("whatsapp", RAJESH_MOBILE, "back", quiet_s=3600, now=1000.0)
                                    for _ in range(10)))
    assert claims.count(True) == 1
    assert not await notices.claim("whatsapp", RAJESH_MOBILE, "back", quiet_s=3600, now=4000.0)
    assert await notices.claim("whatsapp", PRIYA, "back", quiet_s=3600, now=4000.0)
    assert await notices.claim("whatsapp", RAJESH_MOBILE, "back", quiet_s=3600, now=4601.0)
