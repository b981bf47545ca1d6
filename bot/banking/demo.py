"""The embedded demo bank: CoreBanking over a seeded SQLite file, so Sahayak runs with no bank attached.

Why it is built this way:
- A real SQLite file (aiosqlite), not dicts in memory: card blocks survive a restart, several gateway
  processes can share it (WAL), and the tests exercise the same persistence path a deployment uses.
- Money is stored as integer paise and returned as `Decimal` rupees, so no float ever touches it.
- Every customer-scoped query filters on the customer id as well as the record id: asking for another
  customer's account or card is indistinguishable from asking for one that does not exist (`NotFound`).
- `open()` creates the schema and seeds it in one transaction (BEGIN IMMEDIATE), and only when the file
  has never been seeded; reopening, or two processes opening at once, never duplicates rows.

Time: `now` passed to `open()` both anchors the seed (see `demo_seed`) and freezes the bank's clock
(balance `as_of`, which holds are still active, the `spend_by_category` window), which makes tests
exact. Without it the seed is relative to the real time at first start and the clock is real.
"""

from __future__ import annotations

import asyncio
import json
import re
import sqlite3
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import aiosqlite

from bot.banking.core import (
    Account,
    Balance,
    BankingError,
    Card,
    Customer,
    Device,
    Hold,
    Limits,
    LoginAttempt,
    Loan,
    NotAllowed,
    NotFound,
    Sip,
    Transaction,
    TxnStatus,
)
from bot.banking.demo_seed import AUTO_RESOLVABLE_REASONS, SEED_VERSION, Seed, build_seed
from bot.banking.wire import check_days, check_page, check_reason, check_status

