"""SMS text, as carriers count it: pure functions, no I/O.

A carrier sends a text as GSM-7 when every character is in the GSM 03.38 alphabet (160 characters in
one segment, 153 per segment once a message is concatenated, the rest of each segment being the
concatenation header) and as UCS-2 otherwise (70, or 67 per segment). One character outside GSM-7 --
a Devanagari letter, but also "₹", a curly quote or an emoji -- turns the whole message into UCS-2,
which more than doubles the segments the bank pays for. So before counting:

- `sms_safe` swaps the few non-GSM characters English replies contain for GSM-7 ones ("₹" -> "Rs.",
  curly quotes -> straight, dashes, ellipsis, non-breaking spaces), and optionally romanizes Hindi;
- `plan_bodies` lays a turn's replies out as SMS bodies: each body is one message the handset shows
  as one bubble (the carrier splits it into at most `max_segments` segments and the phone joins them),
  replies are packed together while they fit, a reply too long for one body is split on a paragraph,
  line, sentence or word boundary, and beyond `max_messages` bodies the text is cut with a note that
  the rest is in the app or on the website.
"""

from __future__ import annotations

import re

from indic_transliteration import sanscript

GSM7 = "GSM-7"
UCS2 = "UCS-2"

# GSM 03.38 basic character set (127 characters; the 128th code is the escape to the extension table).
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# The extension table: each costs two septets (escape + character).
GSM7_EXTENDED = frozenset("\f^{}\\[~]|€")

SINGLE = {GSM7: 160, UCS2: 70}  # a message that fits in one segment
PART = {GSM7: 153, UCS2: 67}  # per segment of a concatenated message

# Characters English replies pick up (Babel's currency format, typographic punctuation) that would
# make a message UCS-2 for no visible gain. "Rs." rather than "₹" also because many feature phones
# still in use in India predate the rupee sign and show a box.
_GSM_FRIENDLY = {
    "₹": "Rs.",
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u2032": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u2033": '"',
    "\u2013": "-", "\u2014": "-", "\u2015": "-", "\u2212": "-",
    "\u2026": "...",
    "\u00a0": " ", "\u202f": " ", "\u2009": " ", "\u2007": " ", "\t": " ",
    "\u200b": "", "\ufeff": "",
    "\u2022": "*",
}
_GSM_FRIENDLY_RE = re.compile("|".join(re.escape(k) for k in _GSM_FRIENDLY))

_DEVANAGARI_RUN = re.compile(r"[\u0900-\u097F]+")
# One word's letters: a romanized word is built from these (dandas and digits are mapped apart).
_DEVANAGARI_WORD = re.compile(r"[\u0900-\u0963\u0971-\u097F]+")
_DEVANAGARI_PUNCT = str.maketrans({"\u0964": ".", "\u0965": ".", "\u0970": ".",
                                   **{chr(0x0966 + d): str(d) for d in range(10)}})


def has_devanagari(text: str) -> bool:
    return _DEVANAGARI_RUN.search(text) is not None


def sms_safe(text: str, *, romanize_hindi: bool = False) -> str:
    """The text to send by SMS: GSM-7 lookalikes for typographic characters, Hindi romanized if asked."""
    text = _GSM_FRIENDLY_RE.sub(lambda m: _GSM_FRIENDLY[m.group()], text)
    if romanize_hindi and has_devanagari(text):
        text = romanize(text)
    return text


# --------------------------------------------------------------------------- counting


def is_gsm7(text: str) -> bool:
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENDED for ch in text)


def encoding(text: str) -> str:
    return GSM7 if is_gsm7(text) else UCS2


def _unit(ch: str, enc: str) -> int:
    if enc == GSM7:
        return 2 if ch in GSM7_EXTENDED else 1
    return 2 if ord(ch) > 0xFFFF else 1  # UTF-16: characters outside the BMP (emoji) take two units


def length(text: str) -> int:
    """Septets (GSM-7) or UTF-16 code units (UCS-2): what the segment limits count."""
    enc = encoding(text)
    return sum(_unit(ch, enc) for ch in text)


def segments(text: str) -> list[str]:
    """The segments a carrier sends `text` in. An escape pair (GSM-7) or a surrogate pair (UCS-2)
    never straddles two segments, so a segment can hold one unit less than the nominal 153 / 67."""
    enc = encoding(text)
    if length(text) <= SINGLE[enc]:
        return [text]
    parts: list[str] = []
    start, used = 0, 0
    for i, ch in enumerate(text):
        u = _unit(ch, enc)
        if used + u > PART[enc]:
            parts.append(text[start:i])
            start, used = i, 0
        used += u
    parts.append(text[start:])
    return parts


