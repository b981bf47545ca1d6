"""WhatsApp Cloud API wire formats, as pure functions (no I/O): the webhook signature, the webhook
payload -> `InboundMessage`s and delivery statuses, the checks on a voice note's media (type, size,
SHA-256), and a rendered reply -> the messages to send.

Parsing is strict about shape (a payload that is not what Meta sends is refused whole, before anything
is stored) and lenient about content Meta may add later (an unknown message type gets a polite reply,
an unknown status word or webhook field is skipped), because a 400 to Meta means seven days of retries.

Identity: the conversation and the sender are "+" + the sender's WhatsApp number (E.164), the address
the bank has on file. The profile name in `contacts` is chosen by the customer and is never read.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from datetime import datetime, timezone

from channels.base import Attachment, InboundMessage, Rendered, split_text

CHANNEL = "whatsapp"
SIGNATURE_PREFIX = "sha256="

# Meta's limits (Cloud API reference, "Messages"): text bodies, interactive bodies, reply buttons
# (at most 3, titles up to 20 characters) and list messages (at most 10 rows, titles up to 24).
TEXT_MAX = 4096
INTERACTIVE_BODY_MAX = 1024
REPLY_BUTTONS_MAX = 3
REPLY_TITLE_MAX = 20
LIST_ROWS_MAX = 10
LIST_TITLE_MAX = 24

# What an audio message says until it is heard: the text it is claimed (and kept in the inbox) with,
# the audio itself being an Attachment (kind "audio", ref = media id). The channel then fetches and
# transcribes the audio and the transcript is what the conversation loop reads. No letters on purpose:
# should a note's turn ever run unheard (a replay after a crash mid-transcription), the language
# detector keeps the conversation's language.
VOICE_NOTE_TEXT = "\N{MICROPHONE}"

# Media (voice notes): WhatsApp's own cap on audio files, and the audio types it delivers (Cloud API
# reference, "Media": AAC, AMR, MP3, MP4 audio, OGG with the Opus codec).
MAX_AUDIO_BYTES = 16 * 1024 * 1024
AUDIO_MIME_TYPES = frozenset({"audio/aac", "audio/amr", "audio/mpeg", "audio/mp4", "audio/ogg"})
_SHA256_HEX = re.compile(r"[0-9a-fA-F]{64}")

# Message types that get no answer at all: a reaction to one of our messages, a system notice (the
# customer changed number), WhatsApp's "the customer opened the chat" event.
SILENT_TYPES = frozenset({"reaction", "system", "request_welcome"})
# Meta's delivery statuses that the delivery store knows; others (e.g. "deleted") are skipped.
KNOWN_STATUSES = frozenset({"sent", "delivered", "read", "failed"})

_WA_ID = re.compile(r"[1-9][0-9]{6,14}")  # E.164 without "+": country code + number, at most 15 digits
_MESSAGE_ID = re.compile(r"[A-Za-z0-9_.:=+/\-]{1,256}")
_RECIPIENT = re.compile(r"[A-Za-z0-9_.@\-]{1,64}")
# Control characters and lone surrogates (JSON "\ud800" decodes to one): no customer types them and no
# store can keep them. Removed from the text rather than refused: the message is genuine.
_UNSTORABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
_DEVANAGARI = re.compile(r"[\u0900-\u097F]")


class WireError(Exception):
    """The body is not a WhatsApp webhook payload; the message says what is wrong (answered with 400)."""


class MediaRefused(Exception):
    """Audio that is not fetched or not used: `reason` is "too_large", "wrong_type" or "corrupt"."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason


@dataclass(frozen=True)
class WireMessage:
    message: InboundMessage
    sent_at: float  # the customer's send time (WhatsApp timestamp, epoch seconds)
    wire_type: str  # the Cloud API message type: text, interactive, audio, sticker, ...
    handling: str  # "turn" (to the loop), "unsupported" (polite reply), "silent" (recorded only)


@dataclass(frozen=True)
class StatusUpdate:
    message_id: str  # the wamid of a message we sent
    recipient: str  # "+" + wa_id
    status: str  # sent | delivered | read | failed
    at: float
    error: str | None


@dataclass(frozen=True)
class WebhookBatch:
    messages: tuple[WireMessage, ...]
    statuses: tuple[StatusUpdate, ...]
    skipped: int  # changes for other fields or other phone numbers, and unknown status words


def verify_signature(app_secret: bytes, body: bytes, header: str | None) -> bool:
    """X-Hub-Signature-256 is "sha256=" + hex HMAC-SHA256 of the exact bytes received, keyed with the app
    secret. Meta signs the body as sent (Devanagari escaped as \\uXXXX), so re-serialised JSON would not
    verify: only the raw bytes are ever hashed. Constant-time compare."""
    if not header or not header.startswith(SIGNATURE_PREFIX):
        return False
    try:
        given = header[len(SIGNATURE_PREFIX):].strip().lower().encode("ascii")
    except UnicodeEncodeError:
        return False
    expected = hmac.new(app_secret, body, hashlib.sha256).hexdigest().encode("ascii")
    return hmac.compare_digest(expected, given)


