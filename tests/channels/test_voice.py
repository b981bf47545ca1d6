"""The phone line (Twilio Media Streams): a gateway on a real port, a Twilio stand-in for the REST API,
and a Media Streams client (media_streams_client.py) that calls in over a real WebSocket, speaking
μ-law speech synthesized at test time with the packaged Piper voice and pressing keys. The speech
models are the real ones (tests/voice/voice_fixtures.py), loaded once per session; everything here
runs on the session's event loop."""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import faster_whisper
import piper
import pytest
import pytest_asyncio
from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parent))
from media_streams_client import (  # noqa: E402
    RECORDED_MESSAGES, SILENCE, STREAM_URL, Answer, BotAudio, TwilioCall, answer_call, incoming_call_params, new_call_sid,
    parse_answer, speech_frames, wait_for,
)
from twilio_stand_in import ACCOUNT_SID, AUTH_TOKEN, PUBLIC_URL, RAJESH, TWILIO_FROM, TwilioStandIn, sign  # noqa: E402

from bot.appkeys import BANK, CHANNELS, SPEECH, STORES  # noqa: E402
from bot.settings import SettingsError, load_settings  # noqa: E402
from bot.stores.audit import AuditRecord  # noqa: E402
from channels.voice import VOICE  # noqa: E402
from channels.voice_wire import CallTokens, media_frame, parse_event  # noqa: E402
from gateway import create_app  # noqa: E402
from tests.channels.served import serving  # noqa: E402
from voice.audio import LineDecoder  # noqa: E402
from voice.call import SpeechEngines, is_backchannel  # noqa: E402
import voice.vad  # noqa: E402

# The speech models live on the session's loop, and so does every async test here.
on_session_loop = pytest.mark.asyncio(loop_scope="session")

AGENTS = "+911140009999"
PRIYA = "+919820011223"  # a demo customer's registered mobile (demo bank)
STRANGER = "+919000000001"  # no customer has this number


@pytest.fixture(scope="session")
def speech_engines(recognizer, synthesizer, vad_model) -> SpeechEngines:
    """The session's speech models, as the channel takes them (app[SPEECH])."""
    return SpeechEngines(recognizer, synthesizer, vad_model)


def phone_settings(twilio: TwilioStandIn, **overrides) -> dict:
    return {"twilio_account_sid": ACCOUNT_SID, "twilio_auth_token": AUTH_TOKEN, "twilio_from": TWILIO_FROM,
            "twilio_api_url": twilio.url, "public_url": PUBLIC_URL, "phone_line": True,
            "phone_agent_number": AGENTS, **overrides}


@dataclass
class Phone:
    app: web.Application
    url: str
    http: aiohttp.ClientSession
    twilio: TwilioStandIn
    synthesizer: object

    async def ring(self, caller: str = RAJESH) -> TwilioCall:
        call_sid = new_call_sid()
        resp = await answer_call(self.http, self.url, incoming_call_params(call_sid, caller))
        assert resp.status == 200, await resp.text()
        return await TwilioCall.connect(self.http, self.url, parse_answer(await resp.text()), call_sid)

    async def say(self, call: TwilioCall, text: str) -> None:
        await call.say(await speech_frames(self.synthesizer, text))

    async def records(self, call: TwilioCall) -> list[AuditRecord]:
        """The call's audit trail, oldest first."""
        return await self.app[STORES].audit.for_conversation(f"voice:{call.call_sid}")

    async def turn(self, call: TwilioCall, count: int, timeout: float = 60.0) -> AuditRecord:
        """The call's `count`-th turn on record (waiting for it)."""
        async def recorded():
            turns = [r for r in await self.records(call) if r.outcome != "interrupted"]
            return turns[count - 1] if len(turns) >= count else None
        return await wait_for(recorded, timeout, f"turn {count} of the call")

    async def heard(self, audio: list[BotAudio], seconds: float = 12.0) -> str:
        """What the caller heard (the start of `audio`), as Whisper makes it out."""
        decoder = LineDecoder()
        pcm16 = b"".join(decoder.decode(a.frame) for a in audio[:int(seconds / 0.02)])
        return (await self.app[SPEECH].recognizer.transcribe(pcm16, "en")).text

    async def otp(self, mobile: str) -> str:
        async with self.http.get(self.url + "/demo/outbox", params={"to": mobile}) as resp:
            messages = (await resp.json())["messages"]
        assert messages, f"no OTP for {mobile}"
        return re.search(r"\b(\d{6})\b", messages[0]["body"]).group(1)


