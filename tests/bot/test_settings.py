"""Settings: environment variables with the SAHAYAK_ prefix, an optional YAML file, clear errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.settings import SettingsError, load_settings

ROOT = Path(__file__).resolve().parents[2]


def test_defaults_and_environment(tmp_path):
    s = load_settings({"SAHAYAK_DEMO": "true", "SAHAYAK_PORT": "9090", "SAHAYAK_DATA_DIR": str(tmp_path),
                       "SAHAYAK_HOST": "0.0.0.0", "PATH": "/usr/bin"})
    assert (s.demo, s.port, s.data_dir, s.host, s.scale_out) == (True, 9090, tmp_path, "0.0.0.0", False)


def test_bad_value_names_the_variable():
    with pytest.raises(SettingsError, match="SAHAYAK_PORT"):
        load_settings({"SAHAYAK_DEMO": "1", "SAHAYAK_PORT": "eighty"})


def test_unknown_variable_is_an_error_not_ignored():
    with pytest.raises(SettingsError, match="SAHAYAK_PROT is not a known setting"):
        load_settings({"SAHAYAK_DEMO": "1", "SAHAYAK_PROT": "8080"})


def test_postgres_and_redis_go_together():
    with pytest.raises(SettingsError, match="go together"):
        load_settings({"SAHAYAK_DEMO": "1", "SAHAYAK_POSTGRES_URL": "postgresql://x/y"})


def test_outside_demo_mode_a_bank_and_a_secret_are_required():
    with pytest.raises(SettingsError, match="no core banking configured"):
        load_settings({})
    with pytest.raises(SettingsError, match="SAHAYAK_SECRET_KEY is required"):
        load_settings({"SAHAYAK_CORE_BANKING_URL": "https://cbs.bank.internal/api"})


def test_yaml_file_with_environment_overriding(tmp_path):
    cfg = tmp_path / "sahayak.yaml"
    cfg.write_text("demo: true\nport: 7000\nhost: 127.0.0.2\n")
    s = load_settings({"SAHAYAK_CONFIG": str(cfg), "SAHAYAK_PORT": "7001"})
    assert (s.port, s.host) == (7001, "127.0.0.2")


def test_yaml_bad_value_names_file_and_line(tmp_path):
    cfg = tmp_path / "sahayak.yaml"
    cfg.write_text("demo: true\n\nport: lots\n")
    with pytest.raises(SettingsError, match=r"sahayak.yaml:3: port"):
        load_settings({}, cfg)


def test_demo_secret_is_generated_once_and_kept(tmp_path):
    s = load_settings({"SAHAYAK_DEMO": "1", "SAHAYAK_DATA_DIR": str(tmp_path)})
    first = s.resolved_secret()
    assert len(first) >= 32 and s.resolved_secret() == first
    assert (tmp_path / "secret.key").stat().st_mode & 0o777 == 0o600


def test_gateway_refuses_to_start_on_bad_settings(tmp_path):
    run = subprocess.run([sys.executable, "gateway.py", "check-config"], cwd=ROOT, capture_output=True, text=True,
                         env={"SAHAYAK_DEMO": "maybe", "PATH": "/usr/bin:/bin"}, timeout=60)
    assert run.returncode == 2
    assert "SAHAYAK_DEMO" in run.stderr


def test_check_config_succeeds_on_the_shipped_files(tmp_path):
    run = subprocess.run([sys.executable, "gateway.py", "check-config"], cwd=ROOT, capture_output=True, text=True,
                         env={"SAHAYAK_DEMO": "true", "SAHAYAK_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"},
                         timeout=60)
    assert run.returncode == 0, run.stderr
    assert "configuration OK: persona 'general'" in run.stdout


@pytest.mark.parametrize("name", ["SAHAYAK_WHATSAPP_APP_SECRET", "SAHAYAK_TWILIO_AUTH_TOKEN",
                                  "SAHAYAK_MAILGUN_SIGNING_KEY", "SAHAYAK_PORT", "SAHAYAK_SECRET_KEY"])
def test_an_empty_value_is_refused_not_taken_as_a_secret(name):
    # An HMAC keyed with "" can be computed by anyone: an unset ${VAR} must never start a channel.
    with pytest.raises(SettingsError, match=f"{name} is set but empty"):
        load_settings({"SAHAYAK_DEMO": "1", name: "  "})


def test_short_webhook_secrets_are_refused():
    env = {"SAHAYAK_DEMO": "1", "SAHAYAK_WHATSAPP_VERIFY_TOKEN": "verify-me", "SAHAYAK_WHATSAPP_APP_SECRET": "short",
           "SAHAYAK_WHATSAPP_ACCESS_TOKEN": "EAAG" + "x" * 20, "SAHAYAK_WHATSAPP_PHONE_NUMBER_ID": "1065"}
    with pytest.raises(SettingsError, match="SAHAYAK_WHATSAPP_APP_SECRET must be at least 16"):
        load_settings(env)
    load_settings({**env, "SAHAYAK_WHATSAPP_APP_SECRET": "s" * 16})


def test_an_empty_yaml_value_is_refused(tmp_path):
    cfg = tmp_path / "sahayak.yaml"
    cfg.write_text("demo: true\nmailgun_signing_key: ''\n")
    with pytest.raises(SettingsError, match=r"sahayak.yaml:2: mailgun_signing_key is empty"):
        load_settings({}, cfg)
