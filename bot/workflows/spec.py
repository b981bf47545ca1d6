"""Workflow files (`personalities/workflows/*.yaml`): their schema, and every check made at load time.

A workflow is a set of named steps; each step says what it does and where to go next:

    id: card_services
    name: Card services
    intents: {block_card: block_verify}       # the intents that start it, and the step each starts at
    steps:
      block_verify: {type: security_check, level: light, next: cards}
      cards:        {type: api_call, operation: list_cards, save_as: cards, next: pick}
      ...

Step types: security_check, api_call, ai_analysis, conditional, reply, confirm, escalate, handoff, plus
choose (pick one record from a list the bank returned: the only way a workflow gets a handle to act on)
and notify (an SMS / email to the customer's registered contact). bot/workflows/engine.py runs them.

Everything that can be wrong is found here, before a customer is waiting, and named by file, line and
field: unknown step types, fields and targets; operations that are not on the allow-list
(bot/workflows/operations.py); arguments that are not a record of the right kind; variables and
fields that no step saves (in conditions and in reply templates); a condition that is not true/false;
a state-changing operation some path reaches without the customer's "yes" to a confirm step (on_yes); an
operation some path reaches without a security_check of the level it needs."""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import re
import types
import typing
from collections.abc import Iterator, Mapping
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field

from bot.workflows.expressions import Expression, ExpressionError, compile_expression
from bot.workflows.operations import AUTH_ORDER, OPERATIONS, SCORERS, Operation
from bot.workflows.templates import Template, TemplateError
from bot.yaml_config import ConfigError, Lines, line_for, load_yaml_mapping_with_lines, validate_mapping_with_lines

MAX_WORKFLOWS = 64
MAX_STEPS = 80
NAME = r"^[a-z][a-z0-9_]{0,47}$"
StepId = Annotated[str, Field(pattern=NAME)]
Text = dict[str, str]  # language -> template


class _Step(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class SecurityCheck(_Step):
    type: Literal["security_check"]
    level: Literal["light", "full"]
    questions: bool = False  # ask a security question (date of birth) as well as the level's check
    next: StepId
    fallback: StepId | None = None  # verification impossible or failed; default: escalate


class ApiCall(_Step):
    type: Literal["api_call"]
    operation: str
    args: dict[str, str] = Field(default_factory=dict)
    save_as: StepId | None = None
    next: StepId
    on_refused: StepId | None = None  # the bank refused this operation for this record
    on_empty: StepId | None = None  # nothing found (None or an empty list)


class AiAnalysis(_Step):
    type: Literal["ai_analysis"]
    scorer: str
    args: dict[str, str] = Field(default_factory=dict)
    save_as: StepId
    next: StepId


class Branch(_Step):
    if_: str = Field(alias="if")
    goto: StepId


class Conditional(_Step):
    type: Literal["conditional"]
    branches: list[Branch] = Field(min_length=1, max_length=20)
    else_: StepId = Field(alias="else")


class ListSpec(_Step):
    each: str
    line: Text
    when: list[dict[str, Any]] = Field(default_factory=list)  # [{if: condition, line: Text}]: first match wins
    empty: Text | None = None
    max: int = Field(10, ge=1, le=50)
    separator: str = Field("\n", max_length=4)  # between items ("\n\n" for a blank line)
    # Lines under each item from a list inside it (e.g. an account's holds): `each` is a field of
    # `item`; its lines read `detail` (and `item`).
    details: ListSpec | None = None


class Reply(_Step):
    type: Literal["reply"]
    say: Text
    list_: ListSpec | None = Field(None, alias="list")  # one line per record of a list variable
    say_after: Text | None = None
    buttons: list[Text] = Field(default_factory=list, max_length=10)
    disclaimer: bool = False  # append the persona's disclaimers
    next: StepId | None = None  # none: the workflow is done


class Confirm(_Step):
    type: Literal["confirm"]
    say: Text
    # Not `yes:` / `no:`: YAML 1.1 reads those keys as booleans.
    on_yes: StepId
    on_no: StepId


class Other(_Step):
    label: Text
    next: StepId


class Choose(_Step):
    type: Literal["choose"]
    from_: str = Field(alias="from")
    where: str | None = None  # a condition over `item`
    say: Text
    label: Text  # a template over `item`
    keys: list[str] = Field(default_factory=list)  # item fields the customer may type to pick (e.g. last4)
    save_as: StepId
    empty: StepId
    other: Other | None = None  # an extra choice ("It's not in this list")
    next: StepId


class Email(_Step):
    subject: Text
    body: Text


class Notify(_Step):
    type: Literal["notify"]
    sms: Text | None = None
    email: Email | None = None
    next: StepId | None = None
    # Where to go when the message could not be sent (no channel, the provider refused): a reply that
    # does not say "an SMS is on its way". Unset: `next`, as if it had been sent.
    on_failed: StepId | None = None


class Escalate(_Step):
    type: Literal["escalate"]
    reason: str = Field(pattern=NAME)
    team: str | None = Field(None, pattern=NAME)  # default: the persona's escalation team
    priority: Literal["urgent", "high", "normal"] | None = None
    say: Text | None = None  # default: the catalogue's "handed to a person" with the reference


class Handoff(_Step):
    type: Literal["handoff"]
    to: str = Field(pattern=NAME)  # a persona id, or "back" (to the persona that handed over)
    intent: str | None = None  # what the receiving persona should start with
    note: str = Field("", max_length=200)  # context for the receiving persona and the audit trail


Step = Annotated[Union[SecurityCheck, ApiCall, AiAnalysis, Conditional, Reply, Confirm, Choose, Notify,
                       Escalate, Handoff], Field(discriminator="type")]


class WorkflowFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=NAME)
    name: str = Field(min_length=1)
    description: str = ""
    intents: dict[str, StepId] = Field(min_length=1)
    steps: dict[StepId, Step] = Field(min_length=1, max_length=MAX_STEPS)