@pytest_asyncio.fixture(loop_scope="session")
async def twilio() -> AsyncIterator[TwilioStandIn]:
    stand_in = TwilioStandIn()
    async with serving(stand_in.make_app()) as url:
        stand_in.url = url
        yield stand_in


@pytest_asyncio.fixture(loop_scope="session")
async def phone(make_settings, twilio, speech_engines, synthesizer) -> AsyncIterator[Phone]:
    app = create_app(make_settings(**phone_settings(twilio)))
    app[SPEECH] = speech_engines
    async with serving(app) as url, aiohttp.ClientSession() as http:
        yield Phone(app, url, http, twilio, synthesizer)


def texts(record: AuditRecord) -> str:
    return "\n".join(reply["text"] for reply in record.replies)


# --------------------------------------------------------------------------- answering


@on_session_loop
async def test_a_call_is_answered_with_a_stream_carrying_the_callers_identity(phone):
    call_sid = new_call_sid()
    resp = await answer_call(phone.http, phone.url, incoming_call_params(call_sid))
    assert resp.status == 200 and resp.content_type == "text/xml"
    answer = parse_answer(await resp.text())
    assert answer.stream_url == STREAM_URL == "wss://sahayak.bank.example/voice/stream"
    assert answer.parameters["caller"] == RAJESH
    assert phone.app[VOICE].tokens.redeem(answer.parameters["token"], call_sid, RAJESH)
    # A withheld number carries no identity claim.
    resp = await answer_call(phone.http, phone.url, incoming_call_params(new_call_sid(), "anonymous"))
    assert parse_answer(await resp.text()).parameters["caller"] == ""


@on_session_loop
async def test_forged_or_foreign_call_webhooks_are_refused(phone):
    params = incoming_call_params(new_call_sid())
    assert (await answer_call(phone.http, phone.url, params, token="not-the-auth-token-0123456")).status == 403
    unsigned = await phone.http.post(phone.url + "/voice/twilio", data=params)
    assert unsigned.status == 403 and (await unsigned.json())["error"] == "missing_signature"
    foreign = incoming_call_params(new_call_sid(), account_sid="AC" + "0" * 32)
    assert (await answer_call(phone.http, phone.url, foreign)).status == 403
    assert await phone.app[STORES].audit.count() == 0


@on_session_loop
async def test_a_forged_stream_is_closed_before_any_audio(phone):
    call_sid = new_call_sid()
    resp = await answer_call(phone.http, phone.url, incoming_call_params(call_sid))
    answer = parse_answer(await resp.text())
    for signature in ("forged=", sign(answer.stream_url, {}, "not-the-auth-token-0123456"),
                      sign("wss://elsewhere.example/voice/stream", {})):
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await TwilioCall.connect(phone.http, phone.url, answer, call_sid, signature=signature)
        assert refused.value.status == 403
    # A signed stream for a call this gateway did not answer (another CallSid, or a made-up token).
    for forged in (Answer(answer.stream_url, answer.parameters), Answer(answer.stream_url, {"caller": PRIYA,
                                                                                           "token": "1.x"})):
        call = await TwilioCall.connect(phone.http, phone.url, forged, new_call_sid())
        await wait_for(lambda: call.ws.closed, 5, "the stream to be closed")
        assert call.ws.close_code == 1008 and call.received == []
        await call.hang_up()
    assert phone.app[VOICE].calls == {}


def test_recorded_media_streams_messages_parse():
    kinds = {name: parse_event(raw)["event"] for name, raw in RECORDED_MESSAGES.items()}
    assert kinds == {name: name for name in RECORDED_MESSAGES}
    assert media_frame(parse_event(RECORDED_MESSAGES["media"])) == bytes(range(96, 256))


def test_call_tokens_bind_the_call_the_caller_and_the_time():
    tokens = CallTokens(b"k" * 32, ttl_s=120)
    token = tokens.issue("CA1", RAJESH, now=1000)
    assert not tokens.redeem(token, "CA2", RAJESH, now=1001)
    assert not tokens.redeem(token, "CA1", PRIYA, now=1001)
    assert not tokens.redeem(token, "CA1", RAJESH, now=1121)
    assert tokens.redeem(token, "CA1", RAJESH, now=1001)
    assert not tokens.redeem(token, "CA1", RAJESH, now=1002)  # once


