"""Secure links against the real stores: a SQLite file and a fresh PostgreSQL database."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import fresh_postgres_database

from bot.auth.secure_links import ISSUE_WINDOW_S, MAX_ISSUES, RETAIN_S, LinkRecord, SecureLinkLimit, SecureLinks
from bot.stores.sql import PostgresDb, Sql, SqliteDb

SECRET = b"s" * 40
BASE = "https://netbanking.bank.example/secure/"
T0 = 1_750_000_000.0  # epoch seconds; every call passes `now`, so expiry is exact
TTL = 900
RAJESH = "CUST_789123"


@dataclass
class Harness:
    links: SecureLinks
    db: Sql
    sqlite_path: Path | None  # to read the raw file bytes; None on PostgreSQL

    async def stored_text(self) -> str:
        """Everything both tables hold, as text (plus the SQLite files' raw bytes)."""
        rows = await self.db.fetchall("SELECT * FROM secure_links")
        rows += await self.db.fetchall("SELECT * FROM secure_link_issues")
        text = repr(rows)
        if self.sqlite_path is not None:
            for path in self.sqlite_path.parent.glob(self.sqlite_path.name + "*"):  # the file, -wal, -shm
                text += path.read_bytes().decode("latin-1")
        return text


@pytest.fixture(params=["sqlite", "postgres"])
async def h(request, tmp_path):
    if request.param == "sqlite":
        path = tmp_path / "links.sqlite"
        db = await SqliteDb.open(path)
        links = SecureLinks(db, SECRET, BASE, ttl_s=TTL)
        await links.setup()
        yield Harness(links, db, path)
        await db.close()
    else:
        async with fresh_postgres_database() as url:
            db = await PostgresDb.open(url)
            links = SecureLinks(db, SECRET, BASE, ttl_s=TTL)
            await links.setup()
            await links.setup()  # idempotent, as several gateways starting together need
            yield Harness(links, db, None)
            await db.close()


def _token(url: str) -> str:
    assert url.startswith(BASE)
    return url[len(BASE):]


async def _issue(h: Harness, *, customer_id: str = RAJESH, purpose: str = "password_reset",
                 conversation: str = "web:abc", now: float = T0):
    return await h.links.issue(customer_id=customer_id, purpose=purpose, conversation=conversation, now=now)


async def test_issue_then_open_then_complete(h):
    link = await _issue(h, purpose="pin_change", conversation="whatsapp:+919812345678")
    token = _token(link.url)
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", token)  # secrets.token_urlsafe(32)
    assert re.fullmatch(r"[0-9a-f]{16}", link.link_id) and link.link_id not in token
    assert link.expires_at == T0 + TTL
    pending = LinkRecord(link.link_id, RAJESH, "pin_change", "whatsapp:+919812345678", "pending")
    assert await h.links.open(token, now=T0 + 1) == pending
    assert await h.links.open(token, now=T0 + 2) == pending  # opening does not use the link up
    assert await h.links.status(link.link_id, now=T0 + 2) == "pending"
    done = await h.links.complete(token, now=T0 + 3)
    assert done == LinkRecord(link.link_id, RAJESH, "pin_change", "whatsapp:+919812345678", "completed")
    assert await h.links.status(link.link_id, now=T0 + 4) == "completed"
    assert await h.links.status(link.link_id, now=T0 + TTL + 10) == "completed"  # done stays done


async def test_single_use(h):
    token = _token((await _issue(h)).url)
    assert await h.links.complete(token, now=T0 + 1) is not None
    assert await h.links.complete(token, now=T0 + 2) is None
    assert await h.links.open(token, now=T0 + 2) is None


async def test_expiry_is_exact(h):
    link = await _issue(h)
    token = _token(link.url)
    assert await h.links.open(token, now=T0 + TTL - 0.5) is not None
    assert await h.links.status(link.link_id, now=T0 + TTL - 0.5) == "pending"
    assert await h.links.open(token, now=T0 + TTL) is None
    assert await h.links.complete(token, now=T0 + TTL) is None
    assert await h.links.status(link.link_id, now=T0 + TTL) == "expired"


async def test_concurrent_completes_exactly_one_wins(h):
    token = _token((await _issue(h)).url)
    pair = await asyncio.gather(h.links.complete(token, now=T0 + 1), h.links.complete(token, now=T0 + 1))
    assert sorted(r is None for r in pair) == [False, True]
    another = _token((await _issue(h, purpose="card_limits")).url)
    results = await asyncio.gather(*(h.links.complete(another, now=T0 + 1) for _ in range(8)))
    assert sum(r is not None for r in results) == 1


async def test_unknown_malformed_used_and_expired_tokens_all_look_the_same(h):
    used = _token((await _issue(h, purpose="pin_change")).url)
    await h.links.complete(used, now=T0 + 1)
    expired = _token((await _issue(h, purpose="card_limits", now=T0 - 2 * TTL)).url)
    for token in (used, expired, "A" * 43, "short", "", "x" * 10_000, "../../etc/passwd", "é" * 43):
        assert await h.links.open(token, now=T0 + 2) is None
        assert await h.links.complete(token, now=T0 + 2) is None
    assert await h.links.status("0123456789abcdef", now=T0) == "unknown"
    assert await h.links.status("", now=T0) == "unknown"


async def test_the_database_never_holds_the_token(h):
    links = [await _issue(h, purpose=p) for p in ("password_reset", "pin_change", "card_limits")]
    await h.links.complete(_token(links[0].url), now=T0 + 1)
    stored = await h.stored_text()
    assert links[1].link_id in stored  # the dump does contain the rows
    for link in links:
        assert _token(link.url) not in stored
        assert link.url not in stored


async def test_the_hash_is_keyed_by_the_secret(h):
    token = _token((await _issue(h)).url)
    other = SecureLinks(h.db, b"t" * 40, BASE)
    assert await other.open(token, now=T0 + 1) is None
    assert await other.complete(token, now=T0 + 1) is None
    assert await h.links.open(token, now=T0 + 1) is not None


async def test_a_new_link_expires_the_earlier_pending_one(h):
    first = await _issue(h)
    other_purpose = await _issue(h, purpose="pin_change")
    someone_else = await _issue(h, customer_id="CUST_100101")
    second = await _issue(h, now=T0 + 60)
    assert await h.links.open(_token(first.url), now=T0 + 61) is None
    assert await h.links.status(first.link_id, now=T0 + 61) == "expired"
    assert await h.links.open(_token(second.url), now=T0 + 61) is not None
    assert await h.links.open(_token(other_purpose.url), now=T0 + 61) is not None
    assert await h.links.open(_token(someone_else.url), now=T0 + 61) is not None


async def test_at_most_five_per_customer_and_purpose_per_window(h):
    for i in range(MAX_ISSUES):
        await _issue(h, now=T0 + i)
    with pytest.raises(SecureLinkLimit):
        await _issue(h, now=T0 + 10)
    with pytest.raises(SecureLinkLimit):
        await _issue(h, conversation="sms:+919812345678", now=T0 + 11)  # a new chat buys no new links
    await _issue(h, purpose="pin_change", now=T0 + 12)  # another purpose has its own budget
    await _issue(h, customer_id="CUST_100101", now=T0 + 13)  # and another customer
    await _issue(h, now=T0 + ISSUE_WINDOW_S + 1)  # a new window


async def test_concurrent_issues_respect_the_limit(h):
    results = await asyncio.gather(*(_issue(h, now=T0) for _ in range(MAX_ISSUES + 3)), return_exceptions=True)
    assert sum(isinstance(r, SecureLinkLimit) for r in results) == 3
    assert not [r for r in results if isinstance(r, Exception) and not isinstance(r, SecureLinkLimit)]


async def test_prune_forgets_old_links_only(h):
    old = await _issue(h, now=T0)
    recent = await _issue(h, purpose="pin_change", now=T0 + RETAIN_S)
    assert await h.links.prune(now=T0 + TTL + RETAIN_S + 1) == 1
    assert await h.links.status(old.link_id, now=T0 + TTL + RETAIN_S + 1) == "unknown"
    assert await h.links.status(recent.link_id, now=T0 + RETAIN_S + 1) == "pending"


async def test_arguments_are_checked(h):
    with pytest.raises(ValueError):
        await _issue(h, purpose="transfer_money")
    with pytest.raises(ValueError):
        await _issue(h, customer_id="")
    with pytest.raises(ValueError):
        await _issue(h, conversation="c" * 1000)
    with pytest.raises(ValueError):
        SecureLinks(h.db, SECRET, "javascript:alert(1)")
    with pytest.raises(ValueError):
        SecureLinks(h.db, SECRET, BASE, ttl_s=10**6)
    with pytest.raises(ValueError):
        SecureLinks(h.db, b"", BASE)


async def test_url_joins_base_and_token_with_one_slash(h):
    for base in ("https://bank.example/secure", "https://bank.example/secure///"):
        link = await SecureLinks(h.db, SECRET, base).issue(customer_id=base, purpose="card_limits",
                                                           conversation="web:x", now=T0)
        assert re.fullmatch(r"https://bank\.example/secure/[A-Za-z0-9_-]{43}", link.url)
