"""The SMS channel (Twilio): signed webhooks, dedup, STOP/START/HELP, status callbacks, SMS text layout,
Hindi romanized, and the balance conversation -- against a stand-in Twilio REST API, with requests
signed by twilio's own RequestValidator."""

from __future__ import annotations

import asyncio
import re
import sqlite3
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bot" / "banking"))
from bank_api_server import AUTH, PREFIX, make_app as make_bank_app  # noqa: E402
from twilio_stand_in import (  # noqa: E402
    ACCOUNT_SID, AUTH_TOKEN, PUBLIC_URL, RAJESH, RECORDED_INBOUND, TWILIO_FROM, TwilioStandIn, inbound_params,
    new_sid, post_signed, sign, status_params,
)
from conftest import REDIS_URL  # noqa: E402
from web_chat import latest_otp, new_session, say, table_counts, texts  # noqa: E402

from bot.appkeys import CHANNELS, LOOP, PERSONAS, STORES  # noqa: E402
from bot.banking.demo import DemoBank  # noqa: E402
from bot.settings import SettingsError, load_settings  # noqa: E402
from channels.base import OutboundMessage, Rendered, render  # noqa: E402
from channels.sms import SMS, SmsChannel, keyword_of  # noqa: E402
from channels.sms_text import (  # noqa: E402
    GSM7, UCS2, encoding, fits, is_gsm7, length, plan_bodies, romanize, segment_count, segments, sms_safe,
    split_to_fit,
)
from i18n.catalog import t  # noqa: E402
from i18n.money import format_inr  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


# --------------------------------------------------------------------------- fixtures


@pytest.fixture
async def twilio(aiohttp_server):
    stand_in = TwilioStandIn()
    server = await aiohttp_server(stand_in.make_app())
    stand_in.url = str(server.make_url("/")).rstrip("/")
    return stand_in


def sms_settings(twilio: TwilioStandIn, **overrides) -> dict:
    return {"twilio_account_sid": ACCOUNT_SID, "twilio_auth_token": AUTH_TOKEN, "twilio_from": TWILIO_FROM,
            "twilio_api_url": twilio.url, "public_url": PUBLIC_URL, **overrides}


@pytest.fixture
async def sms_gateway(gateway, twilio):
    async def start(**overrides):
        client = await gateway(**sms_settings(twilio, **overrides))
        client.app[SMS].rest.retry_base_s = 0.01  # the real backoff is 0.5 s, 1 s, 2 s
        return client

    return start


async def settle(client) -> None:
    """Wait until every turn and reply in flight has gone out."""
    await client.app[LOOP].drain()
    await client.app[SMS].drain()


async def say_sms(client, twilio: TwilioStandIn, text: str, sender: str = RAJESH) -> list[str]:
    """Text the bank from `sender`; the replies the stand-in captured for it."""
    before = len(twilio.bodies_to(sender))
    resp = await post_signed(client, "/sms/twilio", inbound_params(text, sender=sender))
    assert resp.status == 200, await resp.text()
    await settle(client)
    return twilio.bodies_to(sender)[before:]


def all_counts(data_dir: Path) -> dict[str, int]:
    counts = table_counts(data_dir)
    with sqlite3.connect(data_dir / "sahayak.sqlite") as conn:
        for table in ("opt_outs", "delivery_status"):
            counts[table] = conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
    return counts


# --------------------------------------------------------------------------- SMS text (pure)


def test_gsm7_and_ucs2_segment_limits():
    assert (encoding("Hello"), segment_count("a" * 160), segment_count("a" * 161)) == (GSM7, 1, 2)
    assert segment_count("a" * 306) == 2 and segment_count("a" * 307) == 3
    assert [len(s) for s in segments("a" * 307)] == [153, 153, 1]
    # One rupee sign or Devanagari letter makes the whole message UCS-2: 70 a segment, 67 once split.
    assert encoding("Balance ₹500") == UCS2 and encoding("नमस्ते") == UCS2
    assert segment_count("क" * 70) == 1 and segment_count("क" * 71) == 2
    assert segment_count("क" * 134) == 2 and segment_count("क" * 135) == 3
    # The GSM-7 extension table costs two septets; an emoji two UTF-16 units.
    assert length("{}€") == 6 and is_gsm7("[x]") and length("🙏") == 2


