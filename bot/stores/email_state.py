"""What the email channel remembers, on SQLite and PostgreSQL:

- email threads: per conversation, whom to answer, the subject to answer under, and the ids a reply
  must reference (written when a message is accepted, read when the turn's reply is sent);
- webhook tokens: the replay cache of signed inbound webhooks (Mailgun signs a timestamp and a
  one-time token; a token seen before is refused).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

from bot.stores.sql import Sql

# A thread idle this long is forgotten; a reply to it after that simply starts the record again.
THREAD_RETENTION_S = 180 * 24 * 3600
# Tokens older than the signature window are refused by the timestamp check alone, so they need not
# be remembered past it (kept a while longer for clock skew between Mailgun and us).
TOKEN_RETENTION_S = 3600
_PRUNE_EVERY_S = 60


@dataclass(frozen=True)
class EmailThread:
    conversation: str
    customer: str  # the address replies go to: the From of the conversation's messages
    subject: str  # the thread's subject without "Re:", for "Re: <subject>"
    root: str
    last_message_id: str
    references: tuple[str, ...]  # what a reply to the last message references


class EmailThreads:
    DDL = {
        "sqlite": """CREATE TABLE IF NOT EXISTS email_threads (conversation TEXT PRIMARY KEY,
            customer TEXT NOT NULL, subject TEXT NOT NULL, root TEXT NOT NULL, last_message_id TEXT NOT NULL,
            refs TEXT NOT NULL, updated_at REAL NOT NULL)""",
        "postgres": """CREATE TABLE IF NOT EXISTS email_threads (conversation TEXT PRIMARY KEY,
            customer TEXT NOT NULL, subject TEXT NOT NULL, root TEXT NOT NULL, last_message_id TEXT NOT NULL,
            refs TEXT NOT NULL, updated_at DOUBLE PRECISION NOT NULL)""",
    }

    def __init__(self, db: Sql):
        self._db = db

    async def setup(self) -> None:
        await self._db.script(self.DDL[self._db.dialect])

    async def remember(self, conversation: str, *, customer: str, subject: str, root: str, message_id: str,
                       references: tuple[str, ...]) -> None:
        """Record the latest accepted message of a thread. The first non-empty subject stays: the thread
        keeps its name even if a later reply edits it."""
        await self._db.execute(
            """INSERT INTO email_threads (conversation, customer, subject, root, last_message_id, refs, updated_at)
               VALUES (?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT (conversation) DO UPDATE SET customer = excluded.customer,
                 subject = CASE WHEN email_threads.subject = '' THEN excluded.subject ELSE email_threads.subject END,
                 last_message_id = excluded.last_message_id, refs = excluded.refs,
                 updated_at = excluded.updated_at""",
            (conversation, customer, subject, root, message_id, json.dumps(list(references)), time.time()))

    async def get(self, conversation: str) -> EmailThread | None:
        row = await self._db.fetchone(
            "SELECT conversation, customer, subject, root, last_message_id, refs FROM email_threads"
            " WHERE conversation = ?", (conversation,))
        if row is None:
            return None
        return EmailThread(row[0], row[1], row[2], row[3], row[4], tuple(json.loads(row[5])))

    async def prune(self, older_than_s: float = THREAD_RETENTION_S) -> int:
        return await self._db.execute("DELETE FROM email_threads WHERE updated_at < ?",
                                      (time.time() - older_than_s,))


class WebhookTokens:
    """The replay cache: `remember` is one atomic INSERT, so of two concurrent requests carrying the
    same token exactly one wins (never "check, then mark")."""

    DDL = {
        "sqlite": """CREATE TABLE IF NOT EXISTS webhook_tokens (provider TEXT NOT NULL, token TEXT NOT NULL,
            signed_at REAL NOT NULL, PRIMARY KEY (provider, token));
            CREATE INDEX IF NOT EXISTS webhook_tokens_signed_at ON webhook_tokens (signed_at)""",
        "postgres": """CREATE TABLE IF NOT EXISTS webhook_tokens (provider TEXT NOT NULL, token TEXT NOT NULL,
            signed_at DOUBLE PRECISION NOT NULL, PRIMARY KEY (provider, token));
            CREATE INDEX IF NOT EXISTS webhook_tokens_signed_at ON webhook_tokens (signed_at)""",
    }

    def __init__(self, db: Sql):
        self._db = db
        self._last_prune = 0.0

    async def setup(self) -> None:
        await self._db.script(self.DDL[self._db.dialect])

    async def remember(self, provider: str, token: str, signed_at: float) -> bool:
        """True the first time a token is seen; False for a replay."""
        now = time.time()
        if now - self._last_prune > _PRUNE_EVERY_S:
            self._last_prune = now
            await self._db.execute("DELETE FROM webhook_tokens WHERE signed_at < ?", (now - TOKEN_RETENTION_S,))
        return 1 == await self._db.execute(
            "INSERT INTO webhook_tokens (provider, token, signed_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
            (provider, token, signed_at))

    async def forget(self, provider: str, token: str) -> None:
        """Undo `remember` when the request could not be taken in (a store failure): the provider's
        retry of the same request must not be refused as a replay."""
        await self._db.execute("DELETE FROM webhook_tokens WHERE provider = ? AND token = ?", (provider, token))
