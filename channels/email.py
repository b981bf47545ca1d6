"""The email channel: customers write to the bank's support address and get answers in the same thread.

Inbound, either or both of:
    SMTP listener   aiosmtpd on SAHAYAK_EMAIL_SMTP_LISTEN_HOST:PORT, on the app's own event loop (usually
                    behind the bank's MTA). Only mail to SAHAYAK_EMAIL_ADDRESS is taken (550 otherwise),
                    at most 1 MB (552); "250" is said only once the message is claimed in the inbox, so a
                    crash before that makes the sending MTA retry instead of losing the mail.
    POST /email/inbound
                    Mailgun's inbound-parse webhook (mounted only with SAHAYAK_MAILGUN_SIGNING_KEY):
                    HMAC-SHA256(signing key, timestamp + token) checked in constant time, the timestamp
                    within 5 minutes, and each token accepted once (replay cache); anything else is 403.

Outbound through an SMTP relay (aiosmtplib): one email per turn, in the customer's thread (In-Reply-To,
References, "Re: <subject>"), plain text and HTML, bounded retries on temporary (4xx) failures.

One conversation per thread and From address: a message joins the conversation of the first id it
carries (its own, In-Reply-To, References) that is known for its From address (every id the bank sent
or accepted is remembered), else starts one named by its thread's root and sender
(`email_parse.conversation_id`). The From address is a claim, not an identity: the graph asks for the
registered mobile or customer id and an OTP before any account data, and verification lives in the
conversation, so a new thread starts unverified.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import re
import time
import urllib.parse
from collections.abc import Callable
from datetime import datetime, timezone
from email.message import EmailMessage

import aiosmtplib
from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from aiosmtpd.smtp import SMTP

from bot.appkeys import CHANNELS, LOOP, PERSONA, STORES
from bot.masking import mask
from channels.base import Capabilities, InboundMessage, Rendered
from channels.http_edge import BadRequest
from channels.email_compose import WIRE_POLICY, WIRE_POLICY_UTF8, compose, new_message_id, reply_subject
from channels.email_parse import (
    MAX_REFERENCES,
    MalformedEmail,
    NothingToAnswer,
    ParsedEmail,
    bound_references,
    conversation_id,
    parse_mailgun,
    parse_mime,
    sender_address,
)

log = logging.getLogger("sahayak.email")

MAX_MESSAGE_BYTES = 1024 * 1024  # one customer email, as received over SMTP
# Mailgun posts a message's attachments in the same form; they are read and dropped, within this bound.
MAX_WEBHOOK_BYTES = 10 * 1024 * 1024
MAX_FIELD_BYTES = 1024 * 1024  # all non-file form fields together
MAX_FIELDS = 200
MAILGUN_WINDOW_S = 300
MAX_SMTP_CONNECTIONS = 64
SMTP_IDLE_TIMEOUT_S = 60
SEND_ATTEMPTS = 3
SEND_TIMEOUT_S = 15.0
# Kept short: a reply's delivery happens inside its turn, which holds the conversation's lock.
RETRY_DELAYS_S = (1.0, 4.0)

_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_SIGNATURE = re.compile(r"[0-9a-fA-F]{64}")
_TOKEN = re.compile(r"[!-~]{1,256}")


class EmailDeliveryError(ConnectionError):
    """The relay did not take the email: refused for good, or still failing after the retries.
    A ConnectionError, so the OTP path treats it like any unreachable notifier (fails closed)."""


class EmailChannel:
    name = "email"
    # No buttons (the renderer numbers them); an email holds a long answer, so nothing is split.
    capabilities = Capabilities(buttons=False, max_text=20_000)

    @property
    def bank_name(self) -> str:
        return self._bank_name() if callable(self._bank_name) else self._bank_name

    def __init__(self, settings, stores, loop, *, bank_name: str | Callable[[], str],
                 retry_delays: tuple[float, ...] = RETRY_DELAYS_S):
        self.address = settings.email_address.strip().lower()
        self.domain = self.address.rpartition("@")[2]
        # A callable reads the served persona's name at send time (it follows a reload).
        self._bank_name = bank_name
        self.stores = stores
        self.loop = loop
        self.retry_delays = retry_delays
        self.relay_host = settings.email_smtp_relay_host
        self.relay_port = settings.email_smtp_relay_port
        # True: STARTTLS is required (aiosmtplib fails rather than send in the clear); False: plain.
        self.starttls = settings.email_smtp_relay_starttls
        self.username = settings.email_smtp_username
        self.password = (settings.email_smtp_password.get_secret_value()
                         if settings.email_smtp_password is not None else None)
        self.mailgun_key = (settings.mailgun_signing_key.get_secret_value().encode()
                            if settings.mailgun_signing_key is not None else None)
        self.smtp_port: int | None = None  # the listener's bound port, once started
        self._inflight: set[asyncio.Task] = set()

    # --- inbound -------------------------------------------------------------------------------------

    async def receive(self, parsed: ParsedEmail) -> bool:
        """Take a customer's email in: record its thread (whom to answer, under which subject), then
        claim it in the loop, durably. True if new, False for a duplicate. Raises NothingToAnswer.

        The work runs in a task of its own that the caller awaits shielded: an SMTP client hanging up
        mid-way cancels its session, but a claim once started completes (and its turn runs)."""
        text = parsed.understood_text()
        task = asyncio.ensure_future(self._take_in(parsed, text))
        self._inflight.add(task)
        task.add_done_callback(self._taken_in)
        return await asyncio.shield(task)

    def _taken_in(self, task: asyncio.Task) -> None:
        self._inflight.discard(task)
        # Seen here even when the caller has gone (its SMTP client hung up): never a silent failure.
        if not task.cancelled() and task.exception() is not None:
            log.error("email could not be taken in: %s", type(task.exception()).__name__, exc_info=task.exception())

    async def _take_in(self, parsed: ParsedEmail, text: str) -> bool:
        threads = self.stores.email_threads
        conversation = await self.conversation_of(parsed)
        references = parsed.reply_references()
        if not parsed.references and parsed.in_reply_to:
            # A client that sends In-Reply-To alone: when we know that parent, the chain is its
            # references and this id (RFC 5322 3.6.4), so our answer still names the thread's root.
            parent = await threads.references_of(conversation, parsed.sender, parsed.in_reply_to)
            if parent is not None:
                references = bound_references([*parent, parsed.message_id])
        # Before the claim, only what cannot go back in time: the thread's record if it is new (the
        # turn's reply needs it) and this message's own id (written once).
        await threads.open(conversation, customer=parsed.sender, subject=parsed.subject,
                           root=parsed.thread_root, message_id=parsed.message_id, references=references)
        await threads.remember_message(conversation, customer=parsed.sender, message_id=parsed.message_id,
                                       references=references)
        msg = InboundMessage(channel=self.name, conversation=conversation, sender=parsed.sender, text=text,
                             message_id=parsed.message_id, received_at=datetime.now(timezone.utc))
        turn = await self.loop.accept(msg)
        log.info("email %s in %s", "accepted" if turn is not None else "duplicate", conversation)
        if turn is None:
            return False
        # Only a message whose claim won moves the thread on: a redelivered older email is a
        # duplicate and leaves the latest message where it is.
        await threads.advance(conversation, subject=parsed.subject, message_id=parsed.message_id,
                              references=references)
        return True

    async def conversation_of(self, parsed: ParsedEmail) -> str:
        """The conversation a message belongs to: that of the first id it carries that we know for
        its sender (its own id, for a redelivery; then In-Reply-To; then References from the most
        recent), else a new one for its thread's root and sender. So a reply carrying only
        In-Reply-To, pointing at the bank's answer, stays in its (verified) conversation, while
        another From address never joins someone else's: ids are looked up per address."""
        ids = [parsed.message_id, parsed.in_reply_to, *reversed(parsed.references[-MAX_REFERENCES:])]
        known = await self.stores.email_threads.find_conversation(parsed.sender, [i for i in ids if i])
        return known or conversation_id(parsed.thread_root, parsed.sender)

    def answerable(self, parsed: ParsedEmail) -> bool:
        """Never answer automatic mail or our own address: that is how mail loops start."""
        return not parsed.automatic and parsed.sender != self.address

    async def receive_smtp(self, raw: bytes) -> str:
        """One message from the SMTP listener -> the SMTP reply line."""
        try:
            # Off the event loop: parsing a megabyte of MIME and HTML takes a while.
            parsed = await asyncio.to_thread(parse_mime, raw)
        except MalformedEmail as e:
            return f"554 5.6.0 Message not accepted: {e}"
        if not self.answerable(parsed):
            log.info("automatic email not answered")
            return "250 2.0.0 OK (automatic message, not answered)"
        try:
            await self.receive(parsed)
        except NothingToAnswer:
            return "554 5.6.0 The message has no text we can read; please write your question in the email"
        except Exception:  # logged by _taken_in
            # Nothing was acknowledged: the sending MTA keeps the message and tries again.
            return "451 4.3.0 Temporary failure, please try again later"
        return "250 2.0.0 OK"

    async def drain(self) -> None:
        if self._inflight:
            await asyncio.wait(set(self._inflight), timeout=10)

    # --- outbound ------------------------------------------------------------------------------------

    async def send(self, conversation: str, messages: list[Rendered], *, in_reply_to: str | None = None) -> None:
        """All of a turn's replies as one email in the customer's thread."""
        thread = await self.stores.email_threads.get(conversation)
        if thread is None:
            raise LookupError("no email thread is recorded for this conversation")
        text = "\n\n".join(m.text for m in messages if m.text)
        parent = in_reply_to or thread.last_message_id
        # What a reply to that very message references (kept per message: the thread's latest may
        # have moved on while this turn ran).
        references = await self.stores.email_threads.references_of(conversation, thread.customer, parent)
        if references is None:
            references = thread.references if parent in thread.references else bound_references(
                [*thread.references, parent])
        message_id = new_message_id(self.domain)
        email = compose(from_address=self.address, from_name=self.bank_name, to=thread.customer,
                        subject=reply_subject(thread.subject), text=text, message_id=message_id,
                        in_reply_to=parent, references=references)
        # Known before it leaves: the customer's answer to it may carry only this id (In-Reply-To).
        await self.stores.email_threads.remember_message(
            conversation, customer=thread.customer, message_id=message_id,
            references=bound_references([*references, message_id]))
        await self._deliver(email, thread.customer, message_id)

    async def notify(self, to: str, subject: str, body: str) -> None:
        """A notice outside any thread (statements, alerts) to a registered address."""
        recipient = sender_address(to)
        message_id = new_message_id(self.domain)
        email = compose(from_address=self.address, from_name=self.bank_name, to=recipient, subject=subject,
                        text=body, message_id=message_id, auto_reply=False)
        await self._deliver(email, recipient, message_id)

    async def _deliver(self, email: EmailMessage, recipient: str, message_id: str) -> None:
        # Flattened here, not by aiosmtplib: its policy.SMTP would RFC 2047-encode a threading id
        # longer than 78 characters, and the customer's client would no longer thread our answer
        # (see email_compose.WIRE_POLICY). The parts are 7-bit, so no BODY=8BITMIME is needed.
        utf8 = not (recipient.isascii() and self.address.isascii())
        data = email.as_bytes(policy=WIRE_POLICY_UTF8 if utf8 else WIRE_POLICY)
        error = "unknown"
        for attempt in range(SEND_ATTEMPTS):
            if attempt:
                await asyncio.sleep(self.retry_delays[min(attempt - 1, len(self.retry_delays) - 1)])
            try:
                await aiosmtplib.send(data, sender=self.address, recipients=[recipient],
                                      mail_options=["SMTPUTF8"] if utf8 else None,
                                      hostname=self.relay_host, port=self.relay_port,
                                      start_tls=self.starttls, username=self.username, password=self.password,
                                      timeout=SEND_TIMEOUT_S, local_hostname=self.domain)
            except (aiosmtplib.SMTPException, OSError, asyncio.TimeoutError) as e:
                temporary, error = classify_smtp_error(e)
                log.warning("relay did not take email to %s (attempt %d of %d): %s", mask(recipient),
                            attempt + 1, SEND_ATTEMPTS, error)
                if not temporary:
                    break
                continue
            await self.stores.deliveries.record(self.name, message_id, recipient, "sent")
            return
        await self.stores.deliveries.record(self.name, message_id, recipient, "failed", error=error)
        raise EmailDeliveryError(f"the SMTP relay did not take the email: {error}")


