"""A thin async SQL seam over SQLite (embedded default) and PostgreSQL (scale-out).

Stores write their statements once with `?` placeholders and portable SQL (INSERT .. ON CONFLICT,
RETURNING); only DDL differs per dialect. Every statement autocommits: the stores are written so that
each state change is one atomic statement, which is what makes claims and OTP checks race-free.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal, Protocol

import aiosqlite

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
    dialect: Dialect = "sqlite"

    def __init__(self, conn: aiosqlite.Connection):
        self._conn = conn

    @classmethod
    async def open(cls, path: Path) -> SqliteDb:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = await aiosqlite.connect(path, isolation_level=None)
        await conn.execute("PRAGMA journal_mode=WAL")
        await conn.execute("PRAGMA synchronous=NORMAL")
        await conn.execute("PRAGMA busy_timeout=5000")
        # Erased values (an inbox row's raw text once its turn is done) are zeroed, not left in free pages.
        await conn.execute("PRAGMA secure_delete=ON")
        return cls(conn)

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        cur = await self._conn.execute(sql, tuple(params))
        count = cur.rowcount
        await cur.close()
        return count

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        async with self._conn.execute(sql, tuple(params)) as cur:
            return [tuple(r) for r in await cur.fetchall()]

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> tuple | None:
        async with self._conn.execute(sql, tuple(params)) as cur:
            row = await cur.fetchone()
            return tuple(row) if row is not None else None

    async def script(self, ddl: str) -> None:
        await self._conn.executescript(ddl)

    async def close(self) -> None:
        await self._conn.close()


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
