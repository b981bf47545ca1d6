"""One phone call, from the caller's audio to the bot's speech: the per-call state machine.

    line --frames--> feed(): LineDecoder -> TurnDetector (VAD) --caller's turn--> worker:
        transcribe (Whisper) -> ask the conversation -> speak the replies (Piper), paced, a mark a sentence
    line --dtmf--> keypad(): codes and numbers are collected here and sent as text, never heard by STT
    line --mark--> played(): the sentence before that mark has been played to the caller

The session knows nothing of Twilio's wire format (channels/voice.py speaks it, through `Line`) nor of
the conversation loop (reached through `CallConversation`). A call is listening, thinking (a turn is
being transcribed or answered) or speaking, and it always listens: the caller may talk or press keys
at any time. One worker task answers the caller's turns one at a time, in order.

Holding: from the moment the caller stops (or the bot's last sound), if no answer has started after
`hold_after_s`, a short holding phrase is played ("One moment, please."), and another every
`hold_again_s` while the answer is still not ready, so silence never runs much past two seconds. Speech
recognition alone takes one to two seconds for a short turn on a small CPU, so there the phrase is
usual, not exceptional. Holding phrases are synthesized once per language and kept (`SpokenPhrases`).

Recognising early: the turn counts as ended after `end_of_speech_ms` (600 ms) of silence, but the
caller has usually finished at the first pause. So after `recognise_after_ms` (300 ms) of silence the
words heard so far are already sent to speech recognition; when the turn ends in that same silence,
its audio is the same and the transcript is taken as it is, ready or nearly. If the caller goes on
talking, that transcript is dropped and the whole turn is heard again when it ends. (Only the words
are recognised early: the turn itself, which may act on the caller's account, waits for the end.)

Barge-in: while the bot speaks, the caller's audio still goes to the VAD. Speech that goes on for
`barge_in_after_s` is not a backchannel ("haan", "ok", "theek hai" are short), so the bot stops at once:
synthesis is cancelled and the line told to `clear` what it has buffered. (The turn detector declares
the end of speech only after `end_of_speech_ms` of silence, so whether the caller is *still* talking is
asked of a second detector over the same audio, one that ends speech after OVERLAP_END_MS.) Shorter
speech is transcribed when it ends: a backchannel (BACKCHANNELS) is ignored and the bot carries on;
anything else stops the bot and becomes the caller's turn. (Transcribing after 300-400 ms would decide
sooner, but on this hardware a transcription takes longer than a short phrase lasts, and it would hold
up every other call's recognition.)

Marks: a mark follows each sentence, and the line echoes it once the sentence has been played. At a
barge-in, the sentences of the reply whose marks came back were heard, those sent without their mark
coming back were cut off, and the rest never left; `CallConversation.note_interrupted` records the
first two, so the conversation's record says what the caller actually heard of the reply. Marks the
line gives back after a clear are ignored: their sentences were cleared, not played.

Keypad (DTMF): while the conversation waits for a code or the caller's number, digits are collected
until `#`, the code's length or a pause, and sent as the caller's message (`*` starts again); otherwise
`0` asks for a person and 1-9 pick the options just read out. A key press interrupts the bot, as on any
phone menu. Digits are never logged, and the audio around a key press never reaches speech recognition:
the tones are in it, so the turn being heard is dropped and the next moment of audio skipped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol, TypeVar

from babel import Locale

from channels.base import OutboundMessage
from i18n.catalog import t
from voice.audio import STT_RATE, LineDecoder, LineEncoder, paced, pcm16_to_float
from voice.models import whisper_model_dir
from voice.settings import VoiceSettings
from voice.stt import BANK_HOTWORDS, SpeechRecognizer, Transcript
from voice.tts import Synthesizer
from voice.vad import SileroVad, SpeechPaused, SpeechStarted, TurnDetector, VadEvent

log = logging.getLogger("sahayak.voice.call")
T = TypeVar("T")

# The packaged voice speaks English, so every call can fall back to it.
FALLBACK_LANGUAGE = "en"
# What the channel asks on the caller's behalf to move the conversation to the fallback language
# (i18n.detect reads a bare language name as a request to switch to it).
SWITCH_TO_FALLBACK = "English"
OTP_LENGTH = 6
MAX_KEYS = 20  # the longest keypad entry (a customer ID or account number is shorter)
CODE_WAITS = frozenset({"otp", "identity"})  # what the conversation may wait for that is keyed in
KEYPAD_PROMPTS = {"otp": "voice_enter_code", "identity": "voice_enter_identity"}
HOLDING_PHRASES = ("voice_holding", "voice_holding_more")  # the first, then every later one
MAX_HOLDS = 12  # holding phrases for one turn; the loop's turn timeout ends a turn well before
MAX_WAITING_TURNS = 8  # caller turns queued behind the one being answered
OVERLAP_END_MS = 200  # silence after which speech over the bot has stopped (for the barge-in decision)

# Short acknowledgements a caller makes while listening: they do not cut the bot off. Whole phrases,
# in the forms Whisper writes them (English, Hinglish in Latin letters, Hindi in Devanagari); a reply
# made only of these (e.g. "okay okay", "haan ji theek hai") is a backchannel too.
BACKCHANNELS = frozenset({
    "ok", "okay", "k", "yes", "yeah", "yep", "yup", "right", "alright", "all right", "sure", "fine", "good",
    "great", "cool", "got it", "i see", "uh huh", "mhm", "mm", "mmm", "hmm", "hm", "hmmm", "oh", "ah", "aha",
    "thanks", "thank you",
    "haan", "han", "haa", "ha", "haan ji", "ji", "ji haan", "jee", "achha", "accha", "acha", "achcha", "theek",
    "theek hai", "thik hai", "thik", "sahi", "sahi hai", "bilkul",
    "हाँ", "हां", "हा", "जी", "हाँ जी", "हां जी", "जी हाँ", "जी हां", "अच्छा", "ठीक", "ठीक है", "सही", "सही है",
    "बिल्कुल", "हम्म", "हूँ", "हूं", "ओके",
})
_PUNCTUATION = re.compile(r"[.,!?;:…\"'“”‘’()\[\]\-–—।॥]")
_SAID_SOMETHING = re.compile(r"[^\W_]")  # a letter or a digit: Whisper gives "" or "..." for noise


def is_backchannel(transcript: str) -> bool:
    """True when the transcript is only acknowledgements ("Okay.", "haan haan", "ठीक है जी")."""
    words = _PUNCTUATION.sub(" ", transcript.lower()).split()
    return 0 < len(words) <= 6 and _only_backchannels(words)


def _only_backchannels(words: list[str]) -> bool:
    if not words:
        return True
    return any(" ".join(words[:n]) in BACKCHANNELS and _only_backchannels(words[n:])
               for n in range(1, min(3, len(words)) + 1))


@dataclass(frozen=True)
class SpeechEngines:
    """The models a call uses, loaded once for the whole gateway."""

    recognizer: SpeechRecognizer
    synthesizer: Synthesizer
    vad: SileroVad

    @classmethod
    async def load(cls, settings: VoiceSettings) -> SpeechEngines:
        """Every model loaded (off the event loop), so a missing or broken one stops start-up."""
        model_dir = await asyncio.to_thread(
            whisper_model_dir, settings.whisper_model_dir, settings.model_cache_dir,
            expected_sha256=settings.whisper_model_sha256, report=log.info)
        recognizer = SpeechRecognizer(model_dir, concurrency=settings.stt_concurrency,
                                      beam_size=settings.stt_beam_size,
                                      cpu_threads=settings.resolved_stt_cpu_threads(),
                                      hotwords=settings.stt_hotwords or BANK_HOTWORDS)
        synthesizer = Synthesizer(settings.piper_voices, concurrency=settings.tts_concurrency)
        vad, _, _ = await asyncio.gather(asyncio.to_thread(SileroVad), recognizer.start(), synthesizer.start())
        return cls(recognizer, synthesizer, vad)


@dataclass(frozen=True)
class CallTiming:
    end_of_speech_ms: int = 600  # silence that ends the caller's turn (VoiceSettings.end_of_speech_ms)
    recognise_after_ms: int | None = 300  # silence after which the words are recognised early; None: never
    hold_after_s: float = 1.2  # after the caller stops: with the VAD's 0.6 s, about 2 s of silence
    hold_again_s: float = 2.0  # between holding phrases while the answer is still not ready
    barge_in_after_s: float = 1.0  # speech over the bot this long is not a backchannel
    keypad_pause_s: float = 4.0  # a keypad entry is complete after this pause
    keypad_mute_s: float = 0.3  # audio skipped after a key press (the tone's tail)
    played_timeout_s: float = 2.0  # how long the line may take to echo the last mark
    frame_s: float = 0.02


@dataclass(frozen=True)
class TurnOutcome:
    """What one of the caller's turns came to."""

    replies: tuple[OutboundMessage, ...]
    language: str  # the conversation's language after the turn
    waiting_for: str | None  # what the conversation waits for: "otp", "identity", "confirm", ... or None
    escalated: bool  # this turn handed the conversation to a person (its case is already open)
    case_reference: str | None = None