def test_an_escape_or_surrogate_pair_never_straddles_two_segments():
    text = "a" * 152 + "€" + "b" * 10
    assert [length(s) for s in segments(text)] == [152, 12]
    text = "क" * 66 + "🙏" + "ख" * 10
    assert segments(text)[0] == "क" * 66


def test_rupee_sign_and_typographic_characters_become_gsm7():
    balance = t("balance", "en", kind="savings", last4="4321", available=format_inr(Decimal("123456.78")),
                ledger=format_inr(Decimal("148456.78")))
    safe = sms_safe(balance + " \u201cquoted\u201d \u2014 it\u2019s\u00a0done\u2026")
    assert "Available balance: Rs.1,23,456.78" in safe
    assert safe.endswith('"quoted" - it\'s done...')
    assert is_gsm7(safe) and not is_gsm7(balance)


def test_long_text_is_split_on_line_then_sentence_then_word_boundaries():
    sentences = " ".join(f"Sentence number {i} says something useful." for i in range(30))
    pieces = split_to_fit(sentences, 1)
    assert len(pieces) > 1 and all(fits(p, 1) for p in pieces)
    assert all(p.endswith(".") for p in pieces[:-1])  # whole sentences
    assert " ".join(pieces) == sentences  # nothing lost
    lines = "\n".join(f"Line {i}: Rs.{i},000 credited by NEFT" for i in range(20))
    assert all(p.split("\n")[-1].endswith("NEFT") for p in split_to_fit(lines, 1))
    words = " ".join(["word"] * 100)
    assert all(p.startswith("word") and p.endswith("word") for p in split_to_fit(words, 1))
    # Hindi is UCS-2: the same budget holds far fewer characters.
    hindi = " ".join(["नमस्ते"] * 60)
    assert all(length(p) <= 70 for p in split_to_fit(hindi, 1))


def test_replies_are_packed_into_few_messages_and_cut_with_a_note_beyond_the_budget():
    bodies = plan_bodies(["Thank you, you're verified.", "Your balance is Rs.500.", "Anything else?"],
                         max_segments=4, max_messages=3, note="(more in the app)")
    assert bodies == ["Thank you, you're verified.\n\nYour balance is Rs.500.\n\nAnything else?"]
    long = " ".join(f"Transaction {i} was a payment to merchant number {i}." for i in range(100))
    bodies = plan_bodies([long], max_segments=4, max_messages=3, note="(more in the app)")
    assert len(bodies) == 3 and all(segment_count(b) <= 4 for b in bodies)
    assert bodies[-1].endswith(".\n(more in the app)")
    assert "Transaction 0 " in bodies[0] and "Transaction 99 " not in "".join(bodies)
    # The budget when the reply is Hindi: 4 UCS-2 segments are 268 characters.
    hindi = plan_bodies(["यह एक लंबा संदेश है। " * 60], max_segments=4, max_messages=1, note="(बाकी ऐप में)")
    assert len(hindi) == 1 and segment_count(hindi[0]) <= 4 and hindi[0].endswith("है।\n(बाकी ऐप में)")


def test_romanized_hindi_reads_like_sms_hindi_and_is_gsm7():
    balance = t("balance", "hi", kind=t("account_kind_savings", "hi"), last4="4321",
                available=format_inr(Decimal("123456.78"), "hi"), ledger=format_inr(Decimal("148456.78"), "hi"))
    assert sms_safe(balance, romanize_hindi=True) == (
        "aapka bachat khata (antim ank 4321):\nuplabdh shesh rashi: Rs.1,23,456.78\nkul shesh rashi: Rs.1,48,456.78")
    otp = sms_safe(t("otp_sms", "hi", code="482913", bank="Sahayak Demo Bank", minutes=5), romanize_hindi=True)
    assert otp == ("Sahayak Demo Bank ke sath satyapan ke lie aapka OTP 482913 hai. 5 minat tak manya. "
                   "ise kisi ke sath sajha na karen.")
    assert is_gsm7(otp) and segment_count(otp) == 1
    # Schwa deletion where Hindi drops the vowel, not where it would jam three consonants together.
    assert romanize("नमस्ते समझना सुरक्षा धन्यवाद हैं संपर्क ज्ञान") == (
        "namaste samajhna suraksha dhanyavad hain sampark gyan")
    assert romanize("१२३।") == "123."
    assert sms_safe("नमस्ते") == "नमस्ते"  # only when asked


