"""The embedded demo bank: seed facts the bot's walkthroughs rely on, lookups, ownership, persistence."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from bot.banking.core import BankingError, CoreBanking, NotFound
from bot.banking.demo import DemoBank, normalise_mobile
from bot.banking.demo_seed import (
    AUTO_RESOLVABLE_REASONS,
    DEMO_CUSTOMER_ID,
    REASON_KYC_EXPIRED,
    REASON_SUSPECTED_FRAUD,
    REASON_WRONG_PIN,
    UNRECOGNISED_UPI_REFERENCE,
)

NOW = datetime(2025, 1, 15, 10, 30, tzinfo=UTC)
RAJESH = DEMO_CUSTOMER_ID


@pytest.fixture
async def bank(tmp_path):
    b = await DemoBank.open(tmp_path / "bank.db", now=NOW)
    yield b
    await b.close()


def _dump(path) -> list[str]:
    with sqlite3.connect(path) as conn:
        return list(conn.iterdump())


async def test_is_a_core_banking(bank):
    assert isinstance(bank, CoreBanking)


async def test_rajesh_has_a_hold_so_available_is_below_ledger(bank):
    rajesh = await bank.get_customer(RAJESH)
    assert (rajesh.name, rajesh.mobile, rajesh.preferred_language, rajesh.email) == (
        "Rajesh Kumar", "+919812345678", "hi", "rajesh.kumar@example.in")
    [savings] = [a for a in await bank.list_accounts(RAJESH) if a.kind == "savings"]
    assert savings.status == "active" and len(savings.number_last4) == 4
    balance = await bank.get_balance(RAJESH, savings.account_id)
    holds = await bank.list_holds(RAJESH, savings.account_id)
    assert sum(h.amount for h in holds) == Decimal("2500.00")
    assert balance.available == balance.ledger - Decimal("2500.00") < balance.ledger
    assert balance.as_of == NOW and balance.currency == "INR"
    cards = await bank.list_cards(RAJESH)
    assert any(c.kind == "debit" and c.status == "active" for c in cards)
    devices = await bank.list_devices(RAJESH)
    assert len(devices) >= 2 and any(d.trusted for d in devices) and not all(d.trusted for d in devices)
    logins = await bank.list_login_attempts(RAJESH, limit=20)
    assert any(not x.success for x in logins) and any(x.success for x in logins)
    assert [x.at for x in logins] == sorted((x.at for x in logins), reverse=True)


async def test_rajesh_has_the_unrecognised_5000_upi_payment(bank):
    [savings] = await bank.list_accounts(RAJESH)
    txns = await bank.list_transactions(RAJESH, savings.account_id, limit=30)
    [odd] = [t for t in txns if t.reference == UNRECOGNISED_UPI_REFERENCE]
    assert (odd.amount, odd.direction, odd.channel, odd.status) == (Decimal("5000.00"), "debit", "UPI", "posted")
    assert NOW - timedelta(days=2) <= odd.posted_at <= NOW - timedelta(days=1)
    recent = [t for t in txns if t.posted_at >= NOW - timedelta(days=7)]
    assert {"UPI", "CARD"} <= {t.channel for t in recent}
    assert [t.posted_at for t in txns] == sorted((t.posted_at for t in txns), reverse=True)
    pending = await bank.list_transactions(RAJESH, savings.account_id, status="pending")
    assert pending and all(t.status == "pending" for t in pending)


async def test_seed_breadth(bank):
    customers = await bank.customers()
    assert len(customers) >= 21
    mobiles = [c.mobile for c in customers]
    assert len(set(mobiles)) == len(mobiles)
    assert all(len(m) == 13 and m.startswith("+919") and m[1:].isdigit() for m in mobiles)
    assert {"en", "hi", "ta", "te", "bn", "mr", "gu", "kn", "ml", "pa"} <= {c.preferred_language for c in customers}
    accounts = [a for c in customers for a in await bank.list_accounts(c.customer_id)]
    reasons = {a.status_reason for a in accounts if a.status == "blocked"}
    assert {REASON_WRONG_PIN, REASON_KYC_EXPIRED, REASON_SUSPECTED_FRAUD} <= reasons
    assert REASON_WRONG_PIN in AUTO_RESOLVABLE_REASONS and REASON_SUSPECTED_FRAUD not in AUTO_RESOLVABLE_REASONS
    assert {"frozen", "dormant"} <= {a.status for a in accounts}
    assert {"savings", "current", "salary"} <= {a.kind for a in accounts}
    assert all(a.status_reason == "" for a in accounts if a.status == "active")
    cards = [k for c in customers for k in await bank.list_cards(c.customer_id)]
    assert {("debit", "blocked"), ("credit", "blocked"), ("debit", "active"), ("credit", "active")} <= {
        (k.kind, k.status) for k in cards}
    loans = [ln for c in customers for ln in await bank.list_loans(c.customer_id)]
    assert {"home", "personal", "car"} <= {ln.kind for ln in loans}
    assert all(0 < ln.emi < ln.outstanding <= ln.principal for ln in loans)
    sips = [s for c in customers for s in await bank.list_sips(c.customer_id)]
    assert sips and all(s.nav > 0 and s.units_held > 0 for s in sips)
    holds = [h for a in accounts for h in await bank.list_holds(a.customer_id, a.account_id)]
    assert {"lien", "freeze", "cheque_clearing", "card_preauth", "legal"} <= {h.kind for h in holds}
    ledgers = [(await bank.get_balance(a.customer_id, a.account_id)).ledger for a in accounts]
    assert min(ledgers) >= Decimal("1000") and max(ledgers) >= Decimal("500000")


async def test_freeze_hold_makes_available_zero_and_expired_holds_do_not_count(bank):
    frozen = [a for c in await bank.customers() for a in await bank.list_accounts(c.customer_id)
              if a.status == "frozen"][0]
    balance = await bank.get_balance(frozen.customer_id, frozen.account_id)
    assert balance.ledger > 0 and balance.available == 0
    # Srinivas: one cheque still in clearing, one cleared two and a half days ago.
    holds = await bank.list_holds("CUST_100103", "ACC_100103_1")
    assert [h.amount for h in holds] == [Decimal("120000.00")]
    balance = await bank.get_balance("CUST_100103", "ACC_100103_1")
    assert balance.available == balance.ledger - Decimal("120000.00")


@pytest.mark.parametrize("identifier", [
    "+919812345678", "919812345678", "9812345678", "98123 45678", "+91-98123-45678", "+91 98123 45678",
    "09812345678", "CUST_789123", "cust_789123", " Cust_789123 ",
])
async def test_find_customer_accepts_common_formats(bank, identifier):
    found = await bank.find_customer(identifier)
    assert found is not None and found.customer_id == RAJESH


@pytest.mark.parametrize("identifier", [
    "+919000000000", "CUST_000000", "", "   ", "12345", "+449812345678", "5812345678", "rajesh",
    "9812345678' OR '1'='1", "9" * 200,
])
async def test_find_customer_unknown_is_none(bank, identifier):
    assert await bank.find_customer(identifier) is None


def test_normalise_mobile():
    assert normalise_mobile("(+91) 98123-45678") == "+919812345678"
    assert normalise_mobile("+1 9812345678") is None


async def test_ownership_is_enforced_on_every_call(bank):
    other_account, other_card = "ACC_100101_1", "CRD_100101_1"
    for call in (
        bank.get_balance(RAJESH, other_account),
        bank.list_holds(RAJESH, other_account),
        bank.get_limits(RAJESH, other_account),
        bank.list_transactions(RAJESH, other_account),
        bank.spend_by_category(RAJESH, other_account),
        bank.block_card(RAJESH, other_card, "lost"),
        bank.unblock_card(RAJESH, other_card),
        bank.get_customer("CUST_000000"),
        bank.list_accounts("CUST_000000"),
        bank.list_cards("CUST_000000"),
        bank.list_devices("CUST_000000"),
        bank.list_login_attempts("CUST_000000"),
        bank.list_loans("CUST_000000"),
        bank.list_sips("CUST_000000"),
    ):
        with pytest.raises(NotFound):
            await call
    assert (await bank.list_cards("CUST_100101"))[0].status == "active"  # untouched


async def test_bad_arguments_are_refused(bank):
    with pytest.raises(ValueError):
        await bank.list_transactions(RAJESH, "ACC_789123_1", limit=0)
    with pytest.raises(ValueError):
        await bank.list_transactions(RAJESH, "ACC_789123_1", limit=1000)
    with pytest.raises(ValueError):
        await bank.list_transactions(RAJESH, "ACC_789123_1", status="bogus")
    with pytest.raises(ValueError):
        await bank.spend_by_category(RAJESH, "ACC_789123_1", days=0)
    with pytest.raises(ValueError):
        await bank.block_card(RAJESH, "CRD_789123_1", "  ")


async def test_spend_by_category_sums_posted_debits_in_window(bank):
    account = "ACC_789123_1"
    spend = await bank.spend_by_category(RAJESH, account, days=30)
    txns = await bank.list_transactions(RAJESH, account, limit=100)
    expected: dict[str, Decimal] = {}
    for t in txns:
        if t.direction == "debit" and t.status == "posted" and t.posted_at >= NOW - timedelta(days=30):
            expected[t.category] = expected.get(t.category, Decimal(0)) + t.amount
    assert spend == expected
    assert spend["others"] == Decimal("5000.00")
    assert list(spend.values()) == sorted(spend.values(), reverse=True)
    assert sum((await bank.spend_by_category(RAJESH, account, days=3)).values()) < sum(spend.values())


async def test_block_and_unblock_persist_across_reopen(tmp_path):
    path = tmp_path / "bank.db"
    bank = await DemoBank.open(path, now=NOW)
    card = (await bank.list_cards(RAJESH))[0]
    blocked = await bank.block_card(RAJESH, card.card_id, "lost in the metro")
    assert blocked.status == "blocked" and blocked.card_id == card.card_id
    assert await bank.block_card(RAJESH, card.card_id, "again") == blocked  # idempotent
    await bank.close()

    bank = await DemoBank.open(path, now=NOW)
    assert (await bank.list_cards(RAJESH))[0].status == "blocked"
    assert (await bank.unblock_card(RAJESH, card.card_id)).status == "active"
    await bank.close()

    bank = await DemoBank.open(path)
    assert (await bank.list_cards(RAJESH))[0].status == "active"
    await bank.close()


async def test_bank_imposed_blocks_and_expired_cards_cannot_be_unblocked(bank):
    meera = await bank.list_cards("CUST_100110")
    assert all(k.status == "blocked" for k in meera)
    with pytest.raises(BankingError) as e:
        await bank.unblock_card("CUST_100110", meera[0].card_id)
    assert not isinstance(e.value, NotFound)
    [expired] = [k for k in await bank.list_cards("CUST_100122") if k.status == "expired"]
    with pytest.raises(BankingError):
        await bank.unblock_card("CUST_100122", expired.card_id)
    # A card the customer reported lost can be unblocked (after full auth, which is the bot's job).
    [lost] = await bank.list_cards("CUST_100109")
    assert (await bank.unblock_card("CUST_100109", lost.card_id)).status == "active"


async def test_reopening_does_not_reseed_or_duplicate(tmp_path):
    path = tmp_path / "bank.db"
    bank = await DemoBank.open(path, now=NOW)
    await bank.close()
    before = _dump(path)
    bank = await DemoBank.open(path, now=NOW + timedelta(days=3))  # a different now must not reseed
    assert len(await bank.customers()) == 23
    await bank.close()
    assert _dump(path) == before


async def test_seed_is_deterministic(tmp_path):
    for name in ("a.db", "b.db"):
        bank = await DemoBank.open(tmp_path / name, now=NOW)
        await bank.close()
    a, b = _dump(tmp_path / "a.db"), _dump(tmp_path / "b.db")
    assert a == b and len(a) > 1000


async def test_seed_follows_now(tmp_path):
    later = NOW + timedelta(days=40)
    bank = await DemoBank.open(tmp_path / "later.db", now=later)
    [odd] = [t for t in await bank.list_transactions(RAJESH, "ACC_789123_1", limit=30)
             if t.reference == UNRECOGNISED_UPI_REFERENCE]
    assert later - timedelta(days=2) <= odd.posted_at <= later - timedelta(days=1)
    await bank.close()


async def test_concurrent_first_opens_seed_once(tmp_path):
    path = tmp_path / "race.db"
    banks = await asyncio.gather(*(DemoBank.open(path, now=NOW) for _ in range(5)))
    assert len(await banks[0].customers()) == 23
    for b in banks:
        await b.close()


async def test_naive_now_is_refused(tmp_path):
    with pytest.raises(ValueError):
        await DemoBank.open(tmp_path / "x.db", now=datetime(2025, 1, 15))
