"""The email channel end to end: Python's smtplib delivers to the gateway's SMTP listener, Mailgun-style
signed posts reach /email/inbound, and a stand-in SMTP relay captures what the bank sends back.

Covers the balance conversation over email, authentication per thread (a new thread, or another From
address in the same thread, must verify again), threading headers, refusals (other recipients,
oversize, malformed, automatic mail), duplicates answered once, and the Mailgun signature, timestamp
window and token replay cache."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import smtplib
import sqlite3
import time
import uuid
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path

import aiohttp
import pytest
from smtp_relay_stand_in import html_text, plain_text, smtp_relay_stand_in
from web_chat import RAJESH_MOBILE, latest_otp, table_counts

from bot.appkeys import CHANNELS, LOOP, SETTINGS, STORES
from bot.notify import ChannelNotifier
from bot.settings import SettingsError, load_settings
from channels import email as email_channel
from channels import email_parse
from channels.email import EMAIL

FIXTURES = Path(__file__).parent / "fixtures" / "email"
BANK = "support@sahayak-bank.example"
RAJESH = "rajesh.kumar.1975@gmail.com"
SIGNING_KEY = "key-3ax6xnjp29jd6fds4gc373sgvjxteol0"


# --- Fixtures and helpers ---------------------------------------------------------------------------------

@pytest.fixture
async def relay():
    async with smtp_relay_stand_in() as stand_in:
        yield stand_in


@pytest.fixture
async def email_gateway(relay, gateway):
    """The whole gateway with the email channel on: listener on a free port, relay = the stand-in."""

    async def start(**overrides):
        settings = {"email_address": BANK, "email_smtp_relay_host": "127.0.0.1",
                    "email_smtp_relay_port": relay.port, "email_smtp_relay_starttls": False,
                    "email_smtp_listen_port": 0, "mailgun_signing_key": SIGNING_KEY}
        settings.update(overrides)
        client = await gateway(**settings)
        if EMAIL in client.server.app:
            client.server.app[EMAIL].retry_delays = (0.05,)  # keep retry tests fast
        return client

    return start


def new_mail(text: str, *, sender: str = RAJESH, subject: str = "What is my balance?",
             message_id: str | None = None) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = f"Rajesh Kumar <{sender}>"
    msg["To"] = f"Sahayak Bank <{BANK}>"
    msg["Subject"] = subject
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = message_id or f"<CA{uuid.uuid4().hex}@mail.gmail.com>"
    msg.set_content(text)
    return msg


def reply_mail(parent: EmailMessage, text: str, *, sender: str = RAJESH) -> EmailMessage:
    """What Gmail sends when the customer replies on top of the bank's email: the new words, the
    attribution, and the whole earlier email quoted underneath."""
    msg = EmailMessage()
    msg["From"] = f"Rajesh Kumar <{sender}>"
    msg["To"] = f"Sahayak Bank <{BANK}>"
    subject = str(parent["Subject"])
    msg["Subject"] = subject if subject.lower().startswith("re:") else f"Re: {subject}"
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = f"<CA{uuid.uuid4().hex}@mail.gmail.com>"
    msg["In-Reply-To"] = parent["Message-ID"]
    msg["References"] = f"{parent.get('References', '')} {parent['Message-ID']}".strip()
    quoted = "\n".join(f"> {line}" if line else ">" for line in plain_text(parent).splitlines())
    msg.set_content(f"{text}\n\nOn Mon, 3 Jun 2024 at 10:15, Sahayak Demo Bank <{BANK}>\nwrote:\n\n{quoted}\n")
    return msg


def wire(message: EmailMessage) -> bytes:
    """The message as it travels over SMTP (CRLF line ends)."""
    return message.as_bytes(policy=message.policy.clone(linesep="\r\n"))


async def deliver(client, message: EmailMessage | bytes, *, to: str = BANK, mail_from: str = RAJESH):
    """Deliver with smtplib (blocking, so in a thread) to the gateway's listener."""
    port = client.server.app[EMAIL].smtp_port

    def run():
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
            if isinstance(message, bytes):
                return smtp.sendmail(mail_from, [to], message)
            return smtp.send_message(message, from_addr=mail_from, to_addrs=[to])

    return await asyncio.to_thread(run)


async def settle(client) -> None:
    """Every accepted turn has run and its reply has gone to the relay."""
    await client.server.app[LOOP].drain()


def data_dir(client) -> Path:
    return client.server.app[SETTINGS].data_dir


def email_rows(client) -> dict[str, int]:
    counts = table_counts(data_dir(client))
    with sqlite3.connect(data_dir(client) / "sahayak.sqlite") as conn:
        for table in ("email_threads", "webhook_tokens"):
            counts[table] = conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
    return counts


