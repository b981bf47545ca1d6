"""Tests for i18n.amounts: reading amounts out of what customers type and say, and saying amounts."""

import dataclasses
from decimal import Decimal

import pytest

from i18n.amounts import MAX_TEXT_CHARS, SPEECH_LANGUAGES, AmountMatch, amount_in_words, find_amounts, parse_amount
from i18n.money import format_inr

D = Decimal

# --------------------------------------------------------------------------- amounts found

AMOUNTS = [
    # currency markers, digits
    ("₹5,000", "5000"),
    ("₹ 5,000", "5000"),
    ("₹5000", "5000"),
    ("Rs 5000", "5000"),
    ("Rs.5,000.50", "5000.50"),
    ("Rs. 5,000", "5000"),
    ("rs5000", "5000"),
    ("RS 250", "250"),
    ("INR 5000", "5000"),
    ("5000 INR", "5000"),
    ("5000 rs", "5000"),
    ("5000rs", "5000"),
    ("5000 Rs.", "5000"),
    ("5000 rupees", "5000"),
    ("1 rupee", "1"),
    ("5000 rupaye", "5000"),
    ("5000 rupaiye", "5000"),
    ("5000 rupaiya", "5000"),
    ("5000 rupay", "5000"),
    ("5000 रुपये", "5000"),
    ("5000 रुपए", "5000"),
    ("5000 रुपया", "5000"),
    ("रु. 5000", "5000"),
    ("Rs 5,000/-", "5000"),
    ("₹5,000/-", "5000"),
    ("5000/-", "5000"),
    ("₹0.50", "0.50"),
    ("Rs 5000.5", "5000.50"),
    ("₹0", "0"),
    # grouping
    ("₹1,50,000", "150000"),
    ("Rs 1,23,45,678.90", "12345678.90"),
    ("Rs 1,500,000", "1500000"),
    ("₹12,34,567", "1234567"),
    # multipliers on digits
    ("5k", "5000"),
    ("5K", "5000"),
    ("2.5k", "2500"),
    ("Rs 5k", "5000"),
    ("5k rs", "5000"),
    ("2.5 lakh", "250000"),
    ("2.5 lakhs", "250000"),
    ("2.5 lac", "250000"),
    ("2 lacs", "200000"),
    ("2.5L", "250000"),
    ("1 crore", "10000000"),
    ("3 crores", "30000000"),
    ("1.2 cr", "12000000"),
    ("1.2cr", "12000000"),
    ("15 hazaar", "15000"),
    ("15 hazar", "15000"),
    ("15 hajar", "15000"),
    ("15 हज़ार", "15000"),
    ("15 हजार", "15000"),
    ("15 thousand", "15000"),
    ("5 hundred rupees", "500"),
    ("2 million", "2000000"),
    ("5 lakh rupees", "500000"),
    ("Rs 5 lakh", "500000"),
    ("INR 1.2 cr", "12000000"),
    ("5 lakh 50 hazaar", "550000"),
    ("1 crore 20 lakh", "12000000"),
    ("5 hazaar 500 rupaye", "5500"),
    ("5 lakh 25", "500025"),
    # Hindi words, romanized
    ("paanch hazaar", "5000"),
    ("panch hazaar", "5000"),
    ("paanch sau", "500"),
    ("paanch sau pachas", "550"),
    ("ek hazaar paanch sau", "1500"),
    ("do lakh pachas hazaar", "250000"),
    ("do lakh pachaas hazaar rupaye", "250000"),
    ("ek crore bees lakh", "12000000"),
    ("pachas hazaar", "50000"),
    ("pacchis hazaar", "25000"),
    ("nabbe hazaar", "90000"),
    ("ninyanve hazaar", "99000"),
    ("gyarah sau", "1100"),
    ("chhe lakh", "600000"),
    ("do sau crore", "2000000000"),
    ("ek lakh crore", "1000000000000"),
    ("bees rupaye", "20"),
    ("hazaar rupaye", "1000"),
    ("lakh rupees", "100000"),
    # fractions
    ("dhai sau", "250"),
    ("dhaai hazaar", "2500"),
    ("dedh lakh", "150000"),
    ("derh sau", "150"),
    ("sava lakh", "125000"),
    ("sava do lakh", "225000"),
    ("saadhe teen hazaar", "3500"),
    ("sadhe 3 lakh", "350000"),
    ("paune do lakh", "175000"),
    ("dedh rupaya", "1.50"),
    # Devanagari words
    ("डेढ़ लाख", "150000"),
    ("डेढ लाख", "150000"),
    ("ढाई हज़ार", "2500"),
    ("अढ़ाई हजार", "2500"),
    ("साढ़े तीन हज़ार", "3500"),
    ("सवा लाख", "125000"),
    ("पौने दो लाख", "175000"),
    ("दो लाख पचास हज़ार", "250000"),
    ("पाँच हज़ार रुपये", "5000"),
    ("पांच हजार", "5000"),
    ("एक करोड़", "10000000"),
    ("एक करोड", "10000000"),
    ("पाँच सौ", "500"),
    ("निन्यानबे हज़ार", "99000"),
    ("पचहत्तर हज़ार", "75000"),
    # English words
    ("five thousand rupees", "5000"),
    ("twenty-five thousand", "25000"),
    ("twenty five thousand", "25000"),
    ("two lakh fifty thousand", "250000"),
    ("one hundred and fifty rupees", "150"),
    ("ninety nine rupees", "99"),
    ("fifty rupees", "50"),
    # paise
    ("50 paise", "0.50"),
    ("5000 rupees and 50 paise", "5000.50"),
    ("5 hazaar rupaye 50 paise", "5000.50"),
    ("5 हज़ार रुपये 50 पैसे", "5000.50"),
    ("1 paisa", "0.01"),
    # Indian and other scripts' words for money and multipliers
    ("5000 টাকা", "5000"),
    ("5 লাখ", "500000"),
    ("5000 ரூபாய்", "5000"),
    ("5 லட்சம்", "500000"),
    ("5000 రూపాయలు", "5000"),
    ("5000 ರೂಪಾಯಿ", "5000"),
    ("5000 രൂപ", "5000"),
    ("5000 રૂપિયા", "5000"),
    ("5000 ਰੁਪਏ", "5000"),
    ("5000 ଟଙ୍କା", "5000"),
    ("5 कोटी", "50000000"),
    # in sentences
    ("mere account se ₹5,000 kat gaye", "5000"),
    ("maine kal 2.5 lakh transfer kiye", "250000"),
    ("I paid Rs. 12,500 on 05/11/2026 at 10:30", "12500"),
    ("someone took 5k from my card 4111 1111 1111 1111", "5000"),
    ("do rs 500", "500"),  # "do" is "give" here: "rs" belongs to the number after it
    ("mere saath 5000 rs ka fraud hua", "5000"),
    ("chai ke 50 rs", "50"),
    ("9812345678 rs 500 recharge", "500"),
    ("2-3 lakh", "300000"),  # a range: the upper end
]


