"""The built-in rule-based risk scorer behind the workflow step type `ai_analysis` (when no LLM is configured).

It answers two questions from core-banking facts:

- `assess_transaction`: does this debit look like fraud (an account takeover, a scam payment)? The
  transaction-dispute workflow branches on `RiskAssessment.suspicious_pattern`: True means auto-block
  the card and raise a fraud alert.
- `assess_login_activity`: does recent sign-in activity look like someone other than the customer?
  The account-access ("can't log in") workflow uses it before offering a self-service unblock.

Why rules and not a model: the answer must be deterministic (same facts, same answer; no randomness,
no clock: `now` is a parameter), explainable to the customer, an ops reviewer and an auditor (every
point of the score is a `Reason` with a code, a weight and a plain-language detail), local (no network,
no model files) and cheap. The weights below are the whole policy; ops can read and tune them.

Scoring: the weights of the rules that fire are added and capped at 100. Levels: low < 40 <= medium
< 70 <= high. Weights are chosen so that one weak signal alone stays low (a first payment to a new shop
is normal), two independent signals reach medium, and an account-takeover picture (new device + failed
sign-ins + a new payee, or a scam narration) reaches high.

Inputs are data, never instructions: narrations and merchant names are only split into words and
compared with fixed keyword lists; nothing in them is interpreted, and reason details never quote them
(they contain counts, hours and amounts only), so a hostile narration cannot steer a prompt or a log.

Robustness: the functions are pure (no I/O) and never raise on odd input: empty histories and device
lists, naive datetimes (taken as UTC, as everywhere in CoreBanking), a missing merchant, a missing or
malformed amount or time (the rules that need it are skipped), records stamped after `now` (ignored:
they could not have been known at `now`). Work is bounded: text is cut to `MAX_TEXT` characters.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from types import MappingProxyType
from typing import Any, Literal

from bot.banking.core import Device, LoginAttempt, Transaction

Level = Literal["low", "medium", "high"]

# ----------------------------------------------------------------------------------------------
# The policy: weights (points added when a rule fires) and thresholds. Ops read and tune these.

TRANSACTION_WEIGHTS: Mapping[str, int] = MappingProxyType({
    # An untrusted device first seen shortly before the payment, and the app session in effect at the
    # time of the payment was on it: the classic SIM-swap / remote-access takeover. The strongest signal.
    "new_device_recent": 30,
    # The payee (merchant) never appears in the customer's earlier history: scams pay a fresh account.
    "new_payee": 25,
    # The narration or merchant carries a scam hook: UPI "collect", rewards/cashback/lottery/prize,
    # KYC update, a "helpdesk"/"customer care", an advance loan fee. Matched as keywords only.
    "narration_suspicious": 25,
    # Much larger than the customer's typical debit: > 3x the median of the last 60 days' debits (and at
    # least ₹2,000), or above ₹2,000 when there is too little history to know what is typical.
    "amount_outlier": 20,
    # Failed sign-ins (wrong MPIN/password/OTP, blocked) shortly before: someone guessing credentials.
    "failed_logins_before": 20,
    # The customer's first international debit: card data sold abroad is used there first.
    "first_international": 20,
    # Repeat debits to a payee that is new, or debits to several new payees, within minutes: scammers
    # pressure victims into paying again ("the first fee failed"), mule networks fan out.
    "rapid_succession": 15,
    # Between 00:00 and 05:00 IST, while the customer is likely asleep. Weak alone: night owls exist.
    "odd_hour": 10,
})

LOGIN_WEIGHTS: Mapping[str, int] = MappingProxyType({
    # A sign-in attempt from a device that is not trusted (untrusted, or not registered at all).
    "unknown_device": 35,
    # A sign-in from a location none of the customer's trusted devices or trusted sign-ins ever reported,
    # or an anonymised one ("Unknown", "VPN"): the customer is not where they usually are.
    "new_location": 25,
    # Many failed attempts (3 or more) in the window: guessing, or a customer locked out (a self-inflicted
    # lockout on the customer's own phone and town scores this alone and stays low, so it can self-serve).
    "failed_logins": 20,
    # A success from an untrusted device right after failures from that same device: guessed credentials.
    "success_after_failures": 20,
    # Attempts between 00:00 and 05:00 IST.
    "odd_hour": 10,
})

MEDIUM_FROM = 40  # low < 40 <= medium
HIGH_FROM = 70  # medium < 70 <= high
MAX_SCORE = 100

HISTORY_DAYS = 60  # the window for "the customer's typical debit"
AMOUNT_MULTIPLE = Decimal(3)  # outlier: more than this many times the median debit ...
AMOUNT_FLOOR = Decimal("2000.00")  # ... and above this floor (also the whole test when history is thin)
THIN_HISTORY = 5  # fewer earlier debits than this in the window: history is "thin"
NEW_DEVICE_WINDOW = timedelta(hours=48)  # "recent" for an untrusted device before a payment
FAILED_LOGIN_WINDOW = timedelta(hours=48)  # failed sign-ins this long before a payment count
FAILED_LOGINS_MIN = 2  # one typo is normal; two or more failures count
RAPID_WINDOW = timedelta(minutes=60)  # either side of the payment
RAPID_SAME_PAYEE_MIN = 2  # debits to this same new payee inside the window (this one included), or
RAPID_NEW_PAYEES_MIN = 3  # debits to any new payees (two new shops in an hour is ordinary shopping)
ODD_HOURS_IST = (0, 5)  # [start, end) local hours
LOGIN_WINDOW = timedelta(days=7)  # sign-in activity considered by assess_login_activity
LOGIN_FAILURES_MIN = 3
MAX_TEXT = 1000  # characters of a narration/merchant/location examined

# Channels whose payments are made from the banking app, so a phone or an app session matters: the
# device and failed-sign-in rules apply to them (and to any channel not listed in NON_APP_CHANNELS).
# Card swipes, ATM withdrawals, branch and mandate (ECS/NACH) debits are not authorised by the app.
APP_CHANNELS = frozenset({"UPI", "IMPS", "NEFT", "RTGS"})
NON_APP_CHANNELS = frozenset({"CARD", "ATM", "BRANCH", "ECS"})
# Mandate debits run in the bank's batch at whatever hour it runs; the customer acted earlier.
SCHEDULED_CHANNELS = frozenset({"ECS"})

IST = timezone(timedelta(hours=5, minutes=30), "IST")

# Keywords are lowercase word sequences compared with the narration's/merchant's words.
SUSPICIOUS_NARRATION_KEYWORDS: tuple[tuple[str, ...], ...] = tuple(tuple(k.split()) for k in (
    "collect", "collect request",  # UPI collect: the payer approves a pull ("approve to receive money")
    "reward", "rewards", "cashback", "prize", "lottery", "lucky draw", "jackpot", "winner", "kbc",
    "kyc", "ekyc", "rekyc",  # "update your KYC or your account will be blocked"
    "helpdesk", "help desk", "customer care", "customer support",  # fake helplines
    "processing fee", "loan fee", "advance fee",  # advance-fee loan scams
))
INTERNATIONAL_KEYWORDS: tuple[tuple[str, ...], ...] = tuple(tuple(k.split()) for k in (
    "intl", "international", "forex", "overseas", "cross border", "crossborder",
    "usd", "eur", "gbp", "aed", "sgd", "aud", "cad", "jpy", "chf",
))
_ANONYMOUS_LOCATION_WORDS = frozenset({"unknown", "vpn", "proxy", "tor"})

_WORD = re.compile(r"[^\W_]+")
_LATEST = datetime.max.replace(tzinfo=UTC)
_EARLIEST = datetime.min.replace(tzinfo=UTC)
_MAX_AMOUNT_DIGITS = 15  # ₹10^15 and above is not a payment
_MAX_KEYWORD_WORDS = 3


@dataclass(frozen=True)
class Reason:
    """One rule that fired: a stable `code`, the points it added and a plain-language `detail`
    (counts, hours and amounts only; never text copied from the bank's records)."""

    code: str
    weight: int
    detail: str


@dataclass(frozen=True)
class RiskAssessment:
    score: int  # 0..100
    level: Level
    reasons: tuple[Reason, ...]  # in the order of the weights table
    suspicious_pattern: bool  # the dispute workflow auto-blocks the card and raises a fraud alert on True

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(r.code for r in self.reasons)

    def as_dict(self) -> dict[str, Any]:
        """Plain data for workflow state, audit records and an LLM prompt (no raw bank text in it)."""
        return {
            "score": self.score,
            "level": self.level,
            "suspicious_pattern": self.suspicious_pattern,
            "reasons": [{"code": r.code, "weight": r.weight, "detail": r.detail} for r in self.reasons],
        }


def level_for(score: int) -> Level:
    if score >= HIGH_FROM:
        return "high"
    if score >= MEDIUM_FROM:
        return "medium"
    return "low"


# ----------------------------------------------------------------------------------------------
# Transactions


def assess_transaction(
    txn: Transaction,
    *,
    history: Sequence[Transaction],
    devices: Sequence[Device],
    logins: Sequence[LoginAttempt],
    now: datetime,
) -> RiskAssessment:
    """Score one transaction against the customer's own history, devices and sign-ins.

    `history` is the account's transactions (any order; it may include `txn` itself and later ones,
    which are used only by the rapid-succession rule). Pass `now` explicitly: nothing here reads a clock.
    """
    cutoff = _aware(now) or _LATEST
    this = _txn(txn)
    ref = this.at or cutoff  # without a time of its own, the transaction is judged as of `now`
    others = [t for t in (_txn(h) for h in _iter(history) if h is not txn)
              if not (this.txn_id and t.txn_id == this.txn_id) and t.at is not None and t.at <= cutoff]
    earlier = [t for t in others if t.at < ref]
    devs = [_device(d) for d in _iter(devices)]
    signins = [g for g in (_login(x) for x in _iter(logins)) if g.at is not None and g.at <= cutoff]

    fired: dict[str, str] = {}
    debit = this.direction == "debit"
    app = this.channel not in NON_APP_CHANNELS

    if app:
        if detail := _new_device_recent(ref, devs, signins):
            fired["new_device_recent"] = detail
        failures = [g for g in signins if not g.success and _shift(ref, -FAILED_LOGIN_WINDOW) <= g.at <= ref]
        if len(failures) >= FAILED_LOGINS_MIN:
            hours = _hours(ref - min(g.at for g in failures))
            fired["failed_logins_before"] = f"{len(failures)} failed sign-in attempts, the earliest {hours} h before"

    if debit:
        known = {t.payee for t in earlier if t.status != "failed" and t.payee is not None}
        if this.payee is None:
            fired["new_payee"] = "the payee could not be identified from the transaction"
        elif this.payee not in known:
            fired["new_payee"] = "first payment to this payee in the available history"

        if this.amount is not None and (detail := _amount_outlier(this.amount, ref, earlier)):
            fired["amount_outlier"] = detail

        if this.international and not any(t.international and t.direction == "debit" and t.status != "failed"
                                          for t in earlier):
            fired["first_international"] = "the customer's first international debit in the available history"

        if this.at is not None and (detail := _rapid_succession(this, others)):
            fired["rapid_succession"] = detail

    if this.at is not None and this.channel not in SCHEDULED_CHANNELS and _odd_hour(this.at):
        fired["odd_hour"] = f"made at {this.at.astimezone(IST):%H:%M} IST (between 00:00 and 05:00)"

    if this.suspicious_words:
        fired["narration_suspicious"] = "the narration or payee name contains a known scam keyword"

    reasons = _reasons(TRANSACTION_WEIGHTS, fired)
    score = _score(reasons)
    level = level_for(score)
    takeover = "new_device_recent" in fired and "new_payee" in fired
    return RiskAssessment(score, level, reasons, level == "high" or takeover)


def _new_device_recent(ref: datetime, devices: list[_Dev], signins: list[_Login]) -> str | None:
    """An untrusted device first seen within NEW_DEVICE_WINDOW before `ref`, and the last successful
    sign-in before `ref` (the session the payment was probably made in) was on it, or on a device the
    bank never registered. With no sign-in records, a recent untrusted device is enough (the session is
    unknown). Once the customer's trusted phone has signed in again, their later payments are theirs."""
    recent = {d.device_id: d for d in devices
              if not d.trusted and d.first_seen is not None and _shift(ref, -NEW_DEVICE_WINDOW) <= d.first_seen <= ref}
    registered = {d.device_id for d in devices}
    before = [g for g in signins if g.success and g.at <= ref]
    # Sign-ins at the same instant: the stranger's counts (deterministic whatever the input order).
    session = max(before, key=lambda g: (g.at, g.device_id in recent or g.device_id not in registered,
                                         g.device_id), default=None)
    if session is None:
        if not recent:
            return None
        first = min(d.first_seen for d in recent.values())
        return f"an untrusted device was first seen {_hours(ref - first)} h before"
    if session.device_id in recent:
        first = recent[session.device_id].first_seen
        return (f"an untrusted device first seen {_hours(ref - first)} h before was the last to sign in "
                "before this transaction")
    if session.device_id not in registered and ref - session.at <= NEW_DEVICE_WINDOW:
        return "the last sign-in before this transaction came from an unregistered device"
    return None


def _amount_outlier(amount: Decimal, ref: datetime, earlier: list[_Txn]) -> str | None:
    start = _shift(ref, -timedelta(days=HISTORY_DAYS))
    debits = [t.amount for t in earlier
              if t.direction == "debit" and t.status == "posted" and t.amount is not None and t.at >= start]
    if len(debits) < THIN_HISTORY:
        if amount > AMOUNT_FLOOR:
            return f"₹{amount:.2f} with too little history to know a typical debit (above ₹{AMOUNT_FLOOR:.0f})"
        return None
    median = statistics.median(debits)
    if amount > max(AMOUNT_MULTIPLE * median, AMOUNT_FLOOR):
        times = f"{amount / median:.1f}x" if median > 0 else "far above"
        return f"₹{amount:.2f} is {times} the median debit of ₹{median:.2f} over {HISTORY_DAYS} days"
    return None


def _rapid_succession(this: _Txn, others: list[_Txn]) -> str | None:
    """Debits (any status: an attempt is an attempt) within RAPID_WINDOW either side of `this` to payees
    that were new at the start of that window, `this` being one of them."""
    assert this.at is not None
    start, end = _shift(this.at, -RAPID_WINDOW), _shift(this.at, RAPID_WINDOW)
    known = {t.payee for t in others if t.at < start and t.status != "failed" and t.payee is not None}
    if this.payee in known:
        return None
    burst = [t for t in others if t.direction == "debit" and start <= t.at <= end and t.payee not in known]
    same = 1 + sum(1 for t in burst if this.payee is not None and t.payee == this.payee)
    minutes = _minutes(RAPID_WINDOW)
    if same >= RAPID_SAME_PAYEE_MIN:
        return f"{same} debits to this new payee within {minutes} minutes"
    if 1 + len(burst) >= RAPID_NEW_PAYEES_MIN:
        return f"{1 + len(burst)} debits to new payees within {minutes} minutes"
    return None


# ----------------------------------------------------------------------------------------------
# Sign-in activity


def assess_login_activity(
    logins: Sequence[LoginAttempt], devices: Sequence[Device], now: datetime
) -> RiskAssessment:
    """Score the sign-in attempts of the last LOGIN_WINDOW before `now` (for the account-access workflow).
    `suspicious_pattern`: high, or an untrusted device that also signed in from a new place or after failures."""
    cutoff = _aware(now) or _LATEST
    devs = {d.device_id: d for d in (_device(x) for x in _iter(devices))}
    trusted = {i for i, d in devs.items() if d.trusted}
    all_signins = [g for g in (_login(x) for x in _iter(logins)) if g.at is not None and g.at <= cutoff]
    start = _shift(cutoff, -LOGIN_WINDOW)
    window = sorted((g for g in all_signins if g.at >= start), key=lambda g: (g.at, g.success))

    fired: dict[str, str] = {}
    strangers = [g for g in window if g.device_id not in trusted]
    if strangers:
        kinds = {"not registered" if g.device_id not in devs else "untrusted" for g in strangers}
        fired["unknown_device"] = (f"{len(strangers)} sign-in attempts from {' and '.join(sorted(kinds))} "
                                   f"devices in the last {LOGIN_WINDOW.days} days")

    known_places = {d.location for d in devs.values() if d.trusted and d.location}
    known_places |= {g.location for g in all_signins if g.success and g.device_id in trusted and g.location}
    new_places = [g for g in window if g.location and (g.location not in known_places or g.anonymous_location)]
    if new_places:
        fired["new_location"] = (f"{len(new_places)} sign-in attempts from a location the customer's trusted "
                                 "devices never reported")

    failures = [g for g in window if not g.success]
    if len(failures) >= LOGIN_FAILURES_MIN:
        fired["failed_logins"] = f"{len(failures)} failed sign-in attempts in the last {LOGIN_WINDOW.days} days"

    failed_devices: set[str] = set()
    for g in window:  # oldest first
        if not g.success:
            failed_devices.add(g.device_id)
        elif g.device_id not in trusted and g.device_id in failed_devices:
            fired["success_after_failures"] = "an untrusted device signed in after failed attempts from it"
            break

    odd = [g for g in window if _odd_hour(g.at)]
    if odd:
        fired["odd_hour"] = f"{len(odd)} sign-in attempts between 00:00 and 05:00 IST"

    reasons = _reasons(LOGIN_WEIGHTS, fired)
    score = _score(reasons)
    level = level_for(score)
    takeover = "unknown_device" in fired and ("new_location" in fired or "success_after_failures" in fired)
    return RiskAssessment(score, level, reasons, level == "high" or takeover)


# ----------------------------------------------------------------------------------------------
# Normalising odd input: every field read once, defensively, into a small private record.


@dataclass(frozen=True)
class _Txn:
    txn_id: str
    at: datetime | None
    amount: Decimal | None
    direction: str
    channel: str
    status: str
    payee: str | None
    suspicious_words: bool
    international: bool


@dataclass(frozen=True)
class _Dev:
    device_id: str
    trusted: bool
    first_seen: datetime | None
    location: str


@dataclass(frozen=True)
class _Login:
    at: datetime | None
    device_id: str
    success: bool
    location: str
    anonymous_location: bool


def _txn(t: Any) -> _Txn:
    narration, merchant = _text(getattr(t, "narration", "")), _text(getattr(t, "merchant", ""))
    words = _words(narration) + ["/"] + _words(merchant)  # "/" keeps phrases from spanning the two
    return _Txn(
        txn_id=_text(getattr(t, "txn_id", "")),
        at=_aware(getattr(t, "posted_at", None)),
        amount=_decimal(getattr(t, "amount", None)),
        direction=_text(getattr(t, "direction", "")).strip().casefold(),
        channel=_text(getattr(t, "channel", "")).strip().upper(),
        status=_text(getattr(t, "status", "")).strip().casefold(),
        payee=_payee(merchant, narration),
        suspicious_words=_contains(words, SUSPICIOUS_NARRATION_KEYWORDS),
        international=_contains(words, INTERNATIONAL_KEYWORDS),
    )


def _device(d: Any) -> _Dev:
    return _Dev(_text(getattr(d, "device_id", "")), getattr(d, "trusted", False) is True,
                _aware(getattr(d, "first_seen", None)), _place(getattr(d, "last_location", "")))


def _login(g: Any) -> _Login:
    location = _place(getattr(g, "location", ""))
    return _Login(_aware(getattr(g, "at", None)), _text(getattr(g, "device_id", "")),
                  getattr(g, "success", False) is True, location,
                  bool(_ANONYMOUS_LOCATION_WORDS.intersection(location.split())))


def _payee(merchant: str, narration: str) -> str | None:
    """The merchant name, normalised; without one, the counterparty field of a UPI/IMPS/NEFT/RTGS
    narration (`UPI/DR/<ref>/<NAME>/...`). None when neither identifies anyone."""
    if name := " ".join(_words(merchant)):
        return name
    parts = narration.split("/")
    if len(parts) >= 4 and parts[0].strip().upper() in APP_CHANNELS:
        return " ".join(_words(parts[3])) or None
    return None


def _iter(items: Any) -> Iterable[Any]:
    if items is None or isinstance(items, str | bytes):
        return ()
    try:
        return list(items)
    except TypeError:
        return ()


def _text(value: Any) -> str:
    return value[:MAX_TEXT] if isinstance(value, str) else ""


def _words(text: str) -> list[str]:
    return _WORD.findall(text.casefold())


def _place(value: Any) -> str:
    return " ".join(_words(_text(value)))


def _contains(words: list[str], keywords: tuple[tuple[str, ...], ...]) -> bool:
    phrases = {tuple(words[i:i + n]) for n in range(1, _MAX_KEYWORD_WORDS + 1) for i in range(len(words) - n + 1)}
    return any(k in phrases for k in keywords)


def _aware(value: Any) -> datetime | None:
    """UTC-aware datetime, naive taken as UTC; anything else None."""
    if not isinstance(value, datetime):
        return None
    if value.tzinfo is None or value.utcoffset() is None:
        return value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except (OverflowError, ValueError):
        return None


def _decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    try:
        if isinstance(value, Decimal):
            amount = value
        elif isinstance(value, int | str):
            amount = Decimal(value)
        elif isinstance(value, float):
            amount = Decimal(repr(value))
        else:
            return None
    except (InvalidOperation, ValueError):
        return None
    if not amount.is_finite() or (amount and amount.adjusted() > _MAX_AMOUNT_DIGITS):
        return None  # no real payment is that large: a malformed amount
    return abs(amount)


def _odd_hour(at: datetime) -> bool:
    start, end = ODD_HOURS_IST
    try:
        return start <= at.astimezone(IST).hour < end
    except (OverflowError, ValueError):
        return False


def _shift(at: datetime, delta: timedelta) -> datetime:
    """`at + delta`, clamped to the representable range instead of raising OverflowError."""
    try:
        return at + delta
    except OverflowError:
        return _LATEST if delta > timedelta(0) else _EARLIEST


def _hours(delta: timedelta) -> int:
    return max(0, round(delta.total_seconds() / 3600))


def _minutes(delta: timedelta) -> int:
    return round(delta.total_seconds() / 60)


def _reasons(weights: Mapping[str, int], fired: Mapping[str, str]) -> tuple[Reason, ...]:
    return tuple(Reason(code, weight, fired[code]) for code, weight in weights.items() if code in fired)


def _score(reasons: tuple[Reason, ...]) -> int:
    return min(MAX_SCORE, sum(r.weight for r in reasons))
