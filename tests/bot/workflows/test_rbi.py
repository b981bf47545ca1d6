"""RBI's customer-protection rules: working days (Sundays, 2nd/4th Saturdays, holidays), customer
liability for unauthorised electronic transactions (2017 circular), the dispute timeline, and failed
UPI/IMPS transfers (2019 TAT circular), on real calendar dates."""

from __future__ import annotations

import json
from dataclasses import FrozenInstanceError
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from bot.workflows.rbi import (
    ACCOUNT_KINDS,
    CAPS,
    COMPENSATION_PER_DAY,
    LIABILITY_WINDOWS,
    MAX_WORKING_DAYS,
    DisputeTimeline,
    FailedTransfer,
    Liability,
    add_working_days,
    customer_liability,
    dispute_timeline,
    failed_transfer,
    is_working_day,
    working_days_between,
)

D = date
CHRISTMAS_2026 = D(2026, 12, 25)  # a Friday; a national bank holiday
EXAMPLE_HOLIDAY = D(2026, 11, 11)  # a Wednesday, standing in for a state bank holiday


def test_the_calendar_facts_these_tests_rely_on():
    # November 2026: Saturdays on the 7th (1st), 14th (2nd), 21st (3rd), 28th (4th).
    saturdays = [d for d in (D(2026, 11, 1) + timedelta(i) for i in range(30)) if d.weekday() == 5]
    assert saturdays == [D(2026, 11, 7), D(2026, 11, 14), D(2026, 11, 21), D(2026, 11, 28)]
    assert D(2026, 11, 9).weekday() == 0  # Monday
    assert D(2026, 11, 15).weekday() == 6  # Sunday
    # December 2026: Saturdays on the 5th, 12th, 19th, 26th; Christmas is a Friday.
    assert [D(2026, 12, d).weekday() for d in (5, 12, 19, 26)] == [5, 5, 5, 5]
    assert CHRISTMAS_2026.weekday() == 4
    # January 2026 and October 2026 have a 5th Saturday (the 31st).
    assert D(2026, 1, 31).weekday() == 5 and D(2026, 10, 31).weekday() == 5
    assert EXAMPLE_HOLIDAY.weekday() == 2
    # 1 January 2027 is a Friday, so Saturday 2 January is that month's 1st Saturday (open).
    assert D(2027, 1, 1).weekday() == 4 and D(2027, 1, 2).weekday() == 5
    assert D(2028, 2, 29).weekday() == 1  # 2028 is a leap year


# ---------------------------------------------------------------------------------- working days


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (D(2026, 11, 9), True),  # Monday
        (D(2026, 11, 13), True),  # Friday
        (D(2026, 11, 7), True),  # 1st Saturday: open
        (D(2026, 11, 14), False),  # 2nd Saturday
        (D(2026, 11, 21), True),  # 3rd Saturday: open
        (D(2026, 11, 28), False),  # 4th Saturday
        (D(2026, 10, 31), True),  # 5th Saturday: open
        (D(2026, 11, 15), False),  # Sunday
        (D(2026, 11, 1), False),  # Sunday, first of the month
        (D(2026, 12, 12), False),  # 2nd Saturday on the 12th
        (D(2026, 12, 26), False),  # 4th Saturday on the 26th
        (D(2026, 2, 14), False),  # 2nd Saturday of February
        (D(2026, 2, 28), False),  # 4th Saturday of February, last day of the month
    ],
)
def test_is_working_day_weekly_pattern(day, working):
    assert is_working_day(day) is working


def test_is_working_day_holidays():
    assert is_working_day(CHRISTMAS_2026) is True
    assert is_working_day(CHRISTMAS_2026, holidays=[CHRISTMAS_2026]) is False
    assert is_working_day(CHRISTMAS_2026, holidays={D(2026, 12, 24)}) is True
    # A holiday on a day that is already closed changes nothing.
    assert is_working_day(D(2026, 11, 15), holidays=(D(2026, 11, 15),)) is False