def test_keywords_are_whole_messages_any_case():
    assert [keyword_of(w) for w in ("STOP", "stop", " Stop. ", "unsubscribe", "Cancel", "end", "QUIT",
                                    "stopall")] == ["stop"] * 8
    assert [keyword_of(w) for w in ("start", "YES", "unstop")] == ["start"] * 3
    assert [keyword_of(w) for w in ("help", "INFO")] == ["help"] * 2
    assert keyword_of("please stop") is None and keyword_of("stop my card") is None


def test_render_leaves_sms_a_numbered_list_and_pieces_of_one_message():
    parts = render(OutboundMessage("x " * 700, ("Check balance", "Talk to an agent")), SmsChannel.capabilities)
    assert all(len(p.text) <= 612 and not p.buttons for p in parts)
    assert parts[-1].text.endswith("1. Check balance\n2. Talk to an agent")


# --------------------------------------------------------------------------- settings


def test_partly_configured_twilio_stops_start_up_naming_the_missing_settings(tmp_path):
    with pytest.raises(SettingsError) as e:
        load_settings({"SAHAYAK_DEMO": "1", "SAHAYAK_TWILIO_ACCOUNT_SID": ACCOUNT_SID,
                       "SAHAYAK_PUBLIC_URL": PUBLIC_URL})
    assert "SAHAYAK_TWILIO_AUTH_TOKEN" in str(e.value) and "SAHAYAK_TWILIO_FROM" in str(e.value)
    assert "SAHAYAK_TWILIO_ACCOUNT_SID" not in str(e.value)
    with pytest.raises(SettingsError, match="SAHAYAK_PUBLIC_URL"):
        load_settings({"SAHAYAK_DEMO": "1", "SAHAYAK_TWILIO_ACCOUNT_SID": ACCOUNT_SID,
                       "SAHAYAK_TWILIO_AUTH_TOKEN": AUTH_TOKEN, "SAHAYAK_TWILIO_FROM": TWILIO_FROM})
    run = subprocess.run([sys.executable, "gateway.py", "check-config"], cwd=ROOT, capture_output=True, text=True,
                         env={"SAHAYAK_DEMO": "true", "SAHAYAK_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin",
                              "SAHAYAK_TWILIO_AUTH_TOKEN": AUTH_TOKEN}, timeout=60)
    assert run.returncode == 2
    assert "SMS channel is partly configured" in run.stderr
    assert "SAHAYAK_TWILIO_ACCOUNT_SID" in run.stderr and "SAHAYAK_TWILIO_FROM" in run.stderr


@pytest.mark.parametrize("field, value, message", [
    ("twilio_account_sid", "AC123", "SAHAYAK_TWILIO_ACCOUNT_SID"),
    ("twilio_from", "SahayakBank", "SAHAYAK_TWILIO_FROM"),
    ("public_url", "sahayak.bank.example", "SAHAYAK_PUBLIC_URL"),
])
async def test_badly_shaped_twilio_settings_stop_start_up(gateway, twilio, field, value, message):
    with pytest.raises(SettingsError, match=message):
        await gateway(**sms_settings(twilio, **{field: value}))


async def test_without_twilio_settings_the_channel_is_off(gateway):
    client = await gateway()
    assert "sms" not in client.app[CHANNELS]
    resp = await client.post("/sms/twilio", data="Body=hi")
    assert resp.status == 404


# --------------------------------------------------------------------------- webhook security


