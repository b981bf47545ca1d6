"""G.711 μ-law, PCM conversion, resampling, framing and pacing (voice/audio.py)."""

from __future__ import annotations

import asyncio
import warnings

import numpy as np
import pytest
from scipy.signal import resample_poly

from voice.audio import (LINE_FRAME_BYTES, LINE_RATE, MAX_INBOUND_FRAME_BYTES, STT_RATE, FrameTooLarge, LineDecoder,
                         LineEncoder, StreamResampler, check_inbound_frame, float_to_pcm16, paced, pcm16_to_float,
                         resample, ulaw_decode, ulaw_encode)

ALL_SAMPLES = np.arange(-32768, 32768, dtype=np.int16)
ALL_CODES = bytes(range(256))


def _int16(data: bytes) -> np.ndarray:
    return np.frombuffer(data, dtype="<i2")


def _codes(data: bytes) -> np.ndarray:
    return np.frombuffer(data, dtype=np.uint8)


# --- μ-law -----------------------------------------------------------------------------------------

# Decoder output at both ends of the eight segments, from the G.711 μ-law table (positive codes; the
# negative code is the same with the top bit clear and the opposite sign).
G711_SEGMENT_ENDS = {0xFF: 0, 0xF0: 120, 0xEF: 132, 0xE0: 372, 0xDF: 396, 0xD0: 876, 0xCF: 924, 0xC0: 1884,
                     0xBF: 1980, 0xB0: 3900, 0xAF: 4092, 0xA0: 7932, 0x9F: 8316, 0x90: 15996, 0x8F: 16764,
                     0x80: 32124}


def test_decoding_matches_the_g711_table():
    decoded = _int16(ulaw_decode(ALL_CODES))
    for code, value in G711_SEGMENT_ENDS.items():
        assert decoded[code] == value, hex(code)
        assert decoded[code & 0x7F] == -value, hex(code & 0x7F)
    # Within a segment the step is constant and doubles from one segment to the next (8, 16, ... 1024).
    segments = decoded[0xFF:0x7F:-1].astype(np.int32).reshape(8, 16)  # codes 0xFF down to 0x80, 16 a segment
    assert [set(np.diff(row)) for row in segments] == [{8 << segment} for segment in range(8)]


def test_decoding_matches_audioop_for_every_code():
    audioop = _audioop()
    assert ulaw_decode(ALL_CODES) == audioop.ulaw2lin(ALL_CODES, 2)


def test_encoding_matches_the_reference_for_every_sample():
    """G.191 and CPython's audioop agree on every non-negative sample. For negative ones G.191 takes
    the one's complement (~x >> 2) and audioop the negation (-(x >> 2)): one 14-bit step apart."""
    audioop = _audioop()
    pcm = ALL_SAMPLES.astype("<i2").tobytes()
    ours = _codes(ulaw_encode(pcm))
    theirs = _codes(audioop.lin2ulaw(pcm, 2))
    non_negative = ALL_SAMPLES >= 0
    assert np.array_equal(ours[non_negative], theirs[non_negative])
    below = ALL_SAMPLES <= -5
    shifted = (ALL_SAMPLES[below].astype(np.int32) + 4).astype("<i2").tobytes()
    assert np.array_equal(ours[below], _codes(audioop.lin2ulaw(shifted, 2)))
    assert set(ours[(ALL_SAMPLES < 0) & ~below]) == {0x7F}  # -1..-4: negative zero


def test_every_code_survives_a_round_trip():
    again = _codes(ulaw_encode(ulaw_decode(ALL_CODES)))
    expected = np.arange(256, dtype=np.uint8)
    expected[0x7F] = 0xFF  # negative zero decodes to 0, which encodes as positive zero
    assert np.array_equal(again, expected)