@pytest.mark.parametrize(
    ("start", "end", "holidays", "expected"),
    [
        (D(2026, 11, 9), D(2026, 11, 9), (), 0),  # same day: the start day itself never counts
        (D(2026, 11, 9), D(2026, 11, 1), (), 0),  # end before start
        (D(2026, 11, 9), D(2026, 11, 10), (), 1),
        (D(2026, 11, 9), D(2026, 11, 13), (), 4),  # Mon -> Fri
        (D(2026, 11, 13), D(2026, 11, 15), (), 0),  # Fri -> 2nd Sat, Sun
        (D(2026, 11, 13), D(2026, 11, 16), (), 1),  # Fri -> Mon
        (D(2026, 11, 20), D(2026, 11, 23), (), 2),  # Fri -> 3rd Sat (open), Sun, Mon
        (D(2026, 11, 9), D(2026, 11, 19), (), 8),
        (D(2026, 11, 9), D(2026, 11, 13), (EXAMPLE_HOLIDAY,), 3),
        (D(2026, 11, 11), D(2026, 11, 13), (EXAMPLE_HOLIDAY,), 2),  # a holiday on the start day: not counted twice
        (D(2026, 12, 24), D(2026, 12, 28), (CHRISTMAS_2026,), 1),  # Christmas, 4th Saturday, Sunday, Monday
        (D(2026, 12, 24), D(2026, 12, 28), (), 2),
        (D(2026, 12, 31), D(2027, 1, 4), (), 3),  # across the year end: Fri 1 Jan, Sat 2 Jan (1st, open), Mon 4
        # A full non-leap year: 365 - 52 Sundays (2026 has 52) - 24 second/fourth Saturdays.
        (D(2025, 12, 31), D(2026, 12, 31), (), 365 - 52 - 24),
    ],
)
def test_working_days_between(start, end, holidays, expected):
    assert working_days_between(start, end, holidays) == expected


def test_working_days_between_matches_a_day_by_day_walk():
    # The arithmetic counter against the obvious definition, over month and year ends, leap days, and
    # holidays that fall on working days, on closed days, and twice in the list.
    holidays = [D(2024, 1, 26), D(2024, 2, 29), D(2024, 3, 10), D(2024, 8, 15), D(2024, 8, 15),
                D(2024, 12, 14), D(2025, 1, 1), D(2025, 10, 2), D(2025, 10, 20)]  # fmt: skip
    first = D(2023, 12, 20)
    days = [first + timedelta(i) for i in range(0, 760, 1)]
    for start in days[::37]:
        walked = 0
        for end in days:
            if end > start and is_working_day(end, holidays):
                walked += 1
            assert working_days_between(start, end, holidays) == walked, (start, end)


def test_working_days_between_long_spans_are_cheap_and_exact():
    # 400 Gregorian years repeat the weekday pattern exactly: 146097 days, 20871 weeks.
    weeks = 146097 // 7
    months = 400 * 12
    assert working_days_between(D(1601, 1, 1), D(2001, 1, 1)) == 146097 - weeks - 2 * months
    assert working_days_between(D(1, 1, 1), D(9999, 12, 31)) > 0


@pytest.mark.parametrize(
    ("start", "n", "holidays", "expected"),
    [
        (D(2026, 11, 9), 0, (), D(2026, 11, 9)),
        (D(2026, 11, 14), 0, (), D(2026, 11, 14)),  # n = 0 is the start even on a closed day
        (D(2026, 11, 9), 1, (), D(2026, 11, 10)),
        (D(2026, 11, 9), 3, (), D(2026, 11, 12)),
        (D(2026, 11, 9), 4, (), D(2026, 11, 13)),
        (D(2026, 11, 9), 5, (), D(2026, 11, 16)),  # skips the 2nd Saturday and Sunday
        (D(2026, 11, 13), 1, (), D(2026, 11, 16)),
        (D(2026, 11, 20), 1, (), D(2026, 11, 21)),  # 3rd Saturday is a working day
        (D(2026, 11, 9), 3, (EXAMPLE_HOLIDAY,), D(2026, 11, 13)),
        (D(2026, 12, 24), 1, (CHRISTMAS_2026,), D(2026, 12, 28)),
        (D(2026, 12, 31), 1, (), D(2027, 1, 1)),
    ],
)
def test_add_working_days(start, n, holidays, expected):
    assert add_working_days(start, n, holidays) == expected


