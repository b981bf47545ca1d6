"""Cases: escalations to human agents (and, later, disputes), each with a reference a customer can quote."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

from bot.stores.sql import Sql


@dataclass(frozen=True)
class Case:
    reference: str
    created_at: float
    kind: str
    channel: str
    conversation: str
    customer_id: str
    reason: str
    status: str


def new_reference(kind: str, now: float) -> str:
    prefix = {"escalation": "ESC", "dispute": "DSP", "fraud": "FRD"}.get(kind, "CAS")
    return f"{prefix}-{time.strftime('%Y%m%d', time.gmtime(now))}-{secrets.token_hex(3).upper()}"


class Cases:
    DDL = {
        "sqlite": """CREATE TABLE IF NOT EXISTS cases (reference TEXT PRIMARY KEY, created_at REAL NOT NULL,
            kind TEXT NOT NULL, channel TEXT NOT NULL, conversation TEXT NOT NULL, customer_id TEXT NOT NULL,
            reason TEXT NOT NULL, status TEXT NOT NULL)""",
        "postgres": """CREATE TABLE IF NOT EXISTS cases (reference TEXT PRIMARY KEY,
            created_at DOUBLE PRECISION NOT NULL, kind TEXT NOT NULL, channel TEXT NOT NULL,
            conversation TEXT NOT NULL, customer_id TEXT NOT NULL, reason TEXT NOT NULL, status TEXT NOT NULL)""",
    }

    def __init__(self, db: Sql):
        self._db = db

    async def setup(self) -> None:
        await self._db.script(self.DDL[self._db.dialect])

    async def open_case(self, *, kind: str, channel: str, conversation: str, customer_id: str, reason: str) -> Case:
        now = time.time()
        case = Case(new_reference(kind, now), now, kind, channel, conversation, customer_id, reason, "open")
        await self._db.execute(
            "INSERT INTO cases (reference, created_at, kind, channel, conversation, customer_id, reason, status)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (case.reference, case.created_at, case.kind, case.channel, case.conversation, case.customer_id,
             case.reason, case.status),
        )
        return case

    async def for_conversation(self, conversation: str) -> list[Case]:
        rows = await self._db.fetchall(
            "SELECT reference, created_at, kind, channel, conversation, customer_id, reason, status"
            " FROM cases WHERE conversation = ? ORDER BY created_at", (conversation,))
        return [Case(*r) for r in rows]