Transfer = Literal["transferred", "not_configured", "failed"]


class CallConversation(Protocol):
    """The conversation behind a call (channels/voice.py runs it on the conversation loop)."""

    async def ask(self, text: str) -> TurnOutcome:
        """The caller's words (or keyed digits) as one turn."""

    async def transfer(self) -> Transfer:
        """Hand the call itself to a person."""

    async def note_interrupted(self, heard: Sequence[str], cut_off: Sequence[str], language: str) -> None:
        """The caller cut the bot off: of the reply, only the `heard` sentences were played, `cut_off`
        ones were being played (or about to be), and the rest was never said."""


class Line(Protocol):
    """The phone line's outbound side: 20 ms μ-law frames, marks, and clearing what is buffered."""

    async def play(self, frame: bytes) -> None: ...

    async def mark(self, name: str) -> None: ...

    async def clear(self) -> None: ...


@dataclass(frozen=True)
class Sentence:
    text: str  # as spoken (after voice.speakable)
    frames: tuple[bytes, ...]  # 160-byte μ-law frames


class SpokenPhrases:
    """Fixed short phrases (the holding phrases) synthesized once per language and kept, shared by all
    calls: played from memory, they start at once instead of after a synthesis."""

    def __init__(self, synthesizer: Synthesizer, *, limit: int = 64) -> None:
        self._synthesizer = synthesizer
        self._limit = limit
        self._kept: dict[tuple[str, str], tuple[Sentence, ...]] = {}

    async def prepare(self, texts: Sequence[str], language: str) -> None:
        for text in texts:
            await self.sentences(text, language)

    async def sentences(self, text: str, language: str) -> tuple[Sentence, ...]:
        key = (language, text)
        if key not in self._kept:
            spoken = tuple([s async for s in synthesized(self._synthesizer, [text], language)])
            if len(self._kept) >= self._limit:
                self._kept.pop(next(iter(self._kept)))
            self._kept[key] = spoken
        return self._kept[key]


