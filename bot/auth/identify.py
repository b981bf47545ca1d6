"""Recognise what a customer typed to identify themselves: a registered mobile or a customer id.

Only the shape is checked here; whether it exists is never revealed to the customer."""

from __future__ import annotations

import re
import unicodedata

_CUSTOMER_ID = re.compile(r"^cust[_\- ]?(\d{6})$", re.IGNORECASE)


def _ascii_digits(text: str) -> str:
    # Devanagari and other Indic digits count as digits ("९८१२३४५६७८").
    return "".join(str(unicodedata.digit(c)) if c.isdigit() else c for c in text)


def parse_identifier(text: str) -> str | None:
    """Normalised identifier ("+919812345678" or "CUST_789123"), or None if it is neither."""
    cleaned = _ascii_digits(text.strip())
    if m := _CUSTOMER_ID.match(cleaned.replace(" ", "_")):
        return f"CUST_{m.group(1)}"
    digits = re.sub(r"[\s\-().]", "", cleaned)
    if digits.startswith("+"):
        digits = digits[1:]
        if not digits.startswith("91"):
            return None
    if not digits.isdigit():
        return None
    if len(digits) == 12 and digits.startswith("91"):
        digits = digits[2:]
    elif len(digits) == 11 and digits.startswith("0"):
        digits = digits[1:]
    if len(digits) == 10 and digits[0] in "6789":
        return "+91" + digits
    return None
