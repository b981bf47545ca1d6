"""Reading a customer's answer to a question the workflow asked: yes/no, or one item of a list.

Only what the question allows is recognised; anything else is "not an answer", and the workflow asks
again (or, when the message is clearly a new request, starts that instead). English, Hindi and
Hinglish, typed or tapped (button labels come back as their text)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from i18n.catalog import all_translations

_YES = ("yes", "y", "yeah", "yep", "yup", "sure", "ok", "okay", "confirm", "confirmed", "go ahead",
        "please do", "do it", "proceed", "correct", "right", "haan", "han", "haa", "ha", "ji", "haan ji",
        "ji haan", "theek hai", "thik hai", "kar do", "karo", "हाँ", "हां", "जी", "जी हाँ", "हाँ जी", "ठीक है",
        "कर दो", "पुष्टि", "सही")
_NO = ("no", "n", "nope", "nah", "cancel", "stop", "don't", "do not", "not now", "wrong", "nahi", "nahin",
       "na", "mat karo", "rehne do", "नहीं", "ना", "मत करो", "रहने दो", "रद्द")
_PUNCT = re.compile(r"[\s.!,?।]+")


def _normal(text: str) -> str:
    return _PUNCT.sub(" ", text.strip().lower()).strip()


_YES_SET = frozenset(_normal(w) for w in _YES)
_NO_SET = frozenset(_normal(w) for w in _NO)


def yes_no(text: str) -> bool | None:
    """True for yes, False for no, None when the message is neither (a question, a new request)."""
    if text.strip() in all_translations("btn_yes"):
        return True
    if text.strip() in all_translations("btn_no"):
        return False
    said = _normal(text)
    if said in _YES_SET:
        return True
    if said in _NO_SET:
        return False
    # "yes please block it" / "no thanks": the first word decides when it is a clear yes or no, and
    # the rest does not say the opposite ("yes, cancel it", "sure, but don't"): that is no answer,
    # and a state-changing question is asked again rather than read as a "yes".
    first = said.split(" ", 1)[0] if said else ""
    padded = f" {said} "
    if first in _YES_SET and first not in ("ok", "ji", "ha", "right") and not _says(padded, _NO_SET - {"n", "na"}):
        return True
    if first in _NO_SET and first not in ("n", "na") and not _says(padded, _YES_SET - {"ok", "ji", "ha", "right", "y"}):
        return False
    return None


def _says(padded: str, phrases: frozenset[str]) -> bool:
    return any(f" {phrase} " in padded for phrase in phrases)


def pick(text: str, labels: Sequence[str], keys: Sequence[Sequence[str]] = ()) -> int | None:
    """The index of the item the customer chose: its label (a tapped button), its number in the list,
    or one of its `keys` (e.g. a card's last four digits) appearing as a whole word. None otherwise."""
    stripped = text.strip()
    for i, label in enumerate(labels):
        if stripped == label:
            return i
    number = stripped.rstrip(".")
    if number.isdigit() and 1 <= int(number) <= len(labels):
        return int(number) - 1
    words = set(re.findall(r"[0-9A-Za-z]+", stripped.lower()))
    matches = [i for i, item_keys in enumerate(keys) if any(k and k.lower() in words for k in item_keys)]
    return matches[0] if len(matches) == 1 else None
