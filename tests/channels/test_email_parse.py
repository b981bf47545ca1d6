"""The email channel's pure parts on recorded emails: MIME parsing, threading ids, quote and signature
stripping (Gmail in English and Hindi, Outlook web and desktop, iPhone HTML-only), HTML to text, and
the replies the bank composes."""

from __future__ import annotations

import email
import email.policy
import tracemalloc
from pathlib import Path

import pytest

from channels.email_compose import compose, html_body, new_message_id, reply_subject
from channels.email_parse import (
    MAX_HTML_TEXT,
    MAX_QUOTED_TEXT,
    MAX_TEXT,
    MalformedEmail,
    NothingToAnswer,
    base_subject,
    conversation_id,
    html_to_text,
    id_list,
    normalise_id,
    parse_mailgun,
    parse_mime,
    sender_address,
    strip_reply,
    thread_root,
)

FIXTURES = Path(__file__).parent / "fixtures" / "email"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def html_part(name: str) -> str:
    msg = email.message_from_bytes(fixture(name), policy=email.policy.default)
    return msg.get_body(preferencelist=("html",)).get_content()


def test_every_fixture_parses():
    names = sorted(p.name for p in FIXTURES.glob("*.eml"))
    assert len(names) >= 6
    for name in names:
        parsed = parse_mime(fixture(name))
        assert parsed.sender and parsed.message_id and parsed.text, name


def test_gmail_reply_keeps_only_the_new_words():
    parsed = parse_mime(fixture("gmail_reply.eml"))
    assert parsed.text == "+91 98123 45678"  # wrapped attribution, nested quotes, quoted signature: gone
    assert parsed.sender == "rajesh.kumar.1975@gmail.com"  # lower-cased
    assert parsed.subject == "What is my balance?"
    assert parsed.message_id == "CAJ9ePx3Lm8Qv0tZk5rN2yW7hD4fG1bX6cS9aE0pR3uT8iO5wA@mail.gmail.com"
    assert parsed.in_reply_to == "sahayak.5f0c3a9e21b84d7fa6c2e19b3d470a11@sahayak-bank.example"
    # The root is the first of References: the customer's first message, not our reply.
    assert parsed.thread_root == "CAJ9ePx1sT0Qm3nX8rYk2vL5wG7hF4dB6zC1aN0pQ9eR3tU5yW@mail.gmail.com"
    assert parsed.reply_references()[-1] == parsed.message_id
    # The HTML alternative says the same once converted.
    assert strip_reply(html_to_text(html_part("gmail_reply.eml"))) == "+91 98123 45678"


def test_outlook_web_reply_cuts_the_header_block_and_mobile_signature():
    parsed = parse_mime(fixture("outlook_reply.eml"))
    assert parsed.text == "Please show my recent transactions \u2013 I don\u2019t recognise a debit."  # cp1252 QP
    assert parsed.subject == "Account query"
    assert parsed.message_id.endswith("@PN3P287MB1234.INDP287.PROD.OUTLOOK.COM")  # folded header unfolded
    assert strip_reply(html_to_text(html_part("outlook_reply.eml"))) == parsed.text


def test_outlook_desktop_original_message_and_sign_off():
    parsed = parse_mime(fixture("outlook_original_message.eml"))
    assert parsed.text == "CUST_789123"  # "Thanks & regards," + name + phone, and the history: gone
    assert parsed.subject == "Balance enquiry"  # "RE:" removed
    assert parsed.message_id == "000001dab6f1$3c2d1e00$b4875a00$@mehta-traders.co.in"


def test_hindi_gmail_reply():
    parsed = parse_mime(fixture("hindi_gmail_reply.eml"))
    assert parsed.text == "नमस्ते, मेरे बचत खाते में कितना बैलेंस है?"  # "को ... ने लिखा:" and "धन्यवाद" sign-off
    assert parsed.subject == "बैलेंस की जानकारी"  # RFC 2047 encoded-word
    assert parsed.sender == "sunita.verma.82@gmail.com"
    assert strip_reply(html_to_text(html_part("hindi_gmail_reply.eml"))) == parsed.text


def test_html_only_message():
    parsed = parse_mime(fixture("html_only.eml"))
    # Entities decoded, <script> dropped, "Sent from my iPhone" and the cited history cut.
    assert parsed.text == "I want to talk to a person please & it\u2019s urgent."


