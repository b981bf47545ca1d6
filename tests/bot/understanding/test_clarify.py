"""When the router leans towards some requests but is not sure enough to act, the bot asks which one,
with buttons; a tap starts that request; "Something else" guesses nothing."""

from __future__ import annotations

from tests.channels.web_chat import new_session, say

# A card, but no request: the catalogue's unclear_card_request topic wins, and it names the card
# services to ask about.
UNSURE = "card problem"


async def test_an_unsure_message_gets_a_clarifying_question_and_a_tap_starts_the_request(gateway):
    client = await gateway()
    session = await new_session(client)
    replies = await say(client, session, UNSURE)
    assert "Did you mean one of these?" in replies[0]["text"]
    buttons = replies[0]["buttons"]
    assert "Block my card" in buttons and buttons[-1] == "Something else" and len(buttons) <= 4
    started = await say(client, session, "Block my card")
    assert "registered mobile number" in started[0]["text"]


async def test_a_router_leaning_to_one_request_offers_it(gateway):
    """Without a vague topic: the router leans to block_card (and unblock_card) but is below CLARIFY_BELOW."""
    client = await gateway()
    session = await new_session(client)
    replies = await say(client, session, "my debit card please")
    assert "Did you mean one of these?" in replies[0]["text"]
    assert replies[0]["buttons"][0] == "Block my card" and replies[0]["buttons"][-1] == "Something else"


async def test_something_else_guesses_nothing(gateway):
    client = await gateway()
    session = await new_session(client)
    await say(client, session, UNSURE)
    replies = await say(client, session, "Something else")
    text = "\n".join(r["text"] for r in replies)
    assert "What would you like to do?" in text and "Did you mean" not in text


async def test_numbered_answers_work_on_channels_without_buttons(gateway):
    client = await gateway()
    session = await new_session(client)
    replies = await say(client, session, UNSURE)
    index = replies[0]["buttons"].index("Block my card") + 1
    started = await say(client, session, str(index))
    assert "registered mobile number" in started[0]["text"]


async def test_in_hindi_the_question_and_buttons_are_hindi(gateway):
    client = await gateway()
    session = await new_session(client)
    await say(client, session, "नमस्ते")
    replies = await say(client, session, "कार्ड में कुछ गड़बड़ है")
    text = replies[0]["text"]
    # Whichever way the bot answers (a question, a workflow, the menu), it answers in Hindi.
    assert "Did you mean" not in text and any("\u0900" <= c <= "\u097f" for c in text), text
