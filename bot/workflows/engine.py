"""The one factory: a checked workflow (bot/workflows/spec.py) -> a LangGraph subgraph, and the step types' behaviour.

Every step is a node. A turn enters the subgraph at the step the workflow stopped at (`wf.at`), runs
steps until one needs the customer (a question: identity, code, security answer, confirm, choice) or
the workflow ends, and leaves. What a workflow remembers between turns lives in the checkpointed
`wf` record: its id, the step, the variables its steps saved (small plain records), what it waits for.

Exits other than "wait" and "done" are left to the conversation graph (bot/graph/conversation.py),
which reads `wf_exit`: a handoff to another persona. Escalations open their case here, so the reply
can quote the reference.

Safety rules enforced at run time, whatever a YAML file says (the loader checks them too):
- an operation runs only at the auth level it declares, computed from the checkpointed facts now;
- the customer id comes from the session; records come from this customer's own lists;
- a confirm step's "yes" is read in a later turn than its question;
- at most MAX_HOPS steps per turn (a loop in a workflow ends in an escalation, not a hung turn)."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from datetime import date, datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime
from langgraph.types import Command

from bot.auth.identify import parse_identifier
from bot.auth.otp import OtpSendLimit, OtpUnavailable
from bot.banking.core import BankingError, NotFound
from bot.masking import mask
from bot.notify import NotifierUnavailable
from bot.workflows import answers
from bot.workflows.expressions import ExpressionRuntimeError
from bot.graph.state import ConversationState, TurnContext
from bot.workflows.operations import AUTH_ORDER, Call, OperationRefused, to_plain
from bot.workflows.spec import (AiAnalysis, ApiCall, Choose, Conditional, Confirm, Escalate, Handoff, Notify, Reply,
                                SecurityCheck, Workflow, operation_of, step_targets)
from bot.workflows.templates import as_ist_date, lookup
from i18n.catalog import SUPPORTED, t

log = logging.getLogger("sahayak.workflow")

MAX_HOPS = 40  # steps in one turn
MAX_TRIES = 3  # unrecognised answers to one question before the workflow gives up on it
SECURITY_ANSWER_TRIES = 2


def node_name(workflow_id: str) -> str:
    return f"workflow_{workflow_id}"


def new_run(workflow: Workflow, intent: str, hints: dict[str, str] | None = None) -> dict:
    """A workflow's record at its start. `hints`: what the opening message named (a card's last four
    digits, an amount, a day, a merchant), used only to pre-select a record in a `choose` step; the
    confirm still follows."""
    return {"id": workflow.id, "at": workflow.intents[intent], "vars": {}, "wait": None, "tries": 0,
            "hops": 0, "intent": intent, "hints": dict(hints or {})}


def _hinted(step: Choose, candidates: list[tuple[int, Any]], hints: dict[str, str]) -> list[tuple[int, Any]]:
    """The candidates that agree with everything the opening message named that such a record has: a
    card's last four digits in one of the step's `keys` fields, the amount, the day it was posted (IST),
    a merchant its description names. A hint the record has no field for is not asked of it; a record
    that no hint applies to is not matched ("the ₹5,000 one on Monday" names a transaction, not a card)."""
    matched = []
    for index, item in candidates:
        if not isinstance(item, dict):
            continue
        verdicts = [agrees for agrees in _hint_verdicts(step, item, hints) if agrees is not None]
        if verdicts and all(verdicts):
            matched.append((index, item))
    return matched


def _hint_verdicts(step: Choose, item: dict, hints: dict[str, str]) -> tuple[bool | None, ...]:
    """Per hint: whether `item` agrees, or None when the hint was not given or the record lacks the field."""
    last4, amount, day, merchant = (hints.get(k) for k in ("card_last4", "amount", "date", "merchant"))
    key_values = [str(item[k]) for k in step.keys if item.get(k) is not None]
    posted = as_ist_date(item.get("posted_at")) if item.get("posted_at") is not None else None
    description = str(item.get("description") or item.get("merchant") or "").casefold()
    return (
        last4 in key_values if last4 and key_values else None,
        _same_amount(item.get("amount"), amount) if amount and item.get("amount") is not None else None,
        posted.isoformat() == day if day and posted is not None else None,
        merchant.casefold() in description if merchant and description else None,
    )


def _same_amount(value: Any, hint: str) -> bool:
    try:
        return Decimal(str(value)) == Decimal(hint)
    except InvalidOperation:
        return False


def auth_level(state: Mapping[str, Any]) -> str:
    """What the conversation holds now. The conversation graph clears both facts when they lapse."""
    if not state.get("customer_id"):
        return "none"
    if state.get("verified_at"):
        return "full"
    if state.get("light_at"):
        return "light"
    return "none"


class Run:
    """One step's view of the turn: the checkpointed state, the updates made so far, the workflow record."""

    def __init__(self, state: Mapping[str, Any], ctx: Any, workflow: Workflow):
        self.state, self.ctx, self.workflow = state, ctx, workflow
        wf = dict(state.get("wf") or {})
        wf["vars"] = dict(wf.get("vars") or {})
        self.wf = wf
        self.update: dict[str, Any] = {}

    def get(self, key: str, default: Any = None) -> Any:
        if key in self.update:
            return self.update[key]
        value = self.state.get(key)
        return default if value is None else value

    def merged(self) -> dict[str, Any]:
        return {**self.state, **self.update}

    @property
    def lang(self) -> str:
        return self.get("language") or self.ctx.services.persona.default_language

    @property
    def persona(self) -> Any:
        return self.ctx.services.persona

    def scope(self, **extra: Any) -> dict[str, Any]:
        threshold = self.persona.escalation.risk_score
        return {**self.wf["vars"], "persona_id": self.persona.id, "bank_name": self.persona.bank_name, "channel": self.ctx.channel,
                "language": self.lang, "risk_threshold": Decimal(threshold if threshold is not None else 70),
                **extra}

    def render(self, sid: str, field: str, **extra: Any) -> str:
        texts = self.workflow.text(sid, field)
        template = texts.get(self.lang) or texts.get("en") or next(iter(texts.values()))
        return template.render(self.scope(**extra), self.lang)

    def reply(self, text: str, buttons: list[str] | tuple[str, ...] = ()) -> None:
        self.ctx.reply(text, tuple(buttons))
        if buttons:
            self.update["offered"] = list(buttons)

    @property
    def now_dt(self) -> datetime:
        return datetime.fromtimestamp(self.ctx.now, timezone.utc)