# ------------------------------------------------------------------------------- compiled workflow


@dataclasses.dataclass(frozen=True)
class Workflow:
    """A checked workflow: the file's steps plus everything compiled from them."""

    id: str
    name: str
    path: str
    intents: Mapping[str, str]
    steps: Mapping[str, Any]
    conditions: Mapping[tuple[str, int], Expression]  # (step, branch index) -> condition; (step, -1) for where
    list_conditions: Mapping[tuple[str, int], Expression]  # (step, when index) of a reply's list
    templates: Mapping[tuple[str, str], dict[str, Template]]  # (step, field) -> language -> template
    var_types: Mapping[str, Any]
    languages: frozenset[str]  # languages every text of the file has

    def text(self, step_id: str, field: str) -> dict[str, Template]:
        return self.templates[(step_id, field)]


@dataclasses.dataclass(frozen=True)
class CaseRef:
    """What an escalate step's text may quote: `{case.reference}`."""

    reference: str


BUILTINS: dict[str, Any] = {"persona_id": str, "bank_name": str, "channel": str, "language": str, "risk_threshold": Decimal}


def _unwrap(spec: Any) -> Any:
    origin = get_origin(spec)
    if origin in (Union, types.UnionType):
        arms = [a for a in get_args(spec) if a is not type(None)]
        return _unwrap(arms[0]) if len(arms) == 1 else Any
    return spec


def element_type(spec: Any) -> Any:
    spec = _unwrap(spec)
    if get_origin(spec) in (list, tuple):
        args = get_args(spec)
        return args[0] if args else Any
    return None


@functools.lru_cache(maxsize=1024)
def declared_paths(name: str, spec: Any, depth: int = 0) -> dict[str, Any]:
    """`name` and, for a dataclass, every field path below it (what conditions and templates may read)."""
    spec = _unwrap(spec)
    paths: dict[str, Any] = {}
    if dataclasses.is_dataclass(spec):
        paths[name] = "record"
        if depth < 3:
            for f in dataclasses.fields(spec):
                paths.update(declared_paths(f"{name}.{f.name}", _field_type(spec, f), depth + 1))
        return paths
    if get_origin(spec) in (list, tuple) or spec in (list, tuple):
        paths[name] = "list"
        return paths
    if spec in (Decimal, int, float):
        paths[name] = Decimal
    elif spec in (str, bool, date):
        paths[name] = spec
    elif spec is datetime:
        paths[name] = "date"
    elif isinstance(spec, type) and issubclass(spec, dict):
        paths[name] = "record"
    else:
        paths[name] = "any"
    return paths


def _field_type(cls: type, f: dataclasses.Field) -> Any:
    return _hints(cls).get(f.name, Any)


