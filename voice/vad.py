"""Turn-taking on the phone: has the caller started speaking, and have they finished?

The Silero VAD model (v6) that ships inside faster-whisper (`faster_whisper/assets/silero_vad_v6.onnx`)
scores 32 ms windows (512 samples at 16 kHz, each with the previous window's last 64 samples as
context) for speech, carrying an LSTM state from one window to the next. faster-whisper only runs it
over whole recordings; here the same model is stepped one window at a time with the state kept per
call, which gives exactly the scores the batch run gives (checked in the tests), but as audio arrives.

The decision on top follows faster-whisper's own `get_speech_timestamps`: a window at or above
`threshold` is speech; silence starts at the first window below `threshold - 0.15` and is cancelled by
the next speech window, so a quiet syllable in between neither ends nor extends the turn. The caller's
turn:

  * starts once `min_speech_ms` of speech has been heard (a cough or a click is not a turn), dated
    from its first speech window; `pre_roll_ms` of audio before that is kept, since speech begins a
    little before the model is sure of it;
  * ends after `end_of_speech_ms` of silence (600 ms by default: long enough for a pause between
    words, short enough that the caller does not wonder whether the bot heard them), with
    `tail_ms` of that silence kept after the last speech;
  * is cut at `max_utterance_s` (Whisper hears 30 s at a time), so the buffer is bounded.

With `pause_ms` set (shorter than `end_of_speech_ms`), a turn that has been silent that long is
announced early (`SpeechPaused`) with the audio it would end with, so that the caller's words can be
recognised while the detector waits to be sure they have finished: if the turn then ends in that same
silence, its `SpeechEnded.pcm16` is exactly the paused audio; if the caller goes on, the pause was
nothing and a later pause or end says so.

One model session serves every call (onnxruntime sessions are safe to run from several threads); each
call has its own `TurnDetector`. A window costs about 0.4 ms of CPU on this machine, so feeding 20 ms
frames from the event loop is fine."""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from voice.audio import STT_RATE, float_to_pcm16, pcm16_to_float

WINDOW = 512  # samples at 16 kHz: what Silero v6 scores at a time
CONTEXT = 64
WINDOW_MS = WINDOW * 1000 // STT_RATE  # 32


class SileroVad:
    """The packaged Silero model, loaded once; `score` one window given the call's state."""

    def __init__(self) -> None:
        import onnxruntime  # here, not at the top: a gateway without the phone line never loads it
        from faster_whisper.utils import get_assets_path

        options = onnxruntime.SessionOptions()
        options.inter_op_num_threads = 1
        options.intra_op_num_threads = 1  # one window is tiny: threads would cost more than they save
        options.log_severity_level = 4
        path = os.path.join(get_assets_path(), "silero_vad_v6.onnx")
        self._session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"],
                                                     sess_options=options)

    def score(self, window: np.ndarray, state: VadState) -> float:
        """Speech probability of one 512-sample window; advances `state`."""
        probability, state.h, state.c = self._session.run(
            None, {"input": np.concatenate([state.context, window])[None, :], "h": state.h, "c": state.c})
        state.context = window[-CONTEXT:]
        return float(probability.ravel()[0])


class VadState:
    """One call's place in the model: its LSTM state and the last window's tail."""

    def __init__(self) -> None:
        self.h = np.zeros((1, 1, 128), dtype=np.float32)
        self.c = np.zeros((1, 1, 128), dtype=np.float32)
        self.context = np.zeros(CONTEXT, dtype=np.float32)


@dataclass(frozen=True)
class SpeechStarted:
    at_s: float  # seconds since the detector started, at the first speech window


@dataclass(frozen=True)
class SpeechEnded:
    at_s: float  # when the last speech window ended
    pcm16: bytes  # the caller's turn, 16 kHz: pre-roll + speech + tail
    cut_short: bool  # True when max_utterance_s was reached while they were still speaking

    @property
    def duration_s(self) -> float:
        return len(self.pcm16) / 2 / STT_RATE


@dataclass(frozen=True)
class SpeechPaused:
    at_s: float  # when the last speech window ended
    pcm16: bytes  # the turn as it would end here: pre-roll + speech + tail


VadEvent = SpeechStarted | SpeechPaused | SpeechEnded