def test_add_working_days_inverts_working_days_between():
    holidays = {D(2026, 1, 26), D(2026, 3, 4), CHRISTMAS_2026}
    for offset in range(0, 400, 11):
        start = D(2026, 1, 1) + timedelta(offset)
        for n in (0, 1, 2, 3, 7, 10, 45):
            landed = add_working_days(start, n, holidays)
            assert working_days_between(start, landed, holidays) == n
            assert n == 0 or is_working_day(landed, holidays)


def test_add_working_days_bounds():
    assert add_working_days(D(2026, 1, 1), MAX_WORKING_DAYS) > D(2036, 1, 1)
    with pytest.raises(ValueError, match="3660"):
        add_working_days(D(2026, 1, 1), MAX_WORKING_DAYS + 1)
    with pytest.raises(ValueError, match="between 0"):
        add_working_days(D(2026, 1, 1), -1)
    with pytest.raises(TypeError):
        add_working_days(D(2026, 1, 1), 2.0)
    with pytest.raises(TypeError):
        add_working_days(D(2026, 1, 1), True)
    with pytest.raises(ValueError, match="beyond the calendar"):
        add_working_days(D(9999, 12, 30), 5)


@pytest.mark.parametrize(
    "holidays",
    [
        "2026-12-25",  # text, not a collection of dates
        ["2026-12-25"],  # an ISO string would never match a date
        [datetime(2026, 12, 25, tzinfo=UTC)],  # a datetime skipped the IST conversion
        {D(2026, 12, 25): "Christmas"},  # a mapping: ambiguous, refuse it
        42,
    ],
)
def test_bad_holidays_are_refused(holidays):
    with pytest.raises(TypeError):
        working_days_between(D(2026, 12, 24), D(2026, 12, 28), holidays)


def test_too_many_holidays_are_refused():
    with pytest.raises(ValueError, match="too many holidays"):
        is_working_day(D(2026, 1, 1), [D(2000, 1, 1) + timedelta(i) for i in range(10_001)])


def test_datetimes_are_refused_where_dates_belong():
    with pytest.raises(TypeError, match="IST"):
        is_working_day(datetime(2026, 11, 9, 10, 0, tzinfo=UTC))
    with pytest.raises(TypeError):
        working_days_between(D(2026, 11, 9), datetime(2026, 11, 12))
    with pytest.raises(TypeError):
        working_days_between("2026-11-09", D(2026, 11, 12))


# ------------------------------------------------------------------------------- customer liability

TXN_MONDAY = D(2026, 11, 9)


def _liability(reported_on, *, kind="savings", amount=Decimal("50000.00"), holidays=(), **extra) -> Liability:
    return customer_liability(
        account_kind=kind, amount=amount, transaction_on=TXN_MONDAY, reported_on=reported_on,
        holidays=holidays, **extra,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("reported_on", "holidays", "kind", "working_days"),
    [
        (D(2026, 11, 9), (), "zero", 0),  # the same day
        (D(2026, 11, 12), (), "zero", 3),  # Thursday: day 3
        (D(2026, 11, 13), (), "limited", 4),  # Friday: day 4
        (D(2026, 11, 14), (), "limited", 4),  # 2nd Saturday: still day 4
        (D(2026, 11, 15), (), "limited", 4),  # Sunday: still day 4
        (D(2026, 11, 18), (), "limited", 7),  # the next Wednesday: day 7
        (D(2026, 11, 19), (), "board_policy", 8),  # day 8
        (D(2027, 11, 9), (), "board_policy", 289),  # a year later
        # A holiday on Wednesday the 11th pushes each boundary a working day later.
        (D(2026, 11, 13), (EXAMPLE_HOLIDAY,), "zero", 3),
        (D(2026, 11, 16), (EXAMPLE_HOLIDAY,), "limited", 4),
        (D(2026, 11, 19), (EXAMPLE_HOLIDAY,), "limited", 7),
        (D(2026, 11, 20), (EXAMPLE_HOLIDAY,), "board_policy", 8),
    ],
)
def test_liability_windows(reported_on, holidays, kind, working_days):
    result = _liability(reported_on, holidays=holidays)
    assert (result.kind, result.working_days) == (kind, working_days)
    if kind == "zero":
        assert result.max_liability == Decimal("0.00") and result.cap == Decimal("10000.00")
    elif kind == "limited":
        assert result.max_liability == Decimal("10000.00") and result.cap == Decimal("10000.00")
    else:
        assert result.max_liability is None and result.cap is None