# --------------------------------------------------------------------------- a conversation


@on_session_loop
async def test_a_caller_checks_their_balance_with_a_keypad_otp(phone, caplog):
    call = await phone.ring(RAJESH)
    await call.wait_until_quiet()
    assert len(call.received) > 100 and call.marks_played  # the welcome, played to the end
    welcomed = len(call.marks_played)
    await phone.say(call, "Check my balance.")
    asked = await phone.turn(call, 1)
    assert "balance" in asked.text.lower() and asked.intent == "balance"
    assert "6-digit code by SMS" in texts(asked)  # identified by caller ID, still asked for a code
    assert "type it here" not in texts(asked) and "phone call" not in texts(asked)  # keyed in on a call
    # Key the code in while the answer is being read out (after any holding phrase), as callers do.
    await wait_for(lambda: len(call.marks_played) >= welcomed + 2, 30, "the answer")
    code = await phone.otp(RAJESH)
    pressed = time.time()
    await call.press(code)
    verified = await phone.turn(call, 2)
    assert "Available balance" in texts(verified)
    assert code not in verified.text  # the keyed code is masked on the record
    await wait_for(lambda: call.audio_since(pressed), 30, "the balance read out")
    await call.wait_until_quiet(timeout=90)
    heard = (await phone.heard(call.audio_since(pressed))).lower()
    assert "verified" in heard and "available balance" in heard, heard
    assert code not in caplog.text  # the digits were never logged
    await call.hang_up()


class _Transcriptions:
    """The audio the gateway's recognizer was given, and whether the call was already answering a turn
    (the turn had ended) when it was."""

    def __init__(self, phone: Phone, call: TwilioCall, monkeypatch):
        recognizer = phone.app[SPEECH].recognizer
        self.heard: list[bytes] = []
        self.once_the_turn_had_ended: list[bool] = []
        transcribe = recognizer.transcribe

        async def recorded(pcm16, language_hint):
            self.heard.append(pcm16)
            self.once_the_turn_had_ended.append(phone.app[VOICE].calls[call.call_sid].answering)
            return await transcribe(pcm16, language_hint)

        monkeypatch.setattr(recognizer, "transcribe", recorded)


@on_session_loop
async def test_the_callers_words_are_recognised_at_their_pause_and_not_again_at_the_end(phone, monkeypatch):
    call = await phone.ring(RAJESH)
    await call.wait_until_quiet()
    transcriptions = _Transcriptions(phone, call, monkeypatch)
    await phone.say(call, "What is the daily UPI limit?")
    asked = await phone.turn(call, 1)
    assert "limit" in asked.text.lower()
    # Recognised 300 ms into the silence, before the turn had ended; the turn took that transcript.
    assert transcriptions.once_the_turn_had_ended == [False]
    await call.hang_up()


@on_session_loop
async def test_a_caller_who_goes_on_after_a_pause_is_heard_in_full(phone, monkeypatch):
    call = await phone.ring(RAJESH)
    await call.wait_until_quiet()
    transcriptions = _Transcriptions(phone, call, monkeypatch)
    pause = [SILENCE] * 15  # 300 ms of line silence: with the voice's fade, a pause, not the end
    await call.say(await speech_frames(phone.synthesizer, "I lost my card.") + pause
                   + await speech_frames(phone.synthesizer, "Please block it now."))
    said = await phone.turn(call, 1)
    assert {"lost", "block"} <= set(re.findall(r"[a-z]+", said.text.lower()))
    # Recognised at the pause (then dropped) and at the end; the turn is the whole of what was said.
    assert transcriptions.once_the_turn_had_ended == [False, False]
    assert len(transcriptions.heard[0]) < len(transcriptions.heard[1])
    await call.hang_up()


