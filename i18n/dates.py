"""Dates as Indian customers write and say them, resolved against the caller's `today` (an IST date):

    "today" "aaj" "आज"              today
    "yesterday" "tomorrow"          today -1 / +1, whatever `prefer_past` says
    "kal" "कल"                      -1 when prefer_past (the default), else +1: Hindi uses one word for
                                     both, and banking questions ("kal 5000 kat gaye") are mostly about
                                     the past; the caller that asks about the future says so
    "parso" "परसों"                  -2 / +2, the same rule; "narso" "नरसों" -3 / +3
    "day before yesterday"          -2;  "day after tomorrow" +2
    "last Monday" "pichle somvar" "पिछले सोमवार"   the latest Monday strictly before today
                                                   (said on a Monday: a week ago)
    "next Friday" "agle shukravar"  the first Friday strictly after today
    "this Monday" "is somvar"       that day of the current week (Monday to Sunday), past or future
    "Monday" "somvar" "सोमवार"       like "last Monday" when prefer_past, else like "next Monday";
                                     abbreviations ("Mon", "Sat", "Sun") and short Hindi names
                                     ("mangal", "shani", "ravi") only after last/next/this, since
                                     alone they are ordinary words ("sun lo") or names
    "last week" "pichle hafte"      the Monday of last week, period "week" (the week runs Monday to
                                     Sunday; a caller that wants the range adds 6 days)
    "this week", "next week"        the Monday of this / next week, period "week"
    "last month" "pichle mahine"    the 1st of last month, period "month"; also this / next month
    "Nov 2026" "नवंबर 2026"          the 1st of that month, period "month"
    "2 din pehle" "2 दिन पहले" "2 days ago" "2 days back" "do hafte pehle" "3 months ago"
                                    that many days / weeks / months / years back ("baad", "बाद",
                                     "later", "in 2 days": forward); months clamp to the month's end
    "5 Nov" "5th November" "Nov 5" "5th of Nov" "5 नवंबर" "5 navambar" "5-Nov-2026" "Nov 5, 2026"
    "05/11/2026" "5-11-26" "5.11.2026" "5/11" (day first, as in India) "2026-11-05" (ISO)
    "5 tarikh" "5 तारीख"             the 5th of this month, or of an earlier month (see below)

A date without a year is never in the future when `prefer_past` (the default): it is the latest such
day on or before today ("5 Nov" said on 1 Mar 2026 is 5 Nov 2025); with prefer_past=False it is the
first such day on or after today. A date with a year is that date, future or not. Two-digit years are
20xx. Invalid dates ("31/02/2026", "30 Feb") are not dates, and no part of them is read as one.
Digits in any Indic script work ("५ नवंबर", "০৫/১১/২০২৬"). Only the first MAX_TEXT_CHARS characters
are read; "N days ago" stops at MAX_DAYS_BACK days."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

from i18n.numerals import (LETTER_CLASS, bounded_window, canonical_word, cut_short, to_ascii_digits, word_number,
                           word_table)

MAX_TEXT_CHARS = 2_000
MAX_DAYS_BACK = 3_660  # "N days/weeks/months/years ago" beyond about ten years is not a date
_MAX_YEARS_SEARCHED = 8  # "29 Feb" without a year: the latest leap year is at most 8 years back


@dataclass(frozen=True)
class DateMatch:
    value: date  # the day; for period "week" or "month", the first day of that week or month
    period: str  # "day", "week" or "month"
    start: int  # offsets into the text given to find_dates
    end: int
    text: str  # text[start:end], as the customer wrote it


# --- vocabulary (space-separated spellings; compared via numerals.canonical_word) ---------------

_MONTHS = word_table({
    "jan january janvari janwari जनवरी": 1,
    "feb february farvari farwari pharvari फ़रवरी फरवरी": 2,
    "mar march maarch मार्च": 3,
    "apr april aprail aprel अप्रैल अप्रेल": 4,
    "may मई": 5,  # not romanized "mai": in Hinglish that is "in" or "I"
    "jun june joon जून": 6,
    "jul july julai julaai जुलाई": 7,
    "aug august agast agust अगस्त": 8,
    "sep sept september sitambar sitamber सितंबर सितम्बर": 9,
    "oct october aktubar aktoobar oktober अक्टूबर अक्तूबर": 10,
    "nov november navambar navamber नवंबर नवम्बर": 11,
    "dec december disambar disamber दिसंबर दिसम्बर": 12,
}, what="months")
# Full names, understood alone: "Monday", "somvar", "सोमवार" (0 = Monday, as date.weekday()).
_WEEKDAYS_EN = word_table({
    "monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4, "saturday": 5, "sunday": 6,
}, what="English weekdays")
_WEEKDAYS_HI = word_table({
    "somvar somvaar सोमवार": 0,
    "mangalvar mangalvaar मंगलवार": 1,
    "budhvar budhvaar बुधवार": 2,
    "guruvar guruvaar brihaspativar brihaspatvar veervar virvar jumeraat गुरुवार बृहस्पतिवार वीरवार": 3,
    "shukravar shukrvar shukravaar jumma शुक्रवार": 4,
    "shanivar shanivaar शनिवार": 5,
    "ravivar ravivaar itvar itvaar etvar इतवार रविवार": 6,
}, what="Hindi weekdays")
# Only after last/next/this: alone they are other words.
_WEEKDAYS_SHORT_EN = word_table({
    "mon": 0, "tue tues": 1, "wed": 2, "thu thur thurs": 3, "fri": 4, "sat": 5, "sun": 6,
}, what="English weekday abbreviations")
_WEEKDAYS_SHORT_HI = word_table({
    "som सोम": 0, "mangal मंगल": 1, "budh बुध": 2, "guru गुरु": 3, "shukra शुक्र": 4, "shani शनि": 5,
    "ravi रवि": 6,
}, what="Hindi weekday short names")

_LAST = word_table({"last previous pichle pichhle pichla pichhla pichli pichhli पिछले पिछला पिछली": True},
                   what="last")
_NEXT = word_table({"next agle agla agli अगले अगला अगली": True}, what="next")
_THIS_EN = word_table({"this": True}, what="this")
_THIS_HI = word_table({"is isi इस इसी": True}, what="this (Hindi)")  # "is" only before Hindi words
_WEEK_EN = word_table({"week": True}, what="week")
_WEEK_HI = word_table({"hafte hafta haftay हफ्ते हफ़्ते हफ्ता सप्ताह": True}, what="week (Hindi)")
_MONTH_EN = word_table({"month": True}, what="month")
_MONTH_HI = word_table({"mahine mahina mahiney महीने महीना": True}, what="month (Hindi)")

_TODAY = word_table({"today aaj आज": 0, "yesterday": -1, "tomorrow": 1}, what="today")
_KAL = word_table({"kal कल": 1, "parso parson parsoan parsõ परसों परसो": 2, "narso narson नरसों": 3},
                  what="kal/parso")

_UNITS = word_table({
    "day days din dino दिन दिनों": "day",
    "week weeks hafte hafta हफ्ते हफ़्ते हफ्ता सप्ताह": "week",
    "month months mahine mahina महीने महीना": "month",
    "year years saal sal varsh साल वर्ष": "year",
}, what="units of time")
_AGO = word_table({"ago back pehle pahle pehele pehla पहले": -1, "baad later बाद": 1}, what="ago/after")
_BEFORE_YESTERDAY = [canonical_word("before"), canonical_word("yesterday")]
_AFTER_TOMORROW = [canonical_word("after"), canonical_word("tomorrow")]
_IN = word_table({"in": True}, what="in")
_A = word_table({"a an": 1}, what="a")
_ORDINAL = word_table({"st nd rd th": True}, what="ordinal suffixes")
_OF = word_table({"of": True}, what="of")
_TARIKH = word_table({"tarikh tareekh tarik tareek तारीख तारिख": True}, what="tarikh")

# --- numeric dates -----------------------------------------------------------------------------

_ISO = re.compile(r"(?<![\d/.\-])(\d{4})-(\d{1,2})-(\d{1,2})(?![\d/\-]|\.\d)")
_DAY_MONTH_YEAR = re.compile(r"(?<![\d/.\-])(\d{1,2})([/.\-])(\d{1,2})\2(\d{4}|\d{2})(?![\d/\-]|\.\d)")
_DAY_MONTH = re.compile(r"(?<![\d/.\-,])(\d{1,2})/(\d{1,2})(?![\d/]|\.\d)")

_TOKEN = re.compile(rf"(?P<num>\d+)|(?P<word>[{LETTER_CLASS}]+)")  # punctuation stays in the gaps
_SPACE = re.compile(r"\s*")
_NOTHING = re.compile("")  # glued: "5th"
_DAY_MONTH_GAP = re.compile(r"\s*[-/.]?\s*")
_YEAR_GAP = re.compile(r"\s*[-/.,']?\s*")
_SHORT_YEAR_GAP = re.compile(r"\s*[-/']\s*")


def month_number(word: str) -> int | None:
    """1..12 for a month name or abbreviation in English, romanized Hindi or Devanagari."""
    value = _MONTHS.get(canonical_word(word))
    return value if isinstance(value, int) else None


@dataclass(frozen=True)
class _Token:
    kind: str  # num | word
    start: int
    end: int
    key: str  # canonical word, or the digits


@dataclass(frozen=True)
class _Found:
    value: date | None  # None: looked like a date but is not one ("31/02"); its span is still used up
    period: str
    start: int
    end: int


class _Reader:
    def __init__(self, text: str, today: date, prefer_past: bool) -> None:
        self.text = text
        self.today = today
        self.prefer_past = prefer_past
        self.tokens = [_Token(m.lastgroup, m.start(), m.end(),
                              canonical_word(m.group()) if m.lastgroup == "word" else m.group())
                       for m in _TOKEN.finditer(text)]

    def found(self) -> list[_Found]:
        numeric = self._numeric()
        taken = [(f.start, f.end) for f in numeric]
        found = list(numeric)
        i = 0
        while i < len(self.tokens):
            token = self.tokens[i]
            if any(start <= token.start < end for start, end in taken):
                i += 1
                continue
            match = self._date_at(i)
            if match is None:
                i += 1
                continue
            value, period, last = match
            end = self.tokens[last].end
            if not any(token.start < t_end and t_start < end for t_start, t_end in taken):
                found.append(_Found(value, period, token.start, end))
            i = last + 1
        return sorted(found, key=lambda f: f.start)

    # numeric: 05/11/2026, 2026-11-05, 5/11

    def _numeric(self) -> list[_Found]:
        found: list[_Found] = []

        def free(m: re.Match[str]) -> bool:
            return not any(m.start() < f.end and f.start < m.end() for f in found)

        for m in _ISO.finditer(self.text):
            found.append(_Found(_valid(int(m[1]), int(m[2]), int(m[3])), "day", m.start(), m.end()))
        for m in _DAY_MONTH_YEAR.finditer(self.text):
            if free(m):
                year = _full_year(m[4])
                value = _valid(year, int(m[3]), int(m[1])) if year is not None else None
                found.append(_Found(value, "day", m.start(), m.end()))
        for m in _DAY_MONTH.finditer(self.text):
            if free(m):
                found.append(_Found(self._without_year(int(m[1]), int(m[2])), "day", m.start(), m.end()))
        return found

    # helpers over tokens

    def _word(self, i: int, *tables: dict[str, object]) -> object | None:
        if 0 <= i < len(self.tokens) and self.tokens[i].kind == "word":
            for table in tables:
                value = table.get(self.tokens[i].key)
                if value is not None:
                    return value
        return None

    def _joined(self, left: int, right: int, gap: re.Pattern[str] = _SPACE) -> bool:
        if not (0 <= left < right < len(self.tokens)):
            return False
        between = self.text[self.tokens[left].end:self.tokens[right].start]
        return gap.fullmatch(between) is not None

    def _num(self, i: int) -> int | None:
        if 0 <= i < len(self.tokens) and self.tokens[i].kind == "num" and len(self.tokens[i].key) <= 4:
            return int(self.tokens[i].key)
        return None

    def _stands_alone(self, first: int, last: int) -> bool:
        """Not glued to letters or digits: "5Nov" is fine, "x5 Nov" and "kalyan" are not."""
        start, end = self.tokens[first].start, self.tokens[last].end
        before = self.text[start - 1] if start else " "
        after = self.text[end] if end < len(self.text) else " "
        return not (_GLUE.match(before) or _GLUE.match(after))

    # one date starting at token i: (value, period, index of the last token)

    def _date_at(self, i: int) -> tuple[date | None, str, int] | None:
        for rule in (self._ago, self._day_month, self._month_day, self._relative_phrase,
                     self._qualified, self._weekday, self._word_day):
            match = rule(i)
            if match is not None and self._stands_alone(i, match[2]):
                return match
        return None

    def _ago(self, i: int) -> tuple[date | None, str, int] | None:
        """"2 din pehle", "do hafte pehle", "3 months ago", "a week ago", "in 2 days", "2 din baad"."""
        forward_by_in = bool(self._word(i, _IN)) and self._joined(i, i + 1)
        n_at = i + 1 if forward_by_in else i
        count = self._num(n_at)
        if count is None and 0 <= n_at < len(self.tokens) and self.tokens[n_at].kind == "word":
            token = self.tokens[n_at]
            count = word_number(self.text[token.start:token.end]) or self._word(n_at, _A)
        if not isinstance(count, int) or not self._joined(n_at, n_at + 1):
            return None
        unit = self._word(n_at + 1, _UNITS)
        if unit is None:
            return None
        if forward_by_in:
            direction, last = 1, n_at + 1
        else:
            direction = self._word(n_at + 2, _AGO)
            if direction is None or not self._joined(n_at + 1, n_at + 2):
                return None
            last = n_at + 2
        return _shift(self.today, count * direction, str(unit)), "day", last

    def _day_month(self, i: int) -> tuple[date | None, str, int] | None:
        """"5 Nov", "5th November 2026", "5th of Nov", "5-Nov-26", "5 नवंबर", "5 tarikh"."""
        day = self._num(i)
        if day is None or not 1 <= day <= 31:
            return None
        j = i + 1
        if self._word(j, _ORDINAL) and self._joined(i, j, _NOTHING):
            j += 1
        if self._word(j, _TARIKH) and self._joined(j - 1, j):
            return self._day_of_month(day), "day", j
        gap_from = j - 1
        if self._word(j, _OF) and self._joined(j - 1, j):
            j += 1
            gap_from = j - 1
        month = self._word(j, _MONTHS)
        if not isinstance(month, int) or not self._joined(gap_from, j, _DAY_MONTH_GAP):
            return None
        return self._with_optional_year(day, month, j)

    def _month_day(self, i: int) -> tuple[date | None, str, int] | None:
        """"Nov 5", "November 5th, 2026", "Nov 2026" (the month)."""
        month = self._word(i, _MONTHS)
        if not isinstance(month, int):
            return None
        number = self._num(i + 1)
        if number is None or not self._joined(i, i + 1, _DAY_MONTH_GAP):
            return None
        if len(self.tokens[i + 1].key) == 4:
            return _valid(number, month, 1) if 1900 <= number <= 2099 else None, "month", i + 1
        if not 1 <= number <= 31:
            return None
        j = i + 1
        if self._word(j + 1, _ORDINAL) and self._joined(j, j + 1, _NOTHING):
            j += 1
        return self._with_optional_year(number, month, j)

    def _with_optional_year(self, day: int, month: int, j: int) -> tuple[date | None, str, int]:
        year_token = j + 1
        year = self._num(year_token)
        if year is not None:
            digits = self.tokens[year_token].key
            if len(digits) == 4 and 1900 <= year <= 2099 and self._joined(j, year_token, _YEAR_GAP):
                return _valid(year, month, day), "day", year_token
            if len(digits) == 2 and self._joined(j, year_token, _SHORT_YEAR_GAP):
                return _valid(2000 + year, month, day), "day", year_token
        return self._without_year(day, month), "day", j

    def _relative_phrase(self, i: int) -> tuple[date | None, str, int] | None:
        """"day before yesterday", "day after tomorrow"."""
        if not (self._word(i, _UNITS) == "day" and self.tokens[i].key == "day"):
            return None
        words = [self.tokens[k].key if k < len(self.tokens) else "" for k in (i + 1, i + 2)]
        if not (self._joined(i, i + 1) and self._joined(i + 1, i + 2)):
            return None
        if words == _BEFORE_YESTERDAY:
            return self.today - timedelta(days=2), "day", i + 2
        if words == _AFTER_TOMORROW:
            return self.today + timedelta(days=2), "day", i + 2
        return None

    def _qualified(self, i: int) -> tuple[date | None, str, int] | None:
        """"last Monday", "pichle somvar", "next Fri", "this week", "is mahine", "पिछले हफ्ते"."""
        j = i + 1
        if not self._joined(i, j):
            return None
        hindi_only = bool(self._word(i, _THIS_HI))
        if self._word(i, _LAST):
            which = -1
        elif self._word(i, _NEXT):
            which = 1
        elif self._word(i, _THIS_EN) or hindi_only:
            which = 0
        else:
            return None
        weekdays = ((_WEEKDAYS_HI, _WEEKDAYS_SHORT_HI) if hindi_only
                    else (_WEEKDAYS_EN, _WEEKDAYS_HI, _WEEKDAYS_SHORT_EN, _WEEKDAYS_SHORT_HI))
        weekday = self._word(j, *weekdays)
        if isinstance(weekday, int):
            return _weekday(self.today, weekday, which), "day", j
        if self._word(j, *((_WEEK_HI,) if hindi_only else (_WEEK_EN, _WEEK_HI))):
            monday = self.today - timedelta(days=self.today.weekday())
            return monday + timedelta(weeks=which), "week", j
        if self._word(j, *((_MONTH_HI,) if hindi_only else (_MONTH_EN, _MONTH_HI))):
            return _add_months(self.today.replace(day=1), which), "month", j
        return None

    def _weekday(self, i: int) -> tuple[date | None, str, int] | None:
        weekday = self._word(i, _WEEKDAYS_EN, _WEEKDAYS_HI)
        if not isinstance(weekday, int):
            return None
        return _weekday(self.today, weekday, -1 if self.prefer_past else 1), "day", i

    def _word_day(self, i: int) -> tuple[date | None, str, int] | None:
        """"today", "aaj", "yesterday", "kal", "parso" (but "aaj kal" is "these days")."""
        offset = self._word(i, _TODAY)
        if isinstance(offset, int):
            if offset == 0 and self._word(i + 1, _KAL) == 1 and self._joined(i, i + 1):
                return None
            return self.today + timedelta(days=offset), "day", i
        days = self._word(i, _KAL)
        if isinstance(days, int):
            if days == 1 and self._word(i - 1, _TODAY) == 0 and self._joined(i - 1, i):
                return None
            return self.today + timedelta(days=-days if self.prefer_past else days), "day", i
        return None

    # resolving dates without a year or month

    def _without_year(self, day: int, month: int) -> date | None:
        step = -1 if self.prefer_past else 1
        for years in range(_MAX_YEARS_SEARCHED + 1):
            candidate = _valid(self.today.year + step * years, month, day)
            if candidate is not None and (candidate <= self.today if self.prefer_past else candidate >= self.today):
                return candidate
        return None

    def _day_of_month(self, day: int) -> date | None:
        """"5 tarikh": the 5th of this month, or the latest earlier month with that day (prefer_past)."""
        if not 1 <= day <= 31:
            return None
        step = -1 if self.prefer_past else 1
        first = self.today.replace(day=1)
        for months in range(13):
            month_start = _add_months(first, step * months)
            candidate = _valid(month_start.year, month_start.month, day)
            if candidate is not None and (candidate <= self.today if self.prefer_past else candidate >= self.today):
                return candidate
        return None


_GLUE = re.compile(f"[{LETTER_CLASS}0-9]")


def _valid(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _full_year(digits: str) -> int | None:
    year = int(digits)
    if len(digits) == 2:
        return 2000 + year
    return year if 1900 <= year <= 2099 else None


def _weekday(today: date, weekday: int, which: int) -> date:
    """which -1: latest such day before today; 1: first after today; 0: in this Monday-Sunday week."""
    if which == 0:
        return today + timedelta(days=weekday - today.weekday())
    if which < 0:
        return today - timedelta(days=(today.weekday() - weekday - 1) % 7 + 1)
    return today + timedelta(days=(weekday - today.weekday() - 1) % 7 + 1)


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return day.replace(year=year, month=month + 1, day=min(day.day, calendar.monthrange(year, month + 1)[1]))


def _shift(today: date, count: int, unit: str) -> date | None:
    if unit == "day":
        days = count
    elif unit == "week":
        days = count * 7
    elif unit == "month":
        days = count * 31  # only for the bound; the date itself uses calendar months
    else:
        days = count * 366
    if abs(days) > MAX_DAYS_BACK:
        return None
    if unit in ("month", "year"):
        return _add_months(today, count * (12 if unit == "year" else 1))
    return today + timedelta(days=days)


def find_dates(text: str, today: date, *, prefer_past: bool = True) -> list[DateMatch]:
    """Every date in the first MAX_TEXT_CHARS characters of `text`, in order, not overlapping."""
    window = bounded_window(text, MAX_TEXT_CHARS)
    reader = _Reader(to_ascii_digits(window), today, prefer_past)
    return [DateMatch(f.value, f.period, f.start, f.end, window[f.start:f.end])
            for f in reader.found() if f.value is not None and not cut_short(window, text, f.end)]


def parse_date(text: str, today: date, *, prefer_past: bool = True) -> date | None:
    """The first date in `text`, or None when it names none (or only an invalid one)."""
    found = find_dates(text, today, prefer_past=prefer_past)
    return found[0].value if found else None
