"""The conversation graph: one for every persona and channel; the workflows are its subgraphs.

Each turn enters at `understand`, which settles the persona answering now, the language and the
intent, and routes:

    understand ─┬─ with_human            a person owns the conversation: the bot stays silent
                ├─ escalate              the customer asked for a person (or the bot keeps failing)
                ├─ workflow_<id>         resume the workflow waiting for this answer, or start the one
                │     │                  the active persona runs for this intent (bot/workflows/engine.py)
                │     └─(wf_exit)─┬─ escalate     a step escalated (the case opens in `escalate`)
                │                 ├─ handoff      a step handed over to another persona
                │                 └─ hand_back    done, after a handoff: back to the persona that handed over
                ├─ handoff               another persona handles this intent (persona YAML `handoffs`)
                └─ greet / fallback

Personas and workflows are data (personalities/*.yaml, personalities/workflows/*.yaml); this module
holds no banking logic of its own."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from collections.abc import Mapping
from typing import Any

from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime
from langgraph.types import Command

from bot.auth.identify import parse_identifier
from bot.banking.core import BankingError
from bot.graph.intents import BUTTON_KEYS, is_other_button, match_intent
from bot.understanding.entities import extract
from bot.understanding.router import CLARIFY_BELOW, OUT_OF_SCOPE, Routed
from bot.graph.state import ConversationState, TurnContext
from bot.masking import mask
from bot.stores.cases import case_priority
from bot.workflows import answers
from bot.workflows.engine import compile_workflow, new_run, node_name, parse_date_of_birth
from channels.base import resolve_numbered_choice
from i18n.catalog import MESSAGES, t
from i18n.detect import LANGUAGES, detect

Ctx = Runtime[TurnContext]
# A message that is only a 4-8 digit number is masked as a code (as the loop's audit does).
_BARE_CODE = re.compile(r"\s*[0-9\u0966-\u096F]{4,8}\s*")
IST = timezone(timedelta(hours=5, minutes=30), "IST")
TIERS = ("standard", "preferred", "premium", "private")


def _lang(state: Mapping[str, Any], ctx: TurnContext) -> str:
    """The conversation's language; before it has one, the channel's hint, else the persona's default."""
    return state.get("language") or ctx.language_hint or ctx.services.persona.default_language


# When a persona cannot answer in the detected language: the nearest it can (a Devanagari reader of
# Marathi reads Hindi; Hinglish is written in Latin script, as English is), else its default.
_NEAREST = {"mr": ("hi",), "hinglish": ("en", "hi"), "pa": ("hi",), "gu": ("hi",)}


def request_hints(text: str, now: float) -> dict[str, str]:
    """What an opening message names that a workflow may use to pre-select a record (engine.new_run)."""
    today = datetime.fromtimestamp(now, IST).date()
    hints: dict[str, str] = {}
    for entity in extract(text, today):
        if entity.kind in ("card_last4", "amount", "date", "merchant") and entity.kind not in hints:
            hints[entity.kind] = str(entity.value)
    return hints


@dataclass(frozen=True)
class Request:
    """What one message asks for, read once per turn (keywords, then the router)."""

    intent: str  # an intent, or "unknown"
    decided_by: str  # "keywords" | "router" | "llm" (the router was unsure, see ask_llm_when_unsure) | "none"
    routed: Routed | None = None  # the router's answer, when it was asked


def read_request(text: str, router: Any, *, switching: bool = False) -> Request:
    """Keywords first (deterministic, and every button label), then the trained router for what they
    miss (other languages, paraphrases) when it is confident; otherwise "unknown" (the fallback). Not
    routed: a question about the bank's rules (the knowledge base answers it), the clarifying question's
    "Something else", and a request to change language ("Hindi mein baat karo" reads to the model like a
    request for a person)."""
    intent = match_intent(text)
    if intent == "knowledge":
        return Request("unknown", "none")
    if intent != "unknown":
        return Request(intent, "keywords")
    if switching or router is None or is_other_button(text):
        return Request("unknown", "none")
    routed = router.route(text)
    if routed.intent != OUT_OF_SCOPE and routed.confidence >= CLARIFY_BELOW:
        return Request(routed.intent, "router", routed)
    return Request("unknown", "none", routed)


