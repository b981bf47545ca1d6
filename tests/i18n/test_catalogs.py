"""The gettext message catalogs (i18n/locale/<language>/LC_MESSAGES/sahayak.po) and `t()` over them."""

from __future__ import annotations

import itertools
import logging
import re
import shutil
import unicodedata
from collections import Counter
from pathlib import Path

import pytest
from babel.messages.pofile import read_po, write_po

import i18n.catalog as catalog
from i18n.catalog import (CATALOG_LANGUAGES, LOCALE_DIR, MESSAGES, SUPPORTED, CatalogError, all_translations,
                          build_messages, catalog_path, extra_keys, load_catalogs, missing_keys,
                          missing_translations, placeholders, t)

SHIPPED = load_catalogs()
ENGLISH_KEYS = list(SHIPPED["en"])
TRANSLATIONS = [language for language in CATALOG_LANGUAGES if language != "en"]
BUTTONS = [key for key in ENGLISH_KEYS if key.startswith("btn_")]
# The Unicode script of each Indic catalog's letters (Latin is allowed too: OTP, PIN, UPI, WhatsApp, URLs).
SCRIPT_OF = {"hi": "DEVANAGARI", "mr": "DEVANAGARI", "ta": "TAMIL", "te": "TELUGU", "bn": "BENGALI"}
# Texts with nothing to translate: a layout of placeholders, a product name.
LANGUAGE_NEUTRAL = {"recent_line", "account_kind_nre"}


# --- the shipped catalogs ------------------------------------------------------------------------------

@pytest.mark.parametrize("language", TRANSLATIONS)
def test_catalog_has_every_key_english_has(language):
    assert missing_keys(SHIPPED).get(language, []) == []


def test_no_catalog_has_keys_english_lacks():
    assert extra_keys(SHIPPED) == {}


@pytest.mark.parametrize("language", TRANSLATIONS)
def test_translations_use_the_same_placeholders_as_english(language):
    differing = {key: (sorted(placeholders(text)), sorted(placeholders(SHIPPED["en"][key])))
                 for key, text in SHIPPED[language].items() if placeholders(text) != placeholders(SHIPPED["en"][key])}
    assert differing == {}


def test_messages_holds_every_catalog_language_for_every_key():
    assert list(MESSAGES) == ENGLISH_KEYS
    assert {key: sorted(texts) for key, texts in MESSAGES.items()} == \
           {key: sorted(CATALOG_LANGUAGES) for key in ENGLISH_KEYS}


def test_languages_personas_may_declare_all_have_catalogs():
    assert set(SUPPORTED) <= set(CATALOG_LANGUAGES)
    assert all(catalog_path(language).is_file() for language in CATALOG_LANGUAGES)


def test_no_two_buttons_share_a_label_in_any_language():
    # Labels are matched as typed input across all languages at once (all_translations), so a label
    # shared by two buttons, even in two different languages, would make a tap ambiguous.
    clashes = {(a, b): all_translations(a) & all_translations(b) for a, b in itertools.combinations(BUTTONS, 2)}
    assert {pair: shared for pair, shared in clashes.items() if shared} == {}
    folded = Counter(label for key in BUTTONS for label in {text.casefold() for text in all_translations(key)})
    assert [label for label, count in folded.items() if count > 1] == []


@pytest.mark.parametrize("language", CATALOG_LANGUAGES)
def test_texts_that_quote_a_button_quote_its_label_in_the_same_language(language):
    assert t("btn_resend", language) in t("otp_expired", language)
    assert t("btn_yes", language) in t("wf_confirm_again", language)
    assert t("btn_no", language) in t("wf_confirm_again", language)


