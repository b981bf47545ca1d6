"""Voice notes, the speech side: a recorded note to text (a spoken code to the digits a customer would
type), a reply to an OGG/Opus note, and what of a transcript may be shown back to the customer.

Transcription. A note may run to two minutes (voice/decode.py bounds it), and Whisper hears at most
30 s in one pass (voice/stt.py), so a long note is cut into windows of at most 30 s, each ending at the
quietest 50 ms in its last five seconds (a pause between words, where a cut loses nothing), and the
windows are transcribed one after another with the same language hint. Without a hint the first window
lets Whisper detect the language and the others use what it found; Whisper's small models take Hindi
speech for Urdu, which Sahayak does not serve, so a detected Urdu is heard again as Hindi. Whisper also
makes words up for silence ("Thank you."), so a note with no 50 ms above -40 dBFS is not transcribed.

Replies. The reply text is synthesized sentence by sentence (voice/tts.py) and encoded with PyAV to Opus
in an OGG container, mono 16 kHz at 24 kbit/s: what WhatsApp plays as a voice message (it wants OGG
with the Opus codec; 16 kHz is wideband speech and keeps a typical reply far below WhatsApp's 512 KB
auto-play limit).

Echo. `shown_transcript` is the transcript as the customer may see it quoted back: shortened, and with
every number taken out, written in digits or said as a run of number words ("four eight two nine"). A
customer may well say an OTP or an account number in a note, and a quoted reply must never repeat it.
"""

from __future__ import annotations

import io
import re

import numpy as np

from i18n.numerals import to_ascii_digits
from voice.audio import STT_RATE, float_to_pcm16, pcm16_to_float
from voice.stt import MAX_TURN_S, NOTE, SpeechRecognizer
from voice.tts import Synthesizer

NOTE_RATE = 16_000
NOTE_BIT_RATE = 24_000
NOTE_MIME_TYPE = "audio/ogg"  # Meta's media upload takes the MIME type without the codecs parameter
CUT_SEARCH_S = 5.0
CUT_FRAME_S = 0.05
SILENCE_RMS = 0.01  # -40 dBFS: a phone held in a quiet room records more than this when someone speaks
SHOWN_MAX_CHARS = 160
HIDDEN = "•••"

_NUMBER_WORDS = (
    # English
    "zero oh one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred "
    "double triple "
    # Hindi in Latin letters, as Whisper writes it
    "shunya ek do teen char chaar paanch panch chhe chhah chah saat aath nau "
    # Hindi in Devanagari
    "शून्य एक दो तीन चार पांच पाँच छह छः छे सात आठ नौ"
).split()
_NUMBER_WORD = "(?:" + "|".join(sorted(map(re.escape, _NUMBER_WORDS), key=len, reverse=True)) + ")"
# A number in digits (any script's: \d is Unicode-aware), with the separators people and Whisper put
# inside one ("48 29 13", "4-8-2", "1,20,000.50"); and two or more number words in a row.
_DIGITS = re.compile(r"\d+(?:[\s.,/\-]*\d+)*")
_WORD_RUN = re.compile(rf"(?<!\w){_NUMBER_WORD}(?:[\s,\-]+{_NUMBER_WORD})+(?!\w)", re.IGNORECASE)
# A note that says only a number, as Whisper writes it: "482913.", "4, 8, 2, 9, 1, 3", "4 8 2 9 1 3".
_ONLY_A_NUMBER = re.compile(r"\s*\d(?:[\s,\-]*\d)*[\s.,!?।]*")


async def transcribe_note(recognizer: SpeechRecognizer, pcm16_16k: bytes, language_hint: str | None) -> str:
    """The note's text: each window transcribed in turn, joined."""
    texts = []
    language = language_hint
    for window in note_windows(pcm16_16k):
        transcript = await recognizer.transcribe(window, language, priority=NOTE)
        if language is None and transcript.language == "ur":
            transcript = await recognizer.transcribe(window, "hi", priority=NOTE)
        language = language or transcript.language
        if transcript.text.strip():
            texts.append(transcript.text.strip())
    return " ".join(texts)


