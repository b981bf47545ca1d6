"""The built-in rule-based risk scorer: on the real demo bank (Rajesh's unrecognised ₹5,000 payment,
Meera's QuickLoan "fee"), and on synthetic edge cases (thin history, naive times, IST hour boundaries,
bursts of payments, odd input)."""

from __future__ import annotations

import json
import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from bot.banking.core import Device, LoginAttempt, Transaction
from bot.banking.demo import DemoBank
from bot.banking.demo_seed import DEMO_CUSTOMER_ID, UNRECOGNISED_UPI_REFERENCE
from bot.workflows.risk import (
    HIGH_FROM,
    IST,
    LOGIN_WEIGHTS,
    MEDIUM_FROM,
    TRANSACTION_WEIGHTS,
    Reason,
    RiskAssessment,
    assess_login_activity,
    assess_transaction,
    level_for,
)

FIXED_NOW = datetime(2025, 1, 15, 10, 30, tzinfo=UTC)
RAJESH = DEMO_CUSTOMER_ID
MEERA = "CUST_100110"
KARTHIK = "CUST_100102"  # locked himself out with wrong MPINs on his own phone
PRIYA = "CUST_100101"  # nothing unusual
QUICKLOAN_REFERENCES = {"437120094512", "437120094987"}  # the posted "fee" and its failed retry


@pytest.fixture
async def bank(tmp_path):
    b = await DemoBank.open(tmp_path / "bank.sqlite", now=FIXED_NOW)
    yield b
    await b.close()


async def _facts(bank: DemoBank, customer_id: str):
    """Everything the dispute workflow would fetch through CoreBanking for the customer's first account."""
    [account, *_] = await bank.list_accounts(customer_id)
    history = await bank.list_transactions(customer_id, account.account_id, limit=100)
    devices = await bank.list_devices(customer_id)
    logins = await bank.list_login_attempts(customer_id, limit=100)
    return history, devices, logins


def _assess(txn, history, devices, logins, now=FIXED_NOW) -> RiskAssessment:
    return assess_transaction(txn, history=history, devices=devices, logins=logins, now=now)


def _by_reference(history: list[Transaction], reference: str) -> Transaction:
    [txn] = [t for t in history if t.reference == reference]
    return txn


# ----------------------------------------------------------------------------------------------
# The demo bank


async def test_rajesh_unrecognised_zentrix_payment_is_high_and_suspicious(bank):
    history, devices, logins = await _facts(bank, RAJESH)
    zentrix = _by_reference(history, UNRECOGNISED_UPI_REFERENCE)
    assert (zentrix.merchant, zentrix.amount) == ("Zentrix Rewards Pvt Ltd", Decimal("5000.00"))

    risk = _assess(zentrix, history, devices, logins)

    assert risk.level == "high" and risk.suspicious_pattern
    # The new Redmi signed in from Bhopal after two wrong MPINs, 48 minutes before a first-ever payment
    # to a "rewards" company. ₹5,000 is not an amount outlier for him (his median debit is ~₹1,980).
    assert risk.codes == ("new_device_recent", "new_payee", "narration_suspicious", "failed_logins_before")
    assert risk.score == 100
    assert all(r.weight == TRANSACTION_WEIGHTS[r.code] for r in risk.reasons)
    device = next(r for r in risk.reasons if r.code == "new_device_recent")
    assert "22 h before" in device.detail and "last to sign in" in device.detail


async def test_rajesh_payment_without_the_device_context_is_only_medium(bank):
    """The device and sign-in facts are what turn an odd payment into an account-takeover picture."""
    history, _, _ = await _facts(bank, RAJESH)
    zentrix = _by_reference(history, UNRECOGNISED_UPI_REFERENCE)

    risk = _assess(zentrix, history, devices=[], logins=[])

    assert risk.codes == ("new_payee", "narration_suspicious")
    assert (risk.score, risk.level, risk.suspicious_pattern) == (50, "medium", False)


