"""The one conversation loop every channel feeds (DESIGN.md, "The path of one message").

    arrival ─> ticket (arrival order) ─> claim (channel, message id) + inbox ─> turn (graph + checkpoint)
            ─> audit (masked) ─> inbox result ─> channel.send

A duplicate (same channel and message id) never runs a turn: it waits for the original's result
and gets the same replies, so a retried HTTP request or webhook is answered, not repeated.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from dataclasses import dataclass
from datetime import datetime

from bot.graph.state import Services, TurnContext
from bot.masking import mask
from bot.stores.factory import Stores
from bot.stores.audit import AuditRecord
from channels.base import Attachment, Channel, InboundMessage, OutboundMessage, render

log = logging.getLogger("sahayak.loop")

SORRY = {
    "en": "Sorry, something went wrong on our side. Please try again in a moment.",
    "hi": "क्षमा करें, हमारी ओर से कुछ गड़बड़ हुई। कृपया थोड़ी देर में फिर कोशिश करें।",
}


@dataclass(frozen=True)
class TurnResult:
    replies: list[OutboundMessage]
    duplicate: bool


def inbound_to_json(msg: InboundMessage) -> dict:
    return {"channel": msg.channel, "conversation": msg.conversation, "sender": msg.sender, "text": msg.text,
            "message_id": msg.message_id, "received_at": msg.received_at.isoformat(),
            "language_hint": msg.language_hint,
            "attachments": [{"kind": a.kind, "mime_type": a.mime_type, "ref": a.ref} for a in msg.attachments]}


def inbound_from_json(data: dict) -> InboundMessage:
    return InboundMessage(channel=data["channel"], conversation=data["conversation"], sender=data["sender"],
                          text=data["text"], message_id=data["message_id"],
                          received_at=datetime.fromisoformat(data["received_at"]),
                          language_hint=data.get("language_hint"),
                          attachments=tuple(Attachment(**a) for a in data.get("attachments", ())))


class ConversationLoop:
    def __init__(self, stores: Stores, graph, services: Services, channels: dict[str, Channel],
                 *, turn_timeout_s: float = 30.0):
        self.stores = stores
        self.graph = graph
        self.services = services
        self.channels = channels
        self.turn_timeout_s = turn_timeout_s
        self._running: set[asyncio.Task] = set()

    async def handle(self, msg: InboundMessage) -> TurnResult:
        """Run one inbound message to completion and return its replies (the web channel's path).

        Shielded: if the request that brought the message goes away (a closed tab, a proxy
        timeout), the turn still finishes, is audited and its replies stored."""
        return await asyncio.shield(self._track(asyncio.ensure_future(self._handle(msg))))

    async def _handle(self, msg: InboundMessage) -> TurnResult:
        turn = await self.accept(msg)
        if turn is None:
            return TurnResult(await self._wait_for_result(msg), duplicate=True)
        return TurnResult(await turn, duplicate=False)

    async def accept(self, msg: InboundMessage) -> asyncio.Task | None:
        """Claim the message (durably: it is in the inbox when this returns) and queue its turn.
        None for a duplicate. Webhook channels await this for each message, then acknowledge; the
        replies go out through the channel when the turn has run."""
        key = msg.conversation_key
        # The ticket is taken before the first await: this keeps messages in arrival order.
        ticket = self.stores.locks.ticket(key)
        try:
            first = await self.stores.claims.claim(msg.channel, key, msg.message_id, inbound_to_json(msg))
        except BaseException:
            self.stores.locks.cancel(key, ticket)
            raise
        if not first:
            self.stores.locks.cancel(key, ticket)
            return None
        return self._track(asyncio.ensure_future(self.run_claimed(msg, ticket)))

    def _track(self, task: asyncio.Task) -> asyncio.Task:
        self._running.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task) -> None:
        self._running.discard(task)
        # A webhook's turn has no one awaiting it: its failure must still be seen.
        if not task.cancelled() and task.exception() is not None:
            log.error("turn failed: %s", type(task.exception()).__name__, exc_info=task.exception())

    async def run_claimed(self, msg: InboundMessage, ticket: asyncio.Future) -> list[OutboundMessage]:
        """Run the turn of a message already claimed, on the ticket taken when it arrived. `accept` does
        both; a channel that must do slow work between the claim and the turn (a voice note's
        transcription) claims first, then calls this with the message's final text, in its place."""
        key = msg.conversation_key
        try:
            async with self.stores.locks.hold(key, ticket):
                if not await self._start(msg):  # a replay on another gateway got there first
                    return await self._wait_for_result(msg)
                return await self._turn(msg)
        except TimeoutError:
            # The conversation stayed busy past the wait limit: answer, and close the row so a retry
            # gets this answer rather than waiting for a turn that will never come.
            sorry = [OutboundMessage(SORRY["en"])]
            await self.stores.inbox.finish(msg.channel, key, msg.message_id, [r.as_json() for r in sorry],
                                           failed=True)
            return sorry

    async def _start(self, msg: InboundMessage) -> bool:
        return await self.stores.inbox.start(msg.channel, msg.conversation_key, msg.message_id,
                                             stale_after_s=2 * self.turn_timeout_s + 10)

    async def drain(self) -> None:
        """Let turns in flight finish (at shutdown, before the stores close)."""
        if self._running:
            await asyncio.gather(*self._running, return_exceptions=True)

    async def _wait_for_result(self, msg: InboundMessage) -> list[OutboundMessage]:
        deadline = time.monotonic() + self.turn_timeout_s + 5
        delay = 0.005
        while time.monotonic() < deadline:
            result = await self.stores.inbox.result(msg.channel, msg.conversation_key, msg.message_id)
            if result is not None and result.status in ("done", "failed"):
                return [OutboundMessage(r["text"], tuple(r.get("buttons", ()))) for r in result.replies or []]
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.2)
        return []  # the original is still running; its replies reach the customer through the channel

    async def _turn(self, msg: InboundMessage) -> list[OutboundMessage]:
        started = time.perf_counter()
        key = msg.conversation_key
        channel = self.channels.get(msg.channel)
        phone_sender = channel is not None and channel.capabilities.phone_sender
        ctx = TurnContext(text=msg.text, channel=msg.channel, conversation=key, now=time.time(),
                          services=self.services.for_turn(), sender_phone=msg.sender if phone_sender else None,
                          language_hint=msg.language_hint)
        # A workflow may run many steps in one turn (each is a LangGraph step); the engine bounds them itself.
        config = {"configurable": {"thread_id": key}, "recursion_limit": 100}
        state: dict = {}
        failed = False
        try:
            state = await asyncio.wait_for(
                self.graph.ainvoke({}, config, context=ctx, durability="exit"), self.turn_timeout_s)
        except Exception as e:
            # The customer's words are never in this log line; the traceback type and place are.
            log.exception("turn failed in %s: %s", mask(key), type(e).__name__)
            failed = True
            ctx.outcome = "error"
            ctx.replies = [OutboundMessage(SORRY.get(ctx_language(ctx, state), SORRY["en"]))]
        replies = list(ctx.replies)
        try:
            await self.stores.audit.append(AuditRecord(
                channel=msg.channel, conversation=key, message_id=msg.message_id,
                persona=ctx.services.persona.id, language=state.get("language", "en"), intent=ctx.intent,
                step=audit_step(state), tools=ctx.tools, outcome=ctx.outcome,
                latency_ms=round((time.perf_counter() - started) * 1000, 2),
                # An answer to a security question (a date of birth) is never kept, even masked.
                text="[security answer]" if ctx.expect_secret else
                mask(msg.text, expect_otp=failed or ctx.expect_otp or looks_like_a_code(msg.text)),
                replies=[{"text": mask(r.text), "buttons": list(r.buttons)} for r in replies]))
        finally:
            # Even if the audit write failed, the row is closed: a retry must not wait for ever, and
            # a replay must not run the turn again. (The failure itself propagates.)
            await self.stores.inbox.finish(msg.channel, key, msg.message_id, [r.as_json() for r in replies],
                                           failed=failed)
        await self._deliver(msg, replies)
        return replies

    async def _deliver(self, msg: InboundMessage, replies: list[OutboundMessage]) -> None:
        channel = self.channels.get(msg.channel)
        if channel is None or not replies:
            return
        rendered = [part for reply in replies for part in render(reply, channel.capabilities)]
        try:
            await channel.send(msg.conversation, rendered, in_reply_to=msg.message_id)
        except Exception as e:
            log.error("delivery failed on %s: %s", msg.channel, type(e).__name__)

    async def replay_unfinished(self, older_than_s: float = 0.0) -> int:
        """Run turns for messages that were claimed but never finished (a crash mid-turn). Each row is
        taken with `start` first, so gateways starting together replay a message once between them;
        a row that fails again is closed as failed rather than stopping start-up."""
        count = 0
        for payload in await self.stores.inbox.unfinished(older_than_s):
            msg = inbound_from_json(payload)
            ticket = self.stores.locks.ticket(msg.conversation_key)
            try:
                async with self.stores.locks.hold(msg.conversation_key, ticket):
                    if await self.stores.inbox.start(msg.channel, msg.conversation_key, msg.message_id,
                                                     stale_after_s=older_than_s):
                        await self._turn(msg)
                        count += 1
            except Exception as e:
                log.error("replay of a message in %s failed: %s", mask(msg.conversation_key), type(e).__name__)
        return count


def looks_like_a_code(text: str) -> bool:
    """A message that is only a 4-8 digit number is treated as a code in the audit, whatever the step:
    customers resend OTPs, or send them a turn late."""
    return bool(_CODE.fullmatch(text))


_CODE = re.compile(r"\s*[0-9\u0966-\u096F]{4,8}\s*")


def ctx_language(ctx: TurnContext, state: dict) -> str:
    return state.get("language") or ctx.services.persona.default_language


def audit_step(state: dict) -> str:
    """Where the conversation is after the turn: the workflow step it waits at, else the graph's step."""
    wf = state.get("wf") or {}
    if wf.get("id"):
        return f"{wf['id']}.{wf.get('at')}"
    return state.get("step") or "idle"
