"""The EMI schedule the loans answer shows: the next dues, month by month, never more than is owed."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from bot.workflows.operations import EmiDue, emi_schedule


def test_dues_fall_on_the_same_day_each_month_clipped_to_the_month_end():
    dues = emi_schedule("2027-01-31", Decimal("9893.00"), Decimal("100000.00"))
    assert [d.due_on for d in dues] == [date(2027, 1, 31), date(2027, 2, 28), date(2027, 3, 31)]
    assert all(d.amount == Decimal("9893.00") for d in dues)


def test_a_leap_february_and_a_year_end():
    dues = emi_schedule("2027-12-30", Decimal("500.00"), Decimal("5000.00"))
    assert [d.due_on for d in dues] == [date(2027, 12, 30), date(2028, 1, 30), date(2028, 2, 29)]


def test_the_last_due_is_what_is_left_and_the_schedule_stops_there():
    assert emi_schedule("2026-12-07", Decimal("1000.00"), Decimal("1500.00")) == [
        EmiDue(date(2026, 12, 7), Decimal("1000.00")), EmiDue(date(2027, 1, 7), Decimal("500.00"))]
    assert emi_schedule("2026-12-07", Decimal("1000.00"), Decimal("0.00")) == []


def test_a_malformed_date_gives_no_schedule_rather_than_a_guess():
    assert emi_schedule("07/12/2026", Decimal("1000.00"), Decimal("5000.00")) == []