def test_message_without_message_id_gets_a_deterministic_one_and_the_subject_counts():
    first = parse_mime(fixture("new_thread_no_message_id.eml"))
    again = parse_mime(fixture("new_thread_no_message_id.eml"))
    assert first.message_id == again.message_id and first.message_id.endswith("@generated.sahayak.invalid")
    assert first.text == "Dear Sir/Madam,\n\nWhat is my balance?"  # the "-- " signature (with a phone) cut
    assert not first.is_reply and first.thread_root == first.message_id
    # A thread's first message: the subject is part of what the customer said.
    assert first.understood_text() == "Balance enquiry\n\nDear Sir/Madam,\n\nWhat is my balance?"


def test_reply_reads_only_its_body():
    parsed = parse_mime(fixture("gmail_reply.eml"))
    assert parsed.understood_text() == "+91 98123 45678"  # not "What is my balance?" from the subject


def test_out_of_office_is_automatic():
    assert parse_mime(fixture("out_of_office.eml")).automatic
    assert not parse_mime(fixture("gmail_reply.eml")).automatic


@pytest.mark.parametrize("text, expected", [
    ("What is my balance?", "What is my balance?"),
    # Bottom-posted: the attribution and quote go, the answer under them stays.
    ("On Mon, 3 Jun 2024 at 10:15, Bank <b@x.in> wrote:\n> Which account?\n\nMy savings account",
     "My savings account"),
    # Interleaved quoting.
    ("> Your mobile?\n+91 98123 45678\n> Anything else?\nNo", "+91 98123 45678\nNo"),
    ("Balance please\n-- \nRajesh\n+91 98123 45678", "Balance please"),
    ("Balance please\n--\nRajesh", "Balance please"),  # clients that trim the trailing space
    ("Balance please\n\nSent from my Redmi Note 12", "Balance please"),
    ("Balance please\n\nमेरे iPhone से भेजा गया", "Balance please"),
    ("Balance please\n\n-----Original Message-----\nFrom: Bank\nWhat is my balance", "Balance please"),
    ("Balance please\n\n---------- Forwarded message ---------\nFrom: x", "Balance please"),
    ("Balance please\nFrom: Bank <b@x.in>\nSent: Monday\nTo: me\nSubject: hi\n\nold", "Balance please"),
    # Unmarked history after an attribution (no ">" lines): cut there.
    ("Yes\n\nOn 4 Jun 2024, at 18:40, Bank <b@x.in> wrote:\n\nDo you want your balance?", "Yes"),
    # Not quotes: a sentence starting "On", a "From:" line without a header block, "thanks" + question.
    ("On my savings account, what is the balance?", "On my savings account, what is the balance?"),
    ("From: my salary account\nplease show the balance", "From: my salary account\nplease show the balance"),
    ("Hi,\nThanks\nwhat is my balance", "Hi,\nThanks\nwhat is my balance"),
    ("What is my balance?\n\nThanks,\nPriya", "What is my balance?"),
    ("Balance?\n\nBest regards,\nDr. R. K. Gupta\nGupta Clinic, Pune\n+91 98200 11223", "Balance?"),
    ("\u0915\u093f\u0924\u0928\u093e \u092c\u0948\u0932\u0947\u0902\u0938 \u0939\u0948?",
     "कितना बैलेंस है?"),
    ("Line one\r\nLine\x00 two\r\n\r\n\r\n\r\nLine three", "Line one\nLine  two\n\nLine three"),
])
def test_strip_reply(text, expected):
    assert strip_reply(text) == expected


def test_decomposed_devanagari_is_composed():
    decomposed = "\u0928\u093c"  # न + nukta: NFC composes it to ऩ
    assert strip_reply(decomposed) == "\u0929"


def test_html_to_text():
    html = ("<html><head><title>t</title><style>p{x:y}</style></head><body><p>Hello&nbsp;&amp; welcome</p>"
            "<div>line<br>break</div><ul><li>one</li><li>two</li></ul><script>evil()</script>"
            "<blockquote>quoted<blockquote>deeper</blockquote></blockquote><pre>  keep\n  this</pre>"
            "<table><tr><td>a</td><td>b</td></tr></table></body></html>")
    assert html_to_text(html) == ("Hello & welcome\n\nline\nbreak\n- one\n- two\n\n> quoted\n>\n> deeper\n\n"
                                  "  keep\n  this\n\na b")


