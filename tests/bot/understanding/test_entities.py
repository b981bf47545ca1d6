"""Entities in customers' own words: amounts, dates, card last-4, transaction references, UPI ids and
merchants, in English, Hinglish and Hindi, and the numbers that must never be read as any of them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from bot.understanding.entities import extract

TODAY = date(2026, 11, 25)  # a Wednesday


def kinds(text: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for e in extract(text, TODAY):
        out.setdefault(e.kind, []).append(str(e.value))
    return out


@pytest.mark.parametrize("text, expected", [
    ("maine ye 5000 ka payment nahi kiya", {"amount": ["5000.00"]}),
    ("मैंने ५००० का पेमेंट नहीं किया", {"amount": ["5000.00"]}),
    ("block my card ending 4417", {"card_last4": ["4417"]}),
    ("card xxxx 7719 ko block karo", {"card_last4": ["7719"]}),
    ("कार्ड 1234 ब्लॉक करो", {"card_last4": ["1234"]}),
    ("₹2,500 paid to Zentrix Rewards on 5 Nov, UTR 412345678901",
     {"amount": ["2500.00"], "merchant": ["Zentrix Rewards"], "date": ["2026-11-05"], "txn_ref": ["412345678901"]}),
    ("sent 2.5 lakh to ramesh@okicici kal", {"amount": ["250000.00"], "upi_id": ["ramesh@okicici"],
                                            "date": ["2026-11-24"]}),
    ("I was charged Rs 1,299 at Amazon last Monday", {"amount": ["1299.00"], "merchant": ["Amazon"],
                                                     "date": ["2026-11-23"]}),
    ("paanch hazaar kat gaye parso", {"amount": ["5000.00"], "date": ["2026-11-23"]}),
    # Hindi puts the postposition after the name.
    ("maine Zentrix ko 5000 ka payment nahi kiya", {"merchant": ["Zentrix"], "amount": ["5000.00"]}),
    ("Amazon pe 1299 kat gaye", {"merchant": ["Amazon"], "amount": ["1299.00"]}),
    ("dispute the Swiggy order", {"merchant": ["Swiggy"]}),
])
def test_entities_in_customers_words(text, expected):
    assert kinds(text) == expected


@pytest.mark.parametrize("text", [
    "my otp is 123456",  # a code, not an amount
    "call me on 9812345678",  # a mobile number
    "my card number is 4111 1111 1111 1111",  # never a last-4 or an amount
    "hello, I need help",
    "the year 2026",  # a year alone is not a card or an amount
])
def test_numbers_that_are_not_entities(text):
    found = kinds(text)
    assert "amount" not in found and "card_last4" not in found and "txn_ref" not in found, found


def test_positions_point_into_the_original_text_even_with_indic_digits():
    text = "मैंने ५००० का पेमेंट नहीं किया"
    [amount] = [e for e in extract(text, TODAY) if e.kind == "amount"]
    assert text[amount.start:amount.end] == "५०००" and amount.value == Decimal("5000.00")


def test_long_messages_are_bounded():
    assert extract("x " * 50_000 + "₹500", TODAY) == []