def runnable_intents(ctx: TurnContext, persona: Any) -> list[tuple[str, str]]:
    """(intent, catalogue description) for every request `persona` can take on: a workflow it runs, a
    handoff, or a person when it lets customers ask for one. What an LLM may choose from."""
    catalogue = ctx.services.router.catalogue
    offered = []
    for spec in catalogue.intents:
        intent = spec.name
        if workflow_for(ctx, persona, intent) is not None or handoff_target(persona, intent) is not None \
                or (intent == "human" and persona.escalation.on_customer_request):
            offered.append((intent, spec.description))
    return offered


async def ask_llm_when_unsure(request: Request, persona: Any, ctx: TurnContext) -> Request:
    """When the router was asked and was unsure (below CLARIFY_BELOW), a configured LLM may name the
    request, from the intents this persona can take on only; otherwise `request` stands (the clarifying
    question or the fallback). The LLM names an intent and nothing more: the workflow it starts makes
    every check and asks every confirmation, as when a button started it."""
    llm = ctx.services.llm_tasks
    routed = request.routed
    if llm is None or not llm.uses.classify or routed is None or request.intent != "unknown" \
            or routed.confidence >= CLARIFY_BELOW:
        return request
    candidates = runnable_intents(ctx, persona)
    if not candidates:
        return request
    ctx.tools.append("llm.classify")
    intent = await llm.classify(ctx.text, candidates)
    return Request(intent, "llm", routed) if intent is not None else request


def understand_intent(text: str, router: Any, *, switching: bool = False) -> str:
    return read_request(text, router, switching=switching).intent


CLARIFY_FROM = 0.25  # below this the router has no useful idea: the fallback (knowledge base, menu)
CLARIFY_OPTION_MIN = 0.1


def clarify_options(request: Request, persona: Any, ctx: TurnContext) -> list[str]:
    """When the router leaned towards requests but was not sure enough to act (CLARIFY_FROM <= confidence
    < CLARIFY_BELOW), the ones worth offering as buttons: likely, in scope, and something this persona
    runs itself or hands off. Empty: nothing worth asking about."""
    routed = request.routed
    if routed is None or request.intent != "unknown":
        return []
    # A catalogue topic for messages too vague to act on ("card problem") names what to offer.
    topic = ctx.services.router.catalogue.topic(routed.topic) if routed.topic else None
    if topic is not None and topic.clarify:
        return [intent for intent in topic.clarify if _offerable(intent, persona, ctx)]
    if routed.intent == OUT_OF_SCOPE or not CLARIFY_FROM <= routed.confidence < CLARIFY_BELOW:
        return []
    return [intent for intent, p in routed.alternatives
            if p >= CLARIFY_OPTION_MIN and _offerable(intent, persona, ctx)][:3]


def _offerable(intent: str, persona: Any, ctx: TurnContext) -> bool:
    """A request the clarifying question can offer: it has a button, and this persona runs it, hands
    it off, or lets customers ask for a person."""
    return intent in BUTTON_KEYS and (workflow_for(ctx, persona, intent) is not None
                                      or handoff_target(persona, intent) is not None or intent == "human")


async def clarify(state: ConversationState, runtime: Ctx) -> dict:
    ctx = runtime.context
    lang = _lang(state, ctx)
    options = getattr(ctx, "clarify", None) or []
    buttons = [t(BUTTON_KEYS[intent], lang) for intent in options] + [t("btn_other", lang)]
    ctx.reply(t("clarify", lang), buttons)
    ctx.outcome = "clarify"
    return {"offered": buttons}


