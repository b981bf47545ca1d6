"""Every scripted conversation in tests/conversations/ runs against a fresh demo gateway; a script
with a mistake fails to load, naming file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.scripts.conversation import ScriptFailure, load_script, main, run_script
from bot.yaml_config import ConfigError

CONVERSATIONS = Path(__file__).resolve().parents[1] / "conversations"
SCRIPTS = sorted(p for p in CONVERSATIONS.glob("*.yaml") if p.name != "injection_corpus.yaml")


def test_there_are_scripts():
    assert len(SCRIPTS) >= 5


@pytest.mark.parametrize("path", SCRIPTS, ids=[p.stem for p in SCRIPTS])
async def test_conversation_script(gateway, path):
    client = await gateway()
    results = await run_script(client, load_script(path))
    assert all(r.passed for r in results)


def test_a_typo_in_a_field_names_file_and_line(tmp_path):
    path = tmp_path / "typo.yaml"
    path.write_text("name: Typo\nsteps:\n  - say: hi\n  - say: Check balance\n    expect: {contians: [x]}\n",
                    encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_script(path)
    assert err.value.path == str(path)
    assert err.value.line == 5
    assert "steps[1].expect.contians" in str(err.value)
    assert main(["check", str(path)]) == 1


def test_a_missing_say_and_a_wrong_type_are_reported(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("name: Bad\nsteps:\n  - expect: {replies: many}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_script(path)
    text = str(err.value)
    assert f"{path}:3: steps[0].say: missing required field 'say'" in text
    assert "steps[0].expect.replies" in text


async def test_a_failed_expectation_names_file_step_line_and_replies(gateway, tmp_path):
    path = tmp_path / "wrong.yaml"
    path.write_text("name: Wrong\nsteps:\n  - say: hi\n  - say: Check balance\n"
                    "    expect: {contains: [Available balance]}\n", encoding="utf-8")
    client = await gateway()
    with pytest.raises(ScriptFailure) as err:
        await run_script(client, load_script(path))
    text = str(err.value)
    assert f"{path}:4: step 2" in text
    assert "'Available balance'" in text
    assert "registered mobile number" in text  # the actual reply is shown


async def test_cli_runs_against_a_live_gateway(live_gateway, capsys, tmp_path):
    from bot.scripts.conversation import _run_files

    code = await _run_files([str(CONVERSATIONS / "talk_to_agent.yaml")], live_gateway)
    out = capsys.readouterr().out
    assert code == 0, out
    assert "PASS" in out and "step 2" in out

    wrong = tmp_path / "wrong.yaml"
    wrong.write_text("name: Wrong\nsteps:\n  - say: hi\n    expect: {contains: [Goodbye]}\n", encoding="utf-8")
    assert await _run_files([str(wrong)], live_gateway) == 1
    out = capsys.readouterr().out
    assert f"FAIL {wrong}:3: step 1" in out
