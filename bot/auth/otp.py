"""One-time passwords, as DESIGN.md's security rules say.

6 digits from `secrets`; stored only as a keyed hash (HMAC-SHA256 with the gateway's secret, bound
to the OTP's key so a hash from one conversation is useless in another); 5-minute expiry; single use;
at most 3 checks per code; a limited number of codes per 30 minutes per *subject* (the customer, across
all their conversations, so new chat sessions do not buy new codes); constant-time comparison.
Every check is one atomic UPDATE .. RETURNING, so two concurrent guesses cannot both be counted as
the first. If the store is down, `verify` raises OtpUnavailable and the caller refuses (fail closed).
The code itself is returned once, to be sent to the registered mobile, and is never logged.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from typing import Literal

from bot.stores.sql import Sql

SEND_WINDOW_S = 30 * 60


class OtpUnavailable(Exception):
    """The OTP store failed: verification must be refused, not skipped."""


class OtpSendLimit(Exception):
    """Too many codes issued for this key in the current window."""


@dataclass(frozen=True)
class OtpCheck:
    outcome: Literal["ok", "wrong", "expired", "locked", "none"]
    checks_left: int


class OtpService:
    DDL = {
        "sqlite": """CREATE TABLE IF NOT EXISTS otp (key TEXT PRIMARY KEY, code_hash TEXT NOT NULL,
            expires_at REAL NOT NULL, checks INTEGER NOT NULL, consumed INTEGER NOT NULL);
            CREATE TABLE IF NOT EXISTS otp_sends (subject TEXT PRIMARY KEY, sends INTEGER NOT NULL,
            window_start REAL NOT NULL)""",
        "postgres": """CREATE TABLE IF NOT EXISTS otp (key TEXT PRIMARY KEY, code_hash TEXT NOT NULL,
            expires_at DOUBLE PRECISION NOT NULL, checks INTEGER NOT NULL, consumed INTEGER NOT NULL);
            CREATE TABLE IF NOT EXISTS otp_sends (subject TEXT PRIMARY KEY, sends INTEGER NOT NULL,
            window_start DOUBLE PRECISION NOT NULL)""",
    }

    def __init__(self, db: Sql, secret: bytes, *, ttl_s: int = 300, max_checks: int = 3, max_sends: int = 3):
        self._db = db
        self._secret = hashlib.sha256(b"sahayak-otp:" + secret).digest()
        self.ttl_s = ttl_s
        self.max_checks = max_checks
        self.max_sends = max_sends

    async def setup(self) -> None:
        await self._db.script(self.DDL[self._db.dialect])

    def _hash(self, key: str, code: str) -> str:
        return hmac.new(self._secret, f"{key}\x00{code}".encode(), hashlib.sha256).hexdigest()

    async def issue(self, key: str, *, subject: str) -> str:
        """A fresh code for `key`, replacing any earlier one. Raises OtpSendLimit when `subject` has had
        `max_sends` codes in the current 30-minute window."""
        now = time.time()
        # One statement: count this send in the subject's window, or refuse.
        allowed = await self._db.fetchone(
            """INSERT INTO otp_sends (subject, sends, window_start) VALUES (?, 1, ?)
               ON CONFLICT (subject) DO UPDATE SET
                 sends = CASE WHEN otp_sends.window_start < ? THEN 1 ELSE otp_sends.sends + 1 END,
                 window_start = CASE WHEN otp_sends.window_start < ? THEN excluded.window_start
                                     ELSE otp_sends.window_start END
               WHERE otp_sends.window_start < ? OR otp_sends.sends < ?
               RETURNING sends""",
            (subject, now, now - SEND_WINDOW_S, now - SEND_WINDOW_S, now - SEND_WINDOW_S, self.max_sends),
        )
        if allowed is None:
            raise OtpSendLimit(subject)
        code = f"{secrets.randbelow(10**6):06d}"
        await self._db.execute(
            """INSERT INTO otp (key, code_hash, expires_at, checks, consumed) VALUES (?, ?, ?, 0, 0)
               ON CONFLICT (key) DO UPDATE SET code_hash = excluded.code_hash,
                 expires_at = excluded.expires_at, checks = 0, consumed = 0""",
            (key, self._hash(key, code), now + self.ttl_s),
        )
        return code

    async def verify(self, key: str, code: str) -> OtpCheck:
        try:
            return await self._verify(key, code)
        except Exception as e:  # any store failure: refuse
            raise OtpUnavailable(type(e).__name__) from e

    async def _verify(self, key: str, code: str) -> OtpCheck:
        now = time.time()
        row = await self._db.fetchone(
            "UPDATE otp SET checks = checks + 1 WHERE key = ? AND consumed = 0 AND checks < ?"
            " RETURNING code_hash, expires_at, checks",
            (key, self.max_checks),
        )
        if row is None:
            exists = await self._db.fetchone("SELECT consumed FROM otp WHERE key = ?", (key,))
            return OtpCheck("none" if exists is None or exists[0] else "locked", 0)
        code_hash, expires_at, checks = row
        left = self.max_checks - int(checks)
        if expires_at < now:
            return OtpCheck("expired", left)
        candidate = code.strip() if code.strip().isdigit() and len(code.strip()) == 6 else "-"
        if not hmac.compare_digest(code_hash, self._hash(key, candidate)):
            return OtpCheck("wrong" if left > 0 else "locked", left)
        used = await self._db.execute("UPDATE otp SET consumed = 1 WHERE key = ? AND consumed = 0", (key,))
        return OtpCheck("ok", left) if used == 1 else OtpCheck("none", 0)