@on_session_loop
async def test_a_backchannel_does_not_stop_the_bot_but_talking_over_it_does(phone):
    call = await phone.ring(RAJESH)
    await wait_for(lambda: call.marks_played, 20, "the welcome's first sentence to be played")
    await phone.say(call, "Okay.")
    await call.wait_until_quiet()
    assert call.clears == []  # "Okay." over the welcome: the bot carried on to the end
    assert await phone.records(call) == []  # and it was no turn
    await phone.say(call, "Check my balance.")
    await phone.turn(call, 1)
    # The reply is long: once the caller has heard two of its sentences (after any holding phrase), cut in.
    played_before = len(call.marks_played)
    await wait_for(lambda: len(call.marks_played) >= played_before + 2, 30, "the reply's first sentences")
    started = time.time()
    await phone.say(call, "No, wait, I want to report that my debit card is lost.")
    await wait_for(lambda: call.clears, 10, "a clear")
    assert call.clears[0] - started < 3.0  # cut off while the caller was still talking (3.5 s of speech)
    cut = await wait_for(lambda: _interrupted(phone, call), 10, "the interruption on record")
    heard = [reply["text"] for reply in cut.replies if reply["from"] == "heard"]
    assert any("matches our records" in sentence for sentence in heard)
    assert [reply["from"] for reply in cut.replies][-1] == "cut_off"
    assert not any("Never read a code out" in reply["text"] for reply in cut.replies)  # never said
    # What the caller said over the bot is their next turn.
    said = await phone.turn(call, 2)
    assert "card" in said.text.lower()
    await call.hang_up()


async def _interrupted(phone: Phone, call: TwilioCall) -> AuditRecord | None:
    return next((r for r in await phone.records(call) if r.outcome == "interrupted"), None)


@on_session_loop
async def test_zero_transfers_the_call_to_a_person_after_the_case_is_opened(phone):
    call = await phone.ring("anonymous")  # a withheld number: no identity claim at all
    await call.wait_until_quiet()
    await call.press("0")
    escalated = await phone.turn(call, 1)
    assert escalated.outcome == "escalated" and escalated.intent == "human"
    update = await wait_for(lambda: phone.twilio.call_updates, 30, "the call to be transferred")
    assert update[0]["call_sid"] == call.call_sid
    assert update[0]["Twiml"].endswith(f"<Response><Dial>{AGENTS}</Dial></Response>")
    cases = await phone.app[STORES].cases.queue("open", kind="escalation")
    case = next(c for c in cases if c.conversation == f"voice:{call.call_sid}")
    assert case.reference in texts(escalated) and case.created_at < update[0]["at"]
    # The caller heard the hand-over before the transfer.
    assert call.received and call.received[-1].at <= update[0]["at"]
    await call.hang_up()


@on_session_loop
async def test_a_slow_bank_is_covered_by_holding_phrases(phone):
    bank = phone.app[BANK]
    find_customer = bank.find_customer

    async def slow_find_customer(identifier):
        await asyncio.sleep(5.0)
        return await find_customer(identifier)

    bank.find_customer = slow_find_customer
    call = await phone.ring(RAJESH)
    await call.wait_until_quiet()
    await phone.say(call, "Check my balance.")
    answered = await phone.turn(call, 1)
    assert answered.latency_ms >= 5000
    await call.wait_until_quiet()
    # From the end of the caller's speech to the end of the answer, the line was never silent long.
    heard = [audio.at for audio in call.audio_since(call.speech_ended_at)]
    gaps = [later - earlier for earlier, later in zip([call.speech_ended_at, *heard], heard)]
    assert max(gaps) < 2.6, [round(gap, 2) for gap in gaps if gap > 0.1]
    await call.hang_up()


@on_session_loop
async def test_three_calls_at_once_are_all_answered(phone):
    callers = (RAJESH, PRIYA, STRANGER)
    calls = await asyncio.gather(*(phone.ring(caller) for caller in callers))
    # Three welcomes share one synthesizer: a pause between sentences is not the end of one.
    await asyncio.gather(*(call.wait_until_quiet(quiet_s=2.5) for call in calls))
    await asyncio.gather(*(phone.say(call, "Check my balance.") for call in calls))
    turns = await asyncio.gather(*(phone.turn(call, 1, timeout=90) for call in calls))
    assert all(turn.intent == "balance" for turn in turns)
    await asyncio.gather(*(wait_for(lambda c=call: len(c.audio_since(c.speech_ended_at)) > 50, 60,
                                    "an answer on every call") for call in calls))
    assert len(phone.app[VOICE].calls) == 3
    await asyncio.gather(*(call.hang_up() for call in calls))
    await wait_for(lambda: not phone.app[VOICE].calls, 5, "the calls to end")