def test_liability_across_christmas_and_the_4th_saturday():
    # Thursday 24 Dec 2026; Fri 25 is Christmas, Sat 26 the 4th Saturday, Sun 27: Wed 30 is day 3.
    args = dict(account_kind="savings", amount=Decimal("2500.00"), transaction_on=D(2026, 12, 24))
    on_time = customer_liability(**args, reported_on=D(2026, 12, 30), holidays=[CHRISTMAS_2026])
    assert (on_time.kind, on_time.working_days) == ("zero", 3)
    # Without the holiday list the same report counts 4 days: the holiday calendar matters.
    assert customer_liability(**args, reported_on=D(2026, 12, 30)).kind == "limited"
    late = customer_liability(**args, reported_on=D(2026, 12, 31), holidays=[CHRISTMAS_2026])
    assert (late.kind, late.working_days, late.max_liability) == ("limited", 4, Decimal("2500.00"))


def test_liability_transaction_on_a_closed_day():
    # Alerted on the 2nd Saturday; Mon 16, Tue 17, Wed 18 are days 1-3.
    result = customer_liability(
        account_kind="savings", amount=Decimal("900"), transaction_on=D(2026, 11, 14), reported_on=D(2026, 11, 18)
    )
    assert (result.kind, result.working_days) == ("zero", 3)


LIMITED_DAY = D(2026, 11, 13)  # day 4 after TXN_MONDAY


@pytest.mark.parametrize(
    ("kind", "amount", "extra", "cap", "max_liability"),
    [
        # Savings bank accounts: ₹10,000.
        ("savings", Decimal("3000.00"), {}, "10000.00", "3000.00"),
        ("savings", Decimal("10000.00"), {}, "10000.00", "10000.00"),
        ("savings", Decimal("10000.01"), {}, "10000.00", "10000.00"),
        ("savings", Decimal("0"), {}, "10000.00", "0.00"),
        ("salary", Decimal("75000.00"), {}, "10000.00", "10000.00"),
        ("nre", Decimal("250000.00"), {}, "10000.00", "10000.00"),
        ("prepaid", Decimal("12000.00"), {}, "10000.00", "10000.00"),
        # BSBD: ₹5,000.
        ("bsbd", Decimal("4999.99"), {}, "5000.00", "4999.99"),
        ("bsbd", Decimal("50000.00"), {}, "5000.00", "5000.00"),
        ("bsbd", 7000, {}, "5000.00", "5000.00"),  # an int amount is exact too
        # Current accounts: ₹25,000, or ₹10,000 for individuals (AAB/limit up to ₹25 lakh) and MSMEs.
        ("current", Decimal("50000.00"), {}, "25000.00", "25000.00"),
        ("current", Decimal("18000.00"), {}, "25000.00", "18000.00"),
        ("current", Decimal("50000.00"), {"individual_or_msme": True}, "10000.00", "10000.00"),
        ("current", Decimal("8000.00"), {"individual_or_msme": True}, "10000.00", "8000.00"),
        ("savings", Decimal("50000.00"), {"individual_or_msme": True}, "10000.00", "10000.00"),  # ignored
        # Credit cards: ₹10,000 up to a ₹5 lakh limit (inclusive), ₹25,000 above.
        ("credit_card", Decimal("40000.00"), {"credit_limit": Decimal("200000.00")}, "10000.00", "10000.00"),
        ("credit_card", Decimal("40000.00"), {"credit_limit": Decimal("500000.00")}, "10000.00", "10000.00"),
        ("credit_card", Decimal("40000.00"), {"credit_limit": Decimal("500000.01")}, "25000.00", "25000.00"),
        ("credit_card", Decimal("40000.00"), {"credit_limit": 1_000_000}, "25000.00", "25000.00"),
        ("credit_card", Decimal("1999.50"), {"credit_limit": Decimal("800000")}, "25000.00", "1999.50"),
    ],
)
def test_limited_liability_caps(kind, amount, extra, cap, max_liability):
    result = _liability(LIMITED_DAY, kind=kind, amount=amount, **extra)
    assert result.kind == "limited"
    assert result.cap == Decimal(cap)
    assert result.max_liability == Decimal(max_liability)
    assert str(result.max_liability) == max_liability  # always rupees and paise


