"""The intent catalogue (personalities/intents/catalogue.yaml): every intent the bot recognises, what it
means, where it leads, and the examples the router learns from, in every supported language.

Validated with pydantic; every problem is reported by file, line and field (bot.yaml_config), and all
of them at once. Beyond the schema:

- the names are exactly the intents personas and workflows use (bot.persona.KNOWN_INTENTS) plus
  `out_of_scope`, each once;
- `leads_to` is "graph" for what the conversation graph answers itself (greeting, human, resend_otp),
  "none" for out_of_scope, and a workflow id otherwise (checked against the workflow files by the tests,
  so the router does not depend on the persona folder);
- `button` names an i18n key starting with btn_;
- every language has at least MIN_EXAMPLES[language] examples;
- `topics` (optional) are finer kinds of one intent ("pending", "declined" and "not received" under
  failed_transfer; "transfer timing" or "card delivery" under out_of_scope). The router learns each
  topic as a class of its own and adds the topics' confidences up to their intent's: a linear model
  separates "how long do transfers take" from "my transfer is stuck" far better as two narrow classes
  than inside two broad ones. A topic needs MIN_TOPIC_EXAMPLES English examples, other languages
  optional; topic names are unique in the catalogue; a topic's `clarify` names requests
  (not out_of_scope) the bot offers when the topic wins;
- no example, once normalised, is under two intents or two topics (the router could not learn both),
  and none normalises to nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, create_model

from bot.persona import KNOWN_INTENTS
from bot.understanding.normalise import normalise
from bot.yaml_config import ConfigError, format_field, line_for, parse_yaml_mapping_with_lines, validate_mapping_with_lines
from i18n.catalog import MESSAGES

OUT_OF_SCOPE = "out_of_scope"
INTENT_NAMES = (*KNOWN_INTENTS, OUT_OF_SCOPE)
# What the conversation graph answers without a workflow (bot/persona.py has the same list).
GRAPH_INTENTS = ("greeting", "human", "resend_otp")

# The languages every intent has examples in: English, Hindi in Devanagari, Hinglish (Hindi in Latin
# script), Tamil, Telugu, Bengali, Marathi; and how many examples each needs at least.
LANGUAGES = ("en", "hi", "hinglish", "ta", "te", "bn", "mr")
MIN_EXAMPLES: Mapping[str, int] = MappingProxyType(
    {"en": 25, "hi": 10, "hinglish": 10, "ta": 4, "te": 4, "bn": 4, "mr": 4})
MIN_TOPIC_EXAMPLES = 10  # English examples a topic needs: fewer give the SVM no shape to learn
MAX_TOPICS = 64  # per intent
MAX_CLARIFY = 3  # the clarifying question's buttons, besides "Something else"

# Bounds: the catalogue is a hand-written file, not a data dump.
MAX_BYTES = 2 * 1024 * 1024
MAX_EXAMPLES_PER_LANGUAGE = 500
MAX_EXAMPLE_CHARS = 300

Example = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_EXAMPLE_CHARS)]


def _per_language(name: str, field: Callable[[str], Any]) -> type[BaseModel]:
    """A model with one list of examples per language of LANGUAGES, each bounded by `field(language)`:
    a language added to LANGUAGES is a field of every examples model at once."""
    return create_model(name, __config__=ConfigDict(extra="forbid", frozen=True),
                        **{language: (list[Example], field(language)) for language in LANGUAGES})


# An intent's examples: every language, at least MIN_EXAMPLES[language] each.
Examples = _per_language("Examples", lambda language: Field(min_length=MIN_EXAMPLES[language],
                                                            max_length=MAX_EXAMPLES_PER_LANGUAGE))
# A topic's examples: English required, the other languages where they help.
TopicExamples = _per_language("TopicExamples", lambda language: Field(
    default_factory=list, min_length=MIN_TOPIC_EXAMPLES if language == "en" else 0,
    max_length=MAX_EXAMPLES_PER_LANGUAGE))


class TopicSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z][a-z0-9_]{1,47}$")
    description: str = Field(min_length=1, max_length=1000)
    # When this topic wins, the message is too vague to act on: ask which of these it is (buttons).
    clarify: list[str] = Field(default_factory=list, max_length=MAX_CLARIFY)
    examples: TopicExamples


class IntentSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z][a-z0-9_]{1,47}$")
    description: str = Field(min_length=1, max_length=1000)
    leads_to: str = Field(pattern=r"^[a-z][a-z0-9_]{0,47}$")
    button: str | None = Field(None, pattern=r"^btn_[a-z0-9_]+$")
    examples: Examples
    topics: list[TopicSpec] = Field(default_factory=list, max_length=MAX_TOPICS)


class _CatalogueFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    intents: list[IntentSpec] = Field(min_length=1, max_length=64)


@dataclass(frozen=True)
class IntentCatalogue:
    path: str
    digest: str  # sha256 of the file's bytes: the router's cache key
    intents: tuple[IntentSpec, ...]

    def get(self, name: str) -> IntentSpec | None:
        return next((i for i in self.intents if i.name == name), None)

    def topic(self, name: str) -> TopicSpec | None:
        return next((t for i in self.intents for t in i.topics if t.name == name), None)

    def examples(self) -> Iterator[tuple[str, str, str]]:
        """(intent, language, example) for every example, its topics' included, in file order."""
        for intent, _topic, language, text in self.labelled_examples():
            yield intent, language, text

    def labelled_examples(self) -> Iterator[tuple[str, str | None, str, str]]:
        """(intent, topic or None, language, example) for every example, in file order: first an
        intent's own examples (topic None), then each of its topics'."""
        for intent in self.intents:
            for topic, examples in ((None, intent.examples), *((t.name, t.examples) for t in intent.topics)):
                for language in LANGUAGES:
                    for text in getattr(examples, language):
                        yield intent.name, topic, language, text


