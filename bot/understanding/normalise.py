"""The one text form the intent router trains and predicts on.

Customers type the same request many ways: "Block my card!!", "block  my card", "BLOCK MY CARD";
"₹५०००" and "₹5000". Normalising before the character n-grams are taken means the model spends its
capacity on words, not on case, digits' script or punctuation:

- Unicode NFC (one code point sequence per letter), lower case;
- Indic digits to ASCII (i18n.numerals), so "५०००" and "5000" are one token;
- punctuation and symbols become spaces, except ₹, which says "an amount of money"; apostrophes are
  dropped ("don't" -> "dont"), zero-width joiners removed (they vary between keyboards);
- runs of whitespace collapse to one space; no leading or trailing space.

Indic vowel signs and viramas are marks (category M), not punctuation, so words stay whole.
"""

from __future__ import annotations

import unicodedata

from i18n.numerals import to_ascii_digits

# A message longer than this is routed on its first MAX_CHARS characters: the request is at the start,
# and the cost of a pathological message stays bounded.
MAX_CHARS = 1000

_DROP = frozenset("'\u2019\u2018\u02bc`\u200c\u200d\ufeff")
_KEEP = frozenset("₹")


def normalise(text: str) -> str:
    text = unicodedata.normalize("NFC", to_ascii_digits(text[:MAX_CHARS])).lower()
    out: list[str] = []
    for ch in text:
        if ch in _DROP:
            continue
        if ch in _KEEP:
            out.append(f" {ch} ")  # "₹5000" and "₹ 5000" alike
            continue
        category = unicodedata.category(ch)
        # P*: punctuation (incl. the danda), S*: symbols and emoji, Z*/C*: separators and controls.
        out.append(" " if category[0] in "PSZC" else ch)
    return " ".join("".join(out).split())