def test_caps_and_windows_are_the_published_figures_and_read_only():
    assert LIABILITY_WINDOWS == (3, 7)
    assert dict(CAPS) == {
        "bsbd": Decimal("5000"),
        "savings": Decimal("10000"),
        "prepaid": Decimal("10000"),
        "current_individual_or_msme": Decimal("10000"),
        "current": Decimal("25000"),
        "credit_card_up_to_5_lakh": Decimal("10000"),
        "credit_card_above_5_lakh": Decimal("25000"),
    }
    with pytest.raises(TypeError):
        CAPS["savings"] = Decimal("1")  # type: ignore[index]
    assert {"savings", "current", "salary", "nre", "bsbd", "credit_card"} <= ACCOUNT_KINDS


@pytest.mark.parametrize(
    ("overrides", "error", "match"),
    [
        ({"account_kind": "fixed_deposit"}, ValueError, "known kinds: bsbd, credit_card, current, nre"),
        ({"account_kind": "Savings"}, ValueError, "unknown account kind"),
        ({"account_kind": None}, TypeError, "account_kind"),
        ({"amount": Decimal("-0.01")}, ValueError, "negative"),
        ({"amount": Decimal("NaN")}, ValueError, "finite"),
        ({"amount": Decimal("Infinity")}, ValueError, "finite"),
        ({"amount": Decimal("10.005")}, ValueError, "2 decimal places"),
        ({"amount": 5000.0}, TypeError, "Decimal"),
        ({"amount": "5000"}, TypeError, "Decimal"),
        ({"amount": True}, TypeError, "Decimal"),
        ({"reported_on": D(2026, 11, 8)}, ValueError, "before transaction_on"),
        ({"reported_on": datetime(2026, 11, 12, tzinfo=UTC)}, TypeError, "reported_on"),
        ({"transaction_on": "2026-11-09"}, TypeError, "transaction_on"),
        ({"account_kind": "credit_card"}, ValueError, "credit_limit is required"),
        ({"account_kind": "credit_card", "credit_limit": Decimal("-1")}, ValueError, "credit_limit"),
        ({"account_kind": "credit_card", "credit_limit": 5e5}, TypeError, "credit_limit"),
        ({"credit_limit": Decimal("100000")}, ValueError, "only to credit cards"),
        ({"account_kind": "current", "individual_or_msme": "yes"}, TypeError, "individual_or_msme"),
        ({"holidays": ["2026-11-11"]}, TypeError, "holiday"),
    ],
)
def test_customer_liability_bad_inputs(overrides, error, match):
    args = dict(account_kind="savings", amount=Decimal("5000.00"), transaction_on=TXN_MONDAY, reported_on=LIMITED_DAY)
    args.update(overrides)
    with pytest.raises(error, match=match):
        customer_liability(**args)