def load_catalogue(path: Path | str) -> IntentCatalogue:
    """Read and check the catalogue; every problem raises ConfigError (file:line: field: message)."""
    raw = read_catalogue_bytes(path)
    return parse_catalogue(raw, path)


def parse_catalogue(raw: bytes, path: Path | str) -> IntentCatalogue:
    """Like `load_catalogue`, for the file's bytes already in hand (`path` is for messages)."""
    shown = str(path)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise ConfigError(shown, raw[: e.start].count(b"\n") + 1, "", "file is not valid UTF-8") from e
    data, lines = parse_yaml_mapping_with_lines(text, shown)
    parsed = validate_mapping_with_lines(data, lines, _CatalogueFile, shown)
    errors = _check(parsed, lines, shown)
    if errors:
        raise ConfigError.combine(errors)
    return IntentCatalogue(shown, hashlib.sha256(raw).hexdigest(), tuple(parsed.intents))


def read_catalogue_bytes(path: Path | str) -> bytes:
    """The file's bytes, bounded; ConfigError when it cannot be read."""
    try:
        with open(path, "rb") as f:
            raw = f.read(MAX_BYTES + 1)
    except OSError as e:
        raise ConfigError(str(path), None, "", f"cannot read file: {e.strerror or e}") from e
    if len(raw) > MAX_BYTES:
        raise ConfigError(str(path), None, "", f"file is larger than {MAX_BYTES} bytes")
    return raw


def _two_meanings(first: str, second: str) -> str:
    """How to name the clash of one example under `first` and `second` ("intent" or "intent.topic")."""
    if "." not in first and "." not in second:
        return "two intents"
    if "." in first and "." in second:
        return "two topics"
    if first.split(".")[0] == second.split(".")[0]:
        return "both an intent and one of its topics (an intent's own examples are a class of their own)"
    return "two intents"


def _check(parsed: _CatalogueFile, lines, path: str) -> list[ConfigError]:
    errors: list[ConfigError] = []

    def fail(loc: tuple, message: str) -> None:
        errors.append(ConfigError(path, line_for(lines, loc), format_field(loc), message))

    seen_names: dict[str, int] = {}
    seen_topics: dict[str, int] = {}
    owner: dict[str, tuple[str, int | None]] = {}  # normalised example -> (intent or intent.topic, line)

    def own(loc: tuple, example: str, label: str) -> None:
        key = normalise(example)
        if not key:
            fail(loc, f"example {example!r} has no words (only punctuation or symbols)")
            return
        first = owner.get(key)
        if first is None:
            owner[key] = (label, line_for(lines, loc))
        elif first[0] != label:
            fail(loc, f"example {example!r} is also under {first[0]!r} (line {first[1]}): "
                      f"one sentence cannot mean {_two_meanings(first[0], label)}")
    for i, intent in enumerate(parsed.intents):
        at = ("intents", i)
        if intent.name not in INTENT_NAMES:
            fail(at + ("name",), f"unknown intent {intent.name!r} (known: {', '.join(INTENT_NAMES)})")
        elif intent.name in seen_names:
            fail(at + ("name",), f"intent {intent.name!r} is defined twice (first on line {seen_names[intent.name]})")
        else:
            seen_names[intent.name] = line_for(lines, at + ("name",)) or 0
        expected = "graph" if intent.name in GRAPH_INTENTS else "none" if intent.name == OUT_OF_SCOPE else None
        if expected is not None and intent.leads_to != expected:
            fail(at + ("leads_to",), f"{intent.name} leads to {expected!r}")
        if expected is None and intent.leads_to in ("graph", "none"):
            fail(at + ("leads_to",), f"{intent.name} needs a workflow id (only {', '.join(GRAPH_INTENTS)} lead to "
                                     f"'graph', only {OUT_OF_SCOPE} to 'none')")
        if intent.button is not None and intent.button not in MESSAGES:
            fail(at + ("button",), f"no message key {intent.button!r} in the i18n catalog")
        for language in LANGUAGES:
            for j, example in enumerate(getattr(intent.examples, language)):
                own(at + ("examples", language, j), example, intent.name)
        for k, topic in enumerate(intent.topics):
            t_at = at + ("topics", k)
            if topic.name in seen_topics:
                fail(t_at + ("name",), f"topic {topic.name!r} is defined twice (first on line "
                                       f"{seen_topics[topic.name]})")
            else:
                seen_topics[topic.name] = line_for(lines, t_at + ("name",)) or 0
            for j, asked in enumerate(topic.clarify):
                if asked not in INTENT_NAMES or asked == OUT_OF_SCOPE:
                    fail(t_at + ("clarify", j), f"clarify names {asked!r}, not a request the bot can start "
                                                f"(one of {', '.join(KNOWN_INTENTS)})")
            for language in LANGUAGES:
                for j, example in enumerate(getattr(topic.examples, language)):
                    own(t_at + ("examples", language, j), example, f"{intent.name}.{topic.name}")
    missing = [name for name in INTENT_NAMES if name not in seen_names]
    if missing:
        fail(("intents",), f"intents without an entry: {', '.join(missing)}")
    errors.sort(key=lambda e: (e.line is None, e.line or 0))
    return errors
