"""A small keyword intent matcher for the skeleton's intents, in English, Hindi and Hinglish.

It is deliberately simple and local; the full router (a trained classifier over the intent
catalogue, with confidence and clarifying questions) replaces it without changing the graph."""

from __future__ import annotations

import re

from i18n.catalog import all_translations

_KEYWORDS: dict[str, tuple[str, ...]] = {
    "human": ("agent", "human", "customer care", "person", "representative", "officer", "एजेंट",
              "इंसान", "कस्टमर केयर", "insaan", "kisi se baat"),
    "resend_otp": ("resend", "new otp", "new code", "didn't get", "did not get", "not received",
                   "दोबारा", "नहीं मिला", "nahi mila", "phir se bhejo"),
    "recent_transactions": ("transaction", "statement", "recent", "history", "last payments",
                            "लेनदेन", "स्टेटमेंट", "लेन-देन", "len den", "lenden"),
    "balance": ("balance", "how much money", "bal", "बैलेंस", "शेष", "कितना पैसा", "कितने पैसे",
                "kitna paisa", "kitne paise", "paisa kitna"),
    "greeting": ("hi", "hello", "hey", "namaste", "namaskar", "good morning", "good evening",
                 "नमस्ते", "नमस्कार", "हेलो", "हाय"),
}
_BUTTONS = {
    "balance": "btn_balance", "recent_transactions": "btn_recent", "human": "btn_human",
    "resend_otp": "btn_resend",
}


def _pattern(words: tuple[str, ...]) -> re.Pattern:
    # Latin keywords match on word boundaries; Devanagari ones as substrings (no \b for matras).
    alternatives = [rf"\b{re.escape(w)}\b" if w.isascii() else re.escape(w) for w in words]
    return re.compile("|".join(alternatives), re.IGNORECASE)


_PATTERNS = {intent: _pattern(words) for intent, words in _KEYWORDS.items()}


def match_intent(text: str) -> str:
    stripped = text.strip()
    for intent, key in _BUTTONS.items():
        if stripped in all_translations(key):
            return intent
    for intent, pattern in _PATTERNS.items():  # ordered: the more specific intents first
        if pattern.search(stripped):
            return intent
    return "unknown"
