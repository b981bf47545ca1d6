"""Speech to text: faster-whisper (CTranslate2, int8 on the CPU) over one caller turn at a time.

Decoding is deterministic (temperature 0 and no fallback to sampling: a bank should get the same text
from the same audio) with a small beam (2 by default; on this machine a wider beam costs time and wins
nothing on short turns). Each turn is one utterance cut by the VAD, so faster-whisper's own VAD and
the conditioning on previous text are off, and no timestamps are decoded.

The caller's language is the language Whisper decodes in. Letting Whisper detect it instead costs a
second pass of the encoder, which is most of the work (0.75 s of 0.9 s for a 2.4 s turn on an idle
machine here), and small Whisper models are known to take Hindi for Urdu. An English sentence decoded
with the Hindi hint still came out in English (checked), so a caller who switches to English is not
lost. Hinglish is decoded as Hindi. Without a hint, or with a language the model does not know, Whisper
detects it.

A caller's turn is short, and Whisper's encoder, the bulk of the work, pads every input to a 30 s
window. Turns of up to SHORT_WINDOW_S - WINDOW_MARGIN_S (with a language to decode in) are encoded in a
SHORT_WINDOW_S window instead, decoded here with CTranslate2 directly (faster-whisper's `transcribe`
always pads to 30 s): measured here on 41 phone-quality utterances (bench/voice_engines.py and
bench/voice_calls.py's), 180-190 ms instead of 500-600 ms at p50. Shorter windows than 10 s made the decoder repeat itself ("Please
unblock my card. Please unblock my card."), so a short-window result that repeats itself (three
words twice over, or a zlib compression ratio above Whisper's own 2.4) is thrown away and the turn decoded again in the full window.

The decoder is given a sentence with the bank's words (`hotwords`: UPI, NEFT, PIN, OTP, EMI, lakh, the
languages' names, ...) as context, which Whisper otherwise hears as "UP I", "enough transfer", "P Diane",
"1 lock" or "bangle": of the 199 words of those utterances, 7 came out different with it, against 14-26
without it in the short window (Piper's voice varies from run to run) and 21 in the full window.

Transcription runs in a worker thread, at most `concurrency` at a time, so the event loop, and with it
every chat and every other call, never waits on the model; transcriptions beyond the bound queue for a
slot (`PrioritySlots`), not on the CPU. A caller on the line is waiting in silence and a WhatsApp voice
note's sender is not, so a call's turn (`CALL`) is served before any note's window (`NOTE`) queued
ahead of it; a note is transcribed window by window, so a call waits for one window at most. CTranslate2 gets `concurrency` workers so that those
transcriptions really run in parallel, each with `cpu_threads` threads. The model loads once (at
`start()`, or on first use), under a lock."""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import re
import threading
import time
import zlib
from collections.abc import AsyncIterator, Collection
from dataclasses import dataclass
from pathlib import Path

from typing import TYPE_CHECKING

import numpy as np

from voice.audio import STT_RATE, pcm16_to_float

if TYPE_CHECKING:
    from faster_whisper import WhisperModel

MAX_TURN_S = 30.0  # what Whisper hears in one pass; the VAD cuts turns there too
SHORT_WINDOW_S = 10.0  # the encoder window for a short turn (Whisper's own is 30 s)
WINDOW_MARGIN_S = 1.0  # silence the short window keeps after the speech, so the decoder finds the end
# Silence put before a short turn: speech that starts at the first sample, with the bank's words as
# context, was cut off after a word or two in 3 of 48 trials here ("I would"); with this lead, 0 of 48
# (a turn from the VAD has its pre-roll anyway; a voice note may not).
LEAD_S = 0.3
FRAMES_PER_S = 100  # Whisper's log-Mel frames (10 ms hop)
MAX_REPETITION = 2.4  # zlib compression ratio above which the text repeats itself (Whisper's threshold)
# Whisper's test for "this was not speech": both a likely no-speech token and an unsure decoding.
NO_SPEECH_PROBABILITY, LOW_LOG_PROBABILITY = 0.6, -1.0
# Words of a bank call that small Whisper models mishear without context. A bank can give its own.
# Written as a sentence, with punctuation: the decoder continues in the style of what it is given.
BANK_HOTWORDS = ("A call to the bank about UPI, NEFT, IMPS, a card PIN, an OTP, an EMI, KYC, a SIP, net banking, "
                 "one lakh or one crore rupees, in English, Hindi, Tamil, Telugu, Bengali or Marathi.")