def classify_smtp_error(e: BaseException) -> tuple[bool, str]:
    """(temporary?, a short description without addresses). 4xx replies and lost connections are
    temporary; 5xx replies (and a relay without STARTTLS when it is required) are not."""
    if isinstance(e, aiosmtplib.SMTPRecipientsRefused):
        codes = [r.code for r in e.recipients]
        return bool(codes) and all(400 <= c < 500 for c in codes), f"recipients refused {codes}"
    if isinstance(e, aiosmtplib.SMTPResponseException):
        return 400 <= e.code < 500, f"{type(e).__name__} {e.code}"
    if isinstance(e, (aiosmtplib.SMTPNotSupported,)):
        return False, type(e).__name__
    if isinstance(e, (OSError, asyncio.TimeoutError, aiosmtplib.SMTPServerDisconnected, aiosmtplib.SMTPTimeoutError)):
        return True, type(e).__name__
    return False, type(e).__name__


# --- SMTP listener ------------------------------------------------------------------------------------

class _SmtpHandler:
    """aiosmtpd hooks: refuse other recipients at RCPT, take the message in at DATA."""

    def __init__(self, channel: EmailChannel):
        self.channel = channel

    async def handle_RCPT(self, server, session, envelope, address: str, rcpt_options: list[str]) -> str:
        if address.strip().lower() != self.channel.address:
            return "550 5.1.1 Recipient not accepted here"
        if address not in envelope.rcpt_tos:
            envelope.rcpt_tos.append(address)
            envelope.rcpt_options.extend(rcpt_options)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope) -> str:
        return await self.channel.receive_smtp(bytes(envelope.original_content or b""))


