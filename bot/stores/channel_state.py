"""What channels remember about addresses and sent messages, shared by WhatsApp and SMS:

- delivery statuses, forward-only (a late "sent" callback never overwrites "read");
- opt-outs (SMS STOP): nothing is sent to an opted-out address until it opts back in;
- contact windows: when each address last wrote to us (WhatsApp's 24-hour customer-service window).
"""

from __future__ import annotations

import time

from bot.stores.sql import Sql

# Forward-only order. "failed"/"undelivered" are terminal but never override "delivered" or "read".
STATUS_RANK = {"accepted": 0, "queued": 1, "sending": 2, "sent": 3, "failed": 4, "undelivered": 4,
               "delivered": 5, "read": 6}


class DeliveryStatuses:
    DDL = {
        "sqlite": """CREATE TABLE IF NOT EXISTS delivery_status (channel TEXT NOT NULL, message_id TEXT NOT NULL,
            recipient TEXT NOT NULL, status TEXT NOT NULL, rank INTEGER NOT NULL, error TEXT,
            updated_at REAL NOT NULL, PRIMARY KEY (channel, message_id))""",
        "postgres": """CREATE TABLE IF NOT EXISTS delivery_status (channel TEXT NOT NULL, message_id TEXT NOT NULL,
            recipient TEXT NOT NULL, status TEXT NOT NULL, rank INTEGER NOT NULL, error TEXT,
            updated_at DOUBLE PRECISION NOT NULL, PRIMARY KEY (channel, message_id))""",
    }

    def __init__(self, db: Sql):
        self._db = db

    async def setup(self) -> None:
        await self._db.script(self.DDL[self._db.dialect])

    async def record(self, channel: str, message_id: str, recipient: str, status: str,
                     error: str | None = None) -> bool:
        """Record a status if it moves the message forward; False if it was stale (ignored).
        Unknown statuses raise ValueError: a provider's new word must be mapped, not guessed."""
        if status not in STATUS_RANK:
            raise ValueError(f"unknown delivery status {status!r}")
        return 1 == await self._db.execute(
            """INSERT INTO delivery_status (channel, message_id, recipient, status, rank, error, updated_at)
               VALUES (?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT (channel, message_id) DO UPDATE SET status = excluded.status, rank = excluded.rank,
                 error = excluded.error, updated_at = excluded.updated_at
               WHERE excluded.rank > delivery_status.rank""",
            (channel, message_id, recipient, status, STATUS_RANK[status], error, time.time()),
        )

    async def status(self, channel: str, message_id: str) -> str | None:
        row = await self._db.fetchone(
            "SELECT status FROM delivery_status WHERE channel = ? AND message_id = ?", (channel, message_id))
        return row[0] if row else None


class OptOuts:
    DDL = {
        "sqlite": """CREATE TABLE IF NOT EXISTS opt_outs (channel TEXT NOT NULL, address TEXT NOT NULL,
            opted_out_at REAL NOT NULL, PRIMARY KEY (channel, address))""",
        "postgres": """CREATE TABLE IF NOT EXISTS opt_outs (channel TEXT NOT NULL, address TEXT NOT NULL,
            opted_out_at DOUBLE PRECISION NOT NULL, PRIMARY KEY (channel, address))""",
    }

    def __init__(self, db: Sql):
        self._db = db

    async def setup(self) -> None:
        await self._db.script(self.DDL[self._db.dialect])

    async def opt_out(self, channel: str, address: str) -> None:
        await self._db.execute(
            "INSERT INTO opt_outs (channel, address, opted_out_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
            (channel, address, time.time()))

    async def opt_in(self, channel: str, address: str) -> None:
        await self._db.execute("DELETE FROM opt_outs WHERE channel = ? AND address = ?", (channel, address))

    async def is_opted_out(self, channel: str, address: str) -> bool:
        row = await self._db.fetchone(
            "SELECT 1 FROM opt_outs WHERE channel = ? AND address = ?", (channel, address))
        return row is not None


class ContactWindows:
    DDL = {
        "sqlite": """CREATE TABLE IF NOT EXISTS contact_windows (channel TEXT NOT NULL, address TEXT NOT NULL,
            last_inbound_at REAL NOT NULL, PRIMARY KEY (channel, address))""",
        "postgres": """CREATE TABLE IF NOT EXISTS contact_windows (channel TEXT NOT NULL, address TEXT NOT NULL,
            last_inbound_at DOUBLE PRECISION NOT NULL, PRIMARY KEY (channel, address))""",
    }

    def __init__(self, db: Sql):
        self._db = db

    async def setup(self) -> None:
        await self._db.script(self.DDL[self._db.dialect])

    async def touch(self, channel: str, address: str, at: float) -> None:
        """The customer wrote at `at` (provider timestamp); keeps the latest."""
        await self._db.execute(
            """INSERT INTO contact_windows (channel, address, last_inbound_at) VALUES (?, ?, ?)
               ON CONFLICT (channel, address) DO UPDATE SET last_inbound_at = excluded.last_inbound_at
               WHERE excluded.last_inbound_at > contact_windows.last_inbound_at""",
            (channel, address, at))

    async def last_inbound(self, channel: str, address: str) -> float | None:
        row = await self._db.fetchone(
            "SELECT last_inbound_at FROM contact_windows WHERE channel = ? AND address = ?", (channel, address))
        return row[0] if row else None
