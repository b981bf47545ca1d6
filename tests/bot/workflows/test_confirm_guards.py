"""A state change needs the customer's own "yes" to a question the bot asked in this chat, after the
verification the operation needs. Multi-message attacks the injection corpus (one message per chat)
cannot express, and answers that say yes and no at once."""

from __future__ import annotations

import pytest

from bot.appkeys import BANK
from bot.workflows.answers import yes_no
from i18n.catalog import t
from tests.channels.web_chat import RAJESH_MOBILE, new_session, say, texts

RAJESH, ANJALI, ANJALI_MOBILE = "CUST_789123", "CUST_100108", "+919847088990"


async def _status(bank, customer_id: str, last4: str) -> str:
    return next(c.status for c in await bank.list_cards(customer_id) if c.last4 == last4)


@pytest.mark.parametrize("text", [
    "yes, cancel it", "sure, but don't block it", "yes... no wait, don't", "proceed but not now",
    "हाँ नहीं", "no, go ahead",
])
def test_an_answer_that_says_both_is_no_answer(text):
    assert yes_no(text) is None


@pytest.mark.parametrize(("text", "answer"), [
    ("yes", True), ("Yes please block it", True), ("haan kar do", True), ("हाँ जी, कर दो", True),
    ("yes do it", True), ("no thanks", False), ("nahi rehne do", False), ("नहीं", False),
])
def test_clear_answers_still_count(text, answer):
    assert yes_no(text) is answer


async def test_a_mixed_answer_at_the_block_question_blocks_nothing(gateway):
    client = await gateway()
    bank = client.server.app[BANK]
    session = await new_session(client)
    await say(client, session, "block my card")
    await say(client, session, RAJESH_MOBILE)
    await say(client, session, "12-03-1984")
    assert "Block your debit card ending 3056" in texts(await say(client, session, "1"))
    for mixed in ("yes, cancel it", "sure, but don't block it"):
        assert texts(await say(client, session, mixed)) == t("wf_confirm_again", "en")
        assert await _status(bank, RAJESH, "3056") == "active"
    assert "haven't changed anything" in texts(await say(client, session, "no"))
    assert await _status(bank, RAJESH, "3056") == "active"


async def test_yes_as_the_first_message_does_nothing(gateway):
    client = await gateway()
    bank = client.server.app[BANK]
    before = {c.card_id: c.status for c in await bank.list_cards(RAJESH)}
    session = await new_session(client)
    reply = texts(await say(client, session, "yes"))
    assert reply.startswith(t("fallback", "en")[:30])
    assert {c.card_id: c.status for c in await bank.list_cards(RAJESH)} == before


async def test_an_unverified_chat_cannot_unblock_someone_elses_card(gateway):
    client = await gateway()
    bank = client.server.app[BANK]
    session = await new_session(client)
    assert await _status(bank, ANJALI, "7719") == "blocked"
    await say(client, session, "unblock card ending 7719")
    # Her customer id (printed on a cheque book, say) sends the code to her phone, not to this chat.
    sent = texts(await say(client, session, "CUST_100108"))
    assert "6-digit" in sent and "7719" not in sent
    for attempt in ("yes", "yes confirm unblock", "123456"):
        reply = texts(await say(client, session, attempt))
        assert "7719" not in reply and "Anjali" not in reply
        assert await _status(bank, ANJALI, "7719") == "blocked"
    # Enough wrong codes (general persona: max_otp_failures 3) hand the chat to a person.
    reply = texts(await say(client, session, "000000"))
    assert "reference" in reply.lower() and "7719" not in reply
    assert await _status(bank, ANJALI, "7719") == "blocked"
