"""The General Support Agent's graph with the Balance & Statement workflow.

Each turn enters at `understand`, which reads the customer's words from the turn context, settles
the language and intent, and routes by where the conversation is (`step`). Authentication is a
gate every account tool passes, computed server-side each turn from `verified_at`:

    understand ─┬─ greet / fallback / escalate
                ├─ await_identity ─> identify ─> send_otp            (step = await_otp)
                ├─ await_otp ──────> check_otp ─┬─> balance | recent (verified)
                │                               └─> escalate         (repeated failure)
                └─ balance | recent ─(not verified)─> ask_identity
"""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta, timezone

from babel.dates import format_date
from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime
from langgraph.types import Command

from bot.auth.identify import parse_identifier
from bot.auth.otp import OtpSendLimit, OtpUnavailable
from bot.banking.core import BankingError
from bot.graph.intents import match_intent
from bot.graph.state import ConversationState, TurnContext
from bot.masking import mask
from bot.notify import NotifierUnavailable
from bot.stores.cases import case_priority
from channels.base import resolve_numbered_choice
from i18n.catalog import SUPPORTED, t
from i18n.detect import detect_language
from i18n.money import format_inr

ACCOUNT_INTENTS = ("balance", "recent_transactions")
_LOCALE = {"en": "en_IN", "hi": "hi_IN"}
# Customers read dates in Indian time whatever the server runs in (IST has no daylight saving).
IST = timezone(timedelta(hours=5, minutes=30), "IST")
# A message that is only a 4-8 digit number is masked as a code (as the loop's audit does).
_BARE_CODE = re.compile(r"\s*[0-9\u0966-\u096F]{4,8}\s*")

Ctx = Runtime[TurnContext]


def _lang(state: ConversationState, ctx: TurnContext) -> str:
    return state.get("language") or ctx.services.persona.default_language


def _buttons(lang: str, *keys: str) -> list[str]:
    return [t(k, lang) for k in keys]


def is_verified(state: ConversationState, ctx: TurnContext) -> bool:
    verified_at = state.get("verified_at")
    last_active = state.get("last_active") or 0.0
    return bool(
        verified_at and state.get("customer_id") and ctx.now - last_active <= ctx.services.auth_idle_s
    )


async def understand(state: ConversationState, runtime: Ctx) -> Command:
    ctx = runtime.context
    persona = ctx.services.persona
    text = resolve_numbered_choice(ctx.text, tuple(state.get("offered") or ()))
    ctx.text = text
    language = detect_language(text, _lang(state, ctx))
    if language not in persona.languages:
        language = persona.default_language
    intent = match_intent(text)
    if intent not in persona.intents:
        intent = "unknown"
    ctx.intent = intent
    update: dict = {"language": language, "turns": state.get("turns", 0) + 1, "offered": []}
    # Idle too long: forget verification (computed here, every turn, never trusted from the client).
    if state.get("verified_at") and not is_verified(state, ctx):
        update["verified_at"] = None
    update["last_active"] = ctx.now
    step = state.get("step", "idle")
    ctx.expect_otp = step == "await_otp"

    if step == "escalated":
        goto = "with_human"
    elif intent == "human":
        goto = "escalate"
    elif step == "await_identity":
        if parse_identifier(text):
            goto = "identify"
        elif intent in ACCOUNT_INTENTS:
            update["pending_intent"] = intent
            goto = "ask_identity"
        else:
            goto = "identity_invalid"
    elif step == "await_otp":
        goto = "send_otp" if intent == "resend_otp" else "check_otp"
    elif intent in ACCOUNT_INTENTS:
        update["pending_intent"] = intent
        goto = "account_gate"
    elif intent == "greeting":
        goto = "greet"
    else:
        goto = "fallback"
    return Command(goto=goto, update=update)


async def greet(state: ConversationState, runtime: Ctx) -> dict:
    ctx = runtime.context
    lang = _lang(state, ctx)
    buttons = _buttons(lang, "btn_balance", "btn_recent", "btn_human")
    ctx.reply(ctx.services.persona.greeting[lang], buttons)
    return {"step": "idle", "offered": buttons}


async def fallback(state: ConversationState, runtime: Ctx) -> dict:
    ctx = runtime.context
    lang = _lang(state, ctx)
    buttons = _buttons(lang, "btn_balance", "btn_recent", "btn_human")
    ctx.reply(t("fallback", lang), buttons)
    ctx.outcome = "clarify"
    return {"offered": buttons}


