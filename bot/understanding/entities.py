"""Entities in a customer's message: amounts, dates, card last-4 digits, transaction references, UPI ids,
merchant names. Workflows never act on them directly (records come from the customer's own lists); they
narrow a list ("the ₹5,000 one on Monday", "card ending 4417") and feed `gateway.py understand`.

Amounts and dates come from i18n.amounts / i18n.dates (Indian formats, lakh/crore, Hindi number words,
Indic digits, kal/parso). The rest are patterns chosen to be precise rather than eager: a bare 4-digit
number is not a card, a bare 12-digit number is a transaction reference only after UTR/RRN/ref words."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from i18n.amounts import find_amounts
from i18n.dates import find_dates
from i18n.numerals import to_ascii_digits

MAX_CHARS = 2000

_CARD_LAST4 = re.compile(
    r"(?:(?:ending|ends|last\s*(?:4|four)\s*(?:digits)?|card|कार्ड|xx+|\*{2,}|x{4}[\s-]?)\s*(?:in|with|is|:|#|no\.?)?\s*"
    r"(?:[x*•]{2,}[\s-]?)*)(\d{4})\b", re.IGNORECASE)
_TXN_REF = re.compile(r"\b(?:utr|rrn|ref(?:erence)?|txn|transaction\s+id|transaction\s+no\.?)\s*(?:no\.?|number|id)?"
                      r"\s*[:#-]?\s*([A-Z0-9]{10,22})\b", re.IGNORECASE)
_UPI_ID = re.compile(r"\b([A-Za-z0-9][A-Za-z0-9.\-_]{1,63}@[A-Za-z][A-Za-z0-9]{1,31})\b(?!\.[A-Za-z])")
_NAME = r"((?:[A-Z][\w&'.-]*)(?:\s+[A-Z][\w&'.-]*){0,3})"
_MERCHANT = re.compile(
    # English prepositions before the name ("at Amazon", "to Zentrix Rewards"), Hindi postpositions
    # after it ("Zentrix ko", "Amazon pe", "Swiggy se"), and "the Amazon payment".
    r"\b(?:at|to|from|on|par)\s+" + _NAME
    + r"|" + _NAME + r"\s+(?:ko|pe|par|se|wala|wali|वाला)\b"
    + r"|\bthe\s+" + _NAME + r"\s+(?:payment|charge|debit|transaction|order|bill)s?\b")
_MONEY_CONTEXT = re.compile(
    r"\b(?:pa(?:y|id|yment)|debit(?:ed)?|credit(?:ed)?|charged?|deducted|transfer(?:red)?|sent|refund|amount|"
    r"bheja|bheje|kata|kate|kat\s+gay[ae]|paisa|paise|rupay[ae]?)\b|भुगतान|पेमेंट|कट|भेजे|भेजा|रुपये|पैसे",
    re.IGNORECASE)
_NOT_MERCHANTS = {"I", "UPI", "IMPS", "NEFT", "RTGS", "ATM", "OTP", "PIN", "Monday", "Tuesday", "Wednesday",
                  "Thursday", "Friday", "Saturday", "Sunday", "January", "February", "March", "April", "May",
                  "June", "July", "August", "September", "October", "November", "December", "Rs", "INR"}


@dataclass(frozen=True)
class Entity:
    kind: str  # amount | date | card_last4 | txn_ref | upi_id | merchant
    value: Any  # Decimal, ISO date text, or text
    start: int
    end: int

    def as_json(self) -> dict:
        return {"kind": self.kind, "value": str(self.value), "start": self.start, "end": self.end}


def extract(text: str, today: date) -> list[Entity]:
    text = text[:MAX_CHARS]
    found: list[Entity] = []
    # A bare number is an amount only where the message talks about money ("5000 ka payment nahi kiya").
    for m in find_amounts(text, bare_numbers=bool(_MONEY_CONTEXT.search(text))):
        found.append(Entity("amount", m.value, m.start, m.end))
    for d in find_dates(text, today):
        found.append(Entity("date", d.value.isoformat(), d.start, d.end))
    ascii_text = to_ascii_digits(text)  # one character for one: positions still point into `text`
    for m in _UPI_ID.finditer(ascii_text):
        found.append(Entity("upi_id", m.group(1), m.start(1), m.end(1)))
    for m in _TXN_REF.finditer(ascii_text):
        if any(c.isdigit() for c in m.group(1)):
            found.append(Entity("txn_ref", m.group(1).upper(), m.start(1), m.end(1)))
    for m in _CARD_LAST4.finditer(ascii_text):
        found.append(Entity("card_last4", m.group(1), m.start(1), m.end(1)))
    for m in _MERCHANT.finditer(text):
        group = next(g for g in (1, 2, 3) if m.group(g))
        name = m.group(group).strip(" .")
        if name.split()[0] not in _NOT_MERCHANTS and not _inside(found, m.start(group)):
            found.append(Entity("merchant", name, m.start(group), m.start(group) + len(name)))
    found.sort(key=lambda e: (e.start, e.kind))
    return _without_overlaps(found)


def _inside(found: list[Entity], position: int) -> bool:
    return any(e.start <= position < e.end for e in found)


def _without_overlaps(found: list[Entity]) -> list[Entity]:
    # Precise kinds win over broad ones where two claim the same characters.
    rank = {"upi_id": 0, "txn_ref": 1, "card_last4": 2, "amount": 3, "date": 4, "merchant": 5}
    kept: list[Entity] = []
    for entity in sorted(found, key=lambda e: (rank[e.kind], e.start)):
        if not any(entity.start < k.end and k.start < entity.end for k in kept):
            kept.append(entity)
    return sorted(kept, key=lambda e: e.start)
