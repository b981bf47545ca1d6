"""Idempotent claims on (channel, provider message id): the gate that makes a retried webhook or a
double-clicked send one turn. One atomic statement, never "check then mark"."""

from __future__ import annotations

import time
from typing import Protocol

from bot.stores.sql import Sql

# WhatsApp retries a webhook for up to 7 days; keep claims a day longer than that.
CLAIM_TTL_S = 8 * 24 * 3600


class Claims(Protocol):
    async def claim(self, channel: str, message_id: str) -> bool:
        """True for the first caller only, atomically, across processes sharing the store."""

    async def prune(self) -> int: ...


class SqlClaims:
    DDL = {
        "sqlite": "CREATE TABLE IF NOT EXISTS claims (channel TEXT NOT NULL, message_id TEXT NOT NULL,"
        " claimed_at REAL NOT NULL, PRIMARY KEY (channel, message_id))",
        "postgres": "CREATE TABLE IF NOT EXISTS claims (channel TEXT NOT NULL, message_id TEXT NOT NULL,"
        " claimed_at DOUBLE PRECISION NOT NULL, PRIMARY KEY (channel, message_id))",
    }

    def __init__(self, db: Sql):
        self._db = db

    async def setup(self) -> None:
        await self._db.script(self.DDL[self._db.dialect])

    async def claim(self, channel: str, message_id: str) -> bool:
        changed = await self._db.execute(
            "INSERT INTO claims (channel, message_id, claimed_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
            (channel, message_id, time.time()),
        )
        return changed == 1

    async def prune(self) -> int:
        return await self._db.execute("DELETE FROM claims WHERE claimed_at < ?", (time.time() - CLAIM_TTL_S,))


class RedisClaims:
    """SET NX EX: atomic in Redis, expires by itself after the retry window."""

    def __init__(self, redis, prefix: str):
        self._redis = redis
        self._prefix = prefix

    async def setup(self) -> None:
        await self._redis.ping()

    async def claim(self, channel: str, message_id: str) -> bool:
        key = f"{self._prefix}claim:{channel}:{message_id}"
        return bool(await self._redis.set(key, "1", nx=True, ex=CLAIM_TTL_S))

    async def prune(self) -> int:
        return 0  # Redis expires claims itself
