"""User-facing strings. Every reply the bot writes comes through `t()`.

The texts live in gettext catalogs, one per language: i18n/locale/<language>/LC_MESSAGES/sahayak.po.
A msgid is the key the code uses ("otp_sent"); its msgstr is the text, with `{placeholders}` that
str.format fills. English is the source of truth; every other catalog translates it, and a `#.` comment
on each entry tells translators where the text is used. Translators (Poedit, Weblate, pybabel) work on
the .po files themselves; Babel reads them when this module is imported, so there is no build step and a
fresh clone runs as it is.

A catalog that would make a reply wrong stops the import, naming the file and line: a placeholder that
differs from English's, a duplicate or malformed key, an untranslated English entry, a missing file.
A translation that is merely absent (no entry, an empty or fuzzy one, or a language with no catalog)
falls back to English, is counted (`missing_translations()`) and logged once. tests/i18n/test_catalogs.py
fails when a catalog lacks a key English has.
"""

from __future__ import annotations

import io
import logging
import re
import string
import threading
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from babel.messages.pofile import PoFileError, read_po

log = logging.getLogger(__name__)

DOMAIN = "sahayak"
LOCALE_DIR = Path(__file__).with_name("locale")
SOURCE_LANGUAGE = "en"
# Languages with a message catalog: `t()` answers in any of them. "hinglish" is Hindi in Latin script.
CATALOG_LANGUAGES = ("en", "hi", "hinglish", "ta", "te", "bn", "mr")
# Languages a persona may declare: every one with a catalog. Persona validation still demands a text in
# each declared language from every workflow the persona runs (bot/persona.py), so a bank adding a
# language adds its catalog and its workflow texts together.
SUPPORTED = CATALOG_LANGUAGES

_KEY = re.compile(r"[a-z][a-z0-9_]*\Z")
_MSGID_LINE = re.compile(r'msgid "(.*)"\s*\Z')
# A keyword or continuation line must be one complete quoted string: Babel reads `msgstr "text` (no
# closing quote) as "tex" without a word, so the check is ours.
_QUOTED_LINE = re.compile(r'(?:msgctxt|msgid|msgid_plural|msgstr(?:\[\d+\])?)?\s*"(?:[^"\\]|\\.)*"\s*\Z')
# Languages come from callers (a detector, a customer profile): the metric keeps at most this many
# (language, key) pairs; a pair beyond it is counted under the language "?".
_MAX_TRACKED_PAIRS = 2_000


class CatalogError(ValueError):
    """A catalog file that cannot be used as it is; the message names the file and line."""


@dataclass(frozen=True)
class CatalogEntry:
    key: str
    text: str  # "" while untranslated
    fuzzy: bool  # marked for review: gettext does not use it, nor do we
    line: int  # of the msgid, for error messages

    @property
    def usable(self) -> bool:
        return bool(self.text) and not self.fuzzy


def catalog_path(language: str, locale_dir: Path = LOCALE_DIR) -> Path:
    return locale_dir / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def placeholders(text: str) -> frozenset[str]:
    """The `{names}` that str.format fills in `text`. Raises ValueError for a malformed one ("{oops")."""
    return frozenset(field for _, field, _, _ in string.Formatter().parse(text) if field is not None)


def read_catalog(path: Path) -> dict[str, CatalogEntry]:
    """Every entry of one .po file, by key (obsolete `#~` entries are left out). Raises CatalogError for
    a file Babel cannot parse, a duplicate msgid, a msgid that is not a key, or a plural entry."""
    raw = path.read_bytes()
    try:
        lines = raw.decode("utf-8").splitlines()
    except UnicodeDecodeError as exc:
        raise CatalogError(f"{path}: not UTF-8 ({exc})") from exc
    # Babel merges a duplicate msgid without a word; two people adding the same key must not go unseen.
    first_line: dict[str, int] = {}
    for number, line in enumerate(lines, 1):
        if line.startswith(("msg", '"')) and not _QUOTED_LINE.match(line):
            raise CatalogError(f"{path}:{number}: not one complete quoted string: {line[:60]!r}")
        match = _MSGID_LINE.match(line)
        if match is None or not match.group(1):
            continue
        if match.group(1) in first_line:
            raise CatalogError(f"{path}:{number}: duplicate msgid {match.group(1)!r} "
                               f"(first at line {first_line[match.group(1)]})")
        first_line[match.group(1)] = number
    try:
        catalog = read_po(io.BytesIO(raw), domain=DOMAIN, ignore_obsolete=True, abort_invalid=True)
    except PoFileError as exc:  # its message ends "on <0-based line>"
        raise CatalogError(f"{path}:{exc.lineno + 1}: {str(exc).rsplit(' on ', 1)[0]}") from exc
    entries: dict[str, CatalogEntry] = {}
    for message in catalog:
        if not message.id:
            continue  # the header
        if not isinstance(message.id, str) or not isinstance(message.string, str):
            raise CatalogError(f"{path}:{message.lineno}: plural forms are not used; write one text per key")
        if not _KEY.match(message.id):
            raise CatalogError(f"{path}:{message.lineno}: msgid {message.id!r} is not a catalog key "
                               "(lower_case_with_underscores, as the code passes it to t())")
        entries[message.id] = CatalogEntry(message.id, message.string, message.fuzzy, message.lineno or 0)
    return entries