@functools.lru_cache(maxsize=256)
def _hints(cls: type) -> dict[str, Any]:
    try:
        return typing.get_type_hints(cls)
    except Exception:  # an annotation that cannot be resolved: read every field as "any"
        return {}


def _type_name(spec: Any) -> str:
    spec = _unwrap(spec)
    inner = element_type(spec)
    if inner is not None:
        return f"list of {_type_name(inner)}"
    return getattr(spec, "__name__", str(spec))


class _Checker:
    """Walks one parsed file and collects every problem with its line."""

    def __init__(self, path: Path, wf: WorkflowFile, lines: Lines):
        self.path, self.wf, self.lines = path, wf, lines
        self.errors: list[ConfigError] = []
        self.var_types: dict[str, Any] = dict(BUILTINS)
        self.conditions: dict[tuple[str, int], Expression] = {}
        self.list_conditions: dict[tuple[str, int], Expression] = {}
        self.templates: dict[tuple[str, str], dict[str, Template]] = {}
        self.languages: set[str] | None = None

    def fail(self, loc: tuple, message: str) -> None:
        field = ".".join(str(p) for p in loc)
        self.errors.append(ConfigError(str(self.path), line_for(self.lines, loc), field, message))

    def where(self, loc: tuple) -> str:
        return f"{self.path}:{line_for(self.lines, loc)}"

    # -- targets and variables

    def check(self) -> None:
        steps = self.wf.steps
        for intent, target in self.wf.intents.items():
            if target not in steps:
                self.fail(("intents", intent), f"intent {intent!r} starts at {target!r}, which is not a step")
        for sid, step in steps.items():
            for field, target in step_targets(step):
                if target not in steps:
                    self.fail(("steps", sid, *field), f"{target!r} is not a step of this workflow "
                              f"(steps: {', '.join(steps)})")
        self._types()
        for sid, step in steps.items():
            self._check_step(sid, step)
        self._check_paths()

    def _types(self) -> None:
        # Saved variables and their types; a name saved by two steps must hold the same kind of thing.
        for sid, step in self.wf.steps.items():
            if not isinstance(step, (ApiCall, AiAnalysis)):
                continue
            op = operation_of(step)
            if op is None:
                field, name_, known = (("operation", step.operation, OPERATIONS) if isinstance(step, ApiCall)
                                       else ("scorer", step.scorer, SCORERS))
                self.fail(("steps", sid, field), f"unknown {field} {name_!r} "
                          f"({'allowed' if field == 'operation' else 'scorers'}: {', '.join(sorted(known))})")
                continue
            name = step.save_as
            saved = op.result if name else None
            if name is None:
                continue
            if name in BUILTINS:
                self.fail(("steps", sid, "save_as"), f"{name!r} is a built-in variable")
            elif name in self.var_types and self.var_types[name] != saved:
                self.fail(("steps", sid, "save_as"), f"{name!r} is saved elsewhere as {_type_name(self.var_types[name])}")
            else:
                self.var_types[name] = saved
        # `choose` saves one element of its list (types of lists are known once every api_call is read).
        for sid, step in self.wf.steps.items():
            if isinstance(step, Choose):
                source = self.var_types.get(step.from_)
                item = element_type(source) if source is not None else None
                if item is None:
                    self.fail(("steps", sid, "from"), f"{step.from_!r} is not a list saved by an api_call step")
                    continue
                self.var_types[step.save_as] = item

    def declared(self, extra: Mapping[str, Any] = MappingProxyType({})) -> dict[str, Any]:
        known: dict[str, Any] = {}
        for name, spec in {**self.var_types, **extra}.items():
            known.update(declared_paths(name, spec))  # cached: callers must not modify the result
        return known

    def expression(self, source: Any, loc: tuple, *, extra: Mapping[str, Any] = MappingProxyType({}),
                   boolean: bool = True) -> Expression | None:
        try:
            return compile_expression(source, variables=self.declared(extra), where=self.where(loc), boolean=boolean)
        except ExpressionError as e:
            self.errors.append(ConfigError(str(self.path), line_for(self.lines, loc), ".".join(map(str, loc)),
                                           str(e).split(": ", 1)[-1]))
            return None

    def text(self, sid: str, field: str, text: Mapping[str, str] | None, loc: tuple,
             extra: Mapping[str, Any] = MappingProxyType({})) -> None:
        if text is None:
            return
        if not text:
            self.fail(loc, "a text needs at least one language")
            return
        compiled: dict[str, Template] = {}
        known = self.declared(extra)
        for lang, source in text.items():
            try:
                template = Template(source)
            except TemplateError as e:
                self.fail((*loc, lang), str(e))
                continue
            unknown = [p for p in template.paths if p not in known]
            if unknown:
                self.fail((*loc, lang), f"unknown variable {unknown[0]!r} in the text "
                          f"(saved variables: {', '.join(sorted(k for k in self.var_types if k not in BUILTINS)) or 'none'})")
            compiled[lang] = template
        self.templates[(sid, field)] = compiled
        langs = set(text)
        self.languages = langs if self.languages is None else self.languages & langs

    def _check_step(self, sid: str, step: Any) -> None:
        loc = ("steps", sid)
        if isinstance(step, (ApiCall, AiAnalysis)):
            if (op := operation_of(step)) is not None:
                self._check_args(sid, step, op)
        elif isinstance(step, Conditional):
            for i, branch in enumerate(step.branches):
                if cond := self.expression(branch.if_, (*loc, "branches", i, "if")):
                    self.conditions[(sid, i)] = cond
        elif isinstance(step, Reply):
            self.text(sid, "say", step.say, (*loc, "say"))
            self.text(sid, "say_after", step.say_after, (*loc, "say_after"))
            for i, button in enumerate(step.buttons):
                self.text(sid, f"button{i}", button, (*loc, "buttons", i))
            if step.list_ is not None:
                self._check_list(sid, step.list_, (*loc, "list"))
        elif isinstance(step, Confirm):
            self.text(sid, "say", step.say, (*loc, "say"))
        elif isinstance(step, Choose):
            item = {"item": self.var_types.get(step.save_as, Any)}
            if step.where is not None and (cond := self.expression(step.where, (*loc, "where"), extra=item)):
                self.conditions[(sid, -1)] = cond
            self.text(sid, "say", step.say, (*loc, "say"))
            self.text(sid, "label", step.label, (*loc, "label"), extra=item)
            if step.other is not None:
                self.text(sid, "other", step.other.label, (*loc, "other", "label"))
            fields = {f"item.{k}" for k in step.keys}
            known = self.declared(item)
            for key in step.keys:
                if f"item.{key}" not in known:
                    self.fail((*loc, "keys"), f"{key!r} is not a field of the items of {step.from_!r}")
            del fields
        elif isinstance(step, Notify):
            if step.sms is None and step.email is None:
                self.fail(loc, "a notify step needs sms, email or both")
            self.text(sid, "sms", step.sms, (*loc, "sms"))
            if step.email is not None:
                self.text(sid, "email_subject", step.email.subject, (*loc, "email", "subject"))
                self.text(sid, "email_body", step.email.body, (*loc, "email", "body"))
        elif isinstance(step, Escalate):
            self.text(sid, "say", step.say, (*loc, "say"), extra={"case": CaseRef})
        elif isinstance(step, Handoff):
            pass  # the target persona is checked against the persona set (bot/workflows/registry.py)

    def _check_list(self, sid: str, spec: ListSpec, loc: tuple, outer: Mapping[str, Any] | None = None,
                    prefix: str = "list") -> None:
        types_ = {**self.var_types, **(outer or {})}
        known = self.declared(outer or {})
        if known.get(spec.each) != "list":
            self.fail((*loc, "each"), f"{spec.each!r} is not a list variable")
            return
        element = _item_type(types_, spec.each) or Any
        extra = {**(outer or {}), ("detail" if outer else "item"): element}
        self.text(sid, f"{prefix}_line", spec.line, (*loc, "line"), extra=extra)
        self.text(sid, f"{prefix}_empty", spec.empty, (*loc, "empty"), extra=outer or {})
        if spec.details is not None:
            if outer:
                self.fail((*loc, "details"), "details cannot be nested further")
            else:
                self._check_list(sid, spec.details, (*loc, "details"), outer=extra, prefix="details")
        for i, alt in enumerate(spec.when):
            if set(alt) != {"if", "line"}:
                self.fail((*loc, "when", i), "each alternative needs exactly `if` and `line`")
                continue
            if cond := self.expression(alt["if"], (*loc, "when", i, "if"), extra=extra):
                self.list_conditions[(f"{sid}.{prefix}", i)] = cond
            if not isinstance(alt["line"], dict) or not all(isinstance(v, str) for v in alt["line"].values()):
                self.fail((*loc, "when", i, "line"), "line must map languages to texts")
                continue
            self.text(sid, f"{prefix}_when{i}", alt["line"], (*loc, "when", i, "line"), extra=extra)

    def _check_args(self, sid: str, step: ApiCall | AiAnalysis, op: Operation) -> None:
        loc = ("steps", sid, "args")
        wanted = set(op.records) | set(op.literals)
        for name in wanted - set(step.args):
            self.fail(loc, f"{op.name} needs the argument {name!r}")
        for name, value in step.args.items():
            if name in op.records:
                have = _path_type(self.var_types, value)
                if have is None:
                    self.fail((*loc, name), f"{value!r} is not a saved variable (a record chosen earlier)")
                elif _unwrap(have) is not op.records[name]:
                    self.fail((*loc, name), f"{value!r} holds {_type_name(have)}, but {name!r} needs "
                              f"a {op.records[name].__name__} chosen from the customer's own list")
            elif name in op.literals:
                if value not in op.literals[name]:
                    self.fail((*loc, name), f"{value!r} is not allowed (one of: {', '.join(op.literals[name])})")
            else:
                self.fail((*loc, name), f"{op.name} takes no argument {name!r}")

    def _check_paths(self) -> None:
        """Safety by construction, over every path through the step graph from each entry:
        - a state-changing operation needs a "yes" to a confirm step on every path to it;
        - an operation needs a security_check of its auth level on every path to it;
        - a variable must have been saved on every path before a step reads it (else it reads null,
          which conditions treat as false; flagged only for api_call/ai_analysis arguments)."""
        steps = self.wf.steps
        for intent, entry in self.wf.intents.items():
            if entry not in steps:
                continue
            # state: (step, confirmed, auth) ; auth as an int level
            seen: set[tuple[str, bool, int]] = set()
            todo = [(entry, False, 0)]
            while todo:
                sid, confirmed, auth = todo.pop()
                if (sid, confirmed, auth) in seen or sid not in steps:
                    continue
                seen.add((sid, confirmed, auth))
                step = steps[sid]
                op = operation_of(step)
                if op is not None:
                    if op.changes_state and not confirmed:
                        self.fail(("steps", sid, "operation"), f"{op.name} changes the customer's records, "
                                  f"but the path from intent {intent!r} reaches it without a confirm step's yes")
                    if AUTH_ORDER[op.auth] > auth:
                        self.fail(("steps", sid), f"{op.name} needs {op.auth} verification, but the path from "
                                  f"intent {intent!r} reaches it without a security_check of that level")
                if isinstance(step, SecurityCheck):
                    auth = max(auth, AUTH_ORDER[step.level])
                for field, target in step_targets(step):
                    todo.append((target, (confirmed or field == ("on_yes",)) and field != ("on_no",), auth))


