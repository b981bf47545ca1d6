"""Tests for bot.yaml_config: YAML -> pydantic with file:line: field errors."""

import pickle
import textwrap
from pathlib import Path

import pytest
from pydantic import BaseModel, ConfigDict, Field, model_validator

from bot.yaml_config import (
    ConfigError,
    format_field,
    line_for,
    load_yaml_mapping_with_lines,
    load_yaml_model,
    parse_yaml_mapping_with_lines,
    validate_mapping_with_lines,
)


class Escalation(BaseModel):
    model_config = ConfigDict(extra="forbid")
    max_otp_failures: int
    queue: str = "default"


class Step(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    prompt: str | None = None


class Workflow(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    steps: list[Step] = Field(default_factory=list)


class Persona(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    languages: list[str]
    escalation: Escalation
    workflows: list[Workflow] = Field(default_factory=list)
    limit: int | str = 0


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")
    low: int
    high: int

    @model_validator(mode="after")
    def ordered(self):
        if self.low > self.high:
            raise ValueError("low must not exceed high")
        return self


GOOD = """\
# General support persona
name: general
languages: [en, hi]
escalation:
  max_otp_failures: 3
workflows:
  - name: block_card
    steps:
      - name: pick_card
      - name: confirm
        prompt: Block it?
  - name: balance
"""


def write(tmp_path: Path, text: str, name: str = "persona.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def line_of(text: str, needle: str) -> int:
    """1-based line of the first line containing `needle` (so tests don't hard-code numbers)."""
    for n, line in enumerate(textwrap.dedent(text).splitlines(), start=1):
        if needle in line:
            return n
    raise AssertionError(needle)


def error_from(path: Path, model=Persona) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        load_yaml_model(path, model)
    return info.value


# --------------------------------------------------------------------------- success


def test_success_returns_the_model(tmp_path):
    persona = load_yaml_model(write(tmp_path, GOOD), Persona)
    assert isinstance(persona, Persona)
    assert persona.name == "general"
    assert persona.languages == ["en", "hi"]
    assert persona.escalation == Escalation(max_otp_failures=3)
    assert [w.name for w in persona.workflows] == ["block_card", "balance"]
    assert persona.workflows[0].steps[1].prompt == "Block it?"


def test_accepts_str_path_and_utf8_bom_and_devanagari(tmp_path):
    path = tmp_path / "hi.yaml"
    path.write_bytes("\ufeffname: सहायक\nlanguages: [hi]\nescalation: {max_otp_failures: 2}\n".encode())
    persona = load_yaml_model(str(path), Persona)
    assert persona.name == "सहायक"


def test_line_map(tmp_path):
    data, lines = load_yaml_mapping_with_lines(write(tmp_path, GOOD))
    assert data["workflows"][0]["steps"][1]["prompt"] == "Block it?"
    assert lines[()] == line_of(GOOD, "name: general")
    assert lines[("escalation",)] == line_of(GOOD, "escalation:")
    assert lines[("escalation", "max_otp_failures")] == line_of(GOOD, "max_otp_failures")
    assert lines[("languages", 1)] == line_of(GOOD, "languages")
    assert lines[("workflows", 0)] == line_of(GOOD, "- name: block_card")
    assert lines[("workflows", 0, "name")] == line_of(GOOD, "- name: block_card")
    assert lines[("workflows", 0, "steps", 1)] == line_of(GOOD, "- name: confirm")
    assert lines[("workflows", 0, "steps", 1, "prompt")] == line_of(GOOD, "prompt: Block it?")
    assert lines[("workflows", 1)] == line_of(GOOD, "- name: balance")


# --------------------------------------------------------------------------- validation errors


def test_wrong_type_points_at_the_line_of_the_key(tmp_path):
    text = GOOD.replace("max_otp_failures: 3", "max_otp_failures: three")
    path = write(tmp_path, text)
    err = error_from(path)
    line = line_of(text, "max_otp_failures")
    assert (err.path, err.line, err.field) == (str(path), line, "escalation.max_otp_failures")
    assert err.message.startswith("Input should be a valid integer")
    assert str(err) == f"{path}:{line}: escalation.max_otp_failures: {err.message}"
    assert err.errors == [err]


def test_error_message_format_with_relative_path(tmp_path, monkeypatch):
    (tmp_path / "personalities").mkdir()
    write(tmp_path, GOOD.replace("max_otp_failures: 3", "max_otp_failures: [1]"), "personalities/general.yaml")
    monkeypatch.chdir(tmp_path)
    err = error_from(Path("personalities/general.yaml"))
    assert str(err) == "personalities/general.yaml:5: escalation.max_otp_failures: Input should be a valid integer"


def test_wrong_type_of_a_list_item_points_at_the_item(tmp_path):
    text = GOOD.replace("languages: [en, hi]", "languages:\n  - en\n  - {code: hi}")
    err = error_from(write(tmp_path, text))
    assert err.field == "languages[1]"
    assert err.line == line_of(text, "- {code: hi}")


def test_wrong_type_deep_in_a_list_of_models(tmp_path):
    text = GOOD.replace("prompt: Block it?", "prompt: [not, a, string]")
    err = error_from(write(tmp_path, text))
    assert err.field == "workflows[0].steps[1].prompt"
    assert err.line == line_of(text, "prompt: [not")


def test_unknown_field_points_at_its_own_line(tmp_path):
    text = GOOD.replace("  - name: balance\n", "  - name: balance\n    colour: blue\n")
    err = error_from(write(tmp_path, text))
    assert err.field == "workflows[1].colour"
    assert err.line == line_of(text, "colour: blue")
    assert "unknown field 'colour'" in err.message


def test_unknown_top_level_field(tmp_path):
    text = GOOD + "escalations: {}\n"
    err = error_from(write(tmp_path, text))
    assert (err.field, err.line) == ("escalations", line_of(text, "escalations:"))


def test_missing_field_points_at_the_parent_mapping(tmp_path):
    text = GOOD.replace("  - name: balance\n", "  - steps: []\n")
    err = error_from(write(tmp_path, text))
    assert err.field == "workflows[1].name"
    assert err.line == line_of(text, "- steps: []")
    assert err.message == "missing required field 'name'"


def test_missing_nested_field_points_at_the_key_of_its_mapping(tmp_path):
    text = GOOD.replace("  max_otp_failures: 3\n", "  queue: fraud\n")
    err = error_from(write(tmp_path, text))
    assert err.field == "escalation.max_otp_failures"
    assert err.line == line_of(text, "escalation:")
    assert "missing" in err.message


def test_missing_top_level_field_points_at_the_start_of_the_document(tmp_path):
    text = GOOD.replace("name: general\n", "")
    err = error_from(write(tmp_path, text))
    assert err.field == "name"
    assert err.line == line_of(text, "languages:")  # the top-level mapping starts there, after the comment


def test_union_steps_are_dropped_from_the_field(tmp_path):
    # pydantic reports limit.int and limit.str for `int | str`; the file only has `limit`.
    text = GOOD + "limit: [1, 2]\n"
    err = error_from(write(tmp_path, text))
    assert [e.field for e in err.errors] == ["limit", "limit"]
    assert {e.line for e in err.errors} == {line_of(text, "limit:")}


def test_model_validator_error_points_at_the_document(tmp_path):
    text = "# bounds\nlow: 5\nhigh: 1\n"
    err = error_from(write(tmp_path, text), Strict)
    assert err.field == ""
    assert err.line == 2
    assert "low must not exceed high" in err.message
    assert str(err) == f"{err.path}:2: {err.message}"


def test_multiple_errors_are_all_reported_one_per_line_in_file_order(tmp_path):
    text = """\
    name: general
    languages: en
    escalation:
      max_otp_failures: lots
      colour: red
    workflows:
      - steps: []
    """
    path = write(tmp_path, text)
    err = error_from(path)
    got = [(e.line, e.field) for e in err.errors]
    assert got == [
        (line_of(text, "languages"), "languages"),
        (line_of(text, "max_otp_failures"), "escalation.max_otp_failures"),
        (line_of(text, "colour"), "escalation.colour"),
        (line_of(text, "- steps"), "workflows[0].name"),
    ]
    lines = str(err).splitlines()
    assert len(lines) == 4
    assert all(line.startswith(f"{path}:") for line in lines)
    assert lines[1].startswith(f"{path}:{line_of(text, 'max_otp_failures')}: escalation.max_otp_failures: ")
    # The error itself carries the first problem.
    assert (err.line, err.field) == got[0]
    assert all(e.path == str(path) for e in err.errors)


# --------------------------------------------------------------------------- YAML-level errors


def test_syntax_error_has_the_line_of_the_problem(tmp_path):
    text = "name: general\nlanguages: [en, hi\nescalation:\n  max_otp_failures: 3\n"
    err = error_from(write(tmp_path, text))
    assert err.field == ""
    assert err.line is not None and 2 <= err.line <= 3
    assert err.message.startswith("YAML syntax error")


def test_syntax_error_bad_indentation(tmp_path):
    text = "name: general\nescalation:\n  max_otp_failures: 3\n queue: x\n"
    err = error_from(write(tmp_path, text))
    assert err.line == 4
    assert "YAML syntax error" in str(err)
    assert str(err).startswith(f"{err.path}:4: ")


def test_tab_indentation_is_a_syntax_error(tmp_path):
    err = error_from(write(tmp_path, "name: general\nescalation:\n\tmax_otp_failures: 3\n"))
    assert err.line == 3


def test_duplicate_top_level_key(tmp_path):
    text = GOOD + "name: again\n"
    err = error_from(write(tmp_path, text))
    assert err.field == "name"
    assert err.line == line_of(text, "name: again")
    assert "duplicate key 'name'" in err.message
    assert f"line {line_of(text, 'name: general')}" in err.message


def test_duplicate_nested_key(tmp_path):
    text = GOOD.replace("  max_otp_failures: 3\n", "  max_otp_failures: 3\n  max_otp_failures: 5\n")
    err = error_from(write(tmp_path, text))
    assert err.field == "escalation.max_otp_failures"
    assert err.line == line_of(text, "max_otp_failures: 5")


def test_duplicate_key_in_a_list_item_and_in_flow_style(tmp_path):
    text = GOOD.replace("  - name: balance\n", "  - name: balance\n    name: balance2\n")
    err = error_from(write(tmp_path, text))
    assert (err.field, err.line) == ("workflows[1].name", line_of(text, "name: balance2"))
    err = error_from(write(tmp_path, "escalation: {max_otp_failures: 1, max_otp_failures: 2}\n"))
    assert (err.field, err.line) == ("escalation.max_otp_failures", 1)


def test_same_key_in_different_mappings_is_fine(tmp_path):
    load_yaml_model(write(tmp_path, GOOD), Persona)  # "name" appears at several levels


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n", "---\n", "~\n", "null\n"])
def test_empty_file(tmp_path, text):
    err = error_from(write(tmp_path, text))
    assert err.line is None
    assert "empty" in err.message
    assert str(err) == f"{err.path}: {err.message}"


@pytest.mark.parametrize(
    "text,found",
    [("- a\n- b\n", "a list"), ("just a string\n", "a single value"), ("42\n", "a single value")],
)
def test_top_level_must_be_a_mapping(tmp_path, text, found):
    err = error_from(write(tmp_path, text))
    assert err.line == 1
    assert "top level must be a mapping" in err.message and found in err.message


def test_unreadable_file(tmp_path):
    missing = tmp_path / "nope.yaml"
    err = error_from(missing)
    assert (err.path, err.line, err.field) == (str(missing), None, "")
    assert "cannot read" in err.message
    err = error_from(tmp_path)  # a directory
    assert "cannot read" in err.message


def test_not_utf8(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"name: general\ncity: M\xfcnchen\n")
    err = error_from(path)
    assert err.line == 2
    assert "UTF-8" in err.message


def test_too_large(tmp_path):
    path = write(tmp_path, "name: x\n" + "# padding\n" * 100)
    with pytest.raises(ConfigError, match="larger than"):
        load_yaml_mapping_with_lines(path, max_bytes=100)


def test_several_documents_are_refused(tmp_path):
    err = error_from(write(tmp_path, "name: a\n---\nname: b\n"))
    assert err.line == 2
    assert "single document" in err.message


def test_only_safe_loading(tmp_path):
    text = "name: !!python/object/apply:os.system ['echo pwned']\nlanguages: [en]\n"
    err = error_from(write(tmp_path, text))
    assert err.line == 1
    assert "python/object" in err.message


def test_custom_tags_are_refused(tmp_path):
    err = error_from(write(tmp_path, "name: general\nlanguages: !include langs.yaml\n"))
    assert err.line == 2


def test_merge_keys_work_and_explicit_keys_override(tmp_path):
    text = """\
    defaults: &defaults
      max_otp_failures: 3
      queue: general
    name: general
    languages: [en]
    escalation:
      <<: *defaults
      queue: fraud
    """
    data, lines = load_yaml_mapping_with_lines(write(tmp_path, text))
    assert data["escalation"] == {"max_otp_failures": 3, "queue": "fraud"}
    assert lines[("escalation", "queue")] == line_of(text, "queue: fraud")
    assert lines[("escalation", "max_otp_failures")] == line_of(text, "max_otp_failures: 3")


def test_error_in_a_merged_value_points_at_the_anchor(tmp_path):
    text = """\
    base: &base
      max_otp_failures: many
    name: general
    languages: [en]
    escalation:
      <<: *base
    """
    data, lines = load_yaml_mapping_with_lines(write(tmp_path, text))
    data.pop("base")
    with pytest.raises(ConfigError) as info:
        validate_mapping_with_lines(data, lines, Persona, "p.yaml")
    assert info.value.field == "escalation.max_otp_failures"
    assert info.value.line == line_of(text, "max_otp_failures: many")


def test_recursive_alias_is_refused(tmp_path):
    err = error_from(write(tmp_path, "name: x\nloop: &a [1, *a]\n"))
    assert "recursive" in err.message
    assert err.line == 2


def test_alias_bomb_is_refused(tmp_path):
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, 9):
        prev = f"*a{i - 1}"
        lines.append(f"a{i}: &a{i} [{', '.join([prev] * 10)}]")
    err = error_from(write(tmp_path, "\n".join(lines) + "\n"))
    assert "alias" in err.message


def test_unhashable_key_is_refused(tmp_path):
    err = error_from(write(tmp_path, "name: x\nescalation:\n  ? [a, b]\n  : 1\n"))
    assert err.line == 3
    assert err.field == "escalation"


# --------------------------------------------------------------------------- the pieces on their own


def test_validate_mapping_with_lines_from_text():
    text = "name: general\nlanguages: [en]\nescalation:\n  max_otp_failures: x\n"
    data, lines = parse_yaml_mapping_with_lines(text, "settings.yaml")
    with pytest.raises(ConfigError) as info:
        validate_mapping_with_lines(data, lines, Persona, "settings.yaml")
    assert str(info.value).startswith("settings.yaml:4: escalation.max_otp_failures: ")
    data["escalation"]["max_otp_failures"] = 2
    assert validate_mapping_with_lines(data, lines, Persona, "settings.yaml").escalation.max_otp_failures == 2


def test_line_for_and_format_field():
    lines = {(): 1, ("a",): 2, ("a", "b"): 3, ("w",): 5, ("w", 0): 6}
    assert line_for(lines, ("a", "b", "c", "d")) == 3
    assert line_for(lines, ("w", 3, "x")) == 5
    assert line_for(lines, ("zzz",)) == 1
    assert line_for({}, ("a",)) is None
    assert format_field(("workflows", 2, "steps", 0, "name")) == "workflows[2].steps[0].name"
    assert format_field(("escalation", "max_otp_failures")) == "escalation.max_otp_failures"
    assert format_field(()) == ""


def test_config_error_pickles():
    single = ConfigError("a.yaml", 3, "x.y", "bad")
    back = pickle.loads(pickle.dumps(single))
    assert (str(back), back.line, back.field, back.errors[0] is back) == (str(single), 3, "x.y", True)
    multi = ConfigError("a.yaml", 3, "x", "bad", [single, ConfigError("a.yaml", 9, "z", "worse")])
    back = pickle.loads(pickle.dumps(multi))
    assert str(back) == str(multi) == "a.yaml:3: x.y: bad\na.yaml:9: z: worse"
    assert len(back.errors) == 2