def test_quantization_error_is_within_half_a_step():
    decoded = _int16(ulaw_decode(ulaw_encode(ALL_SAMPLES.astype("<i2").tobytes()))).astype(np.int32)
    x = ALL_SAMPLES.astype(np.int32)
    inside = np.abs(x) <= 32124  # beyond the last level everything clips to it
    error = np.abs(decoded - x)[inside]
    # The step is 8 in the first segment and 1024 in the last: the error grows with the magnitude.
    allowed = np.maximum(8, np.abs(x[inside]) // 16) + 4
    assert np.all(error <= allowed)
    assert decoded.max() == 32124 and decoded.min() == -32124
    assert np.all(np.diff(decoded) >= 0)  # monotone: louder in, never quieter out


def test_encode_rejects_an_odd_number_of_bytes():
    with pytest.raises(ValueError, match="even number of bytes"):
        ulaw_encode(b"\x00\x01\x02")


def _audioop():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return pytest.importorskip("audioop", reason="audioop, the reference, was removed in Python 3.13")


# --- PCM16 <-> float ---------------------------------------------------------------------------

def test_pcm16_float_round_trip_is_exact_and_clips():
    pcm = ALL_SAMPLES.astype("<i2").tobytes()
    samples = pcm16_to_float(pcm)
    assert samples.dtype == np.float32 and samples.min() == -1.0 and samples.max() < 1.0
    assert float_to_pcm16(samples) == pcm
    assert _int16(float_to_pcm16(np.array([1.5, -1.5, 0.5]))).tolist() == [32767, -32768, 16384]


# --- resampling --------------------------------------------------------------------------------

def _tone(frequency: float, rate: int, seconds: float = 1.0, amplitude: float = 0.5) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    return (amplitude * np.sin(2 * np.pi * frequency * t)).astype(np.float32)


def _peak_frequency(samples: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    return float(np.fft.rfftfreq(len(samples), 1 / rate)[np.argmax(spectrum)])


@pytest.mark.parametrize(("source", "target"), [(LINE_RATE, STT_RATE), (22_050, LINE_RATE), (STT_RATE, LINE_RATE),
                                                (44_100, STT_RATE)])
def test_resampling_matches_scipy_resample_poly(source, target):
    noise = np.random.default_rng(7).standard_normal(source // 2).astype(np.float32) * 0.3
    ours = resample(noise, source, target)
    common = np.gcd(source, target)
    reference = resample_poly(noise.astype(np.float64), target // common, source // common)
    assert len(ours) == len(reference)
    assert np.max(np.abs(ours - reference)) < 1e-5


@pytest.mark.parametrize(("source", "target", "frequency"), [(LINE_RATE, STT_RATE, 1000.0), (22_050, LINE_RATE, 440.0),
                                                             (22_050, LINE_RATE, 3000.0)])
def test_a_tone_keeps_its_frequency_and_level(source, target, frequency):
    out = resample(_tone(frequency, source), source, target)
    assert len(out) == target
    assert abs(_peak_frequency(out, target) - frequency) <= 2.0
    middle = out[target // 10: -target // 10]  # away from the edges
    assert np.sqrt(np.mean(middle ** 2)) == pytest.approx(0.5 / np.sqrt(2), rel=0.02)


def test_a_tone_above_the_new_nyquist_is_filtered_out():
    out = resample(_tone(5000.0, 22_050), 22_050, LINE_RATE)  # 5 kHz cannot exist at 8 kHz: it must not alias
    assert np.sqrt(np.mean(out[800:-800] ** 2)) < 0.005


def test_streaming_in_20ms_frames_equals_resampling_at_once():
    signal = np.random.default_rng(3).standard_normal(22_050).astype(np.float32) * 0.2
    whole = resample(signal, 22_050, LINE_RATE)
    streamer = StreamResampler(22_050, LINE_RATE)
    sizes = np.random.default_rng(5).integers(1, 900, size=200)
    pieces, position = [], 0
    for size in sizes:
        pieces.append(streamer.process(signal[position:position + size]))
        position += size
    pieces.append(streamer.process(signal[position:]))
    pieces.append(streamer.flush())
    assert np.array_equal(np.concatenate(pieces), whole)
    with pytest.raises(RuntimeError):
        streamer.process(signal[:10])


# --- the line --------------------------------------------------------------------------------

def test_line_encoder_makes_whole_20ms_frames_padded_with_silence():
    encoder = LineEncoder(22_050)
    speech = _tone(440.0, 22_050, seconds=0.51)
    frames = encoder.encode(speech[:5000]) + encoder.encode(speech[5000:]) + encoder.flush()
    assert all(len(frame) == LINE_FRAME_BYTES for frame in frames)
    samples_8k = len(resample(speech, 22_050, LINE_RATE))
    assert len(frames) == -(-samples_8k // LINE_FRAME_BYTES)
    tail = frames[-1][samples_8k % LINE_FRAME_BYTES:]
    assert tail and set(tail) == {0xFF}
    decoded = pcm16_to_float(ulaw_decode(b"".join(frames)))[:samples_8k]
    assert abs(_peak_frequency(decoded, LINE_RATE) - 440.0) <= 2.5


def test_line_decoder_doubles_the_rate_and_keeps_the_tone():
    decoder = LineDecoder()
    line = ulaw_encode(float_to_pcm16(_tone(1000.0, LINE_RATE)))
    pcm = b"".join(decoder.decode(line[i:i + LINE_FRAME_BYTES]) for i in range(0, len(line), LINE_FRAME_BYTES))
    samples = pcm16_to_float(pcm)
    assert 0 <= 2 * LINE_RATE - len(samples) < STT_RATE * 0.002  # a stream: under 2 ms still in the filter
    assert abs(_peak_frequency(samples, STT_RATE) - 1000.0) <= 2.0


def test_inbound_frames_are_bounded():
    assert check_inbound_frame(bytes(MAX_INBOUND_FRAME_BYTES)) == bytes(MAX_INBOUND_FRAME_BYTES)
    with pytest.raises(FrameTooLarge):
        check_inbound_frame(bytes(MAX_INBOUND_FRAME_BYTES + 1))
    with pytest.raises(FrameTooLarge):
        LineDecoder().decode(bytes(MAX_INBOUND_FRAME_BYTES + 1))


async def test_paced_frames_leave_in_real_time():
    async def frames(count):
        for i in range(count):
            yield bytes([i])

    loop = asyncio.get_running_loop()
    sent_at = [loop.time() async for _ in paced(frames(11), frame_s=0.02)]
    assert sent_at[-1] - sent_at[0] == pytest.approx(0.2, abs=0.05)
    _never_early(sent_at, 0.02)


def _never_early(sent_at: list[float], frame_s: float) -> None:
    """No frame leaves before its slot: frame i at least i frames after the first (timer wake-ups may
    be late, never early; a little slack for the clock's resolution)."""
    for i, moment in enumerate(sent_at):
        assert moment - sent_at[0] >= i * frame_s - 0.002, i


async def test_after_a_stall_pacing_restarts_instead_of_bursting():
    async def stalling():
        for i in range(6):
            if i == 3:
                await asyncio.sleep(0.2)  # the next sentence is still being synthesized
            yield bytes([i])

    loop = asyncio.get_running_loop()
    sent_at = [loop.time() async for _ in paced(stalling(), frame_s=0.02)]
    assert sent_at[3] - sent_at[2] >= 0.19  # the stall itself
    _never_early(sent_at[3:], 0.02)  # then real time again from the late frame, not a burst to catch up