# Who waits for a transcription: lower is served first.
CALL, NOTE = 0, 1
# Word breaks for the loop test: spaces and punctuation (not \w, which splits Indic words at their
# vowel signs: "माझे" is one word, not "म", "झ").
_BREAKS = re.compile(r"[\s.,!?;:…\"'“”‘’()\[\]\-–—।॥]+")
# Our language codes that Whisper knows under another name, or not at all.
_WHISPER_LANGUAGE = {"hinglish": "hi"}


@dataclass(frozen=True)
class Transcript:
    text: str
    language: str  # what Whisper decoded in (the hint, or what it detected)
    language_probability: float  # 1.0 when the hint was used
    audio_s: float
    processing_s: float  # in the worker thread, not counting the wait for a free slot

    @property
    def real_time_factor(self) -> float:
        return self.processing_s / self.audio_s if self.audio_s else 0.0


class SpeechRecognizer:
    def __init__(self, model_dir: Path, *, concurrency: int = 1, beam_size: int = 2, cpu_threads: int = 1,
                 hotwords: str = BANK_HOTWORDS) -> None:
        self._model_dir = model_dir
        self._hotwords = hotwords.strip() or None
        self._concurrency = concurrency
        self._beam_size = beam_size
        self._cpu_threads = cpu_threads
        self._slots = PrioritySlots(concurrency)
        self._model: WhisperModel | None = None
        self._loading = threading.Lock()

    async def start(self) -> None:
        """Load the model now (in a thread) rather than on the first caller's turn."""
        await asyncio.to_thread(self._loaded)

    async def transcribe(self, pcm16_16k: bytes, language_hint: str | None, *, priority: int = CALL) -> Transcript:
        """The text of one turn: 16-bit PCM at 16 kHz, at most MAX_TURN_S long."""
        audio = pcm16_to_float(pcm16_16k)
        if len(audio) > MAX_TURN_S * STT_RATE:
            raise ValueError(f"a turn of {len(audio) / STT_RATE:.1f} s; at most {MAX_TURN_S:.0f} s is transcribed")
        await self._slots.acquire(priority)
        work = asyncio.ensure_future(asyncio.to_thread(self._transcribe, audio, language_hint))
        # The slot is the CPU: it is freed when the thread is done, even if the caller stops waiting
        # (a call that hangs up, an early transcript that is no longer wanted), never before.
        work.add_done_callback(self._finished)
        return await asyncio.shield(work)

    def _finished(self, work: asyncio.Future) -> None:
        self._slots.release()
        if not work.cancelled():
            work.exception()  # retrieved: whoever stopped waiting does not want it, and it is not lost

    def _transcribe(self, audio: np.ndarray, language_hint: str | None) -> Transcript:
        started = time.perf_counter()
        model = self._loaded()
        language = whisper_language(language_hint, model.supported_languages)
        text = None
        if language is not None and len(audio) <= (SHORT_WINDOW_S - WINDOW_MARGIN_S - LEAD_S) * STT_RATE:
            text = self._in_short_window(model, audio, language)
        if text is None:
            segments, info = model.transcribe(
                audio, language=language, beam_size=self._beam_size, temperature=0.0,
                condition_on_previous_text=False, without_timestamps=True, vad_filter=False,
                hotwords=self._hotwords)
            text = " ".join(segment.text.strip() for segment in segments).strip()  # decoding happens here
            language, probability = info.language, info.language_probability
        else:
            probability = 1.0
        return Transcript(text=text, language=language, language_probability=probability,
                          audio_s=len(audio) / STT_RATE, processing_s=time.perf_counter() - started)

    def _in_short_window(self, model: WhisperModel, audio: np.ndarray, language: str) -> str | None:
        """The text of a short turn, encoded in a SHORT_WINDOW_S window; None when the decoder repeated
        itself (the caller then decodes in the full window)."""
        from faster_whisper.audio import pad_or_trim
        from faster_whisper.tokenizer import Tokenizer
        from faster_whisper.transcribe import get_suppressed_tokens

        audio = np.concatenate([np.zeros(int(LEAD_S * STT_RATE), dtype=audio.dtype), audio])
        features = pad_or_trim(model.feature_extractor(audio), int(SHORT_WINDOW_S * FRAMES_PER_S))
        tokenizer = Tokenizer(model.hf_tokenizer, model.model.is_multilingual, task="transcribe", language=language)
        prompt = model.get_prompt(tokenizer, [], without_timestamps=True, hotwords=self._hotwords)
        # The model's own length limit, as faster-whisper gives it: a shorter one would cut off a long
        # turn in an Indic script (30-40 tokens a second of speech) without a sign.
        result = model.model.generate(
            model.encode(features), [prompt], beam_size=self._beam_size, return_scores=True,
            return_no_speech_prob=True, suppress_blank=True,
            suppress_tokens=list(get_suppressed_tokens(tokenizer, [-1])), max_length=model.max_length)[0]
        tokens = result.sequences_ids[0]
        text = tokenizer.decode(tokens).strip()
        average_log_probability = result.scores[0] * len(tokens) / (len(tokens) + 1)
        if result.no_speech_prob > NO_SPEECH_PROBABILITY and average_log_probability <= LOW_LOG_PROBABILITY:
            return ""
        return None if repeats_itself(text) else text

    def _loaded(self) -> WhisperModel:
        with self._loading:
            if self._model is None:
                from faster_whisper import WhisperModel  # here: a gateway without speech never loads it

                self._model = WhisperModel(str(self._model_dir), device="cpu", compute_type="int8",
                                           cpu_threads=self._cpu_threads, num_workers=self._concurrency,
                                           local_files_only=True)
            return self._model


