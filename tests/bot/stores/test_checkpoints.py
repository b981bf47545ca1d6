"""The embedded checkpointer's latest-checkpoint cache must be indistinguishable from SQLite."""

from __future__ import annotations

import time
from pathlib import Path

from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

from bot.graph.conversation import build_conversation_graph
from bot.graph.state import Services, TurnContext
from bot.persona import PersonaRegistry
from bot.stores.checkpoints import sqlite_checkpointer

REGISTRY = PersonaRegistry.load(Path(__file__).resolve().parents[3] / "personalities")


def _services():
    # Greetings need no bank, OTP or cases: only the personas.
    return Services(bank=None, otp=None, notifier=None, cases=None, personas=REGISTRY, persona_id="general",
                    auth_idle_s=900)


async def test_cached_latest_checkpoint_equals_the_stored_one(tmp_path):
    path = tmp_path / "checkpoints.sqlite"
    async with sqlite_checkpointer(path) as saver:
        graph = build_conversation_graph(saver, REGISTRY.workflows)
        config = {"configurable": {"thread_id": "web:t1"}}
        for text in ("hi", "नमस्ते", "hello again"):
            ctx = TurnContext(text=text, channel="web", conversation="web:t1", now=time.time(), services=_services())
            await graph.ainvoke({}, config, context=ctx, durability="exit")
        cached = await saver.aget_tuple(config)
        plain = await AsyncSqliteSaver(saver.conn).aget_tuple(config)
        assert cached.config == plain.config
        assert cached.checkpoint["channel_values"] == plain.checkpoint["channel_values"]
        assert cached.checkpoint["channel_values"]["turns"] == 3
        assert cached.metadata["step"] == plain.metadata["step"]
        assert cached.parent_config == plain.parent_config

        # Mutating what the cache handed out cannot change what it hands out next.
        cached.checkpoint["channel_values"]["turns"] = 99
        assert (await saver.aget_tuple(config)).checkpoint["channel_values"]["turns"] == 3

        await saver.adelete_thread("web:t1")
        assert await saver.aget_tuple(config) is None
