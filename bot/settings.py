"""Settings: one frozen object, read once at start-up by gateway.py.

Sources, later wins: built-in defaults < an optional YAML file (`SAHAYAK_CONFIG` or `--config`)
< environment variables `SAHAYAK_<FIELD>`. A bad or unknown value stops start-up with a message that
names the variable (or the YAML file and line), so a typo like `SAHAYAK_PROT=8080` is never ignored.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator, model_validator

ENV_PREFIX = "SAHAYAK_"
PACKAGE_PERSONALITIES = Path(__file__).resolve().parent.parent / "personalities"


# A channel with none of these is off; with some but not all, start-up stops naming the missing ones.
CHANNEL_REQUIRED: dict[str, tuple[str, ...]] = {
    "WhatsApp": ("whatsapp_verify_token", "whatsapp_app_secret", "whatsapp_access_token",
                 "whatsapp_phone_number_id"),
    "SMS": ("twilio_account_sid", "twilio_auth_token", "twilio_from"),
    "email": ("email_address", "email_smtp_relay_host"),
}


# Shared secrets that sign or verify webhooks: short ones can be guessed, empty ones computed by anyone.
MIN_SECRET_LENGTH = {"whatsapp_verify_token": 8, "whatsapp_app_secret": 16, "whatsapp_access_token": 16,
                     "twilio_auth_token": 16, "mailgun_signing_key": 16, "email_smtp_password": 1,
                     "ops_token": 24}


class SettingsError(Exception):
    """A setting is missing or invalid; the message names it."""


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    host: str = "127.0.0.1"
    port: int = Field(8080, ge=0, le=65535)
    data_dir: Path = Path("data")
    demo: bool = False
    # Scale-out stores. Both or neither: several gateway processes need shared claims and locks.
    postgres_url: SecretStr | None = None
    redis_url: SecretStr | None = None
    redis_prefix: str = "sahayak:"
    # Signs web sessions and keys OTP hashes. Demo mode generates one under data_dir if unset.
    secret_key: SecretStr | None = None
    personalities_dir: Path = PACKAGE_PERSONALITIES
    # Policy and FAQ documents (Markdown) the bot answers general questions from, citing the section.
    knowledge_dir: Path = PACKAGE_PERSONALITIES / "knowledge"
    # The intent catalogue the router trains on at start-up (names, examples in every language).
    intent_catalogue: Path = PACKAGE_PERSONALITIES / "intents" / "catalogue.yaml"
    persona: str = "general"
    # A real core-banking REST API; demo mode uses the embedded demo bank instead.
    core_banking_url: str | None = None
    core_banking_auth_header: SecretStr | None = None  # "Name: value"
    core_banking_timeout_s: float = Field(5.0, gt=0, le=60)
    otp_ttl_s: int = Field(300, ge=30, le=900)
    otp_max_checks: int = Field(3, ge=1, le=5)
    otp_max_sends: int = Field(3, ge=1, le=10)  # codes issued per 30 minutes per customer
    auth_idle_s: int = Field(900, ge=60, le=3600)
    web_max_text: int = Field(2000, ge=1, le=10000)
    # Sites allowed to embed the widget from another origin (CORS and WebSocket Origin check),
    # e.g. "https://www.bank.example,https://netbanking.bank.example". Same-origin always works.
    web_allowed_origins: tuple[str, ...] = ()
    web_session_ttl_s: int = Field(12 * 3600, ge=300, le=30 * 24 * 3600)
    turn_timeout_s: float = Field(30.0, gt=0, le=300)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # Bearer token for the human-agent queue API under /ops/ (unset: /ops/ is not served at all).
    ops_token: SecretStr | None = None

    # The gateway's public base URL (https://chat.bank.example): webhook signatures (Twilio) are checked
    # against URLs built from it, never from X-Forwarded-* headers.
    public_url: str | None = None
    # Where secure links point (password reset, card PIN change, card limits: never done in chat):
    # the bank's page, which receives the one-time token as the last path segment. Required outside
    # demo mode; demo mode serves a stand-in page under /demo/secure/ when unset.
    secure_link_base: str | None = None
    # Optional LLM (any OpenAI-compatible endpoint: vLLM, Ollama, llama.cpp server, a cloud API): it may
    # name an intent when the local router is unsure, phrase knowledge-base answers in the customer's
    # language, summarise a case for the human agent, and give a second opinion in `ai_analysis` steps
    # (only ever raising caution). It never decides what a tool may do. Configured by a YAML file with
    # endpoints in fallback order (bot/llm/config.py): `llm_config`, else `<personalities_dir>/llm.yaml`
    # when present. `llm_url` + `llm_model` are a shorthand for one endpoint used, as before that file
    # existed, for the risk opinion only; a file and the shorthand together stop start-up. Neither: no
    # LLM (the default).
    llm_config: Path | None = None
    llm_url: str | None = None  # base URL ending before /chat/completions, e.g. http://127.0.0.1:8000/v1
    llm_model: str | None = None
    llm_api_key: SecretStr | None = None
    llm_timeout_s: float = Field(8.0, gt=0, le=60)

    # WhatsApp (Meta Cloud API). Off unless configured; partly configured stops start-up.
    whatsapp_verify_token: SecretStr | None = None
    whatsapp_app_secret: SecretStr | None = None
    whatsapp_access_token: SecretStr | None = None
    whatsapp_phone_number_id: str | None = None
    whatsapp_api_url: str = "https://graph.facebook.com/v21.0"
    whatsapp_replay_max_age_s: int = Field(15 * 60, ge=60)  # older messages after an outage: one "we're back"

    # SMS (Twilio Programmable Messaging).
    twilio_account_sid: str | None = None
    twilio_auth_token: SecretStr | None = None
    twilio_from: str | None = None
    twilio_api_url: str = "https://api.twilio.com"
    sms_romanize_hindi: bool = False  # Devanagari is UCS-2 (70 chars a segment); romanized fits GSM-7

    # The phone line (Twilio Media Streams, channels/voice.py): calls to the Twilio account above are
    # answered with speech (voice/; the engines' own settings are SAHAYAK_VOICE_*, voice/settings.py).
    # Off unless switched on: the speech models take memory and seconds to load at start-up.
    phone_line: bool = False
    phone_agent_number: str | None = None  # E.164: a call escalated to a person is transferred here
    phone_max_calls: int = Field(20, ge=1, le=500)  # calls at once; more are refused as busy

    # Email: inbound SMTP listener and/or Mailgun's inbound webhook; outbound through an SMTP relay.
    email_address: str | None = None  # the bank's support address: From of replies, To of inbound
    email_smtp_listen_port: int | None = Field(None, ge=0, le=65535)
    email_smtp_listen_host: str = "127.0.0.1"
    email_smtp_relay_host: str | None = None
    email_smtp_relay_port: int = Field(587, ge=1, le=65535)
    email_smtp_relay_starttls: bool = True
    email_smtp_username: str | None = None
    email_smtp_password: SecretStr | None = None
    mailgun_signing_key: SecretStr | None = None

    @field_validator("web_allowed_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        for origin in value or ():
            if not re.fullmatch(r"https?://[A-Za-z0-9.\-]+(:\d{1,5})?", str(origin)):
                raise ValueError(f"{origin!r} is not an origin like https://www.bank.example")
        return value

    @model_validator(mode="after")
    def _coherent(self) -> Settings:
        if (self.postgres_url is None) != (self.redis_url is None):
            raise ValueError(
                "SAHAYAK_POSTGRES_URL and SAHAYAK_REDIS_URL go together (scale-out needs both); "
                "set both or neither"
            )
        if self.secret_key is not None and len(self.secret_key.get_secret_value()) < 32:
            raise ValueError("SAHAYAK_SECRET_KEY must be at least 32 characters")
        if not self.demo and self.core_banking_url is None:
            raise ValueError(
                "no core banking configured: set SAHAYAK_CORE_BANKING_URL, or SAHAYAK_DEMO=true "
                "for the embedded demo bank"
            )
        if not self.demo and self.secret_key is None:
            raise ValueError("SAHAYAK_SECRET_KEY is required outside demo mode")
        if not self.demo and self.secure_link_base is None:
            raise ValueError(
                "SAHAYAK_SECURE_LINK_BASE is required outside demo mode: the bank's page for password "
                "resets, card PIN changes and card limits (https://...)"
            )
        if self.secure_link_base is not None:
            # The token is appended as a path segment: a query or fragment here would swallow it, and
            # outside demo mode it travels by SMS, so plain http is refused.
            scheme = r"https?" if self.demo else r"https"
            if not re.fullmatch(scheme + r"://[A-Za-z0-9.\-]+(:\d{1,5})?(/[^\s?#]*)?", self.secure_link_base):
                raise ValueError("SAHAYAK_SECURE_LINK_BASE must be an https:// URL without a query or fragment, "
                                 "e.g. https://netbanking.bank.example/secure/")
        for field, minimum in MIN_SECRET_LENGTH.items():
            value = getattr(self, field)
            if value is not None and len(value.get_secret_value().strip()) < minimum:
                raise ValueError(f"{_env_name(field)} must be at least {minimum} characters")
        for channel, fields in CHANNEL_REQUIRED.items():
            present = [f for f in fields if getattr(self, f) is not None]
            if present and len(present) < len(fields):
                missing = ", ".join(_env_name(f) for f in fields if getattr(self, f) is None)
                raise ValueError(f"the {channel} channel is partly configured: missing {missing}")
        if self.twilio_account_sid is not None and self.public_url is None:
            raise ValueError("the SMS channel needs SAHAYAK_PUBLIC_URL (Twilio signs the public URL)")
        if self.phone_line and (self.twilio_account_sid is None or self.public_url is None):
            raise ValueError("the phone line (SAHAYAK_PHONE_LINE) answers calls on the Twilio account: set "
                             "SAHAYAK_TWILIO_ACCOUNT_SID, SAHAYAK_TWILIO_AUTH_TOKEN, SAHAYAK_TWILIO_FROM and "
                             "SAHAYAK_PUBLIC_URL")
        if self.phone_agent_number is not None and not self.phone_line:
            raise ValueError("SAHAYAK_PHONE_AGENT_NUMBER is set but SAHAYAK_PHONE_LINE is not")
        if self.phone_agent_number is not None and not re.fullmatch(r"\+[1-9][0-9]{6,14}", self.phone_agent_number):
            raise ValueError("SAHAYAK_PHONE_AGENT_NUMBER must be a phone number in E.164 form (+911140000000)")
        if self.email_address is None and (self.email_smtp_listen_port is not None
                                           or self.mailgun_signing_key is not None):
            raise ValueError("SAHAYAK_EMAIL_SMTP_LISTEN_PORT and SAHAYAK_MAILGUN_SIGNING_KEY receive mail for the "
                             "email channel: set SAHAYAK_EMAIL_ADDRESS and SAHAYAK_EMAIL_SMTP_RELAY_HOST too")
        if (self.email_smtp_username is None) != (self.email_smtp_password is None):
            raise ValueError("SAHAYAK_EMAIL_SMTP_USERNAME and SAHAYAK_EMAIL_SMTP_PASSWORD go together")
        if self.email_address is not None and not re.fullmatch(r"[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+", self.email_address):
            raise ValueError("SAHAYAK_EMAIL_ADDRESS must be a bare address like support@bank.example")
        if (self.llm_url is None) != (self.llm_model is None):
            raise ValueError("SAHAYAK_LLM_URL and SAHAYAK_LLM_MODEL go together (set both or neither)")
        if self.llm_url is not None and not re.fullmatch(r"https?://[A-Za-z0-9.\-]+(:\d{1,5})?(/[^\s?#]*)?", self.llm_url):
            raise ValueError("SAHAYAK_LLM_URL must be an http(s):// base URL without a query, e.g. "
                             "http://127.0.0.1:8000/v1")
        if self.llm_api_key is not None and self.llm_url is None:
            raise ValueError("SAHAYAK_LLM_API_KEY is set but SAHAYAK_LLM_URL is not")
        if self.core_banking_auth_header is not None and ":" not in self.core_banking_auth_header.get_secret_value():
            raise ValueError("SAHAYAK_CORE_BANKING_AUTH_HEADER must look like 'Name: value'")
        return self

    @property
    def scale_out(self) -> bool:
        return self.postgres_url is not None

    def resolved_secure_link_base(self) -> str:
        """Where secure links point: the configured page, or in demo mode the gateway's own stand-in."""
        if self.secure_link_base is not None:
            return self.secure_link_base
        if not self.demo:  # unreachable after validation; kept so a bypassed check cannot invent a URL
            raise SettingsError("SAHAYAK_SECURE_LINK_BASE is required outside demo mode")
        origin = (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")
        return f"{origin}/demo/secure/"

    def resolved_secret(self) -> bytes:
        """The secret key; in demo mode one is generated once and kept in the data directory
        (mode 0600) so web sessions survive a restart."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value().encode()
        path = self.data_dir / "secret.key"
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_urlsafe(48))
        return path.read_text().strip().encode()


def _env_name(field: str) -> str:
    return ENV_PREFIX + field.upper()


def load_settings(environ: Mapping[str, str], config_file: str | Path | None = None) -> Settings:
    """Build Settings from a YAML file (optional) and the environment. Raises SettingsError."""
    values: dict[str, Any] = {}
    origin: dict[str, str] = {}
    config_file = config_file or environ.get(ENV_PREFIX + "CONFIG")
    if config_file:
        from bot.yaml_config import ConfigError, load_yaml_mapping_with_lines

        try:
            data, lines = load_yaml_mapping_with_lines(config_file)
        except ConfigError as e:
            raise SettingsError(str(e)) from None
        for key, value in data.items():
            if isinstance(value, str) and not value.strip():
                raise SettingsError(f"{config_file}:{lines.get((key,), '?')}: {key} is empty (remove it to use the default)")
            values[key] = value
            origin[key] = f"{config_file}:{lines.get((key,), '?')}: {key}"
    known = set(Settings.model_fields)
    for name, value in environ.items():
        if not name.startswith(ENV_PREFIX) or name == ENV_PREFIX + "CONFIG":
            continue
        if name.startswith(ENV_PREFIX + "VOICE_"):
            continue  # the speech engines' settings, read (and checked) by voice/settings.py
        field = name[len(ENV_PREFIX):].lower()
        if field not in known:
            raise SettingsError(f"{name} is not a known setting (known: {', '.join(sorted(_env_name(k) for k in known))})")
        if not value.strip():
            # An empty value is almost always an unset ${VAR} in a deployment file; for a secret it
            # would mean an HMAC anyone can compute. Unset it to get the default.
            raise SettingsError(f"{name} is set but empty (unset it to use the default)")
        values[field] = value
        origin[field] = name
    for key in values:
        if key not in known:
            raise SettingsError(f"{origin.get(key, key)} is not a known setting")
    try:
        return Settings.model_validate(values)
    except ValidationError as e:
        problems = []
        for err in e.errors():
            field = str(err["loc"][0]) if err["loc"] else ""
            where = origin.get(field, _env_name(field) if field else "settings")
            message = err["msg"].removeprefix("Value error, ")
            problems.append(f"{where}: {message}" if field else message)
        raise SettingsError("invalid settings:\n  " + "\n  ".join(problems)) from None