class _Busy(asyncio.Protocol):
    """Over the connection limit: say so (the sender retries later) and hang up."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        transport.write(b"421 4.3.2 Too many connections, try again later\r\n")  # type: ignore[attr-defined]
        transport.close()


class SmtpListener:
    """aiosmtpd's SMTP protocol served by `loop.create_server` on the app's loop (not aiosmtpd's
    Controller, which runs its own loop in a thread: the handler must await the app's stores)."""

    def __init__(self) -> None:
        self._server: asyncio.AbstractServer | None = None
        self._sessions: set[SMTP] = set()
        self.port: int | None = None

    @classmethod
    async def start(cls, channel: EmailChannel, host: str, port: int) -> SmtpListener:
        # aiosmtpd logs envelope addresses at INFO and message lines at DEBUG: neither may reach our
        # logs (PII, DESIGN.md), so its logger only speaks up for warnings.
        logging.getLogger("mail.log").setLevel(logging.WARNING)
        loop = asyncio.get_running_loop()
        listener = cls()
        handler = _SmtpHandler(channel)

        def session() -> asyncio.Protocol:
            listener._sessions = {s for s in listener._sessions if s.transport is not None}
            if len(listener._sessions) >= MAX_SMTP_CONNECTIONS:
                return _Busy()
            # hostname given: aiosmtpd would otherwise call socket.getfqdn(), a blocking DNS lookup.
            smtp = SMTP(handler, data_size_limit=MAX_MESSAGE_BYTES, hostname=channel.domain, ident="Sahayak",
                        timeout=SMTP_IDLE_TIMEOUT_S, enable_SMTPUTF8=True, loop=loop)
            listener._sessions.add(smtp)
            return smtp

        listener._server = await loop.create_server(session, host, port)
        listener.port = listener._server.sockets[0].getsockname()[1]
        log.info("SMTP listener on %s:%d", host, listener.port)
        return listener

    async def stop(self) -> None:
        if self._server is None:
            return
        self._server.close()
        for smtp in list(self._sessions):
            if smtp.transport is not None:
                smtp.transport.close()
        await self._server.wait_closed()


# --- Mailgun inbound webhook ------------------------------------------------------------------------------

def verify_mailgun(key: bytes, fields: dict[str, str], now: float) -> BadRequest | None:
    """Mailgun signs `timestamp + token` (not the body) with the account's webhook signing key."""
    timestamp, token, signature = fields.get("timestamp"), fields.get("token"), fields.get("signature")
    if not timestamp or not token or not signature:
        return BadRequest(403, "missing_signature", "The request is not signed.")
    if not _TIMESTAMP.fullmatch(timestamp) or not _TOKEN.fullmatch(token) or not _SIGNATURE.fullmatch(signature):
        return BadRequest(403, "bad_signature", "The request signature is not valid.")
    expected = hmac.new(key, (timestamp + token).encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature.lower()):
        return BadRequest(403, "bad_signature", "The request signature is not valid.")
    if abs(now - int(timestamp)) > MAILGUN_WINDOW_S:
        return BadRequest(403, "stale_timestamp", "The request signature has expired.")
    return None


async def read_form(request: web.Request) -> dict[str, str]:
    """The POSTed fields (first value of each), bounded; file parts (attachments) are read and dropped.
    Mailgun signs only timestamp + token, so the form has to be read before the signature can be
    checked; nothing is stored before that check."""
    if request.content_length is not None and request.content_length > MAX_WEBHOOK_BYTES:
        raise BadRequest(413, "body_too_large", f"Request bodies are limited to {MAX_WEBHOOK_BYTES} bytes.")
    if request.content_type == "application/x-www-form-urlencoded":
        body = bytearray()
        async for chunk in request.content.iter_any():
            body += chunk
            if len(body) > MAX_FIELD_BYTES:
                raise BadRequest(413, "body_too_large", f"Form fields are limited to {MAX_FIELD_BYTES} bytes.")
        try:
            pairs = urllib.parse.parse_qsl(bytes(body).decode("utf-8"), keep_blank_values=True,
                                           max_num_fields=MAX_FIELDS)
        except (UnicodeDecodeError, ValueError):
            raise BadRequest(400, "malformed_form", "The form body could not be read.") from None
        fields: dict[str, str] = {}
        for name, value in pairs:
            fields.setdefault(name, value)
        return fields
    if request.content_type == "multipart/form-data":
        try:
            return await _read_multipart(request)
        except BadRequest:
            raise
        except (ValueError, AssertionError, LookupError, RuntimeError, HttpProcessingError):
            raise BadRequest(400, "malformed_form", "The multipart body could not be read.") from None
    raise BadRequest(415, "unsupported_media_type", "Post multipart/form-data or application/x-www-form-urlencoded.")


async def _read_multipart(request: web.Request) -> dict[str, str]:
    reader = await request.multipart()
    fields: dict[str, str] = {}
    total = field_bytes = parts = 0
    while (part := await reader.next()) is not None:
        parts += 1
        if parts > MAX_FIELDS or not hasattr(part, "read_chunk"):
            raise BadRequest(400, "malformed_form", "Too many or nested form parts.")
        is_file = part.filename is not None
        data = bytearray()
        while chunk := await part.read_chunk(64 * 1024):
            total += len(chunk)
            if total > MAX_WEBHOOK_BYTES:
                raise BadRequest(413, "body_too_large", f"Request bodies are limited to {MAX_WEBHOOK_BYTES} bytes.")
            if not is_file:
                field_bytes += len(chunk)
                if field_bytes > MAX_FIELD_BYTES:
                    raise BadRequest(413, "body_too_large", f"Form fields are limited to {MAX_FIELD_BYTES} bytes.")
                data += chunk
        if is_file or not part.name:
            continue
        try:
            value = bytes(part.decode(data)).decode(part.get_charset(default="utf-8"))
        except (UnicodeDecodeError, LookupError):
            raise BadRequest(400, "malformed_form", f"The form field {part.name!r} is not valid text.") from None
        fields.setdefault(part.name, value)
    return fields


def _json(status: int, error: str, message: str) -> web.Response:
    return web.json_response({"error": error, "message": message}, status=status)


async def mailgun_inbound(request: web.Request) -> web.Response:
    channel: EmailChannel = request.app[EMAIL]
    tokens = request.app[STORES].webhook_tokens
    try:
        fields = await read_form(request)
    except BadRequest as e:
        return e.response()
    assert channel.mailgun_key is not None  # the route exists only with a key
    problem = verify_mailgun(channel.mailgun_key, fields, time.time())
    if problem is not None:
        log.warning("Mailgun webhook refused: %s", problem.error)
        return problem.response()
    # Consumed as soon as it is verified, whatever follows: a verified token is good for one request.
    token = fields["token"]
    if not await tokens.remember("mailgun", token, float(fields["timestamp"])):
        log.warning("Mailgun webhook refused: replayed token")
        return _json(403, "replayed_token", "This request was already received.")
    try:
        try:
            parsed = await asyncio.to_thread(parse_mailgun, fields)
        except MalformedEmail as e:
            return _json(400, "malformed_email", str(e))
        if channel.address not in parsed.recipients:
            # 406: Mailgun does not retry it (the route sent us mail for another address).
            return _json(406, "recipient_not_accepted", "This endpoint only takes mail to the bank's address.")
        if not channel.answerable(parsed):
            return web.json_response({"status": "ignored", "reason": "automatic message"})
        try:
            new = await channel.receive(parsed)
        except NothingToAnswer:
            return _json(406, "no_text", "The email has no text to answer.")
    except BaseException:
        # Not taken in (a store failed): let Mailgun's retry of this very request through.
        await asyncio.shield(tokens.forget("mailgun", token))
        raise
    return web.json_response({"status": "accepted" if new else "duplicate"})


# --- Setup ---------------------------------------------------------------------------------------------

EMAIL = web.AppKey("email_channel", EmailChannel)


def setup(app: web.Application, settings) -> None:
    """On when the bank's address and a relay are set; the listener only with a listen port; the
    Mailgun route only with a signing key (settings refuse those two without the channel)."""
    if settings.email_address is None or settings.email_smtp_relay_host is None:
        return

    async def start(app: web.Application):
        stores = app[STORES]
        served = app[PERSONA]
        channel = EmailChannel(settings, stores, app[LOOP], bank_name=lambda: served.bank_name)
        await stores.email_threads.prune()
        listener = None
        if settings.email_smtp_listen_port is not None:
            listener = await SmtpListener.start(channel, settings.email_smtp_listen_host,
                                                settings.email_smtp_listen_port)
            channel.smtp_port = listener.port
        app[EMAIL] = channel
        app[CHANNELS][channel.name] = channel
        try:
            yield
        finally:
            if listener is not None:
                await listener.stop()
            await channel.drain()

    app.cleanup_ctx.append(start)
    if settings.mailgun_signing_key is not None:
        app.router.add_post("/email/inbound", mailgun_inbound)
