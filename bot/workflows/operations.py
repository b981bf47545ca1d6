"""The allow-list of operations a workflow may call (`api_call`, `ai_analysis`), and how each is bound.

A workflow names an operation; it never reaches the bank, the notifier or the case store any other
way. Each operation declares:

- `auth`: the least verification the conversation must hold *at the moment of the call* ("light": the
  customer is identified by their registered mobile or a security answer; "full": OTP-verified). The
  engine checks it server-side before every call, whatever the YAML says.
- `changes_state`: the workflow loader refuses a file where such a call can be reached without the
  customer's "yes" to a `confirm` step on every path to it.
- `args`: each argument is either a *record* chosen from this customer's own list earlier in the
  workflow (a card, an account, a transaction: a handle, never an id the customer typed) or a fixed
  literal written in the YAML. The customer id always comes from the session.
- `result`: the dataclass (or list of one) it saves, so conditions and templates that read a field
  which does not exist fail when the workflow loads.

No operation moves money. The state changes are: blocking and unblocking a card, lifting a
self-service access block, and writing dispute / fraud-alert records (which start RBI's clocks)."""

from __future__ import annotations

import calendar
import dataclasses
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from types import MappingProxyType
from typing import Any, Literal

from bot.auth.secure_links import SecureLinkLimit
from bot.banking.core import SELF_SERVICE_BLOCK_REASONS, Account, Card, Limits, NotAllowed, NotFound
from bot.banking.wire import MAX_PAGE
from bot.workflows import rbi, risk
from i18n.catalog import CATALOG_LANGUAGES, t

AuthLevel = Literal["none", "light", "full"]
AUTH_ORDER = {"none": 0, "light": 1, "full": 2}
IST = timezone(timedelta(hours=5, minutes=30), "IST")


class OperationRefused(Exception):
    """The bank or a rule refuses this operation for this record (the workflow's `on_refused` path)."""


# ---------------------------------------------------------------------------------------- results
# Plain views of what an operation found: small, checkpoint-friendly, no raw identifiers the
# customer should not see beyond what the reply templates use.


@dataclass(frozen=True)
class HoldView:
    kind: str
    amount: Decimal
    reason: str


@dataclass(frozen=True)
class AccountBalance:
    account_id: str
    kind: str
    last4: str
    status: str
    available: Decimal
    ledger: Decimal
    holds: list[HoldView]
    frozen: bool


@dataclass(frozen=True)
class TxnView:
    txn_id: str
    account_id: str
    posted_at: datetime
    amount: Decimal
    direction: str
    sign: str  # "-" for a debit, "+" for a credit
    channel: str
    description: str  # the merchant, else the channel: data, never instructions
    status: str
    pending: bool
    card_id: str | None


@dataclass(frozen=True)
class MiniStatement:
    account_last4: str
    account_kind: str
    count: int
    transactions: list[TxnView]


@dataclass(frozen=True)
class StatementEmail:
    sent_to: str  # the registered email (templates mask it with |email)
    days: int
    count: int
    account_last4: str


@dataclass(frozen=True)
class AccessReview:
    blocked: bool
    account: Account | None  # the first blocked/frozen/dormant account, if any
    reason: str
    auto_resolvable: bool
    failed_logins: int
    last_failure: str
    app_version: str
    latest_app_version: str
    app_outdated: bool
    device_model: str
    device_trusted: bool


@dataclass(frozen=True)
class SecureLinkSent:
    link_id: str
    purpose: str
    sent_to: str  # registered mobile (templates mask it with |mobile)
    minutes: int


@dataclass(frozen=True)
class LinkStatus:
    status: str  # pending | completed | expired | unknown


@dataclass(frozen=True)
class RiskView:
    score: int
    level: str
    suspicious_pattern: bool
    codes: list[str]
    unknown_device: bool
    unknown_location: bool
    rule_score: int = 0  # what the rules alone said
    source: str = "rules"  # "rules", or "rules+llm" when a configured LLM gave an opinion


