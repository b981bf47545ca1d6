"""The phone line: Twilio Programmable Voice with bidirectional Media Streams.

    POST /voice/twilio   Twilio's incoming-call webhook (form-encoded, signed)  -> TwiML <Connect><Stream>
    GET  /voice/stream   the Media Streams WebSocket Twilio then opens (a signed upgrade)

Answering: the webhook is checked as the SMS channel checks its own (X-Twilio-Signature, twilio's
`RequestValidator` over SAHAYAK_PUBLIC_URL + path, never the Host or X-Forwarded-* headers; AccountSid
ours) and answered with

    <Response><Connect><Stream url="wss://<public host>/voice/stream">
      <Parameter name="caller" value="+9198..."/><Parameter name="token" value="..."/>
    </Stream></Connect></Response>

A Stream URL cannot carry a query string, so the call's identity travels in <Parameter>s, which Twilio
hands back in the stream's `start` message. The caller's number is what the bot looks the customer up
by (Capabilities.phone_sender); caller ID can be spoofed, so it only names the customer, and OTP is
still required for account data. `token` is an HMAC of the CallSid, the caller's number and the time
under the gateway's secret key: the upgrade's own signature covers only the fixed stream URL (the same
for every call, so one seen once could be replayed), while the token ties the stream to a call this
gateway answered, within two minutes, once.

The upgrade carries X-Twilio-Signature over the wss:// URL (and no parameters); a missing or bad one is
refused with 403 before the upgrade, so no audio ever flows. Then the Media Streams protocol:

    in:  connected, start, media (20 ms of μ-law, base64), mark (played), dtmf, stop
    out: media, mark (after each sentence), clear (barge-in)

Messages are bounded (16 KB; one audio frame at most a second), a stream must `start` within 10 s and
stays open only while Twilio keeps sending (it sends audio every 20 ms); the wire format itself is
channels/voice_wire.py. Each call is its own
conversation (`voice:<CallSid>`), run on the conversation loop like every other channel's; the call
speaks the replies of its own turns (voice/call.py holds the per-call state machine: turn-taking,
holding phrases, barge-in, marks, keypad). A human agent's reply during a live call is spoken too.

Escalation: when a turn hands the conversation to a person (the case is opened within that turn) and
SAHAYAK_PHONE_AGENT_NUMBER is set, the call is transferred once the caller has heard the reply:
Twilio's REST call update with <Response><Dial>number</Dial></Response>.

The speech engines load once, at start-up (SpeechEngines.load, off the event loop); an application
embedding the channel (or a test) may put engines it has already loaded in app[SPEECH] first.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import os
import re
from collections.abc import Sequence
from datetime import datetime, timezone

import aiohttp
from aiohttp import WSMsgType, web
from multidict import MultiDict

from bot.appkeys import CHANNELS, HTTP, LOOP, PERSONA, SPEECH, STORES
from bot.masking import mask
from bot.stores.audit import AuditRecord
from channels.base import Capabilities, InboundMessage, OutboundMessage, Rendered, render
from channels.http_edge import BadRequest
from channels.sms import TwilioError, masked_number
from channels.sms import check_settings as check_twilio_settings
from channels.twilio_webhooks import TwilioWebhooks
from channels.voice_wire import (
    CALL_SID, TWIML_BUSY, CallTokens, StreamError, StreamStart, dial_twiml, media_frame, parse_event, stream_start,
    stream_twiml,
)
from voice.audio import FrameTooLarge
from voice.call import CallSession, CallTiming, SpeechEngines, SpokenPhrases, Transfer, TurnOutcome
from voice.settings import load_voice_settings

log = logging.getLogger("sahayak.voice")

ANSWER_PATH = "/voice/twilio"
STREAM_PATH = "/voice/stream"
MAX_MESSAGE = 16 * 1024  # a media message: at most 8,000 bytes of audio in base64 (10.7 KB) and its envelope
START_TIMEOUT_S = 10.0
SILENCE_TIMEOUT_S = 30.0  # Twilio sends audio every 20 ms: this long without a message is a dead line
MAX_RESPONSE = 64 * 1024

_E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")


class TwilioCalls:
    """The one call-control request needed: update a live call with new TwiML (a transfer). Retried a
    few times on 429 and 5xx and on a connection that never opened; not on a timeout, after which the
    update may already have happened."""

    def __init__(self, http: aiohttp.ClientSession, api_url: str, account_sid: str, auth_token: str, *,
                 max_attempts: int = 3, retry_base_s: float = 0.5, timeout_s: float = 10.0):
        self._http = http
        self._base = f"{api_url.rstrip('/')}/2010-04-01/Accounts/{account_sid}/Calls"
        self._headers = {"Authorization": aiohttp.encode_basic_auth(account_sid, auth_token)}
        self.max_attempts = max_attempts
        self.retry_base_s = retry_base_s
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)

    async def update(self, call_sid: str, twiml: str) -> None:
        for attempt in range(1, self.max_attempts + 1):
            try:
                async with self._http.post(f"{self._base}/{call_sid}.json", data={"Twiml": twiml},
                                           headers=self._headers, timeout=self._timeout) as resp:
                    if resp.status in (200, 201):
                        return
                    payload = _json_object(await resp.content.read(MAX_RESPONSE))
                    code = payload.get("code")
                    error = TwilioError(resp.status, code if isinstance(code, int) else None,
                                        str(payload.get("message") or resp.reason)[:200])
                    retryable = resp.status == 429 or resp.status >= 500
            except aiohttp.ClientConnectorError as e:
                error, retryable = TwilioError(0, None, f"cannot connect ({type(e).__name__})"), True
            except (aiohttp.ClientError, asyncio.TimeoutError) as e:
                raise TwilioError(0, None, f"no answer ({type(e).__name__}); not retried") from e
            if not retryable or attempt == self.max_attempts:
                raise error
            await asyncio.sleep(self.retry_base_s * 2 ** (attempt - 1))


def _json_object(raw: bytes) -> dict:
    try:
        payload = json.loads(raw)
    except ValueError:
        return {}
    return payload if isinstance(payload, dict) else {}


class TwilioLine:
    """voice.call.Line over a Media Streams socket. After the call hangs up, sound goes nowhere."""

    def __init__(self, ws: web.WebSocketResponse, stream_sid: str):
        self._ws = ws
        self._stream_sid = stream_sid

    async def play(self, frame: bytes) -> None:
        await self._send({"event": "media", "streamSid": self._stream_sid,
                          "media": {"payload": base64.b64encode(frame).decode()}})

    async def mark(self, name: str) -> None:
        await self._send({"event": "mark", "streamSid": self._stream_sid, "mark": {"name": name}})

    async def clear(self) -> None:
        await self._send({"event": "clear", "streamSid": self._stream_sid})

    async def _send(self, message: dict) -> None:
        if not self._ws.closed:
            await self._ws.send_str(json.dumps(message))


class LoopConversation:
    """voice.call.CallConversation for one call, on the conversation loop."""

    def __init__(self, channel: VoiceChannel, call: StreamStart):
        self._channel = channel
        self._call = call
        self.key = f"{channel.name}:{call.call_sid}"
        self._turns = 0
        self._cuts = 0
        self._last_case: str | None = None

    async def ask(self, text: str) -> TurnOutcome:
        self._turns += 1
        msg = InboundMessage(channel=self._channel.name, conversation=self._call.call_sid, sender=self._call.caller,
                             text=text, message_id=f"{self._call.call_sid}-{self._turns}",
                             received_at=datetime.now(timezone.utc))
        loop = self._channel.loop
        result = await loop.handle(msg)
        # What the turn left the conversation waiting for, in which language, and whether it opened a
        # case: the graph's checkpoint says (the loop reports only the replies).
        snapshot = await loop.graph.aget_state({"configurable": {"thread_id": self.key}})
        values = snapshot.values or {}
        case = values.get("case_ref")
        escalated = values.get("step") == "escalated" and case is not None and case != self._last_case
        if escalated:
            self._last_case = case
        caps = self._channel.capabilities
        replies = tuple(OutboundMessage(part.text, part.buttons) for reply in result.replies
                        for part in render(reply, caps))
        return TurnOutcome(replies=replies, language=values.get("language") or self._channel.persona.default_language,
                           waiting_for=(values.get("wf") or {}).get("wait"), escalated=escalated,
                           case_reference=case)

    async def transfer(self) -> Transfer:
        number = self._channel.agent_number
        if number is None:
            return "not_configured"
        try:
            await self._channel.calls_api.update(self._call.call_sid, dial_twiml(number))
        except TwilioError as e:
            log.error("call %s: transfer to the agents failed: %s", self._call.call_sid, e)
            return "failed"
        return "transferred"

    async def note_interrupted(self, heard: Sequence[str], cut_off: Sequence[str], language: str) -> None:
        """On the record, after the turn whose reply was cut off: what of it the caller heard (whole
        sentences, then the one being said when they cut in)."""
        self._cuts += 1
        await self._channel.stores.audit.append(AuditRecord(
            channel=self._channel.name, conversation=self.key, message_id=f"{self._call.call_sid}-cut-{self._cuts}",
            persona=self._channel.persona.id, language=language, intent="barge_in", step="voice", tools=[],
            outcome="interrupted", latency_ms=0.0, text="",
            replies=[{"text": mask(sentence), "buttons": [], "from": "heard"} for sentence in heard]
            + [{"text": mask(sentence), "buttons": [], "from": "cut_off"} for sentence in cut_off]))


class VoiceChannel:
    name = "voice"
    # Buttons are read out as keypad choices (1-9); a reply of 1,000 characters is about a minute of speech.
    capabilities = Capabilities(buttons=True, max_buttons=9, max_text=1000, phone_sender=True)

    def __init__(self, settings, stores, http: aiohttp.ClientSession, persona, loop, engines: SpeechEngines,
                 timing: CallTiming):
        self.account_sid: str = settings.twilio_account_sid
        self.public_url: str = settings.public_url.rstrip("/")
        self.stream_url = re.sub(r"^http", "ws", self.public_url) + STREAM_PATH  # https -> wss, http -> ws
        self.agent_number: str | None = settings.phone_agent_number
        self.max_calls: int = settings.phone_max_calls
        self.stores = stores
        self.persona = persona
        self.loop = loop
        self.engines = engines
        self.timing = timing
        self.phrases = SpokenPhrases(engines.synthesizer)
        auth_token = settings.twilio_auth_token.get_secret_value()
        self.webhooks = TwilioWebhooks(auth_token, self.account_sid, self.public_url)
        self.tokens = CallTokens(settings.resolved_secret())
        self.calls_api = TwilioCalls(http, settings.twilio_api_url, self.account_sid, auth_token)
        self.calls: dict[str, CallSession] = {}  # live calls by CallSid
        self._sockets: dict[str, web.WebSocketResponse] = {}

    # ------------------------------------------------------------------ answering

    async def verified_params(self, request: web.Request, path: str) -> MultiDict:
        """The form parameters of a webhook Twilio signed for `path` (channels/twilio_webhooks.py)."""
        return await self.webhooks.verified_params(request, path)

    def answer(self, params: MultiDict) -> str:
        """The TwiML that connects a call to the media stream."""
        call_sid = params.get("CallSid") or ""
        if not CALL_SID.match(call_sid):
            raise BadRequest(400, "invalid_call_sid", "CallSid must look like CA followed by 32 hex digits.")
        if len(self.calls) >= self.max_calls:
            log.warning("refused call %s: %d calls in progress", call_sid, len(self.calls))
            return TWIML_BUSY
        caller = params.get("From") or ""
        caller = caller if _E164.match(caller) else ""  # withheld ("anonymous"), a SIP or client address
        log.info("answering call %s from %s", call_sid, masked_number(caller) if caller else "a withheld number")
        return stream_twiml(self.stream_url, {"caller": caller, "token": self.tokens.issue(call_sid, caller)})

    def signed_upgrade(self, request: web.Request) -> bool:
        """Twilio signs the stream's wss:// URL, with no parameters."""
        return self.webhooks.signed(request, self.stream_url, {})

    # ------------------------------------------------------------------ the stream

    async def run_stream(self, ws: web.WebSocketResponse) -> None:
        try:
            start = await self._started(ws)
            await self._call(ws, start)
        except StreamError as e:
            log.warning("closed a media stream: %s", e.reason)
            await ws.close(code=e.code, message=e.reason.encode())
        except asyncio.TimeoutError:
            log.warning("closed a silent media stream")
            await ws.close(code=1008, message=b"no audio")

    async def _started(self, ws: web.WebSocketResponse) -> StreamStart:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + START_TIMEOUT_S
        while True:
            message = await ws.receive(timeout=max(0.0, deadline - loop.time()))
            if message.type != WSMsgType.TEXT:
                raise StreamError(1003, "the stream ended before it started")
            event = parse_event(message.data)
            if event["event"] == "start":
                return self._accepted(event)
            if event["event"] != "connected":
                raise StreamError(1008, "expected start")

    def _accepted(self, event: dict) -> StreamStart:
        start = stream_start(event, self.account_sid, self.tokens)
        if start.call_sid in self.calls:
            raise StreamError(1008, "the call already has a stream")
        if len(self.calls) >= self.max_calls:
            raise StreamError(1013, "too many calls")
        return start

    async def _call(self, ws: web.WebSocketResponse, start: StreamStart) -> None:
        session = CallSession(self.engines, LoopConversation(self, start), TwilioLine(ws, start.stream_sid),
                              self.phrases, language=self.persona.default_language,
                              bank_name=self.persona.bank_name, timing=self.timing, call_id=start.call_sid)
        self.calls[start.call_sid] = session
        self._sockets[start.call_sid] = ws
        session.start()
        try:
            while True:
                message = await ws.receive(timeout=SILENCE_TIMEOUT_S)
                if message.type in (WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED, WSMsgType.ERROR):
                    break
                if message.type != WSMsgType.TEXT:
                    raise StreamError(1003, "text messages only")
                event = parse_event(message.data)
                kind = event["event"]
                if kind == "media":
                    frame = media_frame(event)
                    if frame is not None:
                        session.feed(frame)
                elif kind == "dtmf":
                    dtmf = event.get("dtmf")
                    session.keypad(str(dtmf.get("digit", "")) if isinstance(dtmf, dict) else "")
                elif kind == "mark":
                    mark = event.get("mark")
                    session.played(str(mark.get("name", "")) if isinstance(mark, dict) else "")
                elif kind == "stop":
                    break
                # Other events (newer protocol versions) carry nothing this call needs.
        except FrameTooLarge:
            raise StreamError(1009, "audio frame too large") from None
        finally:
            self.calls.pop(start.call_sid, None)
            self._sockets.pop(start.call_sid, None)
            await session.close()
            log.info("call %s ended (%s; %d sentence(s) heard)", start.call_sid,
                     "transferred" if session.transferred else "stream closed", len(session.heard))

    async def hang_up_all(self) -> None:
        """At shutdown: close every call's stream (each call's turns in flight still finish)."""
        for ws in list(self._sockets.values()):
            await ws.close(code=1001, message=b"shutting down")

    # ------------------------------------------------------------------ egress

    async def send(self, conversation: str, messages: list[Rendered], *, in_reply_to: str | None = None) -> None:
        if in_reply_to is not None:
            return  # replies to the call's own turn: the call speaks them from the turn's result
        session = self.calls.get(conversation)
        if session is None:
            log.warning("a reply for call %s after it ended: not delivered", conversation)
            return
        session.announce([OutboundMessage(m.text, m.buttons) for m in messages])


