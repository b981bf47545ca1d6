"""Secure links: how the bot sends a customer to a page for what must never happen in chat.

A password reset, a card PIN change or new card limits are done on the bank's own page, reached
through a one-time link that goes by SMS to the registered mobile (the workflow sends it through
the notifier). The chat never shows the token, and nothing typed in the chat can complete a link.

- The token is `secrets.token_urlsafe(32)` (256 bits). Only an HMAC-SHA256 of it, keyed by the
  gateway's secret, is stored (as `otp.py` does for codes): a copy of the database cannot open a
  link. Lookups go through that keyed hash, so a timing difference in the index lookup says nothing
  about any real token.
- `link_id` is a separate short random id: the workflow keeps it in its (checkpointed) state to ask
  `status()`; it opens nothing.
- A link expires `ttl_s` after issue and is single use: `complete` is one atomic
  UPDATE .. WHERE status = 'pending' AND expires_at > now .. RETURNING, so of two concurrent
  completions exactly one wins.
- Issuing a new link for a customer and purpose expires the earlier pending ones (only the newest
  link works), and at most `MAX_ISSUES` links per customer and purpose are issued per 30-minute
  window (one atomic upsert, as for OTP sends), so pending links per customer stay bounded.
- `open` and `complete` answer `None` for an unknown, malformed, expired or used token alike: the
  page must not tell a guesser which one it was.

All times are epoch seconds passed in by the caller (`now`), which makes expiry exact in tests.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from typing import Literal, get_args

from bot.stores.sql import Sql

Purpose = Literal["password_reset", "pin_change", "card_limits"]
PURPOSES: tuple[str, ...] = get_args(Purpose)

ISSUE_WINDOW_S = 30 * 60
MAX_ISSUES = 5  # per customer and purpose per ISSUE_WINDOW_S
MIN_TTL_S, MAX_TTL_S = 60, 3600
MAX_ID_LENGTH = 200  # customer ids and conversation keys
RETAIN_S = 24 * 3600  # how long an expired or completed link is kept for status()

# What `secrets.token_urlsafe(32)` produces: 43 characters of the URL-safe base64 alphabet.
_TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")


class SecureLinkLimit(Exception):
    """Too many links issued for this customer and purpose in the current 30-minute window."""


@dataclass(frozen=True)
class IssuedLink:
    link_id: str
    url: str  # carries the token: for the SMS to the registered mobile only, never the chat or a log
    expires_at: float


@dataclass(frozen=True)
class LinkRecord:
    link_id: str
    customer_id: str
    purpose: str
    conversation: str
    status: str  # pending | completed | expired


class SecureLinks:
    DDL = {
        "sqlite": """CREATE TABLE IF NOT EXISTS secure_links (link_id TEXT PRIMARY KEY,
            token_hash TEXT NOT NULL UNIQUE, customer_id TEXT NOT NULL, purpose TEXT NOT NULL,
            conversation TEXT NOT NULL, issued_at REAL NOT NULL, expires_at REAL NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('pending', 'completed')), completed_at REAL);
            CREATE INDEX IF NOT EXISTS secure_links_by_customer ON secure_links (customer_id, purpose, status);
            CREATE INDEX IF NOT EXISTS secure_links_by_expiry ON secure_links (expires_at);
            CREATE TABLE IF NOT EXISTS secure_link_issues (customer_id TEXT NOT NULL, purpose TEXT NOT NULL,
            issued INTEGER NOT NULL, window_start REAL NOT NULL, PRIMARY KEY (customer_id, purpose))""",
        "postgres": """CREATE TABLE IF NOT EXISTS secure_links (link_id TEXT PRIMARY KEY,
            token_hash TEXT NOT NULL UNIQUE, customer_id TEXT NOT NULL, purpose TEXT NOT NULL,
            conversation TEXT NOT NULL, issued_at DOUBLE PRECISION NOT NULL,
            expires_at DOUBLE PRECISION NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('pending', 'completed')), completed_at DOUBLE PRECISION);
            CREATE INDEX IF NOT EXISTS secure_links_by_customer ON secure_links (customer_id, purpose, status);
            CREATE INDEX IF NOT EXISTS secure_links_by_expiry ON secure_links (expires_at);
            CREATE TABLE IF NOT EXISTS secure_link_issues (customer_id TEXT NOT NULL, purpose TEXT NOT NULL,
            issued INTEGER NOT NULL, window_start DOUBLE PRECISION NOT NULL, PRIMARY KEY (customer_id, purpose))""",
    }

    def __init__(self, db: Sql, secret: bytes, base_url: str, *, ttl_s: int = 900):
        if not base_url.startswith(("https://", "http://")):
            raise ValueError("base_url must be an http(s) URL")
        if not MIN_TTL_S <= ttl_s <= MAX_TTL_S:
            raise ValueError(f"ttl_s must be in {MIN_TTL_S}..{MAX_TTL_S}")
        if not secret:
            raise ValueError("secret must not be empty")
        self._db = db
        # Derived, not the raw secret: a hash here is useless as an OTP hash or a session signature.
        self._secret = hashlib.sha256(b"sahayak-secure-link:" + secret).digest()
        self._base = base_url.rstrip("/")
        self.ttl_s = ttl_s

    async def setup(self) -> None:
        await self._db.script(self.DDL[self._db.dialect])

    def _hash(self, token: str) -> str:
        return hmac.new(self._secret, token.encode(), hashlib.sha256).hexdigest()

    async def issue(self, *, customer_id: str, purpose: Purpose, conversation: str, now: float) -> IssuedLink:
        """A new link for `customer_id` to do `purpose`, started from `conversation`. Expires the
        customer's earlier pending links for the same purpose. Raises SecureLinkLimit."""
        if purpose not in PURPOSES:
            raise ValueError(f"purpose must be one of {', '.join(PURPOSES)}")
        for name, value in (("customer_id", customer_id), ("conversation", conversation)):
            if not isinstance(value, str) or not value or len(value) > MAX_ID_LENGTH:
                raise ValueError(f"{name} must be a non-empty string of at most {MAX_ID_LENGTH} characters")
        window_opened_before = now - ISSUE_WINDOW_S
        # One statement: count this issue in the customer's window for this purpose, or refuse.
        allowed = await self._db.fetchone(
            """INSERT INTO secure_link_issues (customer_id, purpose, issued, window_start) VALUES (?, ?, 1, ?)
               ON CONFLICT (customer_id, purpose) DO UPDATE SET
                 issued = CASE WHEN secure_link_issues.window_start <= ? THEN 1
                               ELSE secure_link_issues.issued + 1 END,
                 window_start = CASE WHEN secure_link_issues.window_start <= ? THEN excluded.window_start
                                     ELSE secure_link_issues.window_start END
               WHERE secure_link_issues.window_start <= ? OR secure_link_issues.issued < ?
               RETURNING issued""",
            (customer_id, purpose, now, window_opened_before, window_opened_before, window_opened_before,
             MAX_ISSUES),
        )
        if allowed is None:
            raise SecureLinkLimit(purpose)
        # Only the newest link works: an older SMS lying around opens nothing.
        await self._db.execute(
            "UPDATE secure_links SET expires_at = ? WHERE customer_id = ? AND purpose = ? "
            "AND status = 'pending' AND expires_at > ?",
            (now, customer_id, purpose, now),
        )
        token = secrets.token_urlsafe(32)
        link_id = secrets.token_hex(8)
        expires_at = now + self.ttl_s
        await self._db.execute(
            "INSERT INTO secure_links (link_id, token_hash, customer_id, purpose, conversation, issued_at, "
            "expires_at, status, completed_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', NULL)",
            (link_id, self._hash(token), customer_id, purpose, conversation, now, expires_at),
        )
        return IssuedLink(link_id=link_id, url=f"{self._base}/{token}", expires_at=expires_at)

    async def open(self, token: str, *, now: float) -> LinkRecord | None:
        """The link behind `token` if it is pending and unexpired; None otherwise, whatever the reason."""
        if not _well_formed(token):
            return None
        row = await self._db.fetchone(
            "SELECT link_id, customer_id, purpose, conversation, status FROM secure_links "
            "WHERE token_hash = ? AND status = 'pending' AND expires_at > ?",
            (self._hash(token), now),
        )
        return None if row is None else LinkRecord(*row)

    async def complete(self, token: str, *, now: float) -> LinkRecord | None:
        """Mark the link done, once: of concurrent calls exactly one gets the record, the rest None."""
        if not _well_formed(token):
            return None
        row = await self._db.fetchone(
            "UPDATE secure_links SET status = 'completed', completed_at = ? "
            "WHERE token_hash = ? AND status = 'pending' AND expires_at > ? "
            "RETURNING link_id, customer_id, purpose, conversation, status",
            (now, self._hash(token), now),
        )
        return None if row is None else LinkRecord(*row)

    async def status(self, link_id: str, *, now: float) -> str:
        """pending | completed | expired | unknown (never issued, or pruned after RETAIN_S)."""
        if not isinstance(link_id, str) or not link_id or len(link_id) > MAX_ID_LENGTH:
            return "unknown"
        row = await self._db.fetchone("SELECT status, expires_at FROM secure_links WHERE link_id = ?", (link_id,))
        if row is None:
            return "unknown"
        status, expires_at = row
        if status == "completed":
            return "completed"
        return "pending" if expires_at > now else "expired"

    async def prune(self, *, now: float) -> int:
        """Forget links that ended more than RETAIN_S ago and issue windows long closed; returns the
        number of links removed. Bounded storage: run at start-up (and whenever convenient)."""
        removed = await self._db.execute(
            "DELETE FROM secure_links WHERE expires_at < ? OR completed_at < ?", (now - RETAIN_S, now - RETAIN_S))
        await self._db.execute("DELETE FROM secure_link_issues WHERE window_start < ?", (now - ISSUE_WINDOW_S,))
        return removed


def _well_formed(token: object) -> bool:
    return isinstance(token, str) and _TOKEN.fullmatch(token) is not None
