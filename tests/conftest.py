"""Shared fixtures: settings, a gateway under test (in-process or on a real port), and the real
PostgreSQL and Redis servers (each test gets its own database / key prefix and cleans up)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import socket
from pathlib import Path

import pytest
from aiohttp import web

from bot.settings import Settings

POSTGRES_ADMIN_URL = os.environ.get("SAHAYAK_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("SAHAYAK_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
IN_CI = os.environ.get("CI") == "true"

# Fixtures of one test folder live in a plugin module, not a second conftest.py: test modules import
# this file as `conftest`, and another conftest.py would take that name.
pytest_plugins = ["tests.bot.llm.llm_fixtures", "tests.voice.voice_fixtures"]


def missing_service(what: str, why: str):
    """Under CI a missing server is a failure; on a laptop the test is skipped, saying why."""
    if IN_CI:
        pytest.fail(f"{what} is required under CI=true but unavailable: {why}")
    pytest.skip(f"{what} unavailable: {why}")


@pytest.fixture
def make_settings(tmp_path: Path):
    def make(**overrides) -> Settings:
        values = {"data_dir": tmp_path / "data", "demo": True, "port": 0}
        values.update(overrides)
        return Settings(**values)

    return make


@pytest.fixture
async def gateway(aiohttp_client, make_settings):
    """An in-process gateway client on embedded stores (demo mode)."""
    from gateway import create_app

    async def start(**overrides):
        app = create_app(make_settings(**overrides))
        return await aiohttp_client(app)

    return start


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
async def live_gateway(make_settings):
    """A real gateway listening on a TCP port (for the browser test). Yields its base URL."""
    from gateway import create_app

    port = _free_port()
    app = create_app(make_settings(port=port))
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


@contextlib.asynccontextmanager
async def fresh_postgres_database():
    """Create a uniquely named PostgreSQL database, yield its URL, drop it afterwards."""
    try:
        import psycopg

        admin = await psycopg.AsyncConnection.connect(POSTGRES_ADMIN_URL, autocommit=True, connect_timeout=3)
    except Exception as e:  # noqa: BLE001 - any connection failure means "no server"
        missing_service("PostgreSQL", f"{POSTGRES_ADMIN_URL}: {e}")
    name = f"sahayak_test_{secrets.token_hex(4)}"
    await admin.execute(f"CREATE DATABASE {name}")
    try:
        yield POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        await admin.close()


@pytest.fixture
async def postgres_url():
    """A fresh PostgreSQL database for this test, dropped afterwards."""
    async with fresh_postgres_database() as url:
        yield url


@pytest.fixture
async def redis_prefix():
    """A unique Redis key prefix for this test; its keys are deleted afterwards."""
    import redis.asyncio as aioredis

    client = aioredis.from_url(REDIS_URL)
    try:
        await asyncio.wait_for(client.ping(), 3)
    except Exception as e:  # noqa: BLE001
        await client.aclose()
        missing_service("Redis", f"{REDIS_URL}: {e}")
    prefix = f"sahayak-test-{secrets.token_hex(4)}:"
    try:
        yield prefix
    finally:
        keys = [k async for k in client.scan_iter(match=prefix + "*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()


@pytest.fixture(params=["sqlite", "postgres"])
async def sql_db(request, tmp_path):
    """The same store test on both SQL dialects: a SQLite file, then a fresh PostgreSQL database."""
    from bot.stores.sql import PostgresDb, SqliteDb

    if request.param == "sqlite":
        database = await SqliteDb.open(tmp_path / "store.sqlite")
        yield database
        await database.close()
    else:
        async with fresh_postgres_database() as url:
            database = await PostgresDb.open(url)
            yield database
            await database.close()
