"""The normalized message model every channel speaks, the channel Protocol, and the one renderer.

Channels translate their wire formats into `InboundMessage`s at the edge and render the bot's
`OutboundMessage`s according to what they can show (`Capabilities`); the conversation loop in between
never knows which channel it is talking to.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, runtime_checkable


@dataclass(frozen=True)
class Attachment:
    kind: str  # audio, image, document
    mime_type: str
    ref: str  # provider media id or local path; fetched lazily


@dataclass(frozen=True)
class InboundMessage:
    channel: str  # registry name: web, whatsapp, sms, email, voice
    conversation: str  # stable key of the conversation within the channel
    sender: str  # channel address (session id, phone number, email); an identity claim, not proof
    text: str
    message_id: str  # the provider's id: the idempotency key
    received_at: datetime
    attachments: tuple[Attachment, ...] = ()
    language_hint: str | None = None

    @property
    def conversation_key(self) -> str:
        """Globally unique conversation id: the checkpoint thread and lock key."""
        return f"{self.channel}:{self.conversation}"


@dataclass(frozen=True)
class OutboundMessage:
    text: str
    buttons: tuple[str, ...] = ()

    def as_json(self) -> dict:
        return {"text": self.text, "buttons": list(self.buttons)}


@dataclass(frozen=True)
class Capabilities:
    buttons: bool  # quick-reply buttons rendered natively
    max_buttons: int = 3
    max_text: int = 4096  # longest text in one message; longer text is split
    rich_text: bool = False
    # The sender address is a phone number (WhatsApp, SMS, a call): it names the customer to look up,
    # but it is a claim (SMS and caller ID can be spoofed), so OTP is still required.
    phone_sender: bool = False


@dataclass(frozen=True)
class Rendered:
    """One message ready for a channel's send call."""

    text: str
    buttons: tuple[str, ...] = field(default=())


@runtime_checkable
class Channel(Protocol):
    name: str
    capabilities: Capabilities

    async def send(self, conversation: str, messages: list[Rendered], *, in_reply_to: str | None = None) -> None:
        """Deliver rendered replies to the conversation's customer."""


def render(message: OutboundMessage, caps: Capabilities) -> list[Rendered]:
    """Degrade by capability: buttons become a numbered list where a channel has none (or too few
    slots), and text longer than the channel allows is split on paragraph, line or word boundaries."""
    text, buttons = message.text, message.buttons
    if buttons and (not caps.buttons or len(buttons) > caps.max_buttons):
        options = "\n".join(f"{i}. {label}" for i, label in enumerate(buttons, 1))
        text = f"{text}\n\n{options}" if text else options
        buttons = ()
    parts = split_text(text, caps.max_text)
    rendered = [Rendered(p) for p in parts]
    if buttons:
        rendered[-1] = Rendered(rendered[-1].text, tuple(buttons))
    return rendered


def split_text(text: str, limit: int) -> list[str]:
    if len(text) <= limit:
        return [text]
    parts: list[str] = []
    rest = text
    while len(rest) > limit:
        window = rest[:limit]
        cut = max(window.rfind("\n\n"), window.rfind("\n"))
        if cut < limit // 2:
            cut = window.rfind(" ")
        if cut < limit // 2:
            cut = limit
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        parts.append(rest)
    return parts


def resolve_numbered_choice(text: str, offered: tuple[str, ...]) -> str:
    """On channels without buttons the customer answers "2" to a numbered list: map it back."""
    stripped = text.strip().rstrip(".")
    if stripped.isdigit() and 1 <= int(stripped) <= len(offered):
        return offered[int(stripped) - 1]
    return text
