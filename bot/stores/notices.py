"""Notices a channel sends on its own, at most once per address per quiet period (e.g. WhatsApp's "we're
back" after an outage: the backlog of a customer's messages arrives in several webhook deliveries, and
the customer should get one notice, not one per delivery).

One atomic statement decides who sends: an upsert that only moves `sent_at` forward when the last
notice of that kind is older than the quiet period. Never "check then mark", so two gateway processes
taking the same backlog send the notice once between them.
"""

from __future__ import annotations

import time

from bot.stores.sql import Sql


class Notices:
    DDL = {
        "sqlite": """CREATE TABLE IF NOT EXISTS notices (channel TEXT NOT NULL, address TEXT NOT NULL,
            kind TEXT NOT NULL, sent_at REAL NOT NULL, PRIMARY KEY (channel, address, kind))""",
        "postgres": """CREATE TABLE IF NOT EXISTS notices (channel TEXT NOT NULL, address TEXT NOT NULL,
            kind TEXT NOT NULL, sent_at DOUBLE PRECISION NOT NULL, PRIMARY KEY (channel, address, kind))""",
    }

    def __init__(self, db: Sql):
        self._db = db

    async def setup(self) -> None:
        await self._db.script(self.DDL[self._db.dialect])

    async def claim(self, channel: str, address: str, kind: str, *, quiet_s: float,
                    now: float | None = None) -> bool:
        """True if the caller should send this notice now (none of this kind in the last `quiet_s`)."""
        now = time.time() if now is None else now
        return 1 == await self._db.execute(
            """INSERT INTO notices (channel, address, kind, sent_at) VALUES (?, ?, ?, ?)
               ON CONFLICT (channel, address, kind) DO UPDATE SET sent_at = excluded.sent_at
               WHERE notices.sent_at < ?""",
            (channel, address, kind, now, now - quiet_s),
        )