def answerable_language(language: str, persona: Any) -> str:
    if language in persona.languages:
        return language
    for nearest in _NEAREST.get(language, ()):
        if nearest in persona.languages:
            return nearest
    return persona.default_language


async def language_switched(state: ConversationState, runtime: Ctx) -> dict:
    ctx = runtime.context
    persona = ctx.services.persona
    lang = _lang(state, ctx)
    asked = getattr(ctx, "language_switch", None)
    buttons = _quick_replies(persona, lang)
    if asked and asked != lang:
        # Asked for a language this persona does not speak yet: say so in the one it will use.
        ctx.reply(t("language_unavailable", lang, languages=", ".join(LANGUAGE_NAMES.get(x, x) for x in persona.languages)),
                  buttons)
    else:
        ctx.reply(t("language_switched", lang), buttons)
    ctx.outcome = "language_switched"
    return {"offered": buttons}


LANGUAGE_NAMES = {"en": "English", "hi": "हिन्दी", "hinglish": "Hinglish", "ta": "தமிழ்", "te": "తెలుగు",
                  "bn": "বাংলা", "mr": "मराठी", "gu": "ગુજરાતી", "pa": "ਪੰਜਾਬੀ", "kn": "ಕನ್ನಡ", "ml": "മലയാളം",
                  "or": "ଓଡ଼ିଆ"}


def workflow_for(ctx: TurnContext, persona: Any, intent: str) -> Any:
    """The workflow `persona` runs for `intent`, if it handles the intent."""
    if intent not in persona.intents:
        return None
    workflows = ctx.services.personas.workflows
    for workflow_id in persona.workflows:
        workflow = workflows.get(workflow_id)
        if workflow is not None and intent in workflow.intents:
            return workflow
    return None


def handoff_target(persona: Any, intent: str) -> str | None:
    for target, intents in persona.handoffs.items():
        if intent in intents:
            return target
    return None


def _answers_the_question(wait: str | None, wf: Mapping[str, Any], text: str, intent: str) -> bool:
    """Could this message be the answer the waiting workflow asked for? (If not, and it is a new
    request, the new request wins.)"""
    if wait == "confirm":
        return answers.yes_no(text) is not None
    if wait == "choose":
        return answers.pick(text, wf.get("labels") or []) is not None
    if wait == "identity":
        return parse_identifier(text) is not None
    if wait == "otp":
        return intent == "resend_otp" or bool(re.search(r"[0-9\u0966-\u096F]{4,8}", text))
    if wait == "answer":
        return parse_date_of_birth(text) is not None
    return False