NOTHING = {"inbox": 0, "audit": 0, "cases": 0, "otp": 0, "email_threads": 0}


def stored(client) -> dict[str, int]:
    return {k: v for k, v in email_rows(client).items() if k in NOTHING}


def mailgun_fields(text: str = "What is my balance?", *, message_id: str | None = None, **extra) -> dict:
    fields = {"sender": RAJESH, "from": f"Rajesh Kumar <{RAJESH}>", "recipient": BANK,
              "subject": "What is my balance?", "body-plain": text,
              "Message-Id": message_id or f"<CA{uuid.uuid4().hex}@mail.gmail.com>",
              "attachment-count": "0"}
    fields.update(extra)
    return fields


def sign(fields: dict, *, key: str = SIGNING_KEY, timestamp: int | None = None, token: str | None = None) -> dict:
    timestamp = int(time.time()) if timestamp is None else timestamp
    token = token or uuid.uuid4().hex + uuid.uuid4().hex[:18]  # Mailgun's are 50 random characters
    signature = hmac.new(key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()
    return {**fields, "timestamp": str(timestamp), "token": token, "signature": signature}


async def post_mailgun(client, fields: dict, *, multipart: bool = True) -> aiohttp.ClientResponse:
    if multipart:
        form = aiohttp.FormData()
        for name, value in fields.items():
            form.add_field(name, value)
        return await client.post("/email/inbound", data=form)
    return await client.post("/email/inbound", data=fields)


# --- The balance conversation ------------------------------------------------------------------------------

async def test_balance_conversation_over_email(email_gateway, relay):
    client = await email_gateway()
    first = new_mail("Hello,\n\nWhat is my balance?\n\n-- \nRajesh Kumar\nAndheri West, Mumbai")
    await deliver(client, first)
    (ask,) = await relay.wait_for(1)

    # Threading and form of the bank's reply.
    assert ask["From"].addresses[0].addr_spec == BANK
    assert ask["From"].addresses[0].display_name == "Sahayak Demo Bank"
    assert ask["To"].addresses[0].addr_spec == RAJESH
    assert ask["Subject"] == "Re: What is my balance?"
    assert ask["In-Reply-To"] == first["Message-ID"]
    assert ask["References"] == first["Message-ID"]
    assert ask["Message-ID"] != first["Message-ID"] and ask["Message-ID"].endswith("@sahayak-bank.example>")
    assert ask["Auto-Submitted"] == "auto-replied"
    assert ask.get_content_type() == "multipart/alternative"
    assert "registered mobile number" in plain_text(ask)
    assert "registered mobile number" in html_text(ask) and '<html lang="en">' in html_text(ask)
    assert relay.envelopes[0] == (BANK, [RAJESH])

    # The customer replies in the thread, on top of the quoted email (which mentions "balance").
    number = reply_mail(ask, "+91 98123 45678")
    await deliver(client, number)
    _, sent = await relay.wait_for(2)
    assert "6-digit OTP" in plain_text(sent)
    assert "1. Resend OTP" in plain_text(sent)  # no buttons in email: a numbered list
    assert sent["In-Reply-To"] == number["Message-ID"]
    refs = sent["References"].split()
    assert refs[0] == first["Message-ID"] and ask["Message-ID"] in refs and refs[-1] == number["Message-ID"]

    otp = await latest_otp(client, RAJESH_MOBILE)
    await deliver(client, reply_mail(sent, f"{otp}\n\nSent from my iPhone"))
    *_, answer = await relay.wait_for(3)
    body = plain_text(answer)
    assert "verified" in body and "Available balance: ₹" in body and "Total balance: ₹" in body
    assert "₹" in html_text(answer)
    assert answer["Subject"] == "Re: What is my balance?"

    # The OTP is not kept anywhere the turn wrote (audit masked, inbox payload erased).
    with sqlite3.connect(data_dir(client) / "sahayak.sqlite") as conn:
        for table, column in (("audit", "text"), ("inbox", "payload"), ("email_threads", "refs")):
            assert not any(otp in (r[0] or "") for r in conn.execute(f"SELECT {column} FROM {table}"))


async def test_a_new_thread_must_authenticate_again(email_gateway, relay):
    client = await email_gateway()
    await deliver(client, first := new_mail("What is my balance?"))
    (ask,) = await relay.wait_for(1)
    await deliver(client, number := reply_mail(ask, "+91 98123 45678"))
    _, sent = await relay.wait_for(2)
    await deliver(client, reply_mail(sent, await latest_otp(client, RAJESH_MOBILE)))
    *_, answer = await relay.wait_for(3)
    assert "Available balance: ₹" in plain_text(answer)

    # Same From address, a new thread: the From is a claim, verification belongs to the other thread.
    await deliver(client, new_mail("What is my balance?", subject="Balance again"))
    *_, fresh = await relay.wait_for(4)
    assert "registered mobile number" in plain_text(fresh)
    assert "₹" not in plain_text(fresh)
    assert fresh["Subject"] == "Re: Balance again"

    # The verified thread itself still answers without a new OTP.
    await deliver(client, reply_mail(answer, "Recent transactions"))
    *_, recent = await relay.wait_for(5)
    assert "Your last" in plain_text(recent)
    assert recent["References"].split()[0] == first["Message-ID"]
    assert number["Message-ID"] in recent["References"].split()


async def test_another_sender_in_a_verified_thread_must_authenticate(email_gateway, relay):
    client = await email_gateway()
    await deliver(client, new_mail("What is my balance?"))
    (ask,) = await relay.wait_for(1)
    await deliver(client, reply_mail(ask, "+91 98123 45678"))
    _, sent = await relay.wait_for(2)
    await deliver(client, reply_mail(sent, await latest_otp(client, RAJESH_MOBILE)))
    *_, answer = await relay.wait_for(3)

    # Someone who has the thread's ids (Cc'd, or a forger) replies in it from another address.
    intruder = "someone.else@example.in"
    await deliver(client, reply_mail(answer, "Recent transactions", sender=intruder), mail_from=intruder)
    *_, reply = await relay.wait_for(4)
    assert reply["To"].addresses[0].addr_spec == intruder  # never to the verified customer's inbox
    assert "registered mobile number" in plain_text(reply) and "Your last" not in plain_text(reply)


async def verified_thread(client, relay) -> tuple[EmailMessage, EmailMessage]:
    """A thread in which Rajesh has verified: (his first email, the bank's balance answer)."""
    await deliver(client, first := new_mail("What is my balance?"))
    (ask,) = await relay.wait_for(1)
    await deliver(client, reply_mail(ask, "+91 98123 45678"))
    _, sent = await relay.wait_for(2)
    await deliver(client, reply_mail(sent, await latest_otp(client, RAJESH_MOBILE)))
    *_, answer = await relay.wait_for(3)
    assert "Available balance: ₹" in plain_text(answer)
    return first, answer


def in_reply_to_only(parent: EmailMessage, text: str, *, sender: str = RAJESH) -> EmailMessage:
    """A reply from a client that sends In-Reply-To and no References."""
    msg = reply_mail(parent, text, sender=sender)
    del msg["References"]
    return msg


async def test_a_reply_with_only_in_reply_to_stays_in_its_conversation(email_gateway, relay):
    client = await email_gateway()
    first, answer = await verified_thread(client, relay)
    # In-Reply-To names the bank's answer; the thread's root is nowhere in the message.
    await deliver(client, in_reply_to_only(answer, "Recent transactions"))
    *_, recent = await relay.wait_for(4)
    assert "Your last" in plain_text(recent)  # still verified: the same conversation
    assert recent["To"].addresses[0].addr_spec == RAJESH
    assert recent["References"].split()[0] == first["Message-ID"]  # and still in the customer's thread

    # Someone else doing the same gets a conversation of their own, unverified.
    intruder = "someone.else@example.in"
    await deliver(client, in_reply_to_only(answer, "Recent transactions", sender=intruder), mail_from=intruder)
    *_, reply = await relay.wait_for(5)
    assert reply["To"].addresses[0].addr_spec == intruder
    assert "registered mobile number" in plain_text(reply) and "Your last" not in plain_text(reply)


async def test_a_redelivered_older_email_does_not_move_the_thread_back(email_gateway, relay):
    client = await email_gateway()
    first = new_mail("What is my balance?")
    await deliver(client, wire(first))
    (ask,) = await relay.wait_for(1)
    await deliver(client, second := reply_mail(ask, "+91 98123 45678"))
    await relay.wait_for(2)
    await deliver(client, wire(first))  # the sending MTA retries the first email, late
    await settle(client)
    conversation = email_parse.conversation_id(first["Message-ID"].strip("<>"), RAJESH)
    thread = await client.server.app[STORES].email_threads.get(conversation)
    assert thread.last_message_id == second["Message-ID"].strip("<>")
    assert thread.references[-1] == second["Message-ID"].strip("<>")
    assert len(relay.messages) == 2  # and the duplicate is not answered


async def test_long_message_ids_are_sent_as_they_are(email_gateway, relay):
    # Outlook's ids run past 78 characters; folded by policy.SMTP they became
    # "In-Reply-To: =?utf-8?q?=3C...?=" and the customer's client no longer threaded the answer.
    outlook_id = "<PN3P287MB12345678A9B8C7D6E5F4A3B2C1D0E9F8A7B6C5D4@PN3P287MB1234.INDP287.PROD.OUTLOOK.COM>"
    assert len(outlook_id) > 80
    first = new_mail("What is my balance?", subject="बैलेंस की जानकारी और मेरे बचत खाते का पूरा विवरण",
                     message_id=outlook_id)
    client = await email_gateway()
    await deliver(client, first)
    (ask,) = await relay.wait_for(1)
    head = relay.raw[0].split(b"\r\n\r\n", 1)[0]
    assert b"\r\nIn-Reply-To: " + outlook_id.encode() + b"\r\n" in head
    assert b"\r\nReferences: " + outlook_id.encode() + b"\r\n" in head
    assert b"=?utf-8?q?=3C" not in head
    assert ask["Subject"] == "Re: बैलेंस की जानकारी और मेरे बचत खाते का पूरा विवरण"
    assert max(len(line) for line in head.split(b"\r\n")) <= 998
    assert relay.raw[0].isascii()  # 7-bit: right for a relay with or without 8BITMIME
    assert "रजिस्टर्ड मोबाइल नंबर" in plain_text(ask)  # base64 in transit, the same words out

    # The next answer references both, each id whole on a line of its own.
    await deliver(client, number := reply_mail(ask, "+91 98123 45678"))
    _, sent = await relay.wait_for(2)
    head = relay.raw[1].split(b"\r\n\r\n", 1)[0]
    assert b"\r\nReferences: " + outlook_id.encode() + b"\r\n " + ask["Message-ID"].encode() in head
    assert sent["In-Reply-To"] == number["Message-ID"]


async def test_hindi_email_is_answered_in_hindi(email_gateway, relay):
    client = await email_gateway()
    await deliver(client, (FIXTURES / "hindi_gmail_reply.eml").read_bytes(), mail_from="sunita.verma.82@gmail.com")
    (reply,) = await relay.wait_for(1)
    assert "रजिस्टर्ड मोबाइल नंबर" in plain_text(reply)
    assert reply["Subject"] == "Re: बैलेंस की जानकारी"
    assert reply["To"].addresses[0].addr_spec == "sunita.verma.82@gmail.com"
    assert '<html lang="hi">' in html_text(reply)


async def test_quoted_text_is_not_read(email_gateway, relay):
    client = await email_gateway()
    await deliver(client, new_mail("Hello", subject="Hello"))
    (greeting,) = await relay.wait_for(1)
    assert "Check balance" in plain_text(greeting)
    # The new words are a greeting; the quoted email underneath offers "Check balance".
    await deliver(client, reply_mail(greeting, "Hi again"))
    _, second = await relay.wait_for(2)
    assert "registered mobile number" not in plain_text(second)
    assert "Check balance" in plain_text(second)


@pytest.mark.parametrize("name, expected", [
    ("gmail_reply.eml", "I can help with"),  # "+91 98123 45678" alone, in a conversation new to us
    ("outlook_reply.eml", "registered mobile number"),  # recent transactions: verify first
    ("html_only.eml", "reference"),  # asks for a person: a case is opened
    ("new_thread_no_message_id.eml", "registered mobile number"),
])
async def test_recorded_emails_are_answered(email_gateway, relay, name, expected):
    client = await email_gateway()
    raw = (FIXTURES / name).read_bytes()
    await deliver(client, raw)
    (reply,) = await relay.wait_for(1)
    assert reply["In-Reply-To"].strip("<>") in raw.decode("utf-8", "replace") or name.startswith("new_thread")
    assert expected.lower() in plain_text(reply).lower()


# --- SMTP listener refusals and duplicates ------------------------------------------------------------------

async def test_mail_for_another_address_is_refused(email_gateway, relay):
    client = await email_gateway()
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        await deliver(client, new_mail("What is my balance?"), to="ceo@sahayak-bank.example")
    assert refused.value.recipients["ceo@sahayak-bank.example"][0] == 550
    await settle(client)
    assert stored(client) == NOTHING and relay.messages == []


async def test_oversize_mail_is_refused(email_gateway, relay):
    client = await email_gateway()
    big = new_mail("balance " * 140_000)  # > 1 MB
    with pytest.raises(smtplib.SMTPSenderRefused) as refused:  # refused at MAIL FROM by the SIZE announcement
        await deliver(client, big)
    assert refused.value.smtp_code == 552

    port = client.server.app[EMAIL].smtp_port

    def without_size():  # a client that does not announce the size is stopped at the end of DATA
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
            smtp.ehlo()
            smtp.mail(RAJESH)
            smtp.rcpt(BANK)
            return smtp.data(wire(big))

    code, _ = await asyncio.to_thread(without_size)
    assert code == 552
    await settle(client)
    assert stored(client) == NOTHING and relay.messages == []


async def test_malformed_and_empty_mail_is_refused(email_gateway, relay):
    client = await email_gateway()
    with pytest.raises(smtplib.SMTPDataError) as refused:
        await deliver(client, b"Subject: who am I?\r\n\r\nWhat is my balance?\r\n")
    assert refused.value.smtp_code == 554
    only_quotes = (b"From: rajesh.kumar.1975@gmail.com\r\nMessage-ID: <q@x.in>\r\nIn-Reply-To: <r@y.in>\r\n"
                   b"\r\n> What is my balance?\r\n")
    with pytest.raises(smtplib.SMTPDataError) as refused:
        await deliver(client, only_quotes)
    assert refused.value.smtp_code == 554 and b"no text" in refused.value.smtp_error
    await settle(client)
    assert stored(client) == NOTHING and relay.messages == []


async def test_automatic_mail_is_taken_but_not_answered(email_gateway, relay):
    client = await email_gateway()
    await deliver(client, (FIXTURES / "out_of_office.eml").read_bytes())  # 250: the sender must not retry
    own = new_mail("What is my balance?", sender=BANK)  # a message "from" our own address: a loop
    await deliver(client, own, mail_from=BANK)
    await settle(client)
    assert stored(client) == NOTHING and relay.messages == []


async def test_duplicate_delivery_is_answered_once(email_gateway, relay):
    client = await email_gateway()
    raw = wire(new_mail("What is my balance?"))
    await deliver(client, raw)
    # The sending MTA did not see our 250 and delivers again, several times at once.
    await asyncio.gather(*(deliver(client, raw) for _ in range(5)))
    await settle(client)
    await relay.wait_for(1)
    await asyncio.sleep(0.2)
    assert len(relay.messages) == 1
    assert email_rows(client)["inbox"] == 1 and email_rows(client)["audit"] == 1


def fail_first_accepts(client, monkeypatch, count: int = 1) -> None:
    """The inbox store is unreachable for the next `count` messages."""
    loop = client.server.app[LOOP]
    real_accept = loop.accept
    left = {"n": count}

    async def flaky_accept(msg):
        if left["n"]:
            left["n"] -= 1
            raise ConnectionError("inbox store unreachable")
        return await real_accept(msg)

    monkeypatch.setattr(loop, "accept", flaky_accept)


async def test_smtp_says_250_only_once_the_message_is_claimed(email_gateway, relay, monkeypatch):
    client = await email_gateway()
    fail_first_accepts(client, monkeypatch)
    mail = wire(new_mail("What is my balance?"))
    with pytest.raises(smtplib.SMTPDataError) as refused:  # 451: the sending MTA keeps it and retries
        await deliver(client, mail)
    assert refused.value.smtp_code == 451
    await deliver(client, mail)  # the MTA's retry
    (reply,) = await relay.wait_for(1)
    assert "registered mobile number" in plain_text(reply)


async def test_mailgun_retry_after_a_failure_is_not_taken_for_a_replay(email_gateway, relay, monkeypatch):
    client = await email_gateway(email_smtp_listen_port=None)
    fail_first_accepts(client, monkeypatch)
    signed = sign(mailgun_fields("What is my balance?"))
    assert (await post_mailgun(client, signed)).status == 500  # Mailgun retries
    resp = await post_mailgun(client, signed)  # the same request, same token
    assert resp.status == 200 and (await resp.json())["status"] == "accepted"
    (reply,) = await relay.wait_for(1)
    assert "registered mobile number" in plain_text(reply)


async def test_connection_limit(email_gateway, relay, monkeypatch):
    monkeypatch.setattr(email_channel, "MAX_SMTP_CONNECTIONS", 1)
    client = await email_gateway()
    port = client.server.app[EMAIL].smtp_port

    def two_connections():
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as first:
            first.ehlo()
            try:
                smtplib.SMTP("127.0.0.1", port, timeout=10)
            except smtplib.SMTPConnectError as e:
                return e.smtp_code
        return None

    assert await asyncio.to_thread(two_connections) == 421


# --- Outbound: relay failures, auth, notices ----------------------------------------------------------------

async def test_temporary_relay_failure_is_retried(email_gateway, relay):
    client = await email_gateway()
    relay.failures = ["451 4.3.0 Try again later"]
    await deliver(client, new_mail("What is my balance?"))
    (reply,) = await relay.wait_for(1)
    assert relay.data_attempts == 2
    assert "registered mobile number" in plain_text(reply)
    message_id = reply["Message-ID"].strip("<>")
    await settle(client)  # the relay has it; the status is recorded once aiosmtplib returns
    assert await client.server.app[STORES].deliveries.status("email", message_id) == "sent"


async def test_permanent_relay_failure_is_not_retried(email_gateway, relay):
    client = await email_gateway()
    relay.failures = ["550 5.7.1 Relaying denied", "451 never reached"]
    await deliver(client, new_mail("What is my balance?"))
    await settle(client)
    assert relay.data_attempts == 1 and relay.messages == []
    with sqlite3.connect(data_dir(client) / "sahayak.sqlite") as conn:
        rows = conn.execute("SELECT status, error FROM delivery_status WHERE channel = 'email'").fetchall()
    assert rows == [("failed", "SMTPDataError 550")]


async def test_retries_are_bounded(email_gateway, relay):
    client = await email_gateway()
    relay.failures = ["421 4.3.2 Busy"] * 10
    await deliver(client, new_mail("What is my balance?"))
    await settle(client)
    assert relay.data_attempts == email_channel.SEND_ATTEMPTS and relay.messages == []


async def test_relay_login(gateway):
    async with smtp_relay_stand_in(username="sahayak", password="relay-secret") as relay:
        base = {"email_address": BANK, "email_smtp_relay_host": "127.0.0.1", "email_smtp_relay_port": relay.port,
                "email_smtp_relay_starttls": False, "email_smtp_username": "sahayak"}
        client = await gateway(**base, email_smtp_password="relay-secret")
        await client.server.app[EMAIL].notify(RAJESH, "Your statement", "Attached.")
        (notice,) = await relay.wait_for(1)
        assert notice["Subject"] == "Your statement"

        wrong = await gateway(**base, email_smtp_password="wrong")
        with pytest.raises(email_channel.EmailDeliveryError):
            await wrong.server.app[EMAIL].notify(RAJESH, "Your statement", "Attached.")
        assert len(relay.messages) == 1


async def test_notify_sends_a_standalone_email(email_gateway, relay):
    client = await email_gateway()
    await client.server.app[EMAIL].notify("Rajesh.Kumar.1975@Gmail.com", "Your June statement",
                                          "Dear customer,\nYour statement is ready <see netbanking>.")
    (notice,) = await relay.wait_for(1)
    assert notice["To"] == RAJESH and notice["Subject"] == "Your June statement"
    assert notice["In-Reply-To"] is None and notice["References"] is None
    assert notice["Auto-Submitted"] == "auto-generated"
    assert "ready <see netbanking>." in plain_text(notice)
    assert "Dear customer,<br>\nYour statement is ready &lt;see netbanking&gt;." in html_text(notice).replace("\r\n", "\n")
    with pytest.raises(ValueError):
        await client.server.app[EMAIL].notify("not an address", "x", "y")


async def test_channel_notifier_reaches_email(email_gateway, relay):
    client = await email_gateway()
    await ChannelNotifier(client.server.app[CHANNELS]).send_email(RAJESH, "Alert", "A login from a new device.")
    (notice,) = await relay.wait_for(1)
    assert notice["Subject"] == "Alert"


# --- Mailgun inbound webhook ----------------------------------------------------------------------------------

@pytest.mark.parametrize("multipart", [True, False])
@pytest.mark.parametrize("text, expected", [
    ("Hello,\r\nWhat is my balance?\r\n\r\nSent from my Galaxy", "registered mobile number"),
    ("नमस्ते, मेरा बैलेंस कितना है?\r\n\r\nधन्यवाद\r\nसुनीता", "रजिस्टर्ड मोबाइल नंबर"),
])
async def test_mailgun_post_is_answered(email_gateway, relay, multipart, text, expected):
    client = await email_gateway(email_smtp_listen_port=None)
    fields = mailgun_fields(text)
    resp = await post_mailgun(client, sign(fields), multipart=multipart)
    assert resp.status == 200 and (await resp.json())["status"] == "accepted"
    (reply,) = await relay.wait_for(1)
    assert reply["In-Reply-To"] == fields["Message-Id"]
    assert expected in plain_text(reply)


async def test_mailgun_balance_conversation(email_gateway, relay):
    client = await email_gateway(email_smtp_listen_port=None)
    first = mailgun_fields("What is my balance?")
    assert (await post_mailgun(client, sign(first))).status == 200
    (ask,) = await relay.wait_for(1)
    second = mailgun_fields("+91 98123 45678\r\n\r\nOn Mon, 3 Jun 2024 at 10:15, Bank <b@x.in> wrote:\r\n> mobile?",
                            **{"In-Reply-To": ask["Message-ID"], "References": f"{first['Message-Id']} {ask['Message-ID']}",
                               "subject": "Re: What is my balance?"})
    assert (await post_mailgun(client, sign(second))).status == 200
    _, sent = await relay.wait_for(2)
    third = mailgun_fields(await latest_otp(client, RAJESH_MOBILE), **{
        "In-Reply-To": sent["Message-ID"], "References": sent["References"] + " " + sent["Message-ID"],
        "subject": "Re: What is my balance?"})
    assert (await post_mailgun(client, sign(third))).status == 200
    *_, answer = await relay.wait_for(3)
    assert "Available balance: ₹" in plain_text(answer)


async def test_mailgun_concurrent_duplicates_are_answered_once(email_gateway, relay):
    client = await email_gateway(email_smtp_listen_port=None)
    fields = mailgun_fields("What is my balance?")
    # The same message posted 20 times at once (Mailgun retries; each post freshly signed).
    responses = await asyncio.gather(*(post_mailgun(client, sign(fields)) for _ in range(20)))
    statuses = [(r.status, (await r.json())["status"]) for r in responses]
    assert all(code == 200 for code, _ in statuses)
    assert sorted(s for _, s in statuses).count("accepted") == 1
    await settle(client)
    await relay.wait_for(1)
    await asyncio.sleep(0.2)
    assert len(relay.messages) == 1
    assert email_rows(client)["inbox"] == 1


@pytest.mark.parametrize("tamper", ["forged", "wrong_key", "stale", "future", "missing", "not_hex"])
async def test_mailgun_bad_signature_is_refused_and_nothing_stored(email_gateway, relay, tamper):
    client = await email_gateway(email_smtp_listen_port=None)
    fields = mailgun_fields("What is my balance?")
    signed = sign(fields)
    if tamper == "forged":
        signed["signature"] = hmac.new(b"guess", b"x", hashlib.sha256).hexdigest()
    elif tamper == "wrong_key":
        signed = sign(fields, key="key-of-another-account")
    elif tamper == "stale":
        signed = sign(fields, timestamp=int(time.time()) - 301)
    elif tamper == "future":
        signed = sign(fields, timestamp=int(time.time()) + 301)
    elif tamper == "missing":
        signed = dict(fields)
    elif tamper == "not_hex":
        signed["signature"] = "zz" * 32
    resp = await post_mailgun(client, signed)
    assert resp.status == 403
    await settle(client)
    assert stored(client) == NOTHING and email_rows(client)["webhook_tokens"] == 0
    assert relay.messages == []


async def test_mailgun_replayed_token_is_refused(email_gateway, relay):
    client = await email_gateway(email_smtp_listen_port=None)
    signed = sign(mailgun_fields("What is my balance?"))
    assert (await post_mailgun(client, signed)).status == 200
    await settle(client)
    before = stored(client)
    # The same timestamp, token and signature with another message: a captured request replayed.
    replay = {**mailgun_fields("Recent transactions"), **{k: signed[k] for k in ("timestamp", "token", "signature")}}
    resp = await post_mailgun(client, replay)
    assert resp.status == 403 and (await resp.json())["error"] == "replayed_token"
    # And the very same request again.
    assert (await post_mailgun(client, signed)).status == 403
    await settle(client)
    assert stored(client) == before
    assert len(relay.messages) == 1


@pytest.mark.parametrize("drop", ["sender", "recipient", "body"])
async def test_mailgun_malformed_post_is_refused_and_nothing_stored(email_gateway, relay, drop):
    client = await email_gateway(email_smtp_listen_port=None)
    fields = mailgun_fields("What is my balance?")
    if drop == "sender":
        del fields["sender"], fields["from"]
    elif drop == "recipient":
        del fields["recipient"]
    else:
        del fields["body-plain"]
    resp = await post_mailgun(client, sign(fields))
    assert resp.status == 400
    assert (await resp.json())["error"] == "malformed_email"
    await settle(client)
    assert stored(client) == NOTHING and relay.messages == []


async def test_mailgun_other_refusals(email_gateway, relay):
    client = await email_gateway(email_smtp_listen_port=None)
    other = sign(mailgun_fields("What is my balance?", recipient="ceo@sahayak-bank.example"))
    assert (await post_mailgun(client, other)).status == 406
    resp = await client.post("/email/inbound", json=sign(mailgun_fields()))
    assert resp.status == 415
    auto = sign(mailgun_fields("I am out of office", **{"Auto-Submitted": "auto-replied"}))
    resp = await post_mailgun(client, auto)
    assert resp.status == 200 and (await resp.json())["status"] == "ignored"
    huge = aiohttp.FormData()
    for name, value in sign(mailgun_fields("x" * (email_channel.MAX_FIELD_BYTES + 10))).items():
        huge.add_field(name, value)
    assert (await client.post("/email/inbound", data=huge)).status == 413
    garbage = await client.post("/email/inbound", data=b"--x\r\nnot a part",
                                headers={"Content-Type": "multipart/form-data; boundary=x"})
    assert garbage.status in (400, 403)  # unreadable, or readable but unsigned: refused either way
    no_boundary = await client.post("/email/inbound", data=b"abc", headers={"Content-Type": "multipart/form-data"})
    assert no_boundary.status == 400
    await settle(client)
    assert stored(client) == NOTHING and relay.messages == []


async def test_mailgun_attachments_are_dropped(email_gateway, relay):
    client = await email_gateway(email_smtp_listen_port=None)
    form = aiohttp.FormData()
    for name, value in sign(mailgun_fields("What is my balance?", **{"attachment-count": "1"})).items():
        form.add_field(name, value)
    form.add_field("attachment-1", b"%PDF-1.7 " + b"\x00" * 200_000, filename="statement.pdf",
                   content_type="application/pdf")
    assert (await client.post("/email/inbound", data=form)).status == 200
    (reply,) = await relay.wait_for(1)
    assert "registered mobile number" in plain_text(reply)


async def test_mailgun_route_needs_a_signing_key(email_gateway):
    client = await email_gateway(mailgun_signing_key=None)
    resp = await post_mailgun(client, sign(mailgun_fields()))
    assert resp.status in (404, 405)


# --- Settings ---------------------------------------------------------------------------------------------------

async def test_channel_off_without_settings(gateway):
    client = await gateway()
    assert EMAIL not in client.server.app
    assert (await client.post("/email/inbound", data={"a": "b"})).status in (404, 405)


def test_partial_email_settings_stop_start_up():
    with pytest.raises(SettingsError, match="SAHAYAK_EMAIL_SMTP_RELAY_HOST"):
        load_settings({"SAHAYAK_DEMO": "1", "SAHAYAK_EMAIL_ADDRESS": BANK})
    with pytest.raises(SettingsError, match="SAHAYAK_EMAIL_ADDRESS"):
        load_settings({"SAHAYAK_DEMO": "1", "SAHAYAK_EMAIL_SMTP_RELAY_HOST": "smtp.bank.example"})
    with pytest.raises(SettingsError, match="SAHAYAK_MAILGUN_SIGNING_KEY"):
        load_settings({"SAHAYAK_DEMO": "1", "SAHAYAK_MAILGUN_SIGNING_KEY": SIGNING_KEY})
    with pytest.raises(SettingsError, match="SAHAYAK_EMAIL_SMTP_LISTEN_PORT"):
        load_settings({"SAHAYAK_DEMO": "1", "SAHAYAK_EMAIL_SMTP_LISTEN_PORT": "2525"})
    with pytest.raises(SettingsError, match="go together"):
        load_settings({"SAHAYAK_DEMO": "1", "SAHAYAK_EMAIL_ADDRESS": BANK,
                       "SAHAYAK_EMAIL_SMTP_RELAY_HOST": "smtp.bank.example", "SAHAYAK_EMAIL_SMTP_USERNAME": "u"})
    with pytest.raises(SettingsError, match="bare address"):
        load_settings({"SAHAYAK_DEMO": "1", "SAHAYAK_EMAIL_ADDRESS": "Bank <support@bank.example>",
                       "SAHAYAK_EMAIL_SMTP_RELAY_HOST": "smtp.bank.example"})
    ok = load_settings({"SAHAYAK_DEMO": "1", "SAHAYAK_EMAIL_ADDRESS": BANK,
                        "SAHAYAK_EMAIL_SMTP_RELAY_HOST": "smtp.bank.example"})
    assert ok.email_smtp_listen_port is None and ok.mailgun_signing_key is None  # outbound only


async def test_listener_stops_with_the_app(email_gateway):
    client = await email_gateway()
    port = client.server.app[EMAIL].smtp_port
    await client.close()

    def connect():
        smtplib.SMTP("127.0.0.1", port, timeout=2)

    with pytest.raises(OSError):
        await asyncio.to_thread(connect)


# --- Scale-out ----------------------------------------------------------------------------------------------------

async def test_two_gateways_answer_one_message_once(email_gateway, relay, postgres_url, redis_prefix):
    from conftest import REDIS_URL

    shared = {"postgres_url": postgres_url, "redis_url": REDIS_URL, "redis_prefix": redis_prefix,
              "email_smtp_listen_port": None}
    first, second = await email_gateway(**shared), await email_gateway(**shared)
    fields = mailgun_fields("What is my balance?")
    # Mailgun delivers the same message to two gateways behind the load balancer, at once.
    responses = await asyncio.gather(*(post_mailgun(client, sign(fields))
                                       for client in (first, second) for _ in range(5)))
    assert all(r.status == 200 for r in responses)
    assert [(await r.json())["status"] for r in responses].count("accepted") == 1
    await asyncio.gather(settle(first), settle(second))
    (reply,) = await relay.wait_for(1)
    await asyncio.sleep(0.2)
    assert len(relay.messages) == 1 and "registered mobile number" in plain_text(reply)
    # The replay cache is shared too: a token used on one gateway is refused by the other.
    signed = sign(mailgun_fields("Hello"))
    assert (await post_mailgun(first, signed)).status == 200
    assert (await post_mailgun(second, signed)).status == 403