@on_session_loop
async def test_a_language_without_a_voice_is_announced_and_the_call_continues_in_english(phone):
    call = await phone.ring(RAJESH)
    await call.wait_until_quiet()
    await phone.say(call, "I would like to speak in Bengali.")
    asked = await phone.turn(call, 1)
    assert "Bengali" in asked.text and asked.language == "bn"
    switched = await phone.turn(call, 2)  # asked by the line on the caller's behalf
    assert switched.text == "English" and switched.language == "en"
    await call.wait_until_quiet()
    heard = await phone.heard(call.audio_since(call.speech_ended_at))
    assert "continue in English" in heard, heard
    await call.hang_up()


# --------------------------------------------------------------------------- start-up and settings


@on_session_loop
async def test_the_engines_load_at_start_up_off_the_event_loop(make_settings, twilio, whisper_dir, monkeypatch):
    """Whisper, Piper and Silero load in worker threads, so chats and webhooks are served while they do.
    (Checked by the thread each model is built in, not by timing the loop, which a busy machine upsets.)"""
    monkeypatch.setenv("SAHAYAK_VOICE_WHISPER_MODEL_DIR", str(whisper_dir))
    built_in: dict[str, threading.Thread] = {}

    def recording(name, build):
        def wrapper(*args, **kwargs):
            built_in[name] = threading.current_thread()
            return build(*args, **kwargs)
        return wrapper

    monkeypatch.setattr(faster_whisper, "WhisperModel", recording("whisper", faster_whisper.WhisperModel))
    monkeypatch.setattr(piper.PiperVoice, "load", recording("piper", piper.PiperVoice.load))
    monkeypatch.setattr(voice.vad.SileroVad, "__init__", recording("silero", voice.vad.SileroVad.__init__))
    app = create_app(make_settings(**phone_settings(twilio)))
    async with serving(app):
        engines = app[SPEECH]
        assert isinstance(engines, SpeechEngines) and app[CHANNELS]["voice"] is app[VOICE]
        assert set(built_in) == {"whisper", "piper", "silero"}
        loop_thread = threading.current_thread()
        assert all(thread is not loop_thread for thread in built_in.values()), built_in
        transcript = await engines.recognizer.transcribe(b"\0\0" * 16000, "en")
        assert transcript.audio_s == 1.0


def test_a_gateway_without_speech_loads_no_speech_library():
    """Whisper, Piper, PyAV and onnxruntime load with the phone line or the first voice note, not with
    every gateway: measured here, 60 MB of memory a process that SMS, email or chat alone do not need."""
    script = ("import sys, gateway; "
              "print(sorted(m for m in ('faster_whisper', 'ctranslate2', 'piper', 'av', 'onnxruntime') "
              "if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                            cwd=Path(__file__).resolve().parents[2], check=True)
    assert result.stdout.strip() == "[]", result.stdout + result.stderr


def test_phone_line_settings():
    base = {"SAHAYAK_DEMO": "true", "SAHAYAK_PHONE_LINE": "true"}
    with pytest.raises(SettingsError, match="answers calls on the Twilio account"):
        load_settings(base)
    twilio = {"SAHAYAK_TWILIO_ACCOUNT_SID": ACCOUNT_SID, "SAHAYAK_TWILIO_AUTH_TOKEN": AUTH_TOKEN,
              "SAHAYAK_TWILIO_FROM": TWILIO_FROM, "SAHAYAK_PUBLIC_URL": PUBLIC_URL}
    with pytest.raises(SettingsError, match="E.164"):
        load_settings({**base, **twilio, "SAHAYAK_PHONE_AGENT_NUMBER": "011-4000-9999"})
    with pytest.raises(SettingsError, match="SAHAYAK_PHONE_LINE is not"):
        load_settings({"SAHAYAK_DEMO": "true", **twilio, "SAHAYAK_PHONE_AGENT_NUMBER": AGENTS})
    # The speech engines' own variables belong to voice/settings.py, not to the main settings.
    settings = load_settings({**base, **twilio, "SAHAYAK_PHONE_AGENT_NUMBER": AGENTS,
                              "SAHAYAK_VOICE_STT_BEAM_SIZE": "3"})
    assert settings.phone_line and settings.phone_agent_number == AGENTS


@pytest.mark.parametrize("said, backchannel", [
    ("Okay.", True), ("Haan ji, theek hai.", True), ("ठीक है।", True), ("Mm-hmm", True), ("Hmm, okay okay.", True),
    ("Okay, check my balance.", False), ("No, stop.", False), ("", False),
])
def test_backchannels(said, backchannel):
    assert is_backchannel(said) is backchannel