def build_conversation_graph(checkpointer, workflows: Mapping[str, Any]):
    """Compile the conversation graph with a subgraph per workflow (one factory: engine.compile_workflow)."""
    compiled = {workflow_id: compile_workflow(workflow) for workflow_id, workflow in workflows.items()}
    nodes = {node_name(workflow_id) for workflow_id in compiled}

    async def understand(state: ConversationState, runtime: Ctx) -> Command:
        ctx = runtime.context
        services = ctx.services
        active = services.personas.get(state.get("persona") or services.persona_id)
        persona = active or services.personas[services.persona_id]
        services.pinned = persona  # this turn answers as the conversation's persona
        text = resolve_numbered_choice(ctx.text, tuple(state.get("offered") or ()))
        ctx.text = text
        current = _lang(state, ctx)
        found = detect(text, current if current in LANGUAGES else None)
        switch = found.switch_to
        if switch:
            language = switch
        elif state.get("language_pinned"):
            language = current  # asked for explicitly: a stray English word does not undo it
        else:
            language = found.language
        language = answerable_language(language, persona)
        request = read_request(text, services.router, switching=bool(switch))
        update: dict[str, Any] = {"language": language, "turns": state.get("turns", 0) + 1, "offered": [],
                                  "last_active": ctx.now, "wf_exit": None, "persona": persona.id}
        if switch:
            update["language_pinned"] = True
            update["language_requested"] = switch
            ctx.tools.append(f"language.switch->{switch}")
            if state.get("customer_id") and services.profiles is not None:
                await services.profiles.set_language(state["customer_id"], switch)
        # Idle too long: forget verification (computed here, every turn, never trusted from the client).
        if (state.get("verified_at") or state.get("light_at")) and \
                ctx.now - (state.get("last_active") or 0.0) > services.auth_idle_s:
            update.update(verified_at=None, light_at=None)
        wf = state.get("wf")
        if wf and wf.get("id") not in compiled:
            wf = None  # the workflow was removed by a reload
        if wf:
            wf = {**wf, "hops": 0}
        update["wf"] = wf
        ctx.expect_otp = bool(wf and wf.get("wait") == "otp")
        wait = wf.get("wait") if wf else None
        # Not while a workflow waits for an answer (a code, a yes, a date is no request) or a person
        # owns the conversation.
        if not wait and state.get("step") != "escalated":
            request = await ask_llm_when_unsure(request, persona, ctx)
        intent = request.intent
        ctx.intent = intent

        starts = workflow_for(ctx, persona, intent)
        handoff = handoff_target(persona, intent) if starts is None else None
        new_request = starts is not None or handoff is not None
        if state.get("step") == "escalated":
            goto = "with_human"
        elif intent == "human" and persona.escalation.on_customer_request:
            goto = "escalate"
        elif switch and intent in ("unknown", "greeting"):
            # "Hindi mein baat karo" and nothing else: acknowledge it; a waiting question keeps waiting.
            goto = "language_switched"
        elif wf and wait and not (new_request and not _answers_the_question(wait, wf, text, intent)):
            goto = node_name(wf["id"])
        elif starts is not None and starts.id in compiled:
            update["wf"] = new_run(starts, intent, request_hints(text, ctx.now))
            update["unresolved"] = 0
            goto = node_name(starts.id)
        elif handoff is not None:
            update["wf"] = None
            update["wf_exit"] = {"kind": "handoff", "to": handoff, "intent": intent, "note": f"asked: {intent}"}
            update["unresolved"] = 0
            goto = "handoff"
        elif intent == "greeting":
            update["unresolved"] = 0
            goto = "greet"
        else:
            # The fallback asks which request it is if the router leaned somewhere, else tries the
            # knowledge base, else says what the bot can do.
            ctx.clarify = clarify_options(request, persona, ctx)
            goto = "fallback"
        ctx.language_switch = switch
        return Command(goto=goto, update=update)

    async def handoff(state: ConversationState, runtime: Ctx) -> Command:
        ctx = runtime.context
        services = ctx.services
        exit_ = state.get("wf_exit") or {}
        current = services.persona
        back = exit_.get("to") == "back"
        target_id = (state.get("handoff_from") or services.persona_id) if back else exit_.get("to")
        target = services.personas.get(target_id or "")
        lang = _lang(state, ctx)
        if target is None or target.id == current.id:
            return Command(goto="fallback", update={"wf_exit": None})
        services.pinned = target
        if lang not in target.languages:
            lang = target.default_language
        update: dict[str, Any] = {
            "persona": target.id, "language": lang, "wf_exit": None,
            "handoff_from": None if back else current.id,
            "handoff_note": None if back else mask(str(exit_.get("note") or ""))[:200],
        }
        ctx.tools.append(f"handoff.{current.id}->{target.id}")
        ctx.reply(t("handoff_to", lang, name=target.name))
        intent = exit_.get("intent")
        workflow = workflow_for(ctx, target, intent) if intent else None
        if workflow is not None and workflow.id in compiled:
            update["wf"] = new_run(workflow, intent, request_hints(ctx.text, ctx.now))
            return Command(goto=node_name(workflow.id), update=update)
        ctx.reply(target.greeting.get(lang) or target.greeting[target.default_language])
        return Command(goto=END, update=update)

    async def hand_back(state: ConversationState, runtime: Ctx) -> dict:
        ctx = runtime.context
        services = ctx.services
        target = services.personas.get(state.get("handoff_from") or "") or services.personas.get(services.persona_id)
        if target is None:
            return {"handoff_from": None}
        services.pinned = target
        lang = _lang(state, ctx)
        ctx.tools.append(f"handoff.back->{target.id}")
        ctx.reply(t("handed_back", lang if lang in target.languages else target.default_language, name=target.name))
        return {"persona": target.id, "handoff_from": None, "handoff_note": None}

    graph = StateGraph(ConversationState, context_schema=TurnContext)
    graph.add_node("understand", understand,
                   destinations=("greet", "fallback", "escalate", "with_human", "handoff", "language_switched",
                                 *sorted(nodes)))
    graph.add_node("language_switched", language_switched)
    graph.add_node("clarify", clarify)
    graph.add_node("greet", greet)
    graph.add_node("fallback", fallback, destinations=("escalate", "clarify", END))
    graph.add_node("escalate", escalate)
    graph.add_node("with_human", with_human)
    graph.add_node("handoff", handoff, destinations=("fallback", END, *sorted(nodes)))
    graph.add_node("hand_back", hand_back)
    for workflow_id, subgraph in compiled.items():
        name = node_name(workflow_id)
        graph.add_node(name, subgraph)
        graph.add_conditional_edges(name, after_workflow, {"escalate": "escalate", "handoff": "handoff",
                                                           "hand_back": "hand_back", END: END})
    graph.add_edge(START, "understand")
    for leaf in ("greet", "escalate", "with_human", "hand_back", "language_switched", "clarify"):
        graph.add_edge(leaf, END)
    return graph.compile(checkpointer=checkpointer)


