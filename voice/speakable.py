"""A reply as it should be *said*: what the bot writes for a screen, rewritten for a speech engine.

    ₹1,50,000        "one lakh fifty thousand rupees"      hi: "150000 रुपये"
    Rs. 2,499.50     "two thousand four hundred ninety nine rupees and fifty paise"
    ending 4321      "ending 4 3 2 1"                     (card and account digits one by one)
    XXXX4321         "ending 4 3 2 1"
    OTP 482913       "OTP 4 8 2 9 1 3"                    (any run of 5+ digits, or 4 after a code word)
    +91 98123 45678  "+9 1, 9 8 1 2 3, 4 5 6 7 8"
    25 Nov 2026      "twenty fifth November twenty twenty six"    hi: "25 नव॰ 2026" -> "25 नवंबर 2026"

Amounts are found by i18n.amounts (`find_amounts`), which already knows what is money and what is a
phone or card number, and are said in the words and with the rounding of `amount_in_words`. Only the
numbers in its phrase are changed: "1.5 lakh rupees" is how the bot writes a spoken amount, but a
speech engine reads "1.5" as "one point five", so the rupees are said in full in the Indian system.

English (and Hinglish, which an English voice reads) gets the numbers in words, because an English
engine groups digits in thousands and millions ("one hundred fifty thousand"). Every other language
keeps digits: espeak-ng, which Piper voices phonemize with, reads "150000" in Hindi as "ek lakh pachaas
hazaar" and in Tamil with lakh grouping too (checked), in the voice's own words. Dates written with a
month name or as day/month/year are said in full; relative dates ("2 days ago") are left as written.
Languages outside i18n.amounts.SPEECH_LANGUAGES say amounts with the English unit words."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from functools import lru_cache

from babel.dates import format_date, get_month_names

from i18n.amounts import SPEECH_LANGUAGES, amount_in_words, find_amounts
from i18n.dates import find_dates, month_number
from i18n.money import LOCALES

SPOKEN_IN_ENGLISH = ("en", "hinglish")

_ONES = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
         "sixteen seventeen eighteen nineteen").split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
_ORDINAL_ENDINGS = {"one": "first", "two": "second", "three": "third", "five": "fifth", "eight": "eighth",
                    "nine": "ninth", "twelve": "twelfth"}

# Digits said one by one: 4 after a word that introduces card/account digits or a code ...
_DIGITS_AFTER_WORD = re.compile(
    r"(?i)(?<![^\W\d_])(ending(?: in)?|last \w+ digits|अंतिम अंक|otp|pin|code|ref(?:erence)?(?: no\.?)?|utr|"
    r"id)(\s*[:#]?\s*)(\d{4,})(?!\d)")
# ... 4+ digits after masking characters (XXXX4321, ••••4321) ...
_MASKED = re.compile(r"(?<![^\W\d_])[Xx*•]{2,}[\s-]*(\d{4,})(?!\d)")
# ... and any run of 5+ digits, possibly grouped by spaces or hyphens (phones, accounts, references).
_LONG_DIGITS = re.compile(r"\+?(?<![\d.,])\d+(?:[ -]\d+)*(?![\d])")
_NUMERIC_DATE = re.compile(r"\d{1,4}[/.\-]\d{1,2}(?:[/.\-]\d{2,4})?")
_HAS_YEAR = re.compile(r"\d{4}|\d[/.\-]\d{1,2}[/.\-]\d{2}\b|'\s*\d{2}\b")


def speakable(text: str, language: str, today: date | None = None) -> str:
    """`text` with amounts, dates and digit strings as a speech engine in `language` should say them.
    `today` only resolves dates written without a year (never said, but needed to check the day exists)."""
    today = today or date.today()
    english = language in SPOKEN_IN_ENGLISH
    replacements: list[tuple[int, int, str]] = [
        (m.start, m.end, spoken_amount(m.value, language)) for m in find_amounts(text)]
    taken = [(start, end) for start, end, _ in replacements]
    for m in find_dates(text, today):
        if _is_written_date(m.text) and not any(m.start < end and start < m.end for start, end in taken):
            replacements.append((m.start, m.end, spoken_date(m.value, language, with_year=bool(_HAS_YEAR.search(m.text)))))
    pieces: list[str] = []
    position = 0
    for start, end, said in sorted(replacements):
        pieces.append(_digits_and_months(text[position:start], english, language))
        pieces.append(said)
        position = end
    pieces.append(_digits_and_months(text[position:], english, language))
    return "".join(pieces)


# --- amounts -------------------------------------------------------------------------------------

def spoken_amount(amount: Decimal, language: str) -> str:
    """"₹1,50,000" -> "one lakh fifty thousand rupees" (en); "150000 रुपये" (hi)."""
    words_language = language if language in SPEECH_LANGUAGES else "en"
    number: Callable[[int], str] = indian_number_words if language in SPOKEN_IN_ENGLISH else str
    amount = Decimal(amount).quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)
    rupees, paise = divmod(int(amount * 100), 100)
    said = amount_in_words(amount, words_language)
    # amount_in_words says "<rupees> <rupee word>", then a joiner and "<paise> <paise word>" when there
    # are paise; each part is what it says for that part alone. Swap each part's number phrase.
    if rupees or not paise:
        part = amount_in_words(Decimal(rupees), words_language)
        said = f"{number(rupees)} {part.rsplit(' ', 1)[1]}" + said[len(part):]
    if paise:
        part = amount_in_words(Decimal(paise) / 100, words_language)
        said = said[:len(said) - len(part)] + f"{number(paise)} {part.rsplit(' ', 1)[1]}"
    return said


def indian_number_words(n: int) -> str:
    """English words in the Indian system: 150000 -> "one lakh fifty thousand",
    12345678 -> "one crore twenty three lakh forty five thousand six hundred seventy eight"."""
    if n < 0:
        raise ValueError(f"no words for a negative number: {n}")
    if n == 0:
        return "zero"
    crore, n = divmod(n, 10_000_000)
    lakh, n = divmod(n, 100_000)
    thousand, n = divmod(n, 1_000)
    hundred, n = divmod(n, 100)
    words = []
    if crore:
        words.append(f"{indian_number_words(crore)} crore")  # 100 crore and up: "one lakh crore"
    words += [f"{_below_hundred(count)} {name}" for count, name in
              ((lakh, "lakh"), (thousand, "thousand"), (hundred, "hundred")) if count]
    if n:
        words.append(_below_hundred(n))
    return " ".join(words)


def _below_hundred(n: int) -> str:
    if n < 20:
        return _ONES[n]
    tens, ones = divmod(n, 10)
    return _TENS[tens] + (f" {_ONES[ones]}" if ones else "")


# --- dates ---------------------------------------------------------------------------------------

def spoken_date(day: date, language: str, *, with_year: bool) -> str:
    """en: "twenty fifth November twenty twenty six"; other languages: "25 नवंबर 2026" (the voice
    reads the digits in its own language)."""
    if language in SPOKEN_IN_ENGLISH:
        said = f"{ordinal_words(day.day)} {format_date(day, 'MMMM', locale='en_IN')}"
        return f"{said} {year_words(day.year)}" if with_year else said
    return format_date(day, "d MMMM y" if with_year else "d MMMM", locale=LOCALES.get(language, "en_IN"))


def ordinal_words(n: int) -> str:
    """1 -> "first", 25 -> "twenty fifth", 30 -> "thirtieth"."""
    *head, last = indian_number_words(n).split()
    if last in _ORDINAL_ENDINGS:
        last = _ORDINAL_ENDINGS[last]
    elif last.endswith("y"):
        last = last[:-1] + "ieth"
    else:
        last += "th"
    return " ".join([*head, last])


def year_words(year: int) -> str:
    """2026 -> "twenty twenty six", 2000 -> "two thousand", 2007 -> "two thousand seven",
    1999 -> "nineteen ninety nine", 1905 -> "nineteen oh five"."""
    century, rest = divmod(year, 100)
    if year % 1000 < 10 or not 1100 <= year <= 2999:
        return _international_words(year)
    if rest == 0:
        return f"{_below_hundred(century)} hundred"
    return f"{_below_hundred(century)} {'oh ' if rest < 10 else ''}{_below_hundred(rest)}"


def _international_words(n: int) -> str:
    thousand, rest = divmod(n, 1000)
    hundred, rest = divmod(rest, 100)
    words = [f"{_below_hundred(thousand)} thousand"] if thousand else []
    words += [f"{_below_hundred(hundred)} hundred"] if hundred else []
    words += [_below_hundred(rest)] if rest or not words else []
    return " ".join(words)


def _is_written_date(text: str) -> bool:
    """A date written with a month name or as numbers ("25 Nov 2026", "05/11/2026"), not a relative one
    ("2 days ago", "kal")."""
    if _NUMERIC_DATE.fullmatch(text):
        return True
    return any(character.isdigit() for character in text) and any(
        month_number(word) for word in re.findall(r"[^\W\d_]+", text))


# --- digits and abbreviated months in the rest of the text ----------------------------------------

def _digits_and_months(text: str, english: bool, language: str) -> str:
    if not english:
        text = _wide_months(language)(text)
    text = _DIGITS_AFTER_WORD.sub(lambda m: m[1] + m[2] + _one_by_one(m[3]), text)
    text = _MASKED.sub(lambda m: ("ending " if english else "") + _one_by_one(m[1]), text)
    return _LONG_DIGITS.sub(_long_digits, text)


def _long_digits(match: re.Match[str]) -> str:
    if sum(character.isdigit() for character in match[0]) < 5:
        return match[0]
    plus = "+" if match[0].startswith("+") else ""
    return plus + ", ".join(_one_by_one(group) for group in re.split(r"[ -]", match[0].lstrip("+")))


def _one_by_one(digits: str) -> str:
    return " ".join(digits)


@lru_cache(maxsize=None)
def _wide_months(language: str) -> Callable[[str], str]:
    """A function that writes a locale's abbreviated month names in full after a day number
    ("25 नव॰ 2026" -> "25 नवंबर 2026"), as the bot's date format abbreviates them for the screen."""
    locale = LOCALES.get(language, "en_IN")
    short, wide = get_month_names("abbreviated", locale=locale), get_month_names("wide", locale=locale)
    full = {short[month]: wide[month] for month in range(1, 13) if short[month] != wide[month]}
    if not full:
        return lambda text: text
    names = "|".join(re.escape(name) for name in sorted(full, key=len, reverse=True))
    pattern = re.compile(rf"(\d{{1,2}}\s+)({names})(?![^\W\d_])")
    return lambda text: pattern.sub(lambda m: m[1] + full[m[2]], text)
