"""A customer's recorded audio (a WhatsApp voice note) -> 16-bit PCM, mono, 16 kHz, what Whisper hears.

Decoding is PyAV (FFmpeg's libraries, which faster-whisper already brings). The audio comes from a
stranger, so the FFmpeg surface it reaches is kept small and its work bounded:

- The container is named from the MIME type the sender's app declared (OGG for WhatsApp's own voice
  notes, MP3, MP4/M4A, ADTS AAC, AMR) and only that demuxer is used: no probing through every format
  FFmpeg knows. A MIME type outside that list is refused before a byte is parsed.
- Only the first audio stream is decoded (a "voice note" with video in it is still just its sound).
- At most `max_s` seconds are decoded. A container that states a longer duration is refused before
  decoding; one that states nothing (or lies) is stopped as soon as the decoded audio passes the limit,
  so an hour of audio squeezed into a few megabytes costs no more than `max_s` of decoding.

Failures are two exceptions with a reason fit for a log line (never the audio): `UnreadableAudio` (not
audio, corrupt, empty, an unsupported type) and `AudioTooLong`. Everything else is FFmpeg's business.
Decoding is CPU work: callers run `decode_to_pcm16` in a worker thread.
"""

from __future__ import annotations

import io

import numpy as np

from voice.audio import STT_RATE

MAX_NOTE_S = 120.0
# MIME type (without parameters, lower case) -> FFmpeg demuxer. The audio types WhatsApp delivers.
DEMUXERS = {
    "audio/ogg": "ogg",
    "audio/mpeg": "mp3",
    "audio/mp4": "mp4",
    "audio/aac": "aac",
    "audio/amr": "amr",
}


class UnreadableAudio(ValueError):
    """Not audio we can decode; the message says why (no audio content)."""


class AudioTooLong(ValueError):
    """Longer than the limit; `seconds` is how much was seen before stopping (at least the limit)."""

    def __init__(self, seconds: float, limit_s: float) -> None:
        super().__init__(f"audio of at least {seconds:.1f} s; at most {limit_s:.0f} s is accepted")
        self.seconds = seconds


def base_mime_type(mime_type: str) -> str:
    """ "audio/ogg; codecs=opus" -> "audio/ogg"."""
    return mime_type.split(";", 1)[0].strip().lower()


def decode_to_pcm16(data: bytes, mime_type: str, *, max_s: float = MAX_NOTE_S) -> bytes:
    """The audio as little-endian 16-bit PCM, mono, 16 kHz. Raises UnreadableAudio or AudioTooLong."""
    import av  # here, not at the top: a gateway without voice notes never loads it

    demuxer = DEMUXERS.get(base_mime_type(mime_type))
    if demuxer is None:
        raise UnreadableAudio(f"{base_mime_type(mime_type)!r} is not an audio type we decode")
    if not data:
        raise UnreadableAudio("no bytes")
    limit = int(max_s * STT_RATE)
    try:
        with av.open(io.BytesIO(data), mode="r", format=demuxer) as container:
            if not container.streams.audio:
                raise UnreadableAudio(f"the {demuxer} file has no audio stream")
            stream = container.streams.audio[0]
            if container.duration is not None and container.duration / av.time_base > max_s + 1:
                raise AudioTooLong(container.duration / av.time_base, max_s)
            resampler = av.AudioResampler(format="s16", layout="mono", rate=STT_RATE)
            pieces: list[np.ndarray] = []
            samples = 0
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    pieces.append(out.to_ndarray().reshape(-1))
                    samples += out.samples
                if samples > limit:
                    raise AudioTooLong(samples / STT_RATE, max_s)
            pieces.extend(out.to_ndarray().reshape(-1) for out in resampler.resample(None))
    except av.FFmpegError as e:
        raise UnreadableAudio(f"{demuxer}: {type(e).__name__}") from None
    pcm = np.concatenate(pieces).astype("<i2") if pieces else np.zeros(0, dtype="<i2")
    if len(pcm) > limit:
        raise AudioTooLong(len(pcm) / STT_RATE, max_s)
    if len(pcm) == 0:
        raise UnreadableAudio(f"the {demuxer} file holds no samples")
    return pcm.tobytes()