def load_catalogs(locale_dir: Path = LOCALE_DIR,
                  languages: Sequence[str] = CATALOG_LANGUAGES) -> dict[str, dict[str, str]]:
    """language -> key -> text, for the usable entries of each language's catalog.

    Raises CatalogError (file and line) for a missing file, an English entry that is empty or fuzzy,
    or a translation whose placeholders differ from English's (one that `t()` could not fill, or that
    drops something the customer needs, such as a case reference). Missing and untranslated entries
    are not errors here: `t()` falls back to English for them, and `missing_keys` lists them.
    """
    if SOURCE_LANGUAGE not in languages:
        raise ValueError(f"languages must include the source language {SOURCE_LANGUAGE!r}")
    read: dict[str, tuple[Path, dict[str, CatalogEntry]]] = {}
    for language in languages:
        path = catalog_path(language, locale_dir)
        if not path.is_file():
            raise CatalogError(f"{path}: no catalog for language {language!r}")
        read[language] = (path, read_catalog(path))

    english_path, english = read[SOURCE_LANGUAGE]
    expected: dict[str, frozenset[str]] = {}
    for key, entry in english.items():
        if not entry.usable:
            raise CatalogError(f"{english_path}:{entry.line}: English text of {key!r} is "
                               f"{'fuzzy' if entry.fuzzy else 'empty'}; English is the source of truth")
        expected[key] = _placeholders_at(english_path, entry)

    catalogs: dict[str, dict[str, str]] = {}
    for language, (path, entries) in read.items():
        usable = {key: entry for key, entry in entries.items() if entry.usable}
        for key, entry in usable.items():
            found = _placeholders_at(path, entry)
            if key in expected and found != expected[key]:
                raise CatalogError(
                    f"{path}:{entry.line}: {key!r} has placeholders {sorted(found)} but English has "
                    f"{sorted(expected[key])}")
        catalogs[language] = {key: entry.text for key, entry in usable.items()}
    return catalogs


def _placeholders_at(path: Path, entry: CatalogEntry) -> frozenset[str]:
    try:
        return placeholders(entry.text)
    except ValueError as exc:
        raise CatalogError(f"{path}:{entry.line}: {entry.key!r}: {exc} "
                           "(a literal brace is written {{ or }})") from exc


def missing_keys(catalogs: Mapping[str, Mapping[str, str]]) -> dict[str, list[str]]:
    """language -> the English keys it has no usable translation for (languages lacking none are left out)."""
    english = catalogs[SOURCE_LANGUAGE]
    gaps = {language: [key for key in english if key not in texts] for language, texts in catalogs.items()}
    return {language: keys for language, keys in gaps.items() if keys}


def extra_keys(catalogs: Mapping[str, Mapping[str, str]]) -> dict[str, list[str]]:
    """language -> keys it has that English does not (stale after a key was removed; never used)."""
    english = catalogs[SOURCE_LANGUAGE]
    stale = {language: [key for key in texts if key not in english] for language, texts in catalogs.items()}
    return {language: keys for language, keys in stale.items() if keys}


def build_messages(catalogs: Mapping[str, Mapping[str, str]]) -> Mapping[str, Mapping[str, str]]:
    """key -> {language: text}, read-only, for every English key (in the English catalog's order)."""
    return MappingProxyType({
        key: MappingProxyType({language: texts[key] for language, texts in catalogs.items() if key in texts})
        for key in catalogs[SOURCE_LANGUAGE]
    })


MESSAGES: Mapping[str, Mapping[str, str]] = build_messages(load_catalogs())

# The fallback metric: how often each (language, key) was answered in English for want of a translation.
# Process-wide on purpose, like a Prometheus counter; the lock makes it safe from worker threads.
_missing: Counter[tuple[str, str]] = Counter()
_missing_lock = threading.Lock()


def t(key: str, language: str, **values: object) -> str:
    """The text of `key` in `language`, filled with `values`. A language without that text (one of
    CATALOG_LANGUAGES lacking it, or any other, such as "gu") gets English, and the miss is counted.
    An unknown key raises KeyError: that is a bug in the caller, not a missing translation."""
    entry = MESSAGES[key]
    template = entry.get(language)
    if template is None:
        _count_missing(language, key)
        template = entry[SOURCE_LANGUAGE]
    return template.format(**values) if values else template


def _count_missing(language: str, key: str) -> None:
    pair = (language, key)
    with _missing_lock:
        if pair not in _missing and len(_missing) >= _MAX_TRACKED_PAIRS:
            pair = ("?", key)
        _missing[pair] += 1
        first = _missing[pair] == 1
    if first:
        log.warning("no %r translation of message %r: answering in English", pair[0], key)


def missing_translations() -> dict[tuple[str, str], int]:
    """(language, key) -> how many replies fell back to English for it since the process started."""
    with _missing_lock:
        return dict(_missing)


def all_translations(key: str) -> set[str]:
    """Every language's text of `key`: button labels are also understood when typed or tapped."""
    return set(MESSAGES[key].values())