VOICE = web.AppKey("voice_channel", VoiceChannel)


def setup(app: web.Application, settings) -> None:
    """On when SAHAYAK_PHONE_LINE is (bot/settings.py then requires the Twilio settings)."""
    if not settings.phone_line:
        return
    check_twilio_settings(settings)
    voice_settings = load_voice_settings(os.environ, settings.data_dir)
    timing = CallTiming(end_of_speech_ms=voice_settings.end_of_speech_ms)

    async def start(app: web.Application):
        if SPEECH not in app:
            app[SPEECH] = await SpeechEngines.load(voice_settings)
        channel = VoiceChannel(settings, app[STORES], app[HTTP], app[PERSONA], app[LOOP], app[SPEECH], timing)
        app[VOICE] = channel
        app[CHANNELS][channel.name] = channel
        yield

    async def hang_up(app: web.Application) -> None:
        if VOICE in app:
            await app[VOICE].hang_up_all()

    app.cleanup_ctx.append(start)
    app.on_shutdown.append(hang_up)

    async def incoming_call(request: web.Request) -> web.Response:
        channel = request.app[VOICE]
        try:
            twiml = channel.answer(await channel.verified_params(request, ANSWER_PATH))
        except BadRequest as e:
            return e.response()
        return web.Response(text=twiml, content_type="text/xml", charset="utf-8")

    async def media_stream(request: web.Request) -> web.StreamResponse:
        channel = request.app[VOICE]
        if not channel.signed_upgrade(request):
            log.warning("refused a media stream with a bad Twilio signature")
            return BadRequest(403, "forged_signature", "The request signature is not valid.").response()
        ws = web.WebSocketResponse(max_msg_size=MAX_MESSAGE)
        await ws.prepare(request)
        await channel.run_stream(ws)
        await ws.close()
        return ws

    app.router.add_post(ANSWER_PATH, incoming_call)
    app.router.add_get(STREAM_PATH, media_stream)