async def test_rajesh_ordinary_grocery_and_food_payments_are_low(bank):
    history, devices, logins = await _facts(bank, RAJESH)
    swiggy = _by_reference(history, "436611023948")  # the evening after the new device appeared
    bigbasket = _by_reference(history, "436401982275")
    everyday = [t for t in history if t.category in {"groceries", "dining"}
                and t.posted_at >= FIXED_NOW - timedelta(days=30)]
    assert swiggy in everyday and bigbasket in everyday and len(everyday) > 10

    for txn in everyday:
        risk = _assess(txn, history, devices, logins)
        assert risk.level == "low" and not risk.suspicious_pattern, (txn.merchant, txn.posted_at, risk)
        assert "new_device_recent" not in risk.codes
    # By the Swiggy order his trusted Samsung had signed in again: the new device is not the session.
    assert _assess(swiggy, history, devices, logins).codes == ("failed_logins_before",)
    assert _assess(bigbasket, history, devices, logins).codes == ()


async def test_meera_quickloan_fee_and_its_retry_are_flagged(bank):
    history, devices, logins = await _facts(bank, MEERA)
    fee, retry = sorted((t for t in history if t.reference in QUICKLOAN_REFERENCES), key=lambda t: t.posted_at)
    assert (fee.status, retry.status, fee.amount) == ("posted", "failed", Decimal("24999.00"))

    risk = _assess(fee, history, devices, logins)
    assert risk.level == "high" and risk.suspicious_pattern and risk.score == 100
    assert set(risk.codes) == {"new_device_recent", "new_payee", "narration_suspicious", "amount_outlier",
                               "failed_logins_before", "rapid_succession"}
    outlier = next(r for r in risk.reasons if r.code == "amount_outlier")
    assert outlier.detail.startswith("₹24999.00 is ") and "median debit" in outlier.detail

    again = _assess(retry, history, devices, logins)
    assert again.level == "high" and again.suspicious_pattern
    assert "rapid_succession" in again.codes and "new_payee" not in again.codes  # paid 30 minutes earlier
    assert next(r for r in again.reasons if r.code == "rapid_succession").detail.startswith(
        "2 debits to this new payee")


async def test_only_the_scam_payments_are_suspicious(bank):
    for customer_id, expected in ((RAJESH, {UNRECOGNISED_UPI_REFERENCE}), (MEERA, QUICKLOAN_REFERENCES)):
        history, devices, logins = await _facts(bank, customer_id)
        flagged = {t.reference for t in history if _assess(t, history, devices, logins).suspicious_pattern}
        assert flagged == expected, customer_id


async def test_login_activity_on_the_demo_bank(bank):
    async def assess(customer_id):
        devices = await bank.list_devices(customer_id)
        logins = await bank.list_login_attempts(customer_id, limit=100)
        return assess_login_activity(logins, devices, FIXED_NOW)

    rajesh = await assess(RAJESH)
    assert rajesh.codes == ("unknown_device", "new_location", "success_after_failures")
    assert (rajesh.score, rajesh.level, rajesh.suspicious_pattern) == (80, "high", True)

    meera = await assess(MEERA)
    assert meera.codes == ("unknown_device", "new_location", "failed_logins", "success_after_failures")
    assert (meera.level, meera.suspicious_pattern) == ("high", True)

    # Wrong MPINs on his own phone in his own town: a lockout, not an attack; low, so he may self-serve.
    karthik = await assess(KARTHIK)
    assert karthik.codes == ("failed_logins",) and karthik.level == "low" and not karthik.suspicious_pattern

    priya = await assess(PRIYA)
    assert (priya.score, priya.level, priya.reasons, priya.suspicious_pattern) == (0, "low", (), False)
    assert all(r.weight == LOGIN_WEIGHTS[r.code] for r in meera.reasons)


async def test_same_input_same_output_in_any_order(bank):
    history, devices, logins = await _facts(bank, MEERA)
    rng = random.Random(7)
    for txn in history[:20]:
        first = _assess(txn, history, devices, logins)
        shuffled = list(history)
        rng.shuffle(shuffled)
        assert _assess(txn, tuple(shuffled), list(reversed(devices)), list(reversed(logins))) == first
        assert _assess(txn, history, devices, logins) == first
    first_login = assess_login_activity(logins, devices, FIXED_NOW)
    assert assess_login_activity(list(reversed(logins)), devices, FIXED_NOW) == first_login