# Exits a step can take besides "go to step X".
WAIT = ("wait",)
DONE = ("done",)


# ------------------------------------------------------------------------------------- step types


async def _reply(step: Reply, sid: str, run: Run) -> Any:
    parts = [run.render(sid, "say")]
    if step.list_ is not None:
        parts.append(_render_list(step, sid, run))
    if step.say_after is not None:
        parts.append(run.render(sid, "say_after"))
    if step.disclaimer:
        parts += run.persona.disclaimers.get(run.lang) or run.persona.disclaimers.get("en") or []
    buttons = [run.render(sid, f"button{i}") for i in range(len(step.buttons))]
    run.reply("\n".join(p for p in parts if p), buttons)
    return step.next or DONE


def _render_list(step: Reply, sid: str, run: Run) -> str:
    spec = step.list_
    items = lookup(run.scope(), spec.each) or []
    if not isinstance(items, list) or not items:
        return run.render(sid, "list_empty") if spec.empty is not None else ""
    blocks = []
    for item in items[: spec.max]:
        lines = [_list_line(spec, sid, "list", run, item=item)]
        if spec.details is not None:
            details = lookup({"item": item}, spec.details.each) or []
            for detail in (details if isinstance(details, list) else [])[: spec.details.max]:
                lines.append(_list_line(spec.details, sid, "details", run, item=item, detail=detail))
        blocks.append("\n".join(lines))
    return spec.separator.join(blocks)


