"""Numerals as Indians type and say them: digits in any Indic script, and number words 1..99 in
English, romanized Hindi ("pachas", "pachaas") and Devanagari ("पचास"). Shared by the amount and the
date parsers (i18n/amounts.py, i18n/dates.py), which own the grammar around the numbers.

Romanized Hindi has no standard spelling, so words are compared in a canonical form (lower case,
"ee"->"i", "oo"->"u", "w"->"v", "z"->"j", doubled letters collapsed, a final "h" after a vowel dropped)
and the tables list the common spellings that still differ after that. Devanagari words are compared
without nukta, ZWJ/ZWNJ, and with chandrabindu read as anusvara ("पाँच" = "पांच", "हज़ार" = "हजार")."""

from __future__ import annotations

import re
import unicodedata

# Zero of each Indic script's digits; the nine after it follow in order (Unicode lays them out so).
_INDIC_ZEROS = {
    "devanagari": 0x0966,
    "bengali": 0x09E6,
    "gurmukhi": 0x0A66,
    "gujarati": 0x0AE6,
    "odia": 0x0B66,
    "tamil": 0x0BE6,
    "telugu": 0x0C66,
    "kannada": 0x0CE6,
    "malayalam": 0x0D66,
}
_TO_ASCII_DIGITS = {zero + d: str(d) for zero in _INDIC_ZEROS.values() for d in range(10)}

# Letters of Latin and the Indic scripts, with their vowel signs and viramas (which are not `\w` in
# Python's `re`), and the joiners that sit inside Indic words. Digits are excluded: callers translate
# them to ASCII first. The dandas (U+0964, U+0965) are punctuation.
LETTER_CLASS = (
    "A-Za-z"
    "\u0900-\u0963\u0970-\u097F"  # Devanagari
    "\u0980-\u09E5\u09F0-\u09FF"  # Bengali
    "\u0A00-\u0A65\u0A70-\u0A7F"  # Gurmukhi
    "\u0A80-\u0AE5\u0AF0-\u0AFF"  # Gujarati
    "\u0B00-\u0B65\u0B70-\u0B7F"  # Odia
    "\u0B80-\u0BE5\u0BF0-\u0BFF"  # Tamil
    "\u0C00-\u0C65\u0C70-\u0C7F"  # Telugu
    "\u0C80-\u0CE5\u0CF0-\u0CFF"  # Kannada
    "\u0D00-\u0D65\u0D70-\u0D7F"  # Malayalam
    "\u200C\u200D"
)
WORD = re.compile(f"[{LETTER_CLASS}]+")


def to_ascii_digits(text: str) -> str:
    """Indic digits to ASCII, one character for one, so offsets in the result are offsets in `text`."""
    return text.translate(_TO_ASCII_DIGITS)


def bounded_window(text: str, limit: int) -> str:
    """The first `limit` characters of `text`, less a word the limit cuts in two: "₹5000000" cut to
    "₹500" would be a different amount, "12/11" cut from "12/11/2026" a different date."""
    if len(text) <= limit or text[limit].isspace():
        return text[:limit]
    for cut in range(limit - 1, -1, -1):
        if text[cut].isspace():
            return text[:cut + 1]
    return ""


def cut_short(window: str, text: str, end: int) -> bool:
    """Whether a match ending at `end` is the last thing in a window that cut `text` short: it may
    go on past the cut ("Rs 5" | "lakh", "5 Nov" | "2024"), so it is not read at all."""
    return len(window) < len(text) and window[end:].strip() == ""


_NUKTA_OR_JOINER = re.compile("[\u093C\u09BC\u0A3C\u0ABC\u0B3C\u0CBC\u200C\u200D]")
_REPEATS = re.compile(r"([a-z])\1+")
_FINAL_H = re.compile(r"(?<=[aeiou])h$")


def canonical_word(word: str) -> str:
    """The form words are looked up in (see the module docstring)."""
    if word.isascii():
        word = word.lower().replace("ee", "i").replace("oo", "u").replace("w", "v").replace("z", "j")
        return _FINAL_H.sub("", _REPEATS.sub(r"\1", word))
    word = unicodedata.normalize("NFD", word)
    return unicodedata.normalize("NFC", _NUKTA_OR_JOINER.sub("", word).replace("\u0901", "\u0902"))