@pytest.mark.parametrize("value, expected", [
    ("<abc@x.y>", "abc@x.y"), (" <abc@x.y> ", "abc@x.y"), ("abc@x.y", "abc@x.y"),
    ("<abc@\r\n x.y>", "abc@x.y"), ("", None), (None, None), ("<>", None), ("two words", None),
    ("<" + "a" * 1000 + "@x>", None),
])
def test_normalise_id(value, expected):
    assert normalise_id(value) == expected


def test_references_and_thread_root():
    refs = id_list("<root@a> <b@a>\r\n <c@a> <b@a>")
    assert refs == ("root@a", "b@a", "c@a")
    assert id_list("root@a b@a") == ("root@a", "b@a")  # brackets dropped by some clients
    assert thread_root("m@a", "p@a", refs) == "root@a"
    assert thread_root("m@a", "p@a", ()) == "p@a"
    assert thread_root("m@a", None, ()) == "m@a"


def test_conversation_id_binds_thread_and_sender():
    a = conversation_id("root@a", "rajesh@example.in")
    assert a == conversation_id("root@a", "rajesh@example.in")
    assert a != conversation_id("root@a", "someone.else@example.in")  # same thread, other From
    assert a != conversation_id("other@a", "rajesh@example.in")  # same From, new thread
    assert a.startswith("thread-") and len(a) == 39 and "@" not in a


@pytest.mark.parametrize("value", ["", "not an address", "a@b.c, d@e.f", "<@x>", "x@" + "y" * 300 + ".in"])
def test_sender_address_refuses_anything_but_one_address(value):
    with pytest.raises(MalformedEmail):
        sender_address(value)


def test_sender_address():
    assert sender_address('"Kumar, Rajesh" <Rajesh.Kumar@Example.IN>') == "rajesh.kumar@example.in"


def test_base_subject():
    assert base_subject("RE: Fwd: Re[2]:  Balance\r\n enquiry") == "Balance enquiry"
    assert base_subject("Re: बैलेंस") == "बैलेंस"
    assert len(base_subject("x" * 1000)) == 200


def test_broken_mime_is_malformed_not_a_crash():
    with pytest.raises(MalformedEmail):
        parse_mime(b"Subject: no sender\r\n\r\nbody\r\n")
    with pytest.raises(MalformedEmail):
        parse_mime(b"From: a@b.in, c@d.in\r\n\r\nbody\r\n")
    # An unknown charset is read as UTF-8 with replacements, not refused.
    parsed = parse_mime(b"From: a@b.in\r\nMessage-ID: <1@b.in>\r\nContent-Type: text/plain; charset=x-klingon\r\n"
                        b"\r\nbalance \xff please\r\n")
    assert parsed.text == "balance \ufffd please"


def test_long_text_is_bounded():
    parsed = parse_mime(b"From: a@b.in\r\n\r\n" + b"balance " * 2000)
    assert len(parsed.text) <= MAX_TEXT


def test_nothing_to_answer():
    parsed = parse_mime(b"From: a@b.in\r\nIn-Reply-To: <x@y>\r\n\r\n> only quoted\r\n")
    with pytest.raises(NothingToAnswer):
        parsed.understood_text()


def test_mailgun_fields():
    parsed = parse_mailgun({
        "sender": "bounce+abc@gmail.com", "from": "Rajesh Kumar <Rajesh.Kumar.1975@gmail.com>",
        "recipient": "support@sahayak-bank.example", "subject": "Re: What is my balance?",
        "body-plain": "+91 98123 45678\r\n\r\nOn Mon, 3 Jun 2024 at 10:15, Bank <b@x.in> wrote:\r\n> Your mobile?\r\n",
        "stripped-text": "+91 98123 45678", "Message-Id": "<m2@mail.gmail.com>",
        "In-Reply-To": "<r1@sahayak-bank.example>", "References": "<m1@mail.gmail.com> <r1@sahayak-bank.example>",
        "timestamp": "1717390000", "token": "t", "signature": "s"})
    assert (parsed.sender, parsed.text, parsed.message_id, parsed.thread_root) == (
        "rajesh.kumar.1975@gmail.com", "+91 98123 45678", "m2@mail.gmail.com", "m1@mail.gmail.com")
    # Headers only in message-headers are found there; the automatic mark too.
    parsed = parse_mailgun({"sender": "x@y.in", "recipient": "support@sahayak-bank.example", "body-plain": "hi",
                            "message-headers": '[["Message-Id", "<h@y.in>"], ["Auto-Submitted", "auto-replied"]]'})
    assert parsed.message_id == "h@y.in" and parsed.automatic