def is_silent(pcm16_16k: bytes) -> bool:
    """True when no 50 ms of the audio reaches SILENCE_RMS: Whisper makes up words ("Thank you.") for
    silence, so a silent note is not transcribed at all."""
    samples = pcm16_to_float(pcm16_16k)
    frame = int(CUT_FRAME_S * STT_RATE)
    usable = len(samples) // frame * frame
    if usable == 0:
        return True
    return float(np.sqrt(np.mean(samples[:usable].reshape(-1, frame) ** 2, axis=1)).max()) < SILENCE_RMS


def note_windows(pcm16_16k: bytes, max_s: float = MAX_TURN_S) -> list[bytes]:
    """The audio in pieces of at most `max_s`, each cut at the quietest moment of its last seconds."""
    samples = pcm16_to_float(pcm16_16k)
    most = int(max_s * STT_RATE)
    frame = int(CUT_FRAME_S * STT_RATE)
    search = int(CUT_SEARCH_S * STT_RATE) // frame * frame
    windows = []
    start = 0
    while len(samples) - start > most:
        end = start + most
        region = samples[end - search:end].reshape(-1, frame)
        quietest = int(np.argmin(np.sqrt(np.mean(region ** 2, axis=1))))
        cut = end - search + quietest * frame + frame // 2  # the middle of the quietest frame
        windows.append(pcm16_16k[2 * start:2 * cut])
        start = cut
    windows.append(pcm16_16k[2 * start:])
    return windows


async def spoken_note(synthesizer: Synthesizer, text: str, language: str) -> bytes:
    """`text` said by the language's voice, as an OGG/Opus voice note. Raises NoVoice when the language
    has no voice, ValueError when the text is too long to read out."""
    pcm: list[np.ndarray] = []
    rate = NOTE_RATE
    async for chunk in synthesizer.stream(text, language):
        pcm.append(pcm16_to_float(chunk.pcm16))
        rate = chunk.sample_rate
    samples = np.concatenate(pcm) if pcm else np.zeros(0, dtype=np.float32)
    return encode_ogg_opus(float_to_pcm16(samples), rate)


def encode_ogg_opus(pcm16: bytes, sample_rate: int) -> bytes:
    """Mono 16-bit PCM at any rate -> OGG/Opus, mono 16 kHz (PyAV resamples on the way in)."""
    import av  # here: a gateway without voice notes never loads it

    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format="ogg") as container:
        stream = container.add_stream("libopus", rate=NOTE_RATE, layout="mono")
        stream.bit_rate = NOTE_BIT_RATE
        if pcm16:
            frame = av.AudioFrame.from_ndarray(np.frombuffer(pcm16, dtype="<i2").reshape(1, -1),
                                               format="s16", layout="mono")
            frame.sample_rate = sample_rate
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return buffer.getvalue()


def as_typed(transcript: str) -> str:
    """The transcript as the customer would have typed it. A note that only says a number (a code read
    out) becomes the bare ASCII digits, as typed: Whisper punctuates ("482913.") and spaces spoken
    digits, which a code check would refuse. Anything else is left as Whisper wrote it."""
    if _ONLY_A_NUMBER.fullmatch(transcript):
        return to_ascii_digits("".join(ch for ch in transcript if ch.isdigit()))
    return transcript.strip()


def shown_transcript(text: str, max_chars: int = SHOWN_MAX_CHARS) -> str:
    """The transcript as it may be quoted back: numbers hidden, at most `max_chars` characters."""
    hidden = _WORD_RUN.sub(HIDDEN, _DIGITS.sub(HIDDEN, text))
    hidden = " ".join(hidden.split())
    if len(hidden) <= max_chars:
        return hidden
    return hidden[:max_chars - 1].rsplit(" ", 1)[0] + "…"
