"""The web channel end to end: the balance conversation over HTTP and WebSocket, OTP failure,
idempotency, ordering, restart, and every bad-input case leaving nothing behind."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time

import aiohttp
import pytest
from web_chat import RAJESH_MOBILE, latest_otp, new_session, say, table_counts, texts

from gateway import LOOP, STORES, WEB


async def test_balance_conversation_over_http(gateway):
    client = await gateway()
    session = await new_session(client)

    greeting = await say(client, session, "hi")
    assert "Sahayak" in greeting[0]["text"]
    assert "Check balance" in greeting[0]["buttons"]

    ask = await say(client, session, "Check balance")
    assert "registered mobile number" in texts(ask)

    sent = await say(client, session, "+91 98123 45678")
    assert "6-digit OTP" in texts(sent)
    otp = await latest_otp(client)

    answer = await say(client, session, otp)
    body = texts(answer)
    assert "verified" in body
    # Rajesh's savings account has a lien: available is less than total, both with Indian grouping.
    available = _amount_after(body, "Available balance: ")
    total = _amount_after(body, "Total balance: ")
    assert available < total
    assert "on hold" in body
    assert answer[-1]["buttons"], "related services are offered"

    # Verified now: the next account question needs no new OTP.
    recent = await say(client, session, "Recent transactions")
    assert "Your last" in texts(recent)
    assert "5,000" in texts(recent)

    # The OTP never reaches the audit trail or the checkpoints.
    # Checkpoints are checked byte for byte: the turn's words travel in the (unpersisted) context.
    assert otp.encode() not in _data_dir(client).joinpath("checkpoints.sqlite").read_bytes()
    with sqlite3.connect(_data_dir(client) / "sahayak.sqlite") as conn:
        for table, column in (("audit", "text"), ("audit", "replies"), ("inbox", "payload"), ("otp", "code_hash")):
            rows = conn.execute(f"SELECT {column} FROM {table}").fetchall()
            assert rows and not any(otp in (r[0] or "") for r in rows), f"OTP found in {table}.{column}"


def _data_dir(client):
    from gateway import SETTINGS

    return client.server.app[SETTINGS].data_dir


def _amount_after(body: str, label: str) -> float:
    line = next(line for line in body.splitlines() if line.startswith(label))
    value = line[len(label):]
    assert value.startswith("₹")
    digits = value[1:]
    # Indian grouping: the last group has three digits, the others two (1,23,456.78).
    whole = digits.split(".")[0]
    groups = whole.split(",")
    assert len(groups[-1]) == 3 or len(groups) == 1
    assert all(len(g) == 2 for g in groups[1:-1])
    return float(digits.replace(",", ""))


async def test_balance_conversation_over_websocket(gateway):
    client = await gateway()
    session = await new_session(client)
    ws = await client.ws_connect("/web/ws")
    await ws.send_json({"type": "hello", "session": session})
    assert (await ws.receive_json())["type"] == "history"

    async def turn(text: str, msg_id: str) -> list[dict]:
        await ws.send_json({"type": "message", "text": text, "id": msg_id})
        frames = []
        while True:
            frame = await ws.receive_json(timeout=10)
            frames.append(frame)
            if frame["type"] == "done":
                assert frame["in_reply_to"] == msg_id
                break
        assert frames[0]["type"] == "typing"
        replies = [f for f in frames if f["type"] == "reply"]
        assert all(r["in_reply_to"] == msg_id for r in replies)
        return replies

    assert "registered mobile" in texts(await turn("what is my balance", "m1"))
    assert "OTP" in texts(await turn("9812345678", "m2"))
    otp = await latest_otp(client)
    body = texts(await turn(otp, "m3"))
    assert "Available balance: ₹" in body
    await ws.close()

    # A reconnecting widget gets the conversation back, masked (the OTP is not echoed back).
    ws = await client.ws_connect("/web/ws")
    await ws.send_json({"type": "hello", "session": session})
    history = (await ws.receive_json())["messages"]
    customer_lines = [m["text"] for m in history if m["from"] == "customer"]
    assert customer_lines[0] == "what is my balance"
    assert [m["id"] for m in history if m["from"] == "customer"] == ["m1", "m2", "m3"]
    assert "[OTP]" in customer_lines[2]
    assert otp not in json.dumps(history)
    assert any("Available balance" in m["text"] for m in history if m["from"] == "bot")
    await ws.close()


async def test_hindi_balance_conversation(gateway):
    client = await gateway()
    session = await new_session(client)
    ask = await say(client, session, "मेरा बैलेंस क्या है")
    assert "मोबाइल नंबर" in texts(ask)
    await say(client, session, "9812345678")
    answer = texts(await say(client, session, await latest_otp(client)))
    assert "उपलब्ध शेष राशि: ₹" in answer


async def test_wrong_otp_three_times_escalates(gateway):
    client = await gateway()
    app = client.server.app
    session = await new_session(client)
    await say(client, session, "balance")
    await say(client, session, RAJESH_MOBILE)
    otp = await latest_otp(client)
    wrong = "000000" if otp != "000000" else "111111"

    first = texts(await say(client, session, wrong))
    assert "2 attempt(s) left" in first
    second = texts(await say(client, session, wrong))
    assert "1 attempt(s) left" in second
    third = texts(await say(client, session, wrong))
    assert "customer care team" in third
    reference = third.split("reference is ")[1].split(".")[0]

    cases = await app[STORES].cases.for_conversation(f"web:{session.split('.')[0]}")
    assert [c.reference for c in cases] == [reference]
    assert cases[0].reason == "otp_failed" and cases[0].customer_id == "CUST_789123"
    # The right code no longer unlocks anything: the conversation is with a person now.
    after = texts(await say(client, session, otp))
    assert "Available balance" not in after and reference in after


async def test_unknown_identifier_gets_the_same_answers_all_the_way(gateway):
    """Whether a mobile is a customer's is never revealed: not by the first reply, nor by resend
    limits, expiry or wrong codes (each step compared reply for reply, buttons included)."""
    client = await gateway()
    app = client.server.app
    s1, s2 = await new_session(client), await new_session(client)

    async def both(text_known: str, text_unknown: str | None = None):
        known = await say(client, s1, text_known)
        unknown = await say(client, s2, text_unknown or text_known)
        assert known == unknown
        return known

    await both("balance")
    await both(RAJESH_MOBILE, "+91 99999 00000")
    await both("123456" if (await latest_otp(client)) != "123456" else "654321")  # a wrong code
    await both("Resend OTP")
    await both("Resend OTP")
    limited = await both("Resend OTP")  # the fourth code in 30 minutes is refused for both
    assert "Too many codes" in texts(limited)
    # Expiry: both codes run out together.
    await app[STORES].db.execute("UPDATE otp SET expires_at = 0")
    expired = await both("111111")
    assert "expired" in texts(expired)


async def test_same_message_id_twice_is_one_turn(gateway):
    client = await gateway()
    app = client.server.app
    session = await new_session(client)
    first = await say(client, session, "hi", msg_id="dup-1")
    second = await say(client, session, "hi", msg_id="dup-1")
    assert first == second
    assert await app[STORES].audit.count() == 1


async def test_same_message_20_times_concurrently_is_one_turn_and_one_reply(gateway):
    client = await gateway()
    app = client.server.app
    session = await new_session(client)
    ws = await client.ws_connect("/web/ws")  # a live socket counts the replies actually delivered
    await ws.send_json({"type": "hello", "session": session})
    await ws.receive_json()

    results = await asyncio.gather(*(say(client, session, "hi", msg_id="burst-1") for _ in range(20)))
    assert all(r == results[0] for r in results)
    assert await app[STORES].audit.count() == 1
    delivered = []
    while True:
        try:
            delivered.append(await ws.receive_json(timeout=0.5))
        except asyncio.TimeoutError:
            break
    assert [f["type"] for f in delivered] == ["reply"]  # one greeting pushed, not twenty
    await ws.close()


async def test_two_messages_sent_together_are_answered_in_order(gateway):
    client = await gateway()
    session = await new_session(client)
    ws = await client.ws_connect("/web/ws")
    await ws.send_json({"type": "hello", "session": session})
    await ws.receive_json()
    # Sent back to back without waiting: the second only makes sense after the first.
    await ws.send_json({"type": "message", "text": "balance please", "id": "a"})
    await ws.send_json({"type": "message", "text": "9812345678", "id": "b"})
    replies = []
    done = []
    while len(done) < 2:
        frame = await ws.receive_json(timeout=10)
        if frame["type"] == "reply":
            replies.append(frame)
        elif frame["type"] == "done":
            done.append(frame["in_reply_to"])
    assert done == ["a", "b"]
    assert [r["in_reply_to"] for r in replies] == ["a", "b"]
    assert "registered mobile" in replies[0]["text"] and "OTP" in replies[1]["text"]
    await ws.close()


async def test_loop_keeps_arrival_order_under_concurrency(gateway):
    """Many messages of one conversation handed to the loop at once run one at a time, in order."""
    client = await gateway()
    app = client.server.app
    session = await new_session(client)
    from channels.base import InboundMessage
    from datetime import datetime, timezone

    conv = session.split(".")[0]
    msgs = [InboundMessage("web", conv, conv, f"hello {i}", f"order-{i}", datetime.now(timezone.utc))
            for i in range(10)]
    await asyncio.gather(*(app[LOOP].handle(m) for m in msgs))
    records = await app[STORES].audit.for_conversation(f"web:{conv}")
    assert [r.message_id for r in records] == [m.message_id for m in msgs]


async def test_restarted_gateway_continues_the_conversation(aiohttp_client, make_settings):
    from gateway import create_app

    settings = make_settings()
    client = await aiohttp_client(create_app(settings))
    session = await new_session(client)
    await say(client, session, "balance")
    await say(client, session, RAJESH_MOBILE)
    otp = await latest_otp(client)
    await client.close()

    client = await aiohttp_client(create_app(settings))
    body = texts(await say(client, session, otp))
    assert "Available balance" in body


async def test_forged_or_expired_session_is_refused_and_nothing_is_stored(gateway):
    client = await gateway()
    app = client.server.app
    data_dir = _data_dir(client)
    real = await new_session(client)
    raw, issued, mac = real.split(".")
    expired = app[WEB].signer.new(now=time.time() - app[WEB].signer.ttl_s - 10)
    before = table_counts(data_dir)
    flipped = mac[:-1] + ("A" if mac[-1] != "A" else "B")
    for forged, error in ((f"{raw}.{issued}.{flipped}", "forged_session"),
                          (f"someoneelse.{issued}.{mac}", "forged_session"),
                          (f"{raw}.{int(issued, 16) + 99999:x}.{mac}", "forged_session"),  # pushed-out expiry
                          ("nodot", "forged_session"), ("", "forged_session"), (expired, "expired_session")):
        resp = await client.post("/web/messages", json={"session": forged, "text": "balance", "id": "x1"})
        assert resp.status == 403
        assert (await resp.json())["error"] == error
    ws = await client.ws_connect("/web/ws")
    await ws.send_json({"type": "hello", "session": f"{raw}.{issued}.{mac[::-1]}"})
    assert (await ws.receive_json())["error"] == "forged_session"
    await ws.close()
    assert table_counts(data_dir) == before


@pytest.mark.parametrize(
    "body, content_type, status, error",
    [
        (b"not json", "application/json", 400, "invalid_json"),
        (b"[1, 2]", "application/json", 400, "invalid_json"),
        (json.dumps({"text": "hi"}).encode(), "application/json", 403, "forged_session"),
        (None, "application/json", 400, "missing_text"),  # session but no text
        ("too_long", "application/json", 413, "text_too_long"),
        ("bad_id", "application/json", 400, "invalid_id"),
        ("bad_language", "application/json", 400, "invalid_language"),
        (b"{" + b" " * 20000 + b"}", "application/json", 413, "body_too_large"),
        ("control", "application/json", 400, "invalid_text"),
        ("surrogate", "application/json", 400, "invalid_text"),
    ],
)
async def test_bad_input_gets_a_clear_error_and_stores_nothing(gateway, body, content_type, status, error):
    client = await gateway()
    session = await new_session(client)
    if body is None:
        body = json.dumps({"session": session}).encode()
    elif body == "too_long":
        body = json.dumps({"session": session, "text": "x" * 2001}).encode()
    elif body == "control":
        body = json.dumps({"session": session, "text": "hi\u0000there"}).encode()
    elif body == "surrogate":
        body = b'{"session": "%s", "text": "hi \\ud800"}' % session.encode()
    elif body == "bad_id":
        body = json.dumps({"session": session, "text": "hi", "id": "bad id with spaces"}).encode()
    elif body == "bad_language":
        body = json.dumps({"session": session, "text": "hi", "language": ["hi"]}).encode()
    before = table_counts(_data_dir(client))
    resp = await client.post("/web/messages", data=body, headers={"Content-Type": content_type})
    assert resp.status == status
    payload = await resp.json()
    assert payload["error"] == error and payload["message"]
    assert table_counts(_data_dir(client)) == before


async def _first_reply_language(client, text: str, language: object) -> str:
    resp = await client.post("/web/messages", json={"session": await new_session(client), "text": text,
                                                    "language": language})
    assert resp.status == 200, await resp.text()
    return (await resp.json())["language"]


async def test_the_pages_language_answers_a_first_message_that_has_none(gateway):
    """The widget sends its page's language: a first "ok" on a Tamil page is answered in Tamil, but words
    in a language of their own are answered in that language, and a page language without a catalog
    changes nothing."""
    client = await gateway()
    assert await _first_reply_language(client, "ok", "ta-IN") == "ta"
    assert await _first_reply_language(client, "1234", "hi") == "hi"
    assert await _first_reply_language(client, "ok", "hi-Latn") == "hinglish"
    assert await _first_reply_language(client, "ok", None) == "en"
    assert await _first_reply_language(client, "ok", "fr-FR") == "en"
    assert await _first_reply_language(client, "ok", "en_US.UTF-8") == "en"  # odd markup: read, not refused
    assert await _first_reply_language(client, "ok", "x-klingon") == "en"
    assert await _first_reply_language(client, "what is my balance", "ta") == "en"
    assert await _first_reply_language(client, "मेरा बैलेंस क्या है", "ta") == "hi"


async def test_audit_trail_is_append_only_and_masked(gateway):
    client = await gateway()
    session = await new_session(client)
    await say(client, session, "my card is 4111 1111 1111 1111, what is my balance")
    db = _data_dir(client) / "sahayak.sqlite"
    with sqlite3.connect(db) as conn:
        (text, intent, tools, outcome) = conn.execute("SELECT text, intent, tools, outcome FROM audit").fetchone()
        assert "4111 1111 1111 1111" not in text and "1111" in text  # masked, last four kept
        assert intent == "balance" and outcome == "auth_required"
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            conn.execute("UPDATE audit SET text = 'x'")
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            conn.execute("DELETE FROM audit")


async def test_healthz_and_widget_and_demo_page(gateway):
    client = await gateway()
    assert (await (await client.get("/healthz")).json()) == {"status": "ok"}
    widget = await client.get("/widget.js")
    assert widget.status == 200 and "customElements" in await widget.text()
    page = await client.get("/")
    assert page.status == 200 and '<script src="/widget.js"' in await page.text()


async def test_demo_routes_are_not_mounted_outside_demo_mode(aiohttp_client, make_settings):
    from gateway import create_app

    settings = make_settings(demo=False, secret_key="k" * 40, core_banking_url="http://127.0.0.1:9/",
                             secure_link_base="https://netbanking.bank.example/secure/")
    client = await aiohttp_client(create_app(settings))
    assert (await client.get("/demo/outbox", params={"to": RAJESH_MOBILE})).status == 404
    assert (await client.get("/")).status == 404


async def test_embedding_is_limited_to_allowed_origins(gateway):
    client = await gateway(web_allowed_origins=("https://www.bank.example",))
    bank, evil = {"Origin": "https://www.bank.example"}, {"Origin": "https://evil.example"}

    preflight = await client.options("/web/messages", headers={**bank, "Access-Control-Request-Method": "POST"})
    assert preflight.status == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == "https://www.bank.example"
    resp = await client.post("/web/session", json={}, headers=bank)
    assert resp.status == 200 and resp.headers["Access-Control-Allow-Origin"] == "https://www.bank.example"
    session = (await resp.json())["session"]
    resp = await client.post("/web/messages", json={"session": session, "text": "hi"}, headers=bank)
    assert resp.status == 200

    before = table_counts(_data_dir(client))
    resp = await client.post("/web/messages", json={"session": session, "text": "hi"}, headers=evil)
    assert resp.status == 403 and (await resp.json())["error"] == "origin_not_allowed"
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await client.ws_connect("/web/ws", headers=evil)
    assert refused.value.status == 403
    assert table_counts(_data_dir(client)) == before
    # Same origin (the demo page) and non-browser clients (no Origin) are unaffected.
    host = f"http://{client.host}:{client.port}"
    assert (await client.post("/web/session", json={}, headers={"Origin": host})).status == 200
    assert (await client.post("/web/session", json={})).status == 200


def test_allowed_origins_setting_is_validated():
    from bot.settings import SettingsError, load_settings

    s = load_settings({"SAHAYAK_DEMO": "1", "SAHAYAK_WEB_ALLOWED_ORIGINS": "https://a.bank.in, https://b.bank.in:8443"})
    assert s.web_allowed_origins == ("https://a.bank.in", "https://b.bank.in:8443")
    with pytest.raises(SettingsError, match="SAHAYAK_WEB_ALLOWED_ORIGINS"):
        load_settings({"SAHAYAK_DEMO": "1", "SAHAYAK_WEB_ALLOWED_ORIGINS": "https://a.bank.in/path"})


async def test_reusing_another_visitors_message_id_reveals_nothing(gateway):
    client = await gateway()
    victim, attacker = await new_session(client), await new_session(client)
    await say(client, victim, "balance", msg_id="m-1")
    await say(client, victim, RAJESH_MOBILE, msg_id="m-2")
    assert "Available balance" in texts(await say(client, victim, await latest_otp(client), msg_id="m-3"))
    stolen = texts(await say(client, attacker, "hi", msg_id="m-3"))
    assert "Available balance" not in stolen and "Sahayak" in stolen  # its own, fresh turn


async def test_a_body_arriving_in_pieces_is_read_whole(gateway):
    client = await gateway()
    session = await new_session(client)
    body = json.dumps({"session": session, "text": "hi " + "x" * 1900}).encode()
    reader, writer = await asyncio.open_connection(client.host, client.port)
    writer.write(b"POST /web/messages HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                 b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body) + body[:1000])
    await writer.drain()
    await asyncio.sleep(0.2)
    writer.write(body[1000:])
    await writer.drain()
    status_line = await reader.readline()
    writer.close()
    assert b" 200 " in status_line


async def test_one_session_per_socket(gateway):
    client = await gateway()
    app = client.server.app
    s1, s2 = await new_session(client), await new_session(client)
    ws = await client.ws_connect("/web/ws")
    await ws.send_json({"type": "hello", "session": s1})
    assert (await ws.receive_json())["type"] == "history"
    await ws.send_json({"type": "hello", "session": s2})
    assert (await ws.receive_json())["error"] == "already_greeted"
    await ws.close()
    await asyncio.sleep(0.05)
    assert app[WEB]._sockets == {}  # nothing left subscribed once the socket is gone


async def test_core_banking_outage_gets_an_honest_answer_not_a_guess(gateway):
    from bot.banking.core import BankingError
    from gateway import BANK

    client = await gateway()
    session = await new_session(client)
    await say(client, session, "balance")
    await say(client, session, RAJESH_MOBILE)
    otp = await latest_otp(client)
    bank = client.server.app[BANK]

    async def down(*args, **kwargs):
        raise BankingError("core banking unreachable")

    bank.list_accounts = down
    reply = texts(await say(client, session, otp))
    assert "verified" in reply and "can't reach our banking systems" in reply
    assert "₹" not in reply


# --- the widget's own texts, in the customer's language ---------------------------------------------------

def _script_of(text: str) -> set[str]:
    import unicodedata

    return {unicodedata.name(ch).split()[0] for ch in text if unicodedata.category(ch).startswith("L")}


async def test_widget_strings_come_from_the_catalogs_in_the_language_asked_for(gateway):
    from i18n.catalog import MESSAGES

    client = await gateway()
    widget_keys = {key for key in MESSAGES if key.startswith("widget_")}
    assert "widget_end_chat" in widget_keys and "widget_input_placeholder" in widget_keys

    async def strings(lang: str) -> dict:
        resp = await client.get("/web/strings", params={"lang": lang})
        assert resp.status == 200
        assert resp.headers["Cache-Control"] == "public, max-age=3600"
        return await resp.json()

    tamil = await strings("ta")
    assert tamil["language"] == "ta"
    assert set(tamil["strings"]) == widget_keys
    assert tamil["strings"] == {key: MESSAGES[key]["ta"] for key in widget_keys}
    # Every text is Tamil, not English left in place (Latin letters only in PIN, CVV and {name}).
    assert {key for key, text in tamil["strings"].items() if "TAMIL" not in _script_of(text)} == set()

    english = await strings("xx")
    assert english["language"] == "en"
    assert english["strings"] == {key: MESSAGES[key]["en"] for key in widget_keys}
    assert english["strings"]["widget_end_chat"] == "End chat"

    # Locales are read by their primary subtag; Hinglish by its own code, or as Hindi in Latin script.
    for asked, used in (("hi-IN", "hi"), ("ta_IN", "ta"), ("en-GB", "en"), ("HINGLISH", "hinglish"),
                        ("hi-Latn", "hinglish"), ("", "en"), ("bn-BD", "bn")):
        body = await strings(asked)
        assert body["language"] == used, asked
        assert body["strings"] == {key: MESSAGES[key][used] for key in widget_keys}, asked
    assert (await (await client.get("/web/strings")).json())["language"] == "en"
    hindi = (await strings("hi-IN"))["strings"]
    assert "DEVANAGARI" in _script_of(hindi["widget_end_chat"]) and "{name}" in hindi["widget_typing"]


async def test_widget_strings_follow_the_origin_rules(gateway):
    client = await gateway(web_allowed_origins=("https://www.bank.example",))
    resp = await client.get("/web/strings", params={"lang": "ta"}, headers={"Origin": "https://www.bank.example"})
    assert resp.status == 200 and resp.headers["Access-Control-Allow-Origin"] == "https://www.bank.example"
    assert resp.headers["Vary"] == "Origin"
    refused = await client.get("/web/strings", params={"lang": "ta"}, headers={"Origin": "https://evil.example"})
    assert refused.status == 403


async def test_replies_and_history_name_the_conversations_language(gateway):
    client = await gateway()
    session = await new_session(client)

    async def post(text: str) -> dict:
        resp = await client.post("/web/messages", json={"session": session, "text": text})
        assert resp.status == 200
        return await resp.json()

    english = await post("hi")
    assert english["language"] == "en" and english["replies"]
    hindi = await post("मेरा बैलेंस क्या है")
    assert hindi["language"] == "hi" and "मोबाइल नंबर" in texts(hindi["replies"])

    ws = await client.ws_connect("/web/ws")
    await ws.send_json({"type": "hello", "session": session})
    history = await ws.receive_json()
    assert history["type"] == "history" and history["language"] == "hi"
    await ws.send_json({"type": "message", "text": "balance please", "id": "switch-back"})
    replies = []
    while (frame := await ws.receive_json(timeout=10))["type"] != "done":
        if frame["type"] == "reply":
            replies.append(frame)
    assert replies and {r["language"] for r in replies} == {"en"}
    assert "registered mobile" in texts(replies)
    await ws.close()

    # A conversation with no turn yet has no language: the widget keeps the page's.
    ws = await client.ws_connect("/web/ws")
    await ws.send_json({"type": "hello", "session": await new_session(client)})
    assert (await ws.receive_json())["language"] is None
    await ws.close()
