"""Fixtures for the LLM tests (a pytest plugin named in tests/conftest.py: a second conftest.py would shadow
the root one for `from conftest import ...`)."""

from __future__ import annotations

import aiohttp
import pytest

from tests.bot.llm.fake_openai import FakeOpenAi, start_fake_openai


@pytest.fixture
async def fake_llm(aiohttp_server) -> FakeOpenAi:
    return await start_fake_openai(aiohttp_server)


@pytest.fixture
async def session():
    async with aiohttp.ClientSession() as http:
        yield http
