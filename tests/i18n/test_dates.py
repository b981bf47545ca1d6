"""Tests for i18n.dates: dates as Indian customers write and say them, resolved against `today`."""

import dataclasses
from datetime import date, timedelta

import pytest

from i18n.dates import MAX_TEXT_CHARS, DateMatch, find_dates, month_number, parse_date

WEDNESDAY = date(2026, 3, 4)  # the `today` of most cases below

# text, expected with prefer_past=True, expected with prefer_past=False
DATES = [
    # today, yesterday, kal, parso
    ("today", "2026-03-04", "2026-03-04"),
    ("aaj", "2026-03-04", "2026-03-04"),
    ("Aaj", "2026-03-04", "2026-03-04"),
    ("आज", "2026-03-04", "2026-03-04"),
    ("yesterday", "2026-03-03", "2026-03-03"),
    ("tomorrow", "2026-03-05", "2026-03-05"),
    ("kal", "2026-03-03", "2026-03-05"),
    ("Kal", "2026-03-03", "2026-03-05"),
    ("कल", "2026-03-03", "2026-03-05"),
    ("parso", "2026-03-02", "2026-03-06"),
    ("parson", "2026-03-02", "2026-03-06"),
    ("परसों", "2026-03-02", "2026-03-06"),
    ("narso", "2026-03-01", "2026-03-07"),
    ("day before yesterday", "2026-03-02", "2026-03-02"),
    ("day after tomorrow", "2026-03-06", "2026-03-06"),
    # weekdays (2026-03-04 is a Wednesday)
    ("last Monday", "2026-03-02", "2026-03-02"),
    ("last monday", "2026-03-02", "2026-03-02"),
    ("previous Tuesday", "2026-03-03", "2026-03-03"),
    ("last Wednesday", "2026-02-25", "2026-02-25"),
    ("last Thursday", "2026-02-26", "2026-02-26"),
    ("last Sunday", "2026-03-01", "2026-03-01"),
    ("last Sun", "2026-03-01", "2026-03-01"),
    ("last Sat", "2026-02-28", "2026-02-28"),
    ("pichle somvar", "2026-03-02", "2026-03-02"),
    ("pichhle somwar", "2026-03-02", "2026-03-02"),
    ("पिछले सोमवार", "2026-03-02", "2026-03-02"),
    ("पिछले शुक्रवार", "2026-02-27", "2026-02-27"),
    ("pichle mangal", "2026-03-03", "2026-03-03"),
    ("next Friday", "2026-03-06", "2026-03-06"),
    ("next Wednesday", "2026-03-11", "2026-03-11"),
    ("next mon", "2026-03-09", "2026-03-09"),
    ("agle somvar", "2026-03-09", "2026-03-09"),
    ("अगले रविवार", "2026-03-08", "2026-03-08"),
    ("this Monday", "2026-03-02", "2026-03-02"),
    ("this Friday", "2026-03-06", "2026-03-06"),
    ("is somvar", "2026-03-02", "2026-03-02"),
    ("इस शनिवार", "2026-03-07", "2026-03-07"),
    ("Monday", "2026-03-02", "2026-03-09"),
    ("Wednesday", "2026-02-25", "2026-03-11"),
    ("Friday", "2026-02-27", "2026-03-06"),
    ("somvar", "2026-03-02", "2026-03-09"),
    ("shukravar", "2026-02-27", "2026-03-06"),
    ("guruvar", "2026-02-26", "2026-03-05"),
    ("सोमवार", "2026-03-02", "2026-03-09"),
    ("रविवार", "2026-03-01", "2026-03-08"),
    ("बृहस्पतिवार", "2026-02-26", "2026-03-05"),
    ("itwar", "2026-03-01", "2026-03-08"),
    # weeks and months
    ("last week", "2026-02-23", "2026-02-23"),
    ("previous week", "2026-02-23", "2026-02-23"),
    ("pichle hafte", "2026-02-23", "2026-02-23"),
    ("पिछले हफ्ते", "2026-02-23", "2026-02-23"),
    ("पिछले हफ़्ते", "2026-02-23", "2026-02-23"),
    ("this week", "2026-03-02", "2026-03-02"),
    ("is hafte", "2026-03-02", "2026-03-02"),
    ("next week", "2026-03-09", "2026-03-09"),
    ("last month", "2026-02-01", "2026-02-01"),
    ("pichle mahine", "2026-02-01", "2026-02-01"),
    ("पिछले महीने", "2026-02-01", "2026-02-01"),
    ("this month", "2026-03-01", "2026-03-01"),
    ("agle mahine", "2026-04-01", "2026-04-01"),
    ("Nov 2025", "2025-11-01", "2025-11-01"),
    ("नवंबर 2025", "2025-11-01", "2025-11-01"),
    # so long ago, so much later
    ("2 din pehle", "2026-03-02", "2026-03-02"),
    ("2 din pahle", "2026-03-02", "2026-03-02"),
    ("2 दिन पहले", "2026-03-02", "2026-03-02"),
    ("do din pehle", "2026-03-02", "2026-03-02"),
    ("दो दिन पहले", "2026-03-02", "2026-03-02"),
    ("ek hafte pehle", "2026-02-25", "2026-02-25"),
    ("2 days ago", "2026-03-02", "2026-03-02"),
    ("2 days back", "2026-03-02", "2026-03-02"),
    ("ten days ago", "2026-02-22", "2026-02-22"),
    ("a week ago", "2026-02-25", "2026-02-25"),
    ("3 weeks ago", "2026-02-11", "2026-02-11"),
    ("3 months ago", "2025-12-04", "2025-12-04"),
    ("3 mahine pehle", "2025-12-04", "2025-12-04"),
    ("1 year ago", "2025-03-04", "2025-03-04"),
    ("2 din baad", "2026-03-06", "2026-03-06"),
    ("in 2 days", "2026-03-06", "2026-03-06"),
    # day and month, no year: never in the future when prefer_past
    ("5 Nov", "2025-11-05", "2026-11-05"),
    ("5th November", "2025-11-05", "2026-11-05"),
    ("5th of November", "2025-11-05", "2026-11-05"),
    ("Nov 5", "2025-11-05", "2026-11-05"),
    ("Nov 5th", "2025-11-05", "2026-11-05"),
    ("Nov. 5", "2025-11-05", "2026-11-05"),
    ("November 5", "2025-11-05", "2026-11-05"),
    ("5Nov", "2025-11-05", "2026-11-05"),
    ("1st Jan", "2026-01-01", "2027-01-01"),
    ("22nd Feb", "2026-02-22", "2027-02-22"),
    ("3rd March", "2026-03-03", "2027-03-03"),
    ("4 Mar", "2026-03-04", "2026-03-04"),  # today is not the future
    ("5 Mar", "2025-03-05", "2026-03-05"),
    ("5 नवंबर", "2025-11-05", "2026-11-05"),
    ("5 नवम्बर", "2025-11-05", "2026-11-05"),
    ("5 navambar", "2025-11-05", "2026-11-05"),
    ("15 अगस्त", "2025-08-15", "2026-08-15"),
    ("26 जनवरी", "2026-01-26", "2027-01-26"),
    ("2 फ़रवरी", "2026-02-02", "2027-02-02"),
    ("2 फरवरी", "2026-02-02", "2027-02-02"),
    ("29 Feb", "2024-02-29", "2028-02-29"),  # the latest / next leap year
    ("5/11", "2025-11-05", "2026-11-05"),
    ("4/3", "2026-03-04", "2026-03-04"),
    ("5 tarikh", "2026-02-05", "2026-03-05"),
    ("5 तारीख", "2026-02-05", "2026-03-05"),
    ("4 tarikh", "2026-03-04", "2026-03-04"),
    ("3 tarikh", "2026-03-03", "2026-04-03"),
    ("31 tarikh", "2026-01-31", "2026-03-31"),  # February has no 31st
    ("30 tarikh", "2026-01-30", "2026-03-30"),
    # with a year: that date, future or not
    ("05/11/2026", "2026-11-05", "2026-11-05"),
    ("5/11/2026", "2026-11-05", "2026-11-05"),
    ("5-11-26", "2026-11-05", "2026-11-05"),
    ("05-11-2025", "2025-11-05", "2025-11-05"),
    ("5.11.2025", "2025-11-05", "2025-11-05"),
    ("2025-11-05", "2025-11-05", "2025-11-05"),
    ("5 Nov 2025", "2025-11-05", "2025-11-05"),
    ("5 November, 2025", "2025-11-05", "2025-11-05"),
    ("Nov 5, 2025", "2025-11-05", "2025-11-05"),
    ("5-Nov-2025", "2025-11-05", "2025-11-05"),
    ("05-Nov-25", "2025-11-05", "2025-11-05"),
    ("5 Nov '25", "2025-11-05", "2025-11-05"),
    ("5 नवंबर 2026", "2026-11-05", "2026-11-05"),
    # Indic digits
    ("५ नवंबर", "2025-11-05", "2026-11-05"),
    ("०५/११/२०२६", "2026-11-05", "2026-11-05"),
    ("২৫ তারিখ নয়, 05/11/2025", "2025-11-05", "2025-11-05"),  # Bengali words are not read; the date is
    ("০৫/১১/২০২৫", "2025-11-05", "2025-11-05"),
    ("௫/௧௧/௨௦௨௫", "2025-11-05", "2025-11-05"),
    ("౫ Nov", "2025-11-05", "2026-11-05"),
    ("२ दिन पहले", "2026-03-02", "2026-03-02"),
    # in sentences
    ("mere account se kal 5000 kat gaye", "2026-03-03", "2026-03-05"),
    ("I paid Rs 500 on 5th Nov at 10:30", "2025-11-05", "2026-11-05"),
    ("pichle somvar ko ATM se paise nikale", "2026-03-02", "2026-03-02"),
]