def word_table(entries: dict[str, object], *, what: str) -> dict[str, object]:
    """Canonical spelling -> meaning. Two spellings that collapse to one key with different meanings
    are a bug in the table, so they fail at import, not as a wrong number in a conversation."""
    table: dict[str, object] = {}
    for spellings, meaning in entries.items():
        for spelling in spellings.split():
            key = canonical_word(spelling)
            if table.get(key, meaning) != meaning:
                raise ValueError(f"{what}: {spelling!r} means both {table[key]!r} and {meaning!r}")
            table[key] = meaning
    return table


# Space-separated spellings of one number. Romanized spellings cover what the canonical form does
# not unify (vowel choices, dropped syllables).
_HINDI_ROMAN = {
    1: "ek", 2: "do", 3: "teen tin", 4: "char chaar", 5: "paanch panch paach",
    6: "chhe chhah chheh cheh", 7: "saat", 8: "aath", 9: "nau", 10: "das dus",
    11: "gyarah gyaarah igyarah", 12: "barah baarah", 13: "terah", 14: "chaudah chodah chaudha",
    15: "pandrah pandhrah pundrah", 16: "solah", 17: "satrah sattrah", 18: "atharah athaarah attharah",
    19: "unnis unees unnees", 20: "bees", 21: "ikkis ikkees", 22: "baais bais baees",
    23: "teis teyis", 24: "chaubis chaubees chobis", 25: "pachis pachees pacchis",
    26: "chhabbis chabbis chhabees", 27: "sattais sattaees sattaeis", 28: "atthais atthaees athais",
    29: "untis unatis untees", 30: "tees", 31: "ikattis iktees ikatees iktis",
    32: "battis battees", 33: "taintis tentees taitees taintees", 34: "chautis chauntees chontis chauntis",
    35: "paintis paintees pentis", 36: "chhattis chattis chhattees", 37: "saintis saintees",
    38: "adtis artees adtees artis", 39: "untalis unchalis untaalis", 40: "chalis chaalis chalees",
    41: "iktalis ektalis iktaalis", 42: "bayalis bayaalis biyalis", 43: "taintalis tentalis tentaalis",
    44: "chavalis chawalis chauvalis", 45: "paintalis pentalis paintaalis",
    46: "chhiyalis chiyalis chhiyaalis", 47: "saintalis saintaalis", 48: "adtalis artalis adtaalis",
    49: "unchas unanchas", 50: "pachas pachaas", 51: "ikyavan ikyaavan ekyavan",
    52: "bavan baavan", 53: "tirpan tirepan", 54: "chauvan chauwan", 55: "pachpan",
    56: "chhappan chappan", 57: "sattavan sataavan", 58: "atthavan athaavan", 59: "unsath unsaath",
    60: "saath", 61: "iksath iksaath", 62: "basath baasath", 63: "tirsath tiresath",
    64: "chausath chaunsath", 65: "painsath pensath", 66: "chhiyasath chiyasath",
    67: "sarsath sadsath", 68: "adsath arsath", 69: "unhattar", 70: "sattar", 71: "ikhattar",
    72: "bahattar", 73: "tihattar", 74: "chauhattar", 75: "pachhattar pachattar", 76: "chhihattar",
    77: "satattar sathattar", 78: "athhattar atthattar", 79: "unasi unaasi", 80: "assi",
    81: "ikyasi ikyaasi", 82: "bayasi", 83: "tirasi", 84: "chaurasi", 85: "pachasi", 86: "chhiyasi",
    87: "sattasi", 88: "atthasi", 89: "navasi nawasi", 90: "nabbe", 91: "ikyanve ikyanbe",
    92: "banve baanve", 93: "tiranve", 94: "chauranve", 95: "pachanve", 96: "chhiyanve",
    97: "sattanve", 98: "atthanve", 99: "ninyanve ninnyanve nityanve",
}
_HINDI_DEVANAGARI = {
    1: "एक", 2: "दो", 3: "तीन", 4: "चार", 5: "पाँच", 6: "छह छः छै छे", 7: "सात", 8: "आठ", 9: "नौ",
    10: "दस", 11: "ग्यारह", 12: "बारह", 13: "तेरह", 14: "चौदह", 15: "पंद्रह पन्द्रह", 16: "सोलह",
    17: "सत्रह", 18: "अठारह", 19: "उन्नीस", 20: "बीस", 21: "इक्कीस", 22: "बाईस", 23: "तेईस",
    24: "चौबीस", 25: "पच्चीस", 26: "छब्बीस", 27: "सत्ताईस", 28: "अट्ठाईस अठ्ठाईस", 29: "उनतीस",
    30: "तीस", 31: "इकतीस इकत्तीस", 32: "बत्तीस", 33: "तैंतीस", 34: "चौंतीस", 35: "पैंतीस",
    36: "छत्तीस", 37: "सैंतीस", 38: "अड़तीस", 39: "उनतालीस", 40: "चालीस", 41: "इकतालीस",
    42: "बयालीस", 43: "तैंतालीस", 44: "चवालीस चौवालीस", 45: "पैंतालीस", 46: "छियालीस",
    47: "सैंतालीस", 48: "अड़तालीस", 49: "उनचास", 50: "पचास", 51: "इक्यावन", 52: "बावन",
    53: "तिरपन तिरेपन", 54: "चौवन", 55: "पचपन", 56: "छप्पन", 57: "सत्तावन", 58: "अट्ठावन अठ्ठावन",
    59: "उनसठ", 60: "साठ", 61: "इकसठ", 62: "बासठ", 63: "तिरसठ", 64: "चौंसठ", 65: "पैंसठ",
    66: "छियासठ", 67: "सड़सठ", 68: "अड़सठ", 69: "उनहत्तर", 70: "सत्तर", 71: "इकहत्तर",
    72: "बहत्तर", 73: "तिहत्तर", 74: "चौहत्तर", 75: "पचहत्तर", 76: "छिहत्तर", 77: "सतहत्तर",
    78: "अठहत्तर", 79: "उन्यासी उनासी", 80: "अस्सी", 81: "इक्यासी", 82: "बयासी", 83: "तिरासी",
    84: "चौरासी", 85: "पचासी", 86: "छियासी", 87: "सत्तासी", 88: "अट्ठासी अठ्ठासी", 89: "नवासी",
    90: "नब्बे", 91: "इक्यानबे इक्यानवे", 92: "बानबे बानवे", 93: "तिरानबे तिरानवे",
    94: "चौरानबे चौरानवे", 95: "पचानबे पचानवे", 96: "छियानबे छियानवे", 97: "सत्तानबे सत्तानवे",
    98: "अट्ठानबे अट्ठानवे", 99: "निन्यानबे निन्यानवे",
}
_ENGLISH_UNITS = {
    1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight",
    9: "nine", 10: "ten", 11: "eleven", 12: "twelve", 13: "thirteen", 14: "fourteen", 15: "fifteen",
    16: "sixteen", 17: "seventeen", 18: "eighteen", 19: "nineteen",
}
_ENGLISH_TENS = {20: "twenty", 30: "thirty", 40: "forty fourty", 50: "fifty", 60: "sixty",
                 70: "seventy", 80: "eighty", 90: "ninety"}


