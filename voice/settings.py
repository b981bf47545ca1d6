"""Settings for the speech engines (the phone line, WhatsApp voice notes), read from `SAHAYAK_VOICE_*`
environment variables.

Kept apart from bot/settings.py so the speech stack can be configured and tested on its own; the
gateway reads both once at start-up and passes `data_dir` in (the default model cache lives under it).
Like the main settings, a bad or unknown variable stops start-up with a message that names it:

    SAHAYAK_VOICE_WHISPER_MODEL_DIR     a larger CTranslate2 Whisper folder (small, medium, large-v3),
                                        used as it is; unset: the packaged base model
    SAHAYAK_VOICE_WHISPER_MODEL_SHA256  optional digest of that folder's model.bin, checked at start-up
    SAHAYAK_VOICE_MODEL_CACHE_DIR       where the packaged model is assembled (default <data_dir>/models)
    SAHAYAK_VOICE_STT_CONCURRENCY       transcriptions at once (default 1: on two cores a second one
                                        only slows the first)
    SAHAYAK_VOICE_STT_BEAM_SIZE         Whisper beam size (default 2)
    SAHAYAK_VOICE_STT_CPU_THREADS       threads per transcription (default: the cores shared out among them)
    SAHAYAK_VOICE_STT_HOTWORDS          a sentence of the bank's own words (product names, places) that
                                        Whisper hears as context; unset: voice.stt.BANK_HOTWORDS
    SAHAYAK_VOICE_PIPER_VOICES          language=voice.onnx pairs, e.g. "hi=/voices/hi_IN-x-medium.onnx,
                                        en=/voices/en_IN-y.onnx"; each needs its .onnx.json beside it.
                                        English is the packaged en_US joe voice unless given here
    SAHAYAK_VOICE_TTS_CONCURRENCY       sentences synthesized at once (default 1)
    SAHAYAK_VOICE_END_OF_SPEECH_MS      silence that ends the caller's turn (default 600)
    SAHAYAK_VOICE_NOTE_REPLIES          true: a WhatsApp voice note is answered with a voice note too,
                                        after the text, when the reply's language has a voice (default false)
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from bot.settings import SettingsError

ENV_PREFIX = "SAHAYAK_VOICE_"
_LANGUAGE = re.compile(r"[a-z]{2,3}|hinglish")


class VoiceSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    whisper_model_dir: Path | None = None
    whisper_model_sha256: str | None = Field(None, pattern=r"^[0-9a-fA-F]{64}$")
    model_cache_dir: Path
    stt_concurrency: int = Field(1, ge=1, le=8)
    stt_beam_size: int = Field(2, ge=1, le=5)
    stt_cpu_threads: int | None = Field(None, ge=1, le=64)
    # Whisper's prompt is at most 223 tokens, of which this may take half; 400 characters stay under it.
    stt_hotwords: str | None = Field(None, min_length=3, max_length=400)
    # Only the voices a bank configured; the packaged English voice is added by voice.tts.
    piper_voices: dict[str, Path] = {}
    tts_concurrency: int = Field(1, ge=1, le=8)
    end_of_speech_ms: int = Field(600, ge=200, le=3000)
    note_replies: bool = False

    @field_validator("piper_voices", mode="before")
    @classmethod
    def _split_voices(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        voices: dict[str, str] = {}
        for pair in filter(None, (part.strip() for part in value.split(","))):
            language, sep, path = (piece.strip() for piece in pair.partition("="))
            if not sep or not language or not path:
                raise ValueError(f"{pair!r} is not language=/path/to/voice.onnx")
            if language in voices:
                raise ValueError(f"two voices for {language!r}")
            voices[language] = path
        return voices

    @field_validator("piper_voices")
    @classmethod
    def _voices_exist(cls, voices: dict[str, Path]) -> dict[str, Path]:
        for language, path in voices.items():
            if not _LANGUAGE.fullmatch(language):
                raise ValueError(f"{language!r} is not a language code like hi, en or hinglish")
            if path.suffix != ".onnx" or not path.is_file():
                raise ValueError(f"the {language} voice {path} is not an .onnx file")
            if not Path(f"{path}.json").is_file():
                raise ValueError(f"the {language} voice {path} has no {path.name}.json beside it")
        return voices

    @model_validator(mode="after")
    def _coherent(self) -> VoiceSettings:
        if self.whisper_model_sha256 is not None and self.whisper_model_dir is None:
            raise ValueError(f"{ENV_PREFIX}WHISPER_MODEL_SHA256 is set but {ENV_PREFIX}WHISPER_MODEL_DIR is not "
                             "(the packaged model has its own pinned checksum)")
        return self

    def resolved_stt_cpu_threads(self) -> int:
        """Threads for each transcription: the machine's cores shared among the concurrent ones."""
        if self.stt_cpu_threads is not None:
            return self.stt_cpu_threads
        return max(1, (os.cpu_count() or 1) // self.stt_concurrency)


def load_voice_settings(environ: Mapping[str, str], data_dir: Path) -> VoiceSettings:
    """VoiceSettings from the `SAHAYAK_VOICE_*` variables in `environ`. Raises SettingsError."""
    values: dict[str, Any] = {"model_cache_dir": Path(data_dir) / "models"}
    known = set(VoiceSettings.model_fields)
    for name, value in environ.items():
        if not name.startswith(ENV_PREFIX):
            continue
        field = name[len(ENV_PREFIX):].lower()
        if field not in known:
            names = ", ".join(sorted(ENV_PREFIX + k.upper() for k in known))
            raise SettingsError(f"{name} is not a known voice setting (known: {names})")
        if not value.strip():
            raise SettingsError(f"{name} is set but empty (unset it to use the default)")
        values[field] = value
    try:
        return VoiceSettings.model_validate(values)
    except ValidationError as e:
        problems = []
        for err in e.errors():
            where = ENV_PREFIX + str(err["loc"][0]).upper() if err["loc"] else "voice settings"
            problems.append(f"{where}: {err['msg'].removeprefix('Value error, ')}")
        raise SettingsError("invalid voice settings:\n  " + "\n  ".join(problems)) from None