# ------------------------------------------------------------------------------------ dispute timeline


@pytest.mark.parametrize(
    ("reported_on", "holidays", "shadow_credit_by", "resolve_by"),
    [
        # Mon 9 Nov 2026: Tue 10 ... Fri 13 (4), Mon 16 ... Fri 20 (9), Sat 21 (3rd Saturday, open) is day 10.
        (D(2026, 11, 9), (), D(2026, 11, 21), D(2027, 2, 7)),
        # A holiday in the run moves it to Mon 23.
        (D(2026, 11, 9), (EXAMPLE_HOLIDAY,), D(2026, 11, 23), D(2027, 2, 7)),
        # Thu 24 Dec 2026 over Christmas, the 4th Saturday and New Year's Day (a holiday here), but
        # Sat 2 Jan 2027 is a 1st Saturday and counts: Mon 28 ... Thu 31 (4), Sat 2 (5), Mon 4 ... Fri 8 (10).
        (D(2026, 12, 24), (CHRISTMAS_2026, D(2027, 1, 1)), D(2027, 1, 8), D(2027, 3, 24)),
        # 90 calendar days over a leap February.
        (D(2027, 12, 1), (), D(2027, 12, 14), D(2028, 2, 29)),
    ],
)
def test_dispute_timeline(reported_on, holidays, shadow_credit_by, resolve_by):
    timeline = dispute_timeline(reported_on, holidays)
    assert timeline == DisputeTimeline(reported_on, shadow_credit_by, resolve_by)
    assert working_days_between(reported_on, timeline.shadow_credit_by, holidays) == 10
    assert (timeline.resolve_by - reported_on).days == 90


def test_dispute_timeline_bad_inputs():
    with pytest.raises(TypeError):
        dispute_timeline("2026-11-09")
    with pytest.raises(TypeError):
        dispute_timeline(datetime(2026, 11, 9, tzinfo=UTC))
    with pytest.raises(ValueError):
        dispute_timeline(D(9999, 12, 1))


# ------------------------------------------------------------------------------------ failed transfers


@pytest.mark.parametrize(
    ("channel", "transaction_on", "today", "reversed_on", "reverse_by", "days_late", "due", "within"),
    [
        # Reversed on T, on T+1, then 1 and 4 days after T+1.
        ("UPI", D(2026, 11, 9), D(2026, 11, 20), D(2026, 11, 9), D(2026, 11, 10), 0, "0.00", True),
        ("UPI", D(2026, 11, 9), D(2026, 11, 20), D(2026, 11, 10), D(2026, 11, 10), 0, "0.00", True),
        ("IMPS", D(2026, 11, 9), D(2026, 11, 20), D(2026, 11, 11), D(2026, 11, 10), 1, "100.00", False),
        ("IMPS", D(2026, 11, 9), D(2026, 11, 20), D(2026, 11, 14), D(2026, 11, 10), 4, "400.00", False),
        # Not reversed yet: on time so far, then accruing ₹100 a day up to today.
        ("UPI", D(2026, 11, 9), D(2026, 11, 9), None, D(2026, 11, 10), 0, "0.00", True),
        ("UPI", D(2026, 11, 9), D(2026, 11, 10), None, D(2026, 11, 10), 0, "0.00", True),
        ("UPI", D(2026, 11, 9), D(2026, 11, 13), None, D(2026, 11, 10), 3, "300.00", False),
        # T+1 is a calendar day: a transfer on the 2nd Saturday is due back on Sunday.
        ("IMPS", D(2026, 11, 14), D(2026, 11, 16), None, D(2026, 11, 15), 1, "100.00", False),
        # Across the year end.
        ("upi", D(2026, 12, 31), D(2027, 1, 31), D(2027, 1, 31), D(2027, 1, 1), 30, "3000.00", False),
    ],
)
def test_failed_transfer(channel, transaction_on, today, reversed_on, reverse_by, days_late, due, within):
    result = failed_transfer(channel=channel, transaction_on=transaction_on, today=today, reversed_on=reversed_on)
    assert result == FailedTransfer(
        channel=channel.upper(),
        reverse_by=reverse_by,
        reversed_on=reversed_on,
        days_late=days_late,
        compensation_per_day=Decimal("100.00"),
        compensation_due=Decimal(due),
        within_tat=within,
    )
    assert str(result.compensation_due) == due


