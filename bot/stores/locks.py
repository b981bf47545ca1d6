"""One turn at a time per conversation, in arrival order.

In one process, a FIFO ticket queue per conversation: the ticket is taken synchronously when the
message arrives (before any await), so two messages sent together are answered in the order they
arrived, not in the order their database writes happened to finish. With Redis configured, the
holder of the local ticket also takes a Redis lock so that gateways behind a load balancer never run
two turns of one conversation at once (across processes the order is the order of lock acquisition).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import AsyncIterator


class TurnQueue:
    def __init__(self) -> None:
        self._queues: dict[str, deque[asyncio.Future]] = {}

    def ticket(self, key: str) -> asyncio.Future:
        """Join the queue now (synchronously); await `wait(key, ticket)` for your turn."""
        fut = asyncio.get_running_loop().create_future()
        queue = self._queues.setdefault(key, deque())
        queue.append(fut)
        if len(queue) == 1:
            fut.set_result(None)
        return fut

    def release(self, key: str, ticket: asyncio.Future) -> None:
        queue = self._queues.get(key)
        if not queue:
            return
        was_head = queue[0] is ticket
        with contextlib.suppress(ValueError):
            queue.remove(ticket)
        if not queue:
            del self._queues[key]
        elif was_head and not queue[0].done():
            queue[0].set_result(None)

    def waiting(self, key: str) -> int:
        return len(self._queues.get(key, ()))


class ConversationLocks:
    def __init__(self, redis=None, prefix: str = "sahayak:", lease_s: float = 60.0, wait_s: float = 120.0):
        self._local = TurnQueue()
        self._redis = redis
        self._prefix = prefix
        self._lease_s = lease_s
        self._wait_s = wait_s

    def ticket(self, key: str) -> asyncio.Future:
        return self._local.ticket(key)

    def cancel(self, key: str, ticket: asyncio.Future) -> None:
        """Leave the queue without taking a turn (the message turned out to be a duplicate)."""
        self._local.release(key, ticket)

    @contextlib.asynccontextmanager
    async def hold(self, key: str, ticket: asyncio.Future) -> AsyncIterator[None]:
        """Wait for `ticket` to reach the head of the queue, then hold the conversation."""
        try:
            await asyncio.wait_for(asyncio.shield(ticket), self._wait_s)
            if self._redis is None:
                yield
                return
            lock = self._redis.lock(
                f"{self._prefix}lock:{key}", timeout=self._lease_s, blocking_timeout=self._wait_s, sleep=0.005
            )
            if not await lock.acquire():
                raise TimeoutError("conversation busy")  # no key: it may be a phone number
            try:
                yield
            finally:
                with contextlib.suppress(Exception):  # lease may have expired; nothing else to undo
                    await lock.release()
        finally:
            self._local.release(key, ticket)
