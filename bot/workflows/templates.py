"""Reply templates in workflow YAML: text with `{path}` and `{path|filter}` placeholders.

    say:
      en: "Your {card.kind} card ending {card.last4} is blocked."
      hi: "आपका {card.last4} पर खत्म होने वाला कार्ड ब्लॉक कर दिया गया है।"

Paths read workflow variables (what `api_call`, `ai_analysis` and `choose` steps saved) with the same
rules as conditions: Mapping keys and declared fields only. Every placeholder is checked when the
workflow loads (an unknown variable or filter names the file and line). `{{` and `}}` are literal braces.

Values are inserted as plain text, cut to MAX_VALUE characters: a narration or a payee name from the
bank is data on the way to the customer, never markup and never instructions. Filters format money,
dates and catalogue labels the way Indian customers read them."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

from babel.dates import format_date, format_datetime

from i18n.catalog import MESSAGES, t
from i18n.money import LOCALES, format_inr

IST = timezone(timedelta(hours=5, minutes=30), "IST")
MAX_VALUE = 80
_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")
_PATH = re.compile(r"^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)*$")


class TemplateError(ValueError):
    """A template that cannot work: the message says what and where (the caller adds file:line)."""


def _to_decimal(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def _inr(value: Any, lang: str) -> str:
    amount = _to_decimal(value)
    return format_inr(amount, lang) if amount is not None else ""


def as_ist_date(value: Any) -> date | None:
    """The calendar day in India of a datetime (UTC if naive), a date, or ISO text; None otherwise."""
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=timezone.utc)).astimezone(IST).date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return as_ist_date(datetime.fromisoformat(value)) if "T" in value else date.fromisoformat(value)
        except ValueError:
            return None
    return None


def _date(value: Any, lang: str) -> str:
    day = as_ist_date(value)
    return format_date(day, "d MMM yyyy", locale=LOCALES.get(lang, "en_IN")) if day else ""


def _short_date(value: Any, lang: str) -> str:
    day = as_ist_date(value)
    return format_date(day, "d MMM", locale=LOCALES.get(lang, "en_IN")) if day else ""


def _datetime(value: Any, lang: str) -> str:
    if isinstance(value, (int, float)):
        value = datetime.fromtimestamp(value, timezone.utc)
    if not isinstance(value, datetime):
        return _date(value, lang)
    moment = (value if value.tzinfo else value.replace(tzinfo=timezone.utc)).astimezone(IST)
    return format_datetime(moment, "d MMM yyyy, h:mm a", locale=LOCALES.get(lang, "en_IN")) + " IST"


def _label(prefix: str) -> Callable[[Any, str], str]:
    def label(value: Any, lang: str) -> str:
        key = f"{prefix}{value}"
        return t(key, lang) if key in MESSAGES else str(value)
    return label


def _mobile(value: Any, lang: str) -> str:
    digits = re.sub(r"\D", "", str(value or ""))
    return f"••••••{digits[-4:]}" if len(digits) >= 4 else ""


def _email(value: Any, lang: str) -> str:
    text = str(value or "")
    name, _, domain = text.partition("@")
    return f"{name[:1]}•••@{domain}" if name and domain else ""


FILTERS: Mapping[str, Callable[[Any, str], str]] = {
    "inr": _inr,
    "date": _date,
    "short_date": _short_date,
    "datetime": _datetime,
    "account_kind": _label("account_kind_"),
    "card_kind": _label("card_kind_"),
    "loan_kind": _label("loan_kind_"),
    "status": _label("status_"),
    "mobile": _mobile,
    "email": _email,
    "upper": lambda v, lang: str(v).upper(),
}


class Template:
    """One language's text, parsed once. `paths` are the variable paths it reads."""

    __slots__ = ("source", "_parts", "paths")

    def __init__(self, source: str) -> None:
        self.source = source
        parts: list[str | tuple[str, str | None]] = []
        paths: list[str] = []
        position = 0
        for match in _PLACEHOLDER.finditer(source):
            parts.append(source[position:match.start()])
            position = match.end()
            token = match.group(0)
            if token in ("{{", "}}"):
                parts.append(token[0])
                continue
            if match.group(1) is None:
                raise TemplateError(f"unmatched {token!r} at column {match.start() + 1} (write {token * 2} "
                                    "for a literal brace)")
            inner = match.group(1).strip()
            path, _, filt = inner.partition("|")
            path, filt = path.strip(), filt.strip() or None
            if not _PATH.match(path):
                raise TemplateError(f"{{{inner}}} is not a variable path")
            if filt is not None and filt not in FILTERS:
                raise TemplateError(f"unknown filter {filt!r} in {{{inner}}} (filters: {', '.join(FILTERS)})")
            parts.append((path, filt))
            paths.append(path)
        parts.append(source[position:])
        self._parts = tuple(p for p in parts if p != "")
        self.paths = tuple(paths)

    def render(self, scope: Mapping[str, Any], lang: str) -> str:
        out: list[str] = []
        for part in self._parts:
            if isinstance(part, str):
                out.append(part)
                continue
            path, filt = part
            value = lookup(scope, path)
            if filt is not None:
                text = FILTERS[filt](value, lang)
            elif value is None:
                text = ""
            elif isinstance(value, bool):
                text = "yes" if value else "no"
            elif isinstance(value, Decimal):
                text = format(value, "f")
            else:
                text = str(value)
            out.append(_plain(text))
        return "".join(out)


def _plain(text: str) -> str:
    # Data from the bank goes in as one line of bounded length.
    text = " ".join(text.split())
    return text if len(text) <= MAX_VALUE else text[: MAX_VALUE - 1] + "…"


def lookup(scope: Mapping[str, Any], path: str) -> Any:
    """Mapping keys only (records in workflow state are plain dicts); a missing step is None."""
    value: Any = scope
    for name in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(name)
    return value


def check_paths(paths: Iterable[str], known: Callable[[str], bool]) -> list[str]:
    """The paths `known` rejects (for load-time errors)."""
    return [p for p in paths if not known(p)]