def _path_type(var_types: Mapping[str, Any], path: str) -> Any:
    """The declared type at a dotted path (`access.account` -> Account), or None."""
    head, *rest = path.split(".")
    spec = var_types.get(head)
    for name in rest:
        spec = _unwrap(spec)
        if spec is None or not dataclasses.is_dataclass(spec):
            return None
        spec = next((_field_type(spec, f) for f in dataclasses.fields(spec) if f.name == name), None)
    return spec


def _item_type(var_types: Mapping[str, Any], path: str) -> Any:
    head, *rest = path.split(".")
    spec = var_types.get(head)
    for name in rest:
        spec = _unwrap(spec)
        if not dataclasses.is_dataclass(spec):
            return None
        spec = next((_field_type(spec, f) for f in dataclasses.fields(spec) if f.name == name), None)
    return element_type(spec) if spec is not None else None


def operation_of(step: Any) -> Operation | None:
    """The allow-listed operation an api_call or ai_analysis step names (None: unknown, or another step)."""
    if isinstance(step, ApiCall):
        return OPERATIONS.get(step.operation)
    if isinstance(step, AiAnalysis):
        return SCORERS.get(step.scorer)
    return None


def step_targets(step: Any) -> Iterator[tuple[tuple, str]]:
    for name in ("next", "fallback", "on_refused", "on_empty", "on_failed", "on_yes", "on_no", "empty"):
        value = getattr(step, name, None)
        if value:
            yield (name,), value
    if isinstance(step, Conditional):
        for i, branch in enumerate(step.branches):
            yield ("branches", i, "goto"), branch.goto
        yield ("else",), step.else_
    if isinstance(step, Choose) and step.other is not None:
        yield ("other", "next"), step.other.next


