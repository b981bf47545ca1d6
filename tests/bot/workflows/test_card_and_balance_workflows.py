"""Card services and balance/statement workflows end to end, through the real gateway in demo mode.

What a scripted conversation (tests/conversations/cards_*.yaml, balance_*.yaml) cannot see is checked
here: the card's state in the demo bank, the SMS and email bodies in the demo outbox, the cases table
and the per-turn audit record (which tools ran in which turn). WhatsApp and SMS are driven through the
channel stand-ins in tests/channels (Meta's Graph API, Twilio's REST API)."""

from __future__ import annotations

import json
import re
import sqlite3
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "channels"))
from graph_api_stand_in import start as start_graph_api  # noqa: E402
from twilio_stand_in import ACCOUNT_SID, AUTH_TOKEN, PUBLIC_URL, TWILIO_FROM, TwilioStandIn  # noqa: E402
from twilio_stand_in import inbound_params  # noqa: E402
from twilio_stand_in import post_signed as post_twilio  # noqa: E402
from web_chat import latest_otp, new_session, say, texts  # noqa: E402

from bot.appkeys import BANK, CHANNELS, LOOP, SETTINGS, STORES  # noqa: E402
from bot.notify import NotifierUnavailable  # noqa: E402
from channels.whatsapp_wire import sign as sign_meta  # noqa: E402
from i18n.catalog import t  # noqa: E402
from i18n.money import format_inr  # noqa: E402

RAJESH, RAJESH_ID, RAJESH_DOB = "+919812345678", "CUST_789123", "12-03-1984"
GURPREET, GURPREET_ID = "+919815099001", "CUST_100109"  # debit 4536 blocked by the customer (lost)
MEERA, MEERA_ID = "+919880100112", "CUST_100110"  # both cards blocked by the bank (fraud review)
PRIYA, PRIYA_ID = "+919820011223", "CUST_100101"  # no blocked card
SANDEEP_ID = "CUST_100105"
UNKNOWN_MOBILE = "+919000000001"
SECURE_URL = re.compile(r"https?://\S+/demo/secure/([A-Za-z0-9_-]{43})")
REFERENCE = re.compile(r"\b(?:ESC|DSP|FRD|CAS)-\d{8}-[A-Z][0-9A-Z]{5}\b")


# ----------------------------------------------------------------------------------------- helpers


def conversation_of(session: str) -> str:
    return "web:" + session.split(".", 1)[0]


async def card_states(client, customer_id: str) -> dict[str, str]:
    return {c.last4: c.status for c in await client.app[BANK].list_cards(customer_id)}


async def outbox(client, to: str, kind: str | None = None) -> list[dict]:
    """Newest first, as the demo outbox page shows them."""
    return [m for m in await client.app[STORES].outbox.read(to, limit=50) if kind is None or m["kind"] == kind]


async def audit(client, conversation: str):
    return await client.app[STORES].audit.for_conversation(conversation)


async def chat(client, session: str, *lines: str) -> list[list[dict]]:
    """Say each line in turn (a `{otp:+91...}` line is replaced by the newest code for that mobile)."""
    out = []
    for line in lines:
        if line.startswith("{otp:"):
            line = await latest_otp(client, line[5:-1])
        out.append(await say(client, session, line))
    return out


async def verified(client, session: str, request: str, mobile: str) -> str:
    """Ask for `request`, identify by `mobile`, type the OTP; the text of the verified turn's replies."""
    replies = await chat(client, session, request, mobile, f"{{otp:{mobile}}}")
    assert "6-digit OTP" in texts(replies[1])
    assert "you're verified" in texts(replies[2])
    return texts(replies[2])


def tools_of(record) -> list[str]:
    return list(record.tools)


# --------------------------------------------------------------------------------- block on the web