def after_workflow(state: ConversationState) -> str:
    exit_ = state.get("wf_exit") or {}
    kind = exit_.get("kind")
    if kind in ("escalate", "handoff"):
        return kind
    if kind == "done" and state.get("handoff_from"):
        return "hand_back"
    return END


def _quick_replies(persona: Any, lang: str) -> list[str]:
    custom = persona.quick_replies.get(lang) or persona.quick_replies.get(persona.default_language)
    return list(custom) if custom else [t(k, lang) for k in ("btn_balance", "btn_recent", "btn_human")]


async def greet(state: ConversationState, runtime: Ctx) -> dict:
    ctx = runtime.context
    lang = _lang(state, ctx)
    persona = ctx.services.persona
    buttons = _quick_replies(persona, lang)
    ctx.reply(persona.greeting.get(lang) or persona.greeting[persona.default_language], buttons)
    return {"step": "idle", "offered": buttons}


async def fallback(state: ConversationState, runtime: Ctx) -> Command:
    ctx = runtime.context
    lang = _lang(state, ctx)
    persona = ctx.services.persona
    # The router leaned towards some of our requests without being sure: ask which (before the
    # knowledge base, which would otherwise answer a request with a policy text).
    if ctx.clarify:
        return Command(goto="clarify")
    # A general question (charges, limits, timings, KYC, complaints) may be in the knowledge base.
    knowledge = ctx.services.knowledge
    if knowledge is not None:
        ctx.tools.append("kb.search")
        hit = await knowledge.answer(ctx.text)
        if hit is not None:
            section = hit.section
            buttons = _quick_replies(persona, lang)
            phrased = await _phrased_in(lang, section, ctx)
            if phrased is not None:
                ctx.reply(f"{phrased}\n\n{kb_citation(section, lang)}", buttons)
            else:
                ctx.reply(t("kb_answer", lang, text=section.text, title=section.title, heading=section.heading,
                            source=section.source), buttons)
            ctx.outcome = "knowledge"
            return Command(goto=END, update={"offered": buttons, "unresolved": 0})
    unresolved = state.get("unresolved", 0) + 1
    limit = persona.escalation.max_unresolved_turns
    if limit and unresolved >= limit:
        return Command(goto="escalate", update={"unresolved": 0,
                                                "wf_exit": {"kind": "escalate", "reason": "unresolved"}})
    buttons = _quick_replies(persona, lang)
    ctx.reply(t("fallback", lang), buttons)
    ctx.outcome = "clarify"
    return Command(goto=END, update={"offered": buttons, "unresolved": unresolved})


