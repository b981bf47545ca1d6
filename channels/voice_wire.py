"""The Media Streams wire format and the TwiML the phone line speaks (channels/voice.py): pure functions,
no I/O.

    incoming call  -> stream_twiml: <Connect><Stream url=wss://...> with the call's <Parameter>s
    stream message -> parse_event, media_frame (bounded), stream_start (the call it belongs to)
    transfer       -> dial_twiml: <Dial>agent number</Dial>

`CallTokens` ties a stream to a call the gateway answered (see channels/voice.py for why)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import time
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from voice.audio import MAX_INBOUND_FRAME_BYTES

TWIML_HEAD = '<?xml version="1.0" encoding="UTF-8"?>'
TWIML_BUSY = TWIML_HEAD + '<Response><Reject reason="busy"/></Response>'

MAX_PAYLOAD = (MAX_INBOUND_FRAME_BYTES + 2) // 3 * 4  # the largest audio frame accepted, base64-encoded
TOKEN_TTL_S = 120

CALL_SID = re.compile(r"^CA[0-9a-fA-F]{32}$")
STREAM_SID = re.compile(r"^MZ[0-9a-fA-F]{32}$")


class StreamError(Exception):
    """The stream broke the protocol: close it with `code` (RFC 6455) and `reason`."""

    def __init__(self, code: int, reason: str):
        super().__init__(reason)
        self.code, self.reason = code, reason


@dataclass(frozen=True)
class StreamStart:
    call_sid: str
    stream_sid: str
    caller: str  # E.164, or "" for a withheld or non-phone caller ID (no identity claim)


class CallTokens:
    """Tie a media stream to a call this gateway answered: `<issued-at hex>.<HMAC(CallSid, caller,
    issued-at)>`, valid for TOKEN_TTL_S and used once (in this process)."""

    def __init__(self, secret: bytes, ttl_s: int = TOKEN_TTL_S):
        self._key = hashlib.sha256(b"sahayak-voice-stream:" + secret).digest()
        self.ttl_s = ttl_s
        self._used: dict[str, float] = {}  # CallSid -> when its token was used; pruned after ttl_s

    def _mac(self, call_sid: str, caller: str, issued: int) -> str:
        digest = hmac.new(self._key, f"{call_sid}|{caller}|{issued}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest[:18]).decode()

    def issue(self, call_sid: str, caller: str, now: float | None = None) -> str:
        issued = int(time.time() if now is None else now)
        return f"{issued:x}.{self._mac(call_sid, caller, issued)}"

    def redeem(self, token: object, call_sid: str, caller: str, now: float | None = None) -> bool:
        now = time.time() if now is None else now
        self._used = {sid: at for sid, at in self._used.items() if now - at <= self.ttl_s}
        if not isinstance(token, str) or token.count(".") != 1 or call_sid in self._used:
            return False
        issued_hex, mac = token.split(".")
        try:
            issued = int(issued_hex, 16)
        except ValueError:
            return False
        if not hmac.compare_digest(mac, self._mac(call_sid, caller, issued)) or not 0 <= now - issued <= self.ttl_s:
            return False
        self._used[call_sid] = now
        return True


def stream_twiml(stream_url: str, parameters: dict[str, str]) -> str:
    params = "".join(f"<Parameter name={quoteattr(name)} value={quoteattr(value)}/>"
                     for name, value in parameters.items())
    return f"{TWIML_HEAD}<Response><Connect><Stream url={quoteattr(stream_url)}>{params}</Stream></Connect></Response>"


def dial_twiml(number: str) -> str:
    return f"{TWIML_HEAD}<Response><Dial>{escape(number)}</Dial></Response>"


def parse_event(raw: str) -> dict:
    """One Media Streams message: a JSON object with an "event" name. Raises StreamError (1007)."""
    try:
        event = json.loads(raw)
    except ValueError:
        raise StreamError(1007, "messages are JSON") from None
    if not isinstance(event, dict) or not isinstance(event.get("event"), str):
        raise StreamError(1007, "a message is an object with an event name")
    return event


def media_frame(event: dict) -> bytes | None:
    """The inbound audio of a `media` message (None for another track). Raises StreamError."""
    media = event.get("media")
    if not isinstance(media, dict):
        raise StreamError(1007, "media without a media object")
    if media.get("track", "inbound") != "inbound":
        return None
    payload = media.get("payload")
    if not isinstance(payload, str):
        raise StreamError(1007, "media without a payload")
    if len(payload) > MAX_PAYLOAD:
        raise StreamError(1009, "audio frame too large")
    try:
        return base64.b64decode(payload, validate=True)
    except binascii.Error:
        raise StreamError(1007, "the payload is not base64") from None


def stream_start(event: dict, account_sid: str, tokens: CallTokens) -> StreamStart:
    """The call a `start` message opens, if it is one this gateway answered on `account_sid`, in μ-law
    8 kHz mono. Raises StreamError (1003, 1007, 1008)."""
    start = event.get("start")
    if not isinstance(start, dict):
        raise StreamError(1007, "start without its metadata")
    call_sid, stream_sid = start.get("callSid"), event.get("streamSid") or start.get("streamSid")
    if start.get("accountSid") != account_sid:
        raise StreamError(1008, "another account's stream")
    if not isinstance(call_sid, str) or not CALL_SID.match(call_sid) or \
            not isinstance(stream_sid, str) or not STREAM_SID.match(stream_sid):
        raise StreamError(1007, "callSid or streamSid malformed")
    parameters = start.get("customParameters")
    parameters = parameters if isinstance(parameters, dict) else {}
    caller = parameters.get("caller") if isinstance(parameters.get("caller"), str) else ""
    if not tokens.redeem(parameters.get("token"), call_sid, caller):
        raise StreamError(1008, "not a call this gateway answered")
    media = start.get("mediaFormat")
    if not isinstance(media, dict) or \
            (media.get("encoding"), media.get("sampleRate"), media.get("channels")) != ("audio/x-mulaw", 8000, 1):
        raise StreamError(1003, "only μ-law 8 kHz mono")
    return StreamStart(call_sid, stream_sid, caller)