def _list_line(spec: Any, sid: str, prefix: str, run: Run, **scope: Any) -> str:
    for i in range(len(spec.when)):
        condition = run.workflow.list_conditions.get((f"{sid}.{prefix}", i))
        if condition is not None and _truth(condition, run, **scope):
            return run.render(sid, f"{prefix}_when{i}", **scope)
    return run.render(sid, f"{prefix}_line", **scope)


def _truth(condition: Any, run: Run, **extra: Any) -> bool:
    return condition.evaluate(run.scope(**extra), now=run.now_dt) is True


async def _confirm(step: Confirm, sid: str, run: Run) -> Any:
    buttons = [t("btn_yes", run.lang), t("btn_no", run.lang)]
    if run.wf.get("wait") == "confirm":
        answer = answers.yes_no(run.ctx.text)
        if answer is True:
            run.ctx.tools.append("confirm.yes")
            return step.on_yes
        if answer is False:
            return step.on_no
        run.wf["tries"] = run.wf.get("tries", 0) + 1
        if run.wf["tries"] >= MAX_TRIES:
            run.reply(t("wf_gave_up", run.lang))
            return DONE
        run.reply(t("wf_confirm_again", run.lang), buttons)
        return WAIT
    run.reply(run.render(sid, "say"), buttons)
    run.wf["wait"] = "confirm"
    run.ctx.outcome = "confirm"
    return WAIT


async def _choose(step: Choose, sid: str, run: Run) -> Any:
    source = lookup(run.scope(), step.from_) or []
    candidates: list[tuple[int, Any]] = []
    condition = run.workflow.conditions.get((sid, -1))
    for index, item in enumerate(source if isinstance(source, list) else []):
        if condition is None or _truth(condition, run, item=item):
            candidates.append((index, item))
    if not candidates:
        return step.empty
    if run.wf.get("wait") == "choose":
        choices = run.wf.get("choices") or []
        labels = run.wf.get("labels") or []
        keys = [[str(lookup({"item": source[i]}, f"item.{k}") or "") for k in step.keys]
                for i in choices if i < len(source)]
        other = run.render(sid, "other") if step.other is not None else None
        picked = answers.pick(run.ctx.text, labels + ([other] if other else []), keys)
        if picked is not None and picked < len(choices) and choices[picked] < len(source):
            run.wf["vars"][step.save_as] = source[choices[picked]]
            return step.next
        if picked is not None and other is not None and picked == len(choices):
            return step.other.next
        run.wf["tries"] = run.wf.get("tries", 0) + 1
        if run.wf["tries"] >= MAX_TRIES:
            run.reply(t("wf_gave_up", run.lang))
            return DONE
        run.reply(t("wf_choose_again", run.lang), labels + ([other] if other else []))
        return WAIT
    if len(candidates) == 1 and step.other is None:
        run.wf["vars"][step.save_as] = candidates[0][1]
        return step.next
    hinted = _hinted(step, candidates, run.wf.get("hints") or {})
    if len(hinted) == 1:
        # "Block my card ending 4417": that one, without asking which (the confirm names it).
        run.ctx.tools.append("choose.from_message")
        run.wf["vars"][step.save_as] = hinted[0][1]
        return step.next
    labels = [run.render(sid, "label", item=item) for _, item in candidates[:10]]
    buttons = labels + ([run.render(sid, "other")] if step.other is not None else [])
    run.reply(run.render(sid, "say"), buttons)
    run.wf.update(wait="choose", choices=[i for i, _ in candidates[:10]], labels=labels)
    run.ctx.outcome = "choose"
    return WAIT


async def _conditional(step: Conditional, sid: str, run: Run) -> Any:
    for i, _branch in enumerate(step.branches):
        condition = run.workflow.conditions[(sid, i)]
        try:
            if _truth(condition, run):
                return step.branches[i].goto
        except ExpressionRuntimeError as e:
            # Unexpected data: never guess a branch; a person looks at it.
            log.warning("workflow %s step %s: %s", run.workflow.id, sid, e)
            return ("escalate", "workflow_error", None, None)
    return step.else_