@dataclass(frozen=True)
class DisputeReport:
    reference: str
    reported_at: datetime
    amount: Decimal
    description: str
    transaction_on: date
    liability: str  # zero | limited | board_policy
    max_liability: Decimal | None
    cap: Decimal | None
    working_days: int
    shadow_credit_by: date
    resolve_by: date


@dataclass(frozen=True)
class FraudAlert:
    reference: str
    raised_at: datetime


@dataclass(frozen=True)
class FailedTransferView:
    channel: str
    amount: Decimal
    transaction_on: date
    reverse_by: date
    days_late: int
    compensation_per_day: Decimal
    compensation_due: Decimal
    within_tat: bool


@dataclass(frozen=True)
class SipView:
    fund_name: str
    units: Decimal
    nav: Decimal
    nav_date: str
    value: Decimal
    amount: Decimal
    day_of_month: int
    status: str


@dataclass(frozen=True)
class Portfolio:
    total_value: Decimal
    count: int
    sips: list[SipView]


@dataclass(frozen=True)
class EmiDue:
    due_on: date
    amount: Decimal


@dataclass(frozen=True)
class LoanView:
    loan_id: str
    kind: str
    principal: Decimal
    outstanding: Decimal
    emi: Decimal
    next_emi_date: str
    rate_percent: Decimal
    tenure_months: int
    upcoming: list[EmiDue]  # the EMI schedule ahead: the next EMI_SCHEDULE_MONTHS dues


# ------------------------------------------------------------------------------------ the binding


@dataclass
class Call:
    """What one operation call gets: the session's customer, the resolved arguments, the turn."""

    ctx: Any  # TurnContext
    customer_id: str
    args: Mapping[str, Any]
    language: str

    @property
    def services(self) -> Any:
        return self.ctx.services

    @property
    def bank(self) -> Any:
        return self.ctx.services.bank

    @property
    def now(self) -> datetime:
        return datetime.fromtimestamp(self.ctx.now, timezone.utc)


@dataclass(frozen=True)
class Operation:
    name: str
    auth: AuthLevel
    changes_state: bool
    result: Any  # a dataclass type, or list[dataclass]
    run: Callable[[Call], Awaitable[Any]]
    records: Mapping[str, type] = field(default_factory=dict)  # argument -> record type (a handle)
    literals: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # argument -> allowed values
    description: str = ""


