"""Language of a message, enough for English and Hindi; the full detector (scripts, Hinglish,
regional languages, explicit switches) grows here.

Short or language-neutral messages ("ok", "1234") keep the conversation's language."""

from __future__ import annotations

import re

_DEVANAGARI = re.compile(r"[\u0900-\u097F]")
_LATIN_WORD = re.compile(r"[A-Za-z]{3,}")


def detect_language(text: str, current: str) -> str:
    if _DEVANAGARI.search(text):
        return "hi"
    if _LATIN_WORD.search(text):
        return "en"
    return current