@pytest.mark.parametrize(("text", "expected"), AMOUNTS)
def test_parse_amount(text, expected):
    value = parse_amount(text)
    assert value == D(expected)
    assert value.as_tuple().exponent == -2  # rupees with two places, always


INDIC_DIGITS = {
    "devanagari": "०१२३४५६७८९",
    "bengali": "০১২৩৪৫৬৭৮৯",
    "gurmukhi": "੦੧੨੩੪੫੬੭੮੯",
    "gujarati": "૦૧૨૩૪૫૬૭૮૯",
    "odia": "୦୧୨୩୪୫୬୭୮୯",
    "tamil": "௦௧௨௩௪௫௬௭௮௯",
    "telugu": "౦౧౨౩౪౫౬౭౮౯",
    "kannada": "೦೧೨೩೪೫೬೭೮೯",
    "malayalam": "൦൧൨൩൪൫൬൭൮൯",
}


def in_script(ascii_text: str, script: str) -> str:
    return ascii_text.translate(str.maketrans("0123456789", INDIC_DIGITS[script]))


@pytest.mark.parametrize("script", sorted(INDIC_DIGITS))
@pytest.mark.parametrize(("ascii_text", "expected"), [
    ("₹5,000", "5000"),
    ("5000 रुपये", "5000"),
    ("Rs 1,50,000.75", "150000.75"),
    ("2.5 लाख", "250000"),
    ("15 hazaar", "15000"),
    ("9876 rs", "9876"),
])
def test_indic_digits_in_every_script(script, ascii_text, expected):
    text = in_script(ascii_text, script)
    assert text != ascii_text
    [match] = find_amounts(text)
    assert match.value == D(expected)
    assert match.text == text  # the customer's own digits, not the ASCII ones


