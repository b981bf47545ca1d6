"""LangGraph checkpointers: SQLite under the data directory by default, PostgreSQL for scale-out."""

from __future__ import annotations

import contextlib
import copy
from collections import OrderedDict
from collections.abc import AsyncIterator
from pathlib import Path

import aiosqlite
from langgraph.checkpoint.base import CheckpointTuple, get_checkpoint_id, get_checkpoint_metadata
from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver


class CachedSqliteSaver(AsyncSqliteSaver):
    """AsyncSqliteSaver that remembers each conversation's latest checkpoint in memory.

    Every turn starts by reading the latest checkpoint; through aiosqlite that is ~0.5 ms of thread
    hops, a quarter of a turn. The embedded store belongs to one process (its locks are in-process
    too), so a write-through cache of the latest tuple is exact: writes still go to SQLite first, and
    anything unusual (pending writes, a specific checkpoint id, a deleted thread) bypasses or clears
    it. Copies in and out, so the graph can never mutate a cached value."""

    def __init__(self, conn: aiosqlite.Connection, *, max_entries: int = 10_000):
        super().__init__(conn)
        self._latest: OrderedDict[tuple[str, str], CheckpointTuple] = OrderedDict()
        self._max = max_entries

    @staticmethod
    def _key(config) -> tuple[str, str]:
        conf = config["configurable"]
        return str(conf["thread_id"]), conf.get("checkpoint_ns", "")

    async def aget_tuple(self, config):
        key = self._key(config)
        if get_checkpoint_id(config) is None and key in self._latest:
            self._latest.move_to_end(key)
            return copy.deepcopy(self._latest[key])
        found = await super().aget_tuple(config)
        if found is not None and get_checkpoint_id(config) is None and not found.pending_writes:
            self._remember(key, copy.deepcopy(found))
        return found

    async def aput(self, config, checkpoint, metadata, new_versions):
        key = self._key(config)
        self._latest.pop(key, None)
        next_config = await super().aput(config, checkpoint, metadata, new_versions)
        # The runtime config carries live objects (the saver itself); keep only the ids.
        parent = {"configurable": {"thread_id": key[0], "checkpoint_ns": key[1],
                                   "checkpoint_id": get_checkpoint_id(config)}} if get_checkpoint_id(config) else None
        self._remember(key, CheckpointTuple(
            config=copy.deepcopy(next_config), checkpoint=copy.deepcopy(checkpoint),
            metadata=copy.deepcopy(get_checkpoint_metadata(config, metadata)),
            parent_config=parent, pending_writes=[]))
        return next_config

    async def aput_writes(self, config, writes, task_id, task_path=""):
        self._latest.pop(self._key(config), None)
        await super().aput_writes(config, writes, task_id, task_path)

    async def adelete_thread(self, thread_id: str) -> None:
        for key in [k for k in self._latest if k[0] == str(thread_id)]:
            del self._latest[key]
        await super().adelete_thread(thread_id)

    def _remember(self, key, value: CheckpointTuple) -> None:
        self._latest[key] = value
        self._latest.move_to_end(key)
        while len(self._latest) > self._max:
            self._latest.popitem(last=False)


@contextlib.asynccontextmanager
async def sqlite_checkpointer(path: Path) -> AsyncIterator[CachedSqliteSaver]:
    path.parent.mkdir(parents=True, exist_ok=True)
    async with aiosqlite.connect(path) as conn:
        await conn.execute("PRAGMA journal_mode=WAL")
        await conn.execute("PRAGMA synchronous=NORMAL")
        saver = CachedSqliteSaver(conn)
        await saver.setup()
        yield saver


@contextlib.asynccontextmanager
async def postgres_checkpointer(url: str) -> AsyncIterator:
    from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
    from psycopg.rows import dict_row
    from psycopg_pool import AsyncConnectionPool

    async with AsyncConnectionPool(
        url, min_size=1, max_size=10, open=False,
        kwargs={"autocommit": True, "prepare_threshold": 0, "row_factory": dict_row},
    ) as pool:
        saver = AsyncPostgresSaver(pool)
        await saver.setup()
        yield saver