def to_plain(value: Any) -> Any:
    """Dataclasses -> dicts (recursively); lists stay lists; everything else as is."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (list, tuple)):
        return [to_plain(v) for v in value]
    return value


def _txn_view(txn: Any) -> TxnView:
    return TxnView(txn.txn_id, txn.account_id, txn.posted_at, txn.amount, txn.direction,
                   "-" if txn.direction == "debit" else "+", txn.channel,
                   (txn.merchant or txn.channel)[:40], txn.status, txn.status == "pending", txn.card_id)


async def _open_accounts(call: Call) -> list[Account]:
    call.ctx.tools.append("core.list_accounts")
    return [a for a in await call.bank.list_accounts(call.customer_id) if a.status != "closed"]


async def _own_card(call: Call, record: Mapping[str, Any]) -> Card:
    # The handle was saved from this customer's own list; re-read it from the bank for this customer
    # so a record from another conversation or a stale one can never act on somebody else's card.
    call.ctx.tools.append("core.list_cards")
    for card in await call.bank.list_cards(call.customer_id):
        if card.card_id == record.get("card_id"):
            return card
    raise NotFound("card")


async def _own_transaction(call: Call, record: Mapping[str, Any]) -> Any:
    account_id = str(record.get("account_id") or "")
    call.ctx.tools.append("core.list_transactions")
    for txn in await call.bank.list_transactions(call.customer_id, account_id, limit=50):
        if txn.txn_id == record.get("txn_id"):
            return txn
    # A pending or failed transfer from further back (failed_transfers looks back 90 days): among its status.
    status = record.get("status")
    if status in ("pending", "failed"):
        for txn in await call.bank.list_transactions(call.customer_id, account_id, limit=MAX_PAGE, status=status):
            if txn.txn_id == record.get("txn_id"):
                return txn
    raise NotFound("transaction")


# --------------------------------------------------------------------------------- the operations


async def _account_balances(call: Call) -> list[AccountBalance]:
    out = []
    for account in (await _open_accounts(call))[:3]:
        call.ctx.tools += ["core.get_balance", "core.list_holds"]
        bal = await call.bank.get_balance(call.customer_id, account.account_id)
        holds = await call.bank.list_holds(call.customer_id, account.account_id)
        out.append(AccountBalance(account.account_id, account.kind, account.number_last4, account.status,
                                  bal.available, bal.ledger, [HoldView(h.kind, h.amount, h.reason) for h in holds],
                                  any(h.kind == "freeze" for h in holds)))
    return out


async def _mini_statement(call: Call) -> MiniStatement | None:
    accounts = await _open_accounts(call)
    if not accounts:
        return None
    account = accounts[0]
    call.ctx.tools.append("core.list_transactions")
    txns = await call.bank.list_transactions(call.customer_id, account.account_id, limit=5)
    return MiniStatement(account.number_last4, account.kind, len(txns), [_txn_view(t) for t in txns])


async def _email_statement(call: Call) -> StatementEmail | None:
    accounts = await _open_accounts(call)
    if not accounts:
        return None
    account = accounts[0]
    call.ctx.tools += ["core.get_customer", "core.list_transactions", "notify.email"]
    customer = await call.bank.get_customer(call.customer_id)
    if not customer.email:
        raise OperationRefused("no registered email")
    since = call.now - timedelta(days=30)
    # The bank pages at most MAX_PAGE rows (a larger limit is refused as a programming error).
    txns = [t for t in await call.bank.list_transactions(call.customer_id, account.account_id, limit=MAX_PAGE)
            if t.posted_at >= since]
    lines = [f"{call.services.persona.bank_name}: statement of account ending {account.number_last4}",
             f"Period: last 30 days, to {call.now.astimezone(IST):%d %b %Y}", ""]
    for txn in txns:
        sign = "-" if txn.direction == "debit" else "+"
        lines.append(f"{txn.posted_at.astimezone(IST):%d %b %Y}  {sign}{txn.amount:>12}  {txn.channel:<6} "
                     f"{(txn.merchant or txn.channel)[:40]}  {txn.status}")
    lines += ["", f"{len(txns)} transactions. This statement was requested in a chat with "
              f"{call.services.persona.bank_name}; if it wasn't you, call the bank."]
    await call.services.notifier.send_email(customer.email, f"Your statement for account ending "
                                            f"{account.number_last4}", "\n".join(lines))
    return StatementEmail(customer.email, 30, len(txns), account.number_last4)


async def _list_cards(call: Call) -> list[Card]:
    call.ctx.tools.append("core.list_cards")
    return await call.bank.list_cards(call.customer_id)


async def _block_card(call: Call) -> Card:
    card = await _own_card(call, call.args["card"])
    call.ctx.tools.append("core.block_card")
    return await call.bank.block_card(call.customer_id, card.card_id, "blocked by the customer in chat")


async def _unblock_card(call: Call) -> Card:
    card = await _own_card(call, call.args["card"])
    call.ctx.tools.append("core.unblock_card")
    try:
        return await call.bank.unblock_card(call.customer_id, card.card_id)
    except NotAllowed as e:  # a bank-imposed block or an expired card: a person decides
        raise OperationRefused("unblock refused") from e


async def _card_limits(call: Call) -> Limits:
    card = await _own_card(call, call.args["card"])
    call.ctx.tools.append("core.get_limits")
    return await call.bank.get_limits(call.customer_id, card.account_id)


# The newest app release the bank publishes (a real deployment reads it from settings or the bank).
LATEST_APP_VERSION = "5.12.0"


def _version(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(p) for p in text.split(".")[:3])
    except ValueError:
        return (0,)


async def _access_review(call: Call) -> AccessReview:
    accounts = await _open_accounts(call)
    call.ctx.tools += ["core.list_login_attempts", "core.list_devices"]
    logins = await call.bank.list_login_attempts(call.customer_id, limit=10)
    devices = await call.bank.list_devices(call.customer_id)
    blocked = next((a for a in accounts if a.status in ("blocked", "frozen", "dormant")), None)
    recent = [g for g in logins if call.now - g.at <= timedelta(days=7)]
    failures = [g for g in recent if not g.success]
    device = max(devices, key=lambda d: d.last_seen, default=None)
    app = device.app_version if device else ""
    return AccessReview(
        blocked=blocked is not None, account=blocked,
        reason=blocked.status_reason if blocked else "",
        auto_resolvable=bool(blocked and blocked.status == "blocked" and blocked.status_reason in SELF_SERVICE_BLOCK_REASONS),
        failed_logins=len(failures), last_failure=failures[0].reason if failures else "",
        app_version=app, latest_app_version=LATEST_APP_VERSION,
        app_outdated=bool(app) and _version(app) < _version(LATEST_APP_VERSION),
        device_model=device.model if device else "", device_trusted=bool(device and device.trusted))


async def _unlock_access(call: Call) -> Account:
    call.ctx.tools.append("core.unlock_access")
    try:
        return await call.bank.unlock_access(call.customer_id, str(call.args["account"].get("account_id") or ""))
    except NotAllowed as e:
        raise OperationRefused("unlock refused") from e


async def _secure_link(call: Call) -> SecureLinkSent:
    links = getattr(call.services, "secure_links", None)
    if links is None:
        raise OperationRefused("secure links are not configured")
    purpose = call.args["purpose"]
    call.ctx.tools += ["links.issue", "core.get_customer", "notify.sms"]
    customer = await call.bank.get_customer(call.customer_id)
    try:
        issued = await links.issue(customer_id=call.customer_id, purpose=purpose,
                                   conversation=call.ctx.conversation, now=call.ctx.now)
    except SecureLinkLimit as e:
        raise OperationRefused("too many links") from e
    minutes = max(1, int((issued.expires_at - call.ctx.now) // 60))
    # The SMS is in the customer's own language (the catalog has every language a persona may speak).
    language = customer.preferred_language if customer.preferred_language in CATALOG_LANGUAGES else "en"
    await call.services.notifier.send_sms(customer.mobile, t(
        f"link_sms_{purpose}", language, bank=call.services.persona.bank_name, url=issued.url, minutes=minutes))
    return SecureLinkSent(issued.link_id, purpose, customer.mobile, minutes)


async def _secure_link_status(call: Call) -> LinkStatus:
    links = getattr(call.services, "secure_links", None)
    if links is None:
        return LinkStatus("unknown")
    call.ctx.tools.append("links.status")
    return LinkStatus(await links.status(str(call.args["link"].get("link_id") or ""), now=call.ctx.now))


async def _disputable_transactions(call: Call) -> list[TxnView]:
    out: list[TxnView] = []
    for account in await _open_accounts(call):
        call.ctx.tools.append("core.list_transactions")
        txns = await call.bank.list_transactions(call.customer_id, account.account_id, limit=30)
        out += [_txn_view(t) for t in txns if t.direction == "debit" and t.status != "reversed"
                and call.now - t.posted_at <= timedelta(days=90)]
    out.sort(key=lambda v: v.posted_at, reverse=True)
    return out[:6]


async def _failed_transfers(call: Call) -> list[TxnView]:
    # Every pending or failed UPI / IMPS debit of the last 90 days, not only those among the newest
    # debits: a transfer that failed a week ago is still owed its reversal and compensation.
    out: list[TxnView] = []
    for account in await _open_accounts(call):
        for status in ("pending", "failed"):
            call.ctx.tools.append("core.list_transactions")
            txns = await call.bank.list_transactions(call.customer_id, account.account_id, limit=MAX_PAGE,
                                                     status=status)
            out += [_txn_view(t) for t in txns if t.direction == "debit" and t.channel in ("UPI", "IMPS")
                    and call.now - t.posted_at <= timedelta(days=90)]
    out.sort(key=lambda v: v.posted_at, reverse=True)
    return out[:6]


async def _facts_for(call: Call, txn: Any) -> tuple[list, list, list]:
    call.ctx.tools += ["core.list_transactions", "core.list_devices", "core.list_login_attempts"]
    history = await call.bank.list_transactions(call.customer_id, txn.account_id, limit=100)
    devices = await call.bank.list_devices(call.customer_id)
    logins = await call.bank.list_login_attempts(call.customer_id, limit=50)
    return history, devices, logins


def _risk_view(assessment: risk.RiskAssessment) -> RiskView:
    codes = list(assessment.codes)
    return RiskView(assessment.score, assessment.level, assessment.suspicious_pattern, codes,
                    any(c in codes for c in ("new_device_recent", "unknown_device")),
                    any(c in codes for c in ("new_location", "first_international")),
                    rule_score=assessment.score)


async def _with_llm(call: Call, kind: str, view: RiskView, facts: dict[str, Any]) -> RiskView:
    """The rules' view, made more cautious (never less) by a configured LLM's opinion (llm_scorer.py)."""
    llm = getattr(call.services, "llm", None)
    if llm is None:
        return view
    call.ctx.tools.append("llm.assess")
    opinion = await llm.assess(kind, {**facts, "rule_score": view.score, "rule_level": view.level,
                                      "rule_codes": view.codes, "rule_suspicious": view.suspicious_pattern})
    if opinion is None:
        return view
    score = max(view.score, opinion.score)
    codes = view.codes + (["llm_opinion"] if opinion.score > view.score or
                          (opinion.suspicious and not view.suspicious_pattern) else [])
    return dataclasses.replace(view, score=score, level=risk.level_for(score), codes=codes,
                               suspicious_pattern=view.suspicious_pattern or opinion.suspicious,
                               source="rules+llm")


def _txn_facts(txn: Any, devices: list, logins: list, now: datetime) -> dict[str, Any]:
    # Numbers, flags and codes only: no ids, names, merchants or narrations leave the bank (llm_scorer.py).
    week = [g for g in logins if now - g.at <= timedelta(days=7)]
    return {"amount_inr": str(txn.amount), "channel": txn.channel, "direction": txn.direction,
            "status": txn.status, "hour_ist": txn.posted_at.astimezone(IST).hour,
            "days_ago": (now - txn.posted_at).days, "trusted_devices": sum(1 for d in devices if d.trusted),
            "untrusted_devices": sum(1 for d in devices if not d.trusted),
            "failed_sign_ins_7d": sum(1 for g in week if not g.success)}


async def _transaction_risk(call: Call) -> RiskView:
    txn = await _own_transaction(call, call.args["txn"])
    history, devices, logins = await _facts_for(call, txn)
    view = _risk_view(risk.assess_transaction(txn, history=history, devices=devices, logins=logins, now=call.now))
    return await _with_llm(call, "card or account transaction", view, _txn_facts(txn, devices, logins, call.now))


async def _login_risk(call: Call) -> RiskView:
    call.ctx.tools += ["core.list_login_attempts", "core.list_devices"]
    logins = await call.bank.list_login_attempts(call.customer_id, limit=50)
    devices = await call.bank.list_devices(call.customer_id)
    view = _risk_view(risk.assess_login_activity(logins, devices, call.now))
    trusted = {d.device_id for d in devices if d.trusted}
    week = [g for g in logins if call.now - g.at <= timedelta(days=7)]
    facts = {"sign_ins_7d": len(week), "failed_7d": sum(1 for g in week if not g.success),
             "from_untrusted_devices_7d": sum(1 for g in week if g.device_id not in trusted),
             "night_sign_ins_7d": sum(1 for g in week if g.at.astimezone(IST).hour < 5)}
    return await _with_llm(call, "set of sign-in attempts", view, facts)


def _holidays(call: Call) -> tuple[date, ...]:
    return tuple(getattr(call.services, "holidays", ()) or ())


async def _record_dispute(call: Call) -> DisputeReport:
    txn = await _own_transaction(call, call.args["txn"])
    account = next((a for a in await _open_accounts(call) if a.account_id == txn.account_id), None)
    kind = account.kind if account else "savings"
    reported_at = call.now
    today = reported_at.astimezone(IST).date()
    txn_day = txn.posted_at.astimezone(IST).date()
    liability = rbi.customer_liability(account_kind=kind, amount=txn.amount, transaction_on=txn_day,
                                       reported_on=today, holidays=_holidays(call))
    timeline = rbi.dispute_timeline(today, holidays=_holidays(call))
    if call.args["about"] == "failed_transfer":
        # Not an unauthorised transaction: the customer's own transfer that never arrived (RBI's TAT rules).
        status = rbi.failed_transfer(channel=txn.channel, transaction_on=txn_day, today=today)
        reason = "failed_transfer"
        summary = (f"Complaint: {txn.channel} transfer of Rs {txn.amount} on {txn_day.isoformat()} (txn {txn.txn_id}) "
                   f"debited but not credited; reversal due by {status.reverse_by.isoformat()}; {status.days_late} "
                   f"day(s) late, compensation Rs {status.compensation_due} so far; resolve by "
                   f"{timeline.resolve_by.isoformat()}")
    else:
        reason = "transaction_dispute"
        summary = (f"Dispute of a {txn.channel} debit of Rs {txn.amount} on {txn_day.isoformat()} "
                   f"(txn {txn.txn_id}); liability {liability.kind}; shadow credit by "
                   f"{timeline.shadow_credit_by.isoformat()}; resolve by {timeline.resolve_by.isoformat()}")
    # Written (and committed) before the customer hears anything: this timestamp starts RBI's clocks.
    call.ctx.tools.append("cases.open_dispute")
    case = await call.services.cases.open_case(
        kind="dispute", channel=call.ctx.channel, conversation=call.ctx.conversation,
        customer_id=call.customer_id, reason=reason, priority="high",
        tier="standard", summary=summary, team="disputes")
    return DisputeReport(case.reference, datetime.fromtimestamp(case.created_at, timezone.utc), txn.amount,
                         (txn.merchant or txn.channel)[:40], txn_day, liability.kind, liability.max_liability,
                         liability.cap, liability.working_days, timeline.shadow_credit_by, timeline.resolve_by)


async def _raise_fraud_alert(call: Call) -> FraudAlert:
    txn = await _own_transaction(call, call.args["txn"])
    call.ctx.tools.append("cases.open_fraud_alert")
    case = await call.services.cases.open_case(
        kind="fraud", channel=call.ctx.channel, conversation=call.ctx.conversation,
        customer_id=call.customer_id, reason="suspected_fraud", priority="urgent", tier="standard",
        summary=f"Fraud alert: suspicious {txn.channel} debit of Rs {txn.amount} (txn {txn.txn_id}); "
                "card blocked by the bot on the customer's confirmed report", team="fraud")
    return FraudAlert(case.reference, datetime.fromtimestamp(case.created_at, timezone.utc))


async def _block_transaction_card(call: Call) -> Card | None:
    """Block the card a disputed card transaction was made with (suspicious pattern: protect first)."""
    txn = await _own_transaction(call, call.args["txn"])
    if not txn.card_id:
        return None
    call.ctx.tools.append("core.block_card")
    return await call.bank.block_card(call.customer_id, txn.card_id, "suspected fraud reported in chat")


async def _failed_transfer_status(call: Call) -> FailedTransferView:
    txn = await _own_transaction(call, call.args["txn"])
    if txn.channel not in ("UPI", "IMPS"):
        raise OperationRefused("not a UPI or IMPS transfer")
    day = txn.posted_at.astimezone(IST).date()
    status = rbi.failed_transfer(channel=txn.channel, transaction_on=day, today=call.now.astimezone(IST).date(),
                                 reversed_on=None)
    return FailedTransferView(txn.channel, txn.amount, day, status.reverse_by, status.days_late,
                              status.compensation_per_day, status.compensation_due, status.within_tat)


async def _portfolio(call: Call) -> Portfolio:
    call.ctx.tools.append("core.list_sips")
    sips = [s for s in await call.bank.list_sips(call.customer_id) if s.status != "cancelled" or s.units_held]
    views = [SipView(s.fund_name, s.units_held, s.nav, s.nav_date, (s.units_held * s.nav).quantize(Decimal("0.01")),
                     s.amount, s.day_of_month, s.status) for s in sips]
    return Portfolio(sum((v.value for v in views), Decimal("0.00")), len(views), views)


EMI_SCHEDULE_MONTHS = 3


def emi_schedule(next_due: str, emi: Decimal, outstanding: Decimal, months: int = EMI_SCHEDULE_MONTHS) -> list[EmiDue]:
    """The next `months` EMIs: same day each month (clipped to the month's end), the last one no more than
    what is left to pay (principal only: the bank's own schedule splits interest, which it does not expose)."""
    try:
        first = date.fromisoformat(next_due)
    except ValueError:
        return []
    dues, left = [], outstanding
    for k in range(months):
        if left <= 0:
            break
        month0 = first.month - 1 + k
        year, month = first.year + month0 // 12, month0 % 12 + 1
        day = min(first.day, calendar.monthrange(year, month)[1])
        amount = min(emi, left)
        dues.append(EmiDue(date(year, month, day), amount))
        left -= amount
    return dues


async def _list_loans(call: Call) -> list[LoanView]:
    call.ctx.tools.append("core.list_loans")
    return [LoanView(x.loan_id, x.kind, x.principal, x.outstanding, x.emi, x.next_emi_date, x.rate_percent,
                     x.tenure_months, emi_schedule(x.next_emi_date, x.emi, x.outstanding))
            for x in await call.bank.list_loans(call.customer_id)]


_TXN = {"txn": TxnView}
OPERATIONS: Mapping[str, Operation] = MappingProxyType({op.name: op for op in (
    Operation("account_balances", "full", False, list[AccountBalance], _account_balances,
              description="balances and holds of up to three open accounts"),
    Operation("mini_statement", "full", False, MiniStatement | None, _mini_statement,
              description="the last five transactions of the primary account"),
    Operation("email_statement", "full", False, StatementEmail | None, _email_statement,
              description="30 days' statement sent to the registered email"),
    Operation("list_cards", "light", False, list[Card], _list_cards),
    Operation("block_card", "light", True, Card, _block_card, records={"card": Card}),
    Operation("unblock_card", "full", True, Card, _unblock_card, records={"card": Card}),
    Operation("card_limits", "full", False, Limits, _card_limits, records={"card": Card}),
    Operation("access_review", "full", False, AccessReview, _access_review,
              description="account status, recent sign-ins, app version and device"),
    Operation("unlock_access", "full", True, Account, _unlock_access, records={"account": Account}),
    Operation("secure_link", "full", False, SecureLinkSent, _secure_link,
              literals={"purpose": ("password_reset", "pin_change", "card_limits")},
              description="a single-use link to a bank page, sent by SMS to the registered mobile"),
    Operation("secure_link_status", "full", False, LinkStatus, _secure_link_status,
              records={"link": SecureLinkSent}),
    Operation("disputable_transactions", "full", False, list[TxnView], _disputable_transactions),
    Operation("failed_transfers", "full", False, list[TxnView], _failed_transfers),
    Operation("failed_transfer_status", "full", False, FailedTransferView, _failed_transfer_status, records=_TXN),
    Operation("record_dispute", "full", True, DisputeReport, _record_dispute, records=_TXN,
              literals={"about": ("unauthorised_transaction", "failed_transfer")}),
    Operation("raise_fraud_alert", "full", True, FraudAlert, _raise_fraud_alert, records=_TXN),
    Operation("block_transaction_card", "full", True, Card | None, _block_transaction_card, records=_TXN),
    Operation("portfolio", "full", False, Portfolio, _portfolio),
    Operation("list_loans", "full", False, list[LoanView], _list_loans),
)})

# The scorers of `ai_analysis` steps. Rule-based and local (bot/workflows/risk.py).
SCORERS: Mapping[str, Operation] = MappingProxyType({op.name: op for op in (
    Operation("transaction_risk", "full", False, RiskView, _transaction_risk, records=_TXN),
    Operation("login_risk", "full", False, RiskView, _login_risk),
)})
