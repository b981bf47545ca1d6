"""The demo outbox: in demo mode the SMS and email the bank would send (OTPs, alerts) land here so a
person trying the demo can read them at GET /demo/outbox. Never mounted outside demo mode."""

from __future__ import annotations

import time

from bot.stores.sql import Sql


class DemoOutbox:
    DDL = """CREATE TABLE IF NOT EXISTS demo_outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, at REAL NOT NULL,
        kind TEXT NOT NULL, recipient TEXT NOT NULL, subject TEXT NOT NULL, body TEXT NOT NULL);
        CREATE INDEX IF NOT EXISTS demo_outbox_recipient ON demo_outbox (recipient, id)"""

    available = True

    def __init__(self, db: Sql):
        self._db = db

    async def setup(self) -> None:
        await self._db.script(self.DDL)

    async def send_sms(self, to: str, body: str) -> None:
        await self._store("sms", to, "", body)

    async def send_email(self, to: str, subject: str, body: str) -> None:
        await self._store("email", to, subject, body)

    async def _store(self, kind: str, to: str, subject: str, body: str) -> None:
        await self._db.execute(
            "INSERT INTO demo_outbox (at, kind, recipient, subject, body) VALUES (?, ?, ?, ?, ?)",
            (time.time(), kind, to, subject, body),
        )

    async def read(self, recipient: str, *, limit: int = 20) -> list[dict]:
        rows = await self._db.fetchall(
            "SELECT at, kind, recipient, subject, body FROM demo_outbox WHERE recipient = ?"
            " ORDER BY id DESC LIMIT ?", (recipient, limit))
        return [dict(zip(("at", "kind", "to", "subject", "body"), r)) for r in rows]
