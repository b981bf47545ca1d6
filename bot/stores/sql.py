"""A thin async SQL seam over SQLite (embedded default) and PostgreSQL (scale-out).

Stores write their statements once with `?` placeholders and portable SQL (INSERT .. ON CONFLICT,
RETURNING); only DDL differs per dialect. Every statement autocommits: the stores are written so that
each state change is one atomic statement, which is what makes claims and OTP checks race-free.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Literal, Protocol


Dialect = Literal["sqlite", "postgres"]


class Sql(Protocol):
    dialect: Dialect

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one statement; returns the number of rows it changed."""

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]: ...

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> tuple | None: ...

    async def script(self, ddl: str) -> None:
        """Run several DDL statements separated by ';' (schema creation)."""

    async def close(self) -> None: ...


class SqliteDb:
    """SQLite on one dedicated thread: each call is one hop there and back, with the statement, its
    fetch and its row count done in that single hop (aiosqlite takes two or three hops for the same,
    and under load every hop waits for the GIL)."""

    dialect: Dialect = "sqlite"

    def __init__(self, conn: sqlite3.Connection, executor: ThreadPoolExecutor):
        self._conn = conn
        self._executor = executor
        self._closed = False

    @classmethod
    async def open(cls, path: Path) -> SqliteDb:
        path.parent.mkdir(parents=True, exist_ok=True)
        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"sqlite-{path.stem}")

        def connect() -> sqlite3.Connection:
            conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA busy_timeout=5000")
            # Erased values (an inbox row's raw text once its turn is done) are zeroed, not left in free pages.
            conn.execute("PRAGMA secure_delete=ON")
            return conn

        conn = await asyncio.get_running_loop().run_in_executor(executor, connect)
        return cls(conn, executor)

    async def _run(self, fn: Callable[[], Any]) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn)

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        return await self._run(lambda: self._conn.execute(sql, tuple(params)).rowcount)

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        return await self._run(lambda: [tuple(r) for r in self._conn.execute(sql, tuple(params)).fetchall()])

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> tuple | None:
        def one() -> tuple | None:
            cur = self._conn.execute(sql, tuple(params))
            row = cur.fetchone()
            cur.close()  # finishes a RETURNING statement that produced no further rows
            return tuple(row) if row is not None else None

        return await self._run(one)

    async def script(self, ddl: str) -> None:
        await self._run(lambda: self._conn.executescript(ddl))

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        await self._run(self._conn.close)
        self._executor.shutdown(wait=True)


class PostgresDb:
    dialect: Dialect = "postgres"

    def __init__(self, pool):
        self._pool = pool

    @classmethod
    async def open(cls, url: str, *, max_size: int = 10) -> PostgresDb:
        from psycopg_pool import AsyncConnectionPool

        pool = AsyncConnectionPool(
            url, min_size=1, max_size=max_size, open=False, kwargs={"autocommit": True}
        )
        await pool.open(wait=True, timeout=10)
        return cls(pool)

    @staticmethod
    def _pg(sql: str) -> str:
        # Our statements never contain a literal '?' or '%', so this rewrite is exact.
        return sql.replace("?", "%s")

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        async with self._pool.connection() as conn:
            cur = await conn.execute(self._pg(sql), tuple(params))
            return cur.rowcount

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        async with self._pool.connection() as conn:
            cur = await conn.execute(self._pg(sql), tuple(params))
            return [tuple(r) for r in await cur.fetchall()]

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> tuple | None:
        async with self._pool.connection() as conn:
            cur = await conn.execute(self._pg(sql), tuple(params))
            row = await cur.fetchone()
            return tuple(row) if row is not None else None

    async def script(self, ddl: str) -> None:
        async with self._pool.connection() as conn:
            # One transaction plus an advisory lock: several gateways may start at once.
            async with conn.transaction():
                await conn.execute("SELECT pg_advisory_xact_lock(727274)")
                for stmt in split_statements(ddl):
                    await conn.execute(stmt)

    async def close(self) -> None:
        await self._pool.close()


def split_statements(ddl: str) -> list[str]:
    """Split DDL on ';' outside $$-quoted function bodies."""
    parts, buf, in_dollar = [], [], False
    for chunk in ddl.split("$$"):
        if in_dollar:
            buf.append("$$" + chunk + "$$")
        else:
            pieces = chunk.split(";")
            buf.append(pieces[0])
            for piece in pieces[1:]:
                parts.append("".join(buf))
                buf = [piece]
        in_dollar = not in_dollar
    parts.append("".join(buf))
    return [p.strip() for p in parts if p.strip()]
