"""Personas: who the agent is, in YAML that bank operations staff edit (personalities/*.yaml).

Validated with pydantic; a bad field stops start-up with the file, line and field (bot.yaml_config).
Every `*.yaml` in the folder is a persona (a new persona is a new file, no code), except the LLM's
configuration (`llm.yaml`) and `*.example.yaml` files; `PersonaRegistry`
loads them all at start-up and on reload (SIGHUP, POST /ops/reload) swaps in a fully validated new
set in one assignment, or keeps the old one and reports what is wrong.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from bot.workflows.spec import load_workflows
from bot.yaml_config import ConfigError, Lines, line_for, load_yaml_mapping_with_lines, validate_mapping_with_lines
from i18n.catalog import SUPPORTED

log = logging.getLogger("sahayak.persona")

# Workflows are files in `<personalities>/workflows/` (bot/workflows/spec.py); a persona names the ones
# it runs, and the names are checked against that folder when everything loads. Intents are what the
# intent router (bot/graph/intents.py) can recognise.
KNOWN_INTENTS = (
    "greeting", "balance", "recent_transactions", "human", "resend_otp",
    "mini_statement", "email_statement",
    "report_fraud", "dispute_transaction", "failed_transfer",
    "login_problem", "block_card", "unblock_card", "change_pin", "card_limits",
    "portfolio", "sip_status", "nav", "loan_emi", "investment_advice",
)

# Bounds: a persona folder is a handful of small files; refuse a folder that is clearly something else.
MAX_PERSONAS = 64
# YAML files in the personalities folder that are configuration, not personas.
NOT_PERSONAS = ("llm.yaml",)


class Escalation(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    policy: Literal["conservative", "immediate", "minimal"]
    max_otp_failures: int = Field(ge=1, le=5)
    on_customer_request: bool
    # Thresholds (optional, so older files stay valid). risk_score: escalate when the risk scorer
    # (bot/workflows/risk.py, 0..100; medium from 40, high from 70) scores a turn at or above it.
    # max_unresolved_turns: hand to a person after this many turns in a row the bot could not answer.
    risk_score: int | None = Field(None, ge=0, le=100)
    max_unresolved_turns: int | None = Field(None, ge=1, le=20)
    # Which human queue takes this persona's escalations (the escalation queue routes by it).
    team: str = Field("support", pattern=r"^[a-z][a-z0-9_]{1,31}$")


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
    # Per language, the same disclaimers in the same order (e.g. "this is not investment advice").
    # Optional: a persona without disclaimers leaves the field out.
    disclaimers: dict[str, list[str]] = Field(default_factory=dict)
    # Intents this persona passes to another (persona id -> intents), with the conversation's context:
    # e.g. general hands suspected fraud to `fraud`. The receiving persona must run a workflow for each.
    handoffs: dict[str, list[str]] = Field(default_factory=dict)
    # Per language, the buttons offered with the greeting and when the bot did not understand.
    quick_replies: dict[str, list[str]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _consistent(self) -> Persona:
        unknown = [lang for lang in self.languages if lang not in SUPPORTED]
        if unknown:
            raise ValueError(f"languages {unknown} have no message catalog (supported: {list(SUPPORTED)})")
        if self.default_language not in self.languages:
            raise ValueError(f"default_language {self.default_language!r} is not in languages")
        if missing := [lang for lang in self.languages if lang not in self.greeting]:
            raise ValueError(f"greeting has no text for {missing}")
        if bad := [i for i in self.intents if i not in KNOWN_INTENTS]:
            raise ValueError(f"unknown intents {bad} (known: {list(KNOWN_INTENTS)})")
        for target, intents in self.handoffs.items():
            if target == self.id:
                raise ValueError("a persona cannot hand off to itself")
            if bad := [i for i in intents if i not in KNOWN_INTENTS]:
                raise ValueError(f"handoffs to {target!r}: unknown intents {bad}")
        if self.disclaimers:
            if extra := [lang for lang in self.disclaimers if lang not in self.languages]:
                raise ValueError(f"disclaimers for {extra}, which are not in languages")
            if missing := [lang for lang in self.languages if not self.disclaimers.get(lang)]:
                raise ValueError(f"disclaimers have no text for {missing}")
            counts = {lang: len(texts) for lang, texts in self.disclaimers.items()}
            if len(set(counts.values())) > 1:
                raise ValueError(f"every language needs the same disclaimers (counts: {counts})")
            if any(not text.strip() for texts in self.disclaimers.values() for text in texts):
                raise ValueError("a disclaimer is empty")
        return self


def load_persona(directory: Path, persona_id: str) -> Persona:
    """One persona file, `<directory>/<persona_id>.yaml`; its `id` must match the file name."""
    return _load_file(Path(directory) / f"{persona_id}.yaml")[0]


def _load_file(path: Path) -> tuple[Persona, Lines]:
    """The persona and its file's line map (kept for the checks across files)."""
    data, lines = load_yaml_mapping_with_lines(path)
    persona = validate_mapping_with_lines(data, lines, Persona, path)
    if persona.id != path.stem:
        raise ConfigError(path=str(path), line=line_for(lines, ("id",)), field="id",
                          message=f"id {persona.id!r} does not match the file name {path.stem!r}")
    return persona, lines


