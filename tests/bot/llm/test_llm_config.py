"""llm.yaml: where it is found, what it may say, errors by file:line, keys from the environment only, the
SAHAYAK_LLM_URL shorthand, and that the file (and the shipped example) is not mistaken for a persona."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.llm.config import load_llm_setup, read_llm_file
from bot.persona import load_all
from bot.settings import PACKAGE_PERSONALITIES
from bot.yaml_config import ConfigError
from gateway import describe_llm

GOOD = """\
endpoints:
  - name: local
    url: http://127.0.0.1:8000/v1
    model: sarvam-m
    timeout_s: 3
  - name: cloud
    url: https://llm.example.com/v1
    model: gpt-4o-mini
    api_key_env: LLM_CLOUD_API_KEY
total_timeout_s: 6
uses:
  summarise: false
"""


def write(tmp_path: Path, text: str, name: str = "llm.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_good_file_gives_endpoints_in_order_with_keys_from_the_environment(tmp_path):
    setup = read_llm_file(write(tmp_path, GOOD), {"LLM_CLOUD_API_KEY": "sk-cloud-123"})
    assert [e.name for e in setup.endpoints] == ["local", "cloud"]
    local, cloud = setup.endpoints
    assert (local.timeout_s, local.api_key) == (3.0, None)
    assert (cloud.timeout_s, cloud.api_key) == (4.0, "sk-cloud-123")  # the default per-endpoint timeout
    assert cloud.completions_url == "https://llm.example.com/v1/chat/completions"
    assert setup.total_timeout_s == 6.0
    assert (setup.uses.classify, setup.uses.phrase_knowledge, setup.uses.summarise) == (True, True, False)
    assert "sk-cloud-123" not in repr(setup)


@pytest.mark.parametrize("text, line, field, message", [
    (GOOD.replace("    timeout_s: 3", "    timeout_s: 90"), 5, "endpoints[0].timeout_s", "less than or equal to 30"),
    (GOOD.replace("    model: sarvam-m\n", ""), 2, "endpoints[0].model", "missing required field 'model'"),
    (GOOD.replace("    timeout_s: 3", "    temperature: 0.2"), 5, "endpoints[0].temperature", "unknown field"),
    (GOOD.replace("    api_key_env: LLM_CLOUD_API_KEY", "    api_key: sk-live-abc"), 6, "endpoints[1]",
     "never put an API key in this file"),
    (GOOD.replace("https://llm.example.com/v1", "http://llm.example.com/v1"), 6, "endpoints[1]",
     "only over https"),
    (GOOD.replace("http://127.0.0.1:8000/v1", "http://127.0.0.1:8000/v1/chat/completions"), 3,
     "endpoints[0].url", "ending before /chat/completions"),
    (GOOD.replace("http://127.0.0.1:8000/v1", "ftp://models/v1"), 3, "endpoints[0].url", "http(s)://"),
    (GOOD.replace("LLM_CLOUD_API_KEY", "SAHAYAK_CLOUD_KEY"), 9, "endpoints[1].api_key_env", "SAHAYAK_"),
    (GOOD.replace("name: cloud", "name: local"), 6, "endpoints[1].name", "named twice"),
    (GOOD.replace("  summarise: false", "  summarize: false"), 12, "uses.summarize", "unknown field"),
    (GOOD.replace("total_timeout_s: 6", "total_timeout_s: 0"), 10, "total_timeout_s", "greater than 0"),
    ("endpoints: []\n", 1, "endpoints", "at least 1 item"),
])
def test_a_bad_file_names_file_line_and_field(tmp_path, text, line, field, message):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        read_llm_file(path, {"LLM_CLOUD_API_KEY": "sk-cloud-123"})
    assert (err.value.path, err.value.line, err.value.field) == (str(path), line, field), str(err.value)
    assert message in err.value.message


def test_a_key_variable_that_is_not_set_stops_start_up_at_its_line(tmp_path):
    path = write(tmp_path, GOOD)
    with pytest.raises(ConfigError) as err:
        read_llm_file(path, {"LLM_CLOUD_API_KEY": "  "})
    assert (err.value.line, err.value.field) == (9, "endpoints[1].api_key_env")
    assert "LLM_CLOUD_API_KEY is not set" in err.value.message


def test_no_file_and_no_shorthand_is_no_llm(make_settings, tmp_path):
    assert load_llm_setup(make_settings(), {}) is None


def test_the_file_in_the_personalities_folder_is_found(make_settings, tmp_path):
    folder = tmp_path / "personalities"
    folder.mkdir()
    write(folder, GOOD)
    setup = load_llm_setup(make_settings(personalities_dir=folder), {"LLM_CLOUD_API_KEY": "k"})
    assert setup is not None and setup.source == str(folder / "llm.yaml")


def test_sahayak_llm_config_names_a_file_elsewhere_and_it_must_exist(make_settings, tmp_path):
    path = write(tmp_path, GOOD, "models.yaml")
    setup = load_llm_setup(make_settings(llm_config=path), {"LLM_CLOUD_API_KEY": "k"})
    assert [e.name for e in setup.endpoints] == ["local", "cloud"]
    with pytest.raises(ConfigError, match="cannot read file"):
        load_llm_setup(make_settings(llm_config=tmp_path / "typo.yaml"), {})


def test_the_url_shorthand_is_one_endpoint_for_the_risk_opinion_as_before(make_settings):
    setup = load_llm_setup(make_settings(llm_url="http://127.0.0.1:8000/v1", llm_model="risk-7b",
                                         llm_api_key="sk-1234567890", llm_timeout_s=5), {})
    [endpoint] = setup.endpoints
    assert (endpoint.url, endpoint.model, endpoint.api_key, endpoint.timeout_s) == \
        ("http://127.0.0.1:8000/v1", "risk-7b", "sk-1234567890", 5.0)
    assert setup.total_timeout_s == 5.0 and setup.uses.risk_opinion
    assert not (setup.uses.classify or setup.uses.phrase_knowledge or setup.uses.summarise)


def test_a_file_and_the_shorthand_together_are_refused(make_settings, tmp_path):
    path = write(tmp_path, GOOD)
    with pytest.raises(ConfigError, match="SAHAYAK_LLM_URL is set as well"):
        load_llm_setup(make_settings(llm_config=path, llm_url="http://127.0.0.1:8000/v1", llm_model="m"), {})


def test_check_config_describes_the_llm(tmp_path):
    setup = read_llm_file(write(tmp_path, GOOD), {"LLM_CLOUD_API_KEY": "sk-cloud-123"})
    line = describe_llm(setup)
    assert "local (sarvam-m, 3s) -> cloud (gpt-4o-mini, 4s, key set)" in line and "total 6s" in line
    assert "classify, phrase_knowledge, risk_opinion" in line and "sk-cloud-123" not in line
    assert describe_llm(None).startswith("none")


def test_llm_files_in_the_personalities_folder_are_not_personas(tmp_path):
    folder = tmp_path / "personalities"
    shutil.copytree(PACKAGE_PERSONALITIES, folder, ignore=shutil.ignore_patterns("__pycache__", "*.npy"))
    write(folder, GOOD)
    assert (folder / "llm.example.yaml").is_file()
    personas = load_all(folder)
    assert "llm" not in personas and "llm.example" not in personas and "general" in personas


def test_the_shipped_example_is_a_valid_file():
    setup = read_llm_file(PACKAGE_PERSONALITIES / "llm.example.yaml", {"LLM_CLOUD_API_KEY": "k"})
    assert [e.name for e in setup.endpoints] == ["local", "cloud"]
