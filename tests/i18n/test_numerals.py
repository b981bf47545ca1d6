"""Tests for i18n.numerals: Indic digits and number words shared by the amount and date parsers."""

import pytest

from i18n import numerals
from i18n.numerals import bounded_window, canonical_word, join_english_tens, to_ascii_digits, word_number, word_table

ZEROS = {"devanagari": "०", "bengali": "০", "gurmukhi": "੦", "gujarati": "૦", "odia": "୦", "tamil": "௦",
         "telugu": "౦", "kannada": "೦", "malayalam": "൦"}


@pytest.mark.parametrize("script", sorted(ZEROS))
def test_indic_digits_become_ascii_one_for_one(script):
    digits = "".join(chr(ord(ZEROS[script]) + d) for d in range(10))
    text = f"₹{digits} ok"
    converted = to_ascii_digits(text)
    assert converted == "₹0123456789 ok"
    assert len(converted) == len(text)


def test_other_text_is_untouched():
    assert to_ascii_digits("आज kal ₹5,000.50 ¼ ²") == "आज kal ₹5,000.50 ¼ ²"


@pytest.mark.parametrize("number", range(1, 100))
def test_every_number_from_1_to_99_has_hindi_words_in_both_scripts(number):
    # every listed spelling reads back as its number: no two spellings collide after canonicalisation
    for table in (numerals._HINDI_ROMAN, numerals._HINDI_DEVANAGARI):
        spellings = table[number].split()
        assert spellings
        assert all(word_number(s) == number for s in spellings), spellings


@pytest.mark.parametrize(("word", "number"), [
    ("ek", 1), ("EK", 1), ("paanch", 5), ("panch", 5), ("पाँच", 5), ("पांच", 5), ("chhe", 6), ("छह", 6),
    ("pachaas", 50), ("pachas", 50), ("पचास", 50), ("chaalis", 40), ("saat", 7), ("saath", 60), ("साठ", 60),
    ("nabbe", 90), ("निन्यानवे", 99), ("निन्यानबे", 99), ("twelve", 12), ("Ninety", 90), ("fourty", 40),
])
def test_word_number(word, number):
    assert word_number(word) == number


@pytest.mark.parametrize("word", ["hello", "lakh", "rupaye", "kal", "chai", "at", "", "the", "a"])
def test_not_number_words(word):
    assert word_number(word) is None


def test_english_tens_and_units():
    assert join_english_tens("twenty", "five") == 25
    assert join_english_tens("Ninety", "nine") == 99
    assert join_english_tens("twenty", "twelve") is None
    assert join_english_tens("five", "twenty") is None
    assert join_english_tens("pachas", "ek") is None


@pytest.mark.parametrize(("a", "b"), [
    ("hazaar", "hazar"), ("hazaar", "hajar"), ("somwar", "somvar"), ("chhe", "che"), ("gyarah", "gyara"),
    ("हज़ार", "हजार"), ("पाँच", "पांच"), ("डेढ़", "डेढ"), ("\u095b", "\u091c\u093c"),
])
def test_spellings_that_mean_the_same_canonicalise_the_same(a, b):
    assert canonical_word(a) == canonical_word(b)


@pytest.mark.parametrize(("a", "b"), [("saat", "saath"), ("tees", "teis"), ("do", "das")])
def test_spellings_that_differ_stay_apart(a, b):
    assert canonical_word(a) != canonical_word(b)


def test_a_table_with_a_colliding_spelling_fails_at_once():
    with pytest.raises(ValueError, match="'hajar' means both 1000 and 2000"):
        word_table({"hazaar": 1000, "hajar": 2000}, what="test")


@pytest.mark.parametrize(("text", "window"), [
    ("short", "short"),
    ("abcde fghij", "abcde "),  # cut inside "fghij": the whole word goes
    ("abcd efghij", "abcd "),
    ("abcdefghij", ""),  # one long word: nothing
    ("abcdefgh ij", "abcdefgh"),  # the limit falls on the space: nothing is cut
])
def test_bounded_window(text, window):
    assert bounded_window(text, 8) == window
