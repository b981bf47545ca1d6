"""Turn-taking with the packaged Silero VAD (voice/vad.py), on synthesized speech and silence."""

from __future__ import annotations

import numpy as np
import pytest
from faster_whisper.vad import get_vad_model

from voice.audio import STT_RATE, float_to_pcm16
from voice.vad import WINDOW, SpeechEnded, SpeechPaused, SpeechStarted, TurnDetector, VadState

on_session_loop = pytest.mark.asyncio(loop_scope="session")  # the sample speech comes from the session's voice
FRAME = STT_RATE * 20 // 1000  # 20 ms, as the line delivers it


def _silence(seconds: float) -> np.ndarray:
    # Not digital zero: a faint hiss, as on a real line.
    return (np.random.default_rng(11).standard_normal(int(seconds * STT_RATE)) * 0.001).astype(np.float32)


def _feed(detector: TurnDetector, signal: np.ndarray) -> list[tuple[float, object]]:
    """Feed in 20 ms frames; each event with the time (s) of audio fed when it came out."""
    pcm = float_to_pcm16(signal)
    events = []
    for start in range(0, len(signal), FRAME):
        for event in detector.feed(pcm[2 * start:2 * (start + FRAME)]):
            events.append(((start + FRAME) / STT_RATE, event))
    return events


@on_session_loop
async def test_window_by_window_scores_equal_faster_whispers_batch_scores(vad_model, sample_speech_16k):
    signal = np.concatenate([_silence(0.5), sample_speech_16k, _silence(0.5)])
    signal = np.pad(signal, (0, -len(signal) % WINDOW))
    batch = get_vad_model()(signal).ravel()
    state = VadState()
    streamed = [vad_model.score(signal[i:i + WINDOW], state) for i in range(0, len(signal), WINDOW)]
    assert np.allclose(streamed, batch, atol=1e-5)
    assert max(streamed) > 0.9 and min(streamed) < 0.1


@on_session_loop
async def test_a_turn_starts_with_the_speech_and_ends_after_the_silence(vad_model, sample_speech_16k):
    lead, speech_s = 1.0, len(sample_speech_16k) / STT_RATE
    signal = np.concatenate([_silence(lead), sample_speech_16k, _silence(2.0)])
    events = _feed(TurnDetector(vad_model, end_of_speech_ms=600), signal)
    assert [type(event) for _, event in events] == [SpeechStarted, SpeechEnded]
    (started_fed, started), (ended_fed, ended) = events
    assert started.at_s == pytest.approx(lead, abs=0.15)
    assert started_fed - lead < 0.4  # known to be speech within a few windows
    # The voice fades out before its samples end: the last speech window is near the end, not after it.
    assert lead + speech_s - 0.4 < ended.at_s <= lead + speech_s + 0.1
    # The turn ends 600 ms after the speech, no sooner: a pause between words is not the end.
    assert 0.6 <= ended_fed - ended.at_s < 0.75
    assert not ended.cut_short
    # The turn holds the speech, with a little before (pre-roll) and after (tail), not the 2 s of silence.
    assert speech_s - 0.3 < ended.duration_s < speech_s + 0.3 + 0.2 + 0.3


@on_session_loop
async def test_two_turns_and_a_pause_inside_one(vad_model, sample_speech_16k):
    pause = _silence(0.3)  # shorter than end_of_speech_ms: the same turn
    gap = _silence(1.2)  # longer: a new turn
    signal = np.concatenate([_silence(0.5), sample_speech_16k, pause, sample_speech_16k, gap, sample_speech_16k,
                             _silence(1.0)])
    events = [event for _, event in _feed(TurnDetector(vad_model), signal)]
    assert [type(event) for event in events] == [SpeechStarted, SpeechEnded, SpeechStarted, SpeechEnded]
    speech_s = len(sample_speech_16k) / STT_RATE
    assert events[1].duration_s > 2 * speech_s  # both halves around the short pause
    assert events[3].duration_s < 1.5 * speech_s


def test_silence_and_a_click_are_not_turns(vad_model):
    click = np.zeros(int(0.03 * STT_RATE), dtype=np.float32)
    click[::7] = 0.8
    signal = np.concatenate([_silence(1.0), click, _silence(1.5)])
    detector = TurnDetector(vad_model)
    assert _feed(detector, signal) == []
    assert not detector.speaking


@on_session_loop
async def test_a_turn_is_cut_at_the_bound(vad_model, sample_speech_16k):
    signal = np.concatenate([_silence(0.3), sample_speech_16k, sample_speech_16k, _silence(1.0)])
    events = [event for _, event in _feed(TurnDetector(vad_model, max_utterance_s=1.0), signal)]
    assert isinstance(events[0], SpeechStarted)
    first_end = events[1]
    assert isinstance(first_end, SpeechEnded) and first_end.cut_short
    assert first_end.duration_s <= 1.0


@on_session_loop
async def test_a_pause_is_announced_with_the_audio_the_turn_then_ends_with(vad_model, sample_speech_16k):
    signal = np.concatenate([_silence(0.5), sample_speech_16k, _silence(1.5)])
    events = _feed(TurnDetector(vad_model, end_of_speech_ms=600, pause_ms=300), signal)
    assert [type(event) for _, event in events] == [SpeechStarted, SpeechPaused, SpeechEnded]
    (_, _), (paused_fed, paused), (ended_fed, ended) = events
    assert paused.pcm16 == ended.pcm16 and paused.at_s == ended.at_s  # the same speech and tail, byte for byte
    assert 0.3 <= paused_fed - paused.at_s < 0.4  # 300 ms into the silence
    assert ended_fed - paused_fed == pytest.approx(0.3, abs=0.05)  # 300 ms sooner than the end


@on_session_loop
async def test_a_caller_who_goes_on_after_a_pause_ends_with_more_than_was_paused_on(vad_model, sample_speech_16k):
    signal = np.concatenate([_silence(0.5), sample_speech_16k, _silence(0.3), sample_speech_16k, _silence(1.5)])
    events = [event for _, event in _feed(TurnDetector(vad_model, end_of_speech_ms=600, pause_ms=300), signal)]
    assert [type(event) for event in events] == [SpeechStarted, SpeechPaused, SpeechPaused, SpeechEnded]
    first_pause, second_pause, ended = events[1:]
    assert first_pause.pcm16 != ended.pcm16 and len(first_pause.pcm16) < len(ended.pcm16) / 2 + 16000
    assert second_pause.pcm16 == ended.pcm16


def test_a_pause_must_fall_between_the_tail_and_the_end(vad_model):
    with pytest.raises(ValueError, match="pause_ms 600 must be"):
        TurnDetector(vad_model, end_of_speech_ms=600, pause_ms=600)
    with pytest.raises(ValueError, match="pause_ms 100 must be at least tail_ms"):
        TurnDetector(vad_model, pause_ms=100)


@on_session_loop
async def test_no_turn_outgrows_its_bound_even_when_a_pause_falls_on_it(vad_model, sample_speech_16k):
    """A pause announced on the very window that reaches the bound must not let the turn grow past it."""
    speech = np.concatenate([sample_speech_16k, _silence(0.35)] * 3 + [_silence(1.0)])
    for bound_windows in range(20, 120, 3):
        bound_s = bound_windows * WINDOW / STT_RATE
        detector = TurnDetector(vad_model, max_utterance_s=bound_s, pause_ms=300)
        ended = [event for _, event in _feed(detector, speech) if isinstance(event, SpeechEnded)]
        assert ended and all(event.duration_s <= bound_s + 1e-9 for event in ended), bound_s
