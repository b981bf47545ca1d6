"""The WhatsApp channel (Meta WhatsApp Cloud API).

    GET  /whatsapp/webhook   the hub.verify_token / hub.challenge handshake Meta does when the webhook is set up
    POST /whatsapp/webhook   messages and delivery statuses, signed with X-Hub-Signature-256

A POST is read whole (up to 3 MiB, Meta's maximum), its signature checked on the exact bytes, then parsed
(channels/whatsapp_wire.py); anything wrong is refused before a byte is stored. Each message is then
claimed (dedup on the wamid, kept 8 days: Meta retries for 7) and the request answered; the turns run
after the answer and their replies go out through the Graph API with pywa's async client.

- Messages older than `whatsapp_replay_max_age_s` (a backlog after an outage) are claimed and recorded
  but not answered one by one: the conversation gets one "we're back" notice.
- Free-form messages may only be sent within 24 hours of the customer's last message (WhatsApp's
  customer-service window); outside it `send` raises OutsideServiceWindow and only `send_template`
  (an approved template) goes out.
- The sender's WhatsApp number is the conversation and names the customer (E.164, "+" + wa_id); it is
  a claim that an OTP to the registered mobile still has to prove. The profile name is never used.

Voice notes. An audio message is claimed like any other (the inbox keeps its media id, never audio)
and acknowledged at once; its ticket is taken on arrival, so it keeps its place in the conversation.
After the acknowledgement the audio is fetched from the Graph API (GET /{media-id} for its URL, type,
size and SHA-256, then the URL itself with the same bearer token: at most 16 MB, a WhatsApp audio type,
the digest checked), decoded (voice/decode.py, at most two minutes) and transcribed in the
conversation's language (voice/notes.py; Whisper detects it for a conversation's first message). The
transcript is then the customer's message: the conversation loop runs it in the note's place, audited
masked like typed text. The reply starts with a short "I heard: ..." line with every number taken out,
so a misheard note is seen at once and a spoken OTP is never repeated. With SAHAYAK_VOICE_NOTE_REPLIES
the reply also goes out as a voice note (synthesized, OGG/Opus, uploaded with POST /{phone-number-id}/media)
after the text, when the reply's language has a voice. A note too long, silent or unreadable, or one
that cannot be fetched, gets a polite reply instead of a turn. The speech engines are the phone line's
when it runs (app[SPEECH]); otherwise they load on the first voice note.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import os
import random
import re
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import httpx
from aiohttp import web
from pywa_async import WhatsApp
from pywa_async.errors import WhatsAppError
from pywa_async.types import Button, Section, SectionList, SectionRow
from pywa_async.types.templates import TemplateLanguage

from bot.appkeys import CHANNELS, LOOP, PERSONA, SPEECH, STORES
from bot.loop import inbound_to_json
from bot.masking import mask
from bot.stores.audit import AuditRecord
from channels.base import Attachment, Capabilities, InboundMessage, OutboundMessage, Rendered, render
from channels.http_edge import BadRequest, read_body
from channels.whatsapp_wire import (
    CHANNEL,
    MAX_AUDIO_BYTES,
    MediaRefused,
    Planned,
    WebhookBatch,
    WireError,
    WireMessage,
    check_audio,
    check_digest,
    parse_webhook,
    plan_outbound,
    verify_signature,
)
from i18n.catalog import t
from i18n.detect import detect_language
from voice.call import SpeechEngines
from voice.decode import AudioTooLong, UnreadableAudio, decode_to_pcm16
from voice.notes import NOTE_MIME_TYPE, as_typed, is_silent, shown_transcript, spoken_note, transcribe_note
from voice.settings import VoiceSettings, load_voice_settings
from voice.tts import MAX_TEXT_CHARS as MAX_SPOKEN_CHARS

log = logging.getLogger("sahayak.whatsapp")

MAX_BODY = 3 * 1024 * 1024  # Meta's largest webhook body; the app's client_max_size is far smaller
SERVICE_WINDOW_S = 24 * 3600
# After an outage the backlog arrives over Meta's retry schedule, in several deliveries: one notice per
# conversation in this period. (A second outage within it goes unannounced; its messages are still kept.)
BACK_NOTICE_QUIET_S = 6 * 3600
MAX_ATTEMPTS = 3
MAX_RETRY_DELAY_S = 10.0
# Graph API errors worth another try besides HTTP 429/5xx: 1/2 API unknown / temporarily unavailable,
# 4 and 80007 app and account rate limits, 130429 throughput limit, 131016 service overloaded.
TRANSIENT_CODES = frozenset({1, 2, 4, 80007, 130429, 131016})
REENGAGEMENT_CODE = 131047  # Meta's own "more than 24 hours since the customer last replied"
_CHALLENGE = re.compile(r"[A-Za-z0-9_.\-]{1,256}")
_E164 = re.compile(r"\+[1-9][0-9]{6,14}")


class OutsideServiceWindow(Exception):
    """A free-form message to a customer who has not written in the last 24 hours: WhatsApp only
    delivers approved templates then (use `send_template`)."""


@dataclass(frozen=True)
class Unheard:
    """Why a voice note gets no turn, and the reply that says so."""

    outcome: str  # audit outcome: voice_note_too_long | voice_note_unclear | voice_note_failed
    reply_key: str


TOO_LONG = Unheard("voice_note_too_long", "wa_voice_note_too_long")
UNCLEAR = Unheard("voice_note_unclear", "wa_voice_note_unclear")
FAILED = Unheard("voice_note_failed", "wa_voice_note_unclear")


class LazySpeech:
    """The speech engines for voice notes: the phone line's when it runs (it loads them at start-up into
    app[SPEECH]), else loaded here on the first voice note, once, so a gateway without voice notes never
    pays for the models."""

    def __init__(self, app: web.Application, settings: VoiceSettings) -> None:
        self._app = app
        self._settings = settings
        self._loaded: SpeechEngines | None = None
        self._loading = asyncio.Lock()

    async def __call__(self) -> SpeechEngines:
        if SPEECH in self._app:
            return self._app[SPEECH]
        async with self._loading:
            if self._loaded is None:
                self._loaded = await SpeechEngines.load(self._settings)
            return self._loaded


class WhatsAppChannel:
    name = CHANNEL
    # Up to 3 options are reply buttons and 4-10 a list message (whatsapp_wire.plan_outbound); render()
    # turns more than 10 into a numbered list.
    capabilities = Capabilities(buttons=True, max_buttons=10, max_text=4096, phone_sender=True)

    def __init__(self, *, client: WhatsApp, stores, loop, app_secret: bytes, verify_token: str,
                 phone_number_id: str, replay_max_age_s: float, persona_id: str,
                 speech: Callable[[], Awaitable[SpeechEngines]], voice_note_replies: bool = False,
                 max_attempts: int = MAX_ATTEMPTS, retry_base_s: float = 0.5):
        self.wa = client
        self.stores = stores
        self.loop = loop
        self._app_secret = app_secret
        self._verify_token = verify_token.encode()
        self.phone_number_id = phone_number_id
        self.replay_max_age_s = replay_max_age_s
        self.persona_id = persona_id
        self.max_attempts = max_attempts
        self.retry_base_s = retry_base_s
        self.speech = speech
        self.voice_note_replies = voice_note_replies
        self._tasks: set[asyncio.Task] = set()
        # Voice notes whose transcript is being answered: message id -> the transcript as it may be shown.
        self._heard: dict[str, str] = {}

    # --- ingress ----------------------------------------------------------------------------------

    def verify_token(self, token: str | None) -> bool:
        return token is not None and hmac.compare_digest(token.encode(), self._verify_token)

    def verify(self, body: bytes, signature: str | None) -> bool:
        return verify_signature(self._app_secret, body, signature)

    def parse(self, body: bytes) -> WebhookBatch:
        """Parse a verified body; raises WireError."""
        return parse_webhook(body, self.phone_number_id)

    async def ingest(self, batch: WebhookBatch, now: float | None = None) -> None:
        """Record statuses, open the service window, and claim every message (fresh ones queue a turn).
        Returns once everything is durably stored: the caller then acknowledges."""
        now = time.time() if now is None else now
        for s in batch.statuses:
            await self.stores.deliveries.record(CHANNEL, s.message_id, s.recipient, s.status, s.error)
        stale_before = now - self.replay_max_age_s
        for item in batch.messages:
            msg = item.message
            await self.stores.windows.touch(CHANNEL, msg.sender, item.sent_at)
            if item.handling == "silent":
                await self._close_without_turn(item, outcome="ignored", reply_key=None)
            elif item.sent_at < stale_before:
                await self._close_without_turn(item, outcome="stale_after_outage",
                                               reply_key="wa_back_after_outage", once_per_period=True)
            elif item.handling == "unsupported":
                await self._close_without_turn(item, outcome="unsupported_type", reply_key="wa_unsupported")
            elif item.wire_type == "audio":
                await self._accept_voice_note(msg)
            else:
                await self.loop.accept(msg)

    async def _close_without_turn(self, item: WireMessage, *, outcome: str, reply_key: str | None,
                                  once_per_period: bool = False) -> None:
        """Claim a message that gets no agent turn, record it (inbox closed, audit), and queue its canned
        reply, if any, in the conversation's order (so it goes out before later turns' replies)."""
        msg = item.message
        key = msg.conversation_key
        ticket = self.stores.locks.ticket(key)  # before any await: keeps arrival order
        replies: list[OutboundMessage] = []
        try:
            if not await self.stores.claims.claim(CHANNEL, key, msg.message_id, inbound_to_json(msg)):
                self.stores.locks.cancel(key, ticket)
                return
            language = detect_language(msg.text, "en")
            if reply_key is not None and (not once_per_period or await self.stores.notices.claim(
                    CHANNEL, msg.sender, reply_key, quiet_s=BACK_NOTICE_QUIET_S)):
                replies.append(OutboundMessage(t(reply_key, language)))
            # Text of a message that never ran is masked as if it held a code: it may be a late OTP.
            text = mask(msg.text, expect_otp=True) if item.handling == "turn" else f"[{item.wire_type}]"
            await self._record_without_turn(msg, language=language, text=text, outcome=outcome, replies=replies)
        except BaseException:
            self.stores.locks.cancel(key, ticket)
            raise
        if not replies:
            self.stores.locks.cancel(key, ticket)
            return
        self._spawn(self._reply_in_order(msg.conversation, key, ticket, replies, msg.message_id))

    async def _record_without_turn(self, msg: InboundMessage, *, language: str, text: str, outcome: str,
                                   replies: list[OutboundMessage]) -> None:
        """Audit a claimed message that gets no agent turn, and close its inbox row."""
        key = msg.conversation_key
        try:
            await self.stores.audit.append(AuditRecord(
                channel=CHANNEL, conversation=key, message_id=msg.message_id, persona=self.persona_id,
                language=language, intent="none", step=f"whatsapp_{outcome}", tools=[], outcome=outcome,
                latency_ms=0.0, text=text, replies=[{"text": mask(r.text), "buttons": []} for r in replies]))
        finally:
            # Closed whatever happens, so a start-up replay never runs this message as a turn.
            await self.stores.inbox.finish(CHANNEL, key, msg.message_id, [r.as_json() for r in replies])

    def _spawn(self, work: Awaitable[None]) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _reply_in_order(self, conversation: str, key: str, ticket: asyncio.Future,
                              replies: list[OutboundMessage], in_reply_to: str) -> None:
        try:
            async with self.stores.locks.hold(key, ticket):
                await self.send(conversation, [p for r in replies for p in render(r, self.capabilities)],
                                in_reply_to=in_reply_to)
        except Exception as e:  # no one awaits this task: the failure is logged, masked
            log.error("WhatsApp notice to %s not sent: %s", mask(conversation), type(e).__name__)

    async def drain(self) -> None:
        """Let queued notices and voice notes being heard go out (at shutdown, before the HTTP client
        closes)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    # --- voice notes ------------------------------------------------------------------------------

    async def _accept_voice_note(self, msg: InboundMessage) -> None:
        """Claim a voice note (durably: its media id, not its audio) and hear it after the acknowledgement.
        The ticket taken here keeps the note's place: a message typed after it is answered after it,
        however long the transcription takes."""
        key = msg.conversation_key
        ticket = self.stores.locks.ticket(key)  # before any await: keeps arrival order
        try:
            claimed = await self.stores.claims.claim(CHANNEL, key, msg.message_id, inbound_to_json(msg))
        except BaseException:
            self.stores.locks.cancel(key, ticket)
            raise
        if not claimed:
            self.stores.locks.cancel(key, ticket)
            return
        self._spawn(self._answer_voice_note(msg, ticket))

    async def _answer_voice_note(self, msg: InboundMessage, ticket: asyncio.Future) -> None:
        key = msg.conversation_key
        try:
            language = await self._conversation_language(key)
            # Heard while earlier turns may still run: only the ticket waits its turn, not the CPU work.
            heard = await self._hear(msg.attachments[0], language)
        except Exception as e:  # the conversation's checkpoint could not be read (_hear never raises)
            log.error("voice note in %s not heard: %s", mask(msg.conversation), type(e).__name__)
            language, heard = None, FAILED
        except BaseException:
            self.stores.locks.cancel(key, ticket)
            raise
        try:
            if isinstance(heard, Unheard):
                await self._close_unheard(msg, ticket, heard, language or self._default_language())
                return
            text = as_typed(heard)
            self._heard[msg.message_id] = shown_transcript(text)
            try:
                # The loop runs the transcript as the customer's message, in the note's place.
                await self.loop.run_claimed(replace(msg, text=text), ticket)
            finally:
                self._heard.pop(msg.message_id, None)
        except Exception as e:  # no one awaits this task: the failure is logged, masked
            log.error("WhatsApp voice note in %s not answered: %s", mask(msg.conversation), type(e).__name__)

    async def _hear(self, audio: Attachment, language: str | None) -> str | Unheard:
        """The note's transcript, or why there is none. Never raises for what the audio or the Graph API
        did; nothing of the audio is kept."""
        try:
            check_audio(audio.mime_type, None)
            data, mime_type = await self._fetch_audio(audio.ref)
            pcm16 = await asyncio.to_thread(decode_to_pcm16, data, mime_type)
            if is_silent(pcm16):
                return UNCLEAR
            engines = await self.speech()
            text = await transcribe_note(engines.recognizer, pcm16, language)
        except AudioTooLong:
            return TOO_LONG
        except MediaRefused as e:
            log.warning("voice note refused: %s", e)
            return TOO_LONG if e.reason == "too_large" else UNCLEAR
        except UnreadableAudio as e:
            log.warning("voice note not decodable: %s", e)
            return UNCLEAR
        except Exception as e:
            log.error("voice note not heard: %s", type(e).__name__)
            return FAILED
        return text if any(ch.isalnum() for ch in text) else UNCLEAR

    async def _fetch_audio(self, media_id: str) -> tuple[bytes, str]:
        """Graph API: the media's URL and facts, then its bytes (bounded, digest checked)."""
        info = await self._with_retries(lambda: self.wa.get_media_url(media_id))
        check_audio(info.mime_type, int(info.file_size) if info.file_size is not None else None)
        data = bytearray()
        async for chunk in self.wa.stream_media(info.url):
            data += chunk
            if len(data) > MAX_AUDIO_BYTES:
                raise MediaRefused("too_large", f"more than {MAX_AUDIO_BYTES} bytes")
        check_digest(bytes(data), info.sha256)
        return bytes(data), info.mime_type

    async def _conversation_language(self, key: str) -> str | None:
        """The language the conversation is in (its checkpoint), None before its first turn."""
        snapshot = await self.loop.graph.aget_state({"configurable": {"thread_id": key}})
        return (snapshot.values or {}).get("language")

    def _default_language(self) -> str:
        return self.loop.services.persona.default_language

    async def _close_unheard(self, msg: InboundMessage, ticket: asyncio.Future, unheard: Unheard,
                             language: str) -> None:
        """A polite reply instead of a turn, in the note's place in the conversation."""
        key = msg.conversation_key
        replies = [OutboundMessage(t(unheard.reply_key, language))]
        async with self.stores.locks.hold(key, ticket):
            await self._record_without_turn(msg, language=language, text="[audio]", outcome=unheard.outcome,
                                            replies=replies)
            await self.send(msg.conversation, [p for r in replies for p in render(r, self.capabilities)],
                            in_reply_to=msg.message_id)

    # --- egress -----------------------------------------------------------------------------------

    async def send(self, conversation: str, messages: list[Rendered], *, in_reply_to: str | None = None) -> None:
        """Send rendered replies as free-form messages; raises OutsideServiceWindow when the customer's
        last message is more than 24 hours old. Each message id is recorded as "accepted".
        `in_reply_to` is not sent as a quote: every answer would repeat the customer's message above it."""
        to = _wa_id(conversation)
        await self.require_window(conversation)
        # The answer to a voice note: "I heard: ..." above it and, when enabled, the answer said.
        heard = self._heard.get(in_reply_to) if in_reply_to is not None else None
        language = await self._reply_language(conversation) if heard is not None else ""
        shown = list(messages)
        if heard is not None and shown:
            heard_line = t("wa_voice_note_heard", language, transcript=heard)
            shown[0] = replace(shown[0], text=f"{heard_line}\n\n{shown[0].text}".strip())
        for message in shown:
            for planned in plan_outbound(message):
                await self._send_planned(conversation, to, planned)
        if heard is not None and self.voice_note_replies:
            await self._send_spoken(conversation, to, messages, language)

    async def _reply_language(self, conversation: str) -> str:
        """The language the turn just answered in."""
        return await self._conversation_language(f"{CHANNEL}:{conversation}") or self._default_language()

    async def _send_spoken(self, conversation: str, to: str, messages: list[Rendered], language: str) -> None:
        """The reply to a voice note, said, as a voice note after the text: uploaded, then sent by media
        id. Text only when the language has no voice or the reply is too long to read out; a failure
        here is logged, the text having gone out."""
        text = "\n".join(m.text for m in messages if m.text.strip())
        if not text or len(text) > MAX_SPOKEN_CHARS:
            return
        try:
            synthesizer = (await self.speech()).synthesizer
            if synthesizer.voice_for(language) is None:
                return
            audio = await spoken_note(synthesizer, text, language)
            media = await self._with_retries(lambda: self.wa.upload_media(
                media=audio, mime_type=NOTE_MIME_TYPE, filename="reply.ogg", media_type="audio"))
            sent = await self._with_retries(lambda: self.wa.send_voice(to=to, voice=media.id))
        except Exception as e:
            log.error("voice-note reply to %s not sent: %s", mask(conversation), type(e).__name__)
            return
        await self.stores.deliveries.record(CHANNEL, sent.id, conversation, "accepted")

    async def require_window(self, conversation: str, now: float | None = None) -> None:
        last = await self.stores.windows.last_inbound(CHANNEL, conversation)
        now = time.time() if now is None else now
        if last is None or now - last > SERVICE_WINDOW_S:
            raise OutsideServiceWindow(
                f"{mask(conversation)} has not written in the last 24 hours: WhatsApp accepts only approved "
                "templates outside the customer-service window (use send_template)")

    async def send_template(self, to: str, name: str, language: str, params: Sequence[str] = ()) -> str:
        """Send an approved template (allowed outside the 24-hour window). `params` fill the body's
        {{1}}, {{2}}, ... in order. Returns the message id (recorded as "accepted")."""
        if language not in TemplateLanguage._value2member_map_:
            raise ValueError(f"{language!r} is not a WhatsApp template language code (e.g. en, en_US, hi)")
        components = None
        if params:
            components = [{"type": "body", "parameters": [{"type": "text", "text": str(p)} for p in params]}]
        wa_to = _wa_id(to)
        sent = await self._with_retries(lambda: self.wa.send_template(
            to=wa_to, name=name, language=TemplateLanguage(language), params=components))
        await self.stores.deliveries.record(CHANNEL, sent.id, to, "accepted")
        return sent.id

    async def _send_planned(self, conversation: str, to: str, planned: Planned) -> str:
        call: Callable[[], Awaitable[Any]]
        if planned.kind == "buttons":
            buttons = [Button(title=label, callback_data=label) for label in planned.options]
            call = lambda: self.wa.send_message(to=to, text=planned.text, buttons=buttons)  # noqa: E731
        elif planned.kind == "list":
            label = t("wa_list_button", planned.language)
            rows = [SectionRow(title=option, callback_data=option) for option in planned.options]
            section_list = SectionList(button_title=label, sections=[Section(title=label, rows=rows)])
            call = lambda: self.wa.send_message(to=to, text=planned.text, buttons=section_list)  # noqa: E731
        else:
            call = lambda: self.wa.send_message(to=to, text=planned.text)  # noqa: E731
        sent = await self._with_retries(call)
        await self.stores.deliveries.record(CHANNEL, sent.id, conversation, "accepted")
        return sent.id

    async def _with_retries(self, call: Callable[[], Awaitable[Any]]) -> Any:
        """At most `max_attempts` tries, retrying only what cannot have sent the message twice: HTTP 429
        and 5xx, Meta's transient error codes, and connections that never opened. (A read timeout is
        not retried: Meta may have accepted the message.)"""
        for attempt in range(1, self.max_attempts + 1):
            try:
                return await call()
            except WhatsAppError as e:
                if e.code == REENGAGEMENT_CODE:
                    raise OutsideServiceWindow(f"the Graph API refused a free-form message: {e.message}") from e
                status = e.status_code or 0
                if attempt == self.max_attempts or not (
                        status == 429 or status >= 500 or e.code in TRANSIENT_CODES or e.is_transient):
                    raise
                delay = self._delay(attempt, e.raw_response)
                reason = f"HTTP {status} code {e.code}"
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as e:
                if attempt == self.max_attempts:
                    raise
                delay = self._delay(attempt, None)
                reason = type(e).__name__
            log.warning("Graph API attempt %d of %d failed (%s); retrying in %.2f s", attempt,
                        self.max_attempts, reason, delay)
            await asyncio.sleep(delay)
        raise AssertionError("unreachable")

    def _delay(self, attempt: int, response: httpx.Response | None) -> float:
        retry_after = response.headers.get("Retry-After") if response is not None else None
        if retry_after and retry_after.isdigit():
            return min(float(retry_after), MAX_RETRY_DELAY_S)
        # Exponential with jitter, so many conversations throttled together do not retry in step.
        return min(self.retry_base_s * 2 ** (attempt - 1) * random.uniform(0.5, 1.0), MAX_RETRY_DELAY_S)


