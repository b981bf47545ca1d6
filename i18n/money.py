"""Indian money formatting: ₹ with lakh/crore grouping (₹1,23,456.78) via Babel's CLDR data."""

from __future__ import annotations

from decimal import Decimal

from babel.numbers import format_currency

_LOCALES = {"en": "en_IN", "hi": "hi_IN"}


def format_inr(amount: Decimal, language: str = "en") -> str:
    return format_currency(amount, "INR", locale=_LOCALES.get(language, "en_IN"))