async def test_block_on_web_needs_dob_then_a_confirm_and_blocks_in_a_later_turn(gateway):
    client = await gateway()
    session = await new_session(client)
    ask, identity, dob, pick = await chat(client, session, "I lost my card, please block it", "98123 45678",
                                          RAJESH_DOB, "debit card ending 3056")
    assert "registered mobile number or your customer ID" in texts(ask)
    assert "date of birth" in texts(identity) and "OTP" not in texts(identity)
    assert "Which card should I block?" in texts(dob)
    assert "Block your debit card ending 3056 (RuPay) now?" in texts(pick)
    assert pick[-1]["buttons"] == ["Yes", "No"]
    # The question is asked; nothing has happened yet.
    assert await card_states(client, RAJESH_ID) == {"3056": "active", "9012": "active"}
    assert await outbox(client, RAJESH) == []  # a light check sends nothing (no OTP either)
    records = await audit(client, conversation_of(session))
    assert len(records) == 4
    assert not any("core.block_card" in tools_of(r) or "confirm.yes" in tools_of(r) for r in records)
    assert records[-1].outcome == "confirm"
    # The security answer is never written to the audit trail in clear.
    assert records[2].text == "[security answer]" and "1984" not in json.dumps([r.text for r in records])

    done = await say(client, session, "yes")
    assert "Done: your card ending 3056 is blocked" in texts(done)
    assert "confirmation SMS is on its way to your registered mobile" in texts(done)
    assert await card_states(client, RAJESH_ID) == {"3056": "blocked", "9012": "active"}
    sms = await outbox(client, RAJESH, "sms")
    assert len(sms) == 1
    assert sms[0]["body"] == ("Sahayak Demo Bank: your debit card ending 3056 was blocked at your request in chat. "
                              "If this wasn't you, call the bank now.")
    last = (await audit(client, conversation_of(session)))[-1]
    tools = tools_of(last)
    assert {"confirm.yes", "core.block_card", "notify.sms"} <= set(tools)
    assert tools.index("confirm.yes") < tools.index("core.block_card") < tools.index("notify.sms")
    assert last.intent != "block_card"  # the "yes" turn is an answer, not a new request

    # Blocked by a light check; lifting it needs full verification (an OTP), never the DOB again.
    again = await say(client, session, "unblock my card")
    assert "6-digit OTP" in texts(again) and "date of birth" not in texts(again)
    assert await card_states(client, RAJESH_ID) == {"3056": "blocked", "9012": "active"}


async def test_a_block_whose_confirmation_sms_fails_says_so_instead_of_promising_it(gateway, monkeypatch):
    client = await gateway()
    session = await new_session(client)
    await chat(client, session, "I lost my card, please block it", "98123 45678", RAJESH_DOB, "debit card ending 3056")

    async def refused(to: str, body: str) -> None:
        raise NotifierUnavailable("the SMS provider refused the message")

    monkeypatch.setattr(client.app[STORES].outbox, "send_sms", refused)
    done = texts(await say(client, session, "yes"))
    assert "Done: your card ending 3056 is blocked" in done  # the block itself stands
    assert "on its way" not in done and "couldn't send the confirmation SMS" in done
    assert await card_states(client, RAJESH_ID) == {"3056": "blocked", "9012": "active"}
    tools = tools_of((await audit(client, conversation_of(session)))[-1])
    assert "core.block_card" in tools and "notify.failed" in tools


async def test_no_at_the_block_confirm_changes_nothing(gateway):
    client = await gateway()
    session = await new_session(client)
    replies = await chat(client, session, "block my card", RAJESH_ID, "12/03/1984", "2", "No")
    assert "Block your credit card ending 9012 (Visa) now?" in texts(replies[3])
    assert texts(replies[4]) == "OK, I haven't changed anything."
    assert await card_states(client, RAJESH_ID) == {"3056": "active", "9012": "active"}
    assert await outbox(client, RAJESH) == []
    records = await audit(client, conversation_of(session))
    assert not any({"core.block_card", "confirm.yes", "notify.sms"} & set(tools_of(r)) for r in records)
    assert await client.app[STORES].cases.for_conversation(conversation_of(session)) == []


def _normalised(turns: list[list[dict]]) -> list[list[tuple[str, tuple]]]:
    return [[(REFERENCE.sub("<ref>", r["text"]), tuple(r.get("buttons") or ())) for r in t] for t in turns]