@pytest.mark.parametrize("language", sorted(SCRIPT_OF))
def test_indic_catalogs_are_written_in_their_own_script(language):
    script = SCRIPT_OF[language]
    foreign = {}
    for key, text in SHIPPED[language].items():
        letters = [ch for ch in text if unicodedata.category(ch).startswith(("L", "M"))]
        wrong = {ch for ch in letters if not ch.isascii() and not unicodedata.name(ch, "").startswith(script)}
        if wrong:
            foreign[key] = sorted(wrong)
        elif key not in LANGUAGE_NEUTRAL and all(ch.isascii() for ch in letters):
            foreign[key] = ["untranslated: no letter of its script"]
    assert foreign == {}


def test_hinglish_is_latin_script_and_translated():
    hinglish, english = SHIPPED["hinglish"], SHIPPED["en"]
    assert {key for key, text in hinglish.items() if not text.replace("₹", "").isascii()} == set()
    # Short labels may stay English ("savings", "debit", "Options": what Hinglish speakers say); sentences may not.
    assert {key for key, text in hinglish.items() if text == english[key] and len(text.split()) > 3} == set()


@pytest.mark.parametrize("language", CATALOG_LANGUAGES)
def test_every_entry_has_a_translator_comment(language):
    with catalog_path(language).open("rb") as f:
        messages = [message for message in read_po(f) if message.id]
    assert [message.id for message in messages if not message.auto_comments] == []


def test_protected_words_survive_translation():
    # Security advice keeps its meaning only if OTP and PIN are named as customers see them on screen.
    for language in CATALOG_LANGUAGES:
        assert "OTP" in t("otp_sms", language) and "OTP" in t("with_human_fraud", language)
        assert "PIN" in t("link_sms_pin_change", language) and "PIN" in t("with_human_fraud", language)
        assert "CUST_123456" in t("identity_invalid", language)


# --- t(), the fallback and its metric ------------------------------------------------------------------

@pytest.mark.parametrize("language", CATALOG_LANGUAGES)
def test_t_answers_in_each_catalog_language_and_fills_placeholders(language):
    before = missing_translations()
    text = t("otp_failed_escalated", language, reference="FR-2025-000123")
    assert "FR-2025-000123" in text
    assert text == SHIPPED[language]["otp_failed_escalated"].format(reference="FR-2025-000123")
    assert missing_translations() == before


def test_t_keeps_returning_a_template_unfilled_when_no_values_are_given():
    assert t("recent_line", "ta") == "{date}  {description}  {sign}{amount}{pending}"


def test_t_raises_for_an_unknown_key():
    with pytest.raises(KeyError):
        t("no_such_key", "en")


def test_a_language_without_a_catalog_gets_english_and_is_counted_and_logged_once(monkeypatch, caplog):
    monkeypatch.setattr(catalog, "_missing", Counter())
    with caplog.at_level(logging.WARNING, logger="i18n.catalog"):
        texts = [t("wa_unsupported", "gu") for _ in range(2)]
    assert texts == [SHIPPED["en"]["wa_unsupported"]] * 2
    assert missing_translations() == {("gu", "wa_unsupported"): 2}
    assert [(r.levelno, r.getMessage()) for r in caplog.records] == \
           [(logging.WARNING, "no 'gu' translation of message 'wa_unsupported': answering in English")]


def test_a_catalog_language_lacking_a_key_falls_back_to_english_and_is_counted(tmp_path, monkeypatch, caplog):
    locale = _copy_locale(tmp_path)
    _edit(locale, "ta", lambda cat: cat.delete("handed_back"))
    monkeypatch.setattr(catalog, "MESSAGES", build_messages(load_catalogs(locale)))
    monkeypatch.setattr(catalog, "_missing", Counter())

    with caplog.at_level(logging.WARNING, logger="i18n.catalog"):
        texts = [t("handed_back", "ta", name="Fraud Prevention Agent") for _ in range(3)]
        translated = t("handoff_to", "ta", name="Fraud Prevention Agent")

    assert texts == [SHIPPED["en"]["handed_back"].format(name="Fraud Prevention Agent")] * 3
    assert translated == SHIPPED["ta"]["handoff_to"].format(name="Fraud Prevention Agent")
    assert missing_translations() == {("ta", "handed_back"): 3}
    assert [(r.levelno, "'handed_back'" in r.getMessage()) for r in caplog.records] == [(logging.WARNING, True)]


