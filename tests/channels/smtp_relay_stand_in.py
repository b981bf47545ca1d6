"""A stand-in for the bank's SMTP relay: aiosmtpd's SMTP protocol served on the test's own event loop.

It speaks real SMTP (EHLO, optional AUTH, MAIL, RCPT, DATA), captures every message it takes (parsed
with the email package, so tests check headers, parts and threading as a mail client would), and can
be told to answer the next DATA commands with failures (e.g. "451 ..." to exercise retries)."""

from __future__ import annotations

import asyncio
import contextlib
import email
import email.policy
from collections.abc import AsyncIterator
from email.message import EmailMessage

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


class RelayStandIn:
    def __init__(self, username: str | None = None, password: str | None = None):
        self.messages: list[EmailMessage] = []
        self.raw: list[bytes] = []  # each message's bytes as they came over DATA
        self.envelopes: list[tuple[str, list[str]]] = []
        self.failures: list[str] = []  # replies for the next DATA commands, in order
        self.data_attempts = 0
        self.port: int | None = None
        self._credentials = (username, password)
        self._arrived = asyncio.Condition()

    async def handle_DATA(self, server, session, envelope) -> str:
        self.data_attempts += 1
        if self.failures:
            return self.failures.pop(0)
        if self._credentials[0] is not None and not session.authenticated:
            return "530 5.7.0 Authentication required"
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        async with self._arrived:
            self.messages.append(message)
            self.raw.append(bytes(envelope.original_content))
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
            self._arrived.notify_all()
        return "250 2.0.0 OK: queued"

    def authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        username, password = self._credentials
        ok = auth_data.login.decode() == username and auth_data.password.decode() == password
        # handled=False: aiosmtpd then answers "535" itself (its default, handled=True, answers nothing).
        return AuthResult(success=ok, handled=False)

    async def wait_for(self, count: int, timeout: float = 15.0) -> list[EmailMessage]:
        """The first `count` messages, waiting for them to arrive."""
        async with self._arrived:
            await asyncio.wait_for(self._arrived.wait_for(lambda: len(self.messages) >= count), timeout)
        return self.messages[:count]


@contextlib.asynccontextmanager
async def smtp_relay_stand_in(username: str | None = None, password: str | None = None
                              ) -> AsyncIterator[RelayStandIn]:
    relay = RelayStandIn(username, password)
    loop = asyncio.get_running_loop()
    options: dict = {}
    if username is not None:
        # Plain-text AUTH is allowed here only because the stand-in has no certificate to offer.
        options = {"authenticator": relay.authenticate, "auth_require_tls": False}

    server = await loop.create_server(
        lambda: SMTP(relay, hostname="relay.stand-in.test", loop=loop, **options), "127.0.0.1", 0)
    relay.port = server.sockets[0].getsockname()[1]
    try:
        yield relay
    finally:
        server.close()
        await server.wait_closed()


def plain_text(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def html_text(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("html",)).get_content()
