"""Tests for i18n.money.format_inr: ₹, Indian grouping and ASCII digits in every supported locale."""

from decimal import Decimal

import pytest
from babel.numbers import format_currency

from i18n import detect
from i18n.money import LOCALES, format_inr

D = Decimal

LANGUAGES = ["en", "hinglish", "hi", "mr", "bn", "ta", "te", "gu", "kn", "ml", "pa", "or"]

FORMATTED = [
    ("0", "₹0.00"),
    ("0.5", "₹0.50"),
    ("1", "₹1.00"),
    ("999.99", "₹999.99"),
    ("1000", "₹1,000.00"),
    ("12345.6", "₹12,345.60"),
    ("100000", "₹1,00,000.00"),
    ("123456.78", "₹1,23,456.78"),
    ("12345678.9", "₹1,23,45,678.90"),
    ("1000000000000", "₹10,00,00,00,00,000.00"),
    ("-1234.5", "-₹1,234.50"),
    ("-12345678", "-₹1,23,45,678.00"),
    ("123.455", "₹123.46"),  # half to even, to the paisa
    ("123.445", "₹123.44"),
]


def test_every_supported_language_has_a_locale():
    assert sorted(LOCALES) == sorted(LANGUAGES)
    assert sorted(LOCALES) == sorted(detect.LANGUAGES)  # every language the detector can answer


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(("amount", "expected"), FORMATTED)
def test_indian_grouping_in_every_locale(language, amount, expected):
    formatted = format_inr(D(amount), language)
    assert formatted == expected
    assert formatted.replace("₹", "").isascii()  # ASCII digits: customers copy them, SMS carries them


@pytest.mark.parametrize("locale", ["mr_IN", "kn_IN", "ml_IN", "or_IN"])
def test_locales_whose_cldr_pattern_is_not_indian_are_still_indian(locale):
    # Why the pattern is explicit: Babel's own pattern for these groups in thousands.
    assert format_currency(D("12345678.9"), "INR", locale=locale) == "₹12,345,678.90"
    language = next(lang for lang, loc in LOCALES.items() if loc == locale)
    assert format_inr(D("12345678.9"), language) == "₹1,23,45,678.90"


@pytest.mark.parametrize(("language", "locale"), [("en", "en_IN"), ("hi", "hi_IN")])
@pytest.mark.parametrize("amount", [row[0] for row in FORMATTED] + ["0.005", "0.015", "-0.01", "1e5", "7.1"])
def test_english_and_hindi_format_as_before(language, locale, amount):
    # format_inr used Babel's en_IN / hi_IN currency format as is; the explicit pattern changes nothing there
    assert format_inr(D(amount), language) == format_currency(D(amount), "INR", locale=locale)


def test_an_unknown_language_formats_as_english():
    assert format_inr(D("150000"), "xx") == "₹1,50,000.00"
    assert format_inr(D("150000")) == "₹1,50,000.00"