async def account_gate(state: ConversationState, runtime: Ctx) -> Command:
    ctx = runtime.context
    if is_verified(state, ctx):
        return Command(goto="run_pending")
    if ctx.sender_phone:  # WhatsApp / SMS: the number names the customer; the OTP still proves it
        return Command(goto="identify")
    return Command(goto="ask_identity")


async def ask_identity(state: ConversationState, runtime: Ctx) -> dict:
    ctx = runtime.context
    ctx.reply(t("ask_identity", _lang(state, ctx)))
    ctx.outcome = "auth_required"
    return {"step": "await_identity", "otp_failures": 0}


async def identity_invalid(state: ConversationState, runtime: Ctx) -> dict:
    ctx = runtime.context
    ctx.reply(t("identity_invalid", _lang(state, ctx)))
    ctx.outcome = "auth_required"
    return {}


async def identify(state: ConversationState, runtime: Ctx) -> Command:
    ctx = runtime.context
    if not ctx.services.notifier.available:
        # No way to deliver a code: refuse before the lookup, so known and unknown look the same.
        ctx.reply(t("otp_unavailable", _lang(state, ctx)))
        ctx.outcome = "otp_unavailable"
        return Command(goto=END, update={"step": "idle"})
    identifier = parse_identifier(ctx.text) if state.get("step") == "await_identity" else None
    identifier = identifier or ctx.sender_phone
    if identifier is None:
        return Command(goto="ask_identity")
    ctx.tools.append("core.find_customer")
    try:
        customer = await ctx.services.bank.find_customer(identifier)
    except BankingError:
        return _banking_down(ctx, _lang(state, ctx))
    # Everything after this point behaves the same whether or not the identifier exists: an unknown
    # one gets a real code too (never sent), so limits, expiry and lock-out answer identically.
    subject = customer.customer_id if customer else "unknown:" + hashlib.sha256(identifier.encode()).hexdigest()[:16]
    update = {"customer_id": customer.customer_id if customer else None, "otp_subject": subject,
              "verified_at": None, "otp_failures": 0}
    return Command(goto="send_otp", update=update)


def _otp_key(ctx: TurnContext, subject: str) -> str:
    # Bound to the conversation: a code sent for one chat cannot verify another.
    return f"{ctx.conversation}|{subject}"