async def test_details_never_quote_bank_text_and_serialise(bank):
    history, devices, logins = await _facts(bank, RAJESH)
    risk = _assess(_by_reference(history, UNRECOGNISED_UPI_REFERENCE), history, devices, logins)
    data = json.loads(json.dumps(risk.as_dict(), ensure_ascii=False))
    assert data["level"] == "high" and data["suspicious_pattern"] is True and data["score"] == 100
    assert [r["code"] for r in data["reasons"]] == list(risk.codes)
    text = json.dumps(data).casefold()
    for word in ("zentrix", "rewards", "bhopal", "redmi", UNRECOGNISED_UPI_REFERENCE):
        assert word not in text


async def test_a_hostile_narration_is_only_data(bank):
    """Neha's ₹1 credit whose narration tries to instruct the bot: no keyword, nothing quoted."""
    [account, *_] = await bank.list_accounts("CUST_100122")
    history = await bank.list_transactions("CUST_100122", account.account_id, limit=100)
    [hostile] = [t for t in history if "IGNORE PREVIOUS" in t.narration]
    risk = _assess(hostile, history, await bank.list_devices("CUST_100122"), [])
    assert risk.level == "low" and not risk.suspicious_pattern
    assert "ignore" not in json.dumps(risk.as_dict()).casefold()


# ----------------------------------------------------------------------------------------------
# Synthetic cases

NOON_IST = datetime(2025, 1, 14, 6, 30, tzinfo=UTC)


def txn(at: datetime = NOON_IST, amount: str = "500.00", merchant: str = "Corner Store", *,
        direction: str = "debit", channel: str = "UPI", narration: str | None = None, status: str = "posted",
        txn_id: str | None = None) -> Transaction:
    if narration is None:
        narration = f"UPI/DR/123456789012/{merchant.upper()}/YESB/Payment"
    return Transaction(txn_id or f"T{at:%Y%m%d%H%M%S}{merchant[:3]}", "ACC_1", at, Decimal(amount), direction,
                       channel, narration, merchant, "others", status, "123456789012", None)


def device(device_id: str, first_seen: datetime, *, trusted: bool, location: str = "Pune, Maharashtra") -> Device:
    return Device(device_id, "CUST_1", "Phone", "Android 14", "5.12.0", first_seen, first_seen, trusted, location)


def login(at: datetime, device_id: str, success: bool, location: str = "Pune, Maharashtra") -> LoginAttempt:
    return LoginAttempt(at, "CUST_1", device_id, success, "" if success else "wrong_mpin", location)


def routine(days: int = 30, amount: str = "1000.00") -> list[Transaction]:
    """One ordinary ₹1,000 debit a day at a familiar shop, ending the day before NOON_IST."""
    return [txn(NOON_IST - timedelta(days=d), amount, "Familiar Mart", txn_id=f"R{d}") for d in range(1, days + 1)]


def test_weights_table_and_levels():
    assert set(TRANSACTION_WEIGHTS) == {"new_payee", "amount_outlier", "new_device_recent", "failed_logins_before",
                                        "odd_hour", "rapid_succession", "first_international",
                                        "narration_suspicious"}
    assert all(0 < w <= 100 for w in (*TRANSACTION_WEIGHTS.values(), *LOGIN_WEIGHTS.values()))
    assert (MEDIUM_FROM, HIGH_FROM) == (40, 70)
    assert [level_for(s) for s in (0, 39, 40, 69, 70, 100)] == ["low", "low", "medium", "medium", "high", "high"]
    with pytest.raises(TypeError):
        TRANSACTION_WEIGHTS["odd_hour"] = 0  # read-only: the policy is not changed at run time


def test_empty_history_devices_and_logins():
    small = _assess(txn(amount="1500.00"), [], [], [])
    assert small.codes == ("new_payee",) and (small.score, small.level, small.suspicious_pattern) == (25, "low", False)
    # Thin history: above the ₹2,000 floor counts as an outlier.
    large = _assess(txn(amount="2500.00"), [], [], [])
    assert large.codes == ("new_payee", "amount_outlier") and large.level == "medium"
    assert "too little history" in large.reasons[1].detail
    credit = _assess(txn(amount="90000.00", direction="credit", merchant="Employer"), [], [], [])
    assert credit == RiskAssessment(0, "low", (), False)  # money in: no payee or amount rule