def test_devanagari_digits_with_devanagari_words():
    assert parse_amount("५००० रुपये") == D("5000")
    assert parse_amount("मुझे ५ लाख चाहिए") == D("500000")
    assert parse_amount("₹१,५०,०००") == D("150000")


# --------------------------------------------------------------------------- not amounts

NOT_AMOUNTS = [
    "hello",
    "5000",  # a bare number, without bare_numbers
    "1,50,000",
    "my otp is 123456",
    "483920",
    "call me on 9812345678",
    "+91 98123 45678",
    "+919812345678",
    "card 4111 1111 1111 1111",
    "4111-1111-1111-1111",
    "aadhaar 1234 5678 9012",
    "on 05/11/2026",
    "5-11-26",
    "at 10:30",
    "UTR 412345678901",
    "txn id TXN12345",
    "CUST_123456",
    "upi id 9812345678@ybl",
    "5km away",
    "5th November",
    "do",  # a number word alone is never an amount
    "do din pehle",
    "ek baar",
    "sau baat ki ek baat",
    "dedh",
    "teen log",
    "tera kya hai",
    "k",
    "5 k",  # "k" only counts glued to the digits
    "L",
    "version 1.2.3",
    "Rs",
    "rupees",
    "₹",
    "₹ 5,00",  # malformed grouping: unclear what was meant
    "₹10000000000",  # 11 digits in a row: a phone or account number, even after ₹
    "Rs 0.001",  # finer than a paisa
    "₹10,00,00,00,00,001",  # above ₹10^12
    "2 lakh crore",  # 2 x 10^12
    "https://bank.example/pay?amount=5000rs",
    "rs500@okaxis",
]


@pytest.mark.parametrize("text", NOT_AMOUNTS)
def test_not_an_amount(text):
    assert find_amounts(text) == []
    assert parse_amount(text) is None


# --------------------------------------------------------------------------- bare numbers

BARE_AMOUNTS = [
    ("5000", "5000"),
    ("250", "250"),
    ("0", "0"),
    ("5000.50", "5000.50"),
    ("1,50,000", "150000"),
    ("150,000", "150000"),
    ("about 7500 I think", "7500"),
    ("₹5000", "5000"),
    ("123456 rs", "123456"),  # six digits with a currency marker are money
    ("Rs 150000", "150000"),
]


@pytest.mark.parametrize(("text", "expected"), BARE_AMOUNTS)
def test_bare_numbers_when_asked_for(text, expected):
    assert parse_amount(text, bare_numbers=True) == D(expected)


NOT_BARE_AMOUNTS = [
    "123456",  # an OTP
    "my otp is 483920",
    "150000",  # six digits alone look like an OTP: "1,50,000" or "1.5 lakh" is money
    "9812345678",
    "+91 98123 45678",
    "98123 45678",
    "4111 1111 1111 1111",
    "0123",
    "05/11/2026",
    "5/11",
    "10:30",
    "10.30am",
    "5 pm",
    "ref no 4567",
    "ref no. 4567",
    "UTR: 4123",
    "txn id is 4567",
    "card ending 1234",
    "order #5521",
    "OTP 4821",
    "2 din",
    "2 दिन",
    "3 days",
    "5 Nov",
    "Nov 2026",
    "5 नवंबर",
    "10 baje",
    "5%",
    "5th",
    "TXN12345",
    "CUST_123456",
    "abc@okaxis",
    "v1.2.3",
    "1.2.3",
    "do",
    "pachas",  # words alone are not numbers here either
    "sadhe 3",
]


