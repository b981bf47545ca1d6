"""What the speech engine is given to say (voice/speakable.py)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from voice.speakable import indian_number_words, ordinal_words, speakable, spoken_amount, year_words

TODAY = date(2026, 11, 26)


@pytest.mark.parametrize(("text", "said"), [
    ("₹1,50,000", "one lakh fifty thousand rupees"),
    ("₹2,499.50", "two thousand four hundred ninety nine rupees and fifty paise"),
    ("Rs. 1,23,45,678", "one crore twenty three lakh forty five thousand six hundred seventy eight rupees"),
    ("₹1", "one rupee"),
    ("₹0.75", "seventy five paise"),
    ("₹0.01", "one paisa"),
    ("₹5,000/-", "five thousand rupees"),
    ("₹2,00,00,000", "two crore rupees"),
    ("₹1,00,00,00,000", "one hundred crore rupees"),
])
def test_amounts_in_english_words_the_indian_way(text, said):
    assert speakable(text, "en", TODAY) == said


def test_other_languages_keep_digits_for_their_voice_and_their_own_words():
    assert speakable("₹1,50,000", "hi", TODAY) == "150000 रुपये"
    assert speakable("₹2,499.50", "hi", TODAY) == "2499 रुपये 50 पैसे"
    assert speakable("₹2,499.50", "hinglish", TODAY) == "two thousand four hundred ninety nine rupaye fifty paise"
    # No spoken words for Tamil amounts in i18n.amounts: the English unit words, Tamil-voice digits.
    assert spoken_amount(Decimal("150000"), "ta") == "150000 rupees"


def test_an_amount_is_rounded_as_it_is_shown():
    assert spoken_amount(Decimal("10.005"), "en") == "ten rupees"  # half to even, like format_inr
    assert spoken_amount(Decimal("10.015"), "en") == "ten rupees and two paise"


def test_a_balance_reply():
    reply = "Your savings account ending 4321:\nAvailable balance: ₹1,23,456.78\nTotal balance: ₹1,48,456.78"
    assert speakable(reply, "en", TODAY) == (
        "Your savings account ending 4 3 2 1:\n"
        "Available balance: one lakh twenty three thousand four hundred fifty six rupees and seventy eight paise\n"
        "Total balance: one lakh forty eight thousand four hundred fifty six rupees and seventy eight paise")


@pytest.mark.parametrize(("text", "said"), [
    ("your card ending 4321", "your card ending 4 3 2 1"),
    ("your card ending in 4321.", "your card ending in 4 3 2 1."),
    ("card XXXX4321", "card ending 4 3 2 1"),
    ("card •••• 4321", "card ending 4 3 2 1"),
    ("Your OTP is 482913.", "Your OTP is 4 8 2 9 1 3."),
    ("PIN 4321", "PIN 4 3 2 1"),
    ("ref no. 9182", "ref no. 9 1 8 2"),
    ("Call +91 98123 45678.", "Call +9 1, 9 8 1 2 3, 4 5 6 7 8."),
    ("3 transactions in 2026", "3 transactions in 2026"),  # small numbers and years: the voice reads them
    ("version 4.5 at 10:30 AM", "version 4.5 at 10:30 AM"),
])
def test_digits_that_are_codes_are_said_one_by_one(text, said):
    assert speakable(text, "en", TODAY) == said


def test_hindi_card_digits():
    assert speakable("आपका कार्ड (अंतिम अंक 4321) ब्लॉक है।", "hi", TODAY) == "आपका कार्ड (अंतिम अंक 4 3 2 1) ब्लॉक है।"


@pytest.mark.parametrize(("text", "said"), [
    ("due on 25 Nov 2026.", "due on twenty fifth November twenty twenty six."),
    ("on 05/11/2026", "on fifth November twenty twenty six"),
    ("since 1 Nov", "since first November"),
    ("on 2026-11-05", "on fifth November twenty twenty six"),
    ("2 days ago", "2 days ago"),  # relative dates stay as they are
])
def test_written_dates_are_said_in_full(text, said):
    assert speakable(text, "en", TODAY) == said


def test_hindi_dates_get_full_month_names():
    assert speakable("25 नव॰ 2026 को ₹5,000 कटे।", "hi", TODAY) == "25 नवंबर 2026 को 5000 रुपये कटे।"
    assert speakable("due 5 Dec 2026", "hi", TODAY) == "due 5 दिसंबर 2026"


def test_number_words():
    assert indian_number_words(0) == "zero"
    assert indian_number_words(105) == "one hundred five"
    assert indian_number_words(100_000) == "one lakh"
    assert indian_number_words(10**12) == "one lakh crore"
    assert [ordinal_words(n) for n in (1, 2, 3, 12, 20, 22, 31)] == [
        "first", "second", "third", "twelfth", "twentieth", "twenty second", "thirty first"]
    assert [year_words(y) for y in (2026, 2000, 2007, 2010, 1999, 1905)] == [
        "twenty twenty six", "two thousand", "two thousand seven", "twenty ten", "nineteen ninety nine",
        "nineteen oh five"]
    with pytest.raises(ValueError):
        indian_number_words(-1)
