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


class ChannelNotifier:
    """Outside demo mode: OTPs and alerts go out through the configured SMS and email channels.
    Looked up at send time, since channels start after the loop is built."""

    def __init__(self, channels: dict):
        self._channels = channels

    @property
    def available(self) -> bool:
        return "sms" in self._channels

    async def send_sms(self, to: str, body: str) -> None:
        channel = self._channels.get("sms")
        if channel is None:
            raise NotifierUnavailable("no SMS channel configured")
        await channel.notify(to, body)

    async def send_email(self, to: str, subject: str, body: str) -> None:
        channel = self._channels.get("email")
        if channel is None:
            raise NotifierUnavailable("no email channel configured")
        await channel.notify(to, subject, body)