def load_all(directory: Path, required: tuple[str, ...] = ()) -> Mapping[str, Persona]:
    """Every `*.yaml` in `directory` (not sub-folders), validated; id -> Persona.

    Every file is checked before anything is refused, and the ConfigError lists every problem by
    file, line and field. `required` ids (the persona the gateway serves) must be among them."""
    directory = Path(directory)
    if not directory.is_dir():
        raise ConfigError(str(directory), None, "", "the personalities folder does not exist")
    # Dot-files are editors' lock and swap files (".#general.yaml"), not personas; nor are the LLM's
    # configuration (bot/llm/config.py) and example files kept beside the personas.
    paths = sorted(p for p in directory.glob("*.yaml") if p.is_file() and not p.name.startswith(".")
                   and p.name not in NOT_PERSONAS and not p.name.endswith(".example.yaml"))
    if len(paths) > MAX_PERSONAS:
        raise ConfigError(str(directory), None, "", f"more than {MAX_PERSONAS} persona files")
    personas: dict[str, Persona] = {}
    errors: list[ConfigError] = []
    file_lines: dict[Path, Lines] = {}
    for path in paths:
        try:
            persona, file_lines[path] = _load_file(path)
        except ConfigError as e:
            errors.extend(e.errors)
            continue
        # Ids match file names, so a clash needs two spellings of one name (a case-insensitive disk).
        if persona.id in personas:
            errors.append(ConfigError(str(path), None, "id", f"persona id {persona.id!r} is defined twice"))
            continue
        personas[persona.id] = persona
    for wanted in required:
        if wanted not in personas and not any(Path(e.path).stem == wanted for e in errors):
            errors.append(ConfigError(str(directory / f"{wanted}.yaml"), None, "",
                                      f"persona {wanted!r} is configured but there is no such file"))
    if not paths and not errors:
        errors.append(ConfigError(str(directory), None, "", "no persona files (*.yaml) in the folder"))
    workflows: Mapping[str, Any] = MappingProxyType({})
    try:
        workflows = load_workflows(directory / "workflows")
    except ConfigError as e:
        errors.extend(e.errors)
    else:
        # A persona whose own file is wrong is reported once, not again by each file that names it.
        broken = {Path(e.path).stem for e in errors}
        for path in paths:
            persona = personas.get(path.stem)
            if persona is not None:
                errors += _cross_check(path, file_lines[path], persona, personas, workflows, broken)
    if errors:
        raise ConfigError.combine(errors)
    return PersonaSet(MappingProxyType(personas), workflows)


class PersonaSet(dict):
    """id -> Persona, plus the workflows they run (`.workflows`: id -> checked Workflow)."""

    def __init__(self, personas: Mapping[str, Persona], workflows: Mapping[str, Any]):
        super().__init__(personas)
        self.workflows = workflows


