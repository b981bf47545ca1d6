"""Cases: escalations to human agents (and, later, disputes), each with a reference a customer can quote.

An escalation case is the human queue's unit of work:

    open ──claim(agent)──> claimed ──hand_back(agent)──> handed_back   (the bot answers again)
                                   └─close(agent)──────> closed

Priority and the customer's tier are fixed when the case opens; the waiting time is computed when the
case is read (never stored, so it is never stale). The summary is built from the audit trail, which is
masked before it is written: a case never holds the customer's raw words. When an LLM is configured, an
escalation also gets a short handover note (`llm_summary`, bot/llm/summarise.py) written after the reply.

Existing databases get the newer columns with `ALTER TABLE ... ADD COLUMN` (see `setup`), so an
upgrade needs no manual migration and old rows read with the column defaults."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

from bot.stores.sql import Sql

PRIORITIES = ("urgent", "high", "normal")  # queue order
STATUSES = ("open", "claimed", "handed_back", "closed")
SUMMARY_RECORDS = 8  # the last N turns of the conversation go into a case's summary
SUMMARY_MAX_CHARS = 2000


def case_priority(reason: str, *, verified: bool) -> str:
    """Queue priority of an escalation. Fraud and failed verification are urgent (someone may be trying
    to take over the account); a verified customer who asked for a person is high; the rest normal."""
    if reason in ("fraud", "otp_failed"):
        return "urgent"
    if reason == "customer_request" and verified:
        return "high"
    return "normal"


@dataclass(frozen=True)
class Case:
    reference: str
    created_at: float
    kind: str
    channel: str
    conversation: str  # the conversation key, "channel:conversation"
    customer_id: str
    reason: str
    status: str
    priority: str = "normal"
    tier: str = "standard"
    summary: str = ""  # masked
    agent: str | None = None
    claimed_at: float | None = None
    closed_at: float | None = None
    team: str = "support"  # which human queue works it: support, fraud, disputes, accounts, ...
    llm_summary: str = ""  # a configured LLM's handover note (masked), written after the customer's reply

    def waiting_s(self, now: float) -> float:
        """How long the customer waited (or has been waiting) for a person to pick the case up."""
        return round(max(0.0, (self.claimed_at or self.closed_at or now) - self.created_at), 1)


# A reference's last part starts with a letter: an all-digit tail ("ESC-20261206-492118", about 6% of
# six hex digits) joined the date into a 14-digit run that the PII masker rightly takes for an account
# number, so the audit trail and the console showed "ESC-[ACCOUNT ••••2118]" instead of the reference.
_REF_FIRST = "ABCDEFGHJKLMNPQRSTUVWXYZ"  # no I or O: references are read out on the phone
_REF_REST = "0123456789" + _REF_FIRST


def new_reference(kind: str, now: float) -> str:
    prefix = {"escalation": "ESC", "dispute": "DSP", "fraud": "FRD"}.get(kind, "CAS")
    tail = secrets.choice(_REF_FIRST) + "".join(secrets.choice(_REF_REST) for _ in range(5))
    return f"{prefix}-{time.strftime('%Y%m%d', time.gmtime(now))}-{tail}"


_COLUMNS = ("reference", "created_at", "kind", "channel", "conversation", "customer_id", "reason", "status",
            "priority", "tier", "summary", "agent", "claimed_at", "closed_at", "team", "llm_summary")
_SELECT = f"SELECT {', '.join(_COLUMNS)} FROM cases"


class Cases:
    DDL = {
        "sqlite": """CREATE TABLE IF NOT EXISTS cases (reference TEXT PRIMARY KEY, created_at REAL NOT NULL,
            kind TEXT NOT NULL, channel TEXT NOT NULL, conversation TEXT NOT NULL, customer_id TEXT NOT NULL,
            reason TEXT NOT NULL, status TEXT NOT NULL)""",
        "postgres": """CREATE TABLE IF NOT EXISTS cases (reference TEXT PRIMARY KEY,
            created_at DOUBLE PRECISION NOT NULL, kind TEXT NOT NULL, channel TEXT NOT NULL,
            conversation TEXT NOT NULL, customer_id TEXT NOT NULL, reason TEXT NOT NULL, status TEXT NOT NULL)""",
    }
    # Added after the first release: applied to new and existing tables alike (name -> type per dialect).
    ADDED_COLUMNS = {
        "priority": ("TEXT NOT NULL DEFAULT 'normal'", "TEXT NOT NULL DEFAULT 'normal'"),
        "tier": ("TEXT NOT NULL DEFAULT 'standard'", "TEXT NOT NULL DEFAULT 'standard'"),
        "summary": ("TEXT NOT NULL DEFAULT ''", "TEXT NOT NULL DEFAULT ''"),
        "agent": ("TEXT", "TEXT"),
        "claimed_at": ("REAL", "DOUBLE PRECISION"),
        "closed_at": ("REAL", "DOUBLE PRECISION"),
        "team": ("TEXT NOT NULL DEFAULT 'support'", "TEXT NOT NULL DEFAULT 'support'"),
        "llm_summary": ("TEXT NOT NULL DEFAULT ''", "TEXT NOT NULL DEFAULT ''"),
    }
    INDEX = "CREATE INDEX IF NOT EXISTS cases_queue ON cases (status, created_at)"

    def __init__(self, db: Sql, audit=None):
        self._db = db
        self._audit = audit  # AuditLog: the source of case summaries (already masked)

    async def setup(self) -> None:
        if self._db.dialect == "postgres":
            # One script: it runs in a transaction under the schema advisory lock, and IF NOT EXISTS
            # makes it a no-op on an up-to-date table, so gateways starting together are safe.
            alters = [f"ALTER TABLE cases ADD COLUMN IF NOT EXISTS {name} {pg_type}"
                      for name, (_, pg_type) in self.ADDED_COLUMNS.items()]
            await self._db.script(";\n".join([self.DDL["postgres"], *alters, self.INDEX]))
            return
        await self._db.script(self.DDL["sqlite"])
        # SQLite has no ADD COLUMN IF NOT EXISTS; the embedded store has one process, so look first.
        present = {row[1] for row in await self._db.fetchall("PRAGMA table_info(cases)")}
        for name, (sqlite_type, _) in self.ADDED_COLUMNS.items():
            if name not in present:
                await self._db.execute(f"ALTER TABLE cases ADD COLUMN {name} {sqlite_type}")
        await self._db.execute(self.INDEX)

    async def summarize(self, conversation: str, latest: str = "") -> str:
        """The last turns of the conversation from the (masked) audit trail, plus `latest`: the masked
        text of the message being handled now, which is audited only after its turn."""
        lines: list[str] = []
        if self._audit is not None:
            for record in await self._audit.for_conversation(conversation, limit=SUMMARY_RECORDS):
                if record.text:
                    lines.append(f"customer: {record.text}")
                for reply in record.replies:
                    lines.append(f"{reply.get('from', 'bot')}: {reply.get('text', '')}")
        if latest:
            lines.append(f"customer: {latest}")
        summary = "\n".join(lines)
        # Keep the end: the most recent turns say why the customer is here.
        return summary[-SUMMARY_MAX_CHARS:]

    async def open_case(self, *, kind: str, channel: str, conversation: str, customer_id: str, reason: str,
                        priority: str = "normal", tier: str = "standard", summary: str = "",
                        team: str = "support") -> Case:
        """One INSERT, committed when this returns: a dispute's `created_at` is the durable, timestamped
        acknowledgement that starts RBI's clocks, so callers write the case before they reply."""
        now = time.time()
        case = Case(new_reference(kind, now), now, kind, channel, conversation, customer_id, reason, "open",
                    priority if priority in PRIORITIES else "normal", tier or "standard", summary, team=team)
        await self._db.execute(
            "INSERT INTO cases (reference, created_at, kind, channel, conversation, customer_id, reason, status,"
            " priority, tier, summary, team) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (case.reference, case.created_at, case.kind, case.channel, case.conversation, case.customer_id,
             case.reason, case.status, case.priority, case.tier, case.summary, case.team),
        )
        return case

    async def set_llm_summary(self, reference: str, note: str) -> None:
        """Attach an LLM's handover note (masked by the caller) to a case; the transcript summary stays."""
        await self._db.execute("UPDATE cases SET llm_summary = ? WHERE reference = ?", (note, reference))

    async def get(self, reference: str) -> Case | None:
        row = await self._db.fetchone(f"{_SELECT} WHERE reference = ?", (reference,))
        return Case(*row) if row is not None else None

    async def for_conversation(self, conversation: str) -> list[Case]:
        rows = await self._db.fetchall(f"{_SELECT} WHERE conversation = ? ORDER BY created_at", (conversation,))
        return [Case(*r) for r in rows]

    async def queue(self, status: str = "open", *, limit: int = 200, kind: str = "escalation",
                    team: str | None = None) -> list[Case]:
        """Cases of `kind` in `status` (optionally one team's), urgent first, then the longest waiting."""
        team_clause = " AND team = ?" if team else ""
        rows = await self._db.fetchall(
            f"{_SELECT} WHERE status = ? AND kind = ?{team_clause} ORDER BY"
            " CASE priority WHEN 'urgent' THEN 0 WHEN 'high' THEN 1 ELSE 2 END, created_at LIMIT ?",
            (status, kind, *((team,) if team else ()), limit))
        return [Case(*r) for r in rows]

    async def claim(self, reference: str, agent: str) -> bool:
        """One atomic statement, so two agents racing for a case cannot both win. Re-claiming one's
        own case is a no-op success."""
        changed = await self._db.execute(
            "UPDATE cases SET status = 'claimed', agent = ?, claimed_at = COALESCE(claimed_at, ?)"
            " WHERE reference = ? AND (status = 'open' OR (status = 'claimed' AND agent = ?))",
            (agent, time.time(), reference, agent))
        return changed == 1

    async def finish(self, reference: str, agent: str, status: str = "handed_back") -> bool:
        """Close a case the agent holds (handed back to the bot, or closed outright)."""
        if status not in ("handed_back", "closed"):
            raise ValueError(status)
        changed = await self._db.execute(
            "UPDATE cases SET status = ?, closed_at = ? WHERE reference = ? AND status = 'claimed' AND agent = ?",
            (status, time.time(), reference, agent))
        return changed == 1