def test_amount_outlier_against_the_median():
    history = routine()  # median ₹1,000
    assert "amount_outlier" in _assess(txn(amount="3500.00", merchant="Familiar Mart"), history, [], []).codes
    assert "amount_outlier" not in _assess(txn(amount="3000.00", merchant="Familiar Mart"), history, [], []).codes
    small = routine(amount="200.00")  # median ₹200: ₹1,000 is 5x but below the ₹2,000 floor
    assert "amount_outlier" not in _assess(txn(amount="1000.00", merchant="Familiar Mart"), small, [], []).codes
    # Only the last 60 days count: a year-old ₹1,00,000 payment does not make ₹3,500 look normal.
    old = [txn(NOON_IST - timedelta(days=365 + d), "100000.00", "Car Dealer", txn_id=f"O{d}") for d in range(40)]
    assert "amount_outlier" in _assess(txn(amount="3500.00", merchant="Familiar Mart"), old + history, [], []).codes


def test_naive_datetimes_are_utc():
    aware_txn = txn(datetime(2025, 1, 13, 20, 0, tzinfo=UTC), "3000.00", "New Shop")  # 01:30 IST
    naive_txn = replace(aware_txn, posted_at=aware_txn.posted_at.replace(tzinfo=None))
    first = NOON_IST - timedelta(days=2)
    aware = dict(history=routine(), devices=[device("D1", first, trusted=False)],
                 logins=[login(first + timedelta(hours=1), "D1", False),
                         login(first + timedelta(hours=2), "D1", False),
                         login(first + timedelta(hours=3), "D1", True)], now=FIXED_NOW)
    naive = dict(history=[replace(t, posted_at=t.posted_at.replace(tzinfo=None)) for t in aware["history"]],
                 devices=[replace(d, first_seen=d.first_seen.replace(tzinfo=None)) for d in aware["devices"]],
                 logins=[replace(g, at=g.at.replace(tzinfo=None)) for g in aware["logins"]],
                 now=FIXED_NOW.replace(tzinfo=None))
    expected = assess_transaction(aware_txn, **aware)
    assert "odd_hour" in expected.codes and expected.suspicious_pattern
    assert assess_transaction(naive_txn, **naive) == expected
    assert assess_transaction(naive_txn, **aware) == assess_transaction(aware_txn, **naive) == expected
    assert assess_login_activity(naive["logins"], naive["devices"], naive["now"]) == assess_login_activity(
        aware["logins"], aware["devices"], FIXED_NOW)


@pytest.mark.parametrize(("ist", "odd"), [
    ((14, 23, 59, 59), False),
    ((15, 0, 0, 0), True),
    ((15, 2, 30, 0), True),
    ((15, 4, 59, 59), True),
    ((15, 5, 0, 0), False),
])
def test_odd_hour_boundaries_in_ist(ist, odd):
    day, hour, minute, second = ist
    at = datetime(2025, 1, day, hour, minute, second, tzinfo=IST).astimezone(UTC)
    history = [replace(t, posted_at=t.posted_at - timedelta(days=2)) for t in routine()]
    risk = _assess(txn(at, "400.00", "Familiar Mart"), history, [], [], now=at + timedelta(days=1))
    assert ("odd_hour" in risk.codes) is odd
    assert risk.codes == (("odd_hour",) if odd else ())


def test_a_mandate_debit_in_the_night_batch_is_not_odd():
    at = datetime(2025, 1, 15, 2, 0, tzinfo=IST)
    assert "odd_hour" not in _assess(txn(at, "500.00", "Familiar Mart", channel="ECS"), routine(), [], []).codes


def test_rapid_succession():
    history = routine()
    t0 = NOON_IST
    burst = [txn(t0, "900.00", "Alpha Traders"), txn(t0 + timedelta(minutes=10), "900.00", "Beta Traders"),
             txn(t0 + timedelta(minutes=25), "900.00", "Gamma Traders")]
    for t in burst:  # three new payees within 25 minutes: each one is part of the burst
        risk = _assess(t, history + burst, [], [])
        assert risk.codes == ("new_payee", "rapid_succession") and risk.level == "medium"
        assert risk.reasons[1].detail == "3 debits to new payees within 60 minutes"
    # Two new shops in an hour is ordinary shopping.
    assert "rapid_succession" not in _assess(burst[0], history + burst[:2], [], []).codes
    # Paying the same new payee twice is the "the first fee failed, pay again" pattern, even if one failed.
    again = [txn(t0, "900.00", "Alpha Traders", status="failed", txn_id="A1"),
             txn(t0 + timedelta(minutes=5), "900.00", "Alpha Traders", txn_id="A2")]
    risk = _assess(again[1], history + again, [], [])
    assert "rapid_succession" in risk.codes and "new_payee" in risk.codes  # a failed payment makes no one known
    # Outside the window, or to a familiar payee, it is not a burst.
    spread = [txn(t0 + timedelta(hours=2 * i), "900.00", name) for i, name in enumerate(("A", "B", "C"))]
    assert "rapid_succession" not in _assess(spread[1], history + spread, [], []).codes
    mixed = [*burst, txn(t0 + timedelta(minutes=5), "900.00", "Familiar Mart", txn_id="F")]
    assert "rapid_succession" not in _assess(mixed[-1], history + mixed, [], []).codes


