"""`make bench` (voice, engines): what the speech engines cost on this machine, alone and three at once.

- Speech to text: the real-time factor (processing time / audio length) of faster-whisper (the packaged
  Whisper base, int8) over 20 caller utterances. The utterances are spoken by the packaged Piper voice and
  put through the telephone path the line uses (resampled to 8 kHz, μ-law, back to 16 kHz), so the model
  hears phone-quality audio.
- Text to speech: time from a reply's text to its first audio (Piper, sentence by sentence), over 20 bot
  replies.
- Both with 1 and with 3 at once (three calls talking at the same moment), each engine with the
  concurrency the gateway gives it by default (one transcription and one synthesis at a time, the rest
  queue: on 2 cores, parallel inference only slows each one down).

The figures end with lines `voice_stt_rtf_p50=`, `voice_tts_first_audio_ms_p50=`, ... for the record.
Run: `python -m bench.voice_engines` (part of `make bench`).
"""

from __future__ import annotations

import asyncio
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

import voice  # noqa: F401 - sets HF_HUB_OFFLINE before faster-whisper is imported
from voice.audio import STT_RATE, float_to_pcm16, pcm16_to_float, resample, ulaw_decode, ulaw_encode
from voice.models import whisper_model_dir
from voice.stt import SpeechRecognizer
from voice.tts import Synthesizer

CALLER = [
    "What is my account balance?",
    "I want to block my debit card.",
    "There is a payment on my statement that I did not make.",
    "My transfer to my brother has not reached him.",
    "Can you send me my last five transactions?",
    "I forgot my net banking password.",
    "Please unblock my credit card.",
    "How do I change my card PIN?",
    "I want to talk to a person.",
    "Send my statement to my email.",
    "My card was charged twice at the petrol pump.",
    "What is the EMI on my home loan?",
    "Show me my SIP investments.",
    "The ATM did not give me the cash but the money was taken.",
    "I lost my card yesterday in the market.",
    "Someone called me and took my OTP.",
    "What is the daily limit on my card?",
    "Yes, please go ahead.",
    "No, do not block it.",
    "I did not receive the one time password.",
]
BOT = [
    "Your savings account ending 4821 has an available balance of ₹83,950.75.",
    "Which card should I block? Your debit card ending 3056, or your credit card ending 9012?",
    "Thank you, you're verified. Here are your recent debits.",
    "Done: your card ending 9012 is blocked. A confirmation SMS is on its way to your registered mobile.",
    "I've raised dispute DSP-20261125-A1B2C3. We will credit ₹5,000 within 10 working days while we look into it.",
]


def _phone_quality(samples: np.ndarray, rate: int) -> np.ndarray:
    """What the model hears on a call: 8 kHz μ-law, decoded and resampled to 16 kHz."""
    line = ulaw_decode(ulaw_encode(float_to_pcm16(resample(samples, rate, 8_000))))
    return resample(pcm16_to_float(line), 8_000, STT_RATE)


async def _speak(synthesizer: Synthesizer, text: str) -> np.ndarray:
    chunks = [chunk async for chunk in synthesizer.stream(text, "en")]
    return _phone_quality(np.concatenate([pcm16_to_float(c.pcm16) for c in chunks]), chunks[0].sample_rate)


async def _stt_rtf(recognizer: SpeechRecognizer, utterances: list[np.ndarray], at_once: int) -> tuple[list[float], list[float], list[str]]:
    """Per utterance: real-time factor (processing only), wall time incl. waiting for a slot, and the text."""
    rtfs: list[float] = []
    walls: list[float] = []
    texts: list[str] = []

    async def one(audio: np.ndarray) -> None:
        started = time.perf_counter()
        transcript = await recognizer.transcribe(float_to_pcm16(audio), "en")
        walls.append(time.perf_counter() - started)
        rtfs.append(transcript.real_time_factor)
        texts.append(transcript.text)

    for i in range(0, len(utterances), at_once):
        await asyncio.gather(*(one(audio) for audio in utterances[i:i + at_once]))
    return rtfs, walls, texts


async def _tts_first_audio(synthesizer: Synthesizer, replies: list[str], at_once: int) -> list[float]:
    firsts: list[float] = []

    async def one(text: str) -> None:
        started = time.perf_counter()
        async for _chunk in synthesizer.stream(text, "en"):
            firsts.append(time.perf_counter() - started)
            break

    for i in range(0, len(replies), at_once):
        await asyncio.gather(*(one(text) for text in replies[i:i + at_once]))
    return firsts


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _words_right(said: str, heard: str) -> float:
    """Share of the spoken words that appear in the transcript (a rough check that the figures are for
    real recognition, not for silence)."""
    norm = lambda s: [w.strip(".,?!").lower() for w in s.split()]  # noqa: E731
    spoken, got = norm(said), set(norm(heard))
    return sum(w in got for w in spoken) / len(spoken)


async def main() -> None:
    cache = Path(os.environ.get("SAHAYAK_DATA_DIR", tempfile.gettempdir())) / "models"
    started = time.perf_counter()
    model_dir = whisper_model_dir(None, cache, report=lambda line: None)
    recognizer = SpeechRecognizer(model_dir, concurrency=1, beam_size=2, cpu_threads=os.cpu_count() or 1)
    await recognizer.start()
    synthesizer = Synthesizer({})
    await synthesizer.start()
    print(f"Voice engines on {platform.machine()}, {os.cpu_count()} cores, python {platform.python_version()}: "
          f"models ready in {time.perf_counter() - started:.1f} s (Whisper base int8, Piper en_US joe medium)")
    utterances = [await _speak(synthesizer, text) for text in CALLER]
    seconds = [len(u) / STT_RATE for u in utterances]
    print(f"caller utterances: {len(utterances)}, {statistics.mean(seconds):.1f} s on average (phone quality)")

    results: dict[str, float] = {}
    for at_once in (1, 3):
        rtfs, walls, texts = await _stt_rtf(recognizer, utterances, at_once)
        accuracy = statistics.mean(_words_right(s, h) for s, h in zip(CALLER, texts)) if at_once == 1 else None
        print(f"STT, {at_once} at once: RTF p50 {statistics.median(rtfs):.2f} p95 {_p(rtfs, 0.95):.2f}; "
              f"wall time p50 {statistics.median(walls) * 1000:.0f} ms p95 {_p(walls, 0.95) * 1000:.0f} ms"
              + (f"; words recognised {accuracy:.0%}" if accuracy is not None else ""))
        results[f"voice_stt_rtf_p50_{at_once}"] = statistics.median(rtfs)
        results[f"voice_stt_wall_ms_p50_{at_once}"] = statistics.median(walls) * 1000
        replies = BOT * 4
        firsts = await _tts_first_audio(synthesizer, replies, at_once)
        print(f"TTS, {at_once} at once: first audio p50 {statistics.median(firsts) * 1000:.0f} ms "
              f"p95 {_p(firsts, 0.95) * 1000:.0f} ms over {len(firsts)} replies")
        results[f"voice_tts_first_audio_ms_p50_{at_once}"] = statistics.median(firsts) * 1000
    for name, value in results.items():
        print(f"{name}={value:.3f}")


if __name__ == "__main__":
    asyncio.run(main())