def test_failed_transfer_reversal_date_stops_the_clock():
    args = dict(channel="IMPS", transaction_on=D(2026, 11, 9), reversed_on=D(2026, 11, 12))
    a_week_later = failed_transfer(**args, today=D(2026, 11, 19))
    a_year_later = failed_transfer(**args, today=D(2027, 11, 19))
    assert a_week_later.compensation_due == a_year_later.compensation_due == Decimal("200.00")


@pytest.mark.parametrize(
    ("overrides", "error", "match"),
    [
        ({"channel": "NEFT"}, ValueError, "UPI and IMPS"),
        ({"channel": "RTGS"}, ValueError, "NEFT/RTGS"),
        ({"channel": "CARD"}, ValueError, "card"),
        ({"channel": "ATM"}, ValueError, "ATM"),
        ({"channel": ""}, ValueError, "not covered"),
        ({"channel": None}, TypeError, "channel"),
        ({"today": D(2026, 11, 8)}, ValueError, "today .* before transaction_on"),
        ({"reversed_on": D(2026, 11, 8)}, ValueError, "reversed_on .* before transaction_on"),
        ({"reversed_on": D(2026, 11, 21)}, ValueError, "after today"),
        ({"reversed_on": "2026-11-10"}, TypeError, "reversed_on"),
        ({"today": datetime(2026, 11, 20, tzinfo=UTC)}, TypeError, "today"),
        ({"transaction_on": D(9999, 12, 31), "today": D(9999, 12, 31)}, ValueError, "end of the calendar"),
    ],
)
def test_failed_transfer_bad_inputs(overrides, error, match):
    args = dict(channel="UPI", transaction_on=D(2026, 11, 9), today=D(2026, 11, 20), reversed_on=None)
    args.update(overrides)
    with pytest.raises(error, match=match):
        failed_transfer(**args)


# ------------------------------------------------------------------------------ results as plain data


def test_results_are_frozen_and_as_dict_is_plain_data():
    liability = _liability(LIMITED_DAY, kind="bsbd")
    timeline = dispute_timeline(D(2026, 11, 9))
    transfer = failed_transfer(channel="UPI", transaction_on=D(2026, 11, 9), today=D(2026, 11, 13))

    assert liability.as_dict() == {
        "kind": "limited", "working_days": 4, "cap": Decimal("5000.00"), "max_liability": Decimal("5000.00"),
    }  # fmt: skip
    assert timeline.as_dict() == {
        "reported_on": D(2026, 11, 9), "shadow_credit_by": D(2026, 11, 21), "resolve_by": D(2027, 2, 7),
    }  # fmt: skip
    assert transfer.as_dict() == {
        "channel": "UPI",
        "reverse_by": D(2026, 11, 10),
        "reversed_on": None,
        "days_late": 3,
        "compensation_per_day": COMPENSATION_PER_DAY,
        "compensation_due": Decimal("300.00"),
        "within_tat": False,
    }
    board = _liability(D(2026, 11, 30)).as_dict()
    assert board == {"kind": "board_policy", "working_days": 16, "cap": None, "max_liability": None}

    for result in (liability, timeline, transfer):
        data = result.as_dict()
        # Only JSON-friendly kinds (dates and Decimals render as text with a default of str).
        assert all(isinstance(v, (str, int, bool, Decimal, date, type(None))) for v in data.values())
        assert not any(isinstance(v, (datetime, float)) for v in data.values())
        json.dumps(data, default=str)
        with pytest.raises(FrozenInstanceError):
            result.kind = "zero"  # type: ignore[misc, attr-defined]