def sign(app_secret: bytes, body: bytes) -> str:
    """The header value Meta would send for `body` (tests and benchmarks sign with this)."""
    return SIGNATURE_PREFIX + hmac.new(app_secret, body, hashlib.sha256).hexdigest()


def parse_webhook(body: bytes, phone_number_id: str) -> WebhookBatch:
    """Parse a verified webhook body; raises WireError. Only changes of field "messages" addressed to
    our phone number are read; the rest (other numbers on a shared app, template and account events)
    is skipped."""
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise WireError("the body is not valid JSON") from None
    root = _obj(payload, "the body")
    if root.get("object") != "whatsapp_business_account":
        raise WireError('"object" must be "whatsapp_business_account"')
    messages: list[WireMessage] = []
    statuses: list[StatusUpdate] = []
    skipped = 0
    for i, entry in enumerate(_list(root.get("entry"), "entry")):
        entry = _obj(entry, f"entry[{i}]")
        for j, change in enumerate(_list(entry.get("changes"), f"entry[{i}].changes")):
            where = f"entry[{i}].changes[{j}]"
            change = _obj(change, where)
            field = _str(change.get("field"), f"{where}.field", 64)
            value = _obj(change.get("value"), f"{where}.value")
            if field != "messages":
                skipped += 1
                continue
            where += ".value"
            if value.get("messaging_product") != "whatsapp":
                raise WireError(f'{where}.messaging_product must be "whatsapp"')
            metadata = _obj(value.get("metadata"), f"{where}.metadata")
            if _str(metadata.get("phone_number_id"), f"{where}.metadata.phone_number_id", 64) != phone_number_id:
                skipped += 1
                continue
            for k, m in enumerate(_list(value.get("messages", []), f"{where}.messages")):
                messages.append(_message(m, f"{where}.messages[{k}]"))
            for k, s in enumerate(_list(value.get("statuses", []), f"{where}.statuses")):
                status = _status(s, f"{where}.statuses[{k}]")
                if status is None:
                    skipped += 1
                else:
                    statuses.append(status)
    return WebhookBatch(tuple(messages), tuple(statuses), skipped)


def _message(raw: object, where: str) -> WireMessage:
    m = _obj(raw, where)
    wa_id = _str(m.get("from"), f"{where}.from", 15)
    if not _WA_ID.fullmatch(wa_id):
        raise WireError(f"{where}.from must be a WhatsApp number (country code and number, digits only)")
    message_id = _str(m.get("id"), f"{where}.id", 256)
    if not _MESSAGE_ID.fullmatch(message_id):
        raise WireError(f"{where}.id is not a WhatsApp message id")
    sent_at = _timestamp(m.get("timestamp"), f"{where}.timestamp")
    kind = _str(m.get("type"), f"{where}.type", 64)
    text, attachments, handling = "", (), "turn"
    if kind == "text":
        text = _clean(_str(_obj(m.get("text"), f"{where}.text").get("body"), f"{where}.text.body", TEXT_MAX))
    elif kind == "interactive":
        interactive = _obj(m.get("interactive"), f"{where}.interactive")
        sub = _str(interactive.get("type"), f"{where}.interactive.type", 64)
        if sub in ("button_reply", "list_reply"):
            # The title is the label we offered, so the graph reads a tap exactly like typed text.
            reply = _obj(interactive.get(sub), f"{where}.interactive.{sub}")
            text = _clean(_str(reply.get("title"), f"{where}.interactive.{sub}.title", 256))
        else:  # nfm_reply (Flows) and whatever comes next
            handling = "unsupported"
    elif kind == "button":  # a quick-reply button of a template we sent outside the window
        button = _obj(m.get("button"), f"{where}.button")
        text = _clean(_str(button.get("text"), f"{where}.button.text", 256))
    elif kind == "audio":
        audio = _obj(m.get("audio"), f"{where}.audio")
        media_id = _str(audio.get("id"), f"{where}.audio.id", 256)
        mime = _str(audio.get("mime_type", "audio/ogg"), f"{where}.audio.mime_type", 128)
        attachments = (Attachment(kind="audio", mime_type=mime, ref=media_id),)
        text = VOICE_NOTE_TEXT
    elif kind in SILENT_TYPES:
        handling = "silent"
    else:  # image, video, document, sticker, location, contacts, order, unsupported, ...
        handling = "unsupported"
    if handling == "turn" and not text.strip():
        handling = "silent"  # nothing to answer (a body of spaces, or only control characters)
    conversation = "+" + wa_id
    msg = InboundMessage(channel=CHANNEL, conversation=conversation, sender=conversation, text=text.strip(),
                         message_id=message_id, received_at=datetime.fromtimestamp(sent_at, timezone.utc),
                         attachments=attachments)
    return WireMessage(message=msg, sent_at=sent_at, wire_type=kind, handling=handling)


