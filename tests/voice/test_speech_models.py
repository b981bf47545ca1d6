"""Locating and assembling the speech models (voice/models.py)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from voice.models import (REQUIRED_FILES, WHISPER_BASE_SHA256, WHISPER_BASE_SIZE, ModelError, PackagedModel, assemble,
                          checked_model_dir, packaged_whisper_base, whisper_model_dir)


def _split_model(tmp_path: Path, content: bytes, *, sha256: str | None = None) -> PackagedModel:
    """A small model in two parts, like the packaged Whisper, with its side files."""
    source = tmp_path / "packages"
    source.mkdir()
    half = len(content) // 2
    parts = (source / "model.bin.part1", source / "model.bin.part2")
    parts[0].write_bytes(content[:half])
    parts[1].write_bytes(content[half:])
    side = []
    for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
        (source / name).write_text(f"{name} of the test model")
        side.append(source / name)
    return PackagedModel(name="tiny", parts=parts, side_files=tuple(side), size=len(content),
                         sha256=sha256 or hashlib.sha256(content).hexdigest())


def _leftovers(cache: Path) -> list[str]:
    return sorted(path.name for path in cache.iterdir() if path.name.startswith("."))


def test_the_packaged_whisper_base_joins_to_the_pinned_size_and_checksum(whisper_dir):
    """The session fixture assembled the real model from the installed packages; it is exactly the
    pinned file, with the side files faster-whisper needs."""
    model_bin = whisper_dir / "model.bin"
    assert model_bin.stat().st_size == WHISPER_BASE_SIZE
    assert hashlib.sha256(model_bin.read_bytes()).hexdigest() == WHISPER_BASE_SHA256
    packaged = packaged_whisper_base()
    assert sum(part.stat().st_size for part in packaged.parts) == WHISPER_BASE_SIZE
    for name in (*REQUIRED_FILES, "vocabulary.txt"):
        assert (whisper_dir / name).is_file()
    assert not _leftovers(whisper_dir.parent)


def test_assembly_prints_progress_and_happens_once(tmp_path, capsys):
    content = bytes(range(256)) * 4000
    model = _split_model(tmp_path, content)
    cache = tmp_path / "cache"
    folder = assemble(model, cache)
    printed = capsys.readouterr().out.splitlines()
    assert folder == cache / "tiny"
    assert (folder / "model.bin").read_bytes() == content
    assert (folder / "tokenizer.json").read_text() == "tokenizer.json of the test model"
    assert printed[0].startswith("Assembling the tiny speech model")
    percentages = [line.split(":")[1].split("%")[0].strip() for line in printed if "%" in line]
    assert percentages == [str(p) for p in range(10, 101, 10)]
    assert "SHA-256 checked" in printed[-1]
    assert not _leftovers(cache)

    assert assemble(model, cache) == folder  # already there and verified: nothing printed, nothing copied
    assert capsys.readouterr().out == ""


def test_a_damaged_cached_model_is_rebuilt(tmp_path, capsys):
    content = b"whisper weights " * 10_000
    model = _split_model(tmp_path, content)
    folder = assemble(model, tmp_path / "cache")
    damaged = bytearray(content)
    damaged[100] ^= 0xFF  # same size, one bit pattern off: only the checksum can tell
    (folder / "model.bin").write_bytes(bytes(damaged))
    capsys.readouterr()
    assert assemble(model, tmp_path / "cache") == folder
    assert (folder / "model.bin").read_bytes() == content
    assert "Assembling" in capsys.readouterr().out
    assert not _leftovers(tmp_path / "cache")


def test_wrong_parts_leave_nothing_behind(tmp_path):
    model = _split_model(tmp_path, b"x" * 50_000, sha256="0" * 64)
    cache = tmp_path / "cache"
    with pytest.raises(ModelError, match="SHA-256"):
        assemble(model, cache, report=lambda line: None)
    assert list(cache.iterdir()) == []  # neither a target folder nor a half-built temporary one


def test_a_missing_part_is_named(tmp_path):
    model = _split_model(tmp_path, b"y" * 1000)
    model.parts[1].unlink()
    with pytest.raises(ModelError, match="model.bin.part2 is missing"):
        assemble(model, tmp_path / "cache", report=lambda line: None)


def test_a_configured_model_folder_is_used_as_it_is(tmp_path):
    folder = tmp_path / "large-v3"
    folder.mkdir()
    for name in REQUIRED_FILES:
        (folder / name).write_bytes(name.encode())
    digest = hashlib.sha256(b"model.bin").hexdigest()
    assert whisper_model_dir(folder, tmp_path / "unused", expected_sha256=digest) == folder
    assert not (tmp_path / "unused").exists()
    with pytest.raises(ModelError, match="expected"):
        checked_model_dir(folder, "f" * 64)
    (folder / "tokenizer.json").unlink()
    with pytest.raises(ModelError, match="missing tokenizer.json"):
        checked_model_dir(folder, None)
