"""The inbox: every claimed message is written here before its turn runs, so nothing a customer said
is lost if the process dies mid-turn (pending rows are replayed at start-up). When the turn finishes,
the raw text is erased (the masked copy lives in the audit trail) and the replies are kept so that a
retried request gets the same answer instead of a second turn."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

from bot.stores.sql import Sql

# Kept past WhatsApp's 7-day webhook retry window, so a late retry is still recognised.
RETENTION_S = 8 * 24 * 3600


@dataclass(frozen=True)
class InboxResult:
    status: str  # pending | done | failed
    replies: list[dict] | None


class Inbox:
    DDL = {
        "sqlite": """CREATE TABLE IF NOT EXISTS inbox (
            channel TEXT NOT NULL, message_id TEXT NOT NULL, conversation TEXT NOT NULL,
            received_at REAL NOT NULL, payload TEXT, status TEXT NOT NULL, result TEXT,
            finished_at REAL, PRIMARY KEY (channel, message_id));
            CREATE INDEX IF NOT EXISTS inbox_pending ON inbox (status, received_at)""",
        "postgres": """CREATE TABLE IF NOT EXISTS inbox (
            channel TEXT NOT NULL, message_id TEXT NOT NULL, conversation TEXT NOT NULL,
            received_at DOUBLE PRECISION NOT NULL, payload TEXT, status TEXT NOT NULL, result TEXT,
            finished_at DOUBLE PRECISION, PRIMARY KEY (channel, message_id));
            CREATE INDEX IF NOT EXISTS inbox_pending ON inbox (status, received_at)""",
    }

    def __init__(self, db: Sql):
        self._db = db

    async def setup(self) -> None:
        await self._db.script(self.DDL[self._db.dialect])

    async def record(self, channel: str, message_id: str, conversation: str, payload: dict) -> bool:
        """Store a new message; False if (channel, message id) is already here."""
        return 1 == await self._db.execute(
            "INSERT INTO inbox (channel, message_id, conversation, received_at, payload, status)"
            " VALUES (?, ?, ?, ?, ?, 'pending') ON CONFLICT DO NOTHING",
            (channel, message_id, conversation, time.time(), json.dumps(payload)),
        )

    async def finish(self, channel: str, message_id: str, replies: list[dict], *, failed: bool = False) -> None:
        await self._db.execute(
            "UPDATE inbox SET status = ?, result = ?, payload = NULL, finished_at = ?"
            " WHERE channel = ? AND message_id = ?",
            ("failed" if failed else "done", json.dumps(replies), time.time(), channel, message_id),
        )

    async def result(self, channel: str, message_id: str) -> InboxResult | None:
        row = await self._db.fetchone(
            "SELECT status, result FROM inbox WHERE channel = ? AND message_id = ?", (channel, message_id)
        )
        if row is None:
            return None
        return InboxResult(row[0], json.loads(row[1]) if row[1] else None)

    async def pending(self, older_than_s: float) -> list[dict]:
        rows = await self._db.fetchall(
            "SELECT payload FROM inbox WHERE status = 'pending' AND received_at < ? ORDER BY received_at",
            (time.time() - older_than_s,),
        )
        return [json.loads(r[0]) for r in rows if r[0]]

    async def prune(self) -> int:
        return await self._db.execute(
            "DELETE FROM inbox WHERE status <> 'pending' AND received_at < ?", (time.time() - RETENTION_S,)
        )
