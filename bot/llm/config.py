"""Which LLM endpoints to use, in which order, and for what: `personalities/llm.yaml` (see llm.example.yaml).

    endpoints:                       # the fallback order: the first that answers in time is used
      - name: local-vllm
        url: http://127.0.0.1:8000/v1          # base URL, ending before /chat/completions
        model: sarvam-m
        timeout_s: 3                           # this endpoint's own limit (default 4, at most 30)
      - name: cloud
        url: https://api.example.com/v1
        model: gpt-4o-mini
        api_key_env: LLM_CLOUD_API_KEY         # the NAME of an environment variable holding the key
    total_timeout_s: 8                         # all endpoints together (default 8)
    uses: {classify: true, phrase_knowledge: true, summarise: true, risk_opinion: true}

Where it is read from: the file named by SAHAYAK_LLM_CONFIG (it must exist), else
`<personalities dir>/llm.yaml` when that file is there. SAHAYAK_LLM_URL + SAHAYAK_LLM_MODEL (with
SAHAYAK_LLM_API_KEY, SAHAYAK_LLM_TIMEOUT_S) are a shorthand for one endpoint that keeps the meaning those
settings had before the file existed: the risk opinion only, so a deployment that set them sends nothing
new to its model (for the other uses, write the file). Both a file and the shorthand at once is refused
at start-up: which one was meant cannot be guessed. No file and no shorthand: no LLM, and everything
works as without one.

Keys never sit in the file (an `api_key` field is refused with a pointer to `api_key_env`); the
variable is read once at start-up and a missing one stops start-up naming the file and line. A key is
sent only over https or to this machine. Errors are ConfigErrors with file:line: field, as for personas.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from bot.llm.client import Endpoint
from bot.settings import Settings
from bot.yaml_config import ConfigError, format_field, line_for, load_yaml_mapping_with_lines, validate_mapping_with_lines

DEFAULT_FILE_NAME = "llm.yaml"
MAX_ENDPOINTS = 8


class Uses(BaseModel):
    """What the LLM is asked to do. Never: decide a tool call; that stays with the workflows."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    classify: bool = True  # name the intent when the local router is unsure
    phrase_knowledge: bool = True  # put a knowledge-base answer into the customer's language
    summarise: bool = True  # summarise the conversation for the human agent who takes a case
    risk_opinion: bool = True  # a second opinion in `ai_analysis` steps (can only raise caution)


# What SAHAYAK_LLM_URL configured before llm.yaml existed, and still does.
SHORTHAND_USES = Uses(classify=False, phrase_knowledge=False, summarise=False, risk_opinion=True)


class EndpointSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,47}$")
    url: str
    model: str = Field(min_length=1, max_length=200)
    api_key_env: str | None = Field(None, pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")
    timeout_s: float = Field(4.0, gt=0, le=30)

    @model_validator(mode="before")
    @classmethod
    def _no_key_in_the_file(cls, data: Any) -> Any:
        if isinstance(data, Mapping) and "api_key" in data:
            raise ValueError("never put an API key in this file: set api_key_env to the name of an environment "
                             "variable that holds it")
        return data

    @field_validator("api_key_env")
    @classmethod
    def _not_a_setting(cls, name: str | None) -> str | None:
        if name is not None and name.upper().startswith("SAHAYAK_"):
            raise ValueError("SAHAYAK_* variables are settings (an unknown one stops start-up): name the key's "
                             "variable without that prefix, e.g. LLM_CLOUD_API_KEY")
        return name

    @field_validator("url")
    @classmethod
    def _base_url(cls, url: str) -> str:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
            raise ValueError("must be an http(s):// base URL without a query, e.g. http://127.0.0.1:8000/v1")
        if parts.path.rstrip("/").endswith("/chat/completions"):
            raise ValueError("give the base URL, ending before /chat/completions")
        return url

    @model_validator(mode="after")
    def _key_only_over_https(self) -> EndpointSpec:
        parts = urlsplit(self.url)
        if self.api_key_env and parts.scheme == "http" and not _this_machine(parts.hostname or ""):
            raise ValueError("an API key is sent only over https:// (or to this machine)")
        return self


class LlmFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    endpoints: list[EndpointSpec] = Field(min_length=1, max_length=MAX_ENDPOINTS)
    total_timeout_s: float = Field(8.0, gt=0, le=60)
    uses: Uses = Field(default_factory=Uses)


@dataclass(frozen=True)
class LlmSetup:
    """The LLM as configured, keys resolved: what the gateway builds the client from."""

    endpoints: tuple[Endpoint, ...]
    total_timeout_s: float
    uses: Uses
    source: str  # the file, or "SAHAYAK_LLM_URL" (for `check-config` and logs)


def load_llm_setup(settings: Settings, environ: Mapping[str, str]) -> LlmSetup | None:
    """The configured LLM, or None when there is none. Raises ConfigError."""
    path = settings.llm_config
    if path is None:
        default = Path(settings.personalities_dir) / DEFAULT_FILE_NAME
        path = default if default.is_file() else None
    if path is not None and settings.llm_url is not None:
        raise ConfigError(str(path), None, "", "SAHAYAK_LLM_URL is set as well as this file: configure the LLM in "
                                               "one place (move the endpoint into the file's endpoints, or remove "
                                               "the file)")
    if path is not None:
        return read_llm_file(path, environ)
    if settings.llm_url is not None and settings.llm_model is not None:
        key = settings.llm_api_key.get_secret_value() if settings.llm_api_key is not None else None
        endpoint = Endpoint("default", settings.llm_url, settings.llm_model, key, settings.llm_timeout_s)
        return LlmSetup((endpoint,), settings.llm_timeout_s, SHORTHAND_USES, "SAHAYAK_LLM_URL")
    return None


def read_llm_file(path: Path | str, environ: Mapping[str, str]) -> LlmSetup:
    data, lines = load_yaml_mapping_with_lines(path)
    parsed = validate_mapping_with_lines(data, lines, LlmFile, path)
    endpoints: list[Endpoint] = []
    errors: list[ConfigError] = []

    def fail(loc: tuple, message: str) -> None:
        errors.append(ConfigError(str(path), line_for(lines, loc), format_field(loc), message))

    for i, spec in enumerate(parsed.endpoints):
        if spec.name in [e.name for e in endpoints]:
            fail(("endpoints", i, "name"), f"endpoint {spec.name!r} is named twice (logs tell endpoints apart by name)")
        key = None
        if spec.api_key_env is not None:
            key = (environ.get(spec.api_key_env) or "").strip()
            if not key:
                fail(("endpoints", i, "api_key_env"), f"the environment variable {spec.api_key_env} is not set (or empty)")
        endpoints.append(Endpoint(spec.name, spec.url, spec.model, key, spec.timeout_s))
    if errors:
        raise ConfigError.combine(errors)
    return LlmSetup(tuple(endpoints), parsed.total_timeout_s, parsed.uses, str(path))


def _this_machine(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
