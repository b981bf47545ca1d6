"""Helpers for driving the web channel in tests, as the widget would."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

RAJESH_MOBILE = "+919812345678"


async def new_session(client) -> str:
    resp = await client.post("/web/session", json={})
    assert resp.status == 200
    return (await resp.json())["session"]


async def say(client, session: str, text: str, msg_id: str | None = None) -> list[dict]:
    body = {"session": session, "text": text}
    if msg_id is not None:
        body["id"] = msg_id
    resp = await client.post("/web/messages", json=body)
    assert resp.status == 200, await resp.text()
    return (await resp.json())["replies"]


async def latest_otp(client, mobile: str = RAJESH_MOBILE) -> str:
    resp = await client.get("/demo/outbox", params={"to": mobile})
    assert resp.status == 200
    messages = (await resp.json())["messages"]
    assert messages, f"no SMS in the demo outbox for {mobile}"
    match = re.search(r"\b(\d{6})\b", messages[0]["body"])
    assert match, messages[0]["body"]
    return match.group(1)


def texts(replies: list[dict]) -> str:
    return "\n".join(r["text"] for r in replies)


def table_counts(data_dir: Path) -> dict[str, int]:
    """Row counts of every store the loop writes, for "nothing stored" checks."""
    counts = {}
    db = data_dir / "sahayak.sqlite"
    if db.exists():
        with sqlite3.connect(db) as conn:
            for table in ("inbox", "audit", "cases", "otp"):
                counts[table] = conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
    cp = data_dir / "checkpoints.sqlite"
    if cp.exists():
        with sqlite3.connect(cp) as conn:
            counts["checkpoints"] = conn.execute("SELECT COUNT(*) FROM checkpoints").fetchone()[0]
    return counts