def segment_count(text: str) -> int:
    return len(segments(text))


def fits(text: str, max_segments: int) -> bool:
    enc = encoding(text)
    n = length(text)
    if n <= SINGLE[enc]:
        return True
    if n > max_segments * PART[enc]:
        return False
    return segment_count(text) <= max_segments


# --------------------------------------------------------------------------- splitting


def _max_prefix(text: str, max_segments: int, reserve: str = "") -> int:
    """The longest n such that text[:n] + reserve fits (fitting is monotone in n: a longer prefix
    never has fewer units, and can only switch GSM-7 to UCS-2)."""
    lo, hi = 0, len(text)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if fits(text[:mid] + reserve, max_segments):
            lo = mid
        else:
            hi = mid - 1
    return lo


_SENTENCE_END = ".!?।"


def _cut(text: str, limit: int) -> int:
    """Where to end a piece of `text` no longer than `limit` characters: at the last paragraph break,
    else line break, else sentence end, else space -- each only if it keeps at least half the room
    (a break near the start would waste a segment). The whitespace at the cut is dropped."""
    if limit >= len(text):
        return len(text)
    floor = max(1, limit // 2)

    def last(pred) -> int | None:
        for i in range(limit, floor - 1, -1):
            if pred(i):
                return i
        return None

    for pred in (
        lambda i: text.startswith("\n\n", i),
        lambda i: text[i] == "\n",
        lambda i: text[i].isspace() and text[i - 1] in _SENTENCE_END,
        lambda i: text[i].isspace(),
    ):
        cut = last(pred)
        if cut is not None:
            return cut
    return limit  # one unbroken run longer than half a message: cut it mid-word


def split_to_fit(text: str, max_segments: int) -> list[str]:
    """`text` as pieces that each fit in `max_segments` segments, cut at sensible boundaries."""
    pieces: list[str] = []
    rest = text.strip()
    while rest and not fits(rest, max_segments):
        cut = _cut(rest, _max_prefix(rest, max_segments))
        piece = rest[:cut].rstrip()
        pieces.append(piece)
        rest = rest[cut:].lstrip()
    if rest:
        pieces.append(rest)
    return pieces


def truncate_with_note(text: str, note: str, max_segments: int) -> str:
    """`text` shortened at a boundary so that it and the note fit; the note is always added (the
    caller is dropping what came after)."""
    text = text.rstrip()
    reserve = "\n" + note
    limit = _max_prefix(text, max_segments, reserve)
    if limit >= len(text):
        return text + reserve
    return text[:_cut(text, limit)].rstrip() + reserve


def plan_bodies(texts: list[str], *, max_segments: int, max_messages: int, note: str) -> list[str]:
    """A turn's replies as SMS bodies: split where too long, packed together where they fit (one
    bubble, in order, and fewer concatenation headers), at most `max_messages` bodies."""
    pieces = [p for text in texts for p in split_to_fit(text, max_segments)]
    bodies: list[str] = []
    for piece in pieces:
        if bodies and fits(bodies[-1] + "\n\n" + piece, max_segments):
            bodies[-1] = bodies[-1] + "\n\n" + piece
        else:
            bodies.append(piece)
    if len(bodies) > max_messages:
        bodies = bodies[:max_messages]
        bodies[-1] = truncate_with_note(bodies[-1], note, max_segments)
    return bodies


# --------------------------------------------------------------------------- Hindi romanized


def romanize(text: str) -> str:
    """Devanagari runs written in the Latin letters Hindi speakers use in SMS ("aapka bachat khata"),
    everything else (digits, English words, punctuation) left as it is.

    Built on indic-transliteration's OPTITRANS scheme (ITRANS made easier to read: "ksh", "ch", no
    "~n"), with two changes a Hindi reader expects: the inherent vowel Hindi does not pronounce is
    dropped (Sanskrit-minded schemes write "aapaka bachata"; SMS Hindi writes "aapka bachat"), and
    the case-coded letters (A, T, M, Sh ...) become plain lowercase ones.
    """
    return _DEVANAGARI_WORD.sub(lambda m: _romanize_run(m.group()), text).translate(_DEVANAGARI_PUNCT)


_VIRAMA = "\u094d"
_NUKTA = "\u093c"
_CODA = "\u0901\u0902\u0903"  # chandrabindu, anusvara, visarga
_CHANDRABINDU = "\u0901"
_KEEP_FINAL_AFTER = "\u092f\u0930\u0935"  # य र व
_MATRAS = frozenset(chr(c) for c in range(0x093E, 0x094D)) | {"\u0955", "\u0956", "\u0957", "\u0962", "\u0963"}


def _is_consonant(ch: str) -> bool:
    return "\u0915" <= ch <= "\u0939" or "\u0958" <= ch <= "\u095f"


def _is_vowel(ch: str) -> bool:
    return "\u0904" <= ch <= "\u0914" or ch in "\u0960\u0961\u0972"


def _drop_schwas(word: str) -> str:
    """Hindi schwa deletion (after Ohala), written back as viramas so the transliterator drops the
    vowel: the word-final inherent vowel, and a medial one between a vowel-consonant and a
    consonant-vowel (aa-pa-kaa -> aap-kaa), deciding from the right."""
    # Syllables: [onset consonants (with viramas/nuktas), vowel (None = inherent), coda marks].
    sylls: list[list] = []
    i, n = 0, len(word)
    while i < n:
        ch = word[i]
        if _is_vowel(ch):
            syl = ["", ch, ""]
            i += 1
        elif _is_consonant(ch):
            onset = ch
            i += 1
            while True:
                if i < n and word[i] == _NUKTA:
                    onset += word[i]
                    i += 1
                if i + 1 < n and word[i] == _VIRAMA and _is_consonant(word[i + 1]):
                    onset += word[i:i + 2]
                    i += 2
                    continue
                break
            vowel: str | None = None
            if i < n and (word[i] in _MATRAS or word[i] == _VIRAMA):
                vowel = word[i]
                i += 1
            syl = [onset, vowel, ""]
        else:  # a sign with no place in a syllable (avagraha, a stray mark): keep it as it is
            syl = [ch, "", ""]
            i += 1
        while i < n and word[i] in _CODA:
            syl[2] += word[i]
            i += 1
        sylls.append(syl)

    def has_vowel(s: list) -> bool:
        return s[1] != _VIRAMA and s[1] != ""

    def single_consonant(s: list) -> bool:
        return bool(s[0]) and _is_consonant(s[0][0]) and _VIRAMA not in s[0]

    last = len(sylls) - 1
    for k in range(last, 0, -1):
        onset, vowel, coda = sylls[k]
        if vowel is not None or coda or not onset or not _is_consonant(onset[0]):
            continue
        if k == last:
            # ...except after a cluster ending in y, r or v: maanya, patra, not maany, patr.
            if single_consonant(sylls[k]) or onset.rstrip(_NUKTA)[-1] not in _KEEP_FINAL_AFTER:
                sylls[k][1] = _VIRAMA
            continue
        prev, nxt = sylls[k - 1], sylls[k + 1]
        # Only between open syllables (a nasalised vowel is open; an anusvara closes it): dropping the
        # vowel must not make three consonants meet (sam-bhav, na-mas-te, su-rak-sha stay as they are).
        if (single_consonant(sylls[k]) and has_vowel(prev) and prev[2] in ("", _CHANDRABINDU)
                and single_consonant(nxt) and has_vowel(nxt)):
            sylls[k][1] = _VIRAMA
    return "".join(s[0] + (s[1] or "") + s[2] for s in sylls)


# Devanagari spellings the transliterator would render in a Sanskrit way.
_PRE = str.maketrans({"\u0949": "\u094b", "\u0911": "\u0913"})  # ऑ (as in "doctor") -> o
_PRE_PAIRS = (("\u091c\u094d\u091e", "\u0917\u094d\u092f"),)  # ज्ञ is "gy" in Hindi (gyan)

_POST = (
    ("~N", "n"), ("~n", "n"), ("OM", "om"),
    ("Ch", "chh"), ("Sh", "sh"), ("x", "ksh"), ("R", "ri"), ("H", "h"),
)
_NUKTA_DOT = re.compile(r"\.(?=[A-Za-z])")
_ANUSVARA_LABIAL = re.compile(r"M(?=[pbm])")
_INITIAL_AA = re.compile(r"(?<![A-Za-z])A")


def _romanize_run(run: str) -> str:
    for a, b in _PRE_PAIRS:
        run = run.replace(a, b)
    run = _drop_schwas(run.translate(_PRE))
    out = sanscript.transliterate(run, sanscript.DEVANAGARI, sanscript.OPTITRANS)
    out = _NUKTA_DOT.sub("", out)  # .D (ड़), .N (chandrabindu), .kh (ख़): plain d, n, kh
    for a, b in _POST:
        out = out.replace(a, b)
    out = _ANUSVARA_LABIAL.sub("m", out)  # saMpark -> sampark, but haiM -> hain, aMtim -> antim
    out = out.replace("M", "n")
    out = _INITIAL_AA.sub("aa", out)  # aap, aaj: a long a starting a word is written double
    return out.lower()
