"""Pure functions that turn an email into what the bot should read: MIME parsing, threading ids, the
customer's new words without the quoted history and signature, HTML converted to text.

No I/O here: `channels/email.py` feeds these raw SMTP bytes or Mailgun's form fields.

Every email is hostile input, so the work is bounded whatever it holds: HTML is read by a one-pass
tokenizer of our own into at most MAX_HTML_TEXT characters (one quote marker whatever the nesting),
and headers are cut before the stdlib parses them, within a per-message budget (`_BoundedPolicy`).

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
from html import unescape

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
    if len(addresses) != 1 or len(addresses[0]) > 254 or not _ADDRESS.fullmatch(addresses[0]):
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

# What the conversion may produce: the customer's words come first in a reply (or after quotes, which
# collapse to markers below), so this is ample, and it bounds memory and time whatever the HTML is.
MAX_HTML_TEXT = 8 * MAX_TEXT
# Quoted text is dropped by strip_reply whatever it says; only where it is matters. Past this many
# characters a quote's lines become "> […]" markers (a run of them one), so an answer bottom-posted
# under a long quoted history is still read.
MAX_QUOTED_TEXT = MAX_TEXT
_ELIDED = "[…]"

_BLOCK = frozenset({"address", "article", "aside", "center", "dd", "div", "dl", "dt", "figure", "footer",
                    "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "li", "main", "nav", "ol", "section",
                    "table", "tbody", "thead", "tfoot", "tr", "ul"})
_PARAGRAPH = frozenset({"p", "pre", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol"})
_SKIP = frozenset({"script", "style", "head", "title", "template", "noscript", "xml", "svg"})
# Elements whose content is raw text up to their end tag (never markup, never shown in an email).
_RAW_TEXT = frozenset({"script", "style", "title", "textarea", "xmp", "iframe", "noembed", "noframes"})
_RAW_TEXT_END = {name: re.compile(rf"</{name}[\s/>]", re.IGNORECASE) for name in _RAW_TEXT}

# A tag: "<" or "</", then a name running to whitespace, "/" or ">" (as an HTML tokenizer reads it).
_TAG_OPEN = re.compile(r"<(/?)([a-zA-Z][^\s/>]*)")
# Inside a tag: the ">" that ends it, or a quoted attribute value (which may hold a ">").
_IN_TAG = re.compile(r"""=[ \t\n\r\f]*(["'])|>""")


def _tag_end(html: str, pos: int) -> int:
    """Index of the ">" closing the tag whose attributes start at pos; -1 if it never closes."""
    while True:
        match = _IN_TAG.search(html, pos)
        if match is None:
            return -1
        if match.group(1) is None:
            return match.start()
        close = html.find(match.group(1), match.end())
        if close < 0:
            return -1
        pos = close + 1


def html_events(html: str):
    """("start" | "end", tag name) and ("data", text) events, in one pass: every step moves forward
    and every search starts where the last ended, so the time is linear in the input whatever it is.
    (Python 3.11's html.parser is quadratic on malformed markup, e.g. "<a" or "<!--" repeated, and
    raises on "<![": an email is hostile input.) An unclosed tag, comment or raw-text element at the
    end hides the rest, as in a browser; charrefs are decoded."""
    pos, n = 0, len(html)
    while pos < n:
        lt = html.find("<", pos)
        if lt < 0:
            yield "data", unescape(html[pos:])
            return
        if lt > pos:
            yield "data", unescape(html[pos:lt])
        if html.startswith("<!--", lt):
            end = html.find("-->", lt + 2)  # from lt+2: "<!-->" is an (empty) comment too
            if end < 0:
                return
            pos = end + 3
            continue
        tag = _TAG_OPEN.match(html, lt)
        if tag is None:
            if html.startswith(("<!", "<?", "</"), lt):  # doctype, CDATA, processing instruction, "</3"
                end = html.find(">", lt + 2)
                if end < 0:
                    return
                pos = end + 1
            else:  # a "<" that opens nothing is text ("a < b")
                yield "data", "<"
                pos = lt + 1
            continue
        end = _tag_end(html, tag.end())
        if end < 0:
            return
        pos = end + 1
        name = tag.group(2).lower()
        if tag.group(1):
            yield "end", name
            continue
        yield "start", name
        if name in _RAW_TEXT:
            close = _RAW_TEXT_END[name].search(html, pos)
            if close is None:
                return
            pos = close.start()  # its end tag is read as one


class _HtmlText:
    """Text of an HTML email as a mail client would show it; <blockquote> content comes out as "> "
    lines (one marker whatever the depth: quoted is quoted) so that quote stripping treats it like
    quoted plain text. Bounded: at most MAX_HTML_TEXT characters, then the rest is not read."""

    def __init__(self) -> None:
        self.lines: list[tuple[bool, str]] = []  # (quoted, line)
        self.full = False
        self._size = 0
        self._quoted_size = 0
        self._buf: list[str] = []
        self._buf_size = 0
        self._buf_quoted = False
        self._quote = 0
        self._skip = 0
        self._pre = 0

    def feed(self, html: str) -> None:
        for kind, value in html_events(html):
            if kind == "data":
                self.handle_data(value)
            elif kind == "start":
                self.handle_starttag(value)
            else:
                self.handle_endtag(value)
            if self.full:
                break

    def _add(self, quoted: bool, line: str) -> None:
        if self.full:
            return
        if quoted:
            left = MAX_QUOTED_TEXT - self._quoted_size
            line = line[:left] if left > 0 else _ELIDED
            self._quoted_size += len(line) + 1
        if (not line or (quoted and line == _ELIDED)) and self.lines and self.lines[-1] == (quoted, line):
            return  # runs of blank lines (or of elided quoted lines) say no more than one
        room = MAX_HTML_TEXT - self._size
        if len(line) >= room:
            line, self.full = line[:room], True
        self._size += len(line) + 3  # the newline and a "> " marker at most
        self.lines.append((quoted, line))

    def _flush(self) -> None:
        text = "".join(self._buf)
        text = text.strip("\n") if self._pre else " ".join(text.split())
        if text:
            for piece in text.split("\n"):
                self._add(self._buf_quoted, piece.rstrip())
        self._buf = []
        self._buf_size = 0

    def _blank(self) -> None:
        self._flush()
        if self.lines and self.lines[-1][1]:
            self._add(self._quote > 0, "")
        elif self.lines:  # a blank already there belongs to the level we are at now
            self.lines[-1] = (self._quote > 0, "")

    def handle_starttag(self, tag: str) -> None:
        if tag in _SKIP:
            self._skip += 1
        elif tag == "br":
            if self._buf and "".join(self._buf).strip():
                self._flush()
            else:
                self._buf = []
                self._buf_size = 0
                self._add(self._quote > 0, "")
        elif tag == "hr":
            self._flush()
            self._add(self._quote > 0, "_" * 32)
        elif tag == "blockquote":
            self._blank()
            self._quote += 1
        elif tag == "pre":
            self._blank()
            self._pre += 1
        elif tag in ("td", "th"):
            self._append(" ")
        elif tag in _BLOCK or tag == "p":
            self._flush()
            if tag == "li":
                self._start_text()
                self._append("- ")

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
            self._buf_quoted = self._quote > 0

    def _append(self, data: str) -> None:
        # One run of text between breaks is bounded too (a megabyte without a break in it).
        if self._buf_size >= MAX_HTML_TEXT:
            return
        self._buf.append(data)
        self._buf_size += len(data)
        if self._buf_size >= MAX_HTML_TEXT and not self._buf_quoted:
            self._flush()  # it fills the text: the rest is not read (a quote's is elided instead)
            self.full = True

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        if not self._pre:
            data = re.sub(r"\s+", " ", data)
            if not self._buf and not data.strip():
                return
        self._start_text()
        self._append(data)

    def text(self) -> str:
        self._flush()
        return "\n".join((f"> {line}" if line else ">") if quoted else line
                         for quoted, line in self.lines).strip()


def html_to_text(html: str) -> str:
    parser = _HtmlText()
    parser.feed(html)
    return clean_text(parser.text())


# --- Whole messages --------------------------------------------------------------------------------------

# The stdlib's header parser (policy.default's header registry) is quadratic on some input: a To: of
# 16 KB of quote marks takes 2.5 s to parse, a megabyte of them hours, and each part's Content-Type is
# parsed again at every look. So a header is cut before it is parsed, and all the parsing one message
# can cause is bounded (MalformedEmail past it: a real email parses a few KB of headers).
MAX_HEADER_CHARS = 512
_HEADER_LIMITS = {"subject": 2000, "references": 8000, "in-reply-to": 2000, "message-id": 2000,
                  # Parsed again and again, per part: kept short (the type comes first).
                  "content-type": 256, "content-disposition": 256, "content-transfer-encoding": 64}
MAX_HEADER_PARSING = 64 * 1024  # characters of headers parsed per message, re-parses included


def cap_header(name: str, value: str) -> str:
    limit = _HEADER_LIMITS.get(name.lower(), MAX_HEADER_CHARS)
    if len(value) <= limit:
        return value
    if name.lower() == "references":  # the root comes first and the parent last: keep both ends
        head = limit // 4
        return f"{value[:head]} {value[-(limit - head - 1):]}"
    return value[:limit]


class _Budget:
    def __init__(self, chars: int):
        self.left = chars


class _BoundedPolicy(email.policy.EmailPolicy):
    """policy.default, with each header cut and the message's header parsing bounded."""

    budget: _Budget | None = None  # one per message

    def header_fetch_parse(self, name, value):
        if isinstance(value, str):
            value = cap_header(name, value)
            if self.budget is not None:
                self.budget.left -= len(value)
                if self.budget.left < 0:
                    raise MalformedEmail("the message has too many or too large headers")
        return super().header_fetch_parse(name, value)


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
        msg = email.message_from_bytes(raw, policy=_BoundedPolicy(budget=_Budget(MAX_HEADER_PARSING)))
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
    try:
        return _parse_mailgun(fields)
    except MalformedEmail:
        raise
    except Exception as e:  # noqa: BLE001 - getaddresses, for one, recurses on hostile input
        raise MalformedEmail(f"unreadable message ({type(e).__name__})") from None


_BODY_FIELDS = frozenset({"body-plain", "stripped-text", "body-html", "stripped-html", "message-headers"})


def _parse_mailgun(fields: Mapping[str, str]) -> ParsedEmail:
    # Header fields are cut as in parse_mime: the address and subject parsers are not linear either.
    lower = {k.lower(): (v if k.lower() in _BODY_FIELDS else cap_header(k, v)) for k, v in fields.items()}
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
                headers.setdefault(pair[0].lower(), cap_header(pair[0], pair[1]))
    return headers
