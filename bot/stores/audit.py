"""The audit trail: one append-only record per turn, masked before it is written.

Append-only is enforced by the database itself (triggers refuse UPDATE and DELETE), not by
convention. The web widget's history and the ops console read from here, never from checkpoints."""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass

from bot.stores.sql import Sql


@dataclass(frozen=True)
class AuditRecord:
    channel: str
    conversation: str
    message_id: str
    persona: str
    language: str
    intent: str
    step: str
    tools: list[str]
    outcome: str
    latency_ms: float
    text: str  # masked
    replies: list[dict]  # masked {"text", "buttons"}
    at: float = 0.0


class AuditLog:
    DDL = {
        "sqlite": """CREATE TABLE IF NOT EXISTS audit (
            id INTEGER PRIMARY KEY AUTOINCREMENT, at REAL NOT NULL, channel TEXT NOT NULL,
            conversation TEXT NOT NULL, message_id TEXT NOT NULL, persona TEXT NOT NULL,
            language TEXT NOT NULL, intent TEXT NOT NULL, step TEXT NOT NULL, tools TEXT NOT NULL,
            outcome TEXT NOT NULL, latency_ms REAL NOT NULL, text TEXT NOT NULL, replies TEXT NOT NULL);
            CREATE INDEX IF NOT EXISTS audit_conversation ON audit (conversation, id);
            CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit
              BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;
            CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit
              BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END""",
        "postgres": """CREATE TABLE IF NOT EXISTS audit (
            id BIGSERIAL PRIMARY KEY, at DOUBLE PRECISION NOT NULL, channel TEXT NOT NULL,
            conversation TEXT NOT NULL, message_id TEXT NOT NULL, persona TEXT NOT NULL,
            language TEXT NOT NULL, intent TEXT NOT NULL, step TEXT NOT NULL, tools TEXT NOT NULL,
            outcome TEXT NOT NULL, latency_ms DOUBLE PRECISION NOT NULL, text TEXT NOT NULL,
            replies TEXT NOT NULL);
            CREATE INDEX IF NOT EXISTS audit_conversation ON audit (conversation, id);
            CREATE OR REPLACE FUNCTION sahayak_audit_append_only() RETURNS trigger AS $$
              BEGIN RAISE EXCEPTION 'audit is append-only'; END $$ LANGUAGE plpgsql;
            DROP TRIGGER IF EXISTS audit_append_only ON audit;
            CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON audit
              FOR EACH ROW EXECUTE FUNCTION sahayak_audit_append_only()""",
    }
    COLUMNS = ("at", "channel", "conversation", "message_id", "persona", "language", "intent", "step",
               "tools", "outcome", "latency_ms", "text", "replies")

    def __init__(self, db: Sql):
        self._db = db

    async def setup(self) -> None:
        await self._db.script(self.DDL[self._db.dialect])

    async def append(self, record: AuditRecord) -> None:
        row = asdict(record)
        row["at"] = row["at"] or time.time()
        row["tools"] = json.dumps(row["tools"])
        row["replies"] = json.dumps(row["replies"], ensure_ascii=False)
        await self._db.execute(
            f"INSERT INTO audit ({', '.join(self.COLUMNS)}) VALUES ({', '.join('?' * len(self.COLUMNS))})",
            tuple(row[c] for c in self.COLUMNS),
        )

    async def for_conversation(self, conversation: str, *, limit: int = 200) -> list[AuditRecord]:
        rows = await self._db.fetchall(
            f"SELECT {', '.join(self.COLUMNS)} FROM audit WHERE conversation = ? ORDER BY id DESC LIMIT ?",
            (conversation, limit),
        )
        records = []
        for row in reversed(rows):
            d = dict(zip(self.COLUMNS, row))
            d["tools"] = json.loads(d["tools"])
            d["replies"] = json.loads(d["replies"])
            records.append(AuditRecord(**d))
        return records

    async def count(self, conversation: str | None = None) -> int:
        if conversation is None:
            row = await self._db.fetchone("SELECT COUNT(*) FROM audit")
        else:
            row = await self._db.fetchone("SELECT COUNT(*) FROM audit WHERE conversation = ?", (conversation,))
        return int(row[0])