async def test_wrong_dob_twice_escalates_and_an_unknown_mobile_reads_exactly_the_same(gateway):
    client = await gateway()
    known, unknown = await new_session(client), await new_session(client)
    lines = ("block my card", "{id}", "01-01-1990", "02-02-1991", "12-03-1984")
    known_turns = await chat(client, known, *(x.replace("{id}", "98123 45678") for x in lines))
    unknown_turns = await chat(client, unknown, *(x.replace("{id}", "90000 00001") for x in lines))

    assert "That doesn't match our records" in texts(known_turns[2])
    assert "I couldn't verify you that way." in texts(known_turns[3])
    assert "with our customer care team" in texts(known_turns[4])  # even the right DOB is too late now
    # No enumeration: a registered and an unregistered mobile get the same words and buttons.
    assert _normalised(known_turns) == _normalised(unknown_turns)

    assert await card_states(client, RAJESH_ID) == {"3056": "active", "9012": "active"}
    assert await outbox(client, RAJESH) == [] and await outbox(client, UNKNOWN_MOBILE) == []
    for session, turns in ((known, known_turns), (unknown, unknown_turns)):
        cases = await client.app[STORES].cases.for_conversation(conversation_of(session))
        assert [(c.kind, c.reason) for c in cases] == [("escalation", "verification_failed")]
        assert cases[0].reference in texts(turns[3])
        assert "1990" not in cases[0].summary and "1991" not in cases[0].summary  # answers never in clear
        records = await audit(client, conversation_of(session))
        assert not any("core.block_card" in tools_of(r) or "core.list_cards" in tools_of(r) for r in records)


# ------------------------------------------------------------------------ block on WhatsApp and SMS

WA_APP_SECRET = "3f9c1e7a2b8d4f60a5c7e9b1d3f5a7c9"
WA_ACCESS_TOKEN = "EAAGtestAccessToken0123456789"
WA_PHONE_NUMBER_ID = "106540352242922"
WA_FIXTURE = Path(__file__).resolve().parents[2] / "channels" / "fixtures" / "whatsapp" / "text.json"


def _wa_text(text: str, message_id: str, sender: str = RAJESH) -> bytes:
    payload = json.loads(WA_FIXTURE.read_text(encoding="utf-8"))
    value = payload["entry"][0]["changes"][0]["value"]
    value["contacts"][0]["wa_id"] = value["messages"][0]["from"] = sender.lstrip("+")
    message = value["messages"][0]
    message.update(id=message_id, timestamp=str(int(time.time())))
    message["text"]["body"] = text
    return json.dumps(payload, separators=(",", ":")).encode()


async def test_block_on_whatsapp_the_registered_sender_is_enough_but_a_confirm_is_still_asked(
        aiohttp_server, gateway):
    graph = await start_graph_api(aiohttp_server, WA_ACCESS_TOKEN, WA_PHONE_NUMBER_ID)
    client = await gateway(whatsapp_verify_token="verify-7Qm2", whatsapp_app_secret=WA_APP_SECRET,
                           whatsapp_access_token=WA_ACCESS_TOKEN, whatsapp_phone_number_id=WA_PHONE_NUMBER_ID,
                           whatsapp_api_url=graph.url)
    whatsapp = client.app[CHANNELS]["whatsapp"]

    async def send(text: str, n: int) -> list[dict]:
        before = len(graph.sent)
        body = _wa_text(text, f"wamid.cards-{n}")
        resp = await client.post("/whatsapp/webhook", data=body, headers={
            "Content-Type": "application/json", "X-Hub-Signature-256": sign_meta(WA_APP_SECRET.encode(), body)})
        assert resp.status == 200
        for _ in range(3):
            await client.app[LOOP].drain()
            await whatsapp.drain()
        return graph.sent[before:]

    def buttons(sent: list[dict]) -> list[str]:
        return [b["reply"]["title"] for p in sent if p["type"] == "interactive"
                for b in p["interactive"]["action"].get("buttons", [])]

    def bodies(sent: list[dict]) -> str:
        return "\n".join(p["text"]["body"] if p["type"] == "text" else p["interactive"]["body"]["text"] for p in sent)

    first = await send("block my card", 1)
    assert "Which card should I block?" in bodies(first)  # no identity, date-of-birth or OTP question
    assert not re.search(r"date of birth|OTP|mobile number", bodies(first))
    confirm = await send("debit card ending 3056", 2)
    assert "Block your debit card ending 3056 (RuPay) now?" in bodies(confirm)
    assert buttons(confirm) == ["Yes", "No"]
    assert await card_states(client, RAJESH_ID) == {"3056": "active", "9012": "active"}
    done = await send("Yes", 3)
    assert "Done: your card ending 3056 is blocked" in bodies(done)
    assert await card_states(client, RAJESH_ID) == {"3056": "blocked", "9012": "active"}
    sms = await outbox(client, RAJESH, "sms")
    assert [m["body"] for m in sms if "was blocked at your request" in m["body"]] and not any(
        "OTP" in m["body"] for m in sms)
    records = await audit(client, f"whatsapp:{RAJESH}")
    assert [("core.block_card" in tools_of(r), "confirm.yes" in tools_of(r)) for r in records] == [
        (False, False), (False, False), (True, True)]


