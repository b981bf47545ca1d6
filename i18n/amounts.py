"""Amounts of money as Indian customers type and say them, and amounts as the bot should say them.

Reading (`find_amounts`, `parse_amount`):

    "₹5,000"  "Rs.5,000.50"  "INR 5000"  "5000 rs"  "5000/-"  "५००० रुपये"  "৫০০০ টাকা"
    "5k"  "2.5 lakh"  "2.5L"  "1.2 cr"  "15 hazaar"  "paanch hazaar"  "डेढ़ लाख"  "dhai sau"
    "do lakh pachas hazaar"  "sava lakh"  "saadhe teen hazaar"  "five thousand rupees"  "50 paise"

A number is an amount only with a currency marker (₹, Rs, INR, रु before it; rupees, rupaye, रुपये,
টাকা, ... or "/-" after it) or a multiplier word after a number (k, hundred/sau, thousand/hazaar, lakh,
crore, million, billion, and their Indic spellings; "sau baar" alone is not money, "lakh rupees" is). With `bare_numbers=True` (the bot has just asked "how much?") a
plain number written in digits counts too, except what looks like something else: a 6-digit code
(an OTP), a run of 10+ digits (phone, card, account, UTR), a number with a leading zero, a number right
after a reference word ("ref", "UTR", "txn id", "card", "OTP" ...), a number next to a unit or a month
("2 din", "5 Nov", "10 baje", "5%"). Number *words* alone are never amounts ("do" is also "give").

Never amounts, whatever surrounds them: dates ("05/11/2026", "5-11-26"), times ("10:30", "5 pm"),
phone numbers ("+91 98123 45678"), digit groups of 10+ digits ("4111 1111 1111 1111"), UPI ids and
e-mail addresses, links, digits glued to letters ("TXN12345", "CUST_123456", "5km", "5th").

Hindi compounds follow the spoken order, largest unit first ("ek crore bees lakh", "5 hazaar 500");
"2 lakh 5 lakh" is two amounts. "2-3 lakh" is read as 3 lakh (the upper end). "and"/"aur" does not
join amounts, except English "hundred and fifty" and "... rupees and 50 paise".

Bounded: only the first MAX_TEXT_CHARS characters are read; values above MAX_AMOUNT (₹10^12) and
values finer than a paisa are not amounts.

Speaking (`amount_in_words`): see its docstring."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

from i18n.dates import month_number
from i18n.numerals import (LETTER_CLASS, bounded_window, canonical_word, cut_short, join_english_tens,
                           to_ascii_digits, word_number, word_table)

MAX_TEXT_CHARS = 2_000
MAX_AMOUNT = Decimal(10) ** 12
_PAISA = Decimal("0.01")
_HUNDRED = Decimal(100)
_THOUSAND = Decimal(1_000)
_LAKH = Decimal(100_000)
_CRORE = Decimal(10_000_000)


@dataclass(frozen=True)
class AmountMatch:
    value: Decimal  # rupees, 2 decimal places
    start: int  # offsets into the text given to find_amounts
    end: int
    text: str  # text[start:end], as the customer wrote it


# --- vocabulary (space-separated spellings; compared via numerals.canonical_word) ---------------

# Written before the number, and bind to a number that follows them: "Rs 500", "₹500", "रु 500".
_PREFIX_MARKERS = word_table({"rs inr रु": True}, what="currency prefixes")
_SUFFIX_MARKERS = word_table({
    "rs inr rupee rupees rupaye rupaiye rupaya rupya rupye rupay rupiya rupiye rupaiya rupaiyya": True,
    "रुपये रुपए रुपया रूपये रूपए रूपया रुपयों रुपैया रु": True,
    "টাকা": True,  # Bengali
    "ਰੁਪਏ ਰੁਪਈਏ ਰੁਪਿਆ": True,  # Gurmukhi
    "રૂપિયા રૂપિયો": True,  # Gujarati
    "ଟଙ୍କା": True,  # Odia
    "ரூபாய் ரூபாய்கள்": True,  # Tamil
    "రూపాయలు రూపాయి": True,  # Telugu
    "ರೂಪಾಯಿ ರೂಪಾಯಿಗಳು": True,  # Kannada
    "രൂപ": True,  # Malayalam
}, what="currency suffixes")
_PAISE_MARKERS = word_table({"paise paisa paisey पैसे पैसा": True}, what="paise words")
_MULTIPLIERS = word_table({
    "hundred hundreds sau सौ": _HUNDRED,
    "thousand thousands hazaar hazar hajar hazzar हज़ार हजार": _THOUSAND,
    "হাজার ਹਜ਼ਾਰ ਹਜਾਰ હજાર ହଜାର ஆயிரம் వేలు వెయ్యి ಸಾವಿರ ആയിരം": _THOUSAND,
    "lakh lakhs laakh lac lacs लाख লাখ লক্ষ ਲੱਖ ਲਖ લાખ ଲକ୍ଷ லட்சம் లక్ష లక్షలు ಲಕ್ಷ ലക്ഷം": _LAKH,
    "million millions": Decimal(10) ** 6,
    "crore crores cr karod karor करोड़ करोड कोटी কোটি ਕਰੋੜ કરોડ କୋଟି கோடி కోటి కోట్లు ಕೋಟಿ കോടി": _CRORE,
    "billion billions": Decimal(10) ** 9,
}, what="multipliers")
# Only glued to digits: "5k", "2.5L" (a lone "k" or "L" is not a number).
_ATTACHED_MULTIPLIERS = {"k": _THOUSAND, "l": _LAKH}
# Fractions said as one word: "dedh lakh" 1.5 lakh, "dhai sau" 250, "paun" 0.75.
_FRACTIONS = word_table({
    "dedh derh डेढ़ डेढ": Decimal("1.5"),
    "dhai dhaai adhai adhaai ढाई अढ़ाई अढाई": Decimal("2.5"),
    "paun pauna पौन पौना": Decimal("0.75"),
}, what="fractions")
# Said before a number: "saadhe teen" 3.5, "sava do" 2.25, "paune do" 1.75; "sava lakh" is 1.25 lakh.
_FRACTION_PREFIXES = word_table({
    "sadhe saadhe saade sade साढ़े साढे": Decimal("0.5"),
    "sava savaa sawa सवा": Decimal("0.25"),
    "paune pone पौने": Decimal("-0.25"),
}, what="fraction prefixes")
_ALONE_BEFORE_MULTIPLIER = word_table({
    "sava savaa sawa सवा": Decimal("1.25"),
    "paune pone पौने": Decimal("0.75"),
}, what="fraction prefixes alone")
_AND = word_table({"and": True}, what="and")
_RUPEES_AND = word_table({"and aur और": True}, what="and before paise")

# A bare number right after one of these is a reference, a code or an identifier, not money.
_REFERENCE_WORDS = word_table({
    "ref reference utr rrn txn trxn transaction id no number num otp pin mpin cvv card account acct "
    "ac upi order invoice policy cust customer mobile phone call dial whatsapp aadhaar aadhar pan "
    "ending code serial ticket complaint case": True,
    "नंबर नम्बर संख्या ओटीपी पिन खाता कार्ड मोबाइल फोन फ़ोन": True,
}, what="reference words")
# A bare number next to one of these counts something else.
_UNIT_WORDS = word_table({
    "din dino day days saal sal year years yr yrs mahina mahine month months hafta hafte week weeks "
    "ghanta ghante hour hours hr hrs minute minutes min mins second seconds sec baje am pm tarikh "
    "baar times percent pratishat st nd rd th log people": True,
    "दिन दिनों साल वर्ष महीना महीने हफ्ता हफ्ते सप्ताह घंटा घंटे मिनट बजे तारीख बार प्रतिशत लोग": True,
}, what="unit words")

# --- spans that are never amounts --------------------------------------------------------------

_PROTECTED = re.compile(
    r"\+\s?\d[\d\s-]{6,}\d"  # phone number with a country code
    r"|(?<![\d.])\d{1,4}[/.-]\d{1,2}[/.-]\d{2,4}(?![\d])"  # 05/11/2026, 5-11-26, 5.11.2026, 2026-11-05
    r"|(?<![\d,.])\d{1,2}/\d{1,2}(?![\d/])"  # 5/11 (day/month)
    r"|(?<!\d)\d{1,2}:\d{2}(?::\d{2})?(?!\d)"  # 10:30, 10:30:15
    r"|(?<![\d.])\d{1,2}(?:\.\d{2})?\s?(?:[ap]\.m\.|[ap]m\b)"  # 5 pm, 10.30am
    r"|[\w.+-]+@[\w.-]+"  # UPI id, e-mail address
    r"|https?://\S+|www\.\S+",
    re.IGNORECASE,
)
_DIGIT_GROUP_RUN = re.compile(r"(?<![\d,.])\d+(?:[ -]\d+)+(?![\d,.]?\d)")  # 4111 1111 1111 1111
_LONG_DIGIT_RUN = 10

# --- tokens ------------------------------------------------------------------------------------

_TOKEN = re.compile(
    rf"(?P<num>\d+(?:,\d+)*(?:\.\d+)?)|(?P<sign>₹)|(?P<dash>/-)|(?P<word>[{LETTER_CLASS}]+)")
_SPACE = re.compile(r"\s*")
_SPACE_OR_HYPHEN = re.compile(r"\s*-?\s*")
_PREFIX_GAP = re.compile(r"\.?\s*")  # "Rs.5000", "Rs. 5000", "रु. 500"
_REFERENCE_GAP = re.compile(r"[\s:#.\-]*")  # "ref no. 1234", "UTR: 4123", "txn #42"
_MAX_DIGITS = 15


@dataclass(frozen=True)
class _Token:
    kind: str  # num | sign | dash | word
    start: int
    end: int
    key: str  # canonical word, or the digits as written
    number: Decimal | None  # a num token's value; None for malformed grouping ("5,00") and words
    plain_digits: bool  # digits only: no grouping commas, no decimal point


def _tokens(text: str) -> list[_Token]:
    tokens = []
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup
        raw = m.group()
        if kind == "num":
            tokens.append(_Token("num", m.start(), m.end(), raw, _number(raw), raw.isdigit()))
        else:
            tokens.append(_Token(kind, m.start(), m.end(), canonical_word(raw), None, False))
    return tokens


def _number(raw: str) -> Decimal | None:
    whole, _, fraction = raw.partition(".")
    groups = whole.split(",")
    if len(groups) > 1:
        western = 1 <= len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:])
        indian = (1 <= len(groups[0]) <= 2 and all(len(g) == 2 for g in groups[1:-1])
                  and len(groups[-1]) == 3)
        if not (western or indian):
            return None
    digits = "".join(groups)
    if len(digits) > _MAX_DIGITS or len(fraction) > _MAX_DIGITS:
        return None
    return Decimal(f"{digits}.{fraction}" if fraction else digits)


# --- the grammar -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Quantity:
    value: Decimal
    last: int  # index of its last token
    multiplied: bool  # has a multiplier word ("5 lakh", "5k")
    words_only: bool  # no digits at all ("do lakh")
    plain_numeral: _Token | None  # the one number in digits, when that is all there is
    implied_one: bool  # starts with a bare multiplier ("lakh rupees"): needs a currency marker


class _Reader:
    """Reads amounts over the tokens of one text (the digits already ASCII)."""

    def __init__(self, text: str, bare_numbers: bool) -> None:
        self.text = text
        self.tokens = _tokens(text)
        self.bare_numbers = bare_numbers
        self.protected = [m.span() for m in _PROTECTED.finditer(text)] + [
            m.span() for m in _DIGIT_GROUP_RUN.finditer(text)
            if sum(c.isdigit() for c in m.group()) >= _LONG_DIGIT_RUN]

    def matches(self) -> list[tuple[Decimal, int, int]]:
        found = []
        i = 0
        while i < len(self.tokens):
            amount = self._amount_at(i)
            if amount is None:
                # A number that is not an amount is skipped whole: "sadhe 3" is not "3".
                quantity = self._quantity(i)
                i = quantity.last + 1 if quantity is not None else i + 1
                continue
            value, first, last = amount
            found.append((value, self.tokens[first].start, self.tokens[last].end))
            i = last + 1
        return found

    # gaps and neighbours

    def _gap(self, left: int, right: int) -> str:
        return self.text[self.tokens[left].end:self.tokens[right].start]

    def _joined(self, left: int, right: int, gap: re.Pattern[str] = _SPACE) -> bool:
        return 0 <= left and right < len(self.tokens) and gap.fullmatch(self._gap(left, right)) is not None

    def _word(self, index: int, table: dict[str, object]) -> object | None:
        if 0 <= index < len(self.tokens) and self.tokens[index].kind == "word":
            return table.get(self.tokens[index].key)
        return None

    # one amount

    def _amount_at(self, i: int) -> tuple[Decimal, int, int] | None:
        tokens = self.tokens
        first = i
        marked = False
        if tokens[i].kind == "sign" or self._word(i, _PREFIX_MARKERS):
            if not (self._joined(i, i + 1, _PREFIX_GAP) and self._quantity(i + 1) is not None):
                return None
            marked = True
            i += 1
        quantity = self._quantity(i)
        if quantity is None:
            return None
        value, last = quantity.value, quantity.last
        if self._word(last + 1, _PAISE_MARKERS) and self._joined(last, last + 1) and not marked:
            # "50 paise"
            if quantity.multiplied or value != value.to_integral_value() or value >= 100:
                return None
            value, last, marked = value / 100, last + 1, True
        elif self._takes_suffix(quantity):
            last, marked = last + 1, True
            paise = self._paise_after(last)
            if paise is not None:
                extra, last = paise
                value += extra
        if self._joined(last, last + 1) and tokens[last + 1].kind == "dash":  # "5,000/-", "Rs 500/-"
            last, marked = last + 1, True
        if not (marked or (quantity.multiplied and not quantity.implied_one) or self._bare_amount(quantity)):
            return None
        if not self._stands_alone(tokens[first].start, tokens[last].end):
            return None
        if any(t.plain_digits and len(t.key) >= _LONG_DIGIT_RUN for t in tokens[first:last + 1]):
            return None  # phone, account or card number, even next to "rs"
        if value > MAX_AMOUNT or value != value.quantize(_PAISA):
            return None
        return value.quantize(_PAISA), first, last

    def _takes_suffix(self, quantity: _Quantity) -> bool:
        after = quantity.last + 1
        if not (self._word(after, _SUFFIX_MARKERS) and self._joined(quantity.last, after)):
            return False
        # "do rs 500": "do" is "give", and "rs" belongs to the number after it.
        binds_forward = (quantity.words_only and self._word(after, _PREFIX_MARKERS)
                         and self._joined(after, after + 1, _PREFIX_GAP) and self._quantity(after + 1) is not None)
        return not binds_forward

    def _paise_after(self, suffix: int) -> tuple[Decimal, int] | None:
        """"... rupees and 50 paise", "... rupaye 50 paise": the paise and the index of the paise word."""
        i = suffix + 1
        if self._word(i, _RUPEES_AND) and self._joined(suffix, i):
            i += 1
        elif not self._joined(suffix, i):
            return None
        quantity = self._quantity(i) if self._joined(i - 1, i) else None
        if (quantity is None or quantity.multiplied or quantity.value >= 100
                or quantity.value != quantity.value.to_integral_value()):
            return None
        if not (self._word(quantity.last + 1, _PAISE_MARKERS) and self._joined(quantity.last, quantity.last + 1)):
            return None
        return quantity.value / 100, quantity.last + 1

    def _quantity(self, start: int) -> _Quantity | None:
        """Numbers and multipliers, largest unit first: each part is (value, unit); a multiplier
        takes every part before it with a smaller unit ("do sau crore" = (2 x 100) crore), and
        parts must shrink ("2 lakh 5 lakh" stops after the first lakh)."""
        parts: list[tuple[Decimal, Decimal]] = []
        last = None
        multiplied = False
        words_only = True
        numbers: list[_Token | None] = []  # each number: its digits token, or None when said in words
        before_number = None  # the state to fall back to when a number turns out not to belong
        after_number = False
        i = start
        while i < len(self.tokens):
            if i > start and not self._joined(i - 1, i, _SPACE_OR_HYPHEN):
                break
            if not after_number:
                coefficient = self._coefficient(i)
                if coefficient is not None:
                    value, end, from_words = coefficient
                    if parts and value >= parts[-1][1]:
                        break  # "5 hazaar 8000"
                    before_number = (list(parts), last, multiplied, words_only, list(numbers))
                    parts.append((value, Decimal(1)))
                    words_only = words_only and from_words
                    numbers.append(self.tokens[i] if end == i and self.tokens[i].kind == "num" else None)
                    last, i, after_number = end, end + 1, True
                    continue
            unit = self._multiplier(i)
            if unit is None:
                if parts and parts[-1][1] > 1 and self._word(i, _AND) and i + 1 < len(self.tokens):
                    i += 1  # "one hundred and fifty"
                    continue
                break
            taken = Decimal(0)
            took = False
            while parts and parts[-1][1] < unit:
                taken += parts.pop()[0]
                took = True
            if not took:
                if parts or i != start:
                    break  # "5 lakh lakh"
                taken = Decimal(1)  # "lakh rupees", "hazaar rupaye"
            product = taken * unit
            if parts and (parts[-1][1] <= unit or product >= parts[-1][1]):
                # "2 lakh 5 lakh", "1 lakh 150 hazaar": the number before this belongs elsewhere
                assert before_number is not None
                parts, last, multiplied, words_only, numbers = before_number
                break
            parts.append((product, unit))
            multiplied, last, i, after_number = True, i, i + 1, False
        if last is None:
            return None
        plain = numbers[0] if len(numbers) == 1 and not multiplied else None
        return _Quantity(sum((v for v, _ in parts), Decimal(0)), last, multiplied, words_only, plain,
                         implied_one=self._multiplier(start) is not None)

    def _coefficient(self, i: int) -> tuple[Decimal, int, bool] | None:
        """A number at token i: (value, index of its last token, said in words)."""
        token = self.tokens[i]
        if token.kind == "num":
            return (token.number, i, False) if token.number is not None else None
        if token.kind != "word":
            return None
        fraction = _FRACTIONS.get(token.key)
        if fraction is not None:
            return fraction, i, True
        shift = _FRACTION_PREFIXES.get(token.key)
        if shift is not None:
            base = self._simple_number(i + 1) if self._joined(i, i + 1) else None
            if base is not None and base[0] >= 1:
                return base[0] + shift, base[1], base[2]
            alone = _ALONE_BEFORE_MULTIPLIER.get(token.key)
            if alone is not None and self._joined(i, i + 1) and self._multiplier(i + 1) is not None:
                return alone, i, True
            return None
        return self._simple_number(i)

    def _simple_number(self, i: int) -> tuple[Decimal, int, bool] | None:
        if i >= len(self.tokens):
            return None
        token = self.tokens[i]
        if token.kind == "num":
            return (token.number, i, False) if token.number is not None else None
        if token.kind != "word":
            return None
        text = self.text
        if self._joined(i, i + 1, _SPACE_OR_HYPHEN) and self.tokens[i + 1].kind == "word":
            tens_and_unit = join_english_tens(text[token.start:token.end],
                                              text[self.tokens[i + 1].start:self.tokens[i + 1].end])
            if tens_and_unit is not None:
                return Decimal(tens_and_unit), i + 1, True
        number = word_number(text[token.start:token.end])
        return (Decimal(number), i, True) if number is not None else None

    def _multiplier(self, i: int) -> Decimal | None:
        if i >= len(self.tokens) or self.tokens[i].kind != "word":
            return None
        attached = _ATTACHED_MULTIPLIERS.get(self.tokens[i].key)
        if attached is not None:
            glued = i > 0 and self.tokens[i - 1].kind == "num" and self._gap(i - 1, i) == ""
            return attached if glued else None
        unit = _MULTIPLIERS.get(self.tokens[i].key)
        return unit if isinstance(unit, Decimal) else None

    # what a number must not look like

    def _bare_amount(self, quantity: _Quantity) -> bool:
        numeral = quantity.plain_numeral
        if not self.bare_numbers or numeral is None:
            return False
        digits = numeral.key
        if numeral.plain_digits and (len(digits) == 6 or len(digits) >= _LONG_DIGIT_RUN
                                     or (digits.startswith("0") and digits != "0")):
            return False  # an OTP, a phone/account number, a code ("1,50,000" and "5000.50" are money)
        index = self.tokens.index(numeral)
        for before in range(index - 1, max(index - 4, -1), -1):
            if not self._joined(before, before + 1, _REFERENCE_GAP):
                break
            if self._word(before, _REFERENCE_WORDS):
                return False
        for neighbour in (index - 1, index + 1):
            lo, hi = sorted((neighbour, index))
            if self._joined(lo, hi) and (self._word(neighbour, _UNIT_WORDS) or self._is_month(neighbour)):
                return False
        return True

    def _is_month(self, index: int) -> bool:
        if not 0 <= index < len(self.tokens) or self.tokens[index].kind != "word":
            return False
        token = self.tokens[index]
        return month_number(self.text[token.start:token.end]) is not None

    def _stands_alone(self, start: int, end: int) -> bool:
        """Not glued into an identifier ("TXN5000", "5000abc", "v1.2.3") and not inside a date, a
        time, a phone number or an address."""
        if any(start < p_end and p_start < end for p_start, p_end in self.protected):
            return False
        text = self.text
        before = text[start - 1] if start else ""
        after = text[end] if end < len(text) else ""
        if _glue(before) or before in "_@#&/\\" and before:
            return False
        if before in ".," and before and start >= 2 and text[start - 2].isdigit():
            return False
        if _glue(after) or (after and after in "_@%"):
            return False
        following = text[end + 1] if end + 1 < len(text) else ""
        return not (after in ".,/" and after and following.isdigit())


_GLUE = re.compile(f"[{LETTER_CLASS}0-9]")


def _glue(char: str) -> bool:
    return bool(char) and _GLUE.match(char) is not None


def find_amounts(text: str, *, bare_numbers: bool = False) -> list[AmountMatch]:
    """Every amount in the first MAX_TEXT_CHARS characters of `text`, in order, not overlapping."""
    window = bounded_window(text, MAX_TEXT_CHARS)
    reader = _Reader(to_ascii_digits(window), bare_numbers)
    return [AmountMatch(value, start, end, window[start:end]) for value, start, end in reader.matches()
            if not cut_short(window, text, end)]


def parse_amount(text: str, *, bare_numbers: bool = False) -> Decimal | None:
    """The first amount in `text` (rupees, 2 places), or None when it names none."""
    found = find_amounts(text, bare_numbers=bare_numbers)
    return found[0].value if found else None


# --- speaking ----------------------------------------------------------------------------------

SPEECH_LANGUAGES = ("en", "hi", "hinglish")


@dataclass(frozen=True)
class _SpeechWords:
    crore: str
    lakh: str
    thousand: str
    rupee: str
    rupees: str
    paisa: str
    paise: str
    joiner: str  # between the rupees and the paise


_SPEECH = {
    "en": _SpeechWords("crore", "lakh", "thousand", "rupee", "rupees", "paisa", "paise", " and "),
    "hinglish": _SpeechWords("crore", "lakh", "hazaar", "rupaya", "rupaye", "paisa", "paise", " "),
    "hi": _SpeechWords("करोड़", "लाख", "हज़ार", "रुपया", "रुपये", "पैसा", "पैसे", " "),
}


def amount_in_words(amount: Decimal, language: str) -> str:
    """How the bot says an amount aloud (voice replies, TTS), exactly, never rounded to "about":

        ₹1,50,000     en "1.5 lakh rupees"   hinglish "1.5 lakh rupaye"   hi "1.5 लाख रुपये"
        ₹2,00,00,000  "2 crore rupees"       ₹1,25,00,000  "1.25 crore rupees"
        ₹1,23,45,678  "1 crore 23 lakh 45 thousand 678 rupees"
        ₹5,000        "5 thousand rupees"    ₹2,500  "2 thousand 500 rupees"   ₹250  "250 rupees"
        ₹1            "1 rupee" / "1 rupaya" / "1 रुपया"
        ₹5,000.50     "5 thousand rupees and 50 paise" / "5 hazaar rupaye 50 paise" / "5 हज़ार रुपये 50 पैसे"
        ₹0.75         "75 paise"             ₹0  "0 rupees"

    The rule: from ₹1 lakh up, when the rupees are a whole number of lakh or crore with at most two
    decimals, one short form ("1.5 lakh", "1.25 crore"); otherwise each unit in turn (crore, lakh,
    thousand, the rest under 1,000), skipping the zero ones. Paise, when not zero, are said after the
    rupees. Numbers stay digits: the speech engine reads them in its own language, and the same text
    can be shown as a transcript. Hindi uses digits too ("1.5 लाख", not "डेढ़ लाख"): one rule for all
    languages, and the words the amount parser reads back. Amounts are first rounded to the paisa,
    half to even, as format_inr does, so what is said matches what is shown.

    Raises ValueError for a negative amount (say "debit of ..." instead) or a language not in
    SPEECH_LANGUAGES."""
    words = _SPEECH.get(language)
    if words is None:
        raise ValueError(f"no spoken amounts for language {language!r}; have {', '.join(SPEECH_LANGUAGES)}")
    amount = Decimal(amount).quantize(_PAISA, rounding=ROUND_HALF_EVEN)
    if amount < 0:
        raise ValueError(f"cannot say a negative amount: {amount}")
    rupees = int(amount)
    paise = int((amount - rupees) * 100)
    said = []
    if rupees or not paise:
        unit = words.rupee if rupees == 1 else words.rupees
        said.append(f"{_rupees_in_words(rupees, words)} {unit}")
    if paise:
        said.append(f"{paise} {words.paisa if paise == 1 else words.paise}")
    return words.joiner.join(said)


def _rupees_in_words(rupees: int, words: _SpeechWords) -> str:
    for size, name in ((_CRORE, words.crore), (_LAKH, words.lakh)):
        count = Decimal(rupees) / size
        if count >= 1 and count == count.quantize(_PAISA):
            return f"{_plain(count)} {name}"
        if count >= 1:
            break
    crore, rest = divmod(rupees, 10_000_000)
    lakh, rest = divmod(rest, 100_000)
    thousand, rest = divmod(rest, 1_000)
    pieces = [f"{n} {name}" for n, name in ((crore, words.crore), (lakh, words.lakh), (thousand, words.thousand)) if n]
    if rest or not pieces:
        pieces.append(str(rest))
    return " ".join(pieces)


def _plain(number: Decimal) -> str:
    """1.50 -> "1.5", 2.00 -> "2", 1000 -> "1000" (no exponent, no grouping)."""
    text = f"{number:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text
