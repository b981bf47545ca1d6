"""The knowledge base: Markdown documents checked at load, multilingual search (a Hindi or Hinglish question
finds an English document), answers that cite their section, and nothing answered off-topic."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.knowledge import search
from bot.knowledge.documents import load_sections
from bot.knowledge.search import KnowledgeBase
from bot.settings import PACKAGE_PERSONALITIES
from bot.yaml_config import ConfigError
from tests.channels.web_chat import new_session, say, texts

SHIPPED = PACKAGE_PERSONALITIES / "knowledge"


@pytest.fixture(scope="module")
def shipped() -> KnowledgeBase:
    return KnowledgeBase(load_sections(SHIPPED))


def test_the_shipped_documents_cover_what_a_bank_is_asked():
    sources = {s.source.split("#")[0] for s in load_sections(SHIPPED)}
    assert {"charges.md", "upi.md", "timings.md", "kyc.md", "grievance.md", "cards.md"} <= sources


@pytest.mark.parametrize("text, line, message", [
    ("Just text\nand more text\n", 1, "no title"),
    ("Just text\n## A\nx\n", 2, "a section before the document's title"),
    ("## First\ntext\n# Title\n", 1, "a section before the document's title"),
    ("# Title\n## Empty\n\n## Next\ntext\n", 2, "section 'Empty' is empty"),
    ("# Title\n## A\ntext\n# Another\n", 4, "a second title"),
    ("# Title\nintro without a section\n## A\ntext\n", 2, "text before the first section"),
])
def test_a_bad_document_names_file_and_line(tmp_path, text, line, message):
    (tmp_path / "bad.md").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_sections(tmp_path)
    assert err.value.path.endswith("bad.md") and err.value.line == line and message in err.value.message


def test_sections_cite_file_and_heading(tmp_path):
    (tmp_path / "fd.md").write_text("# Fixed deposits\n## Premature withdrawal\nA penalty of 1% applies.\n")
    [section] = load_sections(tmp_path)
    assert section.source == "fd.md#premature-withdrawal" and section.title == "Fixed deposits"


@pytest.mark.parametrize("question, source", [
    ("what is the UPI limit per day", "upi.md#upi-transaction-limits"),
    ("UPI ki limit kitni hai", "upi.md#upi-transaction-limits"),
    ("यूपीआई की सीमा क्या है", "upi.md#upi-transaction-limits"),
    ("how do I complain to the RBI ombudsman", "grievance.md#rbi-ombudsman"),
    ("which documents do I need for KYC", "kyc.md#documents-for-kyc"),
    ("is the branch open on saturday", "timings.md#branch-hours"),
    ("ATM withdrawal charges", "charges.md#atm-withdrawals"),
    ("minimum balance kitna rakhna padta hai", "charges.md#minimum-balance"),
])
async def test_questions_in_english_hindi_and_hinglish_find_the_section(shipped, question, source):
    hit = await shipped.answer(question)
    assert hit is not None and hit.section.source == source, (question, hit)


@pytest.mark.parametrize("question", ["what's the weather in Delhi", "tell me a joke", "who won the cricket match"])
async def test_off_topic_questions_get_no_answer(shipped, question):
    assert await shipped.answer(question) is None


async def test_the_index_is_cached_on_disk_and_reused(tmp_path, monkeypatch):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "fd.md").write_text("# Fixed deposits\n## Interest rates\nOne-year deposits earn 6.8% a year.\n")
    first = KnowledgeBase(load_sections(docs), cache_dir=tmp_path / "cache")
    assert (await first.answer("FD interest rate kya hai")) is not None
    assert len(list((tmp_path / "cache").glob("knowledge-*.npy"))) == 1
    search._INDEXES.pop(first.digest)

    def no_model(_):
        raise AssertionError("the cached index should have been used")

    monkeypatch.setattr(search, "_embed_passages", no_model)
    second = KnowledgeBase(load_sections(docs), cache_dir=tmp_path / "cache")
    assert (await second.answer("fixed deposit interest")).section.source == "fd.md#interest-rates"


async def test_the_chat_answers_from_the_knowledge_base_and_cites_it(gateway):
    client = await gateway()
    session = await new_session(client)
    reply = texts(await say(client, session, "KYC ke liye kaunse documents chahiye?"))
    assert "PAN" in reply and "Source: KYC: know your customer" in reply and "kyc.md#documents-for-kyc" in reply
    # "balance" in a question about the bank's rules is not a balance enquiry.
    rules = texts(await say(client, session, "minimum balance kitna rakhna padta hai?"))
    assert "charges.md#minimum-balance" in rules and "registered mobile" not in rules
    fallback = texts(await say(client, session, "what's the weather today"))
    assert "Source:" not in fallback and "What would you like to do?" in fallback
    hindi = texts(await say(client, session, "शिकायत कैसे करें? आरबीआई लोकपाल"))
    assert "स्रोत:" in hindi and "grievance.md#" in hindi


async def test_a_banks_own_folder_is_used(gateway, tmp_path):
    docs = tmp_path / "kb"
    docs.mkdir()
    (docs / "lockers.md").write_text("# Safe deposit lockers\n## Locker rent\nA small locker costs ₹1,500 a year plus GST.\n")
    client = await gateway(knowledge_dir=docs)
    session = await new_session(client)
    reply = texts(await say(client, session, "how much is the locker rent?"))
    assert "₹1,500 a year" in reply and "lockers.md#locker-rent" in reply


def test_a_broken_document_stops_start_up(make_settings, tmp_path):
    from gateway import create_app

    docs = tmp_path / "kb"
    docs.mkdir()
    (docs / "x.md").write_text("no title here\n")
    with pytest.raises(ConfigError, match="x.md:1"):
        create_app(make_settings(knowledge_dir=docs))