@pytest.mark.parametrize("fields", [
    {"recipient": "support@sahayak-bank.example", "body-plain": "hi"},  # no sender
    {"sender": "x@y.in", "body-plain": "hi"},  # no recipient
    {"sender": "x@y.in", "recipient": "support@sahayak-bank.example"},  # no body at all
    {"sender": "x@y.in", "recipient": "s@b.in", "body-plain": "hi", "message-headers": "{not json"},
])
def test_mailgun_missing_fields(fields):
    with pytest.raises(MalformedEmail):
        parse_mailgun(fields)


def test_compose_reply():
    msg_id = new_message_id("sahayak-bank.example")
    message = compose(from_address="support@sahayak-bank.example", from_name="Sahayak Demo Bank",
                      to="rajesh@example.in", subject=reply_subject("What is my balance?\r\nBcc: evil@x"),
                      text="Line <one> & \"two\"\nLine 2", message_id=msg_id, in_reply_to="m2@a",
                      references=("m1@a", "r1@b", "m2@a"))
    raw = message.as_bytes()
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert parsed["Subject"] == "Re: What is my balance? Bcc: evil@x"  # one line: no header injection
    assert parsed["Bcc"] is None
    assert parsed["In-Reply-To"] == "<m2@a>" and parsed["References"] == "<m1@a> <r1@b> <m2@a>"
    assert parsed["Message-ID"] == f"<{msg_id}>" and parsed["Auto-Submitted"] == "auto-replied"
    assert parsed.get_content_type() == "multipart/alternative"
    assert parsed.get_body(("plain",)).get_content().rstrip("\n") == "Line <one> & \"two\"\nLine 2"
    html = parsed.get_body(("html",)).get_content()
    assert "Line &lt;one&gt; &amp; &quot;two&quot;<br>\nLine 2" in html
    assert new_message_id("x.in") != new_message_id("x.in")


def test_html_body_marks_the_language():
    assert '<html lang="hi">' in html_body("नमस्ते")
    assert '<html lang="en">' in html_body("Hello")


# --- Hostile input: bounded time and memory ---------------------------------------------------------------

def html_mail(html: str, *, extra_headers: bytes = b"") -> bytes:
    # The extra headers first: a header's first occurrence is the one read.
    return (extra_headers + b"From: Rajesh Kumar <rajesh.kumar.1975@gmail.com>\r\n"
            b"To: support@sahayak-bank.example\r\nMessage-ID: <bomb@mail.example>\r\nSubject: Balance\r\n"
            b"MIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" + html.encode())


def test_nested_blockquote_bomb_is_bounded():
    # ~1 MB of nested quotes: "> " per depth on every line made the text grow with the square of the
    # depth (216 KB took the process from 117 MB to 976 MB).
    depth = 37_000
    html = "<p>What is my balance?</p>" + "<blockquote>x " * depth + "y" + "</blockquote>" * depth
    raw = html_mail(html)
    assert 900_000 < len(raw) < 1024 * 1024
    tracemalloc.start()
    try:
        parsed = parse_mime(raw)
        text = html_to_text(html)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert parsed.text == "What is my balance?"
    assert len(text) <= MAX_HTML_TEXT
    assert "> > " not in text  # one marker, whatever the depth
    assert peak < 32 * 1024 * 1024


@pytest.mark.parametrize("html", [
    "<a" * 500_000, "<!--" * 250_000, "<![" * 330_000, "</" * 500_000, "<a x='" * 160_000,
    "<script>" + "</" * 500_000, "<a\n" * 330_000, "x<br>" * 200_000, "<p>" + "a " * 500_000,
], ids=["open-tags", "comments", "marked-sections", "end-tags", "quotes", "script", "newlines", "breaks",
        "one-paragraph"])
