"""Personas: who the agent is, in YAML that bank operations staff edit (personalities/*.yaml).

Validated with pydantic; a bad field stops start-up with the file, line and field (bot.yaml_config).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from bot.yaml_config import load_yaml_model
from i18n.catalog import SUPPORTED

KNOWN_WORKFLOWS = ("balance_statement",)
KNOWN_INTENTS = ("greeting", "balance", "recent_transactions", "human", "resend_otp")


class Escalation(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    policy: Literal["conservative", "immediate", "minimal"]
    max_otp_failures: int = Field(ge=1, le=5)
    on_customer_request: bool


class Persona(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z][a-z0-9_]{1,31}$")
    name: str = Field(min_length=1)
    description: str
    bank_name: str = Field(min_length=1)
    tone: list[str] = Field(min_length=1)
    style: str
    languages: list[str] = Field(min_length=1)
    default_language: str
    greeting: dict[str, str]
    workflows: list[str] = Field(min_length=1)
    intents: list[str] = Field(min_length=1)
    escalation: Escalation
    guardrails: list[str]

    @model_validator(mode="after")
    def _consistent(self) -> Persona:
        unknown = [lang for lang in self.languages if lang not in SUPPORTED]
        if unknown:
            raise ValueError(f"languages {unknown} have no message catalog (supported: {list(SUPPORTED)})")
        if self.default_language not in self.languages:
            raise ValueError(f"default_language {self.default_language!r} is not in languages")
        if missing := [lang for lang in self.languages if lang not in self.greeting]:
            raise ValueError(f"greeting has no text for {missing}")
        if bad := [w for w in self.workflows if w not in KNOWN_WORKFLOWS]:
            raise ValueError(f"unknown workflows {bad} (known: {list(KNOWN_WORKFLOWS)})")
        if bad := [i for i in self.intents if i not in KNOWN_INTENTS]:
            raise ValueError(f"unknown intents {bad} (known: {list(KNOWN_INTENTS)})")
        return self


def load_persona(directory: Path, persona_id: str) -> Persona:
    path = directory / f"{persona_id}.yaml"
    persona = load_yaml_model(path, Persona)
    if persona.id != persona_id:
        from bot.yaml_config import ConfigError

        raise ConfigError(path=str(path), line=None, field="id",
                          message=f"id {persona.id!r} does not match the file name {persona_id!r}")
    return persona
