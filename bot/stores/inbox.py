"""The inbox: every claimed message is written here before its turn runs, so nothing a customer said
is lost if the process dies mid-turn (unfinished rows are replayed at start-up). When the turn
finishes, the raw text is erased (the masked copy lives in the audit trail) and the replies are kept,
so a retried request gets the same answer instead of a second turn.

Rows are keyed by (channel, conversation, message id): message ids are chosen by clients on some
channels (the web widget), so an id is only meaningful inside its own conversation. Keying by id
alone would let one visitor read another's replies by reusing their id.

A row moves pending -> running -> done | failed. `start` is the conditional pending -> running step:
whoever makes it (the original request, or a replay after a crash) runs the turn, exactly once.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

from bot.stores.sql import Sql

# Kept past WhatsApp's 7-day webhook retry window, so a late retry is still recognised.
RETENTION_S = 8 * 24 * 3600


@dataclass(frozen=True)
class InboxResult:
    status: str  # pending | running | done | failed
    replies: list[dict] | None


class Inbox:
    DDL = {
        "sqlite": """CREATE TABLE IF NOT EXISTS inbox (
            channel TEXT NOT NULL, conversation TEXT NOT NULL, message_id TEXT NOT NULL,
            received_at REAL NOT NULL, started_at REAL, payload TEXT, status TEXT NOT NULL, result TEXT,
            finished_at REAL, PRIMARY KEY (channel, conversation, message_id));
            CREATE INDEX IF NOT EXISTS inbox_unfinished ON inbox (status, received_at)""",
        "postgres": """CREATE TABLE IF NOT EXISTS inbox (
            channel TEXT NOT NULL, conversation TEXT NOT NULL, message_id TEXT NOT NULL,
            received_at DOUBLE PRECISION NOT NULL, started_at DOUBLE PRECISION, payload TEXT,
            status TEXT NOT NULL, result TEXT, finished_at DOUBLE PRECISION,
            PRIMARY KEY (channel, conversation, message_id));
            CREATE INDEX IF NOT EXISTS inbox_unfinished ON inbox (status, received_at)""",
    }

    def __init__(self, db: Sql):
        self._db = db

    async def setup(self) -> None:
        await self._db.script(self.DDL[self._db.dialect])

    async def record(self, channel: str, conversation: str, message_id: str, payload: dict) -> bool:
        """Store a new message; False if it is already here."""
        return 1 == await self._db.execute(
            "INSERT INTO inbox (channel, conversation, message_id, received_at, payload, status)"
            " VALUES (?, ?, ?, ?, ?, 'pending') ON CONFLICT DO NOTHING",
            (channel, conversation, message_id, time.time(), json.dumps(payload)),
        )

    async def forget(self, channel: str, conversation: str, message_id: str) -> None:
        """Undo a `record` whose claim could not be completed (see RedisClaims)."""
        await self._db.execute(
            "DELETE FROM inbox WHERE channel = ? AND conversation = ? AND message_id = ? AND status = 'pending'",
            (channel, conversation, message_id))

    async def start(self, channel: str, conversation: str, message_id: str, *, stale_after_s: float) -> bool:
        """Take the right to run this message's turn: pending, or running but abandoned (a crash)."""
        now = time.time()
        return 1 == await self._db.execute(
            "UPDATE inbox SET status = 'running', started_at = ?"
            " WHERE channel = ? AND conversation = ? AND message_id = ?"
            " AND (status = 'pending' OR (status = 'running' AND started_at < ?))",
            (now, channel, conversation, message_id, now - stale_after_s),
        )

    async def finish(self, channel: str, conversation: str, message_id: str, replies: list[dict],
                     *, failed: bool = False) -> None:
        await self._db.execute(
            "UPDATE inbox SET status = ?, result = ?, payload = NULL, finished_at = ?"
            " WHERE channel = ? AND conversation = ? AND message_id = ?",
            ("failed" if failed else "done", json.dumps(replies, ensure_ascii=False), time.time(),
             channel, conversation, message_id),
        )

    async def result(self, channel: str, conversation: str, message_id: str) -> InboxResult | None:
        row = await self._db.fetchone(
            "SELECT status, result FROM inbox WHERE channel = ? AND conversation = ? AND message_id = ?",
            (channel, conversation, message_id),
        )
        if row is None:
            return None
        return InboxResult(row[0], json.loads(row[1]) if row[1] else None)

    async def unfinished(self, older_than_s: float) -> list[dict]:
        """Payloads of messages received before `older_than_s` ago whose turn never finished."""
        rows = await self._db.fetchall(
            "SELECT payload FROM inbox WHERE status IN ('pending', 'running') AND received_at < ?"
            " ORDER BY received_at",
            (time.time() - older_than_s,),
        )
        return [json.loads(r[0]) for r in rows if r[0]]

    async def prune(self) -> int:
        return await self._db.execute(
            "DELETE FROM inbox WHERE status IN ('done', 'failed') AND received_at < ?",
            (time.time() - RETENTION_S,),
        )