class PrioritySlots:
    """At most `size` holders at once; those waiting get a free slot by priority (lower first), then in
    the order they came."""

    def __init__(self, size: int) -> None:
        self._free = size
        self._order = itertools.count()
        self._waiting: list[tuple[int, int, asyncio.Future[None]]] = []

    @contextlib.asynccontextmanager
    async def held(self, priority: int) -> AsyncIterator[None]:
        await self.acquire(priority)
        try:
            yield
        finally:
            self.release()

    async def acquire(self, priority: int) -> None:
        """Wait for a slot; the caller must `release` it. Cancelled while waiting: no slot is held."""
        if self._free > 0 and not self._waiting:
            self._free -= 1
            return
        turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiting, (priority, next(self._order), turn))
        try:
            await turn
        except asyncio.CancelledError:
            if turn.done() and not turn.cancelled():  # handed a slot just as it was cancelled
                self.release()
            raise

    def release(self) -> None:
        while self._waiting:
            _, _, turn = heapq.heappop(self._waiting)
            if not turn.done():  # not cancelled while waiting
                turn.set_result(None)
                return
        self._free += 1


def repeats_itself(text: str) -> bool:
    """A decoder stuck in a loop: the same three words twice, one word four times running, or text
    that compresses like a repetition. (A caller who says the same thing twice costs only a second,
    full-window decoding, which is then taken as it is.)"""
    words = _BREAKS.sub(" ", text.lower()).split()
    trigrams = list(zip(words, words[1:], words[2:]))
    if len(set(trigrams)) < len(trigrams):
        return True
    if any(len(set(words[i:i + 4])) == 1 for i in range(len(words) - 3)):
        return True
    return bool(text) and compression_ratio(text) > MAX_REPETITION


def compression_ratio(text: str) -> float:
    """How well `text` compresses (zlib), as Whisper measures repetition."""
    encoded = text.encode("utf-8")
    return len(encoded) / len(zlib.compress(encoded))


def whisper_language(language: str | None, supported: Collection[str]) -> str | None:
    """The Whisper language code for one of ours, or None (detect) when the model has none."""
    if language is None:
        return None
    code = _WHISPER_LANGUAGE.get(language, language)
    return code if code in supported else None