async def synthesized(synthesizer: Synthesizer, texts: Sequence[str], language: str) -> AsyncIterator[Sentence]:
    """`texts` as line frames, a sentence at a time (one encoder per sentence, so a mark after it
    follows all of its sound)."""
    for text in texts:
        async with contextlib.aclosing(synthesizer.stream(text, language)) as chunks:
            async for chunk in chunks:
                encoder = LineEncoder(chunk.sample_rate)
                samples = pcm16_to_float(chunk.pcm16)
                yield Sentence(chunk.text, tuple(encoder.encode(samples) + encoder.flush()))


def spoken_text(message: OutboundMessage, language: str) -> str:
    """A reply as said on the phone: its buttons become keypad choices ("Press 1 for Check balance.")."""
    options = [t("voice_option", language, number=i, label=label) for i, label in enumerate(message.buttons, 1)]
    return " ".join([message.text, *options]) if options else message.text


@dataclass(frozen=True)
class _CallerTurn:
    ended_at: float  # loop time when the caller stopped (or finished keying)
    text: str | None = None  # keyed digits, a picked option, or an already transcribed utterance
    pcm16: bytes = b""  # 16 kHz speech still to transcribe
    heard: _EarlyTranscript | None = None  # pcm16 already being recognised, since the caller paused


@dataclass(frozen=True)
class _EarlyTranscript:
    """Speech sent to recognition when the caller paused, before the turn had certainly ended."""

    pcm16: bytes
    language: str  # what Whisper was told the caller speaks
    transcript: asyncio.Future[Transcript]


@dataclass(frozen=True)
class _Announcement:
    """Replies that are not the answer to a caller's turn (a human agent's), to be said in turn."""

    messages: tuple[OutboundMessage, ...]