def _wa_id(address: str) -> str:
    if not _E164.fullmatch(address):
        raise ValueError("a WhatsApp address is an E.164 number like +919812345678")
    return address[1:]


WHATSAPP = web.AppKey("whatsapp_channel", WhatsAppChannel)


def setup(app: web.Application, settings) -> None:
    """On when its settings are present (bot/settings.py refuses a partial configuration)."""
    if settings.whatsapp_verify_token is None:
        return
    voice_settings = load_voice_settings(os.environ, settings.data_dir)

    async def start(app: web.Application):
        # pywa logs whole request bodies (numbers, message text) at DEBUG: never let that reach the logs.
        logging.getLogger("pywa").setLevel(max(logging.INFO, logging.getLogger("pywa").getEffectiveLevel()))
        session = httpx.AsyncClient(timeout=httpx.Timeout(15.0, connect=5.0),
                                    limits=httpx.Limits(max_connections=50, max_keepalive_connections=20))
        client = WhatsApp(phone_id=settings.whatsapp_phone_number_id,
                          token=settings.whatsapp_access_token.get_secret_value(), session=session,
                          server=None)  # custom-server mode: the routes below are ours
        # pywa's GraphAPI.__init__ hard-codes https://graph.facebook.com/v{api_version} as the client's
        # base_url. The API base URL is a setting (a stand-in in tests, a proxy or another version in
        # production), so it is set back on our own httpx client after construction; pywa requests
        # relative paths ("/{phone_number_id}/messages"), which httpx joins onto this base.
        session.base_url = settings.whatsapp_api_url.rstrip("/")
        channel = WhatsAppChannel(
            client=client, stores=app[STORES], loop=app[LOOP],
            app_secret=settings.whatsapp_app_secret.get_secret_value().encode(),
            verify_token=settings.whatsapp_verify_token.get_secret_value(),
            phone_number_id=settings.whatsapp_phone_number_id,
            replay_max_age_s=settings.whatsapp_replay_max_age_s, persona_id=app[PERSONA].id,
            speech=LazySpeech(app, voice_settings), voice_note_replies=voice_settings.note_replies)
        app[WHATSAPP] = channel
        app[CHANNELS][channel.name] = channel
        try:
            yield
        finally:
            # Turns still running deliver through this channel: let them and the queued notices finish
            # before the HTTP client closes (the gateway's own drain comes after this, too late for us).
            await app[LOOP].drain()
            await channel.drain()
            app[CHANNELS].pop(channel.name, None)
            await session.aclose()

    app.cleanup_ctx.append(start)
    app.router.add_get("/whatsapp/webhook", handshake)
    app.router.add_post("/whatsapp/webhook", receive)