@pytest.mark.parametrize(("text", "past", "future"), DATES)
def test_parse_date(text, past, future):
    assert parse_date(text, WEDNESDAY) == date.fromisoformat(past)
    assert parse_date(text, WEDNESDAY, prefer_past=True) == date.fromisoformat(past)
    assert parse_date(text, WEDNESDAY, prefer_past=False) == date.fromisoformat(future)


NOT_DATES = [
    "hello",
    "",
    "31/02/2026",  # no 31st of February, and no part of it is read as a date
    "31-02-26",
    "30 Feb",
    "31 April",
    "32 Nov",
    "0 Nov",
    "5/13",
    "5/13/2026",
    "2026-13-01",
    "call 9812345678",
    "+91 98123 45678",
    "card 4111 1111 1111 1111",
    "at 10:30",
    "Rs 5000",
    "5000 din pehle",  # beyond ten years: not a date
    "aaj kal sab online hai",  # "aaj kal" is "these days"
    "kalyan",
    "sun lo",  # "sun" alone is "listen", not Sunday
    "sat",
    "Mon",
    "ravi ne paise bheje",  # a name, not Sunday
    "guru",
    "last 5 transactions",
    "may I know my balance",
    "5 mai kya karu",  # Hinglish "mai", not May
    "this is it",
    "is week",  # "is" means "this" only before Hindi words
    "x5 Nov",
    "version 1.2.3",
    "2 din",
    "pehle",
]


