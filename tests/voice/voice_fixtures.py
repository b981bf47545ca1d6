"""Shared speech fixtures: each model is loaded once per test session (Whisper base assembled from its
packages into a temporary folder, the packaged Piper voice, the Silero VAD), and the sample speech is
synthesized once. Tests that use the async ones run on the session's event loop:
`pytestmark = pytest.mark.asyncio(loop_scope="session")`."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import pytest_asyncio

from voice.audio import STT_RATE, pcm16_to_float, resample
from voice.models import whisper_model_dir
from voice.stt import SpeechRecognizer
from voice.tts import Synthesizer
from voice.vad import SileroVad

SAMPLE_SENTENCE = "I would like to check my account balance please."


@pytest.fixture(scope="session")
def whisper_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return whisper_model_dir(None, tmp_path_factory.mktemp("models"), report=lambda line: None)


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def recognizer(whisper_dir: Path) -> SpeechRecognizer:
    speech_to_text = SpeechRecognizer(whisper_dir, concurrency=1, beam_size=2, cpu_threads=2)
    await speech_to_text.start()
    return speech_to_text


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def synthesizer() -> Synthesizer:
    text_to_speech = Synthesizer({})
    await text_to_speech.start()
    return text_to_speech


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def sample_speech_16k(synthesizer: Synthesizer) -> np.ndarray:
    """SAMPLE_SENTENCE spoken by the packaged voice, resampled to 16 kHz float32."""
    chunks = [chunk async for chunk in synthesizer.stream(SAMPLE_SENTENCE, "en")]
    rate = chunks[0].sample_rate
    return resample(np.concatenate([pcm16_to_float(chunk.pcm16) for chunk in chunks]), rate, STT_RATE)


@pytest.fixture(scope="session")
def vad_model() -> SileroVad:
    return SileroVad()
