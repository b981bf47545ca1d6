"""The SMS channel: Twilio Programmable Messaging.

    POST /sms/twilio          Twilio's inbound-message webhook (form-encoded)  -> empty TwiML
    POST /sms/twilio/status   Twilio's status callbacks for what we sent      -> 204

Every request is checked before anything is stored: X-Twilio-Signature is verified with twilio's own
`RequestValidator` against the URL Twilio was configured with, built from `SAHAYAK_PUBLIC_URL` (never from
the Host or X-Forwarded-* headers, which whoever sends the request controls), and AccountSid must be ours.
An inbound message is claimed on its MessageSid (a retried webhook runs one turn), acknowledged with
empty TwiML, and answered after the acknowledgement through Twilio's REST API, on the app's shared
aiohttp session (twilio's own Client is synchronous and would block the event loop).

STOP / START / HELP and Twilio's synonyms never reach the agent: STOP records an opt-out, after which
nothing at all is sent to that number (replies and OTPs alike) until START.

Replies are laid out for SMS by `channels.sms_text`: "₹" becomes "Rs." so English stays GSM-7 (160
characters a segment, not 70), Hindi is optionally romanized, and long replies are split on sensible
boundaries into at most a few messages.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from datetime import datetime, timezone

import aiohttp
from aiohttp import web
from multidict import MultiDict

from bot.appkeys import CHANNELS, HTTP, LOOP, PERSONA, STORES
from bot.loop import inbound_to_json
from bot.masking import mask
from bot.notify import NotifierUnavailable
from bot.settings import SettingsError
from bot.stores.audit import AuditRecord
from channels.base import Attachment, Capabilities, InboundMessage, Rendered
from channels.sms_text import GSM7, PART, has_devanagari, plan_bodies, sms_safe
from channels.http_edge import BadRequest
from channels.twilio_webhooks import TwilioWebhooks

log = logging.getLogger("sahayak.sms")

INBOUND_PATH = "/sms/twilio"
STATUS_PATH = "/sms/twilio/status"
TWIML_EMPTY = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'

MAX_TEXT = 1600
# One SMS body is one bubble on the phone: the carrier sends it in segments the handset joins.
# Four segments (612 GSM-7 / 268 UCS-2 characters) is where joining stays reliable on old handsets;
# three bodies per turn bound what one turn can cost (12 segments).
MAX_SEGMENTS = 4
MAX_MESSAGES = 3
MAX_RESPONSE = 256 * 1024

_MESSAGE_SID = re.compile(r"^(SM|MM)[0-9a-fA-F]{32}$")
_ACCOUNT_SID = re.compile(r"^AC[0-9a-fA-F]{32}$")
_SERVICE_SID = re.compile(r"^MG[0-9a-fA-F]{32}$")
_E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")
_ERROR_CODE = re.compile(r"^[0-9]{1,10}$")
# Control characters (other than line breaks) no customer meant to type; PostgreSQL cannot store NUL.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

# Twilio's default opt-out keywords (the whole message, any case): these never reach the agent.
KEYWORDS = {
    **dict.fromkeys(("STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"), "stop"),
    **dict.fromkeys(("START", "YES", "UNSTOP"), "start"),
    **dict.fromkeys(("HELP", "INFO"), "help"),
}
# English only, like the keywords themselves. Kept here rather than in the i18n catalog: they are
# the SMS channel's own regulatory texts, not the agent's words.
KEYWORD_REPLIES = {
    "stop": "{bank}: you will get no more SMS from this number, including OTPs. Reply START to resume.",
    "start": "{bank}: SMS from this number resumed. Reply HELP for help, STOP to stop.",
    "help": "{bank}: text your question, e.g. BALANCE. Reply STOP to stop all SMS incl. OTPs, START to "
            "resume. We never ask for your PIN, CVV or password.",
}
TRUNCATED_NOTE = {
    "en": "(Reply shortened: see the rest in our app or on our website.)",
    "hi": "(संदेश छोटा किया गया: बाकी जानकारी हमारे ऐप या वेबसाइट पर देखें।)",
}

# Twilio's MessageStatus words -> the forward-only delivery statuses (bot/stores/channel_state.py).
# "received"/"receiving" describe inbound messages: nothing of ours to record.
TWILIO_STATUS = {
    "accepted": "accepted", "scheduled": "accepted", "queued": "queued", "sending": "sending", "sent": "sent",
    "delivered": "delivered", "undelivered": "undelivered", "failed": "failed", "canceled": "failed",
    "read": "read",
    # Some segments arrived, not all: not "delivered".
    "partially_delivered": "sent",
}
INBOUND_STATUSES = frozenset({"received", "receiving"})
UNSUBSCRIBED = 21610  # Twilio: "Attempt to send to unsubscribed recipient" (the customer sent STOP)


def keyword_of(text: str) -> str | None:
    """"stop", "start" or "help" when the whole message is one of the keywords ("Stop." included)."""
    return KEYWORDS.get(text.strip().rstrip(".!").strip().upper())


def masked_number(number: str) -> str:
    masked = mask(number)
    return masked if masked != number else "••••" + number[-4:]


class TwilioError(Exception):
    def __init__(self, status: int, code: int | None, message: str):
        # Twilio's messages quote the number ("The 'To' number +91... is not valid"): masked for the logs.
        super().__init__(f"Twilio answered {status}" + (f" (error {code})" if code else "") + f": {mask(message)}")
        self.status, self.code = status, code


class TwilioRest:
    """The one call we need from Twilio's REST API: create a message. Bounded retries on 429 and 5xx
    (Twilio did not take the message) and on a connection that never opened; not on a timeout or a
    dropped connection, where the message may already be queued and a retry would send it twice."""

    def __init__(self, http: aiohttp.ClientSession, api_url: str, account_sid: str, auth_token: str,
                 sender: str, status_callback: str, *, max_attempts: int = 4, retry_base_s: float = 0.5,
                 retry_cap_s: float = 8.0, timeout_s: float = 15.0):
        self._http = http
        self._url = f"{api_url.rstrip('/')}/2010-04-01/Accounts/{account_sid}/Messages.json"
        self._headers = {"Authorization": aiohttp.encode_basic_auth(account_sid, auth_token)}
        # A Messaging Service (MG...) picks the sending number itself.
        self._sender = ("MessagingServiceSid" if _SERVICE_SID.match(sender) else "From", sender)
        self._status_callback = status_callback
        self.max_attempts = max_attempts
        self.retry_base_s = retry_base_s
        self.retry_cap_s = retry_cap_s
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)

    async def create_message(self, to: str, body: str) -> dict:
        form = {"To": to, self._sender[0]: self._sender[1], "Body": body, "StatusCallback": self._status_callback}
        for attempt in range(1, self.max_attempts + 1):
            retry_after = 0.0
            try:
                async with self._http.post(self._url, data=form, headers=self._headers,
                                           timeout=self._timeout) as resp:
                    payload = await _read_json(resp)
                    if resp.status in (200, 201):
                        return payload
                    error = TwilioError(resp.status, _int_or_none(payload.get("code")),
                                        str(payload.get("message") or resp.reason)[:200])
                    retryable = resp.status == 429 or resp.status >= 500
                    retry_after = _retry_after(resp.headers.get("Retry-After"))
            except aiohttp.ClientConnectorError as e:
                error, retryable = TwilioError(0, None, f"cannot connect ({type(e).__name__})"), True
            except (aiohttp.ClientError, asyncio.TimeoutError) as e:
                raise TwilioError(0, None, f"no answer ({type(e).__name__}); not retried") from e
            if not retryable or attempt == self.max_attempts:
                raise error
            delay = min(self.retry_cap_s, max(retry_after, self.retry_base_s * 2 ** (attempt - 1)))
            log.warning("Twilio %s, attempt %d of %d; retrying in %.2fs", error.status or "unreachable",
                        attempt, self.max_attempts, delay)
            await asyncio.sleep(delay)
        raise AssertionError("unreachable")


async def _read_json(resp: aiohttp.ClientResponse) -> dict:
    chunks, size = [], 0
    async for chunk in resp.content.iter_any():
        size += len(chunk)
        if size > MAX_RESPONSE:  # not a Twilio answer; read no further
            return {}
        chunks.append(chunk)
    raw = b"".join(chunks)
    try:
        payload = json.loads(raw)
    except ValueError:
        return {}
    return payload if isinstance(payload, dict) else {}


def _int_or_none(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _retry_after(value: str | None) -> float:
    try:
        return max(0.0, float(value)) if value else 0.0
    except ValueError:
        return 0.0


class SmsChannel:
    name = "sms"
    # render() cuts text longer than one four-segment GSM-7 message on paragraph/line/word boundaries;
    # send() then lays the pieces out exactly (UCS-2 text, "Rs." for "₹") with channels.sms_text.
    capabilities = Capabilities(buttons=False, max_text=MAX_SEGMENTS * PART[GSM7], phone_sender=True)

    def __init__(self, settings, stores, http: aiohttp.ClientSession, persona):
        self.account_sid: str = settings.twilio_account_sid
        self.public_url: str = settings.public_url.rstrip("/")
        self.romanize_hindi: bool = settings.sms_romanize_hindi
        self.stores = stores
        self.persona = persona
        self.webhooks = TwilioWebhooks(settings.twilio_auth_token.get_secret_value(), self.account_sid,
                                       self.public_url)
        self.rest = TwilioRest(http, settings.twilio_api_url, self.account_sid,
                               settings.twilio_auth_token.get_secret_value(), settings.twilio_from,
                               self.public_url + STATUS_PATH)
        self._tasks: set[asyncio.Task] = set()

    # ------------------------------------------------------------------ ingress

    async def verified_params(self, request: web.Request, path: str) -> MultiDict:
        """The form parameters of a request Twilio signed for `path` (channels/twilio_webhooks.py)."""
        return await self.webhooks.verified_params(request, path)

    def parse(self, params: MultiDict) -> InboundMessage | None:
        """An inbound-message webhook's parameters as an InboundMessage; None for an empty SMS (nothing
        to answer). Raises BadRequest(400/413) for a malformed payload."""
        sid = params.get("MessageSid")
        if not sid:
            raise BadRequest(400, "missing_message_sid", "MessageSid is required.")
        if not _MESSAGE_SID.match(sid):
            raise BadRequest(400, "invalid_message_sid", "MessageSid must look like SM followed by 32 hex digits.")
        sender = params.get("From")
        if not sender:
            raise BadRequest(400, "missing_from", "From is required.")
        if not _E164.match(sender):
            raise BadRequest(400, "invalid_from", "From must be a phone number in E.164 form (+919812345678).")
        if "Body" not in params:
            raise BadRequest(400, "missing_body", "Body is required.")
        text = _CONTROL.sub("", params["Body"].replace("\r\n", "\n").replace("\r", "\n")).strip()
        if len(text) > MAX_TEXT:
            raise BadRequest(413, "text_too_long", f"Messages are limited to {MAX_TEXT} characters.")
        attachments = self._attachments(params)
        if not text and not attachments:
            return None
        return InboundMessage(channel=self.name, conversation=sender, sender=sender, text=text, message_id=sid,
                              received_at=datetime.now(timezone.utc), attachments=attachments)

    @staticmethod
    def _attachments(params: MultiDict) -> tuple[Attachment, ...]:
        try:
            count = int(params.get("NumMedia") or "0")
        except ValueError:
            raise BadRequest(400, "invalid_num_media", "NumMedia must be a number.") from None
        if not 0 <= count <= 10:
            raise BadRequest(400, "invalid_num_media", "NumMedia must be between 0 and 10.")
        attachments = []
        for i in range(count):
            url, mime = params.get(f"MediaUrl{i}"), params.get(f"MediaContentType{i}", "")
            if not url:
                raise BadRequest(400, "missing_media_url", f"MediaUrl{i} is required when NumMedia is {count}.")
            kind = next((k for k in ("audio", "image") if mime.startswith(k + "/")), "document")
            attachments.append(Attachment(kind=kind, mime_type=mime, ref=url))
        return tuple(attachments)

    async def handle_keyword(self, msg: InboundMessage, keyword: str) -> None:
        """STOP / START / HELP: answered here, never by the agent."""
        started = time.perf_counter()
        opt_outs = self.stores.opt_outs
        key = msg.conversation_key
        # A late retry of a keyword already handled changes nothing: an old STOP redelivered after a
        # START must not opt the customer out again. (Only a shortcut: the claim below is the gate.)
        if await self.stores.inbox.result(self.name, key, msg.message_id) is not None:
            return
        # The change (idempotent) before the claim: if the process dies after the claim, the opt-out is
        # already recorded (a replay would hand the word to the agent, whose reply `send` withholds).
        # Concurrent duplicates apply the same change twice, harmlessly, and confirm once.
        if keyword == "stop":
            await opt_outs.opt_out(self.name, msg.sender)
        elif keyword == "start":
            await opt_outs.opt_in(self.name, msg.sender)
        if not await self.stores.claims.claim(self.name, key, msg.message_id, inbound_to_json(msg)):
            return
        reply = KEYWORD_REPLIES[keyword].format(bank=self.persona.bank_name)
        await self.stores.inbox.finish(self.name, key, msg.message_id, [{"text": reply, "buttons": []}])
        # The opt-out's moment is on record with the rest of the conversation.
        await self.stores.audit.append(AuditRecord(
            channel=self.name, conversation=key, message_id=msg.message_id, persona=self.persona.id,
            language="en", intent=f"sms_{keyword}", step="sms_keyword",
            tools=[f"opt_outs.opt_{'out' if keyword == 'stop' else 'in'}"] if keyword != "help" else [],
            outcome={"stop": "opted_out", "start": "opted_in", "help": "answered"}[keyword],
            latency_ms=round((time.perf_counter() - started) * 1000, 2), text=mask(msg.text),
            replies=[{"text": reply, "buttons": []}]))
        log.info("SMS %s from %s", keyword.upper(), masked_number(msg.sender))
        # After the acknowledgement, like every reply. The STOP confirmation and HELP go out even to an
        # opted-out number: they are the two messages the opt-out rules allow (and expect).
        self._spawn(self._deliver(msg.sender, [reply], to_opted_out=keyword in ("stop", "help")))

    # ------------------------------------------------------------------ egress

    async def send(self, conversation: str, messages: list[Rendered], *, in_reply_to: str | None = None) -> None:
        texts = []
        for m in messages:  # render() leaves no buttons on this channel; never drop them silently
            options = "\n".join(f"{i}. {label}" for i, label in enumerate(m.buttons, 1))
            texts.append(f"{m.text}\n\n{options}" if options else m.text)
        await self._deliver(conversation, texts)

    async def notify(self, to: str, body: str) -> None:
        """An OTP or alert to a registered mobile (bot/notify.py). A number that sent STOP gets nothing,
        OTPs included: STOP means every message from this number, Twilio itself refuses them (21610),
        and the customer was told so and how to undo it (START). The skip is silent to the caller so a
        conversation cannot learn from it that the number is registered."""
        if not _E164.match(to):
            raise NotifierUnavailable("the registered mobile is not an E.164 number")
        try:
            await self._deliver(to, [body])
        except TwilioError as e:
            raise NotifierUnavailable(f"SMS not sent: {e}") from e

    async def _deliver(self, to: str, texts: list[str], *, to_opted_out: bool = False) -> None:
        if not to_opted_out and await self.stores.opt_outs.is_opted_out(self.name, to):
            log.info("not sending SMS to %s: opted out (STOP)", masked_number(to))
            return
        note = TRUNCATED_NOTE["hi" if any(has_devanagari(t) for t in texts) else "en"]
        safe = [s for s in (sms_safe(t, romanize_hindi=self.romanize_hindi).strip() for t in texts) if s]
        bodies = plan_bodies(safe, max_segments=MAX_SEGMENTS, max_messages=MAX_MESSAGES,
                             note=sms_safe(note, romanize_hindi=self.romanize_hindi))
        for body in bodies:  # in order, one at a time: Twilio keeps no order between concurrent sends
            try:
                result = await self.rest.create_message(to, body)
            except TwilioError as e:
                if e.code == UNSUBSCRIBED:  # Twilio knows of a STOP we missed: remember it too
                    await self.stores.opt_outs.opt_out(self.name, to)
                    log.info("Twilio refused SMS to %s: opted out (STOP)", masked_number(to))
                    return
                log.error("SMS to %s failed: %s", masked_number(to), e)
                raise
            status = TWILIO_STATUS.get(str(result.get("status")))
            sid = result.get("sid")
            if isinstance(sid, str) and _MESSAGE_SID.match(sid) and status:
                await self.stores.deliveries.record(self.name, sid, to, status)

    def _spawn(self, coro) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("SMS keyword reply failed: %s", type(task.exception()).__name__)

    async def drain(self) -> None:
        """Let replies in flight finish (at shutdown, before the stores close)."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    # ------------------------------------------------------------------ status callbacks

    async def record_status(self, params: MultiDict) -> None:
        sid = params.get("MessageSid") or params.get("SmsSid")
        if not sid or not _MESSAGE_SID.match(sid):
            raise BadRequest(400, "invalid_message_sid", "MessageSid must look like SM followed by 32 hex digits.")
        word = params.get("MessageStatus") or params.get("SmsStatus")
        if not word:
            raise BadRequest(400, "missing_status", "MessageStatus is required.")
        if word in INBOUND_STATUSES:
            return
        status = TWILIO_STATUS.get(word)
        if status is None:
            # A new word from Twilio must be mapped by a person, not guessed.
            log.warning("unknown Twilio MessageStatus %r", word[:40])
            raise BadRequest(400, "unknown_status", "Unknown MessageStatus.")
        to = params.get("To") or ""
        if not _E164.match(to):
            raise BadRequest(400, "invalid_to", "To must be a phone number in E.164 form.")
        error = params.get("ErrorCode") or None
        if error is not None and not _ERROR_CODE.match(error):
            raise BadRequest(400, "invalid_error_code", "ErrorCode must be a number.")
        if not await self.stores.deliveries.record(self.name, sid, to, status, error):
            log.debug("stale SMS status %s ignored", status)
        if error == str(UNSUBSCRIBED):
            await self.stores.opt_outs.opt_out(self.name, to)