def _spellings(*tables: dict[int, str]) -> dict[str, object]:
    return {spellings: number for table in tables for number, spellings in table.items()}


WORD_NUMBERS: dict[str, object] = word_table(
    _spellings(_HINDI_ROMAN, _HINDI_DEVANAGARI, _ENGLISH_UNITS, _ENGLISH_TENS), what="number words")
ENGLISH_TENS: dict[str, object] = word_table(_spellings(_ENGLISH_TENS), what="English tens")
ENGLISH_UNITS_1_TO_9: dict[str, object] = word_table(
    _spellings({n: s for n, s in _ENGLISH_UNITS.items() if n < 10}), what="English units")


def word_number(word: str) -> int | None:
    """1..99 for a number word in English, romanized Hindi or Devanagari ("fifty", "pachaas",
    "पचास"); None for any other word. English "twenty five" is two words: see `join_english_tens`."""
    value = WORD_NUMBERS.get(canonical_word(word))
    return value if isinstance(value, int) else None


def join_english_tens(tens_word: str, unit_word: str) -> int | None:
    """"twenty" + "five" -> 25; None unless the first is an English tens word and the second 1..9."""
    tens = ENGLISH_TENS.get(canonical_word(tens_word))
    unit = ENGLISH_UNITS_1_TO_9.get(canonical_word(unit_word))
    return tens + unit if isinstance(tens, int) and isinstance(unit, int) else None
