"""How the bank reaches a customer outside the conversation: OTPs and alerts to the registered
mobile or email. In demo mode that is the demo outbox; the SMS and email channels plug in here."""

from __future__ import annotations

from typing import Protocol


class NotifierUnavailable(Exception):
    """No way to reach the customer's registered contact is configured or working."""


class Notifier(Protocol):
    available: bool  # False: OTP cannot be delivered, so authentication must fail closed

    async def send_sms(self, to: str, body: str) -> None: ...

    async def send_email(self, to: str, subject: str, body: str) -> None: ...


class NoNotifier:
    """Outside demo mode with no SMS or email channel configured: refuse, so OTP fails closed."""

    available = False

    async def send_sms(self, to: str, body: str) -> None:
        raise NotifierUnavailable("no SMS channel configured")

    async def send_email(self, to: str, subject: str, body: str) -> None:
        raise NotifierUnavailable("no email channel configured")