async def _call(step: ApiCall | AiAnalysis, sid: str, run: Run) -> Any:
    op = operation_of(step)  # known: the loader refused unknown ones
    level = auth_level(run.merged())
    if AUTH_ORDER[level] < AUTH_ORDER[op.auth]:
        # The loader makes this unreachable; the run-time gate holds even if it were not.
        log.error("workflow %s step %s: %s needs %s auth, conversation has %s", run.workflow.id, sid, op.name,
                  op.auth, level)
        return ("escalate", "auth_required", None, None)
    args: dict[str, Any] = {}
    for name, value in step.args.items():
        args[name] = lookup(run.wf["vars"], value) if name in op.records else value
        if name in op.records and not isinstance(args[name], Mapping):
            return ("escalate", "workflow_error", None, None)
    call = Call(run.ctx, str(run.get("customer_id")), args, run.lang)
    try:
        result = await op.run(call)
    except (OperationRefused, NotFound):
        on_refused = getattr(step, "on_refused", None)
        return on_refused or ("escalate", "operation_refused", None, None)
    except (BankingError, NotifierUnavailable, OSError):
        run.reply(t("banking_down", run.lang))
        run.ctx.outcome = "banking_error"
        return DONE
    if step.save_as:
        run.wf["vars"][step.save_as] = to_plain(result)
    on_empty = getattr(step, "on_empty", None)
    if on_empty and (result is None or result == []):
        return on_empty
    return step.next


async def _notify(step: Notify, sid: str, run: Run) -> Any:
    """The SMS and the email are sent independently (a failed SMS does not stop the email). The action
    itself is done and was confirmed in the chat; a lost message must not undo or hide it, but the reply
    must not promise it either: when any message was not sent, `on_failed` leads to one that says so."""
    services = run.ctx.services
    sends = []
    try:
        run.ctx.tools.append("core.get_customer")
        customer = await services.bank.get_customer(str(run.get("customer_id")))
    except (BankingError, OSError) as e:
        return _not_sent(step, sid, run, e)
    if step.sms is not None:
        sends.append(("notify.sms", lambda: services.notifier.send_sms(customer.mobile, run.render(sid, "sms"))))
    if step.email is not None and customer.email:
        sends.append(("notify.email", lambda: services.notifier.send_email(
            customer.email, run.render(sid, "email_subject"), run.render(sid, "email_body"))))
    failed = None
    for tool, send in sends:
        run.ctx.tools.append(tool)
        try:
            await send()
        except (NotifierUnavailable, BankingError, OSError) as e:
            failed = e
    return _not_sent(step, sid, run, failed) if failed is not None else (step.next or DONE)


def _not_sent(step: Notify, sid: str, run: Run, error: Exception) -> Any:
    log.warning("workflow %s step %s: confirmation not sent: %s", run.workflow.id, sid, type(error).__name__)
    run.ctx.tools.append("notify.failed")
    return step.on_failed or step.next or DONE


async def _escalate(step: Escalate, sid: str, run: Run) -> Any:
    return ("escalate", step.reason, step.team, step.priority, sid if step.say is not None else None)


async def _handoff(step: Handoff, sid: str, run: Run) -> Any:
    return ("handoff", step.to, step.intent, step.note)


# ------------------------------------------------------------------------------ security_check


def _subject_for(identifier: str, customer: Any) -> str:
    return customer.customer_id if customer else "unknown:" + hashlib.sha256(identifier.encode()).hexdigest()[:16]


def _otp_key(run: Run, subject: str) -> str:
    return f"{run.ctx.conversation}|{subject}"  # bound to the conversation