async def send_otp(state: ConversationState, runtime: Ctx) -> dict:
    ctx = runtime.context
    lang = _lang(state, ctx)
    services = ctx.services
    subject = state.get("otp_subject")
    if not subject:
        return await ask_identity(state, runtime)
    customer_id = state.get("customer_id")
    buttons = _buttons(lang, "btn_resend", "btn_human")
    try:
        ctx.tools.append("otp.issue")
        code = await services.otp.issue(_otp_key(ctx, subject), subject=subject)
        if customer_id:
            customer = await services.bank.get_customer(customer_id)
            # To the registered mobile only: never to a number typed in chat.
            language = customer.preferred_language if customer.preferred_language in SUPPORTED else "en"
            await services.notifier.send_sms(customer.mobile, t(
                "otp_sms", language, code=code, bank=services.persona.bank_name, minutes=services.otp.ttl_s // 60))
        del code
    except OtpSendLimit:
        ctx.reply(t("otp_send_limit", lang), _buttons(lang, "btn_human"))
        ctx.outcome = "otp_send_limit"
        return {"step": "await_otp"}
    except (OtpUnavailable, NotifierUnavailable, BankingError, OSError):
        ctx.reply(t("otp_unavailable", lang))
        ctx.outcome = "otp_unavailable"
        return {"step": "idle"}
    ctx.reply(t("otp_sent", lang, minutes=services.otp.ttl_s // 60), buttons)
    ctx.outcome = "otp_sent"
    return {"step": "await_otp", "offered": buttons}


async def check_otp(state: ConversationState, runtime: Ctx) -> Command:
    ctx = runtime.context
    lang = _lang(state, ctx)
    persona = ctx.services.persona
    subject = state.get("otp_subject")
    if not subject:
        return Command(goto="ask_identity")
    ctx.tools.append("otp.verify")
    try:
        result = await ctx.services.otp.verify(_otp_key(ctx, subject), ctx.text)
    except OtpUnavailable:
        ctx.reply(t("otp_unavailable", lang))
        ctx.outcome = "otp_unavailable"
        return Command(goto=END, update={})
    outcome = result.outcome
    if outcome == "ok" and not state.get("customer_id"):
        outcome = "wrong"  # a guessed code for an unknown identifier: never a verification
    if outcome == "ok":
        ctx.reply(t("verified", lang))
        ctx.outcome = "verified"
        return Command(goto="run_pending", update={"verified_at": ctx.now, "step": "idle", "otp_failures": 0})
    if outcome == "expired":
        buttons = _buttons(lang, "btn_resend", "btn_human")
        ctx.reply(t("otp_expired", lang), buttons)
        ctx.outcome = "otp_expired"
        return Command(goto=END, update={"offered": buttons})
    failures = state.get("otp_failures", 0) + 1
    left = persona.escalation.max_otp_failures - failures
    if left <= 0:
        return Command(goto="escalate", update={"otp_failures": failures})
    buttons = _buttons(lang, "btn_resend", "btn_human")
    ctx.reply(t("otp_wrong", lang, left=left), buttons)
    ctx.outcome = "otp_wrong"
    return Command(goto=END, update={"otp_failures": failures, "offered": buttons})


async def run_pending(state: ConversationState, runtime: Ctx) -> Command:
    pending = state.get("pending_intent") or "balance"
    return Command(goto="recent" if pending == "recent_transactions" else "balance",
                   update={"pending_intent": ""})


def _banking_down(ctx: TurnContext, lang: str) -> Command:
    ctx.reply(t("banking_down", lang))
    ctx.outcome = "banking_error"
    return Command(goto=END, update={})


async def _open_accounts(ctx: TurnContext, customer_id: str) -> list:
    ctx.tools.append("core.list_accounts")
    return [a for a in await ctx.services.bank.list_accounts(customer_id) if a.status != "closed"]


async def balance(state: ConversationState, runtime: Ctx) -> Command:
    ctx = runtime.context
    lang = _lang(state, ctx)
    bank = ctx.services.bank
    customer_id = state["customer_id"]
    try:
        accounts = await _open_accounts(ctx, customer_id)
        if not accounts:
            ctx.reply(t("no_accounts", lang))
            return Command(goto="escalate", update={})
        lines = []
        for account in accounts[:3]:
            ctx.tools += ["core.get_balance", "core.list_holds"]
            bal = await bank.get_balance(customer_id, account.account_id)
            holds = await bank.list_holds(customer_id, account.account_id)
            text = t("balance", lang, kind=t(f"account_kind_{account.kind}", lang), last4=account.number_last4,
                     available=format_inr(bal.available, lang), ledger=format_inr(bal.ledger, lang))
            for hold in holds:
                if hold.kind == "freeze":
                    text += "\n" + t("freeze_line", lang, reason=hold.reason)
                else:
                    text += "\n" + t("hold_line", lang, amount=format_inr(hold.amount, lang), reason=hold.reason)
            lines.append(text)
    except BankingError:
        return _banking_down(ctx, lang)
    ctx.reply("\n\n".join(lines))
    return Command(goto="offer_more", update={})


async def recent(state: ConversationState, runtime: Ctx) -> Command:
    ctx = runtime.context
    lang = _lang(state, ctx)
    bank = ctx.services.bank
    customer_id = state["customer_id"]
    try:
        accounts = await _open_accounts(ctx, customer_id)
        if not accounts:
            ctx.reply(t("no_accounts", lang))
            return Command(goto="escalate", update={})
        account = accounts[0]
        ctx.tools.append("core.list_transactions")
        txns = await bank.list_transactions(customer_id, account.account_id, limit=5)
    except BankingError:
        return _banking_down(ctx, lang)
    lines = [t("recent_header", lang, count=len(txns), last4=account.number_last4)]
    for txn in txns:
        when = txn.posted_at.astimezone(IST)
        lines.append(t(
            "recent_line", lang, date=format_date(when.date(), "d MMM", locale=_LOCALE.get(lang, "en_IN")),
            description=(txn.merchant or txn.channel)[:40], sign="-" if txn.direction == "debit" else "+",
            amount=format_inr(txn.amount, lang), pending=t("pending_mark", lang) if txn.status == "pending" else ""))
    ctx.reply("\n".join(lines))
    return Command(goto="offer_more", update={})


async def offer_more(state: ConversationState, runtime: Ctx) -> dict:
    ctx = runtime.context
    lang = _lang(state, ctx)
    buttons = _buttons(lang, "btn_recent", "btn_balance", "btn_human")
    ctx.reply(t("anything_else", lang), buttons)
    return {"offered": buttons, "step": "idle"}


TIERS = ("standard", "preferred", "premium", "private")


async def customer_tier(ctx: TurnContext, customer_id: str | None) -> str:
    """The customer's service tier for the human queue. CoreBanking's Customer has no tier field, so a
    bank that segments customers puts it in the profile's preferences ("tier"); otherwise, or when the
    bank cannot be reached, "standard" (the escalation must not fail on a lookup)."""
    if not customer_id:
        return "standard"
    try:
        customer = await ctx.services.bank.get_customer(customer_id)
    except BankingError:  # the bank is down or does not know the id: the case still opens
        return "standard"
    tier = str((customer.preferences or {}).get("tier", "")).strip().lower()
    return tier if tier in TIERS else "standard"


async def escalate(state: ConversationState, runtime: Ctx) -> dict:
    ctx = runtime.context
    lang = _lang(state, ctx)
    reason = "otp_failed" if state.get("otp_failures", 0) >= ctx.services.persona.escalation.max_otp_failures \
        else ("customer_request" if ctx.intent == "human" else "unresolved")
    cases = ctx.services.cases
    ctx.tools.append("cases.open")
    # The message being handled is audited after this turn; its masked text joins the summary here.
    latest = mask(ctx.text, expect_otp=ctx.expect_otp or bool(_BARE_CODE.fullmatch(ctx.text)))
    summary = await cases.summarize(ctx.conversation, latest)
    customer_id = state.get("customer_id") or ""
    case = await cases.open_case(
        kind="escalation", channel=ctx.channel, conversation=ctx.conversation,
        customer_id=customer_id, reason=reason,
        priority=case_priority(reason, verified=is_verified(state, ctx)),
        tier=await customer_tier(ctx, customer_id), summary=summary)
    key = "otp_failed_escalated" if reason == "otp_failed" else "handed_to_human"
    ctx.reply(t(key, lang, reference=case.reference))
    ctx.outcome = "escalated"
    # Repeated OTP failure also drops any partial identity: the next attempt starts over.
    return {"step": "escalated", "case_ref": case.reference, "verified_at": None, "hold_notice_sent": False}


async def with_human(state: ConversationState, runtime: Ctx) -> dict:
    """A human owns the conversation: the bot stays silent. The customer's messages are still claimed
    and audited (masked) by the loop, which is where the agent reads them; only the first message
    after the escalation gets one short notice, so the customer knows they were not lost."""
    ctx = runtime.context
    ctx.outcome = "with_human"
    if state.get("hold_notice_sent"):
        return {}
    ctx.reply(t("with_human", _lang(state, ctx), reference=state.get("case_ref") or ""))
    return {"hold_notice_sent": True}


def build_general_graph(checkpointer):
    graph = StateGraph(ConversationState, context_schema=TurnContext)
    routes = ("greet", "fallback", "account_gate", "ask_identity", "identity_invalid", "identify",
              "send_otp", "check_otp", "escalate", "with_human")
    graph.add_node("understand", understand, destinations=routes)
    graph.add_node("greet", greet)
    graph.add_node("fallback", fallback)
    graph.add_node("account_gate", account_gate, destinations=("run_pending", "identify", "ask_identity"))
    graph.add_node("ask_identity", ask_identity)
    graph.add_node("identity_invalid", identity_invalid)
    graph.add_node("identify", identify, destinations=("send_otp", "ask_identity", END))
    graph.add_node("send_otp", send_otp)
    graph.add_node("check_otp", check_otp, destinations=("run_pending", "escalate", "ask_identity", END))
    graph.add_node("run_pending", run_pending, destinations=("balance", "recent"))
    graph.add_node("balance", balance, destinations=("offer_more", "escalate", END))
    graph.add_node("recent", recent, destinations=("offer_more", "escalate", END))
    graph.add_node("offer_more", offer_more)
    graph.add_node("escalate", escalate)
    graph.add_node("with_human", with_human)
    graph.add_edge(START, "understand")
    for leaf in ("greet", "fallback", "ask_identity", "identity_invalid", "send_otp", "offer_more",
                 "escalate", "with_human"):
        graph.add_edge(leaf, END)
    return graph.compile(checkpointer=checkpointer)
