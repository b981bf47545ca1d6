"""Pure functions that turn an email into what the bot should read: MIME parsing, threading ids, the
customer's new words without the quoted history and signature, HTML converted to text.

No I/O here: `channels/email.py` feeds these raw SMTP bytes or Mailgun's form fields.

What "the new words" means, in the order it is applied (`strip_reply`):

* quoted lines (`>`) are dropped, wherever they are (top-posted, bottom-posted or interleaved), with
  the attribution line that introduces them ("On Mon, 3 Jun 2024 at 10:15, X <x@y> wrote:", Gmail's
  Hindi "सोम, 3 जून 2024 को 10:15 am बजे X ने लिखा:"; Gmail wraps long ones over two lines);
* everything from the first of these is cut: an attribution line *not* followed by quoted lines (the
  history pasted unmarked, as HTML conversions and some clients do), Outlook's "-----Original
  Message-----" or "From: / Sent: / To: / Subject:" header block, a forwarded-message marker, the
  "-- " signature delimiter, and a mobile signature line ("Sent from my iPhone", "Get Outlook for
  Android", "मेरे iPhone से भेजा गया");
* a sign-off at the end ("Thanks & regards,\nAnil Mehta\n+91 98200 11223", "धन्यवाद\nसुनीता").
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import json
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import getaddresses, parseaddr
from html.parser import HTMLParser

MAX_TEXT = 4000  # characters handed to the bot; a customer's own words are far shorter
MAX_SUBJECT = 200
MAX_ID = 998  # RFC 5322 line limit: a longer "id" is not one
MAX_REFERENCES = 20  # the root plus the most recent ids: enough for every client to thread


class MalformedEmail(ValueError):
    """The message cannot be read as an email from a customer (no sender, broken MIME, ...)."""


class NothingToAnswer(ValueError):
    """A well-formed email with no words of the customer's own in it (an image, an empty reply)."""


@dataclass(frozen=True)
class ParsedEmail:
    message_id: str  # normalised (no angle brackets); generated from the content when absent
    in_reply_to: str | None
    references: tuple[str, ...]
    sender: str  # the From address, lower-cased: a claim, not an identity
    recipients: tuple[str, ...]  # To and Cc addresses, lower-cased
    subject: str  # without "Re:"/"Fwd:" prefixes, one line, bounded
    text: str  # the customer's new words (quotes and signature stripped), bounded; may be empty
    automatic: bool  # an auto-reply, bounce or bulk mail: never answered (mail loops)

    @property
    def thread_root(self) -> str:
        return thread_root(self.message_id, self.in_reply_to, self.references)

    @property
    def is_reply(self) -> bool:
        return self.in_reply_to is not None or bool(self.references)

    def reply_references(self) -> tuple[str, ...]:
        """The References a reply to this message carries (RFC 5322 3.6.4): its References, else its
        In-Reply-To, then its own id; bounded, keeping the root first."""
        chain = list(self.references) or ([self.in_reply_to] if self.in_reply_to else [])
        chain.append(self.message_id)
        return bound_references(chain)

    def understood_text(self) -> str:
        """What the bot reads. On a thread's first message the subject is part of what the customer
        said ("Subject: Balance enquiry", body "Dear sir, please help"); on a reply it is only "Re: ..."
        of our own message, so the body alone counts. Raises NothingToAnswer when there is nothing."""
        text = self.text
        if not self.is_reply and self.subject and self.subject.casefold() not in text.casefold():
            text = f"{self.subject}\n\n{text}" if text else self.subject
        if not text.strip():
            raise NothingToAnswer("the email has no text of its own")
        return text


# --- Message ids and threading ------------------------------------------------------------------

_ANGLE_ID = re.compile(r"<([^<>\s]+)>")
_BARE_ID = re.compile(r"[!-~]+")  # printable ASCII, no spaces