SCHEMA_VERSION = "1"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS customers (
    customer_id TEXT PRIMARY KEY, name TEXT NOT NULL, mobile TEXT NOT NULL UNIQUE, email TEXT NOT NULL,
    preferred_language TEXT NOT NULL, kyc_status TEXT NOT NULL, city TEXT NOT NULL,
    date_of_birth TEXT NOT NULL, preferences TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS accounts (
    account_id TEXT PRIMARY KEY, customer_id TEXT NOT NULL REFERENCES customers, kind TEXT NOT NULL,
    number_last4 TEXT NOT NULL CHECK (length(number_last4) = 4), status TEXT NOT NULL,
    status_reason TEXT NOT NULL, branch_ifsc TEXT NOT NULL, opened_on TEXT NOT NULL,
    ledger_paise INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS accounts_by_customer ON accounts (customer_id);
CREATE TABLE IF NOT EXISTS limits (
    account_id TEXT PRIMARY KEY REFERENCES accounts, upi_daily INTEGER NOT NULL, imps_daily INTEGER NOT NULL,
    atm_daily INTEGER NOT NULL, pos_daily INTEGER NOT NULL, online_daily INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS holds (
    hold_id TEXT PRIMARY KEY, account_id TEXT NOT NULL REFERENCES accounts, kind TEXT NOT NULL,
    amount_paise INTEGER NOT NULL, reason TEXT NOT NULL, placed_at TEXT NOT NULL, expires_at TEXT);
CREATE INDEX IF NOT EXISTS holds_by_account ON holds (account_id);
CREATE TABLE IF NOT EXISTS transactions (
    txn_id TEXT PRIMARY KEY, account_id TEXT NOT NULL REFERENCES accounts, posted_at TEXT NOT NULL,
    amount_paise INTEGER NOT NULL, direction TEXT NOT NULL, channel TEXT NOT NULL, narration TEXT NOT NULL,
    merchant TEXT NOT NULL, category TEXT NOT NULL, status TEXT NOT NULL, reference TEXT NOT NULL,
    card_id TEXT);
CREATE INDEX IF NOT EXISTS transactions_by_account ON transactions (account_id, posted_at);
CREATE TABLE IF NOT EXISTS cards (
    card_id TEXT PRIMARY KEY, customer_id TEXT NOT NULL REFERENCES customers,
    account_id TEXT NOT NULL REFERENCES accounts, kind TEXT NOT NULL, network TEXT NOT NULL,
    last4 TEXT NOT NULL CHECK (length(last4) = 4), status TEXT NOT NULL, expires TEXT NOT NULL,
    blocked_by TEXT, block_reason TEXT, status_changed_at TEXT);
CREATE INDEX IF NOT EXISTS cards_by_customer ON cards (customer_id);
CREATE TABLE IF NOT EXISTS devices (
    device_id TEXT PRIMARY KEY, customer_id TEXT NOT NULL REFERENCES customers, model TEXT NOT NULL,
    os TEXT NOT NULL, app_version TEXT NOT NULL, first_seen TEXT NOT NULL, last_seen TEXT NOT NULL,
    trusted INTEGER NOT NULL, last_location TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS login_attempts (
    id INTEGER PRIMARY KEY, at TEXT NOT NULL, customer_id TEXT NOT NULL REFERENCES customers,
    device_id TEXT NOT NULL, success INTEGER NOT NULL, reason TEXT NOT NULL, location TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS logins_by_customer ON login_attempts (customer_id, at);
CREATE TABLE IF NOT EXISTS loans (
    loan_id TEXT PRIMARY KEY, customer_id TEXT NOT NULL REFERENCES customers, kind TEXT NOT NULL,
    principal_paise INTEGER NOT NULL, outstanding_paise INTEGER NOT NULL, emi_paise INTEGER NOT NULL,
    next_emi_date TEXT NOT NULL, rate_percent TEXT NOT NULL, tenure_months INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS sips (
    sip_id TEXT PRIMARY KEY, customer_id TEXT NOT NULL REFERENCES customers, fund_name TEXT NOT NULL,
    amount_paise INTEGER NOT NULL, day_of_month INTEGER NOT NULL, status TEXT NOT NULL,
    units_held TEXT NOT NULL, nav TEXT NOT NULL, nav_date TEXT NOT NULL)
"""

_CUSTOMER_ID = re.compile(r"CUST_\d{1,12}", re.IGNORECASE)


def normalise_mobile(text: str) -> str | None:
    """'+91-98123-45678', '98123 45678', '919812345678', '09812345678' -> '+919812345678'; else None."""
    compact = re.sub(r"[\s\-().]", "", text)
    if compact.startswith("+"):
        if not compact.startswith("+91"):
            return None
        national = compact[3:]
    elif len(compact) == 12 and compact.startswith("91"):
        national = compact[2:]
    elif len(compact) == 11 and compact.startswith("0"):
        national = compact[1:]
    else:
        national = compact
    if re.fullmatch(r"[6-9]\d{9}", national) is None:
        return None
    return "+91" + national


def _paise(amount: Decimal) -> int:
    scaled = amount * 100
    if scaled != scaled.to_integral_value():
        raise ValueError("amount has fractions of a paisa")
    return int(scaled)


def _rupees(paise: int) -> Decimal:
    return Decimal(paise).scaleb(-2)


def _ts(value: datetime) -> str:
    # One fixed UTC format so that string order is time order in SQL comparisons.
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def _dt(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


class DemoBank:
    """CoreBanking backed by a seeded SQLite file. Create with `await DemoBank.open(path)`."""

    def __init__(self, conn: aiosqlite.Connection, clock: Callable[[], datetime]):
        self._conn = conn
        self._clock = clock
        self._write_lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: str | Path, *, now: datetime | None = None) -> DemoBank:
        if now is not None and now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        conn = await aiosqlite.connect(str(path), isolation_level=None)
        try:
            await conn.execute("PRAGMA busy_timeout=5000")
            await _enable_wal(conn)
            await conn.execute("PRAGMA foreign_keys=ON")
            await cls._create_and_seed(conn, now or datetime.now(UTC))
        except BaseException:
            await conn.close()
            raise
        frozen = None if now is None else now.astimezone(UTC)
        return cls(conn, (lambda: frozen) if frozen else (lambda: datetime.now(UTC)))

    @staticmethod
    async def _create_and_seed(conn: aiosqlite.Connection, now: datetime) -> None:
        await conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in filter(str.strip, _SCHEMA.split(";")):
                await conn.execute(statement)
            async with conn.execute("SELECT value FROM meta WHERE key = 'schema'") as cur:
                row = await cur.fetchone()
            if row is None:
                await _insert_seed(conn, build_seed(now))
                await conn.executemany("INSERT INTO meta VALUES (?, ?)", [
                    ("schema", SCHEMA_VERSION), ("seed", SEED_VERSION), ("seeded_at", _ts(now))])
            elif row[0] != SCHEMA_VERSION:
                raise BankingError(f"demo bank file has schema {row[0]}, expected {SCHEMA_VERSION}; "
                                   "delete the file to reseed it")
            await conn.execute("COMMIT")
        except BaseException:
            await conn.execute("ROLLBACK")
            raise

    async def close(self) -> None:
        await self._conn.close()

    # -- helpers ---------------------------------------------------------------------------------

    async def _all(self, sql: str, params: Iterable = ()) -> list[tuple]:
        async with self._conn.execute(sql, tuple(params)) as cur:
            return list(await cur.fetchall())

    async def _one(self, sql: str, params: Iterable = ()) -> tuple | None:
        async with self._conn.execute(sql, tuple(params)) as cur:
            return await cur.fetchone()

    async def _require_customer(self, customer_id: str) -> None:
        if await self._one("SELECT 1 FROM customers WHERE customer_id = ?", (customer_id,)) is None:
            raise NotFound("no such customer")

    async def _require_account(self, customer_id: str, account_id: str) -> int:
        row = await self._one("SELECT ledger_paise FROM accounts WHERE account_id = ? AND customer_id = ?",
                              (account_id, customer_id))
        if row is None:
            raise NotFound("no such account for this customer")
        return row[0]

    async def _active_holds(self, account_id: str) -> list[Hold]:
        rows = await self._all(
            "SELECT hold_id, account_id, kind, amount_paise, reason, placed_at, expires_at FROM holds "
            "WHERE account_id = ? AND (expires_at IS NULL OR expires_at > ?) ORDER BY placed_at DESC, hold_id",
            (account_id, _ts(self._clock())))
        return [Hold(r[0], r[1], r[2], _rupees(r[3]), r[4], _dt(r[5]), _dt(r[6])) for r in rows]

    # -- CoreBanking -----------------------------------------------------------------------------

    async def customers(self) -> list[Customer]:
        """Every customer in seeding order (for the README and demo listings; not in the Protocol)."""
        return [_customer(r) for r in await self._all(f"SELECT {_CUSTOMER_COLS} FROM customers ORDER BY rowid")]

    async def find_customer(self, identifier: str) -> Customer | None:
        text = identifier.strip() if isinstance(identifier, str) else ""
        if not text or len(text) > 40:
            return None
        if _CUSTOMER_ID.fullmatch(text):
            row = await self._one(f"SELECT {_CUSTOMER_COLS} FROM customers WHERE customer_id = ?", (text.upper(),))
        elif (mobile := normalise_mobile(text)) is not None:
            row = await self._one(f"SELECT {_CUSTOMER_COLS} FROM customers WHERE mobile = ?", (mobile,))
        else:
            return None
        return None if row is None else _customer(row)

    async def get_customer(self, customer_id: str) -> Customer:
        row = await self._one(f"SELECT {_CUSTOMER_COLS} FROM customers WHERE customer_id = ?", (customer_id,))
        if row is None:
            raise NotFound("no such customer")
        return _customer(row)

    async def list_accounts(self, customer_id: str) -> list[Account]:
        await self._require_customer(customer_id)
        rows = await self._all(
            f"SELECT {_ACCOUNT_COLS} FROM accounts WHERE customer_id = ? ORDER BY account_id", (customer_id,))
        return [Account(*r) for r in rows]

    async def get_balance(self, customer_id: str, account_id: str) -> Balance:
        """available = ledger - active holds, never below 0; any active freeze hold makes it 0."""
        ledger = await self._require_account(customer_id, account_id)
        holds = await self._active_holds(account_id)
        if any(h.kind == "freeze" for h in holds):
            available = 0
        else:
            available = max(0, ledger - sum(_paise(h.amount) for h in holds))
        return Balance(account_id, _rupees(ledger), _rupees(available), "INR", self._clock())

    async def list_holds(self, customer_id: str, account_id: str) -> list[Hold]:
        """Active holds only (expired ones no longer affect the balance), newest first."""
        await self._require_account(customer_id, account_id)
        return await self._active_holds(account_id)

    async def get_limits(self, customer_id: str, account_id: str) -> Limits:
        await self._require_account(customer_id, account_id)
        r = await self._one("SELECT upi_daily, imps_daily, atm_daily, pos_daily, online_daily FROM limits "
                            "WHERE account_id = ?", (account_id,))
        if r is None:
            raise NotFound("no limits for this account")
        return Limits(account_id, *(_rupees(x) for x in r))

    async def list_transactions(
        self, customer_id: str, account_id: str, *, limit: int = 10, status: TxnStatus | None = None
    ) -> list[Transaction]:
        check_page(limit)
        check_status(status)
        await self._require_account(customer_id, account_id)
        where, params = "account_id = ?", [account_id]
        if status is not None:
            where += " AND status = ?"
            params.append(status)
        rows = await self._all(
            "SELECT txn_id, account_id, posted_at, amount_paise, direction, channel, narration, merchant, "
            f"category, status, reference, card_id FROM transactions WHERE {where} "
            "ORDER BY posted_at DESC, txn_id DESC LIMIT ?", (*params, limit))
        return [Transaction(r[0], r[1], _dt(r[2]), _rupees(r[3]), *r[4:]) for r in rows]

    async def spend_by_category(
        self, customer_id: str, account_id: str, *, days: int = 30
    ) -> dict[str, Decimal]:
        """Posted debits in the last `days` days per category, largest first."""
        check_days(days)
        await self._require_account(customer_id, account_id)
        now = self._clock()
        rows = await self._all(
            "SELECT category, SUM(amount_paise) AS total FROM transactions WHERE account_id = ? "
            "AND direction = 'debit' AND status = 'posted' AND posted_at >= ? AND posted_at <= ? "
            "GROUP BY category ORDER BY total DESC, category",
            (account_id, _ts(now - timedelta(days=days)), _ts(now)))
        return {r[0]: _rupees(r[1]) for r in rows}

    async def list_cards(self, customer_id: str) -> list[Card]:
        await self._require_customer(customer_id)
        rows = await self._all(f"SELECT {_CARD_COLS} FROM cards WHERE customer_id = ? ORDER BY card_id",
                               (customer_id,))
        return [Card(*r) for r in rows]

    async def _card(self, customer_id: str, card_id: str) -> tuple[Card, str | None]:
        row = await self._one(f"SELECT {_CARD_COLS}, blocked_by FROM cards WHERE card_id = ? AND customer_id = ?",
                              (card_id, customer_id))
        if row is None:
            raise NotFound("no such card for this customer")
        return Card(*row[:-1]), row[-1]

    async def block_card(self, customer_id: str, card_id: str, reason: str) -> Card:
        """Block an active card (idempotent: an already blocked or expired card is returned as is)."""
        reason = check_reason(reason)
        async with self._write_lock:
            card, _ = await self._card(customer_id, card_id)
            if card.status != "active":
                return card
            await self._conn.execute(
                "UPDATE cards SET status = 'blocked', blocked_by = 'customer', block_reason = ?, "
                "status_changed_at = ? WHERE card_id = ? AND customer_id = ? AND status = 'active'",
                (reason, _ts(self._clock()), card_id, customer_id))
            return (await self._card(customer_id, card_id))[0]

    async def unblock_card(self, customer_id: str, card_id: str) -> Card:
        """Lift a block the customer placed. A bank-imposed block or an expired card is refused."""
        async with self._write_lock:
            card, blocked_by = await self._card(customer_id, card_id)
            if card.status == "active":
                return card
            if card.status == "expired":
                raise NotAllowed("an expired card cannot be unblocked; a replacement card is needed")
            if blocked_by == "bank":
                raise NotAllowed("this card was blocked by the bank and cannot be unblocked by the customer")
            await self._conn.execute(
                "UPDATE cards SET status = 'active', blocked_by = NULL, block_reason = NULL, "
                "status_changed_at = ? WHERE card_id = ? AND customer_id = ? AND status = 'blocked'",
                (_ts(self._clock()), card_id, customer_id))
            return (await self._card(customer_id, card_id))[0]

    async def unlock_access(self, customer_id: str, account_id: str) -> Account:
        """Lift a self-service-resolvable block (see `CoreBanking.unlock_access`).

        The decision and the change are one UPDATE whose WHERE carries every condition, so two
        concurrent unlocks cannot both succeed and a block the bank re-imposed in between is never
        lifted by a stale check. Only when nothing changed do we look again, to say why."""
        reasons = sorted(AUTO_RESOLVABLE_REASONS)
        row = await self._one(
            "UPDATE accounts SET status = 'active', status_reason = '' "
            "WHERE account_id = ? AND customer_id = ? AND status = 'blocked' "
            f"AND status_reason IN ({', '.join('?' * len(reasons))}) "
            f"RETURNING {_ACCOUNT_COLS}",
            (account_id, customer_id, *reasons))
        if row is not None:
            return Account(*row)
        await self._require_account(customer_id, account_id)
        raise NotAllowed("this account is not blocked, or its block can only be lifted by the bank")

    async def list_devices(self, customer_id: str) -> list[Device]:
        await self._require_customer(customer_id)
        rows = await self._all(
            "SELECT device_id, customer_id, model, os, app_version, first_seen, last_seen, trusted, last_location "
            "FROM devices WHERE customer_id = ? ORDER BY last_seen DESC, device_id", (customer_id,))
        return [Device(*r[:5], _dt(r[5]), _dt(r[6]), bool(r[7]), r[8]) for r in rows]

    async def list_login_attempts(self, customer_id: str, *, limit: int = 10) -> list[LoginAttempt]:
        """Newest first."""
        check_page(limit)
        await self._require_customer(customer_id)
        rows = await self._all(
            "SELECT at, customer_id, device_id, success, reason, location FROM login_attempts "
            "WHERE customer_id = ? ORDER BY at DESC, id DESC LIMIT ?", (customer_id, limit))
        return [LoginAttempt(_dt(r[0]), r[1], r[2], bool(r[3]), r[4], r[5]) for r in rows]

    async def list_loans(self, customer_id: str) -> list[Loan]:
        await self._require_customer(customer_id)
        rows = await self._all(
            "SELECT loan_id, customer_id, kind, principal_paise, outstanding_paise, emi_paise, next_emi_date, "
            "rate_percent, tenure_months FROM loans WHERE customer_id = ? ORDER BY loan_id", (customer_id,))
        return [Loan(r[0], r[1], r[2], _rupees(r[3]), _rupees(r[4]), _rupees(r[5]), r[6], Decimal(r[7]), r[8])
                for r in rows]

    async def list_sips(self, customer_id: str) -> list[Sip]:
        await self._require_customer(customer_id)
        rows = await self._all(
            "SELECT sip_id, customer_id, fund_name, amount_paise, day_of_month, status, units_held, nav, nav_date "
            "FROM sips WHERE customer_id = ? ORDER BY sip_id", (customer_id,))
        return [Sip(r[0], r[1], r[2], _rupees(r[3]), r[4], r[5], Decimal(r[6]), Decimal(r[7]), r[8])
                for r in rows]


_CUSTOMER_COLS = ("customer_id, name, mobile, email, preferred_language, kyc_status, city, date_of_birth, "
                  "preferences")
_ACCOUNT_COLS = "account_id, customer_id, kind, number_last4, status, status_reason, branch_ifsc, opened_on"
_CARD_COLS = "card_id, customer_id, account_id, kind, network, last4, status, expires"


async def _enable_wal(conn: aiosqlite.Connection) -> None:
    """Switch to WAL (persistent in the file). SQLite does not apply busy_timeout to this switch, so
    processes opening a fresh file together get "database is locked": retry briefly, bounded."""
    for attempt in range(100):
        try:
            await conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as e:
            if "locked" not in str(e) or attempt == 99:
                raise
            await asyncio.sleep(0.05)


def _customer(r: tuple) -> Customer:
    return Customer(*r[:8], json.loads(r[8]))


async def _insert_seed(conn: aiosqlite.Connection, seed: Seed) -> None:
    await conn.executemany("INSERT INTO customers VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", [
        (c.customer_id, c.name, c.mobile, c.email, c.preferred_language, c.kyc_status, c.city, c.date_of_birth,
         json.dumps(c.preferences, sort_keys=True)) for c in seed.customers])
    await conn.executemany("INSERT INTO accounts VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", [
        (a.account_id, a.customer_id, a.kind, a.number_last4, a.status, a.status_reason, a.branch_ifsc,
         a.opened_on, _paise(seed.ledgers[a.account_id])) for a in seed.accounts])
    await conn.executemany("INSERT INTO limits VALUES (?, ?, ?, ?, ?, ?)", [
        (x.account_id, _paise(x.upi_daily), _paise(x.imps_daily), _paise(x.atm_daily), _paise(x.pos_daily),
         _paise(x.online_daily)) for x in seed.limits])
    await conn.executemany("INSERT INTO holds VALUES (?, ?, ?, ?, ?, ?, ?)", [
        (h.hold_id, h.account_id, h.kind, _paise(h.amount), h.reason, _ts(h.placed_at),
         None if h.expires_at is None else _ts(h.expires_at)) for h in seed.holds])
    await conn.executemany("INSERT INTO transactions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", [
        (t.txn_id, t.account_id, _ts(t.posted_at), _paise(t.amount), t.direction, t.channel, t.narration,
         t.merchant, t.category, t.status, t.reference, t.card_id) for t in seed.transactions])
    await conn.executemany("INSERT INTO cards VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", [
        (k.card_id, k.customer_id, k.account_id, k.kind, k.network, k.last4, k.status, k.expires,
         *(seed.card_blocks.get(k.card_id) or (None, None)), None) for k in seed.cards])
    await conn.executemany("INSERT INTO devices VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", [
        (d.device_id, d.customer_id, d.model, d.os, d.app_version, _ts(d.first_seen), _ts(d.last_seen),
         int(d.trusted), d.last_location) for d in seed.devices])
    await conn.executemany(
        "INSERT INTO login_attempts (at, customer_id, device_id, success, reason, location) VALUES (?, ?, ?, ?, ?, ?)",
        [(_ts(g.at), g.customer_id, g.device_id, int(g.success), g.reason, g.location) for g in seed.login_attempts])
    await conn.executemany("INSERT INTO loans VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", [
        (ln.loan_id, ln.customer_id, ln.kind, _paise(ln.principal), _paise(ln.outstanding), _paise(ln.emi),
         ln.next_emi_date, format(ln.rate_percent, "f"), ln.tenure_months) for ln in seed.loans])
    await conn.executemany("INSERT INTO sips VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", [
        (s.sip_id, s.customer_id, s.fund_name, _paise(s.amount), s.day_of_month, s.status,
         format(s.units_held, "f"), format(s.nav, "f"), s.nav_date) for s in seed.sips])
