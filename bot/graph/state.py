"""What a conversation remembers (checkpointed) and what one turn carries (never checkpointed).

The checkpointed state stays small: ids, the workflow step, the auth facts. The customer's words are
passed in the per-turn context, which LangGraph does not persist, so an OTP typed in chat never lands
in a checkpoint; the transcript lives (masked) in the audit trail."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, TypedDict

from channels.base import OutboundMessage


class ConversationState(TypedDict, total=False):
    language: str
    step: str  # idle | await_identity | await_otp | escalated (a human owns the conversation)
    pending_intent: str  # what to do once the customer is verified
    customer_id: str | None  # bound server-side from the identifier the customer typed
    otp_subject: str | None  # the customer id, or a hash of an unknown identifier (never the raw number)
    verified_at: float | None
    last_active: float
    otp_failures: int
    offered: list[str]  # button labels offered last turn (for "2" on channels without buttons)
    case_ref: str | None
    case_team: str | None  # the team that owns the escalation (names it in the "with a person" notice)
    hold_notice_sent: bool  # while with a human: the one "an officer will reply here" was sent
    agent_notes: str | None  # the human agent's (masked) notes from the last hand-back
    turns: int
    light_at: float | None  # identified by the registered mobile or a security answer ("light" auth)
    persona: str  # the persona answering now (a handoff changes it); default: the one the gateway serves
    handoff_from: str | None  # the persona that handed over, to return to when the workflow is done
    handoff_note: str | None  # masked context the handing-over persona passed on
    wf: dict | None  # the running workflow: id, step, saved variables, what it waits for (engine.py)
    wf_exit: dict | None  # how the workflow left this turn: done, escalate, handoff (read by the graph)
    unresolved: int  # turns in a row the bot could not understand
    language_pinned: bool  # the customer asked for this language: only another explicit request changes it
    language_requested: str | None  # what they asked for (may be one the persona cannot answer in yet)


@dataclass
class Services:
    """App-scoped collaborators a turn may use. Tools are reached only through these."""

    bank: Any  # CoreBanking
    otp: Any  # OtpService
    notifier: Any  # Notifier
    cases: Any  # Cases
    personas: Any  # bot.persona.PersonaRegistry: swapped as a whole on reload
    persona_id: str  # which persona this gateway serves
    auth_idle_s: int
    secure_links: Any = None  # bot.auth.secure_links.SecureLinks
    holidays: tuple = ()  # bank holidays (dates) for RBI's working-day clocks
    llm: Any = None  # bot.workflows.llm_scorer.LlmScorer when an LLM is configured for risk opinions
    llm_tasks: Any = None  # bot.llm.tasks.LlmTasks when an LLM is configured: classify, phrase, summarise
    knowledge: Any = None  # bot.knowledge.search.KnowledgeBase: answers general questions with a source
    profiles: Any = None  # bot.stores.profiles.Profiles: the language a customer asked for, across chats
    router: Any = None  # bot.understanding.router.Router: intents the keywords miss (other languages)
    pinned: Any = None  # the Persona one turn runs with (see for_turn)

    @property
    def persona(self) -> Any:
        """The persona, from the registry as it is now: a reload reaches the next turn."""
        return self.pinned if self.pinned is not None else self.personas[self.persona_id]

    def for_turn(self) -> Services:
        """A copy pinned to the current persona, so one turn never mixes the old and a reloaded one."""
        return replace(self, pinned=self.personas[self.persona_id])


@dataclass
class TurnContext:
    text: str
    channel: str
    conversation: str
    now: float
    services: Services
    replies: list[OutboundMessage] = field(default_factory=list)
    intent: str = "unknown"
    tools: list[str] = field(default_factory=list)
    outcome: str = "answered"
    expect_otp: bool = False  # the conversation was waiting for a code when this message arrived
    expect_secret: bool = False  # the message answers a security question: never audited in clear
    language_switch: str | None = None  # the language the customer explicitly asked for in this message
    clarify: list[str] = field(default_factory=list)  # likely intents to offer when the router is unsure
    sender_phone: str | None = None  # E.164, on channels whose sender is a phone number
    # The language the channel expects (the web page's): the conversation's until the customer's own
    # words say otherwise. Only a first message with no language of its own ("ok", "1234") follows it.
    language_hint: str | None = None

    def reply(self, text: str, buttons: tuple[str, ...] | list[str] = ()) -> None:
        self.replies.append(OutboundMessage(text, tuple(buttons)))