async def _security_check(step: SecurityCheck, sid: str, run: Run) -> Any:
    ctx, lang = run.ctx, run.lang
    fallback = step.fallback or ("escalate", "verification_failed", None, None)
    wait = run.wf.get("wait")

    if wait == "otp":
        outcome = await _check_code(step, run)
        if outcome is not None:
            return outcome
    elif wait == "answer":
        if not await _check_answer(run):
            run.wf["tries"] = run.wf.get("tries", 0) + 1
            if run.wf["tries"] >= SECURITY_ANSWER_TRIES:
                run.reply(t("security_answer_failed", lang))
                return fallback
            run.reply(t("security_answer_wrong", lang))
            return WAIT
        run.wf["answered"] = True
        run.update["light_at"] = ctx.now
        run.wf["wait"] = None
    elif wait == "identity":
        identifier = parse_identifier(ctx.text)
        if identifier is None:
            run.wf["tries"] = run.wf.get("tries", 0) + 1
            if run.wf["tries"] >= MAX_TRIES:
                run.reply(t("wf_gave_up", lang))
                return DONE
            run.reply(t("identity_invalid", lang))
            ctx.outcome = "auth_required"
            return WAIT
        found = await _identify(run, identifier, typed=True)
        if found is not None:
            return found

    level = auth_level(run.merged())
    needs_answer = step.questions and not run.wf.get("answered")
    if AUTH_ORDER[level] >= AUTH_ORDER[step.level] and not needs_answer:
        run.wf.pop("answered", None)
        return step.next

    if not run.get("customer_id") and not run.get("otp_subject"):
        if ctx.sender_phone and not run.wf.get("phone_tried"):
            run.wf["phone_tried"] = True
            found = await _identify(run, ctx.sender_phone, typed=False)
            if found is not None:
                return found
            return await _security_check(step, sid, run)
        run.reply(t("ask_identity", lang))
        run.update.update(otp_failures=0)
        run.wf.update(wait="identity", tries=0)
        ctx.outcome = "auth_required"
        return WAIT

    level = auth_level(run.merged())
    if AUTH_ORDER[level] >= AUTH_ORDER[step.level] and not needs_answer:
        return step.next
    # A security question first when the step asks for one, or when "light" cannot come from the phone.
    if (needs_answer or (step.level == "light" and level == "none")) and wait != "answer":
        run.reply(t("security_question_dob", lang))
        run.wf.update(wait="answer", tries=0)
        ctx.outcome = "security_question"
        ctx.expect_secret = True
        return WAIT
    if step.level == "full" and level != "full":
        return await _send_code(run)
    return step.next


async def _identify(run: Run, identifier: str, *, typed: bool) -> Any:
    """Bind the customer from an identifier. Returns an exit, or None to carry on with the check."""
    ctx, lang = run.ctx, run.lang
    if not ctx.services.notifier.available:
        # No way to deliver a code: refuse before the lookup, so known and unknown look the same.
        run.reply(t("otp_unavailable", lang))
        ctx.outcome = "otp_unavailable"
        return DONE
    ctx.tools.append("core.find_customer")
    try:
        customer = await ctx.services.bank.find_customer(identifier)
    except BankingError:
        run.reply(t("banking_down", lang))
        ctx.outcome = "banking_error"
        return DONE
    run.update.update(customer_id=customer.customer_id if customer else None,
                      otp_subject=_subject_for(identifier, customer), verified_at=None, otp_failures=0)
    run.wf.update(wait=None, tries=0)
    if customer is not None and not typed:
        # The message came from the registered mobile itself: that identifies the customer (light).
        run.update["light_at"] = ctx.now
    profiles = getattr(ctx.services, "profiles", None)
    if customer is not None and profiles is not None:
        # The language this customer asked for in an earlier chat, unless they chose one in this chat.
        if run.get("language_pinned"):
            # Asked for before we knew who: remember what they asked for (a language may not have texts yet).
            await profiles.set_language(customer.customer_id, run.get("language_requested") or run.lang)
        else:
            remembered = await profiles.language(customer.customer_id)
            if remembered and remembered in run.persona.languages:
                run.update["language"] = remembered
    return None


