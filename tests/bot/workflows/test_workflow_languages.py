"""Every workflow file speaks every language the bot offers, and says the same thing in each.

The loader (bot/workflows/spec.py) computes a workflow's `languages` as the languages EVERY one of its
texts has, and a persona may only offer languages its workflows have. These tests hold each file in
personalities/workflows/ to the full set, and check what the loader cannot: that a translation reads
the same variables through the same filters as the English (a dropped {card.last4}, or an amount
without |inr, would render without error but wrongly), that it is written in its own script rather
than left empty or in English, and that reply buttons fit a WhatsApp button title.

Texts are read from the loader's own compiled view (`Workflow.templates`), so every kind of text is
covered: say, label, buttons, sms, email subject and body, list lines, `when` lines and details.
One parameter per file, its id the file's stem, so `pytest -k card_services` checks one file."""

from __future__ import annotations

import functools
import re
from collections import Counter
from pathlib import Path

import pytest

from bot.settings import PACKAGE_PERSONALITIES
from bot.workflows.spec import Reply, Workflow, load_workflow
from channels.whatsapp_wire import REPLY_TITLE_MAX

LANGUAGES = frozenset({"en", "hi", "hinglish", "ta", "te", "bn", "mr"})
WORKFLOW_FILES = sorted((PACKAGE_PERSONALITIES / "workflows").glob("*.yaml"))

# The Unicode block each language is written in (hi and mr share Devanagari).
SCRIPTS = {
    "hi": ("Devanagari", 0x0900, 0x097F),
    "mr": ("Devanagari", 0x0900, 0x097F),
    "bn": ("Bengali", 0x0980, 0x09FF),
    "ta": ("Tamil", 0x0B80, 0x0BFF),
    "te": ("Telugu", 0x0C00, 0x0C7F),
}
INDIC_BLOCKS = (0x0900, 0x0DFF)  # Devanagari .. Sinhala: none of it belongs in Hinglish

# The template grammar of bot/workflows/templates.py: `{{` and `}}` are literal braces.
_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([^{}]*)\}")

files = pytest.mark.parametrize("path", WORKFLOW_FILES, ids=[p.stem for p in WORKFLOW_FILES])


@functools.cache
def _load(path: Path) -> Workflow:
    return load_workflow(path)


def _placeholders(source: str) -> Counter[str]:
    """`path|filter` of every placeholder, spaces removed, with how often each occurs."""
    return Counter("".join(m.group(1).split()) for m in _PLACEHOLDER.finditer(source) if m.group(1) is not None)


def _words(source: str) -> str:
    """The text a customer reads apart from the values filled in."""
    return _PLACEHOLDER.sub(" ", source)


def _has_letters(text: str) -> bool:
    return any(c.isalpha() for c in text)


def _in_block(text: str, low: int, high: int) -> bool:
    return any(low <= ord(c) <= high for c in text)


def _texts(workflow: Workflow):
    """(where, {language: source}) for every text of the workflow."""
    for (step, field), templates in workflow.templates.items():
        yield f"{workflow.id}.{step}.{field}", {lang: t.source for lang, t in templates.items()}


@files
def test_every_text_has_every_language(path: Path) -> None:
    workflow = _load(path)
    missing = [f"{where}: {', '.join(sorted(LANGUAGES - set(text)))}"
               for where, text in _texts(workflow) if LANGUAGES - set(text)]
    assert not missing, "texts lacking languages:\n" + "\n".join(missing)
    assert workflow.languages == LANGUAGES


@files
def test_translations_fill_in_the_same_values_as_english(path: Path) -> None:
    problems = []
    for where, text in _texts(_load(path)):
        english = _placeholders(text["en"])
        for lang, source in text.items():
            if (found := _placeholders(source)) != english:
                problems.append(f"{where} [{lang}]: missing {sorted((english - found).elements())}, "
                                f"extra {sorted((found - english).elements())}")
    assert not problems, "placeholders differ from English:\n" + "\n".join(problems)


@files
def test_translations_are_written_in_their_own_script(path: Path) -> None:
    problems = []
    for where, text in _texts(_load(path)):
        if not _has_letters(_words(text["en"])):
            continue  # only values (a statement line): nothing to translate
        for lang, source in text.items():
            words = _words(source)
            if lang in SCRIPTS:
                script, low, high = SCRIPTS[lang]
                if not _in_block(words, low, high):
                    problems.append(f"{where} [{lang}]: no {script} text: {source!r}")
            elif lang == "hinglish" and (not _has_letters(words) or _in_block(words, *INDIC_BLOCKS)):
                problems.append(f"{where} [hinglish]: not Hindi in Latin script: {source!r}")
    assert not problems, "\n".join(problems)


@files
def test_button_labels_fit_a_whatsapp_button(path: Path) -> None:
    workflow = _load(path)
    overlong = [f"{step_id}.buttons[{i}] [{lang}]: {label!r} is {len(label)} characters"
                for step_id, step in workflow.steps.items() if isinstance(step, Reply)
                for i, button in enumerate(step.buttons)
                for lang, label in button.items() if len(label) > REPLY_TITLE_MAX]
    assert not overlong, f"longer than WhatsApp's {REPLY_TITLE_MAX}-character button title:\n" + "\n".join(overlong)
