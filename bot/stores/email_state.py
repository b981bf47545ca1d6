"""What the email channel remembers, on SQLite and PostgreSQL:

- email threads: per conversation, whom to answer, the subject to answer under, and the ids a reply
  must reference (written when a message is accepted, read when the turn's reply is sent);
- email message ids: every Message-ID the bank sent and every one it accepted, with its conversation
  and address, so that a reply carrying any of them (In-Reply-To alone will do) finds its conversation;
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
# Ids looked up per inbound message: its own, In-Reply-To and the References kept (20 at most).
MAX_LOOKUP_IDS = 32


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
            refs TEXT NOT NULL, updated_at REAL NOT NULL);
            CREATE TABLE IF NOT EXISTS email_messages (customer TEXT NOT NULL, message_id TEXT NOT NULL,
            conversation TEXT NOT NULL, refs TEXT NOT NULL, created_at REAL NOT NULL,
            PRIMARY KEY (customer, message_id));
            CREATE INDEX IF NOT EXISTS email_messages_created_at ON email_messages (created_at)""",
        "postgres": """CREATE TABLE IF NOT EXISTS email_threads (conversation TEXT PRIMARY KEY,
            customer TEXT NOT NULL, subject TEXT NOT NULL, root TEXT NOT NULL, last_message_id TEXT NOT NULL,
            refs TEXT NOT NULL, updated_at DOUBLE PRECISION NOT NULL);
            CREATE TABLE IF NOT EXISTS email_messages (customer TEXT NOT NULL, message_id TEXT NOT NULL,
            conversation TEXT NOT NULL, refs TEXT NOT NULL, created_at DOUBLE PRECISION NOT NULL,
            PRIMARY KEY (customer, message_id));
            CREATE INDEX IF NOT EXISTS email_messages_created_at ON email_messages (created_at)""",
    }

    def __init__(self, db: Sql):
        self._db = db

    async def setup(self) -> None:
        await self._db.script(self.DDL[self._db.dialect])

    async def open(self, conversation: str, *, customer: str, subject: str, root: str, message_id: str,
                   references: tuple[str, ...]) -> None:
        """Record a conversation's thread when its first message comes in (before the claim, so the
        turn's reply finds whom to answer). Once recorded, this changes nothing: only `advance`
        moves a thread on, and only for a message whose claim won."""
        await self._db.execute(
            """INSERT INTO email_threads (conversation, customer, subject, root, last_message_id, refs, updated_at)
               VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (conversation) DO NOTHING""",
            (conversation, customer, subject, root, message_id, json.dumps(list(references)), time.time()))

    async def advance(self, conversation: str, *, subject: str, message_id: str,
                      references: tuple[str, ...]) -> None:
        """The thread's latest accepted message. Called once the message's claim won: a redelivered
        old message is a duplicate and must not move the thread back. The first non-empty subject
        stays: the thread keeps its name even if a later reply edits it."""
        await self._db.execute(
            """UPDATE email_threads SET last_message_id = ?, refs = ?, updated_at = ?,
                 subject = CASE WHEN subject = '' THEN ? ELSE subject END
               WHERE conversation = ?""",
            (message_id, json.dumps(list(references)), time.time(), subject, conversation))

    async def get(self, conversation: str) -> EmailThread | None:
        row = await self._db.fetchone(
            "SELECT conversation, customer, subject, root, last_message_id, refs FROM email_threads"
            " WHERE conversation = ?", (conversation,))
        if row is None:
            return None
        return EmailThread(row[0], row[1], row[2], row[3], row[4], tuple(json.loads(row[5])))

    async def remember_message(self, conversation: str, *, customer: str, message_id: str,
                               references: tuple[str, ...]) -> None:
        """A message of the conversation (one we sent to `customer`, or one `customer` sent us) and
        the References a reply to it carries. Written once: a redelivery, or another conversation
        claiming the same id, changes nothing."""
        await self._db.execute(
            "INSERT INTO email_messages (customer, message_id, conversation, refs, created_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (customer, message_id, conversation, json.dumps(list(references)), time.time()))

    async def find_conversation(self, customer: str, ids: list[str] | tuple[str, ...]) -> str | None:
        """The conversation of the first of `ids` known for this address (callers pass the message's
        own id, then its In-Reply-To, then References from the most recent). Keyed by address: an id
        known for someone else never lets another sender into their conversation."""
        ids = list(dict.fromkeys(i for i in ids if i))[:MAX_LOOKUP_IDS]
        if not ids:
            return None
        marks = ", ".join("?" for _ in ids)
        rows = await self._db.fetchall(
            f"SELECT message_id, conversation FROM email_messages WHERE customer = ? AND message_id IN ({marks})",
            (customer, *ids))
        found = dict(rows)
        return next((found[i] for i in ids if i in found), None)

    async def references_of(self, conversation: str, customer: str, message_id: str) -> tuple[str, ...] | None:
        """What a reply to this message of the conversation references; None if it is not known."""
        row = await self._db.fetchone(
            "SELECT refs FROM email_messages WHERE customer = ? AND message_id = ? AND conversation = ?",
            (customer, message_id, conversation))
        return tuple(json.loads(row[0])) if row is not None else None

    async def prune(self, older_than_s: float = THREAD_RETENTION_S) -> int:
        """Forget idle threads and old message ids (a message is never newer than its thread's last
        update, so the ids of a thread kept are the ones still referenced)."""
        cutoff = time.time() - older_than_s
        await self._db.execute("DELETE FROM email_messages WHERE created_at < ?", (cutoff,))
        return await self._db.execute("DELETE FROM email_threads WHERE updated_at < ?", (cutoff,))


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