def test_new_device_counts_only_while_it_is_the_session():
    history = routine()
    pay = txn(NOON_IST, "900.00", "Unknown Merchant")
    trusted = device("OLD", NOON_IST - timedelta(days=400), trusted=True)
    new = device("NEW", NOON_IST - timedelta(hours=10), trusted=False, location="Elsewhere")
    on_new = [login(NOON_IST - timedelta(hours=9), "NEW", True)]
    back_on_old = [*on_new, login(NOON_IST - timedelta(hours=1), "OLD", True)]

    risk = _assess(pay, history, [trusted, new], on_new)
    assert risk.codes == ("new_device_recent", "new_payee") and risk.level == "medium" and risk.suspicious_pattern
    assert _assess(pay, history, [trusted, new], back_on_old).codes == ("new_payee",)
    assert "new_device_recent" in _assess(pay, history, [trusted, new], []).codes  # session unknown
    stale = replace(new, first_seen=NOON_IST - timedelta(days=5))
    assert "new_device_recent" not in _assess(pay, history, [trusted, stale], on_new).codes
    # A card swipe is not made from the app, whatever phone is signed in.
    assert "new_device_recent" not in _assess(replace(pay, channel="CARD"), history, [trusted, new], on_new).codes
    # A sign-in from a device the bank never registered is just as new.
    ghost = [login(NOON_IST - timedelta(hours=2), "GHOST", True)]
    assert "new_device_recent" in _assess(pay, history, [trusted], ghost).codes


def test_failed_logins_before():
    history, pay = routine(), txn(NOON_IST, "900.00", "Familiar Mart")
    one = [login(NOON_IST - timedelta(hours=3), "OLD", False)]
    two = [*one, login(NOON_IST - timedelta(hours=2), "OLD", False)]
    assert "failed_logins_before" not in _assess(pay, history, [], one).codes  # one typo is normal
    assert _assess(pay, history, [], two).codes == ("failed_logins_before",)
    old = [replace(g, at=g.at - timedelta(days=3)) for g in two]
    assert "failed_logins_before" not in _assess(pay, history, [], old).codes
    after = [replace(g, at=NOON_IST + timedelta(hours=1)) for g in two]
    assert "failed_logins_before" not in _assess(pay, history, [], after).codes


@pytest.mark.parametrize(("merchant", "narration", "flagged"), [
    ("Lucky Draw Winner", "UPI/DR/1/LUCKY DRAW WINNER/YESB/Payment", True),
    ("Bank Services", "UPI/DR/1/BANK SERVICES/YESB/KYC update", True),
    ("Shop", "UPI/COLLECT/1/SHOP/YESB/Request", True),
    ("Quick Cash Customer Care", "IMPS/DR/1/QUICK CASH/Processing fee", True),
    ("Recollection Books", "UPI/DR/1/RECOLLECTION BOOKS/YESB/Payment", False),
    ("Skyclad Outdoors", "UPI/DR/1/SKYCLAD/YESB/Payment", False),
    ("Customer", "UPI/DR/1/CUSTOMER/YESB/Care package", False),  # a phrase never spans merchant and narration
])
def test_narration_keywords(merchant, narration, flagged):
    risk = _assess(txn(merchant=merchant, narration=narration), routine(), [], [])
    assert ("narration_suspicious" in risk.codes) is flagged
    assert merchant.casefold() not in json.dumps(risk.as_dict()).casefold()


def test_first_international_debit():
    steam = txn(NOON_IST, "900.00", "Steam", channel="CARD", narration="ECOM/INTL/STEAM/USD 10.99")
    assert "first_international" in _assess(steam, routine(), [], []).codes
    earlier = replace(steam, txn_id="OLD", posted_at=NOON_IST - timedelta(days=20))
    assert "first_international" not in _assess(steam, [*routine(), earlier], [], []).codes
    declined = replace(earlier, status="failed")  # an attempt that never went through is not a precedent
    assert "first_international" in _assess(steam, [*routine(), declined], [], []).codes


