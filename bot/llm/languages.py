"""The languages an LLM may be asked to write in, how to name them in a prompt, and whether an answer is
written in the script that language is read in (a "Hindi" answer in Latin letters is not what a
Devanagari reader asked for, and Hinglish readers asked for Latin script, not Devanagari)."""

from __future__ import annotations

import unicodedata

# language -> (how a prompt names it, its script's code point ranges)
_LATIN = ((0x0041, 0x005A), (0x0061, 0x007A), (0x00C0, 0x024F))
_DEVANAGARI = ((0x0900, 0x097F),)
LANGUAGES: dict[str, tuple[str, tuple[tuple[int, int], ...]]] = {
    "en": ("English", _LATIN),
    "hi": ("Hindi, written in Devanagari script", _DEVANAGARI),
    "hinglish": ("Hinglish: Hindi written in Latin (Roman) letters, as Indians type it in chat", _LATIN),
    "ta": ("Tamil, written in Tamil script", ((0x0B80, 0x0BFF),)),
    "te": ("Telugu, written in Telugu script", ((0x0C00, 0x0C7F),)),
    "bn": ("Bengali, written in Bengali script", ((0x0980, 0x09FF),)),
    "mr": ("Marathi, written in Devanagari script", _DEVANAGARI),
}
# Banking words stay in Latin letters in every language ("UPI", "KYC", "ATM"): the script must hold
# most of the letters, not all of them.
MIN_SHARE_IN_SCRIPT = 0.6


def prompt_name(language: str) -> str | None:
    entry = LANGUAGES.get(language)
    return entry[0] if entry else None


def written_in_script_of(text: str, language: str) -> bool:
    """Are most of the letters (with their vowel signs) of `text` in `language`'s script?"""
    ranges = LANGUAGES[language][1]
    letters = [c for c in text if unicodedata.category(c)[0] in "LM"]
    if not letters:
        return False
    inside = sum(1 for c in letters if any(low <= ord(c) <= high for low, high in ranges))
    return inside / len(letters) >= MIN_SHARE_IN_SCRIPT