async def test_block_over_sms_numbered_answers_and_the_sender_mobile(aiohttp_server, gateway):
    twilio = TwilioStandIn()
    server = await aiohttp_server(twilio.make_app())
    twilio.url = str(server.make_url("/")).rstrip("/")
    client = await gateway(twilio_account_sid=ACCOUNT_SID, twilio_auth_token=AUTH_TOKEN, twilio_from=TWILIO_FROM,
                           twilio_api_url=twilio.url, public_url=PUBLIC_URL)
    sms_channel = client.app[CHANNELS]["sms"]

    async def text(body: str) -> str:
        before = len(twilio.bodies_to(RAJESH))
        resp = await post_twilio(client, "/sms/twilio", inbound_params(body, sender=RAJESH))
        assert resp.status == 200
        await client.app[LOOP].drain()
        await sms_channel.drain()
        return "\n".join(twilio.bodies_to(RAJESH)[before:])

    pick = await text("block my card")
    assert "Which card should I block?" in pick and "1. debit card ending 3056" in pick
    assert "date of birth" not in pick and "OTP" not in pick
    confirm = await text("1")
    assert "Block your debit card ending 3056 (RuPay) now?" in confirm and "1. Yes" in confirm
    assert await card_states(client, RAJESH_ID) == {"3056": "active", "9012": "active"}
    done = await text("1")  # the numbered "Yes"
    assert "Done: your card ending 3056 is blocked" in done
    assert await card_states(client, RAJESH_ID) == {"3056": "blocked", "9012": "active"}
    assert any("was blocked at your request" in m["body"] for m in await outbox(client, RAJESH, "sms"))
    records = await audit(client, f"sms:{RAJESH}")
    assert "core.block_card" in tools_of(records[-1]) and "confirm.yes" in tools_of(records[-1])
    assert not any("core.block_card" in tools_of(r) for r in records[:-1])


# --------------------------------------------------------------------------------------- unblock


async def test_unblock_a_customer_blocked_card_after_otp_and_confirm(gateway):
    client = await gateway()
    session = await new_session(client)
    assert await card_states(client, GURPREET_ID) == {"4536": "blocked"}
    shown = await verified(client, session, "please unblock my card", GURPREET)
    assert "Unblock your debit card ending 4536?" in shown
    assert await card_states(client, GURPREET_ID) == {"4536": "blocked"}  # not before the "yes"
    done = await say(client, session, "yes")
    assert "Your card ending 4536 is active again" in texts(done)
    assert await card_states(client, GURPREET_ID) == {"4536": "active"}
    newest = (await outbox(client, GURPREET, "sms"))[0]["body"]
    assert newest == ("Sahayak Demo Bank: your card ending 4536 was unblocked in chat after verification. "
                      "If this wasn't you, call the bank now.")
    records = await audit(client, conversation_of(session))
    assert {"confirm.yes", "core.unblock_card", "notify.sms"} <= set(tools_of(records[-1]))
    assert not any("core.unblock_card" in tools_of(r) for r in records[:-1])


async def test_unblock_of_a_bank_blocked_card_is_refused_and_goes_to_the_cards_team(gateway):
    client = await gateway()
    session = await new_session(client)
    before = await card_states(client, MEERA_ID)
    assert before == {"8150": "blocked", "2977": "blocked"}
    shown = await verified(client, session, "unblock my card", MEERA)
    assert "Which card should I unblock?" in shown
    await chat(client, session, "8150")
    refused = texts(await say(client, session, "yes"))
    assert "blocked by the bank, not by you" in refused
    assert await card_states(client, MEERA_ID) == before
    cases = await client.app[STORES].cases.for_conversation(conversation_of(session))
    assert [(c.kind, c.team, c.reason, c.customer_id) for c in cases] == [
        ("escalation", "cards", "card_unblock_needs_review", MEERA_ID)]
    assert f"Your reference is {cases[0].reference}." in refused
    assert not any("unblocked" in m["body"] for m in await outbox(client, MEERA, "sms"))
    last = (await audit(client, conversation_of(session)))[-1]
    assert {"confirm.yes", "core.unblock_card", "cases.open"} <= set(tools_of(last))
    assert last.outcome == "escalated"


async def test_unblock_with_no_blocked_card_has_nothing_to_do(gateway):
    client = await gateway()
    session = await new_session(client)
    before = await card_states(client, PRIYA_ID)
    shown = await verified(client, session, "unblock card", PRIYA)
    assert "None of your cards is blocked, so there is nothing to unblock." in shown
    assert await card_states(client, PRIYA_ID) == before
    assert await client.app[STORES].cases.for_conversation(conversation_of(session)) == []


