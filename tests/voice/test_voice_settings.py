"""SAHAYAK_VOICE_* settings (voice/settings.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import SettingsError
from voice.settings import load_voice_settings


def _voice(folder: Path, name: str) -> Path:
    model = folder / f"{name}.onnx"
    model.write_bytes(b"onnx")
    Path(f"{model}.json").write_text("{}")
    return model


def test_defaults_put_the_model_cache_under_the_data_directory(tmp_path):
    settings = load_voice_settings({"SAHAYAK_PORT": "8080", "PATH": "/usr/bin"}, tmp_path / "data")
    assert settings.model_cache_dir == tmp_path / "data" / "models"
    assert settings.whisper_model_dir is None
    assert settings.piper_voices == {}
    assert settings.stt_hotwords is None  # voice.stt.BANK_HOTWORDS
    assert (settings.stt_concurrency, settings.stt_beam_size, settings.end_of_speech_ms) == (1, 2, 600)
    assert settings.resolved_stt_cpu_threads() >= 1


def test_voices_per_language_from_one_variable(tmp_path):
    hindi, english = _voice(tmp_path, "hi_IN-test-medium"), _voice(tmp_path, "en_IN-test-medium")
    settings = load_voice_settings({"SAHAYAK_VOICE_PIPER_VOICES": f"hi={hindi}, en = {english},",
                                    "SAHAYAK_VOICE_STT_CONCURRENCY": "2",
                                    "SAHAYAK_VOICE_STT_HOTWORDS": "A call to Sahyadri Bank about Kisan cards.",
                                    "SAHAYAK_VOICE_WHISPER_MODEL_DIR": str(tmp_path / "large-v3")}, tmp_path)
    assert settings.piper_voices == {"hi": hindi, "en": english}
    assert settings.whisper_model_dir == tmp_path / "large-v3"
    assert settings.stt_concurrency == 2
    assert settings.stt_hotwords == "A call to Sahyadri Bank about Kisan cards."
    assert settings.resolved_stt_cpu_threads() == max(1, (__import__("os").cpu_count() or 1) // 2)


@pytest.mark.parametrize(("environ", "message"), [
    ({"SAHAYAK_VOICE_PIPER_VOICE": "x"}, "SAHAYAK_VOICE_PIPER_VOICE is not a known voice setting"),
    ({"SAHAYAK_VOICE_STT_CONCURRENCY": "0"}, "SAHAYAK_VOICE_STT_CONCURRENCY"),
    ({"SAHAYAK_VOICE_END_OF_SPEECH_MS": " "}, "SAHAYAK_VOICE_END_OF_SPEECH_MS is set but empty"),
    ({"SAHAYAK_VOICE_PIPER_VOICES": "hi"}, "'hi' is not language=/path/to/voice.onnx"),
    ({"SAHAYAK_VOICE_PIPER_VOICES": "hi=/nowhere/hi.onnx"}, "the hi voice /nowhere/hi.onnx is not an .onnx file"),
    ({"SAHAYAK_VOICE_STT_HOTWORDS": "x" * 401}, "SAHAYAK_VOICE_STT_HOTWORDS: String should have at most 400"),
    ({"SAHAYAK_VOICE_WHISPER_MODEL_SHA256": "a" * 64}, "WHISPER_MODEL_SHA256 is set but"),
    ({"SAHAYAK_VOICE_WHISPER_MODEL_DIR": "/m", "SAHAYAK_VOICE_WHISPER_MODEL_SHA256": "xyz"},
     "SAHAYAK_VOICE_WHISPER_MODEL_SHA256"),
])
def test_bad_settings_name_the_variable(tmp_path, environ, message):
    with pytest.raises(SettingsError, match=message.replace(".", r"\.").replace("(", r"\(")):
        load_voice_settings(environ, tmp_path)


def test_a_voice_needs_its_json_and_a_language_code(tmp_path):
    voice = _voice(tmp_path, "hi")
    Path(f"{voice}.json").unlink()
    with pytest.raises(SettingsError, match="has no hi.onnx.json beside it"):
        load_voice_settings({"SAHAYAK_VOICE_PIPER_VOICES": f"hi={voice}"}, tmp_path)
    other = _voice(tmp_path, "ta")
    with pytest.raises(SettingsError, match="not a language code"):
        load_voice_settings({"SAHAYAK_VOICE_PIPER_VOICES": f"Tamil={other}"}, tmp_path)
    with pytest.raises(SettingsError, match="two voices for 'ta'"):
        load_voice_settings({"SAHAYAK_VOICE_PIPER_VOICES": f"ta={other},ta={other}"}, tmp_path)