def _status(raw: object, where: str) -> StatusUpdate | None:
    s = _obj(raw, where)
    message_id = _str(s.get("id"), f"{where}.id", 256)
    if not _MESSAGE_ID.fullmatch(message_id):
        raise WireError(f"{where}.id is not a WhatsApp message id")
    status = _str(s.get("status"), f"{where}.status", 32)
    at = _timestamp(s.get("timestamp"), f"{where}.timestamp")
    recipient = _str(s.get("recipient_id"), f"{where}.recipient_id", 64)
    if not _RECIPIENT.fullmatch(recipient):
        raise WireError(f"{where}.recipient_id is not a WhatsApp id")
    error = None
    if "errors" in s:
        errors = _list(s["errors"], f"{where}.errors")
        if errors:
            first = _obj(errors[0], f"{where}.errors[0]")
            error = f"{first.get('code', '?')} {first.get('title', '')}".strip()[:200]
    if status not in KNOWN_STATUSES:
        return None
    return StatusUpdate(message_id=message_id, recipient="+" + recipient if recipient.isdigit() else recipient,
                        status=status, at=at, error=error)


def _obj(value: object, where: str) -> dict:
    if not isinstance(value, dict):
        raise WireError(f"{where} must be a JSON object")
    return value


def _list(value: object, where: str) -> list:
    if not isinstance(value, list):
        raise WireError(f"{where} must be a JSON array")
    return value


def _str(value: object, where: str, max_len: int) -> str:
    if not isinstance(value, str) or not value:
        raise WireError(f"{where} must be a non-empty string")
    if len(value) > max_len:
        raise WireError(f"{where} is longer than {max_len} characters")
    return value


def _timestamp(value: object, where: str) -> float:
    # Meta sends epoch seconds as a string of digits; an int is accepted too.
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 12:
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 10**9 <= value < 10**11:
        raise WireError(f"{where} must be a Unix time in seconds")
    return float(value)


def _clean(text: str) -> str:
    return _UNSTORABLE.sub("", text)


# --- media ----------------------------------------------------------------------------------------

def check_audio(mime_type: str, file_size: int | None) -> None:
    """Refuse (MediaRefused) audio of a type we do not decode, or over WhatsApp's 16 MB, before a byte
    of it is fetched. `mime_type` may carry parameters ("audio/ogg; codecs=opus")."""
    base = mime_type.split(";", 1)[0].strip().lower()
    if base not in AUDIO_MIME_TYPES:
        raise MediaRefused("wrong_type", f"{base[:64]!r} is not a WhatsApp audio type")
    if file_size is not None and file_size > MAX_AUDIO_BYTES:
        raise MediaRefused("too_large", f"{file_size} bytes; at most {MAX_AUDIO_BYTES}")


def check_digest(data: bytes, sha256: str | None) -> None:
    """The media's SHA-256 as the Graph API states it, checked (MediaRefused "corrupt" on a mismatch).
    The media endpoint gives it in hex and webhooks in base64; both are read. A digest in neither form is
    a mismatch: nothing unverifiable is used when a digest was given."""
    if not sha256:
        return
    digest = hashlib.sha256(data).digest()
    if _SHA256_HEX.fullmatch(sha256):
        expected = bytes.fromhex(sha256)
    else:
        try:
            expected = base64.b64decode(sha256, validate=True)
        except ValueError:  # binascii.Error is one
            expected = b""
    if not hmac.compare_digest(digest, expected):
        raise MediaRefused("corrupt", "the media's SHA-256 does not match the one the Graph API gave")


# --- outbound -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Planned:
    """One Graph API message: plain text, reply buttons, or a list message."""

    kind: str  # text | buttons | list
    text: str
    options: tuple[str, ...] = ()
    language: str = "en"  # of the list's button label


def plan_outbound(message: Rendered) -> list[Planned]:
    """A rendered reply as WhatsApp messages: up to 3 short options as reply buttons, up to 10 as a list,
    anything else as a numbered list in text (the graph understands "2"). The interactive body holds at
    most 1024 characters, so longer text goes first as plain text."""
    text, options = message.text, tuple(message.buttons)
    kind = _interactive_kind(options) if options and text.strip() else None
    if options and kind is None:
        numbered = "\n".join(f"{i}. {label}" for i, label in enumerate(options, 1))
        text = f"{text}\n\n{numbered}" if text.strip() else numbered
    if kind is None:
        return [Planned("text", part) for part in split_text(text, TEXT_MAX) if part.strip()]
    parts = split_text(text, INTERACTIVE_BODY_MAX)
    planned = [Planned("text", part) for part in parts[:-1] if part.strip()]
    language = "hi" if _DEVANAGARI.search(text) else "en"
    planned.append(Planned(kind, parts[-1], options, language))
    return planned


def _interactive_kind(options: tuple[str, ...]) -> str | None:
    if len(set(options)) != len(options) or not all(label.strip() for label in options):
        return None  # WhatsApp refuses duplicate or empty titles
    longest = max(len(label) for label in options)
    if len(options) <= REPLY_BUTTONS_MAX and longest <= REPLY_TITLE_MAX:
        return "buttons"
    if len(options) <= LIST_ROWS_MAX and longest <= LIST_TITLE_MAX:
        return "list"
    return None