async def handshake(request: web.Request) -> web.Response:
    """Meta's subscription check: echo hub.challenge if hub.verify_token is ours."""
    channel = request.app[WHATSAPP]
    query = request.query
    if query.get("hub.mode") != "subscribe" or not channel.verify_token(query.get("hub.verify_token")):
        return web.json_response({"error": "forbidden", "message": "Verification token mismatch."}, status=403)
    challenge = query.get("hub.challenge", "")
    if not _CHALLENGE.fullmatch(challenge):
        return web.json_response({"error": "invalid_challenge", "message": "hub.challenge is missing or invalid."},
                                 status=400)
    return web.Response(text=challenge, content_type="text/plain")


async def receive(request: web.Request) -> web.Response:
    channel = request.app[WHATSAPP]
    try:
        body = await read_body(request, MAX_BODY)
    except BadRequest as e:
        return e.response()
    # The signature first, on the raw bytes: nothing is parsed, let alone stored, for a forged body.
    if not channel.verify(body, request.headers.get("X-Hub-Signature-256")):
        return web.json_response({"error": "forbidden", "message": "Missing or invalid X-Hub-Signature-256."},
                                 status=403)
    try:
        batch = channel.parse(body)
    except WireError as e:
        return web.json_response({"error": "invalid_payload", "message": str(e)}, status=400)
    await channel.ingest(batch)
    return web.Response(text="ok", content_type="text/plain")