def normalise_id(value: str | None) -> str | None:
    """`<abc@host>` -> `abc@host`; None for anything that is not a usable id. Ids are kept case for
    case (the local part is case-sensitive); folding whitespace inside the brackets is removed."""
    if not value:
        return None
    value = re.sub(r"\s+", "", str(value)) if "<" in str(value) else str(value).strip()
    match = _ANGLE_ID.search(value)
    candidate = match.group(1) if match else value
    if not candidate or len(candidate) > MAX_ID or not _BARE_ID.fullmatch(candidate) or "<" in candidate:
        return None
    return candidate


def id_list(value: str | None) -> tuple[str, ...]:
    """The ids of a References header, in order, without repeats."""
    if not value:
        return ()
    found = _ANGLE_ID.findall(str(value))
    if not found:  # some clients drop the brackets
        found = str(value).split()
    seen: dict[str, None] = {}
    for raw in found:
        ident = normalise_id(raw)
        if ident is not None:
            seen.setdefault(ident, None)
    return tuple(seen)


def thread_root(message_id: str, in_reply_to: str | None, references: tuple[str, ...]) -> str:
    """The thread's first message: first of References, else In-Reply-To, else this message."""
    if references:
        return references[0]
    return in_reply_to or message_id


def bound_references(chain: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    unique = list(dict.fromkeys(i for i in chain if i))
    if len(unique) > MAX_REFERENCES:
        unique = unique[:1] + unique[-(MAX_REFERENCES - 1):]
    return tuple(unique)


def conversation_id(root: str, sender: str) -> str:
    """One conversation per thread *and* From address, as a bounded opaque key.

    The sender is part of the key because a thread can be joined by anyone who has its ids (a Cc'd
    relative replying all, or a forger who saw one message): they start a conversation of their own,
    unauthenticated, and replies in it go to their address, never into the customer's verified one.
    Hashed so neither the address nor a client-chosen id (unbounded, arbitrary characters) ends up
    in lock keys, checkpoint thread ids or log lines."""
    digest = hashlib.sha256(f"{root}\n{sender}".encode()).hexdigest()
    return f"thread-{digest[:32]}"


def generated_id(*parts: str) -> str:
    """A deterministic id for a message that has none: a redelivery of the same email gets the same
    one, so it is still answered once."""
    digest = hashlib.sha256("\x00".join(parts).encode("utf-8", "surrogatepass")).hexdigest()
    return f"{digest[:40]}@generated.sahayak.invalid"


# --- Addresses and subjects -----------------------------------------------------------------------

_ADDRESS = re.compile(r"[^@\s<>(),;:\"\[\]]+@[^@\s<>(),;:\"\[\]]+\.[^@\s<>(),;:\"\[\]]+")


def sender_address(value: str | None) -> str:
    """The one address in a From header, lower-cased; MalformedEmail if there is not exactly one."""
    if not value:
        raise MalformedEmail("no From address")
    addresses = [a for _, a in getaddresses([str(value)]) if a]
    if not addresses:  # getaddresses gives up on some odd but readable forms that parseaddr takes
        _, single = parseaddr(str(value))
        addresses = [single] if single else []
    if len(addresses) != 1 or not _ADDRESS.fullmatch(addresses[0]) or len(addresses[0]) > 254:
        raise MalformedEmail("the From header must name exactly one valid address")
    return addresses[0].lower()


def recipient_addresses(*values: str | None) -> tuple[str, ...]:
    found = [a.lower() for _, a in getaddresses([str(v) for v in values if v]) if a]
    return tuple(dict.fromkeys(found))


_REPLY_PREFIX = re.compile(r"^\s*((re|fw|fwd|aw|wg|sv|vs|antw|उत्तर|जवाब|अग्रेषित)\s*(\[\d+\])?\s*[:：]\s*)+",
                           re.IGNORECASE)


def base_subject(value: str | None) -> str:
    """One line, without reply/forward prefixes, bounded."""
    subject = " ".join(clean_text(str(value or "")).split())
    subject = _REPLY_PREFIX.sub("", subject).strip()
    return subject[:MAX_SUBJECT]


# --- Text cleaning -----------------------------------------------------------------------------------

# Control characters (but tab and newline) and lone surrogates: no customer types them, and no store
# can keep them (PostgreSQL refuses NUL).
_UNSTORABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def clean_text(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\xa0", " ")
    text = _UNSTORABLE.sub(" ", text)
    # NFC: some clients send decomposed Devanagari; the intent keywords are composed.
    return unicodedata.normalize("NFC", text)


def bound_text(text: str, limit: int = MAX_TEXT) -> str:
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit)
    return text[: cut if cut > limit // 2 else limit].rstrip()


# --- Quoted history and signatures -----------------------------------------------------------------

# The attribution may wrap (Gmail breaks before "wrote:" when the name and address are long), so it
# is tried on one, two and three joined lines. A digit is required (the date or time) so that a
# customer's sentence starting with "On" is never taken for one.
_ATTRIBUTIONS = (
    re.compile(r"^\s*On\b(?=.*\d).{0,400}\bwrote\s*:\s*$", re.IGNORECASE | re.DOTALL),
    re.compile(r"^(?=.*\d).{0,400}को.{0,400}ने\s+लिखा\s*[:：]\s*$", re.DOTALL),
    # A few more Gmail/Apple locales, cheap to recognise.
    re.compile(r"^\s*(Le|Am|El|Il|Em|Op|Den)\b(?=.*\d).{0,400}\b(a écrit|schrieb|escribió|ha scritto|escreveu|"
               r"schreef|skrev)\s*:\s*$", re.IGNORECASE | re.DOTALL),
)
_ATTRIBUTION_MAX = 600

_ORIGINAL_MESSAGE = re.compile(
    r"^\s*-{2,}\s*(Original Message|Forwarded message|मूल संदेश|अग्रेषित संदेश)\s*-{2,}\s*$", re.IGNORECASE)
_BEGIN_FORWARDED = re.compile(r"^\s*Begin forwarded message\s*:\s*$", re.IGNORECASE)
_HEADER_FROM = re.compile(r"^\s*\*?(From|प्रेषक|से)\s*:\*?\s*\S", re.IGNORECASE)
_HEADER_DATE = re.compile(r"^\s*\*?(Sent|Date|भेजा गया|भेजा|दिनांक|तारीख)\s*:", re.IGNORECASE)
_HEADER_OTHER = re.compile(r"^\s*\*?(To|Subject|Cc|प्रति|विषय)\s*:", re.IGNORECASE)
_SIGNATURE_DELIMITER = re.compile(r"^-- ?$")
_MOBILE_SIGNATURE = re.compile(
    r"^\s*(Sent (from|via) .{1,60}|Sent with (Spark|Proton ?Mail|Blue ?Mail)\b.{0,40}|Get Outlook for .{1,40}"
    r"|Download Outlook for .{1,40}|मेरे .{1,40} से भेजा गया)\s*$", re.IGNORECASE)
_SEPARATOR = re.compile(r"^\s*([_\-=*~])\1{4,}\s*$")


# Sign-offs: the closing and the name (and often a phone number) under it are not the customer's
# question, and "reply with your mobile number" must read just the number. Conservative on purpose:
# a "regards" closing takes at most 4 short lines after it; a bare "thanks" only name-like lines
# ("Priya", "Sunita Verma", "सुनीता वर्मा"), so "Thanks\nwhat is my balance" keeps its question.
_REGARDS = re.compile(r"^\s*((thanks|thank you|many thanks)\s*(&|and)\s*)?((best|kind|warm|warmest)\s+)?regards"
                      r"\s*[,.!]?\s*$|^\s*(yours\s+(sincerely|faithfully|truly)|sincerely|सादर|भवदीय|आपका|आपकी)\s*[,.!]?\s*$",
                      re.IGNORECASE)
_THANKS = re.compile(r"^\s*(thanks|thank you|thanks a lot|many thanks|cheers|धन्यवाद|सधन्यवाद|शुक्रिया)\s*,?\s*$",
                     re.IGNORECASE)
_NAME_WORD = re.compile(r"^([A-Z][\w.'-]*|[^\x00-\x7f]+)$")


def _strip_signoff(lines: list[str]) -> list[str]:
    content = [i for i, line in enumerate(lines) if line.strip()]
    for i in content[-5:]:
        after = [lines[j].strip() for j in content if j > i]
        before = [j for j in content if j < i]
        if not before:
            continue
        if _REGARDS.match(lines[i]) and len(after) <= 4 and all(len(a) <= 60 and "?" not in a for a in after):
            return lines[:i]
        if _THANKS.match(lines[i]) and 1 <= len(after) <= 2 and all(
                len(a.split()) <= 3 and all(_NAME_WORD.match(w) for w in a.split()) for a in after):
            return lines[:i]
    return lines


def _is_quoted(line: str) -> bool:
    return line.lstrip().startswith(">")


def _attribution_span(lines: list[str], i: int) -> int:
    """How many lines (1-3) an attribution starting at line i spans; 0 if there is none."""
    joined = ""
    for n in range(3):
        if i + n >= len(lines) or _is_quoted(lines[i + n]) or (n and not lines[i + n].strip()):
            return 0
        joined = f"{joined} {lines[i + n].strip()}" if joined else lines[i + n].strip()
        if len(joined) > _ATTRIBUTION_MAX:
            return 0
        if any(p.match(joined) for p in _ATTRIBUTIONS):
            return n + 1
    return 0


def _outlook_header_block(lines: list[str], i: int) -> bool:
    if not _HEADER_FROM.match(lines[i]):
        return False
    window = lines[i + 1: i + 7]
    return any(_HEADER_DATE.match(w) for w in window) and any(_HEADER_OTHER.match(w) for w in window)


def _next_content_is_quoted(lines: list[str], j: int) -> bool:
    while j < len(lines) and not lines[j].strip():
        j += 1
    return j < len(lines) and _is_quoted(lines[j])


def strip_reply(text: str) -> str:
    """The customer's new words: quoted history, attributions and signatures removed."""
    lines = [line.rstrip() for line in clean_text(text).split("\n")]
    kept: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if _is_quoted(line):
            i += 1
            continue
        span = _attribution_span(lines, i)
        if span:
            if _next_content_is_quoted(lines, i + span):
                i += span  # drop the attribution; its quoted lines go one by one above
                continue
            break  # the history follows unmarked: it is all history
        if (_ORIGINAL_MESSAGE.match(line) or _BEGIN_FORWARDED.match(line) or _outlook_header_block(lines, i)
                or _SIGNATURE_DELIMITER.match(line) or _MOBILE_SIGNATURE.match(line)):
            break
        kept.append(line)
        i += 1
    kept = _strip_signoff(kept)
    # Trailing separators ("_____" before an Outlook header block) and blank lines go; runs of blank
    # lines left where quotes were removed collapse to one.
    while kept and (not kept[-1].strip() or _SEPARATOR.match(kept[-1])):
        kept.pop()
    out: list[str] = []
    for line in kept:
        if not line.strip() and (not out or not out[-1].strip()):
            continue
        out.append(line)
    return "\n".join(out).strip()


# --- HTML to text ------------------------------------------------------------------------------------

_BLOCK = frozenset({"address", "article", "aside", "center", "dd", "div", "dl", "dt", "figure", "footer",
                    "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "li", "main", "nav", "ol", "section",
                    "table", "tbody", "thead", "tfoot", "tr", "ul"})
_PARAGRAPH = frozenset({"p", "pre", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol"})
_SKIP = frozenset({"script", "style", "head", "title", "template", "noscript", "xml", "svg"})


class _HtmlText(HTMLParser):
    """Text of an HTML email as a mail client would show it; <blockquote> content comes out as
    "> " lines so that quote stripping treats it like quoted plain text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[tuple[int, str]] = []
        self._buf: list[str] = []
        self._buf_depth = 0
        self._quote = 0
        self._skip = 0
        self._pre = 0

    def _flush(self) -> None:
        text = "".join(self._buf)
        text = text.strip("\n") if self._pre else " ".join(text.split())
        if text:
            for piece in text.split("\n"):
                self.lines.append((self._buf_depth, piece.rstrip()))
        self._buf = []

    def _blank(self) -> None:
        self._flush()
        if self.lines and self.lines[-1][1]:
            self.lines.append((self._quote, ""))
        elif self.lines:  # a blank already there belongs to the level we are at now
            self.lines[-1] = (self._quote, "")

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag in _SKIP:
            self._skip += 1
        elif tag == "br":
            if self._buf and "".join(self._buf).strip():
                self._flush()
            else:
                self._buf = []
                self.lines.append((self._quote, ""))
        elif tag == "hr":
            self._flush()
            self.lines.append((self._quote, "_" * 32))
        elif tag == "blockquote":
            self._blank()
            self._quote += 1
        elif tag == "pre":
            self._blank()
            self._pre += 1
        elif tag in ("td", "th"):
            self._buf.append(" ")
        elif tag in _BLOCK or tag == "p":
            self._flush()
            if tag == "li":
                self._start_text()
                self._buf.append("- ")

    def handle_startendtag(self, tag: str, attrs) -> None:
        self.handle_starttag(tag, attrs)  # <br/> is one break, not a start and an end

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self._skip = max(0, self._skip - 1)
        elif tag == "blockquote":
            self._flush()
            self._quote = max(0, self._quote - 1)
            self._blank()
        elif tag == "pre":
            self._flush()
            self._pre = max(0, self._pre - 1)
            self._blank()
        elif tag in _PARAGRAPH:
            self._blank()
        elif tag in _BLOCK:
            self._flush()

    def _start_text(self) -> None:
        if not self._buf:
            self._buf_depth = self._quote

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        if not self._pre:
            data = re.sub(r"\s+", " ", data)
            if not self._buf and not data.strip():
                return
        self._start_text()
        self._buf.append(data)

    def text(self) -> str:
        self._flush()
        out = []
        for depth, line in self.lines:
            out.append(("> " * depth + line) if line else (">" * depth))
        return "\n".join(out).strip()


def html_to_text(html: str) -> str:
    parser = _HtmlText()
    parser.feed(html)
    parser.close()
    return clean_text(parser.text())


# --- Whole messages --------------------------------------------------------------------------------------

def _is_automatic(get) -> bool:
    """RFC 3834 Auto-Submitted, Precedence bulk/junk/list, Exchange's and others' auto-reply marks,
    delivery reports: answering these makes mail loops (an out-of-office answering our answer)."""
    auto = (get("Auto-Submitted") or "").strip().lower()
    if auto and auto != "no":
        return True
    if (get("Precedence") or "").strip().lower() in ("bulk", "junk", "list", "auto_reply"):
        return True
    if get("X-Autoreply") or get("X-Autorespond"):
        return True
    content_type = (get("Content-Type") or "").lower()
    return "multipart/report" in content_type


def _part_text(part: EmailMessage) -> str:
    try:
        content = part.get_content()
    except (LookupError, ValueError, AssertionError):
        # An unknown or lying charset: the bytes as UTF-8, with replacement characters where they fail.
        payload = part.get_payload(decode=True) or b""
        content = payload.decode("utf-8", "replace")
    return content if isinstance(content, str) else ""


def body_text(msg: EmailMessage) -> str:
    """The customer's text: text/plain preferred, else the HTML converted; quotes not yet stripped."""
    part = msg.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    content = _part_text(part)
    return html_to_text(content) if part.get_content_subtype() == "html" else clean_text(content)


def parse_mime(raw: bytes) -> ParsedEmail:
    """An RFC 5322 message (as received over SMTP) -> ParsedEmail. Raises MalformedEmail."""
    try:
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        sender = sender_address(msg.get("From"))
        subject_raw = str(msg.get("Subject") or "")
        text = body_text(msg)

        def header(name: str) -> str | None:
            value = msg.get(name)
            return str(value) if value is not None else None

        message_id = normalise_id(header("Message-ID"))
        in_reply_to = normalise_id(header("In-Reply-To"))
        references = id_list(header("References"))
        recipients = recipient_addresses(header("To"), header("Cc"))
        automatic = _is_automatic(header)
        date = header("Date") or ""
    except MalformedEmail:
        raise
    except Exception as e:  # noqa: BLE001 - the stdlib parser raises many kinds on hostile input
        raise MalformedEmail(f"unreadable message ({type(e).__name__})") from None
    return _build(message_id=message_id, in_reply_to=in_reply_to, references=references, sender=sender,
                  recipients=recipients, subject_raw=subject_raw, text=text, automatic=automatic,
                  date=date)


def _build(*, message_id, in_reply_to, references, sender, recipients, subject_raw, text, automatic,
           date) -> ParsedEmail:
    new_text = bound_text(strip_reply(text))
    if message_id is None:
        message_id = generated_id(sender, date, subject_raw, text)
    return ParsedEmail(message_id=message_id, in_reply_to=in_reply_to, references=references, sender=sender,
                       recipients=recipients, subject=base_subject(subject_raw), text=new_text,
                       automatic=automatic)


def parse_mailgun(fields: Mapping[str, str]) -> ParsedEmail:
    """Mailgun's inbound-parse POST fields -> ParsedEmail. Raises MalformedEmail.

    Mailgun posts the parsed parts (sender, recipient, subject, body-plain, stripped-text, body-html)
    and every MIME header as a field of its own (Message-Id, In-Reply-To, References, ...), plus all
    headers as a JSON list in message-headers. The body goes through our own stripping, so both inbound
    paths read a message the same way; Mailgun's stripped-text is the fallback."""
    lower = {k.lower(): v for k, v in fields.items()}
    headers = _mailgun_headers(lower.get("message-headers"))

    def get(name: str) -> str | None:
        value = lower.get(name.lower())
        return value if value is not None else headers.get(name.lower())

    if not lower.get("recipient"):
        raise MalformedEmail("missing field: recipient")
    from_value = lower.get("from") or lower.get("sender")
    if not from_value:
        raise MalformedEmail("missing field: sender")
    sender = sender_address(from_value)
    if "body-plain" in lower:
        text = clean_text(lower["body-plain"])
    elif "stripped-text" in lower:
        text = clean_text(lower["stripped-text"])
    elif "body-html" in lower:
        text = html_to_text(lower["body-html"])
    else:
        raise MalformedEmail("missing field: body-plain")
    return _build(message_id=normalise_id(get("Message-Id")), in_reply_to=normalise_id(get("In-Reply-To")),
                  references=id_list(get("References")), sender=sender,
                  recipients=recipient_addresses(lower["recipient"]), subject_raw=lower.get("subject") or "",
                  text=text, automatic=_is_automatic(get), date=get("Date") or lower.get("timestamp") or "")


def _mailgun_headers(raw: str | None) -> dict[str, str]:
    if not raw:
        return {}
    try:
        pairs = json.loads(raw)
    except ValueError:
        raise MalformedEmail("message-headers is not JSON") from None
    headers: dict[str, str] = {}
    if isinstance(pairs, list):
        for pair in pairs:
            if isinstance(pair, list) and len(pair) == 2 and all(isinstance(p, str) for p in pair):
                headers.setdefault(pair[0].lower(), pair[1])
    return headers