def _twiml() -> web.Response:
    return web.Response(text=TWIML_EMPTY, content_type="text/xml", charset="utf-8")


SMS = web.AppKey("sms_channel", SmsChannel)


def check_settings(settings) -> None:
    """Shapes the settings model does not check; a typo here would otherwise surface as 403s or
    failed sends long after start-up."""
    if not _ACCOUNT_SID.match(settings.twilio_account_sid):
        raise SettingsError("SAHAYAK_TWILIO_ACCOUNT_SID must look like AC followed by 32 hex digits")
    if not (_E164.match(settings.twilio_from) or _SERVICE_SID.match(settings.twilio_from)):
        raise SettingsError("SAHAYAK_TWILIO_FROM must be a phone number in E.164 form (+911140000000) "
                            "or a Messaging Service SID (MG...)")
    if not re.match(r"^https?://[^/?#\s]+(/[^?#\s]*)?$", settings.public_url):
        raise SettingsError("SAHAYAK_PUBLIC_URL must be an absolute URL like https://chat.bank.example")
    if not re.match(r"^https?://[^/?#\s]+(/[^?#\s]*)?$", settings.twilio_api_url):
        raise SettingsError("SAHAYAK_TWILIO_API_URL must be an absolute URL like https://api.twilio.com")


def setup(app: web.Application, settings) -> None:
    """On when the Twilio settings are present (bot/settings.py stops start-up when only some are)."""
    if settings.twilio_account_sid is None:
        return
    check_settings(settings)

    async def start(app: web.Application):
        channel = SmsChannel(settings, app[STORES], app[HTTP], app[PERSONA])
        app[SMS] = channel
        app[CHANNELS][channel.name] = channel
        yield
        await channel.drain()

    app.cleanup_ctx.append(start)

    async def inbound(request: web.Request) -> web.Response:
        channel = request.app[SMS]
        try:
            msg = channel.parse(await channel.verified_params(request, INBOUND_PATH))
        except BadRequest as e:
            return e.response()
        if msg is not None:
            keyword = keyword_of(msg.text) if not msg.attachments else None
            if keyword is not None:
                await channel.handle_keyword(msg, keyword)
            else:
                await request.app[LOOP].accept(msg)  # claimed durably; the turn runs after the ack
        return _twiml()

    async def status(request: web.Request) -> web.Response:
        channel = request.app[SMS]
        try:
            await channel.record_status(await channel.verified_params(request, STATUS_PATH))
        except BadRequest as e:
            return e.response()
        return web.Response(status=204)

    app.router.add_post(INBOUND_PATH, inbound)
    app.router.add_post(STATUS_PATH, status)
