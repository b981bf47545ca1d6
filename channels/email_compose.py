"""Pure construction of the emails the bank sends: a reply in a customer's thread, or a notice.

Both carry a plain-text part and an HTML part with the same words (escaped, line breaks kept), a fresh
Message-ID from the bank's domain, and the marks that stop mail loops (RFC 3834 Auto-Submitted, and
Exchange's X-Auto-Response-Suppress so an out-of-office does not answer our answer)."""

from __future__ import annotations

import html
import secrets
from datetime import datetime, timezone
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

from i18n.detect import detect_language


def new_message_id(domain: str) -> str:
    """Unguessable: our ids end up in References, and a thread's ids are what lets a message join it."""
    return f"sahayak.{secrets.token_hex(16)}@{domain}"


def reply_subject(subject: str) -> str:
    return f"Re: {subject}" if subject else "Re: your message"


def html_body(text: str) -> str:
    lang = detect_language(text, "en")
    paragraphs = html.escape(text).replace("\r\n", "\n").replace("\n", "<br>\n")
    return (f'<!DOCTYPE html>\n<html lang="{lang}"><head><meta charset="utf-8"></head>\n'
            f'<body><div style="font-family:Arial,Helvetica,sans-serif;font-size:14px;line-height:1.5">\n'
            f"{paragraphs}\n</div></body></html>\n")


def compose(*, from_address: str, from_name: str, to: str, subject: str, text: str, message_id: str,
            in_reply_to: str | None = None, references: tuple[str, ...] = (), auto_reply: bool = True,
            now: datetime | None = None) -> EmailMessage:
    """One email with text and HTML alternatives. Ids are given without angle brackets."""
    local, _, domain = from_address.partition("@")
    msg = EmailMessage()
    msg["From"] = Address(display_name=from_name, username=local, domain=domain)
    msg["To"] = to
    # Header values never carry line breaks (header injection): the subject is one line already, but
    # be sure, since it came from the customer.
    msg["Subject"] = " ".join(subject.split())
    msg["Date"] = format_datetime(now or datetime.now(timezone.utc))
    msg["Message-ID"] = f"<{message_id}>"
    if in_reply_to:
        msg["In-Reply-To"] = f"<{in_reply_to}>"
    if references:
        msg["References"] = " ".join(f"<{r}>" for r in references)
    if auto_reply:
        msg["Auto-Submitted"] = "auto-replied"
    else:
        msg["Auto-Submitted"] = "auto-generated"
    msg["X-Auto-Response-Suppress"] = "All"
    msg.set_content(text)
    msg.add_alternative(html_body(text), subtype="html")
    return msg