def test_the_metric_is_bounded_in_the_languages_it_tracks(monkeypatch):
    monkeypatch.setattr(catalog, "_missing", Counter())
    monkeypatch.setattr(catalog, "_MAX_TRACKED_PAIRS", 2)
    for language in ("gu", "kn", "ml", "pa"):
        t("verified", language)
    t("verified", "gu")
    assert missing_translations() == {("gu", "verified"): 2, ("kn", "verified"): 1, ("?", "verified"): 2}


def test_missing_translations_is_a_snapshot(monkeypatch):
    monkeypatch.setattr(catalog, "_missing", Counter())
    t("verified", "or")
    snapshot = missing_translations()
    snapshot[("or", "verified")] = 99
    assert missing_translations() == {("or", "verified"): 1}


def test_all_translations_has_each_languages_label():
    assert all_translations("btn_yes") == {SHIPPED[language]["btn_yes"] for language in CATALOG_LANGUAGES}
    assert {"Yes", "हाँ", "Haan", "ஆம்", "అవును", "হ্যাঁ", "होय"} == all_translations("btn_yes")


def test_messages_cannot_be_changed_at_run_time():
    with pytest.raises(TypeError):
        MESSAGES["verified"]["en"] = "hacked"  # type: ignore[index]
    with pytest.raises(TypeError):
        MESSAGES["new"] = {}  # type: ignore[index]


# --- what the loader accepts and refuses ---------------------------------------------------------------

def test_missing_keys_names_the_key_a_catalog_lacks(tmp_path):
    locale = _copy_locale(tmp_path)
    _edit(locale, "bn", lambda cat: cat.delete("otp_sms"))
    assert missing_keys(load_catalogs(locale)) == {"bn": ["otp_sms"]}


def test_untranslated_and_fuzzy_entries_count_as_missing(tmp_path):
    locale = _copy_locale(tmp_path)

    def untranslate(cat):
        cat["verified"].string = ""
        cat["otp_wrong"].flags.add("fuzzy")
    _edit(locale, "mr", untranslate)
    assert missing_keys(load_catalogs(locale)) == {"mr": ["otp_wrong", "verified"]}  # in English's order


def test_a_key_english_lacks_is_reported_and_left_out_of_messages(tmp_path):
    locale = _copy_locale(tmp_path)
    _edit(locale, "te", lambda cat: cat.add("retired_key", "పాత సందేశం"))
    loaded = load_catalogs(locale)
    assert extra_keys(loaded) == {"te": ["retired_key"]}
    assert "retired_key" not in build_messages(loaded)


@pytest.mark.parametrize("text, found", [
    ("మీ రిఫరెన్స్ నంబర్ {ref}.", "['ref']"),  # renamed
    ("మీ రిఫరెన్స్ నంబర్ తర్వాత పంపుతాము.", "[]"),  # dropped: the customer would never get the reference
])
def test_a_translation_whose_placeholders_differ_from_english_is_refused_with_file_and_line(tmp_path, text, found):
    locale = _copy_locale(tmp_path)
    _edit(locale, "te", lambda cat: setattr(cat["with_human"], "string", text))
    path = catalog_path("te", locale)
    line = _msgid_line(path, "with_human")
    with pytest.raises(CatalogError) as caught:
        load_catalogs(locale)
    assert str(caught.value).startswith(f"{path}:{line}: 'with_human' has placeholders {found}")
    assert "English has ['reference']" in str(caught.value)