def _boolean_keys(path: Path, data: Any, lines: Lines, at: tuple = ()) -> list[ConfigError]:
    """Keys YAML 1.1 reads as true/false (`yes:`, `no:`, `on:`, `off:`): a confirm step's `yes:` would
    otherwise be reported as "Keys should be strings" next to a missing on_yes."""
    errors: list[ConfigError] = []
    if isinstance(data, Mapping):
        for key, value in data.items():
            if isinstance(key, bool):
                line = line_for(lines, (*at, key))
                word = _spelling(path, line, key)
                errors.append(ConfigError(str(path), line, ".".join(map(str, (*at, word))),
                                          f"YAML reads the key `{word}:` as {str(key).lower()}; a confirm step's "
                                          f"answers are on_yes and on_no, and any other such key must be quoted "
                                          f"('{word}':)"))
            else:
                errors += _boolean_keys(path, value, lines, (*at, key))
    elif isinstance(data, list):
        for i, item in enumerate(data):
            errors += _boolean_keys(path, item, lines, (*at, i))
    return errors


def _spelling(path: Path, line: int | None, value: bool) -> str:
    """How the file spells a boolean key on `line` (for the message), else "true"/"false"."""
    words = r"yes|on|true|y" if value else r"no|off|false|n"
    try:
        text = path.read_text(encoding="utf-8-sig").splitlines()[line - 1] if line else ""
    except (OSError, IndexError, UnicodeDecodeError):
        text = ""
    found = re.search(rf"(?<![\w'\"])({words})\s*:", text, re.IGNORECASE)
    return found.group(1) if found else str(value).lower()