def _cross_check(path: Path, lines: Lines, persona: Persona, personas: Mapping[str, Persona],
                 workflows: Mapping[str, Any], broken: set[str]) -> list[ConfigError]:
    """What one file cannot check alone: the workflows it names, its handoff targets, their languages."""
    errors: list[ConfigError] = []

    def fail(loc: tuple, message: str) -> None:
        errors.append(ConfigError(str(path), line_for(lines, loc), ".".join(map(str, loc)), message))

    for i, workflow_id in enumerate(persona.workflows):
        workflow = workflows.get(workflow_id)
        if workflow is None:
            fail(("workflows", i), f"unknown workflow {workflow_id!r} (workflows: {', '.join(sorted(workflows))})")
            continue
        if missing := [lang for lang in persona.languages if lang not in workflow.languages]:
            fail(("workflows", i), f"workflow {workflow_id!r} has no texts in {missing} (file {workflow.path})")
        for step_id, step in workflow.steps.items():
            if getattr(step, "type", "") == "handoff" and step.to != "back" and step.to not in personas \
                    and step.to not in broken:
                fail(("workflows", i), f"workflow {workflow_id!r} step {step_id!r} hands off to unknown persona "
                     f"{step.to!r}")
    handled = {intent for w in persona.workflows if w in workflows for intent in workflows[w].intents}
    if unrouted := [i for i in persona.intents if i not in handled and i not in _GRAPH_INTENTS]:
        fail(("intents",), f"no workflow of this persona starts with {unrouted}")
    for target, intents in persona.handoffs.items():
        other = personas.get(target)
        if other is None:
            if target not in broken:
                fail(("handoffs", target), f"unknown persona {target!r}")
            continue
        theirs = {i for w in other.workflows if w in workflows for i in workflows[w].intents if i in other.intents}
        if missing := [i for i in intents if i not in theirs]:
            fail(("handoffs", target), f"persona {target!r} runs no workflow for {missing}")
    return errors


# Intents the conversation graph answers itself, without a workflow.
_GRAPH_INTENTS = ("greeting", "human", "resend_otp")


class PersonaRegistry:
    """id -> Persona for every file in the personalities folder, swappable as a whole.

    Readers take `registry[id]` when they need a persona (the graph does, once per turn), so a
    reload reaches the next turn of every conversation; conversations' checkpoints hold no persona
    data and are never touched. A reload validates every file off the event loop and then replaces
    the whole mapping in one assignment: readers see the old set or the new one, never a mix."""

    def __init__(self, directory: Path, personas: Mapping[str, Persona], required: tuple[str, ...] = ()):
        self.directory = Path(directory)
        self.required = tuple(required)
        self._personas = MappingProxyType(dict(personas))
        self.workflows: Mapping[str, Any] = getattr(personas, "workflows", MappingProxyType({}))
        self.version = 1
        self.loaded_at = time.time()
        self._reloading = asyncio.Lock()
        self.on_reload: list = []  # called with the registry after a successful swap (rebuild the graph)

    @classmethod
    def load(cls, directory: Path, required: tuple[str, ...] = ()) -> PersonaRegistry:
        return cls(directory, load_all(directory, required), required)

    def __getitem__(self, persona_id: str) -> Persona:
        return self._personas[persona_id]

    def __contains__(self, persona_id: object) -> bool:
        return persona_id in self._personas

    def __iter__(self) -> Iterator[str]:
        return iter(self._personas)

    def __len__(self) -> int:
        return len(self._personas)

    def get(self, persona_id: str) -> Persona | None:
        return self._personas.get(persona_id)

    @property
    def ids(self) -> list[str]:
        return sorted(self._personas)

    async def reload(self) -> list[str]:
        """Re-read and validate every file; swap only if all are valid. Returns the ids now loaded.

        Raises ConfigError (every problem, by file, line and field) and keeps the current set."""
        async with self._reloading:  # a SIGHUP and an API call at once: one after the other
            personas = await asyncio.to_thread(load_all, self.directory, self.required)
            # The swap: personas and workflows together (readers take both from one turn's snapshot).
            self._personas, self.workflows = MappingProxyType(dict(personas)), personas.workflows
            for listener in list(self.on_reload):
                listener(self)
            self.version += 1
            self.loaded_at = time.time()
        log.info("personas reloaded from %s: %s (version %d)", self.directory, ", ".join(self.ids), self.version)
        return self.ids


class ServedPersona:
    """The persona this gateway serves, read from the registry at every attribute access, so what the
    channels say on their own (the email From name, SMS keyword replies) follows a reload as the
    conversations do. Reads like a Persona: `served.bank_name`, `served.id`."""

    def __init__(self, registry: PersonaRegistry, persona_id: str):
        self._registry = registry
        self._persona_id = persona_id

    @property
    def current(self) -> Persona:
        return self._registry[self._persona_id]

    def __getattr__(self, name: str) -> Any:
        return getattr(self.current, name)