def test_missing_merchant_and_odd_input_never_raise():
    history = routine()
    # No merchant: the counterparty field of the UPI narration identifies a familiar payee.
    familiar = txn(merchant="", narration="UPI/DR/999/FAMILIAR MART/HDFC/Payment")
    assert "new_payee" not in _assess(familiar, history, [], []).codes
    anonymous = txn(merchant="", narration="")
    [reason] = [r for r in _assess(anonymous, history, [], []).reasons if r.code == "new_payee"]
    assert reason == Reason("new_payee", TRANSACTION_WEIGHTS["new_payee"],
                            "the payee could not be identified from the transaction")

    odd = [None, object(), "text", replace(history[0], amount=None), replace(history[1], posted_at=None),
           replace(history[2], amount="abc"), replace(history[3], amount=float("nan")),
           replace(history[4], narration=None, merchant=None), replace(history[5], amount=Decimal("1e40"))]
    weird_txns = [replace(history[0], posted_at=None, txn_id="X"), replace(history[0], amount=None, txn_id="Y"),
                  replace(history[0], direction="DEBIT", channel=None, txn_id="Z"),
                  replace(history[0], posted_at=datetime.max, txn_id="M"),
                  replace(history[0], posted_at=datetime.min, txn_id="N")]
    weird_devices = [None, replace(device("D", NOON_IST, trusted=False), first_seen=None)]
    weird_logins = [None, replace(login(NOON_IST, "D", False), at="yesterday"), login(datetime.min, "D", False)]
    for t in weird_txns:
        for now in (FIXED_NOW, FIXED_NOW.replace(tzinfo=None), datetime.max, datetime.min, None):
            risk = assess_transaction(t, history=history + odd, devices=weird_devices, logins=weird_logins, now=now)
            assert 0 <= risk.score <= 100 and risk.level == level_for(risk.score)
            assess_login_activity(weird_logins, weird_devices, now)
    assert assess_transaction(txn(), history=None, devices=None, logins=None, now=None).codes == ("new_payee",)
    assert assess_login_activity([], [], FIXED_NOW) == RiskAssessment(0, "low", (), False)


def test_records_after_now_are_ignored():
    """At `now` a later record could not have been known: re-scoring an old dispute is reproducible."""
    pay = txn(NOON_IST, "900.00", "Alpha Traders")
    later = [txn(NOON_IST + timedelta(minutes=m), "900.00", name) for m, name in ((5, "Beta"), (10, "Gamma"))]
    at_the_time = _assess(pay, [*routine(), *later], [], [], now=NOON_IST + timedelta(minutes=1))
    assert "rapid_succession" not in at_the_time.codes
    assert "rapid_succession" in _assess(pay, [*routine(), *later], [], [], now=NOON_IST + timedelta(hours=1)).codes


def test_login_activity_synthetic():
    home = device("HOME", NOON_IST - timedelta(days=300), trusted=True)
    at_3am = datetime(2025, 1, 14, 3, 0, tzinfo=IST)
    attempts = [login(at_3am, "GHOST", False, "Unknown (VPN)"),
                login(at_3am + timedelta(minutes=1), "GHOST", False, "Unknown (VPN)"),
                login(at_3am + timedelta(minutes=2), "GHOST", False, "Unknown (VPN)")]
    risk = assess_login_activity(attempts, [home], FIXED_NOW)
    assert risk.codes == ("unknown_device", "new_location", "failed_logins", "odd_hour")
    assert (risk.score, risk.level, risk.suspicious_pattern) == (90, "high", True)
    assert "not registered" in risk.reasons[0].detail
    # The customer's own phone at home, a week and a day ago: outside the window.
    old = [replace(g, at=g.at - timedelta(days=8)) for g in attempts]
    assert assess_login_activity(old, [home], FIXED_NOW).score == 0
    ok = [login(NOON_IST, "HOME", False), login(NOON_IST + timedelta(minutes=1), "HOME", True)]
    assert assess_login_activity(ok, [home], FIXED_NOW) == RiskAssessment(0, "low", (), False)
