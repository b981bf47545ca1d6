"""Idempotent claims on (channel, provider message id): the gate that makes a retried webhook or a
double-clicked send one turn. One atomic statement, never "check then mark".

Winning a claim also records the message in the inbox (so nothing is lost if the process dies
mid-turn). On SQL alone the inbox row *is* the claim: its primary key is (channel, message id), so
one INSERT .. ON CONFLICT DO NOTHING claims and records at once. With Redis, SET NX EX is the claim
and the inbox row follows."""

from __future__ import annotations

from typing import Protocol

from bot.stores.inbox import RETENTION_S as CLAIM_TTL_S, Inbox


class Claims(Protocol):
    async def claim(self, channel: str, conversation: str, message_id: str, payload: dict) -> bool:
        """True for the first caller only, atomically, across processes sharing the store."""

    async def setup(self) -> None: ...


class SqlClaims:
    def __init__(self, inbox: Inbox):
        self._inbox = inbox

    async def setup(self) -> None:
        await self._inbox.setup()

    async def claim(self, channel: str, conversation: str, message_id: str, payload: dict) -> bool:
        return await self._inbox.record(channel, conversation, message_id, payload)


class RedisClaims:
    """SET NX EX: atomic in Redis, expires by itself after the retry window."""

    def __init__(self, redis, prefix: str, inbox: Inbox):
        self._redis = redis
        self._prefix = prefix
        self._inbox = inbox

    async def setup(self) -> None:
        await self._redis.ping()

    async def claim(self, channel: str, conversation: str, message_id: str, payload: dict) -> bool:
        key = f"{self._prefix}claim:{channel}:{conversation}:{message_id}"
        if not await self._redis.set(key, "1", nx=True, ex=CLAIM_TTL_S):
            return False
        try:
            await self._inbox.record(channel, conversation, message_id, payload)
        except BaseException:
            # A claim without its inbox row would make this message id dead for 8 days: undo it.
            await self._redis.delete(key)
            raise
        return True
