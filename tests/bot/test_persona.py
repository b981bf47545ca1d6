"""Persona YAML: the shipped General Support Agent loads; a bad field stops start-up naming
file, line and field."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.persona import load_persona
from bot.settings import PACKAGE_PERSONALITIES, Settings
from bot.yaml_config import ConfigError


def test_general_persona_loads():
    persona = load_persona(PACKAGE_PERSONALITIES, "general")
    assert persona.name == "General Support Agent"
    assert {"friendly", "professional", "empathetic"} <= set(persona.tone)
    assert persona.escalation.policy == "conservative"
    assert set(persona.languages) >= {"en", "hi"} and all(persona.greeting[lang] for lang in persona.languages)


def _copy_with(tmp_path: Path, old: str, new: str) -> Path:
    target = tmp_path / "personalities"
    shutil.copytree(PACKAGE_PERSONALITIES, target, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    path = target / "general.yaml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))
    return target


def _line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if needle in line)


@pytest.mark.parametrize("old, new, field", [
    ("max_otp_failures: 3", "max_otp_failures: three", "escalation.max_otp_failures"),
    ("policy: conservative", "policy: reckless", "escalation.policy"),
    ("style: conversational but respectful", "stlye: conversational", "stlye"),
])
def test_bad_field_names_file_line_and_field(tmp_path, old, new, field):
    directory = _copy_with(tmp_path, old, new)
    with pytest.raises(ConfigError) as err:
        load_persona(directory, "general")
    message = str(err.value)
    line = _line_of(directory / "general.yaml", new.split(":")[0] + ":")
    assert f"general.yaml:{line}" in message and field in message


def test_unknown_workflow_is_refused_naming_file_and_line(tmp_path):
    from bot.persona import load_all

    directory = _copy_with(tmp_path, "workflows: [balance_statement, account_access, card_services]",
                           "workflows: [balance_statement, teleport_money, card_services]")
    line = _line_of(directory / "general.yaml", "teleport_money")
    with pytest.raises(ConfigError, match=rf"general.yaml:{line}: workflows.1: unknown workflow 'teleport_money'"):
        load_all(directory)


def test_gateway_does_not_start_with_a_bad_persona(tmp_path):
    from gateway import create_app

    directory = _copy_with(tmp_path, "max_otp_failures: 3", "max_otp_failures: -1")
    settings = Settings(demo=True, data_dir=tmp_path / "data", personalities_dir=directory)
    with pytest.raises(ConfigError, match="max_otp_failures"):
        create_app(settings)