async def test_missing_or_forged_signature_is_refused_and_nothing_is_stored(sms_gateway, twilio, make_settings):
    client = await sms_gateway()
    data_dir = make_settings().data_dir
    before = all_counts(data_dir)
    params = inbound_params("balance")
    body = "&".join(f"{k}={v}" for k, v in params.items()).replace("+", "%2B")
    resp = await client.post("/sms/twilio", data=body, headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert resp.status == 403 and (await resp.json())["error"] == "missing_signature"
    resp = await post_signed(client, "/sms/twilio", params, token="not-the-auth-token")
    assert resp.status == 403 and (await resp.json())["error"] == "forged_signature"
    # Signed, then tampered with on the way: another sender, another text.
    good = sign(PUBLIC_URL + "/sms/twilio", params)
    for tampered in ({**params, "From": "+919999999999"}, {**params, "Body": "recent transactions"}):
        resp = await post_signed(client, "/sms/twilio", tampered, headers={"X-Twilio-Signature": good})
        assert resp.status == 403
    resp = await post_signed(client, "/sms/twilio/status", status_params(new_sid(), "delivered"),
                             token="not-the-auth-token")
    assert resp.status == 403
    await settle(client)
    assert all_counts(data_dir) == before
    assert twilio.attempts == []


async def test_a_signature_for_another_account_is_refused(sms_gateway, twilio, make_settings):
    client = await sms_gateway()
    before = all_counts(make_settings().data_dir)
    other = "AC" + "f" * 32
    resp = await post_signed(client, "/sms/twilio", inbound_params("balance", account_sid=other))
    assert resp.status == 403 and (await resp.json())["error"] == "wrong_account"
    resp = await post_signed(client, "/sms/twilio/status", status_params(new_sid(), "sent", account_sid=other))
    assert resp.status == 403
    assert all_counts(make_settings().data_dir) == before


async def test_only_the_configured_public_url_is_signed_never_host_or_forwarded_headers(sms_gateway, twilio):
    client = await sms_gateway()
    forwarded = {"Host": "attacker.example", "X-Forwarded-Host": "attacker.example",
                 "X-Forwarded-Proto": "http", "X-Forwarded-Port": "8443"}
    # Signed over the public URL, arriving through a proxy with other headers: verified.
    resp = await post_signed(client, "/sms/twilio", inbound_params("hi"), headers=forwarded)
    assert resp.status == 200 and await resp.text() == TWIML
    assert resp.headers["Content-Type"].startswith("text/xml")
    # Signed over the URL the forwarded headers describe: refused.
    resp = await post_signed(client, "/sms/twilio", inbound_params("hi"),
                             signed_url="http://attacker.example:8443/sms/twilio", headers=forwarded)
    assert resp.status == 403
    # Nor the address the gateway itself listens on.
    resp = await post_signed(client, "/sms/twilio", inbound_params("hi"),
                             signed_url=str(client.make_url("/sms/twilio")))
    assert resp.status == 403
    await settle(client)
    assert len(twilio.messages) == 1


async def test_the_query_string_is_part_of_the_signed_url(sms_gateway, twilio):
    client = await sms_gateway()
    resp = await post_signed(client, "/sms/twilio", inbound_params("hi"), query="region=north&v=2")
    assert resp.status == 200
    # The same signature presented without the query string (or with another one) is refused.
    params = inbound_params("hi")
    signature = sign(PUBLIC_URL + "/sms/twilio?region=north", params)
    resp = await post_signed(client, "/sms/twilio", params, query="region=south",
                             headers={"X-Twilio-Signature": signature})
    assert resp.status == 403


async def test_hmac_sha256_signatures_named_in_the_settings_header_verify(sms_gateway, twilio):
    from twilio.request_validator import RequestValidator

    client = await sms_gateway()
    params = inbound_params("hi")
    signature = RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC_URL + "/sms/twilio", params, "HMAC_SHA256")
    resp = await post_signed(client, "/sms/twilio", params, headers={
        "X-Twilio-Signature": signature, "X-Twilio-Webhooks-Signature-Settings": "algorithm=HMAC_SHA256"})
    assert resp.status == 200
    # A SHA-1 signature cannot be passed off by naming an algorithm the validator does not know.
    resp = await post_signed(client, "/sms/twilio", inbound_params("hi"),
                             headers={"X-Twilio-Webhooks-Signature-Settings": "algorithm=NONE"})
    assert resp.status == 403