# ---------------------------------------------------------------------------- PIN and card limits


async def _link_token(client, customer_id: str, purpose: str) -> str:
    """The token in the newest SMS to the customer's registered mobile, after checking that the SMS is
    exactly the catalog's secure-link text for `purpose` (in the customer's own language) around a URL
    on the configured secure-link base."""
    customer = await client.app[BANK].get_customer(customer_id)
    body = (await outbox(client, customer.mobile, "sms"))[0]["body"]
    match = SECURE_URL.search(body)
    assert match, body
    assert match.group(0) == client.app[SETTINGS].resolved_secure_link_base().rstrip("/") + "/" + match.group(1)
    assert body == t(f"link_sms_{purpose}", customer.preferred_language, bank="Sahayak Demo Bank",
                     url=match.group(0), minutes=15)
    return match.group(1)


async def test_change_pin_sends_a_secure_link_by_sms_and_never_shows_or_asks_for_it_in_chat(gateway):
    client = await gateway()
    session = await new_session(client)
    shown = await verified(client, session, "I want to change my PIN", RAJESH)
    assert "I've sent a secure link to your registered mobile ••••••5678" in shown
    token = await _link_token(client, RAJESH_ID, "pin_change")
    link = await client.app[STORES].secure_links.open(token, now=time.time())
    assert (link.customer_id, link.purpose) == (RAJESH_ID, "pin_change")

    records = await audit(client, conversation_of(session))
    replies = [r["text"] for rec in records for r in rec.replies]
    assert replies and not any(token in r or "/demo/secure/" in r or "http" in r for r in replies)
    assert not any(token in json.dumps(rec.replies) + rec.text for rec in records)
    # Nothing ever asks for a PIN: the only sentence about one tells the customer never to type it.
    for reply in replies:
        for sentence in re.split(r"(?<=[.?!:])\s+", reply):
            if "PIN" in sentence:
                assert "Never type a PIN" in sentence or "never ask" in sentence or "set a new PIN" in sentence, reply
    assert "links.issue" in tools_of(records[-1])
    page = await client.get(f"/demo/secure/{token}")
    assert page.status == 200


async def test_card_limits_show_the_bank_figures_and_yes_sends_a_card_limits_link(gateway):
    client = await gateway()
    session = await new_session(client)
    shown = await verified(client, session, "what are my card limits", RAJESH)
    assert "Limits for which card?" in shown
    table = texts(await say(client, session, "3056"))
    card = next(c for c in await client.app[BANK].list_cards(RAJESH_ID) if c.last4 == "3056")
    limits = await client.app[BANK].get_limits(RAJESH_ID, card.account_id)
    for label, amount in (("ATM cash", limits.atm_daily), ("Shop (POS) payments", limits.pos_daily),
                          ("Online payments", limits.online_daily), ("UPI", limits.upi_daily)):
        assert f"{label}: {format_inr(amount)}" in table
    assert "Would you like a secure link to change them?" in table
    assert not any(SECURE_URL.search(m["body"]) for m in await outbox(client, RAJESH, "sms"))  # not yet

    sent = texts(await say(client, session, "yes"))
    assert "I've sent a secure link to your registered mobile ••••••5678" in sent and "http" not in sent
    token = await _link_token(client, RAJESH_ID, "card_limits")
    link = await client.app[STORES].secure_links.open(token, now=time.time())
    assert (link.customer_id, link.purpose) == (RAJESH_ID, "card_limits")
    last = (await audit(client, conversation_of(session)))[-1]
    assert {"confirm.yes", "links.issue", "notify.sms"} <= set(tools_of(last))


# ----------------------------------------------------------------------------- balance and statements


async def test_mini_statement_lists_the_five_newest_transactions_of_the_primary_account(gateway):
    client = await gateway()
    session = await new_session(client)
    shown = await verified(client, session, "mini statement", RAJESH)
    bank = client.app[BANK]
    account = (await bank.list_accounts(RAJESH_ID))[0]
    newest = await bank.list_transactions(RAJESH_ID, account.account_id, limit=5)
    lines = shown.split("\n")
    start = lines.index(f"Your last 5 transactions on the account ending {account.number_last4}:")
    rows = lines[start + 1:start + 6]
    assert len(rows) == 5 and lines[start + 6] == "Is there anything else I can help you with?"
    for row, txn in zip(rows, newest):
        sign = "-" if txn.direction == "debit" else "+"
        assert f"{(txn.merchant or txn.channel)[:40]}  {sign}{format_inr(txn.amount)}" in row
        assert row.endswith(" (pending)") == (txn.status == "pending")
    assert "(pending)" in shown  # Rajesh's Amazon card payment is still pending in the seed