@pytest.mark.parametrize("text", NOT_DATES)
def test_not_a_date(text):
    assert find_dates(text, WEDNESDAY) == []
    assert parse_date(text, WEDNESDAY) is None


def test_english_is_monday_is_just_monday():
    # "is" is Hindi "this" only before Hindi words; in English "is Monday" is the bare weekday
    [match] = find_dates("payment is Monday", WEDNESDAY)
    assert (match.text, match.value) == ("Monday", date(2026, 3, 2))


def test_find_dates_returns_every_date_with_its_span_and_period():
    text = "Kal ₹5,000 kate, pichle hafte 2000, aur 05/11/2025 ko bhi. Last month bhi."
    found = find_dates(text, WEDNESDAY)
    assert [(m.text, m.value, m.period) for m in found] == [
        ("Kal", date(2026, 3, 3), "day"),
        ("pichle hafte", date(2026, 2, 23), "week"),
        ("05/11/2025", date(2025, 11, 5), "day"),
        ("Last month", date(2026, 2, 1), "month"),
    ]
    for match in found:
        assert text[match.start:match.end] == match.text


def test_span_keeps_the_customers_digits():
    [match] = find_dates("पैसे ५ नवंबर को कटे", WEDNESDAY)
    assert match.text == "५ नवंबर"
    assert match.value == date(2025, 11, 5)


def test_an_invalid_date_hides_nothing_inside_it():
    # "31/02/2026" must not turn into "02/2026" or "31/02"
    assert find_dates("31/02/2026 aur 5 Nov", WEDNESDAY)[0].text == "5 Nov"


