"""Twilio's side of a phone call, for tests: the incoming-call webhook and a Media Streams client over a
real WebSocket.

- `incoming_call_params` and `answer_call`: the webhook as Twilio posts it for a ringing call, signed
  with twilio's own `RequestValidator` over the public URL, and the TwiML answer parsed (`Answer`).
- `TwilioCall.connect`: opens the stream as Twilio does (the upgrade signed over the wss:// URL, no
  parameters), sends `connected` and `start` (the <Parameter>s as customParameters), then the caller's
  audio every 20 ms, silence unless `say` queued speech; `press` sends key presses, `hang_up` sends
  `stop`. It plays the bot's audio back in real time, as Twilio does: a mark is echoed once the audio
  before it has been played; at a clear the buffered audio is dropped and its marks given back at once.
- `speech_frames`: caller speech synthesized at test time with the packaged Piper voice, as 20 ms
  μ-law frames.
- RECORDED_MESSAGES: Media Streams messages as Twilio's documentation shows them.
"""

from __future__ import annotations

import asyncio
import base64
import collections
import contextlib
import json
import secrets
import time
import xml.etree.ElementTree as ElementTree
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from urllib.parse import urlencode

import aiohttp
from twilio_stand_in import ACCOUNT_SID, AUTH_TOKEN, PUBLIC_URL, RAJESH, TWILIO_FROM, new_sid, sign

from voice.audio import LINE_FRAME_BYTES, ULAW_SILENCE, paced
from voice.tts import Synthesizer

STREAM_URL = PUBLIC_URL.replace("https://", "wss://") + "/voice/stream"
SILENCE = bytes([ULAW_SILENCE]) * LINE_FRAME_BYTES
FRAME_S = 0.02


def incoming_call_params(call_sid: str, caller: str = RAJESH, *, account_sid: str = ACCOUNT_SID) -> dict[str, str]:
    """What Twilio posts to the Voice URL when a call comes in."""
    return {
        "AccountSid": account_sid, "ApiVersion": "2010-04-01", "CallSid": call_sid, "CallStatus": "ringing",
        "Called": TWILIO_FROM, "CalledCity": "", "CalledCountry": "IN", "CalledState": "", "CalledZip": "",
        "Caller": caller, "CallerCity": "", "CallerCountry": "IN", "CallerState": "", "CallerZip": "",
        "Direction": "inbound", "From": caller, "FromCity": "", "FromCountry": "IN", "FromState": "",
        "FromZip": "", "To": TWILIO_FROM, "ToCity": "", "ToCountry": "IN", "ToState": "", "ToZip": "",
    }


async def answer_call(http: aiohttp.ClientSession, base_url: str, params: dict[str, str], *,
                      token: str = AUTH_TOKEN) -> aiohttp.ClientResponse:
    """POST the incoming-call webhook as Twilio would (signed over the public URL)."""
    headers = {"Content-Type": "application/x-www-form-urlencoded; charset=UTF-8", "User-Agent": "TwilioProxy/1.1",
               "X-Twilio-Signature": sign(PUBLIC_URL + "/voice/twilio", params, token)}
    return await http.post(base_url + "/voice/twilio", data=urlencode(params).encode(), headers=headers)


@dataclass(frozen=True)
class Answer:
    stream_url: str
    parameters: dict[str, str]


def parse_answer(twiml: str) -> Answer:
    """<Response><Connect><Stream url=...><Parameter .../>... as Twilio reads it."""
    stream = ElementTree.fromstring(twiml).find("./Connect/Stream")
    assert stream is not None, twiml
    return Answer(stream.attrib["url"], {p.attrib["name"]: p.attrib["value"] for p in stream.findall("Parameter")})


async def speech_frames(synthesizer: Synthesizer, text: str) -> list[bytes]:
    """`text` said by the packaged voice, as the caller's line would carry it."""
    return [frame async for frame in synthesizer.line_frames(text, "en")]