async def _send_code(run: Run) -> Any:
    ctx, lang, services = run.ctx, run.lang, run.ctx.services
    subject = run.get("otp_subject")
    customer_id = run.get("customer_id")
    if not subject:
        subject = customer_id
        run.update["otp_subject"] = subject
    buttons = [t("btn_resend", lang), t("btn_human", lang)]
    try:
        ctx.tools.append("otp.issue")
        code = await services.otp.issue(_otp_key(run, subject), subject=subject)
        if customer_id:
            customer = await services.bank.get_customer(customer_id)
            language = customer.preferred_language if customer.preferred_language in SUPPORTED else "en"
            # To the registered mobile only: never to a number typed in chat.
            await services.notifier.send_sms(customer.mobile, t(
                "otp_sms", language, code=code, bank=run.persona.bank_name, minutes=services.otp.ttl_s // 60))
        del code
    except OtpSendLimit:
        run.reply(t("otp_send_limit", lang), [t("btn_human", lang)])
        ctx.outcome = "otp_send_limit"
        run.wf.update(wait="otp")
        return WAIT
    except (OtpUnavailable, NotifierUnavailable, BankingError, OSError):
        run.reply(t("otp_unavailable", lang))
        ctx.outcome = "otp_unavailable"
        return DONE
    # On a call the code is keyed in and the caller is on the phone with the bank: "type it here" and
    # "never share an OTP on a phone call" would contradict the line's own keypad prompt.
    sent = "otp_sent_call" if ctx.channel == "voice" else "otp_sent"
    run.reply(t(sent, lang, minutes=services.otp.ttl_s // 60), buttons)
    ctx.outcome = "otp_sent"
    run.wf.update(wait="otp", tries=0)
    return WAIT


async def _check_code(step: SecurityCheck, run: Run) -> Any:
    ctx, lang = run.ctx, run.lang
    if ctx.intent == "resend_otp":
        return await _send_code(run)
    subject = run.get("otp_subject")
    if not subject:
        run.wf["wait"] = None
        return None
    ctx.tools.append("otp.verify")
    try:
        result = await ctx.services.otp.verify(_otp_key(run, subject), ctx.text)
    except OtpUnavailable:
        run.reply(t("otp_unavailable", lang))
        ctx.outcome = "otp_unavailable"
        return WAIT
    outcome = result.outcome
    if outcome == "ok" and not run.get("customer_id"):
        outcome = "wrong"  # a guessed code for an unknown identifier: never a verification
    buttons = [t("btn_resend", lang), t("btn_human", lang)]
    if outcome == "ok":
        run.reply(t("verified", lang))
        ctx.outcome = "verified"
        run.update.update(verified_at=ctx.now, light_at=ctx.now, otp_failures=0)
        run.wf["wait"] = None
        return None
    if outcome == "expired":
        run.reply(t("otp_expired", lang), buttons)
        ctx.outcome = "otp_expired"
        return WAIT
    failures = run.get("otp_failures", 0) + 1
    run.update["otp_failures"] = failures
    left = run.persona.escalation.max_otp_failures - failures
    if left <= 0:
        return ("escalate", "otp_failed", None, None)
    run.reply(t("otp_wrong", lang, left=left), buttons)
    ctx.outcome = "otp_wrong"
    return WAIT


_DOB_FORMATS = ("%d-%m-%Y", "%d/%m/%Y", "%d.%m.%Y", "%Y-%m-%d", "%d %m %Y", "%d-%m-%y", "%d/%m/%y")


def parse_date_of_birth(text: str) -> date | None:
    cleaned = " ".join(text.strip().split())
    for fmt in _DOB_FORMATS:
        try:
            return datetime.strptime(cleaned, fmt).date()
        except ValueError:
            continue
    return None


async def _check_answer(run: Run) -> bool:
    answer = parse_date_of_birth(run.ctx.text)
    run.ctx.expect_secret = True
    customer_id = run.get("customer_id")
    if answer is None or not customer_id:
        return False  # an unknown identifier never passes, and looks the same as a wrong answer
    try:
        run.ctx.tools.append("core.get_customer")
        customer = await run.ctx.services.bank.get_customer(customer_id)
    except BankingError:
        return False
    return customer.date_of_birth == answer.isoformat()


EXECUTORS = {
    "security_check": _security_check, "api_call": _call, "ai_analysis": _call, "conditional": _conditional,
    "reply": _reply, "confirm": _confirm, "choose": _choose, "notify": _notify, "escalate": _escalate,
    "handoff": _handoff,
}


# ------------------------------------------------------------------------------------ the factory


# Compiled subgraphs hold no per-app state (no checkpointer: the parent's is used), so one loaded
# Workflow object compiles once per process; a reload loads new objects and compiles those.
_COMPILED: dict[int, tuple[Workflow, Any]] = {}
_COMPILED_MAX = 256


def compile_workflow(workflow: Workflow):
    """One subgraph per workflow: a node per step, entered at the step the conversation is at."""
    cached = _COMPILED.get(id(workflow))
    if cached is not None and cached[0] is workflow:
        return cached[1]
    compiled = _compile(workflow)
    if len(_COMPILED) >= _COMPILED_MAX:
        _COMPILED.clear()
    _COMPILED[id(workflow)] = (workflow, compiled)  # the entry keeps `workflow` alive: its id stays unique
    return compiled


def _compile(workflow: Workflow):
    graph = StateGraph(ConversationState, context_schema=TurnContext)
    for sid, step in workflow.steps.items():
        targets = tuple(dict.fromkeys(target for _, target in step_targets(step)))
        graph.add_node(sid, _make_node(workflow, sid, step), destinations=(*targets, END))
    graph.add_node("lost", _lost)
    steps = frozenset(workflow.steps)
    graph.add_conditional_edges(START, lambda state: _resume(state, steps),
                                {**{sid: sid for sid in workflow.steps}, "lost": "lost"})
    graph.add_edge("lost", END)
    return graph.compile()


def _resume(state: Mapping[str, Any], steps: frozenset[str]) -> str:
    # A step the checkpoint names but a reload removed is "lost", not a KeyError that fails every turn.
    at = (state.get("wf") or {}).get("at")
    return at if at in steps else "lost"


async def _lost(state: Mapping[str, Any], runtime: Runtime) -> dict:
    # The workflow changed under a waiting conversation (a reload removed its step): start over cleanly.
    ctx = runtime.context
    ctx.reply(t("wf_gave_up", state.get("language") or ctx.services.persona.default_language))
    return {"wf": None, "wf_exit": {"kind": "done"}}


def _make_node(workflow: Workflow, sid: str, step: Any):
    execute = EXECUTORS[step.type]

    async def run_step(state: Mapping[str, Any], runtime: Runtime) -> Command:
        run = Run(state, runtime.context, workflow)
        if (state.get("wf") or {}).get("at") != sid:
            run.wf.update(at=sid, wait=None, tries=0)
        run.wf["hops"] = run.wf.get("hops", 0) + 1
        if run.wf["hops"] > MAX_HOPS:
            log.error("workflow %s: more than %d steps in one turn at %s", workflow.id, MAX_HOPS, sid)
            outcome: Any = ("escalate", "workflow_loop", None, None)
        else:
            outcome = await execute(step, sid, run)
        if isinstance(outcome, str):
            run.wf.update(at=outcome, wait=None, tries=0)
            return Command(goto=outcome, update={"wf": run.wf, **run.update})
        if outcome == WAIT:
            run.wf["at"] = sid
            return Command(goto=END, update={"wf": run.wf, **run.update})
        if outcome == DONE:
            return Command(goto=END, update={"wf": None, "wf_exit": {"kind": "done"}, **run.update})
        kind = outcome[0]
        if kind == "escalate":
            _, reason, team, priority, *rest = outcome
            say_sid = rest[0] if rest else None
            text = run.render(say_sid, "say", case={"reference": "{reference}"}) if say_sid else None
            exit_ = {"kind": "escalate", "reason": reason, "team": team, "priority": priority, "say": text,
                     "workflow": workflow.id}
            return Command(goto=END, update={"wf": None, "wf_exit": exit_, **run.update})
        _, to, intent, note = outcome
        exit_ = {"kind": "handoff", "to": to, "intent": intent, "note": mask(note), "workflow": workflow.id}
        return Command(goto=END, update={"wf": None, "wf_exit": exit_, **run.update})

    run_step.__name__ = f"{workflow.id}.{sid}"
    return run_step
