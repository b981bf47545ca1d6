"""What Sahayak remembers about a customer across conversations and channels: today, the language they
asked for ("Hindi mein baat karo"), so the next chat, on any channel, starts in it once they are
identified. The bank's own profile is the core-banking system's; this is the assistant's memory.

One row per customer; one upsert per change (no read-modify-write)."""

from __future__ import annotations

import time

from bot.stores.sql import Sql


class Profiles:
    DDL = {
        "sqlite": """CREATE TABLE IF NOT EXISTS customer_profiles (customer_id TEXT PRIMARY KEY,
            language TEXT NOT NULL, updated_at REAL NOT NULL)""",
        "postgres": """CREATE TABLE IF NOT EXISTS customer_profiles (customer_id TEXT PRIMARY KEY,
            language TEXT NOT NULL, updated_at DOUBLE PRECISION NOT NULL)""",
    }

    def __init__(self, db: Sql):
        self._db = db

    async def setup(self) -> None:
        await self._db.script(self.DDL[self._db.dialect])

    async def set_language(self, customer_id: str, language: str) -> None:
        await self._db.execute(
            "INSERT INTO customer_profiles (customer_id, language, updated_at) VALUES (?, ?, ?) "
            "ON CONFLICT (customer_id) DO UPDATE SET language = excluded.language, updated_at = excluded.updated_at",
            (customer_id, language, time.time()))

    async def language(self, customer_id: str) -> str | None:
        row = await self._db.fetchone("SELECT language FROM customer_profiles WHERE customer_id = ?", (customer_id,))
        return row[0] if row else None
