"""Pure construction of the emails the bank sends: a reply in a customer's thread, or a notice.

Both carry a plain-text part and an HTML part with the same words (escaped, line breaks kept), a fresh
Message-ID from the bank's domain, and the marks that stop mail loops (RFC 3834 Auto-Submitted, and
Exchange's X-Auto-Response-Suppress so an out-of-office does not answer our answer)."""

from __future__ import annotations

import email.policy
import html
import re
import secrets
from datetime import datetime, timezone
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

from i18n.detect import detect_language

# How the bank's emails go on the wire (CRLF, 78-column folding, so a non-ASCII subject becomes
# encoded-words within RFC 2047's 75 characters), with two changes:
# - 7bit: the parts are chosen quoted-printable or base64 when not ASCII, so the bytes handed to the
#   relay are right whether or not it offers 8BITMIME;
# - refold_source "none": headers stored raw (the threading ids, see `_set_ids`) are written as they
#   are. The email package would otherwise RFC 2047-encode an id longer than the line
#   ("In-Reply-To: =?utf-8?q?=3C...?="; Outlook's ids run past 78 characters), and no client threads
#   on that.
WIRE_POLICY = email.policy.SMTP.clone(cte_type="7bit", refold_source="none")
# For a customer address that is not ASCII (sent with SMTPUTF8).
WIRE_POLICY_UTF8 = WIRE_POLICY.clone(utf8=True)
# The message's own policy: the same choices with "\n" line ends (the text inside a base64 part is
# encoded with these), so `as_bytes()` without a policy writes the same headers too.
MESSAGE_POLICY = email.policy.default.clone(cte_type="7bit", refold_source="none")

_ID = re.compile(r"[!-~]+")  # what email_parse.normalise_id lets through: printable ASCII, no spaces


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
    msg = EmailMessage(policy=MESSAGE_POLICY)
    msg["From"] = Address(display_name=from_name, username=local, domain=domain)
    msg["To"] = to
    # Header values never carry line breaks (header injection): the subject is one line already, but
    # be sure, since it came from the customer.
    msg["Subject"] = " ".join(subject.split())
    msg["Date"] = format_datetime(now or datetime.now(timezone.utc))
    _set_ids(msg, "Message-ID", (message_id,))
    if in_reply_to:
        _set_ids(msg, "In-Reply-To", (in_reply_to,))
    if references:
        _set_ids(msg, "References", references)
    if auto_reply:
        msg["Auto-Submitted"] = "auto-replied"
    else:
        msg["Auto-Submitted"] = "auto-generated"
    msg["X-Auto-Response-Suppress"] = "All"
    msg.set_content(text)
    msg.add_alternative(html_body(text), subtype="html")
    return msg


def _set_ids(msg: EmailMessage, name: str, ids: tuple[str, ...]) -> None:
    """A threading header, raw: one id per line (folded between ids, never inside one), so each line
    stays short whatever the number of ids, and no id is ever encoded (see WIRE_POLICY)."""
    for ident in ids:
        # Raw means unchecked by the email package: an id with a space, a bracket or a line break
        # could end the header or add another one.
        if not _ID.fullmatch(ident) or "<" in ident or ">" in ident:
            raise ValueError(f"not a message id: {ident!r}")
    msg.set_raw(name, "\r\n ".join(f"<{i}>" for i in ids))