class TurnDetector:
    """Feed the caller's PCM16 16 kHz audio as it arrives; get SpeechStarted / SpeechEnded events."""

    def __init__(self, model: SileroVad, *, threshold: float = 0.5, end_of_speech_ms: int = 600,
                 min_speech_ms: int = 150, pre_roll_ms: int = 300, tail_ms: int = 200,
                 max_utterance_s: float = 30.0, pause_ms: int | None = None) -> None:
        if pause_ms is not None and not tail_ms <= pause_ms < end_of_speech_ms:
            raise ValueError(f"pause_ms {pause_ms} must be at least tail_ms ({tail_ms}) and less than "
                             f"end_of_speech_ms ({end_of_speech_ms})")
        self._model = model
        self._threshold = threshold
        self._silence_threshold = max(threshold - 0.15, 0.01)
        self._end_windows = -(-end_of_speech_ms // WINDOW_MS)
        self._pause_windows = -(-pause_ms // WINDOW_MS) if pause_ms is not None else None
        self._min_speech_windows = -(-min_speech_ms // WINDOW_MS)
        self._pre_roll_windows = -(-pre_roll_ms // WINDOW_MS)
        self._tail_windows = -(-tail_ms // WINDOW_MS)
        self._max_windows = int(max_utterance_s * 1000 // WINDOW_MS)
        self._state = VadState()
        self._pending = np.zeros(0, dtype=np.float32)  # less than a window, waiting for the rest
        self._windows_seen = 0
        self._recent: list[np.ndarray] = []  # the last pre_roll windows while nobody speaks
        self._turn: list[np.ndarray] | None = None  # windows of the turn being heard (or maybe heard)
        self._turn_start = 0  # window index of its first speech window
        self._speech_windows = 0
        self._confirmed = False
        self._silence_since: int | None = None  # window index where the current silence began

    @property
    def speaking(self) -> bool:
        return self._confirmed

    def feed(self, pcm16: bytes) -> list[VadEvent]:
        samples = np.concatenate([self._pending, pcm16_to_float(pcm16)])
        whole = len(samples) - len(samples) % WINDOW
        self._pending = samples[whole:]
        events: list[VadEvent] = []
        for start in range(0, whole, WINDOW):
            event = self._step(samples[start:start + WINDOW])
            if event is not None:
                events.append(event)
        return events

    def _step(self, window: np.ndarray) -> VadEvent | None:
        index = self._windows_seen
        self._windows_seen += 1
        probability = self._model.score(window, self._state)
        speech = probability >= self._threshold
        if self._turn is None:
            if not speech:
                self._recent = (self._recent + [window])[-self._pre_roll_windows:] if self._pre_roll_windows else []
                return None
            self._turn, self._recent = self._recent + [window], []
            self._turn_start, self._speech_windows, self._silence_since = index, 1, None
            return self._confirm()
        self._turn.append(window)
        if speech:
            self._speech_windows += 1
            self._silence_since = None
        elif probability < self._silence_threshold and self._silence_since is None:
            self._silence_since = index
        if self._silence_since is not None and index + 1 - self._silence_since >= self._end_windows:
            return self._end(self._turn, cut_short=False)
        if len(self._turn) >= self._max_windows:
            return self._end(self._turn, cut_short=True)
        if (self._confirmed and self._silence_since is not None
                and index + 1 - self._silence_since == self._pause_windows):
            return SpeechPaused(at_s=self._silence_since * WINDOW_MS / 1000, pcm16=self._heard_until_silence())
        return self._confirm()

    def _confirm(self) -> SpeechStarted | None:
        if self._confirmed or self._speech_windows < self._min_speech_windows:
            return None
        self._confirmed = True
        return SpeechStarted(at_s=self._turn_start * WINDOW_MS / 1000)

    def _end(self, turn: list[np.ndarray], *, cut_short: bool) -> SpeechEnded | None:
        confirmed = self._confirmed
        self._turn, self._confirmed = None, False
        if not confirmed:  # too little speech to be a turn: a noise; forget it
            return None
        if cut_short or self._silence_since is None:
            return SpeechEnded(at_s=self._windows_seen * WINDOW_MS / 1000,
                               pcm16=float_to_pcm16(np.concatenate(turn)), cut_short=cut_short)
        return SpeechEnded(at_s=self._silence_since * WINDOW_MS / 1000, pcm16=self._heard_until_silence(turn),
                           cut_short=False)

    def _heard_until_silence(self, turn: list[np.ndarray] | None = None) -> bytes:
        """The turn up to the current silence, with `tail_ms` of it kept."""
        turn = self._turn if turn is None else turn
        extra = self._windows_seen - self._silence_since - self._tail_windows  # silence beyond the tail
        return float_to_pcm16(np.concatenate(turn[:len(turn) - max(0, extra)]))
