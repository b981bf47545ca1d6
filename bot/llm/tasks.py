"""What a turn may ask of the configured LLM, each use switched on or off in llm.yaml (`uses`).

Every method returns None when its use is off or the LLM gave no usable answer, and the caller then
does exactly what it does without an LLM. Nothing here reaches a tool: `classify` names an intent
from the list it was given, `phrase_answer` and `summarise` return text.

The agent's case summary is written after the customer's reply (`summarise_case_later`): a background
task, bounded in number, that the gateway lets finish (or cancels) at shutdown.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

from bot.knowledge.documents import Section
from bot.llm.classify import classify
from bot.llm.client import LlmClient
from bot.llm.config import Uses
from bot.llm.phrase import phrase_answer
from bot.llm.summarise import summarise

log = logging.getLogger("sahayak.llm")

MAX_PENDING_SUMMARIES = 32


class LlmTasks:
    def __init__(self, client: LlmClient, uses: Uses):
        self.client = client
        self.uses = uses
        self._pending: set[asyncio.Task] = set()

    async def classify(self, text: str, candidates: Sequence[tuple[str, str]]) -> str | None:
        """One of the candidates' intent names, or None."""
        return await classify(self.client, text, candidates) if self.uses.classify else None

    async def phrase_answer(self, question: str, sections: Sequence[Section], language: str) -> str | None:
        """A short answer in `language` from `sections` only (no citation: the caller adds it), or None."""
        return await phrase_answer(self.client, question, sections, language) if self.uses.phrase_knowledge else None

    async def summarise(self, transcript: Sequence[str], language: str = "en") -> str | None:
        return await summarise(self.client, transcript, language) if self.uses.summarise else None

    def summarise_case_later(self, cases: Any, reference: str, transcript: Sequence[str]) -> None:
        """Write a summary onto case `reference` (`cases.set_llm_summary`) in the background, so the
        customer's reply does not wait for the LLM. Skipped, and logged, when too many are pending."""
        if not self.uses.summarise:
            return
        if len(self._pending) >= MAX_PENDING_SUMMARIES:
            log.warning("LLM: %d case summaries pending; case %s gets none", len(self._pending), reference)
            return
        task = asyncio.get_running_loop().create_task(self._summarise_case(cases, reference, list(transcript)))
        self._pending.add(task)
        task.add_done_callback(self._finished)

    async def _summarise_case(self, cases: Any, reference: str, transcript: list[str]) -> None:
        note = await self.summarise(transcript)
        if note is not None:
            await cases.set_llm_summary(reference, note)

    def _finished(self, task: asyncio.Task) -> None:
        self._pending.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("LLM case summary failed: %s", type(task.exception()).__name__)

    async def drain(self) -> None:
        """Let pending summaries finish (each is bounded by the client's total deadline)."""
        if self._pending:
            await asyncio.gather(*self._pending, return_exceptions=True)