@pytest.mark.parametrize("text", NOT_BARE_AMOUNTS)
def test_bare_numbers_that_are_something_else(text):
    assert find_amounts(text, bare_numbers=True) == []


# --------------------------------------------------------------------------- spans

def test_find_amounts_returns_every_amount_with_its_span():
    text = "Kal ₹5,000 kate, phir 2.5 lakh aur paanch hazaar rupaye bhi. OTP 123456"
    found = find_amounts(text)
    assert [(m.value, m.text) for m in found] == [
        (D("5000.00"), "₹5,000"),
        (D("250000.00"), "2.5 lakh"),
        (D("5000.00"), "paanch hazaar rupaye"),
    ]
    for match in found:
        assert text[match.start:match.end] == match.text
    assert parse_amount(text) == D("5000")  # the first one


def test_amounts_in_a_row_are_separate():
    assert [m.value for m in find_amounts("2 lakh 5 lakh")] == [D("200000"), D("500000")]
    assert [m.value for m in find_amounts("Rs 500, Rs 600 aur 700 rs")] == [D("500"), D("600"), D("700")]
    assert [m.value for m in find_amounts("5 hazaar 8000 rs")] == [D("5000"), D("8000")]


def test_span_includes_markers_on_both_sides():
    [match] = find_amounts("paid ₹ 5,000/- yesterday")
    assert match.text == "₹ 5,000/-"
    [match] = find_amounts("paid 5000 rupees and 50 paise")
    assert (match.text, match.value) == ("5000 rupees and 50 paise", D("5000.50"))


def test_amount_match_is_frozen():
    match = AmountMatch(D("1.00"), 0, 3, "₹1")
    with pytest.raises(dataclasses.FrozenInstanceError):
        match.value = D("2.00")


def test_only_the_first_characters_are_read():
    assert parse_amount("x" * MAX_TEXT_CHARS + " ₹5,000") is None
    assert parse_amount("x" * (MAX_TEXT_CHARS - 8) + " ₹5,000") == D("5000")
    # Ended by punctuation before the limit: complete. Ended by the limit: it might go on ("lakh").
    assert parse_amount("x" * (MAX_TEXT_CHARS - 9) + " ₹5,000, and more text") == D("5000")
    assert parse_amount("x" * (MAX_TEXT_CHARS - 8) + " ₹5,000 lakh") is None


@pytest.mark.parametrize("tail", ["₹5000000", "Rs 5 lakh", "Rs 5,00,000", "5 lakh rupees"])
def test_an_amount_cut_by_the_limit_is_not_read_as_a_smaller_one(tail):
    for cut in range(1, len(tail)):
        text = "x" * (MAX_TEXT_CHARS - cut - 1) + " " + tail
        assert len(text[:MAX_TEXT_CHARS]) == MAX_TEXT_CHARS and text[MAX_TEXT_CHARS:]
        assert find_amounts(text) == [], (cut, text[MAX_TEXT_CHARS - 12:])


def test_the_ceiling_is_ten_lakh_crore():
    assert parse_amount("₹10,00,00,00,00,000") == D(10) ** 12
    assert parse_amount("ek lakh crore") == D(10) ** 12
    assert parse_amount("₹10,00,00,00,00,000.01") is None


def test_long_hostile_input_is_bounded():
    for text in ("1 lakh " * 1000, "do " * 1000, "₹" * 5000, "1," * 5000, "sadhe " * 1000):
        matches = find_amounts(text, bare_numbers=True)
        assert all(m.end <= MAX_TEXT_CHARS for m in matches)


# --------------------------------------------------------------------------- speaking amounts