@dataclass
class BotAudio:
    at: float  # time.time() when it arrived
    frame: bytes


@dataclass
class TwilioCall:
    ws: aiohttp.ClientWebSocketResponse
    call_sid: str
    stream_sid: str
    received: list[BotAudio] = field(default_factory=list)
    marks_played: list[str] = field(default_factory=list)  # echoed after their audio played
    marks_cleared: list[str] = field(default_factory=list)  # given back at a clear, unplayed
    clears: list[float] = field(default_factory=list)  # time.time() of each clear
    speech_ended_at: float = 0.0  # time.time() when the last queued speech frame was sent
    _sequence: int = 0
    _play_until: float = 0.0  # loop time until which received audio is still playing
    _mark_timers: dict[str, asyncio.TimerHandle] = field(default_factory=dict)
    _speech: collections.deque = field(default_factory=collections.deque)
    _tasks: list[asyncio.Task] = field(default_factory=list)

    @classmethod
    async def connect(cls, http: aiohttp.ClientSession, base_url: str, answer: Answer, call_sid: str, *,
                      signature: str | None = None, account_sid: str = ACCOUNT_SID) -> TwilioCall:
        ws = await http.ws_connect(base_url.replace("http", "ws", 1) + "/voice/stream", headers={
            "X-Twilio-Signature": sign(answer.stream_url, {}) if signature is None else signature})
        call = cls(ws, call_sid, "MZ" + secrets.token_hex(16))
        await call.send({"event": "connected", "protocol": "Call", "version": "1.0.0"})
        await call.send({"event": "start", "start": {
            "accountSid": account_sid, "streamSid": call.stream_sid, "callSid": call_sid, "tracks": ["inbound"],
            "customParameters": answer.parameters,
            "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1}},
            "streamSid": call.stream_sid})
        call._tasks = [asyncio.create_task(call._microphone()), asyncio.create_task(call._listen())]
        return call

    async def send(self, message: dict) -> None:
        self._sequence += 1
        await self.ws.send_str(json.dumps({**message, "sequenceNumber": str(self._sequence)}))

    # ------------------------------------------------------------------ the caller

    async def say(self, frames: list[bytes]) -> None:
        """Speak `frames` into the line (in real time, as a caller would); returns once they are sent."""
        done = asyncio.get_running_loop().create_future()
        for i, frame in enumerate(frames):
            self._speech.append((frame, done if i == len(frames) - 1 else None))
        await done

    async def press(self, keys: str, gap_s: float = 0.15) -> None:
        for key in keys:
            await self.send({"event": "dtmf", "streamSid": self.stream_sid,
                             "dtmf": {"track": "inbound_track", "digit": key}})
            await asyncio.sleep(gap_s)

    async def hang_up(self) -> None:
        if not self.ws.closed:
            await self.send({"event": "stop", "streamSid": self.stream_sid,
                             "stop": {"accountSid": ACCOUNT_SID, "callSid": self.call_sid}})
            await self.ws.close()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for timer in self._mark_timers.values():
            timer.cancel()

    async def _microphone(self) -> None:
        chunk = 0
        async for frame in paced(self._frames(), FRAME_S):
            chunk += 1
            try:
                await self.send({"event": "media", "streamSid": self.stream_sid, "media": {
                    "track": "inbound", "chunk": str(chunk), "timestamp": str(chunk * 20),
                    "payload": base64.b64encode(frame).decode()}})
            except ConnectionResetError:  # the gateway ended the call
                return

    async def _frames(self) -> AsyncIterator[bytes]:
        while True:
            if not self._speech:
                yield SILENCE
                continue
            frame, done = self._speech.popleft()
            yield frame
            if done is not None:
                self.speech_ended_at = time.time()
                done.set_result(None)

    # ------------------------------------------------------------------ the line's playback

    async def _listen(self) -> None:
        loop = asyncio.get_running_loop()
        async for message in self.ws:
            if message.type != aiohttp.WSMsgType.TEXT:
                break
            event = json.loads(message.data)
            assert event.get("streamSid") == self.stream_sid, event
            now = loop.time()
            if event["event"] == "media":
                frame = base64.b64decode(event["media"]["payload"])
                assert len(frame) == LINE_FRAME_BYTES, len(frame)
                self.received.append(BotAudio(time.time(), frame))
                self._play_until = max(now, self._play_until) + FRAME_S
            elif event["event"] == "mark":
                name = event["mark"]["name"]
                self._mark_timers[name] = loop.call_later(max(0.0, self._play_until - now), self._played, name)
            elif event["event"] == "clear":
                self.clears.append(time.time())
                self._play_until = now
                for name, timer in list(self._mark_timers.items()):
                    timer.cancel()
                    self.marks_cleared.append(name)
                    self._echo(name)
                self._mark_timers.clear()

    def _played(self, name: str) -> None:
        self._mark_timers.pop(name, None)
        self.marks_played.append(name)
        self._echo(name)

    def _echo(self, name: str) -> None:
        if not self.ws.closed:
            self._tasks.append(asyncio.ensure_future(self._send_mark(name)))

    async def _send_mark(self, name: str) -> None:
        with contextlib.suppress(ConnectionResetError):
            await self.send({"event": "mark", "streamSid": self.stream_sid, "mark": {"name": name}})

    # ------------------------------------------------------------------ what the caller heard

    def audio_since(self, since: float) -> list[BotAudio]:
        return [audio for audio in self.received if audio.at >= since]

    def playing(self) -> bool:
        return asyncio.get_running_loop().time() < self._play_until or bool(self._mark_timers)

    async def wait_until_quiet(self, quiet_s: float = 1.0, timeout: float = 60.0) -> None:
        """Until the bot has spoken, then said nothing for `quiet_s`, and all it said has been played."""
        def quiet() -> bool:
            return bool(self.received) and not self.playing() and time.time() - self.received[-1].at >= quiet_s
        await wait_for(quiet, timeout, "the bot to fall quiet")


async def wait_for(condition: Callable[[], object], timeout: float, what: str, interval: float = 0.05):
    """Poll `condition` (plain or async) until it is truthy; its value."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        await asyncio.sleep(interval)


def new_call_sid() -> str:
    return new_sid("CA")


# Media Streams messages as Twilio documents them (websocket-messages), one of each kind Twilio sends.
_STREAM_SID = "MZ" + "18ad3ab5a668481ce02b83e7395059f0"
_CALL_SID = "CA" + "6e81a3d4eb0a6f03e7b3c4f2a8e5f1d2"
RECORDED_MESSAGES = {
    "connected": '{"event": "connected", "protocol": "Call", "version": "1.0.0"}',
    "start": json.dumps({"event": "start", "sequenceNumber": "1", "start": {
        "accountSid": ACCOUNT_SID, "streamSid": _STREAM_SID, "callSid": _CALL_SID, "tracks": ["inbound"],
        "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
        "customParameters": {"caller": RAJESH, "token": "x"}}, "streamSid": _STREAM_SID}),
    "media": json.dumps({"event": "media", "sequenceNumber": "3", "media": {
        "track": "inbound", "chunk": "1", "timestamp": "5",
        "payload": base64.b64encode(bytes(range(96, 256))).decode()}, "streamSid": _STREAM_SID}),
    "mark": json.dumps({"event": "mark", "sequenceNumber": "4", "streamSid": _STREAM_SID,
                        "mark": {"name": "my label"}}),
    "dtmf": json.dumps({"event": "dtmf", "streamSid": _STREAM_SID, "sequenceNumber": "5",
                        "dtmf": {"track": "inbound_track", "digit": "1"}}),
    "stop": json.dumps({"event": "stop", "sequenceNumber": "5", "stop": {
        "accountSid": ACCOUNT_SID, "callSid": _CALL_SID}, "streamSid": _STREAM_SID}),
}