class CallSession:
    def __init__(self, engines: SpeechEngines, conversation: CallConversation, line: Line, phrases: SpokenPhrases,
                 *, language: str, bank_name: str, timing: CallTiming = CallTiming(), call_id: str = "") -> None:
        self._engines = engines
        self._conversation = conversation
        self._line = line
        self._phrases = phrases
        self._timing = timing
        self._bank_name = bank_name
        self._call_id = call_id  # for the logs; never the caller's number
        self._language = language if engines.synthesizer.voice_for(language) else FALLBACK_LANGUAGE
        self._decoder = LineDecoder()
        self._detector = self._new_detector()
        self._detector_s = 0.0  # audio fed to the current detector, in seconds (its clock)
        self._overlap_from: float | None = None  # detector time the caller began talking over the bot
        self._overlap: TurnDetector | None = None  # is the caller still talking over the bot?
        self._mute_samples = 0
        self._early: _EarlyTranscript | None = None  # the turn being heard, recognised at its last pause
        self._inbox: asyncio.Queue[_CallerTurn | _Announcement] = asyncio.Queue(maxsize=MAX_WAITING_TURNS)
        self._worker: asyncio.Task | None = None
        self._side_tasks: set[asyncio.Task] = set()
        self._playback: asyncio.Task | None = None
        self._playback_recorded = False
        self._pending_marks: dict[str, str] = {}  # mark name -> its sentence, sent and not yet played
        self._all_played = asyncio.Event()
        self._mark_count = 0
        self._heard_in_playback: list[str] = []
        self._heard: list[str] = []
        self._quiet_since = 0.0  # loop time the bot last stopped making sound
        self._waiting_for: str | None = None
        self._offered: tuple[str, ...] = ()
        self._keys: list[str] = []
        self._held_keys: list[str] = []
        self._keypad_timer: asyncio.TimerHandle | None = None
        self._case_reference: str | None = None
        self._thinking = False
        self.transferred = False
        self._closed = False

    # ------------------------------------------------------------------ from the line

    def start(self) -> None:
        """Answer: say the welcome, then take the caller's turns."""
        self._quiet_since = asyncio.get_running_loop().time()
        self._worker = asyncio.create_task(self._work())

    def feed(self, frame: bytes) -> None:
        """One inbound μ-law frame (raises voice.audio.FrameTooLarge for an oversized one)."""
        pcm16 = self._decoder.decode(frame)
        if self.transferred or self._closed:
            return
        if self._mute_samples > 0:
            self._mute_samples -= len(pcm16) // 2
            return
        self._detector_s += len(pcm16) / 2 / STT_RATE
        for event in self._detector.feed(pcm16):
            self._on_vad(event)
        if self._overlap is None:
            return
        self._overlap.feed(pcm16)
        if self._overlap.speaking and self._detector_s - self._overlap_from >= self._timing.barge_in_after_s:
            self._overlap_from, self._overlap = None, None  # long speech over the bot: not a backchannel
            self._spawn(self._barge_in())

    def keypad(self, key: str) -> None:
        """One DTMF key. Never logged."""
        if len(key) != 1 or key not in "0123456789*#" or self.transferred or self._closed:
            return
        # The tones are in the audio: drop the turn being heard and skip the tone's tail.
        self._detector, self._detector_s = self._new_detector(), 0.0
        self._overlap_from, self._overlap = None, None
        self._drop_early()
        self._mute_samples = int(self._timing.keypad_mute_s * STT_RATE)
        if self._speaking():
            self._spawn(self._barge_in())
        if self._thinking:
            self._held_keys.append(key)  # what a key means depends on the answer being prepared
        else:
            self._key(key)

    def _key(self, key: str) -> None:
        if self._waiting_for in CODE_WAITS:
            self._key_in(key)
        elif key == "0":
            self._enqueue(_CallerTurn(self._now(), text=t("btn_human", self._language)))
        elif key.isdigit() and int(key) <= len(self._offered):
            self._enqueue(_CallerTurn(self._now(), text=self._offered[int(key) - 1]))

    def played(self, mark: str) -> None:
        """The line played everything up to `mark`."""
        sentence = self._pending_marks.pop(mark, None)
        if sentence is None:  # cleared at a barge-in (the line gives those back too), or not ours
            return
        self._heard.append(sentence)
        self._heard_in_playback.append(sentence)
        if not self._pending_marks:
            self._all_played.set()

    def announce(self, messages: Sequence[OutboundMessage]) -> None:
        """Say replies that answer no turn of the caller's (a human agent's), after what is queued."""
        self._enqueue(_Announcement(tuple(messages)))

    async def close(self) -> None:
        self._closed = True
        if self._keypad_timer is not None:
            self._keypad_timer.cancel()
        tasks = [task for task in (self._worker, self._playback, *self._side_tasks) if task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    @property
    def answering(self) -> bool:
        """A turn of the caller's is being answered (recognised, if not already, then asked)."""
        return self._thinking

    @property
    def heard(self) -> tuple[str, ...]:
        """Every sentence the line has played to the caller, in order."""
        return tuple(self._heard)

    # ------------------------------------------------------------------ listening

    def _new_detector(self, end_of_speech_ms: int | None = None) -> TurnDetector:
        """The caller's turns (with early recognition), or with `end_of_speech_ms`, whether they are
        still talking over the bot."""
        if end_of_speech_ms is not None:
            return TurnDetector(self._engines.vad, end_of_speech_ms=end_of_speech_ms)
        pause_ms = self._timing.recognise_after_ms
        if pause_ms is not None and pause_ms >= self._timing.end_of_speech_ms:
            pause_ms = None  # the turn ends first
        return TurnDetector(self._engines.vad, end_of_speech_ms=self._timing.end_of_speech_ms, pause_ms=pause_ms)

    def _on_vad(self, event: VadEvent) -> None:
        if isinstance(event, SpeechStarted):
            if self._speaking():
                self._overlap_from, self._overlap = event.at_s, self._new_detector(OVERLAP_END_MS)
            return
        if isinstance(event, SpeechPaused):
            if self._overlap_from is None:  # speech over the bot is judged when it ends, as a whole
                self._recognise_early(event.pcm16)
            return
        over_the_bot, self._overlap_from, self._overlap = self._overlap_from is not None, None, None
        early, self._early = self._early, None
        if over_the_bot:  # begun while the bot was talking: maybe only "haan" (even if the bot has stopped)
            self._spawn(self._judge_overlap(event.pcm16, self._now()))
        else:
            heard = early if early is not None and early.pcm16 == event.pcm16 else None
            self._enqueue(_CallerTurn(self._now(), pcm16=event.pcm16, heard=heard))

    def _recognise_early(self, pcm16: bytes) -> None:
        """Start recognising the turn so far, instead of an earlier pause's (the caller went on): that
        one is cancelled, which takes it out of the recognizer's queue if it has not started (if it
        has, the recognizer keeps its slot until the thread is done)."""
        self._drop_early()
        language = self._stt_language()
        transcript = self._spawn(self._engines.recognizer.transcribe(pcm16, language))
        self._early = _EarlyTranscript(pcm16, language, transcript)

    def _drop_early(self) -> None:
        if self._early is not None:
            self._early.transcript.cancel()
            self._early = None

    async def _judge_overlap(self, pcm16: bytes, ended_at: float) -> None:
        """Short speech over the bot: a backchannel is let be; anything else stops the bot (if it is
        still talking) and is the caller's turn."""
        text = (await self._engines.recognizer.transcribe(pcm16, self._stt_language())).text.strip()
        if not _SAID_SOMETHING.search(text) or is_backchannel(text):
            log.info("call %s: backchannel while speaking, carried on", self._call_id)
            return
        await self._barge_in()
        self._enqueue(_CallerTurn(ended_at, text=text))

    def _key_in(self, key: str) -> None:
        if self._keypad_timer is not None:
            self._keypad_timer.cancel()
            self._keypad_timer = None
        if key == "*":
            self._keys.clear()
            return
        if key != "#":
            self._keys.append(key)
            complete = len(self._keys) >= MAX_KEYS or (self._waiting_for == "otp" and len(self._keys) >= OTP_LENGTH)
            if not complete:
                self._keypad_timer = asyncio.get_running_loop().call_later(
                    self._timing.keypad_pause_s, self._submit_keys)
                return
        self._submit_keys()

    def _release_held_keys(self) -> None:
        held, self._held_keys = self._held_keys, []
        for key in held:
            self._key(key)

    def _submit_keys(self) -> None:
        self._keypad_timer = None
        keys, self._keys = "".join(self._keys), []
        if keys:
            # "0" alone asks for a person even while a code is awaited.
            self._enqueue(_CallerTurn(self._now(), text=t("btn_human", self._language) if keys == "0" else keys))

    def _enqueue(self, item: _CallerTurn | _Announcement) -> None:
        if self.transferred or self._closed:
            return
        try:
            self._inbox.put_nowait(item)
        except asyncio.QueueFull:
            log.warning("call %s: %d caller turns waiting already; one dropped", self._call_id, MAX_WAITING_TURNS)

    # ------------------------------------------------------------------ thinking

    async def _work(self) -> None:
        # The holding phrases are ready before the first answer can be late (made while the welcome plays).
        self._spawn(self._phrases.prepare([t(key, self._language) for key in HOLDING_PHRASES], self._language))
        welcome = OutboundMessage(t("voice_welcome", self._language, bank=self._bank_name))
        await self._say([welcome], self._language, recorded=False)
        while not self.transferred:
            item = await self._inbox.get()
            try:
                if isinstance(item, _Announcement):
                    await self._say(item.messages, self._language, recorded=True)
                    continue
                self._thinking = True
                try:
                    outcome = await self._holding_on(self._answer(item), since=item.ended_at)
                finally:
                    self._thinking = False
                if outcome is not None:
                    await self._respond(outcome)
                else:
                    self._release_held_keys()
            except Exception as e:  # one failed turn must not leave the rest of the call unanswered
                self._release_held_keys()
                log.error("call %s: a turn failed: %s", self._call_id, type(e).__name__, exc_info=e)

    async def _answer(self, turn: _CallerTurn) -> TurnOutcome | None:
        text = turn.text
        if text is None and turn.heard is not None and turn.heard.language == self._stt_language():
            with contextlib.suppress(Exception):  # then it is heard again, below
                text = (await turn.heard.transcript).text
        if text is None:
            text = (await self._engines.recognizer.transcribe(turn.pcm16, self._stt_language())).text
        text = text.strip()
        if not _SAID_SOMETHING.search(text):
            return None  # noise: nothing was said
        return await self._conversation.ask(text)

    async def _holding_on(self, work: Awaitable[TurnOutcome | None], *, since: float) -> TurnOutcome | None:
        """`work`'s result, with holding phrases while the caller would otherwise hear silence."""
        task = asyncio.ensure_future(work)
        loop = asyncio.get_running_loop()
        holds = 0
        try:
            while True:
                quiet_since = max(since, self._quiet_since)
                gap = self._timing.hold_after_s if holds == 0 else self._timing.hold_again_s
                done, _ = await asyncio.wait({task}, timeout=max(0.0, quiet_since + gap - loop.time()))
                if done or holds >= MAX_HOLDS:
                    return await task
                phrase = t(HOLDING_PHRASES[min(holds, 1)], self._language)
                await self._play(self._phrase(phrase, self._language), recorded=False)
                holds += 1
        finally:
            task.cancel()  # only if this session is closing: otherwise it is done

    async def _respond(self, outcome: TurnOutcome, *, switching: bool = False) -> None:
        self._waiting_for = outcome.waiting_for
        self._release_held_keys()
        self._case_reference = outcome.case_reference or self._case_reference
        if self._engines.synthesizer.voice_for(outcome.language) is None:
            if not switching:
                await self._continue_in_fallback(outcome.language)
            return
        self._language = outcome.language
        self._offered = next((m.buttons for m in reversed(outcome.replies) if m.buttons), ())
        messages = list(outcome.replies)
        if messages and outcome.waiting_for in KEYPAD_PROMPTS:
            messages.append(OutboundMessage(t(KEYPAD_PROMPTS[outcome.waiting_for], self._language)))
        await self._say(messages, self._language, recorded=True)
        if outcome.escalated:
            await self._transfer()

    async def _continue_in_fallback(self, language: str) -> None:
        """The conversation moved to a language no voice speaks: say so in one that has a voice, and
        ask the conversation, on the caller's behalf, to continue in it."""
        name = Locale.parse(FALLBACK_LANGUAGE).languages.get(language, language)
        log.info("call %s: no voice for %s; continuing in %s", self._call_id, language, FALLBACK_LANGUAGE)
        self._language = FALLBACK_LANGUAGE
        await self._say([OutboundMessage(t("voice_language_unavailable", FALLBACK_LANGUAGE, language_name=name))],
                        FALLBACK_LANGUAGE, recorded=False)
        await self._respond(await self._conversation.ask(SWITCH_TO_FALLBACK), switching=True)

    async def _transfer(self) -> None:
        result = await self._conversation.transfer()
        log.info("call %s: escalated; transfer %s", self._call_id, result)
        if result == "transferred":
            self.transferred = True
        elif result == "failed":
            await self._say([OutboundMessage(t("voice_transfer_failed", self._language,
                                               reference=self._case_reference or ""))], self._language,
                            recorded=False)

    # ------------------------------------------------------------------ speaking

    async def _say(self, messages: Sequence[OutboundMessage], language: str, *, recorded: bool) -> bool:
        """Speak `messages`. `recorded`: they are on the conversation's record (a turn's replies), so
        a barge-in that cuts them off is recorded too; the welcome and the line's own notices are not."""
        texts = [spoken_text(m, language) for m in messages if m.text or m.buttons]
        return await self._play(synthesized(self._engines.synthesizer, texts, language), recorded=recorded)

    async def _phrase(self, text: str, language: str) -> AsyncIterator[Sentence]:
        for sentence in await self._phrases.sentences(text, language):
            yield sentence

    async def _play(self, sentences: AsyncIterator[Sentence], *, recorded: bool) -> bool:
        """Send `sentences` to the line, paced, and wait until they are played. False when the caller
        cut them off (or they could not be spoken)."""
        task = asyncio.create_task(self._send(sentences))
        self._playback, self._playback_recorded = task, recorded
        try:
            await asyncio.wait({task})
        except asyncio.CancelledError:
            task.cancel()
            raise
        finally:
            if self._playback is task:
                self._playback = None
            self._quiet_since = asyncio.get_running_loop().time()
        if task.cancelled():
            return False
        if task.exception() is not None:
            log.error("call %s: speech failed: %s", self._call_id, type(task.exception()).__name__)
            return False
        return True

    async def _send(self, sentences: AsyncIterator[Sentence]) -> None:
        self._heard_in_playback = []
        async with contextlib.aclosing(sentences):
            async for sentence in sentences:
                self._mark_count += 1
                name = f"s{self._mark_count}"
                self._pending_marks[name] = sentence.text  # not heard until the line echoes its mark
                self._all_played.clear()
                async for frame in paced(_each(sentence.frames), self._timing.frame_s):
                    await self._line.play(frame)
                await self._line.mark(name)
        if self._pending_marks:
            try:
                await asyncio.wait_for(self._all_played.wait(), self._timing.played_timeout_s)
            except TimeoutError:
                log.warning("call %s: the line did not confirm %d sentence(s) as played", self._call_id,
                            len(self._pending_marks))
                self._pending_marks.clear()

    async def _barge_in(self) -> None:
        task = self._playback
        if task is None or task.done():
            return  # the bot finished meanwhile
        task.cancel()
        await asyncio.wait({task})
        await self._line.clear()
        cut_off = list(self._pending_marks.values())
        self._pending_marks.clear()
        self._all_played.set()
        log.info("call %s: barge-in after %d sentence(s) heard", self._call_id, len(self._heard_in_playback))
        if self._playback_recorded:
            await self._conversation.note_interrupted(list(self._heard_in_playback), cut_off, self._language)

    # ------------------------------------------------------------------ helpers

    def _stt_language(self) -> str:
        """The language Whisper decodes in: the call's. Hinglish is decoded as Hindi (voice/stt.py), in
        Devanagari, which turns the conversation to Hindi; without a Hindi voice that would end in
        "continuing in English", so Hinglish is then heard as English, which keeps Latin letters."""
        if self._language == "hinglish" and self._engines.synthesizer.voice_for("hi") is None:
            return FALLBACK_LANGUAGE
        return self._language

    def _speaking(self) -> bool:
        return self._playback is not None and not self._playback.done()

    def _spawn(self, work: Awaitable[T]) -> asyncio.Future[T]:
        """Run `work` beside the call: kept until done, cancelled when the call ends, failures logged."""
        task = asyncio.ensure_future(work)
        self._side_tasks.add(task)
        task.add_done_callback(self._side_done)
        return task

    def _side_done(self, task: asyncio.Task) -> None:
        self._side_tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("call %s: %s", self._call_id, type(task.exception()).__name__, exc_info=task.exception())

    @staticmethod
    def _now() -> float:
        return asyncio.get_running_loop().time()


async def _each(frames: Sequence[bytes]) -> AsyncIterator[bytes]:
    for frame in frames:
        yield frame
