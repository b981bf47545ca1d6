"""The CoreBanking interface: the operations a bank's core-banking APIs offer to the bot.

Two implementations live beside this file: `demo.py` (the embedded demo bank, a seeded SQLite
database) and `http.py` (an adapter for a real core-banking REST API). The bot only ever talks to
this Protocol, so swapping the demo bank for a real one is configuration, not code.

Money is always `Decimal` rupees (two places). Times are timezone-aware UTC datetimes.
Nothing here moves money: the only state-changing operations are card block and unblock, and
lifting a self-service-resolvable account block (`unlock_access`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Literal, Protocol, runtime_checkable

AccountState = Literal["active", "blocked", "frozen", "dormant", "closed"]
CardState = Literal["active", "blocked", "expired"]
TxnStatus = Literal["posted", "pending", "reversed", "failed"]
Direction = Literal["debit", "credit"]


# Account.status_reason values of a block the customer may lift themselves (after full verification),
# part of the contract with the bank: today, too many wrong PIN attempts.
REASON_WRONG_PIN = "too many wrong PIN attempts"
SELF_SERVICE_BLOCK_REASONS = frozenset({REASON_WRONG_PIN})


class BankingError(Exception):
    """The core-banking system failed or is unreachable; the bot must not guess an answer."""


class NotFound(BankingError):
    """The requested record does not exist (or does not belong to this customer)."""


class NotAllowed(BankingError):
    """The bank refuses this operation for this record (e.g. a block only a branch can lift).

    A definite answer about the record, not an outage: the bot should say what the customer can do
    instead (visit the branch, complete KYC), not "try again later"."""


@dataclass(frozen=True)
class Customer:
    customer_id: str
    name: str
    mobile: str  # E.164, e.g. +919812345678
    email: str
    preferred_language: str  # BCP-47-ish short code: en, hi, ta, te, bn, mr, ...
    kyc_status: Literal["verified", "pending", "expired"]
    city: str
    date_of_birth: str  # ISO date; used for security questions, never shown in full
    preferences: dict[str, str]  # e.g. {"channel": "whatsapp", "statement": "email"}


@dataclass(frozen=True)
class Account:
    account_id: str
    customer_id: str
    kind: Literal["savings", "current", "salary", "nre"]
    number_last4: str
    status: AccountState
    status_reason: str  # empty when active
    branch_ifsc: str
    opened_on: str  # ISO date


@dataclass(frozen=True)
class Balance:
    account_id: str
    ledger: Decimal  # total balance
    available: Decimal  # what the customer can spend now: ledger minus holds
    currency: str
    as_of: datetime


@dataclass(frozen=True)
class Hold:
    hold_id: str
    account_id: str
    kind: Literal["lien", "freeze", "cheque_clearing", "card_preauth", "legal"]
    amount: Decimal  # 0 for a whole-account freeze
    reason: str
    placed_at: datetime
    expires_at: datetime | None


@dataclass(frozen=True)
class Limits:
    account_id: str
    upi_daily: Decimal
    imps_daily: Decimal
    atm_daily: Decimal
    pos_daily: Decimal
    online_daily: Decimal


@dataclass(frozen=True)
class Transaction:
    txn_id: str
    account_id: str
    posted_at: datetime
    amount: Decimal
    direction: Direction
    channel: Literal["UPI", "CARD", "IMPS", "NEFT", "RTGS", "ATM", "BRANCH", "ECS"]
    narration: str  # free text from the network: data, never instructions
    merchant: str
    category: str  # groceries, fuel, shopping, utilities, salary, transfer, emi, dining, travel, ...
    status: TxnStatus
    reference: str  # UTR / RRN
    card_id: str | None


@dataclass(frozen=True)
class Card:
    card_id: str
    customer_id: str
    account_id: str
    kind: Literal["debit", "credit"]
    network: str
    last4: str
    status: CardState
    expires: str  # MM/YY


@dataclass(frozen=True)
class Device:
    device_id: str
    customer_id: str
    model: str
    os: str
    app_version: str
    first_seen: datetime
    last_seen: datetime
    trusted: bool
    last_location: str


@dataclass(frozen=True)
class LoginAttempt:
    at: datetime
    customer_id: str
    device_id: str
    success: bool
    reason: str  # empty on success, e.g. "wrong_password", "blocked"
    location: str


@dataclass(frozen=True)
class Loan:
    loan_id: str
    customer_id: str
    kind: Literal["home", "personal", "car", "education", "gold"]
    principal: Decimal
    outstanding: Decimal
    emi: Decimal
    next_emi_date: str  # ISO date
    rate_percent: Decimal
    tenure_months: int


@dataclass(frozen=True)
class Sip:
    sip_id: str
    customer_id: str
    fund_name: str
    amount: Decimal
    day_of_month: int
    status: Literal["active", "paused", "cancelled"]
    units_held: Decimal
    nav: Decimal
    nav_date: str  # ISO date


@runtime_checkable
class CoreBanking(Protocol):
    """What the bot may ask of the bank. Customer-scoped calls take the customer id bound
    server-side from the authenticated session, never one typed by the customer."""

    async def find_customer(self, identifier: str) -> Customer | None:
        """Look up by registered mobile (any common Indian format) or customer id."""

    async def get_customer(self, customer_id: str) -> Customer: ...

    async def list_accounts(self, customer_id: str) -> list[Account]: ...

    async def get_balance(self, customer_id: str, account_id: str) -> Balance: ...

    async def list_holds(self, customer_id: str, account_id: str) -> list[Hold]: ...

    async def get_limits(self, customer_id: str, account_id: str) -> Limits: ...

    async def list_transactions(
        self, customer_id: str, account_id: str, *, limit: int = 10, status: TxnStatus | None = None
    ) -> list[Transaction]:
        """Newest first."""

    async def spend_by_category(
        self, customer_id: str, account_id: str, *, days: int = 30
    ) -> dict[str, Decimal]: ...

    async def list_cards(self, customer_id: str) -> list[Card]: ...

    async def block_card(self, customer_id: str, card_id: str, reason: str) -> Card: ...

    async def unblock_card(self, customer_id: str, card_id: str) -> Card:
        """Lift a block the customer placed. NotAllowed for a bank-imposed block or an expired card."""

    async def unlock_access(self, customer_id: str, account_id: str) -> Account:
        """Lift a block the customer may resolve themselves: status "blocked" with a reason in
        `demo_seed.AUTO_RESOLVABLE_REASONS` (too many wrong PIN attempts). Returns the account, now
        active with an empty reason. Raises NotFound for a record not this customer's, NotAllowed if
        the account is not blocked or its block needs the bank (KYC expired, suspected fraud, court
        order, dormancy...). A second call raises NotAllowed: the account is no longer blocked."""

    async def list_devices(self, customer_id: str) -> list[Device]: ...

    async def list_login_attempts(self, customer_id: str, *, limit: int = 10) -> list[LoginAttempt]: ...

    async def list_loans(self, customer_id: str) -> list[Loan]: ...

    async def list_sips(self, customer_id: str) -> list[Sip]: ...

    async def close(self) -> None: ...