def load_workflow(path: Path) -> Workflow:
    data, lines = load_yaml_mapping_with_lines(path)
    if booleans := _boolean_keys(path, data, lines):
        raise ConfigError.combine(booleans)
    wf = validate_mapping_with_lines(data, lines, WorkflowFile, path)
    if wf.id != path.stem:
        raise ConfigError(str(path), line_for(lines, ("id",)), "id",
                          f"id {wf.id!r} does not match the file name {path.stem!r}")
    checker = _Checker(path, wf, lines)
    checker.check()
    if checker.errors:
        raise ConfigError.combine(checker.errors)
    return Workflow(wf.id, wf.name, str(path), MappingProxyType(dict(wf.intents)), MappingProxyType(dict(wf.steps)),
                    MappingProxyType(checker.conditions), MappingProxyType(checker.list_conditions),
                    MappingProxyType(checker.templates), MappingProxyType(checker.var_types),
                    frozenset(checker.languages or ()))


_LOADED: dict[tuple[str, str], Workflow] = {}


def _load_cached(path: Path) -> Workflow:
    """A checked Workflow is immutable: the same bytes at the same path load once per process (every
    gateway app in a test run, every reload that did not touch this file); compiled subgraphs are
    cached per Workflow object in turn (engine.compile_workflow)."""
    try:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return load_workflow(path)  # let the loader report the unreadable file
    key = (str(path.resolve()), digest)
    workflow = _LOADED.get(key)
    if workflow is None:
        workflow = load_workflow(path)
        if len(_LOADED) >= 256:
            _LOADED.clear()
        _LOADED[key] = workflow
    return workflow


def load_workflows(directory: Path) -> Mapping[str, Workflow]:
    """Every `*.yaml` in `directory`, checked; every problem of every file in one ConfigError."""
    directory = Path(directory)
    if not directory.is_dir():
        raise ConfigError(str(directory), None, "", "the workflows folder does not exist")
    paths = sorted(p for p in directory.glob("*.yaml") if p.is_file() and not p.name.startswith("."))
    if len(paths) > MAX_WORKFLOWS:
        raise ConfigError(str(directory), None, "", f"more than {MAX_WORKFLOWS} workflow files")
    workflows: dict[str, Workflow] = {}
    errors: list[ConfigError] = []
    for path in paths:
        try:
            workflow = _load_cached(path)
        except ConfigError as e:
            errors.extend(e.errors)
            continue
        workflows[workflow.id] = workflow
    if errors:
        raise ConfigError.combine(errors)
    return MappingProxyType(workflows)