async def _phrased_in(lang: str, section: Any, ctx: TurnContext) -> str | None:
    """The section's answer written by a configured LLM in `lang`, for a customer who does not read the
    English document; None: answer with the section as written."""
    llm = ctx.services.llm_tasks
    if llm is None or not llm.uses.phrase_knowledge or lang == "en":
        return None
    ctx.tools.append("llm.phrase")
    return await llm.phrase_answer(ctx.text, [section], lang)


def kb_citation(section: Any, lang: str) -> str:
    """The source line of the `kb_answer` message in `lang` (its text after {text}), for an answer an
    LLM phrased: the citation is always ours, in the same words as an unphrased answer's."""
    template = MESSAGES["kb_answer"].get(lang) or MESSAGES["kb_answer"]["en"]
    return template.split("{text}", 1)[1].strip().format(
        title=section.title, heading=section.heading, source=section.source)


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
    persona = ctx.services.persona
    exit_ = state.get("wf_exit") or {}
    if exit_.get("kind") == "escalate":
        reason = exit_.get("reason") or "unresolved"
    else:
        reason = "customer_request" if ctx.intent == "human" else "unresolved"
    verified = bool(state.get("verified_at") and state.get("customer_id"))
    cases = ctx.services.cases
    ctx.tools.append("cases.open")
    # The message being handled is audited after this turn; its masked text joins the summary here.
    latest = "[security answer]" if ctx.expect_secret else \
        mask(ctx.text, expect_otp=ctx.expect_otp or bool(_BARE_CODE.fullmatch(ctx.text)))
    summary = await cases.summarize(ctx.conversation, latest)
    if state.get("handoff_note"):
        summary = f"[handed over: {state['handoff_note']}]\n{summary}"
    customer_id = state.get("customer_id") or ""
    case = await cases.open_case(
        kind="escalation", channel=ctx.channel, conversation=ctx.conversation,
        customer_id=customer_id, reason=reason,
        priority=exit_.get("priority") or case_priority(reason, verified=verified),
        tier=await customer_tier(ctx, customer_id), summary=summary,
        team=exit_.get("team") or persona.escalation.team)
    llm = ctx.services.llm_tasks
    if llm is not None and llm.uses.summarise:
        # A handover note for the agent, from the same masked lines; written after the reply.
        ctx.tools.append("llm.summarise")
        llm.summarise_case_later(cases, case.reference, summary.splitlines())
    if exit_.get("say"):
        ctx.reply(str(exit_["say"]).replace("{reference}", case.reference))
    else:
        key = "otp_failed_escalated" if reason == "otp_failed" else "handed_to_human"
        ctx.reply(t(key, lang, reference=case.reference))
    ctx.outcome = "escalated"
    update = {"step": "escalated", "case_ref": case.reference, "case_team": case.team, "hold_notice_sent": False,
              "wf": None, "wf_exit": None}
    if reason == "otp_failed":
        # Repeated OTP failure also drops any partial identity: the next attempt starts over.
        update.update(verified_at=None, light_at=None, customer_id=None, otp_subject=None)
    return update


async def with_human(state: ConversationState, runtime: Ctx) -> dict:
    """A human owns the conversation: the bot stays silent. The customer's messages are still claimed
    and audited (masked) by the loop, which is where the agent reads them; only the first message
    after the escalation gets one short notice, so the customer knows they were not lost."""
    ctx = runtime.context
    ctx.outcome = "with_human"
    if state.get("hold_notice_sent"):
        return {}
    key = f"with_human_{state.get('case_team')}"
    ctx.reply(t(key if key in MESSAGES else "with_human", _lang(state, ctx), reference=state.get("case_ref") or ""))
    return {"hold_notice_sent": True}