@pytest.mark.parametrize("today", [WEDNESDAY + timedelta(days=n) for n in range(7)])
def test_weekday_rules_on_every_day_of_the_week(today):
    for weekday, name in enumerate(["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]):
        last = parse_date(f"last {name}", today)
        assert last.weekday() == weekday and 1 <= (today - last).days <= 7
        assert parse_date(name, today) == last
        following = parse_date(f"next {name}", today)
        assert following.weekday() == weekday and 1 <= (following - today).days <= 7
        assert parse_date(name, today, prefer_past=False) == following
        this = parse_date(f"this {name}", today)
        assert this.weekday() == weekday and this.isocalendar()[:2] == today.isocalendar()[:2]


@pytest.mark.parametrize("today", [date(2026, 3, 2), date(2026, 3, 8), date(2026, 1, 1)])
def test_last_week_is_the_monday_of_the_week_before(today):
    monday = parse_date("last week", today)
    assert monday.weekday() == 0
    assert monday.isocalendar()[:2] == (today - timedelta(days=7)).isocalendar()[:2]


@pytest.mark.parametrize(("today", "expected"), [
    (date(2026, 1, 15), date(2025, 12, 1)),
    (date(2026, 3, 31), date(2026, 2, 1)),
])
def test_last_month_across_year_and_month_ends(today, expected):
    assert parse_date("last month", today) == expected


@pytest.mark.parametrize(("today", "text", "expected"), [
    (date(2026, 5, 31), "3 months ago", date(2026, 2, 28)),  # clamped to the month's end
    (date(2024, 5, 31), "3 months ago", date(2024, 2, 29)),
    (date(2024, 2, 29), "1 year ago", date(2023, 2, 28)),
    (date(2026, 1, 2), "5 din pehle", date(2025, 12, 28)),
    (date(2026, 1, 1), "kal", date(2025, 12, 31)),
    (date(2026, 1, 1), "31 Dec", date(2025, 12, 31)),
    (date(2026, 1, 1), "1 Jan", date(2026, 1, 1)),
    (date(2026, 1, 1), "2 Jan", date(2025, 1, 2)),
    (date(2026, 3, 1), "30 tarikh", date(2026, 1, 30)),
])
def test_calendar_edges(today, text, expected):
    assert parse_date(text, today) == expected


def test_day_and_month_without_a_year_is_never_in_the_future():
    texts = ["1 Jan", "29 Feb", "28 Feb", "1 Mar", "30 Jun", "31 Dec", "15 अगस्त", "Nov 5", "5/11", "31/12",
             "1 tarikh", "31 tarikh", "Monday", "somvar", "kal", "parso"]
    today = date(2024, 1, 1)
    for _ in range(800):  # over two years, a leap day among them
        for text in texts:
            past = parse_date(text, today)
            assert past is not None and past <= today, (text, today)
            future = parse_date(text, today, prefer_past=False)
            assert future is not None and future >= today, (text, today)
        today += timedelta(days=1)


def test_date_match_is_frozen():
    match = DateMatch(WEDNESDAY, "day", 0, 3, "aaj")
    with pytest.raises(dataclasses.FrozenInstanceError):
        match.value = date(2026, 1, 1)


def test_only_the_first_characters_are_read():
    assert parse_date("x" * MAX_TEXT_CHARS + " 5 Nov", WEDNESDAY) is None
    assert parse_date("x" * (MAX_TEXT_CHARS - 8) + " 5 Nov, and so on", WEDNESDAY) == date(2025, 11, 5)
    # "5 Nov" cut from "5 Nov 2020" by the limit would be a different date: not read at all
    assert parse_date("x" * (MAX_TEXT_CHARS - 7) + " 5 Nov 2020", WEDNESDAY) is None


def test_long_hostile_input_is_bounded():
    for text in ("kal " * 1000, "5 Nov " * 1000, "1/" * 5000, "pichle " * 1000):
        assert all(m.end <= MAX_TEXT_CHARS for m in find_dates(text, WEDNESDAY))


@pytest.mark.parametrize(("word", "month"), [
    ("Jan", 1), ("january", 1), ("जनवरी", 1), ("Sept", 9), ("सितम्बर", 9), ("सितंबर", 9), ("aktubar", 10),
    ("अक्तूबर", 10), ("December", 12), ("दिसंबर", 12), ("may", 5), ("मई", 5),
])
def test_month_number(word, month):
    assert month_number(word) == month


@pytest.mark.parametrize("word", ["mai", "monday", "kal", "5", ""])
def test_month_number_of_other_words(word):
    assert month_number(word) is None