async def test_malformed_payloads_get_a_clear_error_and_nothing_is_stored(sms_gateway, twilio, make_settings):
    client = await sms_gateway()
    data_dir = make_settings().data_dir
    before = all_counts(data_dir)
    cases = {
        "missing_message_sid": {k: v for k, v in inbound_params("hi").items() if k != "MessageSid"},
        "missing_from": {k: v for k, v in inbound_params("hi").items() if k != "From"},
        "missing_body": {k: v for k, v in inbound_params("hi").items() if k != "Body"},
        "invalid_message_sid": {**inbound_params("hi"), "MessageSid": "SM123"},
        "invalid_from": inbound_params("hi", sender="98123 45678"),
        "invalid_num_media": {**inbound_params("hi"), "NumMedia": "eleven"},
        "missing_media_url": {**inbound_params("hi"), "NumMedia": "1"},
    }
    for error, params in cases.items():
        resp = await post_signed(client, "/sms/twilio", params)
        assert resp.status == 400, error
        assert (await resp.json())["error"] == error
    resp = await post_signed(client, "/sms/twilio", inbound_params("x" * 1601))
    assert resp.status == 413
    params = inbound_params("hi")
    resp = await client.post("/sms/twilio", json=params,
                             headers={"X-Twilio-Signature": sign(PUBLIC_URL + "/sms/twilio", params)})
    assert resp.status == 415
    resp = await post_signed(client, "/sms/twilio/status", {**status_params(new_sid(), "delivered"),
                                                            "MessageStatus": "teleported", "SmsStatus": "teleported"})
    assert resp.status == 400 and (await resp.json())["error"] == "unknown_status"
    resp = await post_signed(client, "/sms/twilio/status", status_params("SMnope", "delivered"))
    assert resp.status == 400
    await settle(client)
    assert all_counts(data_dir) == before and twilio.attempts == []


async def test_an_empty_sms_is_acknowledged_and_nothing_is_answered(sms_gateway, twilio, make_settings):
    client = await sms_gateway()
    before = all_counts(make_settings().data_dir)
    resp = await post_signed(client, "/sms/twilio", inbound_params("   "))
    assert resp.status == 200 and await resp.text() == TWIML
    await settle(client)
    assert all_counts(make_settings().data_dir) == before and twilio.messages == []