async def test_email_statement_goes_to_the_registered_email_and_the_reply_masks_it(gateway):
    client = await gateway()
    session = await new_session(client)
    asked = await verified(client, session, "email statement", RAJESH)
    assert "Shall I email the statement of your last 30 days to your registered email address?" in asked
    customer = await client.app[BANK].get_customer(RAJESH_ID)
    assert await outbox(client, customer.email) == []  # not before the "yes"
    shown = texts(await say(client, session, "yes"))
    assert customer.email and customer.email not in shown
    masked = customer.email[0] + "•••@" + customer.email.split("@", 1)[1]
    assert f"to your registered email {masked}." in shown
    mails = await outbox(client, customer.email, "email")
    assert len(mails) == 1
    assert mails[0]["subject"] == "Your statement for account ending 4821"
    account = (await client.app[BANK].list_accounts(RAJESH_ID))[0]
    since = datetime.now(UTC) - timedelta(days=30)
    month = [t for t in await client.app[BANK].list_transactions(RAJESH_ID, account.account_id, limit=100)
             if t.posted_at >= since]
    body = mails[0]["body"]
    for txn in month:
        assert (txn.merchant or txn.channel)[:40] in body
    count = int(re.search(r"\((\d+) transactions, account ending 4821\)", shown).group(1))
    assert count == len(month) > 5 and f"\n{count} transactions." in body
    assert sum(1 for line in body.split("\n") if re.match(r"\d{2} \w{3} \d{4}  [-+]", line)) == count
    records = await audit(client, conversation_of(session))
    assert {"confirm.yes", "notify.email"} <= set(tools_of(records[-1]))
    assert not any("notify.email" in tools_of(r) for r in records[:-1])
    assert not any(customer.email in json.dumps(r.replies) + r.text for r in records)

    # Asked again and answered "no": nothing more is sent.
    assert "Shall I email" in texts(await say(client, session, "send statement by email"))
    assert "I haven't sent anything" in texts(await say(client, session, "no"))
    assert len(await outbox(client, customer.email)) == 1


async def test_email_statement_without_a_registered_email_says_so_and_sends_nothing(gateway):
    # Every seeded customer has an email, so this test removes one from the demo bank's file.
    client = await gateway()
    path = client.app[SETTINGS].data_dir / "demo_bank.sqlite"
    email = (await client.app[BANK].get_customer(SANDEEP_ID)).email
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE customers SET email = '' WHERE customer_id = ?", (SANDEEP_ID,))
    assert (await client.app[BANK].get_customer(SANDEEP_ID)).email == ""
    session = await new_session(client)
    assert "Shall I email" in await verified(client, session, "send statement by email", "+919822055667")
    shown = texts(await say(client, session, "yes"))
    assert "There is no email address registered for you" in shown
    assert "I've emailed" not in shown
    assert await outbox(client, email) == [] and await outbox(client, "") == []
    assert await client.app[STORES].cases.for_conversation(conversation_of(session)) == []


# ------------------------------------------------------------------ a new request at a confirmation


@pytest.mark.parametrize("interruption", ["check balance", "mini statement"])
async def test_a_new_request_at_the_block_confirm_abandons_the_block(gateway, interruption):
    client = await gateway()
    session = await new_session(client)
    replies = await chat(client, session, "block my card", "9812345678", RAJESH_DOB, "3056")
    assert "Block your debit card ending 3056 (RuPay) now?" in texts(replies[-1])
    otp_prompt = await say(client, session, interruption)
    assert "6-digit OTP" in texts(otp_prompt)
    answer = texts(await say(client, session, await latest_otp(client, RAJESH)))
    assert ("Available balance: ₹" if interruption == "check balance" else "Your last 5 transactions") in answer
    late_yes = texts(await say(client, session, "yes"))
    assert "is blocked" not in late_yes
    assert await card_states(client, RAJESH_ID) == {"3056": "active", "9012": "active"}
    records = await audit(client, conversation_of(session))
    assert not any("core.block_card" in tools_of(r) for r in records)
    assert not any("was blocked" in m["body"] for m in await outbox(client, RAJESH, "sms"))
