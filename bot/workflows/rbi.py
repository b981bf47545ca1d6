"""RBI's customer-protection rules for the transaction-dispute workflow, as pure functions.

The workflow engine calls these and quotes the results to the customer, so every result is a frozen
dataclass with an `as_dict()` of plain values (Decimal stays Decimal, dates are `datetime.date`).
Nothing here does I/O or reads a clock: "today" is always a parameter. All dates are calendar dates
as the customer reads them, in IST; the caller converts (a fraud report's acknowledgement timestamp,
written before the reply, is what starts the clocks: see DESIGN.md).

Sources (the figures below are the whole policy; ops read it here):

1. RBI circular DBR.No.Leg.BC.78/09.07.005/2017-18, 6 July 2017, "Customer Protection - Limiting
   Liability of Customers in Unauthorised Electronic Banking Transactions".
   - Working days are counted "as per the working schedule of the home branch of the customer
     excluding the date of receiving the communication" from the bank. Here a day is not a working
     day if it is a Sunday, the 2nd or 4th Saturday of its month, or one of the `holidays` passed in
     (the home branch's holiday list; bank holidays differ by state, so the caller supplies them).
   - Third-party breach (the deficiency is neither the bank's nor the customer's): reported within
     3 working days of the bank's communication -> zero liability; within 4 to 7 working days ->
     liability per transaction is the lower of the transaction value and the Table 1 cap for the
     account (`CAPS`); beyond 7 working days -> as per the bank's board-approved policy (nothing is
     computed here). The bank's own fault means zero liability whenever reported, and the customer's
     negligence means the customer bears the loss until reporting; neither case is decided here.
   - We take the transaction date as the date of "the bank's communication": the bank's SMS/email
     alert for an electronic debit goes out the same day. If the alert went out later (a failed SMS,
     no registered mobile), pass that date as `transaction_on` instead.
   - The bank credits the disputed amount (a "shadow reversal", pending investigation) within 10
     working days of the customer's notification, in the cases eligible for zero or limited
     liability; the complaint is resolved and any liability established within 90 days of receipt.
2. RBI circular RBI/2019-20/67 DPSS.CO.PD No.629/02.01.014/2019-20, 20 September 2019,
   "Harmonisation of Turn Around Time (TAT) and customer compensation for failed transactions using
   authorised Payment Systems": an IMPS or UPI fund transfer debited from the customer but not credited
   to the beneficiary is reversed by T + 1 day, else ₹100 is paid to the customer per day of delay
   beyond T + 1. The Annex's note defines T as "the day of transaction" and says it "refers to the
   calendar date", so T + 1 here is the next calendar day (a Sunday or holiday included), not the
   next working day. Other failures have other TATs (e.g. ATM cash not dispensed, card payments at a
   shop or online, UPI payments *to a merchant*: T + 5; NEFT/RTGS are governed elsewhere) and are not
   handled here: `failed_transfer` refuses them rather than quote the wrong deadline.

Errors: a wrong type (a float amount, a datetime where a date belongs, a holiday given as text)
raises TypeError; a wrong value (an unknown account kind, a negative amount, a report dated before
the transaction) raises ValueError naming what is wrong. Nothing is swallowed into None.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from types import MappingProxyType
from typing import Any, Literal

__all__ = [
    "ACCOUNT_KINDS",
    "CAPS",
    "COMPENSATION_PER_DAY",
    "CREDIT_CARD_LIMIT_THRESHOLD",
    "FAILED_TRANSFER_TAT_DAYS",
    "LIABILITY_WINDOWS",
    "MAX_HOLIDAYS",
    "MAX_WORKING_DAYS",
    "RESOLUTION_CALENDAR_DAYS",
    "SHADOW_CREDIT_WORKING_DAYS",
    "DisputeTimeline",
    "FailedTransfer",
    "Liability",
    "add_working_days",
    "customer_liability",
    "dispute_timeline",
    "failed_transfer",
    "is_working_day",
    "working_days_between",
]

# ----------------------------------------------------------------------------------------------
# The policy. Figures from the circulars above; change them only when RBI does.

# (last working day of zero liability, last working day of limited liability), counted after the
# bank's communication. Beyond the second figure, the bank's board-approved policy decides.
LIABILITY_WINDOWS: tuple[int, int] = (3, 7)

# Table 1 of the 2017 circular: the most a customer can be made to bear per transaction when a
# third-party breach is reported in the limited-liability window. Keys are the categories of the table.
CAPS: Mapping[str, Decimal] = MappingProxyType({
    # Basic savings bank deposit accounts.
    "bsbd": Decimal("5000.00"),
    # All other savings bank accounts (the demo bank's savings, salary and NRE savings accounts).
    "savings": Decimal("10000.00"),
    # Pre-paid payment instruments and gift cards.
    "prepaid": Decimal("10000.00"),
    # Current / cash credit / overdraft accounts of MSMEs, and of individuals whose annual average
    # balance (over the 365 days before the fraud) or limit is up to ₹25 lakh.
    "current_individual_or_msme": Decimal("10000.00"),
    # All other current / cash credit / overdraft accounts.
    "current": Decimal("25000.00"),
    # Credit cards with a limit up to ₹5 lakh, and above it.
    "credit_card_up_to_5_lakh": Decimal("10000.00"),
    "credit_card_above_5_lakh": Decimal("25000.00"),
})  # fmt: skip
CREDIT_CARD_LIMIT_THRESHOLD = Decimal("500000.00")  # ₹5 lakh: "up to" includes the figure itself

SHADOW_CREDIT_WORKING_DAYS = 10  # the disputed amount is credited within this many working days
RESOLUTION_CALENDAR_DAYS = 90  # the complaint is resolved within this many days of receipt

# The 2019 TAT circular: calendar days after T by which a failed transfer must be reversed.
FAILED_TRANSFER_TAT_DAYS: Mapping[str, int] = MappingProxyType({"UPI": 1, "IMPS": 1})
COMPENSATION_PER_DAY = Decimal("100.00")  # per day of delay beyond the TAT, credited to the customer

# Account kinds `customer_liability` accepts -> the CAPS category they fall in (current accounts and
# credit cards depend on more than the kind, so they are decided in `_cap_for`).
_CATEGORY_OF_KIND: Mapping[str, str] = MappingProxyType({
    "savings": "savings",
    "salary": "savings",  # a salary account is a savings bank account
    "nre": "savings",  # the demo bank's NRE accounts are NRE savings accounts
    "bsbd": "bsbd",
    "prepaid": "prepaid",
    "current": "current",
    "credit_card": "credit_card",
})  # fmt: skip
ACCOUNT_KINDS: frozenset[str] = frozenset(_CATEGORY_OF_KIND)

# Bounds: a loop or a set built from caller data never grows without limit.
MAX_WORKING_DAYS = 3660  # add_working_days looks at most ten years of working days ahead
MAX_HOLIDAYS = 10_000  # decades of holidays for a branch; more is a caller bug

_PAISE = Decimal("0.01")

LiabilityKind = Literal["zero", "limited", "board_policy"]


# ----------------------------------------------------------------------------------------------
# Results


@dataclass(frozen=True)
class Liability:
    """The customer's liability for one unauthorised electronic transaction (third-party breach).

    `cap` is the Table 1 cap for the account when the Table applies (kind "zero" or "limited"), and
    None when the board-approved policy decides (the Table does not bound it then). `max_liability`
    is 0 for "zero", the lower of the amount and the cap for "limited", None for "board_policy".
    """

    kind: LiabilityKind
    working_days: int  # working days after the bank's communication, up to and including the report
    cap: Decimal | None
    max_liability: Decimal | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "working_days": self.working_days,
            "cap": self.cap,
            "max_liability": self.max_liability,
        }


@dataclass(frozen=True)
class DisputeTimeline:
    """What the bank owes the customer, by when, once an unauthorised transaction is reported."""

    reported_on: date
    shadow_credit_by: date  # credit of the disputed amount pending investigation (zero/limited cases)
    resolve_by: date  # complaint resolved, liability (if any) established

    def as_dict(self) -> dict[str, Any]:
        return {
            "reported_on": self.reported_on,
            "shadow_credit_by": self.shadow_credit_by,
            "resolve_by": self.resolve_by,
        }


@dataclass(frozen=True)
class FailedTransfer:
    """A UPI/IMPS transfer debited but not credited to the beneficiary: reversal deadline and compensation.

    `days_late` counts the days after `reverse_by` up to the reversal, or up to today while it is still
    pending (so it grows each day until reversed). `within_tat` is True when the reversal was made by
    `reverse_by`, or is still pending and `reverse_by` has not passed yet.
    """

    channel: str  # "UPI" | "IMPS", spelled as in bot.banking.core.Transaction.channel
    reverse_by: date
    reversed_on: date | None  # None: not reversed yet
    days_late: int
    compensation_per_day: Decimal
    compensation_due: Decimal
    within_tat: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "channel": self.channel,
            "reverse_by": self.reverse_by,
            "reversed_on": self.reversed_on,
            "days_late": self.days_late,
            "compensation_per_day": self.compensation_per_day,
            "compensation_due": self.compensation_due,
            "within_tat": self.within_tat,
        }


# ----------------------------------------------------------------------------------------------
# Working days


def is_working_day(day: date, holidays: Iterable[date] = ()) -> bool:
    """False on Sundays, the 2nd and 4th Saturdays of the month, and the given holidays."""
    _check_date(day, "day")
    return _is_weekly_working_day(day) and day not in _holiday_set(holidays)


def working_days_between(start: date, end: date, holidays: Iterable[date] = ()) -> int:
    """Working days after `start`, up to and including `end`; 0 if `end` is not after `start`.

    This is RBI's count "excluding the date of receiving the communication": a transaction alerted on
    Monday and reported on Thursday of an ordinary week is 3 working days late.
    """
    _check_date(start, "start")
    _check_date(end, "end")
    off = _holiday_set(holidays)
    if end <= start:
        return 0
    # O(1) arithmetic rather than a walk over the days, so any span is cheap and needs no bound.
    weekly = _weekly_working_days_through(end) - _weekly_working_days_through(start)
    holidays_in_span = sum(1 for h in off if start < h <= end and _is_weekly_working_day(h))
    return weekly - holidays_in_span


def add_working_days(start: date, n: int, holidays: Iterable[date] = ()) -> date:
    """The `n`th working day after `start` (`start` itself for n = 0), 0 <= n <= MAX_WORKING_DAYS.

    Always `working_days_between(start, add_working_days(start, n)) == n`.
    """
    _check_date(start, "start")
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"n must be an int, not {type(n).__name__}")
    if not 0 <= n <= MAX_WORKING_DAYS:
        raise ValueError(f"n must be between 0 and {MAX_WORKING_DAYS} working days, got {n}")
    off = _holiday_set(holidays)
    # Every 7 consecutive days hold at least 5 weekly working days (Monday to Friday), so n working
    # days are found within 2n + 7 days plus one day per holiday.
    budget = 2 * n + 7 + len(off)
    day, found = start, 0
    for _ in range(budget):
        if found == n:
            break
        try:
            day += timedelta(days=1)
        except OverflowError:
            raise ValueError(f"{n} working days after {start.isoformat()} is beyond the calendar") from None
        if _is_weekly_working_day(day) and day not in off:
            found += 1
    if found != n:  # unreachable by the arithmetic above; a loud failure beats a wrong date
        raise AssertionError(f"add_working_days did not find {n} working days after {start}")
    return day


def _is_weekly_working_day(day: date) -> bool:
    # Sunday, or the 2nd (day 8-14) / 4th (day 22-28) Saturday of the month: the bank is closed.
    weekday = day.weekday()
    if weekday == 6:
        return False
    return not (weekday == 5 and (day.day - 1) // 7 in (1, 3))


def _weekly_working_days_through(day: date) -> int:
    # Days from 0001-01-01 (a Monday, ordinal 1) through `day` that are neither Sundays nor 2nd/4th
    # Saturdays. Ordinal k is a Sunday exactly when k % 7 == 0. Every month has exactly one 2nd and
    # one 4th Saturday, so each whole month before `day`'s own contributes 2.
    ordinal = day.toordinal()
    non_sundays = ordinal - ordinal // 7
    whole_months_before = (day.year - 1) * 12 + (day.month - 1)
    first_saturday = 1 + (5 - day.replace(day=1).weekday()) % 7
    this_month = (first_saturday + 7 <= day.day) + (first_saturday + 21 <= day.day)
    return non_sundays - 2 * whole_months_before - this_month


def _holiday_set(holidays: Iterable[date]) -> frozenset[date]:
    if isinstance(holidays, (str, bytes, Mapping)) or not isinstance(holidays, Iterable):
        raise TypeError(f"holidays must be a collection of dates, not {type(holidays).__name__}")
    off: set[date] = set()
    for count, holiday in enumerate(holidays, start=1):
        if count > MAX_HOLIDAYS:
            raise ValueError(f"too many holidays (more than {MAX_HOLIDAYS})")
        # A holiday given as text or a datetime would never match a date: reject it instead of
        # quietly counting the holiday as a working day.
        _check_date(holiday, "each holiday")
        off.add(holiday)
    return frozenset(off)


def _check_date(value: Any, name: str) -> None:
    # datetime is a subclass of date; a datetime here means the caller skipped the IST conversion.
    if isinstance(value, datetime) or not isinstance(value, date):
        raise TypeError(f"{name} must be a datetime.date (a calendar day in IST), not {type(value).__name__}")


# ----------------------------------------------------------------------------------------------
# Customer liability (2017 circular)


def customer_liability(
    *,
    account_kind: str,
    amount: Decimal,
    transaction_on: date,
    reported_on: date,
    holidays: Iterable[date] = (),
    credit_limit: Decimal | None = None,
    individual_or_msme: bool = False,
) -> Liability:
    """The customer's liability for an unauthorised electronic transaction caused by a third-party breach.

    `account_kind` is one of ACCOUNT_KINDS: "savings", "salary", "nre" (savings bank accounts, cap
    ₹10,000), "bsbd" (₹5,000), "prepaid" (₹10,000), "current" or "credit_card".
    - "current": ₹25,000 by default. Pass `individual_or_msme=True` for an MSME's account, or an
      individual's whose annual average balance over the 365 days before the fraud (or limit) is up
      to ₹25 lakh: those are capped at ₹10,000. The bank's records decide; this flag is ignored for
      other kinds (their cap does not depend on the holder).
    - "credit_card": `credit_limit` is required (₹10,000 up to a ₹5 lakh limit, ₹25,000 above);
      it is refused for every other kind, where it has no meaning.
    `amount` is the transaction value in rupees (Decimal or int, at most 2 decimal places, >= 0).
    `transaction_on` stands for the date of the bank's communication (the alert goes out the same day).
    """
    if not isinstance(account_kind, str):
        raise TypeError(f"account_kind must be text, not {type(account_kind).__name__}")
    if account_kind not in _CATEGORY_OF_KIND:
        known = ", ".join(sorted(ACCOUNT_KINDS))
        raise ValueError(f"unknown account kind {account_kind!r}; known kinds: {known}")
    if not isinstance(individual_or_msme, bool):
        raise TypeError(f"individual_or_msme must be True or False, not {type(individual_or_msme).__name__}")
    value = _rupees(amount, "amount")
    cap = _cap_for(account_kind, credit_limit, individual_or_msme)
    _check_date(transaction_on, "transaction_on")
    _check_date(reported_on, "reported_on")
    if reported_on < transaction_on:
        raise ValueError(
            f"reported_on ({reported_on.isoformat()}) is before transaction_on ({transaction_on.isoformat()})"
        )

    days = working_days_between(transaction_on, reported_on, holidays)
    zero_until, limited_until = LIABILITY_WINDOWS
    if days <= zero_until:
        return Liability(kind="zero", working_days=days, cap=cap, max_liability=Decimal("0.00"))
    if days <= limited_until:
        return Liability(kind="limited", working_days=days, cap=cap, max_liability=min(value, cap))
    return Liability(kind="board_policy", working_days=days, cap=None, max_liability=None)


def _cap_for(account_kind: str, credit_limit: Decimal | None, individual_or_msme: bool) -> Decimal:
    category = _CATEGORY_OF_KIND[account_kind]
    if category == "credit_card":
        if credit_limit is None:
            raise ValueError("credit_limit is required for a credit card: the cap depends on it (₹5 lakh)")
        limit = _rupees(credit_limit, "credit_limit")
        category = "credit_card_up_to_5_lakh" if limit <= CREDIT_CARD_LIMIT_THRESHOLD else "credit_card_above_5_lakh"
    elif credit_limit is not None:
        raise ValueError(f"credit_limit applies only to credit cards, not to a {account_kind!r} account")
    elif category == "current" and individual_or_msme:
        category = "current_individual_or_msme"
    return CAPS[category]


def _rupees(value: Any, name: str) -> Decimal:
    # Money is Decimal (an int is exact too); a float has already lost paise to binary rounding.
    if isinstance(value, bool) or not isinstance(value, (Decimal, int)):
        raise TypeError(f"{name} must be a Decimal amount in rupees, not {type(value).__name__}")
    amount = Decimal(value)
    if not amount.is_finite():
        raise ValueError(f"{name} must be a finite amount")
    if amount < 0:
        raise ValueError(f"{name} must not be negative")
    if amount != amount.quantize(_PAISE):
        raise ValueError(f"{name} has more than 2 decimal places (paise)")
    return amount.quantize(_PAISE)


# ----------------------------------------------------------------------------------------------
# Dispute timeline (2017 circular)


def dispute_timeline(reported_on: date, holidays: Iterable[date] = ()) -> DisputeTimeline:
    """Deadlines that start when the customer reports: shadow credit within 10 working days (for cases
    eligible for zero or limited liability), resolution within 90 calendar days."""
    _check_date(reported_on, "reported_on")
    try:
        resolve_by = reported_on + timedelta(days=RESOLUTION_CALENDAR_DAYS)
    except OverflowError:
        raise ValueError(f"reported_on {reported_on.isoformat()} is too close to the end of the calendar") from None
    return DisputeTimeline(
        reported_on=reported_on,
        shadow_credit_by=add_working_days(reported_on, SHADOW_CREDIT_WORKING_DAYS, holidays),
        resolve_by=resolve_by,
    )


# ----------------------------------------------------------------------------------------------
# Failed transfers (2019 TAT circular)


def failed_transfer(
    *,
    channel: str,
    transaction_on: date,
    today: date,
    reversed_on: date | None = None,
) -> FailedTransfer:
    """Reversal deadline and compensation for a UPI or IMPS fund transfer that debited the customer but
    never reached the beneficiary.

    `channel` is "UPI" or "IMPS" (any letter case). Only person-to-person fund transfers: a UPI payment
    to a merchant has a T + 5 TAT and must not be passed here. `reversed_on` is the day the money came
    back, or None while it has not; it may not be after `today`.
    """
    if not isinstance(channel, str):
        raise TypeError(f"channel must be text, not {type(channel).__name__}")
    canonical = channel.strip().upper()
    if canonical not in FAILED_TRANSFER_TAT_DAYS:
        raise ValueError(
            f"channel {channel!r} is not covered: only failed UPI and IMPS fund transfers (reversal by T + 1) "
            "are; ATM, card and UPI-merchant failures (T + 5) and NEFT/RTGS have other turnaround times"
        )
    _check_date(transaction_on, "transaction_on")
    _check_date(today, "today")
    if today < transaction_on:
        raise ValueError(f"today ({today.isoformat()}) is before transaction_on ({transaction_on.isoformat()})")
    if reversed_on is not None:
        _check_date(reversed_on, "reversed_on")
        if reversed_on < transaction_on:
            raise ValueError(
                f"reversed_on ({reversed_on.isoformat()}) is before transaction_on ({transaction_on.isoformat()})"
            )
        if reversed_on > today:
            raise ValueError(f"reversed_on ({reversed_on.isoformat()}) is after today ({today.isoformat()})")

    try:
        reverse_by = transaction_on + timedelta(days=FAILED_TRANSFER_TAT_DAYS[canonical])
    except OverflowError:
        raise ValueError(f"transaction_on {transaction_on.isoformat()} is at the end of the calendar") from None
    settled_or_now = reversed_on if reversed_on is not None else today
    days_late = max(0, (settled_or_now - reverse_by).days)
    return FailedTransfer(
        channel=canonical,
        reverse_by=reverse_by,
        reversed_on=reversed_on,
        days_late=days_late,
        compensation_per_day=COMPENSATION_PER_DAY,
        compensation_due=COMPENSATION_PER_DAY * days_late,
        within_tat=days_late == 0,
    )