async def test_recorded_webhooks_parse(sms_gateway, twilio):
    from multidict import MultiDict
    from urllib.parse import parse_qsl

    client = await sms_gateway()
    channel = client.app[SMS]
    parsed = {name: channel.parse(MultiDict(parse_qsl(body, keep_blank_values=True)))
              for name, body in RECORDED_INBOUND.items()}
    assert parsed["text"].text == "What is my balance?" and parsed["text"].conversation == RAJESH
    assert parsed["hindi"].text == "मेरा बैलेंस बताइए 🙏"
    assert parsed["mms"].text == "" and parsed["mms"].attachments[0].kind == "image"
    # And a recorded body verifies byte for byte when posted with Twilio's signature.
    body = RECORDED_INBOUND["hindi"]
    signature = sign(PUBLIC_URL + "/sms/twilio", dict(parse_qsl(body, keep_blank_values=True)))
    resp = await client.post("/sms/twilio", data=body.encode(), headers={
        "Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature})
    assert resp.status == 200


# --------------------------------------------------------------------------- conversation


async def test_twenty_concurrent_duplicate_deliveries_get_one_reply(sms_gateway, twilio, make_settings):
    client = await sms_gateway()
    params = inbound_params("hello")
    responses = await asyncio.gather(*(post_signed(client, "/sms/twilio", params) for _ in range(20)))
    assert [r.status for r in responses] == [200] * 20
    await settle(client)
    await asyncio.sleep(0.2)
    await settle(client)
    assert len(twilio.messages) == 1
    reply = twilio.messages[0]
    assert reply["To"] == RAJESH and reply["From"] == TWILIO_FROM
    assert reply["StatusCallback"] == PUBLIC_URL + "/sms/twilio/status"
    assert "Sahayak" in reply["Body"] and "1. Check balance" in reply["Body"]
    assert twilio.attempts[0].auth == (ACCOUNT_SID, AUTH_TOKEN)
    assert all_counts(make_settings().data_dir)["audit"] == 1


async def test_duplicates_are_one_turn_on_postgres_and_redis_too(aiohttp_client, make_settings, twilio,
                                                                  postgres_url, redis_prefix):
    from gateway import create_app

    settings = make_settings(postgres_url=postgres_url, redis_url=REDIS_URL, redis_prefix=redis_prefix,
                             **sms_settings(twilio))
    client = await aiohttp_client(create_app(settings))
    params = inbound_params("hello")
    responses = await asyncio.gather(*(post_signed(client, "/sms/twilio", params) for _ in range(20)))
    assert [r.status for r in responses] == [200] * 20
    stop = inbound_params("STOP", sender="+919876500001")
    await asyncio.gather(*(post_signed(client, "/sms/twilio", stop) for _ in range(5)))
    await settle(client)
    assert len(twilio.bodies_to(RAJESH)) == 1 and len(twilio.bodies_to("+919876500001")) == 1
    assert await client.app[STORES].opt_outs.is_opted_out("sms", "+919876500001")
    assert await client.app[STORES].deliveries.status("sms", twilio.messages[0]["sid"]) == "queued"


async def test_a_picture_without_text_gets_the_menu(sms_gateway, twilio):
    client = await sms_gateway()
    params = {**inbound_params("", sid=new_sid("MM")), "NumMedia": "1", "MediaContentType0": "image/jpeg",
              "MediaUrl0": f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/x/Media/y"}
    resp = await post_signed(client, "/sms/twilio", params)
    assert resp.status == 200
    await settle(client)
    assert "1. Check balance" in twilio.bodies_to(RAJESH)[0]


async def test_balance_conversation_over_sms(sms_gateway, twilio):
    client = await sms_gateway()
    replies = await say_sms(client, twilio, "balance")
    assert len(replies) == 1 and "6-digit OTP" in replies[0]
    assert "1. Resend OTP" in replies[0]
    code = await latest_otp(client, RAJESH)  # demo mode: the OTP is in the demo outbox
    replies = await say_sms(client, twilio, code)
    text = "\n".join(replies)
    assert "you're verified" in text
    assert "Available balance: Rs." in text and "is on hold" in text
    assert "₹" not in text and all(is_gsm7(r) for r in replies)
    assert all(segment_count(r) <= 4 for r in replies) and len(replies) <= 3
    # The same customer on the web is not authenticated by the SMS conversation.
    session = await new_session(client)
    assert "verify you first" in texts(await say(client, session, "balance"))


async def test_stop_then_nothing_is_sent_until_start(sms_gateway, twilio, make_settings):
    client = await sms_gateway()
    stop = inbound_params("Stop")
    responses = await asyncio.gather(*(post_signed(client, "/sms/twilio", stop) for _ in range(5)))
    assert [r.status for r in responses] == [200] * 5
    await settle(client)
    assert twilio.bodies_to(RAJESH) == [
        "Sahayak Demo Bank: you will get no more SMS from this number, including OTPs. Reply START to resume."]
    assert await client.app[STORES].opt_outs.is_opted_out("sms", RAJESH)
    # Anything after STOP is answered with nothing: not the agent's replies, not an OTP.
    assert await say_sms(client, twilio, "hello") == []
    assert await say_sms(client, twilio, "balance") == []
    await client.app[SMS].notify(RAJESH, "482913 is your OTP")
    assert len(twilio.messages) == 1
    # Another number is unaffected.
    assert await say_sms(client, twilio, "hello", sender="+919876500001")
    # START: confirmed, and sending resumes where the conversation is (the withheld "balance" turn
    # issued a code, which the demo outbox shows).
    assert await say_sms(client, twilio, "START") == [
        "Sahayak Demo Bank: SMS from this number resumed. Reply HELP for help, STOP to stop."]
    assert "Available balance" in "\n".join(await say_sms(client, twilio, await latest_otp(client, RAJESH)))
    # A late redelivery of the old STOP does not opt the customer out again.
    resp = await post_signed(client, "/sms/twilio", stop)
    assert resp.status == 200
    assert not await client.app[STORES].opt_outs.is_opted_out("sms", RAJESH)
    # The keywords are on the audit trail; they never reached the agent.
    records = await client.app[STORES].audit.for_conversation("sms:" + RAJESH)
    intents = [r.intent for r in sorted(records, key=lambda r: r.at)]
    assert intents[0] == "sms_stop" and "sms_start" in intents and intents.count("sms_stop") == 1


async def test_help_names_the_bank_and_reaches_even_an_opted_out_number(sms_gateway, twilio):
    client = await sms_gateway()
    (reply,) = await say_sms(client, twilio, "help")
    assert reply.startswith("Sahayak Demo Bank:") and "STOP" in reply and "START" in reply
    assert segment_count(reply) == 1
    await say_sms(client, twilio, "UNSUBSCRIBE")
    assert len(await say_sms(client, twilio, "INFO")) == 1


async def test_a_stop_twilio_handled_itself_is_remembered(sms_gateway, twilio):
    client = await sms_gateway()
    twilio.unsubscribed.add(RAJESH)  # Twilio answers 21610: the customer sent STOP to Twilio directly
    assert await say_sms(client, twilio, "hello") == []
    assert await client.app[STORES].opt_outs.is_opted_out("sms", RAJESH)
    assert [a.status for a in twilio.attempts] == [400]  # not retried


async def test_status_callbacks_are_recorded_forward_only(sms_gateway, twilio):
    client = await sms_gateway()
    await say_sms(client, twilio, "hello")
    sid = twilio.messages[0]["sid"]
    deliveries = client.app[STORES].deliveries
    assert await deliveries.status("sms", sid) == "queued"  # from the REST answer
    for status in ("sending", "sent", "delivered", "sent", "queued"):  # the last two arrive late
        resp = await post_signed(client, "/sms/twilio/status", status_params(sid, status))
        assert resp.status == 204
    assert await deliveries.status("sms", sid) == "delivered"
    # A failure with its error code; a later "failed" never overrides "delivered" either.
    other = new_sid()
    await post_signed(client, "/sms/twilio/status", status_params(other, "sent"))
    await post_signed(client, "/sms/twilio/status", status_params(other, "undelivered", error_code="30003"))
    assert await deliveries.status("sms", other) == "undelivered"
    resp = await post_signed(client, "/sms/twilio/status", status_params(sid, "failed", error_code="30007"))
    assert resp.status == 204 and await deliveries.status("sms", sid) == "delivered"
    # A status for an inbound message is nothing of ours.
    resp = await post_signed(client, "/sms/twilio/status", status_params(new_sid(), "received"))
    assert resp.status == 204


async def test_a_long_reply_is_split_into_at_most_three_messages_of_four_segments(sms_gateway, twilio):
    client = await sms_gateway()
    channel = client.app[SMS]
    text = "\n".join(f"12 Mar  UPI/PAYTM/merchant {i}  -₹{i},250.00" for i in range(60))
    rendered = [p for p in render(OutboundMessage(text, ("Check balance",)), channel.capabilities)]
    assert len(rendered) > 1
    await channel.send(RAJESH, rendered)
    bodies = twilio.bodies_to(RAJESH)
    assert len(bodies) == 3 and all(segment_count(b) <= 4 and is_gsm7(b) for b in bodies)
    assert bodies[0].startswith("12 Mar  UPI/PAYTM/merchant 0  -Rs.0,250.00\n")
    assert bodies[-1].endswith("\n(Reply shortened: see the rest in our app or on our website.)")
    assert all(line.endswith(".00") for b in bodies for line in b.split("\n")[:-1] if line.startswith("12 Mar"))


async def test_hindi_is_romanized_when_the_setting_is_on(sms_gateway, twilio):
    client = await sms_gateway(sms_romanize_hindi=True)
    (reply,) = await say_sms(client, twilio, "नमस्ते")
    assert reply.startswith("namaste! main sahayak hun, sahayak demo baink ka aapka sahayak.")
    assert is_gsm7(reply) and "1. bailens dekhen" in reply


async def test_hindi_goes_as_unicode_when_the_setting_is_off(sms_gateway, twilio):
    client = await sms_gateway()
    (reply,) = await say_sms(client, twilio, "नमस्ते")
    assert reply.startswith("नमस्ते! मैं सहायक हूँ") and encoding(reply) == UCS2 and segment_count(reply) <= 4


async def test_a_send_retried_after_503_is_delivered_once(sms_gateway, twilio):
    client = await sms_gateway()
    twilio.fail_next = [503]
    await client.app[SMS].send(RAJESH, [Rendered("Your request is being processed.")])
    assert [a.status for a in twilio.attempts] == [503, 201]
    assert twilio.bodies_to(RAJESH) == ["Your request is being processed."]
    twilio.fail_next = [429, 500, 502]
    await client.app[SMS].send(RAJESH, [Rendered("Second.")])
    assert [a.status for a in twilio.attempts][2:] == [429, 500, 502, 201]


async def test_retries_are_bounded_and_a_client_error_is_not_retried(sms_gateway, twilio):
    from aiohttp import encode_basic_auth

    from channels.sms import TwilioError

    client = await sms_gateway()
    channel = client.app[SMS]
    twilio.fail_next = [503] * 10
    with pytest.raises(TwilioError) as e:
        await channel.send(RAJESH, [Rendered("hello")])
    assert e.value.status == 503 and len(twilio.attempts) == 4
    twilio.fail_next = []
    channel.rest._headers = {"Authorization": encode_basic_auth(ACCOUNT_SID, "wrong-token")}
    with pytest.raises(TwilioError) as e:
        await channel.send(RAJESH, [Rendered("hello")])
    assert (e.value.status, e.value.code) == (401, 20003) and len(twilio.attempts) == 5


async def test_a_turn_whose_reply_cannot_be_sent_is_still_recorded(sms_gateway, twilio, make_settings):
    client = await sms_gateway()
    twilio.fail_next = [500] * 4
    assert await say_sms(client, twilio, "hello") == []
    counts = all_counts(make_settings().data_dir)
    assert counts["audit"] == 1 and counts["inbox"] == 1


# --------------------------------------------------------------------------- outside demo mode


@pytest.fixture
async def bank_api(aiohttp_server, tmp_path):
    bank = await DemoBank.open(tmp_path / "cbs.sqlite")
    try:
        yield await aiohttp_server(make_bank_app(bank))
    finally:
        await bank.close()


async def test_outside_demo_mode_the_otp_goes_out_by_sms_and_respects_stop(aiohttp_client, make_settings,
                                                                          twilio, bank_api):
    from gateway import create_app

    settings = make_settings(demo=False, secret_key="s" * 40, core_banking_url=str(bank_api.make_url(PREFIX)),
                             core_banking_auth_header=f"{AUTH[0]}: {AUTH[1]}", **sms_settings(twilio),
                             secure_link_base="https://netbanking.bank.example/secure/")
    client = await aiohttp_client(create_app(settings))
    client.app[SMS].rest.retry_base_s = 0.01
    replies = await say_sms(client, twilio, "balance")
    # Two messages to Rajesh: the OTP (through the notifier), then the turn's reply.
    assert len(replies) == 2
    code = re.search(r"\b(\d{6})\b", replies[0]).group(1)
    # In Rajesh's preferred language (Hindi), so UCS-2 unless romanized: still one segment.
    assert "आपका OTP" in replies[0] and segment_count(replies[0]) <= 2 and "6-digit OTP" in replies[1]
    text = "\n".join(await say_sms(client, twilio, code))
    assert "Available balance: Rs." in text
    # The web chat's OTP goes to the registered mobile by SMS too.
    session = await new_session(client)
    await say(client, session, "balance")
    reply = texts(await say(client, session, "9812345678"))
    await settle(client)
    assert "6-digit OTP" in reply and "आपका OTP" in twilio.bodies_to(RAJESH)[-1]
    # After STOP no OTP is sent, and the chat's answer is the same as for an unknown number.
    await say_sms(client, twilio, "STOP")
    sent = len(twilio.messages)
    session = await new_session(client)
    await say(client, session, "balance")
    reply = texts(await say(client, session, "9812345678"))
    assert "If that matches our records" in reply
    await settle(client)
    assert len(twilio.messages) == sent


async def test_help_follows_a_reloaded_bank_name(sms_gateway, twilio, tmp_path):
    """What the channel says on its own reads the served persona at send time, so a reload reaches it."""
    import shutil

    from bot.settings import PACKAGE_PERSONALITIES

    directory = tmp_path / "personalities"
    shutil.copytree(PACKAGE_PERSONALITIES, directory, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    client = await sms_gateway(personalities_dir=directory)
    (before,) = await say_sms(client, twilio, "help")
    assert before.startswith("Sahayak Demo Bank:")
    path = directory / "general.yaml"
    path.write_text(path.read_text().replace("bank_name: Sahayak Demo Bank", "bank_name: Apna Gramin Bank"))
    await client.app[PERSONAS].reload()
    (after,) = await say_sms(client, twilio, "help")
    assert after.startswith("Apna Gramin Bank:")
