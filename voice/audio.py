"""Audio between the phone line and the speech engines, in numpy (no `audioop`: it is gone in 3.13).

The line speaks G.711 μ-law at 8 kHz in 20 ms frames (160 bytes); Whisper and the Silero VAD want
16-bit PCM at 16 kHz; a Piper voice speaks at its own rate (22,050 Hz for the medium voices). So:

    caller:  μ-law 8 kHz --LineDecoder--> PCM16 16 kHz --> VAD, Whisper
    bot:     voice PCM (e.g. 22,050 Hz) --LineEncoder--> μ-law 8 kHz, 160-byte frames --paced()--> line

μ-law follows the ITU-T G.191 reference code (`ulaw_compress` / `ulaw_expand`): 16-bit samples are cut
to 14 bits, negative magnitudes by one's complement (`~x >> 2`), so -1..-4 encode as "negative zero"
(0x7F). Both directions are lookup tables built once at import from the reference formulas (65,536
and 256 entries), which makes encoding and decoding a single numpy indexing operation.

Resampling is a polyphase FIR (windowed sinc, Kaiser β=5, the same design as scipy's `resample_poly`)
that keeps its state between chunks, so a stream cut into 20 ms frames resamples exactly as the whole
signal would, with no clicks at frame edges; its delay is compensated, so the output lines up with
the input. Inbound frames larger than MAX_INBOUND_FRAME_BYTES are refused: a well-behaved provider sends
20-100 ms at a time, and a frame is the unit a hostile peer could otherwise blow up."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable, AsyncIterator
from math import gcd

import numpy as np

LINE_RATE = 8_000
STT_RATE = 16_000
FRAME_MS = 20
LINE_FRAME_BYTES = LINE_RATE * FRAME_MS // 1000  # 160 μ-law bytes, one byte a sample
MAX_INBOUND_FRAME_BYTES = LINE_RATE  # one second of μ-law
ULAW_SILENCE = 0xFF  # the code for 0


class FrameTooLarge(ValueError):
    """An inbound audio frame is larger than MAX_INBOUND_FRAME_BYTES."""


# --- G.711 μ-law ----------------------------------------------------------------------------

def _ulaw_compress(samples: np.ndarray) -> np.ndarray:
    """G.191 `ulaw_compress` over int16 samples, vectorised."""
    x = samples.astype(np.int32)
    magnitude = np.where(x < 0, ~x >> 2, x >> 2) + 33  # 14-bit magnitude plus the bias
    magnitude = np.minimum(magnitude, 0x1FFF)
    segment = 1 + np.searchsorted(np.array([0x40, 0x80, 0x100, 0x200, 0x400, 0x800, 0x1000]), magnitude,
                                  side="right")
    low_nibble = 0x0F - ((magnitude >> segment) & 0x0F)
    code = ((0x08 - segment) << 4) | low_nibble
    return np.where(x >= 0, code | 0x80, code).astype(np.uint8)


def _ulaw_expand(codes: np.ndarray) -> np.ndarray:
    """G.191 `ulaw_expand` over μ-law bytes, vectorised."""
    c = codes.astype(np.int32)
    sign = np.where(c < 0x80, -1, 1)
    inverted = ~c
    exponent = (inverted >> 4) & 0x07
    mantissa = inverted & 0x0F
    step = 4 << (exponent + 1)
    return (sign * ((0x80 << exponent) + step * mantissa + step // 2 - 4 * 33)).astype(np.int16)


# Indexed by the sample's bit pattern read as uint16, so int16 input needs only a view, not a copy.
_ENCODE = _ulaw_compress(np.arange(65536, dtype=np.uint16).view(np.int16))
_DECODE = _ulaw_expand(np.arange(256, dtype=np.uint8))


def ulaw_encode(pcm16: bytes) -> bytes:
    """Little-endian 16-bit PCM to μ-law, one byte a sample."""
    return _ENCODE[_samples(pcm16).view(np.uint16)].tobytes()


def ulaw_decode(ulaw: bytes) -> bytes:
    """μ-law to little-endian 16-bit PCM."""
    return _DECODE[np.frombuffer(ulaw, dtype=np.uint8)].astype("<i2").tobytes()


# --- PCM16 <-> float ---------------------------------------------------------------------------

def pcm16_to_float(pcm16: bytes) -> np.ndarray:
    """Little-endian 16-bit PCM to float32 in [-1, 1)."""
    return _samples(pcm16).astype(np.float32) / 32768.0


def float_to_pcm16(samples: np.ndarray) -> bytes:
    """float samples (nominally [-1, 1]) to little-endian 16-bit PCM, clipped, rounded."""
    scaled = np.clip(np.rint(np.asarray(samples, dtype=np.float64) * 32768.0), -32768, 32767)
    return scaled.astype("<i2").tobytes()


def _samples(pcm16: bytes) -> np.ndarray:
    if len(pcm16) % 2:
        raise ValueError(f"16-bit PCM has an even number of bytes, got {len(pcm16)}")
    return np.frombuffer(pcm16, dtype="<i2")


# --- resampling --------------------------------------------------------------------------------

class StreamResampler:
    """Rational-ratio polyphase resampler that carries its state from one chunk to the next.

    Output sample n is y[n] = sum_k h[k] u[n*down - k], where u is the input with up-1 zeros after each
    sample. Only the taps that meet a real sample are computed: phase p = (n*down) % up of the filter
    against input samples q, q-1, ... with q = (n*down) // up."""

    def __init__(self, from_rate: int, to_rate: int) -> None:
        if from_rate <= 0 or to_rate <= 0:
            raise ValueError("sample rates must be positive")
        common = gcd(from_rate, to_rate)
        self.up, self.down = to_rate // common, from_rate // common
        ratio = max(self.up, self.down)
        half = 10 * ratio
        taps = np.sinc(np.arange(-half, half + 1) / ratio) * np.kaiser(2 * half + 1, 5.0)
        taps *= self.up / taps.sum()  # unity gain after the zero stuffing
        # Leading zeros make the filter's centre a whole number of output samples, dropped below.
        lead = -half % self.down
        self._delay = (half + lead) // self.down
        taps = np.concatenate([np.zeros(lead), taps])
        self._width = -(-len(taps) // self.up)  # taps per phase
        padded = np.zeros(self._width * self.up)
        padded[:len(taps)] = taps
        # _phases[p, i] = taps[p + i*up]: the taps that multiply input sample q - i for phase p.
        self._phases = padded.reshape(self._width, self.up).T.copy()
        self._buffer = np.zeros(self._width - 1)  # input samples; the first one has index _buffer_start
        self._buffer_start = -(self._width - 1)
        self._received = 0
        self._next_output = 0  # index n of the next y to compute
        self._finished = False

    def process(self, samples: np.ndarray) -> np.ndarray:
        """Resample the next chunk; returns as many output samples as the input so far allows."""
        if self._finished:
            raise RuntimeError("this resampler was flushed; make a new one for a new stream")
        samples = np.asarray(samples, dtype=np.float64)
        self._buffer = np.concatenate([self._buffer, samples])
        self._received += len(samples)
        return self._compute(-(-self._received * self.up // self.down))

    def flush(self) -> np.ndarray:
        """The tail still inside the filter. The stream then has ceil(len(input) * up / down) samples
        in all, like a one-shot resample of the whole input. Ends the stream."""
        total = -(-self._received * self.up // self.down)
        last_needed = ((self._delay + total - 1) * self.down) // self.up
        zeros = max(0, last_needed - (self._received - 1))
        self._buffer = np.concatenate([self._buffer, np.zeros(zeros)])
        available = self._received + zeros
        tail = self._compute(min(-(-available * self.up // self.down), self._delay + total))
        self._finished = True
        return tail

    def _compute(self, end: int) -> np.ndarray:
        """y[_next_output:end] less the first _delay samples of the stream, as float32."""
        start = self._next_output
        if end <= start:
            return np.zeros(0, dtype=np.float32)
        n = np.arange(start, end)
        q = n * self.down // self.up
        p = n * self.down % self.up
        window = q[:, None] - np.arange(self._width)[None, :] - self._buffer_start
        y = np.einsum("mk,mk->m", self._phases[p], self._buffer[window])
        self._next_output = end
        keep_from = (end * self.down // self.up) - self._width + 1  # oldest input the next y needs
        drop = keep_from - self._buffer_start
        if drop > 0:
            self._buffer = self._buffer[drop:]
            self._buffer_start = keep_from
        skip = max(0, self._delay - start)
        return y[skip:].astype(np.float32)


def resample(samples: np.ndarray, from_rate: int, to_rate: int) -> np.ndarray:
    """One-shot resampling of a whole signal (float32 out)."""
    resampler = StreamResampler(from_rate, to_rate)
    return np.concatenate([resampler.process(samples), resampler.flush()])


# --- the line: frames in, frames out -------------------------------------------------------------

def check_inbound_frame(frame: bytes) -> bytes:
    """The frame, if it is within MAX_INBOUND_FRAME_BYTES; else FrameTooLarge."""
    if len(frame) > MAX_INBOUND_FRAME_BYTES:
        raise FrameTooLarge(f"audio frame of {len(frame)} bytes; at most {MAX_INBOUND_FRAME_BYTES} accepted")
    return frame


class LineDecoder:
    """The caller's μ-law 8 kHz frames to PCM16 at 16 kHz for the VAD and Whisper, as a stream."""

    def __init__(self) -> None:
        self._resampler = StreamResampler(LINE_RATE, STT_RATE)

    def decode(self, frame: bytes) -> bytes:
        pcm8k = pcm16_to_float(ulaw_decode(check_inbound_frame(frame)))
        return float_to_pcm16(self._resampler.process(pcm8k))


class LineEncoder:
    """Speech at the voice's rate to 160-byte μ-law frames for the line. Call `flush` once at the end
    of a reply: it returns the rest, the last frame padded with silence."""

    def __init__(self, voice_rate: int) -> None:
        self._resampler = StreamResampler(voice_rate, LINE_RATE)
        self._pending = b""

    def encode(self, samples: np.ndarray) -> list[bytes]:
        return self._frames(self._resampler.process(samples))

    def flush(self) -> list[bytes]:
        frames = self._frames(self._resampler.flush())
        if self._pending:
            frames.append(self._pending.ljust(LINE_FRAME_BYTES, bytes([ULAW_SILENCE])))
            self._pending = b""
        return frames

    def _frames(self, samples: np.ndarray) -> list[bytes]:
        data = self._pending + ulaw_encode(float_to_pcm16(samples))
        whole = len(data) - len(data) % LINE_FRAME_BYTES
        self._pending = data[whole:]
        return [data[i:i + LINE_FRAME_BYTES] for i in range(0, whole, LINE_FRAME_BYTES)]


async def paced(frames: AsyncIterable[bytes], frame_s: float = FRAME_MS / 1000) -> AsyncIterator[bytes]:
    """Yield frames no faster than real time: frame k at start + k*frame_s on the loop's clock, so
    timer jitter does not add up. When the source falls behind (the next sentence is still being
    synthesized), the clock restarts at the late frame instead of bursting to catch up: a burst would
    overflow the provider's jitter buffer and be dropped."""
    loop = asyncio.get_running_loop()
    start: float | None = None
    sent = 0
    async for frame in frames:
        now = loop.time()
        if start is None or now > start + (sent + 1) * frame_s:
            start, sent = now, 0
        delay = start + sent * frame_s - now
        if delay > 0:
            await asyncio.sleep(delay)
        yield frame
        sent += 1