def test_a_malformed_placeholder_is_refused(tmp_path):
    locale = _copy_locale(tmp_path)
    _edit(locale, "hinglish", lambda cat: setattr(cat["otp_wrong"], "string", "Aapke paas {left attempt baaki hain."))
    with pytest.raises(CatalogError, match=r"hinglish/LC_MESSAGES/sahayak\.po:\d+: 'otp_wrong'"):
        load_catalogs(locale)


def test_a_duplicate_key_is_refused(tmp_path):
    locale = _copy_locale(tmp_path)
    path = catalog_path("hi", locale)
    first = _msgid_line(path, "btn_yes")
    with path.open("a", encoding="utf-8") as f:
        f.write('\nmsgid "btn_yes"\nmsgstr "जी हाँ"\n')
    last = len(path.read_text(encoding="utf-8").splitlines()) - 1
    with pytest.raises(CatalogError, match=rf"sahayak\.po:{last}: duplicate msgid 'btn_yes' \(first at line {first}\)"):
        load_catalogs(locale)


def test_a_sentence_as_msgid_is_refused(tmp_path):
    # Classic gettext uses the English text as msgid; here msgids are the keys the code passes to t().
    locale = _copy_locale(tmp_path)
    _edit(locale, "ta", lambda cat: cat.add("Thank you, you're verified.", "நன்றி"))
    with pytest.raises(CatalogError, match="is not a catalog key"):
        load_catalogs(locale)


def test_an_empty_english_text_is_refused(tmp_path):
    locale = _copy_locale(tmp_path)
    _edit(locale, "en", lambda cat: setattr(cat["banking_down"], "string", ""))
    with pytest.raises(CatalogError, match=r"en/LC_MESSAGES/sahayak\.po:\d+: English text of 'banking_down' is empty"):
        load_catalogs(locale)


def test_a_missing_catalog_file_is_refused(tmp_path):
    locale = _copy_locale(tmp_path)
    catalog_path("bn", locale).unlink()
    with pytest.raises(CatalogError, match="no catalog for language 'bn'"):
        load_catalogs(locale)


@pytest.mark.parametrize("broken", [
    'msgid "verified_again"\nmsgstr "no closing quote\n',  # Babel alone would read it as "no closing quot"
    'msgid "verified_again"\nmsgstr "fine"\n"continued, unterminated\n',
    'msgid "verified_again"\nthis line is no keyword\n',  # Babel's own check
])
def test_a_file_that_is_not_valid_po_is_refused_with_its_line(tmp_path, broken):
    locale = _copy_locale(tmp_path)
    path = catalog_path("mr", locale)
    path.write_text(path.read_text(encoding="utf-8") + "\n" + broken, encoding="utf-8")
    last = len(path.read_text(encoding="utf-8").splitlines())
    with pytest.raises(CatalogError, match=rf"{re.escape(str(path))}:{last}: "):
        load_catalogs(locale)


# --- helpers ------------------------------------------------------------------------------------------

def _copy_locale(tmp_path: Path) -> Path:
    return Path(shutil.copytree(LOCALE_DIR, tmp_path / "locale"))


def _edit(locale: Path, language: str, change) -> None:
    """Change one catalog the way a translator's tool would: read with Babel, edit, write back."""
    path = catalog_path(language, locale)
    with path.open("rb") as f:
        cat = read_po(f)
    change(cat)
    with path.open("wb") as f:
        write_po(f, cat)


def _msgid_line(path: Path, key: str) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    return lines.index(f'msgid "{key}"') + 1


@pytest.mark.parametrize("language", CATALOG_LANGUAGES)
def test_button_labels_stay_tappable_on_whatsapp(language):
    """WhatsApp shows labels up to 20 characters as reply buttons and up to 24 as list rows; a longer
    one cannot be offered as an option at all (the customer would have to type a number)."""
    from channels.whatsapp_wire import LIST_TITLE_MAX

    overlong = {key: text for key, text in SHIPPED[language].items()
                if key.startswith("btn_") and len(text) > LIST_TITLE_MAX}
    assert not overlong, overlong