def test_malformed_html_is_read_in_one_pass(html):
    # Python 3.11's html.parser took 29 s on 200 KB of "<a" and raised AssertionError on "<![".
    text = html_to_text(html)
    assert len(text) <= MAX_HTML_TEXT
    parse_mime(html_mail(html))  # no exception either way


def test_html_tokens():
    html = ('a<b>b</b> &lt; c < d <a href="x>y" title=\'q\'>link</a> <!-- c --> e<!-->f<br/>g'
            "<script>if (a<b) x()</script>h<style>p{}</style>i<![endif]>j<?php x ?>k</3>l<!DOCTYPE html>m")
    assert html_to_text(html) == "ab < c < d link ef\nghijklm"
    assert html_to_text("before<p unclosed") == "before"  # as a browser: the open tag hides the rest
    assert html_to_text("before<!-- unclosed <p>hidden") == "before"


def test_answer_under_a_long_html_quote_is_still_read():
    # Past MAX_QUOTED_TEXT the quote's words are elided (they are never read), not the answer under them.
    html = ("<div>On Mon, 3 Jun 2024 at 10:15, Bank &lt;b@x.in&gt; wrote:</div><blockquote>"
            + "<p>An earlier message, quoted in full.</p>" * 5_000 + "</blockquote><p>What is my balance?</p>")
    text = html_to_text(html)
    assert len(text) < 2 * MAX_QUOTED_TEXT
    assert strip_reply(text) == "What is my balance?"
    # One quoted paragraph longer than all the text may be does not hide it either.
    text = html_to_text("<blockquote>" + "old words " * 100_000 + "</blockquote><p>What is my balance?</p>")
    assert strip_reply(text) == "What is my balance?"


@pytest.mark.parametrize("header", [
    b"Cc: " + b'"' * 500_000,  # the header registry's parser is quadratic on this: 100 KB took 90 s
    b"Cc: " + b", ".join([b"=?utf-8?q?ab?= <a@b.in>"] * 30_000),
    b"Subject: " + b" ".join([b"=?utf-8?q?ab?="] * 60_000),
    b"References: " + b" ".join(b"<%d@x.example>" % i for i in range(30_000)),
])
def test_hostile_headers_are_cut_before_parsing(header):
    parsed = parse_mime(html_mail("<p>What is my balance?</p>", extra_headers=header + b"\r\n"))
    assert parsed.text == "What is my balance?"
    assert len(parsed.reply_references()) <= 20


def test_long_references_keep_the_root_and_the_parent():
    refs = " ".join(f"<{i}@x.example>" for i in range(2_000))
    parsed = parse_mime(b"From: a@b.in\r\nMessage-ID: <m@b.in>\r\nIn-Reply-To: <1999@x.example>\r\n"
                        b"References: " + refs.encode() + b"\r\n\r\nbalance\r\n")
    assert parsed.thread_root == "0@x.example"
    assert parsed.references[-1] == "1999@x.example"


def test_too_much_header_parsing_is_malformed():
    # Every part's Content-Type is parsed (and re-parsed): 20,000 parts cost seconds; refused instead.
    parts = b"".join(b"--b\r\nContent-Type: application/x-%d; name=\"" % i + b'"' * 200 + b"\"\r\n\r\nx\r\n"
                     for i in range(4_000))
    raw = (b"From: a@b.in\r\nMessage-ID: <m@b.in>\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n" + parts
           + b"--b\r\nContent-Type: text/plain\r\n\r\nbalance\r\n--b--\r\n")
    with pytest.raises(MalformedEmail, match="headers"):
        parse_mime(raw)


@pytest.mark.parametrize("fields", [
    {"from": "a:" * 100_000},  # getaddresses recursed to a RecursionError: a 500 and Mailgun retrying
    {"from": "(" * 100_000 + "a@b.in"},
    {"body-html": "<![" * 100_000},  # html.parser's AssertionError
])
def test_hostile_mailgun_fields_are_malformed_or_read(fields):
    base = {"sender": "x@y.in", "recipient": "support@sahayak-bank.example", "body-plain": "hi"}
    if "body-html" in fields:
        del base["body-plain"]
    try:
        parse_mailgun({**base, **fields})
    except MalformedEmail:
        pass
