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

Transcription runs in a worker thread, at most `concurrency` at a time (an asyncio.Semaphore), so the
event loop, and with it every chat and every other call, never waits on the model; callers beyond the
bound queue on the semaphore, not on the CPU. CTranslate2 gets `concurrency` workers so that those
transcriptions really run in parallel, each with `cpu_threads` threads. The model loads once (at
`start()`, or on first use), under a lock."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from faster_whisper import WhisperModel

from voice.audio import STT_RATE, pcm16_to_float

MAX_TURN_S = 30.0  # what Whisper hears in one pass; the VAD cuts turns there too
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
    def __init__(self, model_dir: Path, *, concurrency: int = 1, beam_size: int = 2, cpu_threads: int = 1) -> None:
        self._model_dir = model_dir
        self._concurrency = concurrency
        self._beam_size = beam_size
        self._cpu_threads = cpu_threads
        self._slots = asyncio.Semaphore(concurrency)
        self._model: WhisperModel | None = None
        self._loading = threading.Lock()

    async def start(self) -> None:
        """Load the model now (in a thread) rather than on the first caller's turn."""
        await asyncio.to_thread(self._loaded)

    async def transcribe(self, pcm16_16k: bytes, language_hint: str | None) -> Transcript:
        """The text of one turn: 16-bit PCM at 16 kHz, at most MAX_TURN_S long."""
        audio = pcm16_to_float(pcm16_16k)
        if len(audio) > MAX_TURN_S * STT_RATE:
            raise ValueError(f"a turn of {len(audio) / STT_RATE:.1f} s; at most {MAX_TURN_S:.0f} s is transcribed")
        async with self._slots:
            return await asyncio.to_thread(self._transcribe, audio, language_hint)

    def _transcribe(self, audio: np.ndarray, language_hint: str | None) -> Transcript:
        started = time.perf_counter()
        model = self._loaded()
        segments, info = model.transcribe(
            audio, language=whisper_language(language_hint, model.supported_languages), beam_size=self._beam_size, temperature=0.0,
            condition_on_previous_text=False, without_timestamps=True, vad_filter=False)
        text = " ".join(segment.text.strip() for segment in segments).strip()  # decoding happens here
        return Transcript(text=text, language=info.language, language_probability=info.language_probability,
                          audio_s=len(audio) / STT_RATE, processing_s=time.perf_counter() - started)

    def _loaded(self) -> WhisperModel:
        with self._loading:
            if self._model is None:
                self._model = WhisperModel(str(self._model_dir), device="cpu", compute_type="int8",
                                           cpu_threads=self._cpu_threads, num_workers=self._concurrency,
                                           local_files_only=True)
            return self._model


def whisper_language(language: str | None, supported: Collection[str]) -> str | None:
    """The Whisper language code for one of ours, or None (detect) when the model has none."""
    if language is None:
        return None
    code = _WHISPER_LANGUAGE.get(language, language)
    return code if code in supported else None
