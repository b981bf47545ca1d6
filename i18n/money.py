"""Indian money formatting: ₹ with lakh/crore grouping (₹1,23,456.78) via Babel's CLDR data.

Every supported language gets the same shape: the ₹ sign first, Indian grouping, two decimals, ASCII
digits. The grouping pattern is given explicitly rather than taken from CLDR, because CLDR's pattern for
mr, kn, ml and or groups in thousands (₹12,345,678.90). The digits are ASCII on purpose: customers copy
amounts into other apps and SMS gateways mangle other scripts. Babel 2.18 writes ASCII digits in every
locale, even mr and bn whose CLDR default numbering system is their own script (`numbering_system` only
picks the separators, which are "," and "." for all of these); we pass "latn" anyway so an upgrade cannot
change it. How an amount is *said* lives in i18n/amounts.py (`amount_in_words`)."""

from __future__ import annotations

from decimal import Decimal

from babel.numbers import format_currency

LOCALES = {
    "en": "en_IN",
    "hinglish": "en_IN",
    "hi": "hi_IN",
    "mr": "mr_IN",
    "bn": "bn_IN",
    "ta": "ta_IN",
    "te": "te_IN",
    "gu": "gu_IN",
    "kn": "kn_IN",
    "ml": "ml_IN",
    "pa": "pa_Guru_IN",
    "or": "or_IN",
}
# ¤ then lakh/crore grouping: the last three digits, then groups of two.
_INDIAN_PATTERN = "¤#,##,##0.00"


def format_inr(amount: Decimal, language: str = "en") -> str:
    """"₹1,23,45,678.90" (rounded to the paisa, half to even); "-₹1,234.50" when negative. A language
    not in LOCALES is formatted as English (India): the result is the same in every locale anyway."""
    return format_currency(amount, "INR", format=_INDIAN_PATTERN, locale=LOCALES.get(language, "en_IN"),
                           numbering_system="latn")
