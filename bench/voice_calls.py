"""`make bench` (voice, calls): how long a caller waits, over the real phone line.

The gateway runs in this process with the phone line on (demo bank, embedded stores), on a real port.
Twilio's side is the test suite's Media Streams client (tests/channels/media_streams_client.py): it
answers the signed incoming-call webhook, opens the signed WebSocket, speaks 20 ms μ-law frames in real
time (caller speech synthesized with the packaged Piper voice) and plays the bot's audio back as Twilio
does. Measured per utterance: from the caller's last audible sound to the first frame of the bot's audio
(a holding phrase counts: it is what the caller hears). Piper ends each utterance with 200-320 ms of
near-silence; the caller has stopped talking when it starts, so the clock starts at the last frame
louder than 5% of the utterance's loudest (`trailing_quiet_s`), not at the last frame sent (the figures
before 2026-11-25 evening started at the last frame, 200-320 ms late). For one call and for three calls
at once. Each call asks one thing after the welcome and hangs up when the answer starts (the knowledge
base's answers run to half a minute of speech).

Where the time goes is shown from the parts: the turn detector waits `end_of_speech_ms` of silence before
the turn counts as ended, but speech recognition (bench/voice_engines.py) starts `recognise_after_ms`
into that silence and is usually done by the end; then the conversation turn (bench/turns.py) and
synthesis of the first sentence (bench/voice_engines.py) run one after the other.

Run: `python -m bench.voice_calls` (part of `make bench`). Ends with lines `voice_first_audio_ms_p50_1=`...
"""

from __future__ import annotations

import asyncio
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "channels"))  # the Twilio side lives with the tests

from media_streams_client import (TwilioCall, answer_call, incoming_call_params, new_call_sid,  # noqa: E402
                                  parse_answer, speech_frames)
from twilio_stand_in import ACCOUNT_SID, AUTH_TOKEN, PUBLIC_URL, RAJESH, TWILIO_FROM, TwilioStandIn  # noqa: E402

import voice  # noqa: E402,F401 - sets HF_HUB_OFFLINE before faster-whisper is imported
from bot.appkeys import SPEECH  # noqa: E402
from bot.settings import Settings  # noqa: E402
from gateway import create_app  # noqa: E402
from tests.channels.served import serving  # noqa: E402
from voice.audio import pcm16_to_float, ulaw_decode  # noqa: E402
from voice.call import CallTiming, SpeechEngines  # noqa: E402
from voice.models import whisper_model_dir  # noqa: E402
from voice.stt import SpeechRecognizer  # noqa: E402
from voice.tts import Synthesizer  # noqa: E402
from voice.vad import SileroVad  # noqa: E402

# Questions the bot answers without an OTP (so every utterance is a full turn, the same each time).
UTTERANCES = [
    "What are your branch timings?",
    "What is the minimum balance for a savings account?",
    "How do I complain to the banking ombudsman?",
    "What are the charges for an NEFT transfer?",
    "What documents do I need for KYC?",
    "What is the daily UPI limit?",
    "I want to talk to you about something else.",
]
UTTERANCES_PER_SETTING = 21  # at least 20, per the issue


def trailing_quiet_s(frames: list[bytes]) -> float:
    """How long `frames` go on after the last one louder than 5% of the loudest (20 ms frames)."""
    loudness = [float(np.sqrt(np.mean(pcm16_to_float(ulaw_decode(frame)) ** 2))) for frame in frames]
    last = max(i for i, value in enumerate(loudness) if value > 0.05 * max(loudness))
    return (len(frames) - 1 - last) * 0.02


async def one_call(http: aiohttp.ClientSession, url: str, frames: list[bytes]) -> float | None:
    """A call that asks one thing after the welcome and hangs up once the answer starts: seconds from the
    caller's last audible sound to the first frame of the bot's audio (None: no audio within 30 s)."""
    call_sid = new_call_sid()
    resp = await answer_call(http, url, incoming_call_params(call_sid, RAJESH))
    call = await TwilioCall.connect(http, url, parse_answer(await resp.text()), call_sid)
    try:
        await call.wait_until_quiet(quiet_s=0.8)  # the welcome
        await call.say(frames)
        ended = call.speech_ended_at
        deadline = time.time() + 30
        while not call.audio_since(ended) and time.time() < deadline:
            await asyncio.sleep(0.005)
        heard = call.audio_since(ended)
        return heard[0].at - (ended - trailing_quiet_s(frames)) if heard else None
    finally:
        await call.hang_up()


async def caller(http: aiohttp.ClientSession, url: str, speech: dict[str, list[bytes]], calls: int) -> list[float]:
    """`calls` calls one after the other, each asking the next utterance."""
    waits = []
    for i in range(calls):
        wait = await one_call(http, url, speech[UTTERANCES[i % len(UTTERANCES)]])
        if wait is not None:
            waits.append(wait)
    return waits


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def main() -> None:
    data = Path(tempfile.mkdtemp(prefix="sahayak-voice-bench-"))
    cache = Path(os.environ.get("SAHAYAK_DATA_DIR", tempfile.gettempdir())) / "models"
    recognizer = SpeechRecognizer(whisper_model_dir(None, cache, report=lambda line: None),
                                  concurrency=1, beam_size=2, cpu_threads=os.cpu_count() or 1)
    synthesizer = Synthesizer({})
    await recognizer.start()
    await synthesizer.start()
    engines = SpeechEngines(recognizer, synthesizer, SileroVad())
    speech = {text: await speech_frames(synthesizer, text) for text in UTTERANCES}

    twilio = TwilioStandIn()
    async with serving(twilio.make_app()) as twilio_url:
        twilio.url = twilio_url
        settings = Settings(data_dir=data, demo=True, port=0, twilio_account_sid=ACCOUNT_SID,
                            twilio_auth_token=AUTH_TOKEN, twilio_from=TWILIO_FROM, twilio_api_url=twilio_url,
                            public_url=PUBLIC_URL, phone_line=True)
        app = create_app(settings)
        app[SPEECH] = engines
        async with serving(app) as url, aiohttp.ClientSession() as http:
            print(f"Voice calls on {platform.machine()}, {os.cpu_count()} cores, python {platform.python_version()}; "
                  f"turn ends after {CallTiming.end_of_speech_ms} ms of silence; Whisper base int8, Piper en_US",
                  flush=True)
            results: dict[str, float] = {}
            for at_once in (1, 3):
                per_caller = UTTERANCES_PER_SETTING // at_once
                waits = [w for ws in await asyncio.gather(*(caller(http, url, speech, per_caller)
                                                             for _ in range(at_once))) for w in ws]
                print(f"{at_once} call(s) at once: end of speech -> first audio over {len(waits)} utterances: "
                      f"p50 {statistics.median(waits) * 1000:.0f} ms, p95 {_p(waits, 0.95) * 1000:.0f} ms, "
                      f"max {max(waits) * 1000:.0f} ms", flush=True)
                results[f"voice_first_audio_ms_p50_{at_once}"] = statistics.median(waits) * 1000
                results[f"voice_first_audio_ms_p95_{at_once}"] = _p(waits, 0.95) * 1000
    for name, value in results.items():
        print(f"{name}={value:.1f}")


if __name__ == "__main__":
    asyncio.run(main())