SPOKEN = [
    # amount, en, hinglish, hi
    ("150000", "1.5 lakh rupees", "1.5 lakh rupaye", "1.5 लाख रुपये"),
    ("100000", "1 lakh rupees", "1 lakh rupaye", "1 लाख रुपये"),
    ("250000", "2.5 lakh rupees", "2.5 lakh rupaye", "2.5 लाख रुपये"),
    ("105000", "1.05 lakh rupees", "1.05 lakh rupaye", "1.05 लाख रुपये"),
    ("1000000", "10 lakh rupees", "10 lakh rupaye", "10 लाख रुपये"),
    ("20000000", "2 crore rupees", "2 crore rupaye", "2 करोड़ रुपये"),
    ("12500000", "1.25 crore rupees", "1.25 crore rupaye", "1.25 करोड़ रुपये"),
    ("100000000000", "10000 crore rupees", "10000 crore rupaye", "10000 करोड़ रुपये"),
    ("12345678", "1 crore 23 lakh 45 thousand 678 rupees", "1 crore 23 lakh 45 hazaar 678 rupaye",
     "1 करोड़ 23 लाख 45 हज़ार 678 रुपये"),
    ("123456", "1 lakh 23 thousand 456 rupees", "1 lakh 23 hazaar 456 rupaye", "1 लाख 23 हज़ार 456 रुपये"),
    ("10000500", "1 crore 500 rupees", "1 crore 500 rupaye", "1 करोड़ 500 रुपये"),
    ("5000", "5 thousand rupees", "5 hazaar rupaye", "5 हज़ार रुपये"),
    ("2500", "2 thousand 500 rupees", "2 hazaar 500 rupaye", "2 हज़ार 500 रुपये"),
    ("99999", "99 thousand 999 rupees", "99 hazaar 999 rupaye", "99 हज़ार 999 रुपये"),
    ("250", "250 rupees", "250 rupaye", "250 रुपये"),
    ("1", "1 rupee", "1 rupaya", "1 रुपया"),
    ("0", "0 rupees", "0 rupaye", "0 रुपये"),
    ("0.75", "75 paise", "75 paise", "75 पैसे"),
    ("0.01", "1 paisa", "1 paisa", "1 पैसा"),
    ("5000.50", "5 thousand rupees and 50 paise", "5 hazaar rupaye 50 paise", "5 हज़ार रुपये 50 पैसे"),
    ("150000.05", "1.5 lakh rupees and 5 paise", "1.5 lakh rupaye 5 paise", "1.5 लाख रुपये 5 पैसे"),
    ("1.01", "1 rupee and 1 paisa", "1 rupaya 1 paisa", "1 रुपया 1 पैसा"),
]


@pytest.mark.parametrize(("amount", "en", "hinglish", "hi"), SPOKEN)
def test_amount_in_words(amount, en, hinglish, hi):
    assert amount_in_words(D(amount), "en") == en
    assert amount_in_words(D(amount), "hinglish") == hinglish
    assert amount_in_words(D(amount), "hi") == hi


@pytest.mark.parametrize("language", SPEECH_LANGUAGES)
@pytest.mark.parametrize("amount", [row[0] for row in SPOKEN] + ["1234567.89", "987654321.10", "1000000000000"])
def test_spoken_amounts_read_back_to_the_same_amount(language, amount):
    assert parse_amount(amount_in_words(D(amount), language)) == D(amount)


def test_spoken_amount_is_rounded_like_the_written_one():
    # half to even, as Babel rounds format_inr: what is said matches what is shown
    assert format_inr(D("123.455")) == "₹123.46"
    assert amount_in_words(D("123.455"), "en") == "123 rupees and 46 paise"
    assert format_inr(D("123.445")) == "₹123.44"
    assert amount_in_words(D("123.445"), "en") == "123 rupees and 44 paise"


def test_amount_in_words_refuses_what_it_cannot_say():
    with pytest.raises(ValueError, match="negative"):
        amount_in_words(D("-5"), "en")
    with pytest.raises(ValueError, match="'ta'"):
        amount_in_words(D("5"), "ta")
