"""Speech for the phone line: G.711 codec, resampling and framing (audio), turn-taking (vad), Whisper
speech to text (stt, with the packaged model assembled by models), Piper text to speech (tts) of text
made speakable (speakable), and their settings.

Models load from local folders only. faster-whisper imports huggingface_hub, which could reach for
the hub if a model folder lacked a file; HF_HUB_OFFLINE is set here, before any submodule imports it,
so that it cannot (huggingface_hub reads it once, at import)."""

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
