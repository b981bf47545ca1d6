"""PII masking for logs, audit records, the ops console and LLM prompts.

`mask(text)` replaces every piece of personal or secret data it recognises with a typed placeholder
that keeps just enough for a human agent to tell things apart, e.g. ``[CARD ••••1111]``,
``[AADHAAR ••••2346]``, ``[PAN]``, ``[MOBILE ••••5678]``, ``[ACCOUNT ••••4321]``,
``[UPI ••••@okicici]``, ``[EMAIL r•••@example.in]``, ``[IFSC HDFC]``, ``[CVV]``, ``[OTP]``,
``[PIN]``. `find_pii(text)` returns the spans instead.

What is recognised (on a copy of the text in which every Unicode decimal digit -- Devanagari ०-९,
Bengali, Tamil, full-width, ... -- is replaced by its ASCII digit, so offsets are unchanged):

* Card numbers: 13-19 digits, ungrouped or grouped with spaces/hyphens as cards are printed
  (4-4-4-4, 4-6-5, ...), with a valid Luhn check digit.
* Aadhaar: 12 digits, ungrouped or 4-4-4, first digit 2-9, valid Verhoeff check digit. A 12-digit
  number failing Verhoeff is not Aadhaar (it is then masked as an account number).
* PAN: AAAAA9999A with the 4th letter a holder-type letter (P C H F A T B L J G), any case.
* IFSC: four letters, ``0``, six letters/digits.
* UPI VPA: ``name@handle`` where the handle has no dot (okicici, ybl, paytm, ...). Anything with a
  dotted domain is an email address and is masked as one (a different kind).
* Indian mobiles: bare 10 digits starting 6-9, or with a +91 / 91 / 0 prefix, spaces/hyphens allowed.
* Account numbers: any other run of 9-18 digits (spaces/hyphens allowed).
* CVV: 3-4 digits right after cvv / cvc / cvv2 / "card verification ..." / सीवीवी, with filler
  words allowed between ("CVV is 123", "mera cvv 456 hai").
* OTP: 4-8 digits right after otp / "one time password" / "verification code" / code / ओटीपी
  ("my otp is 482913", "OTP: 482913"); "pin code", "zip code", "error code" and similar are not OTP
  contexts. With ``expect_otp=True`` (the conversation is waiting for an OTP) every standalone run of
  4-8 digits is masked as an OTP as well.
* PIN: 4 digits after "pin", 4-6 digits after mpin / "upi pin" / "atm pin" / "card pin".

Deliberately *not* masked: amounts ("₹5,000", "5000", "Rs 1,20,000.50"), dates ("12/03/2024",
"12-03-2024", "2024-03-12", "12.03.2024"), times ("10:30"), and digits glued to letters
("ABC1234"). The trade-off of ``expect_otp=True``: a bare 4-8 digit amount ("5000") is then
masked as ``[OTP]`` too, because it cannot be told from an OTP; amounts written with a currency
marker ("₹5000", "Rs 5000", "5000 rupees", "5000/-") are still left alone. Over-masking is the
safe direction; the converse mistake leaks a secret.

Overlaps are resolved by priority: email/UPI, then PAN/IFSC, CVV/PIN, card, +91 mobile, Aadhaar,
mobile, account, OTP-after-a-context-word, OTP-because-expected; ties go to the longer span. A run of
digit groups ("4111 1111 1111 1111") is judged as a whole first; its pieces rank below anything
the whole can be, so a mistyped card never turns into "4298 [MOBILE ...]" with digits left over.

Masking is idempotent: masking masked text changes nothing. Placeholders show ASCII digits even
when the original used another script.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

__all__ = ["PiiKind", "PiiSpan", "find_pii", "mask", "mask_mapping", "luhn_valid", "verhoeff_valid"]


class PiiKind(StrEnum):
    CARD = "card"
    AADHAAR = "aadhaar"
    PAN = "pan"
    CVV = "cvv"
    IFSC = "ifsc"
    UPI = "upi"
    EMAIL = "email"
    MOBILE = "mobile"
    ACCOUNT = "account"
    OTP = "otp"
    PIN = "pin"


@dataclass(frozen=True, slots=True)
class PiiSpan:
    """`text[start:end]` is PII of this kind."""

    kind: PiiKind
    start: int
    end: int


# --------------------------------------------------------------------------- check digits

# Verhoeff: multiplication table of the dihedral group D5, the position permutation, the inverse.
_VERHOEFF_D = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
    (1, 2, 3, 4, 0, 6, 7, 8, 9, 5),
    (2, 3, 4, 0, 1, 7, 8, 9, 5, 6),
    (3, 4, 0, 1, 2, 8, 9, 5, 6, 7),
    (4, 0, 1, 2, 3, 9, 5, 6, 7, 8),
    (5, 9, 8, 7, 6, 0, 4, 3, 2, 1),
    (6, 5, 9, 8, 7, 1, 0, 4, 3, 2),
    (7, 6, 5, 9, 8, 2, 1, 0, 4, 3),
    (8, 7, 6, 5, 9, 3, 2, 1, 0, 4),
    (9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
)
_VERHOEFF_P = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
    (1, 5, 7, 6, 2, 8, 3, 0, 9, 4),
    (5, 8, 0, 3, 7, 9, 6, 1, 4, 2),
    (8, 9, 1, 6, 0, 4, 3, 5, 2, 7),
    (9, 4, 5, 3, 1, 2, 6, 8, 7, 0),
    (4, 2, 8, 6, 5, 7, 3, 9, 0, 1),
    (2, 7, 9, 3, 8, 0, 6, 4, 1, 5),
    (7, 0, 4, 6, 9, 1, 3, 2, 5, 8),
)


def verhoeff_valid(digits: str) -> bool:
    """True if the ASCII digit string ends in a correct Verhoeff check digit."""
    if not digits or not digits.isascii() or not digits.isdigit():
        return False
    c = 0
    d, p = _VERHOEFF_D, _VERHOEFF_P
    for i, ch in enumerate(reversed(digits)):
        c = d[c][p[i & 7][ord(ch) - 48]]
    return c == 0


def luhn_valid(digits: str) -> bool:
    """True if the ASCII digit string ends in a correct Luhn check digit."""
    if not digits or not digits.isascii() or not digits.isdigit():
        return False
    total = 0
    double = False
    for ch in reversed(digits):
        n = ord(ch) - 48
        if double:
            n *= 2
            if n > 9:
                n -= 9
        total += n
        double = not double
    return total % 10 == 0


# --------------------------------------------------------------------------- digit normalisation


class _DigitTable(dict):
    """`str.translate` table: any Unicode digit -> its ASCII digit, everything else unchanged.

    Filled lazily; bounded so that a message made of every code point cannot grow it without limit.
    """

    _LIMIT = 4096

    def __missing__(self, key: int) -> int | str:
        d = unicodedata.digit(chr(key), None)
        value: int | str = key if d is None else chr(48 + d)
        if len(self) < self._LIMIT:
            self[key] = value
        return value


_DIGITS = _DigitTable()


def _normalise(text: str) -> str:
    # One character in, one character out: offsets in the result are offsets in `text`.
    return text if text.isascii() else text.translate(_DIGITS)


# --------------------------------------------------------------------------- patterns

_EMAIL_OR_VPA = re.compile(
    r"(?<![A-Za-z0-9._%+\-])"
    r"([A-Za-z0-9](?:[A-Za-z0-9._+\-]{0,254}[A-Za-z0-9_\-])?)"
    r"@"
    r"([A-Za-z0-9](?:[A-Za-z0-9\-]{0,62}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]{0,62}[A-Za-z0-9])?)*)"
    r"(?![A-Za-z0-9@])"
)
_PAN_OR_IFSC = re.compile(
    r"(?<![A-Za-z0-9])"
    r"(?:(?P<pan>[A-Za-z]{3}[PCHFATBLJGpchfatbljg][A-Za-z][0-9]{4}[A-Za-z])|[A-Za-z]{4}0[A-Za-z0-9]{6})"
    r"(?![A-Za-z0-9])"
)
_ANY_DIGIT = re.compile(r"[0-9]")

# A run of digit groups separated by single spaces / hyphens, not glued to letters or other digits,
# not part of a decimal, a date with / or ., a time, or an already masked "••••1234".
_CHUNK = re.compile(
    r"(?<![0-9A-Za-z•*])(?<![0-9][.,/:])"
    r"[0-9]+(?:[ \u00a0\-][0-9]+)*"
    r"(?![0-9A-Za-z])(?![.,/:][0-9])"
)
_GROUP = re.compile(r"[0-9]+")

# Filler allowed between a context word and the secret: "CVV is 123", "otp hai: 482913".
# Possessive, so that a long run of spaces cannot be split between repetitions in every possible way.
_FILLER = (
    r"(?:\s++|[:=#.\-]++|(?:is|was|hai|he|h|tha|number|num|no|mera|my|code)(?![A-Za-z])|है|था|का|की)"
    r"{0,8}+"
)
_END = r"(?![0-9A-Za-z])(?![.,/:][0-9])"
_CVV_CTX = re.compile(
    r"(?<![A-Za-z])(?:cvv2?|cvc2?|card[\s\-]+verification(?:[\s\-]+(?:value|code|number))?|सीवीवी)"
    + _FILLER
    + r"([0-9]{3,4})"
    + _END,
    re.IGNORECASE,
)
_OTP_CTX = re.compile(
    r"(?<![A-Za-z])(?:otp|one[\s\-]*time[\s\-]*(?:password|passcode|pin|code)|pass[\s\-]?code"
    r"|(?P<code>code)|ओटीपी|कोड)"
    + _FILLER
    + r"([0-9]{4,8})"
    + _END,
    re.IGNORECASE,
)
_PIN_CTX = re.compile(
    r"(?<![A-Za-z])(?:(?P<strong>m[\s\-]?pin|upi[\s\-]+pin|atm[\s\-]+pin|card[\s\-]+pin|पिन)|pin(?![\s\-]*code))"
    + _FILLER
    + r"([0-9]{4,6})"
    + _END,
    re.IGNORECASE,
)
# "code" preceded by one of these words is not an OTP context ("pin code 110001").
_NOT_OTP_CODE = frozenset(
    "pin zip postal post area std isd error status branch bank ifsc swift sort promo coupon "
    "referral voucher discount mcc merchant country dial".split()
)
_WORD_BEFORE = re.compile(r"([A-Za-z]+)[\s\-]*$")
_CURRENCY_BEFORE = re.compile(r"(?:₹|(?<![A-Za-z])(?:rs\.?|inr|rupees?))\s*$", re.IGNORECASE)
_CURRENCY_AFTER = re.compile(r"\s*(?:/-|rs\b|rupees?\b|inr\b|₹)", re.IGNORECASE)

# Priority: lower wins an overlap; ties go to the longer span, then the earlier one.
_P_EMAIL_UPI = 0
_P_PAN_IFSC = 1
_P_CVV_PIN = 2
_P_CARD = 3
_P_MOBILE_PLUS = 4
_P_AADHAAR = 5
_P_MOBILE = 6
_P_ACCOUNT = 7
_P_OTP_CTX = 8
_P_OTP_EXPECTED = 9
_P_PIECE = 10  # added to the above for a piece of a longer run of digit groups


# --------------------------------------------------------------------------- detection


def _card_grouping(lengths: list[int]) -> bool:
    # Ungrouped, or grouped the way cards are printed: 4-4-4-4, 4-6-5, 4-4-4-4-3, ...
    if len(lengths) == 1:
        return True
    if lengths[0] != 4:
        return False
    return all(4 <= n <= 6 for n in lengths[1:-1]) and 1 <= lengths[-1] <= 6


def _looks_like_date(groups: list[str]) -> bool:
    if len(groups) != 3:
        return False
    a, b, c = (len(g) for g in groups)
    x, y, z = (int(g) for g in groups)
    if a <= 2 and b <= 2 and c in (2, 4):  # dd-mm-yyyy or mm-dd-yyyy
        return (1 <= x <= 31 and 1 <= y <= 12) or (1 <= x <= 12 and 1 <= y <= 31)
    if a == 4 and b <= 2 and c <= 2:  # yyyy-mm-dd
        return 1 <= y <= 12 and 1 <= z <= 31
    return False


def _is_amount(norm: str, start: int, end: int) -> bool:
    return bool(
        _CURRENCY_BEFORE.search(norm, max(0, start - 8), start)
        or _CURRENCY_AFTER.match(norm, end)
    )


_CARD, _AADHAAR, _MOBILE, _ACCOUNT, _OTP = (
    PiiKind.CARD, PiiKind.AADHAAR, PiiKind.MOBILE, PiiKind.ACCOUNT, PiiKind.OTP
)


# No number of interest is written in more than 5 groups (4-4-4-4-3 cards, 91 98 123 45678...);
# the bound also keeps a pathological "1 1 1 1 ..." linear.
_MAX_GROUPS = 5


def _chunk_candidates(norm: str, m: re.Match[str], expect_otp: bool, out: list) -> None:
    base = m.start()
    found = [(g.start() + base, g.end() + base, g.group()) for g in _GROUP.finditer(m.group())]
    groups = [g[2] for g in found]
    n = len(found)
    if n == 3 and _looks_like_date(groups):
        return
    plus = base > 0 and norm[base - 1] == "+"
    # The whole run first: "4298 9184 4343 4650" (a mistyped card) is one account number, not
    # "4298" followed by the mobile 91-84434-34650. Pieces of a run rank below anything the whole
    # run can be; they matter when the whole is nothing (two mobiles side by side) or loses to a
    # context match ("cvv 123 9812345678").
    whole = "".join(groups)
    if len(whole) <= 19:
        _classify(norm, found, groups, 0, n - 1, whole, plus, expect_otp, out, 0)
    if n == 1:
        return
    for i in range(n):
        digits = ""
        for j in range(i, min(n, i + _MAX_GROUPS)):
            digits += groups[j]
            if len(digits) > 19:
                break
            if i == 0 and j == n - 1:
                continue
            _classify(norm, found, groups, i, j, digits, plus, expect_otp, out, _P_PIECE)


def _classify(norm: str, found: list, groups: list[str], i: int, j: int, digits: str, plus: bool,
              expect_otp: bool, out: list, shift: int) -> None:
    """Add the candidates groups[i..j] (joined: `digits`) can be, their priority raised by `shift`."""
    size = len(digits)
    if size < 4 or (size < 9 and not expect_otp):
        return
    start, end = found[i][0], found[j][1]
    ngroups = j - i + 1
    if size >= 13:
        if (ngroups == 1 or _card_grouping([len(g) for g in groups[i : j + 1]])) and luhn_valid(digits):
            out.append((_P_CARD + shift, start, end, _CARD))
    elif size == 12 and digits[0] >= "2":
        if ngroups == 1 or (
            ngroups == 3
            and len(groups[i]) == len(groups[i + 1]) == len(groups[j]) == 4
            # A 4-4-4 run inside a longer run of 4-digit groups is part of something else.
            and not (i > 0 and len(groups[i - 1]) == 4)
            and not (j + 1 < len(groups) and len(groups[j + 1]) == 4)
        ):
            if verhoeff_valid(digits):
                out.append((_P_AADHAAR + shift, start, end, _AADHAAR))
    if 10 <= size <= 12 and (
        (size == 10 and digits[0] >= "6")
        or (size == 11 and digits[0] == "0" and digits[1] >= "6")
        or (size == 12 and digits[0] == "9" and digits[1] == "1" and digits[2] >= "6")
    ):
        if plus and i == 0 and size == 12:  # "+91 98123 45678": the "+" goes too
            out.append((_P_MOBILE_PLUS + shift, start - 1, end, _MOBILE))
        else:
            out.append((_P_MOBILE + shift, start, end, _MOBILE))
    if size >= 9:
        if size <= 18 and not _is_amount(norm, start, end):
            out.append((_P_ACCOUNT + shift, start, end, _ACCOUNT))
    elif not _is_amount(norm, start, end):  # 4-8 digits, expect_otp
        out.append((_P_OTP_EXPECTED + shift, start, end, _OTP))


def _candidates(norm: str, expect_otp: bool) -> list[tuple[int, int, int, PiiKind]]:
    out: list[tuple[int, int, int, PiiKind]] = []
    if "@" in norm:
        for m in _EMAIL_OR_VPA.finditer(norm):
            kind = PiiKind.EMAIL if "." in m.group(2) else PiiKind.UPI
            out.append((_P_EMAIL_UPI, m.start(), m.end(), kind))
    if _ANY_DIGIT.search(norm) is None:
        return out  # everything below contains a digit
    for m in _PAN_OR_IFSC.finditer(norm):
        kind = PiiKind.PAN if m.group("pan") is not None else PiiKind.IFSC
        out.append((_P_PAN_IFSC, m.start(), m.end(), kind))
    # The context patterns are costly to scan; a substring test rules most texts out first.
    low = norm.lower()
    if "cv" in low or "verification" in low or "सीवीवी" in low:
        for m in _CVV_CTX.finditer(norm):
            out.append((_P_CVV_PIN, m.start(1), m.end(1), PiiKind.CVV))
    if "pin" in low or "पिन" in low:
        for m in _PIN_CTX.finditer(norm):
            if m.group("strong") is None and m.end(2) - m.start(2) != 4:
                continue  # bare "pin 110001" is a postal PIN code
            out.append((_P_CVV_PIN, m.start(2), m.end(2), PiiKind.PIN))
    if "otp" in low or "code" in low or "time" in low or "ओटीपी" in low or "कोड" in low:
        for m in _OTP_CTX.finditer(norm):
            if m.group("code") is not None:
                before = _WORD_BEFORE.search(norm, max(0, m.start() - 16), m.start())
                if before is not None and before.group(1).lower() in _NOT_OTP_CODE:
                    continue
            out.append((_P_OTP_CTX, m.start(2), m.end(2), PiiKind.OTP))
    for m in _CHUNK.finditer(norm):
        _chunk_candidates(norm, m, expect_otp, out)
    return out


def _resolve(cands: list[tuple[int, int, int, PiiKind]]) -> list[tuple[int, int, PiiKind]]:
    if len(cands) <= 1:
        return [(c[1], c[2], c[3]) for c in cands]
    cands.sort(key=_rank)
    # Greedy by rank; `starts`/`taken` stay sorted by position and never overlap.
    starts: list[int] = []
    taken: list[tuple[int, int, PiiKind]] = []
    for _, start, end, kind in cands:
        k = bisect.bisect_right(starts, start)
        if k > 0 and taken[k - 1][1] > start:
            continue  # overlaps the span before it
        if k < len(taken) and taken[k][0] < end:
            continue  # overlaps the span after it
        starts.insert(k, start)
        taken.insert(k, (start, end, kind))
    return taken


def _rank(c: tuple[int, int, int, PiiKind]) -> tuple[int, int, int]:
    return (c[0], c[1] - c[2], c[1])


def find_pii(text: str, *, expect_otp: bool = False) -> list[PiiSpan]:
    """The PII spans in `text`, sorted by position, non-overlapping."""
    if not text:
        return []
    return [PiiSpan(k, s, e) for s, e, k in _resolve(_candidates(_normalise(text), expect_otp))]


# --------------------------------------------------------------------------- masking


def _placeholder(kind: PiiKind, value: str) -> str:
    # `value` is the normalised (ASCII-digit) text of the span.
    if kind in (PiiKind.CARD, PiiKind.AADHAAR, PiiKind.MOBILE, PiiKind.ACCOUNT):
        digits = "".join(ch for ch in value if ch.isdigit())
        return f"[{kind.upper()} ••••{digits[-4:]}]"
    if kind is PiiKind.UPI:
        return f"[UPI ••••@{value.rpartition('@')[2]}]"
    if kind is PiiKind.EMAIL:
        local, _, domain = value.rpartition("@")
        return f"[EMAIL {local[:1]}•••@{domain}]"
    if kind is PiiKind.IFSC:
        return f"[IFSC {value[:4].upper()}]"
    return f"[{kind.upper()}]"


def mask(text: str, *, expect_otp: bool = False) -> str:
    """`text` with every recognised piece of PII replaced by a typed placeholder.

    Set `expect_otp` when the conversation is waiting for an OTP: every standalone 4-8 digit number
    is then masked (including a bare amount like "5000" -- see the module docstring).
    """
    if not text:
        return text
    norm = _normalise(text)
    spans = _resolve(_candidates(norm, expect_otp))
    if not spans:
        return text
    parts: list[str] = []
    pos = 0
    for start, end, kind in spans:
        parts.append(text[pos:start])
        parts.append(_placeholder(kind, norm[start:end]))
        pos = end
    parts.append(text[pos:])
    return "".join(parts)


# Keys whose whole value is a secret, whatever it looks like ({"otp": 482913}).
_SECRET_KEYS = {
    "otp": "[OTP]",
    "otpcode": "[OTP]",
    "cvv": "[CVV]",
    "cvv2": "[CVV]",
    "cvc": "[CVV]",
    "pin": "[PIN]",
    "mpin": "[PIN]",
    "upipin": "[PIN]",
    "atmpin": "[PIN]",
    "password": "[REDACTED]",
    "passcode": "[REDACTED]",
}
_MAX_DEPTH = 64


def _secret_placeholder(key: object) -> str | None:
    if not isinstance(key, str):
        return None
    return _SECRET_KEYS.get("".join(ch for ch in key.lower() if ch.isalnum()))


def mask_mapping(obj: Any, *, expect_otp: bool = False) -> Any:
    """A copy of `obj` with every str value inside dicts/lists/tuples masked (keys are kept).

    A str/int value under a key naming a secret (otp, cvv, pin, mpin, password, ...) is replaced
    whole. Other non-str values (ints, floats, None, ...) are returned unchanged -- an account number
    stored as an int is *not* masked, because ints are mostly amounts, ids and timestamps.
    Raises ValueError for a cyclic or absurdly deep structure.
    """
    return _mask_obj(obj, expect_otp, 0)


def _mask_obj(obj: Any, expect_otp: bool, depth: int) -> Any:
    if isinstance(obj, str):
        return mask(obj, expect_otp=expect_otp)
    if depth >= _MAX_DEPTH:
        if isinstance(obj, (Mapping, list, tuple)):
            raise ValueError("mask_mapping: structure too deep (or cyclic)")
        return obj
    if isinstance(obj, Mapping):
        result = {}
        for key, value in obj.items():
            secret = _secret_placeholder(key)
            if secret is not None and isinstance(value, (str, int)) and not isinstance(value, bool):
                result[key] = secret if value != "" else value
            else:
                result[key] = _mask_obj(value, expect_otp, depth + 1)
        return result
    if isinstance(obj, list):
        return [_mask_obj(v, expect_otp, depth + 1) for v in obj]
    if isinstance(obj, tuple):
        return tuple(_mask_obj(v, expect_otp, depth + 1) for v in obj)
    return obj
