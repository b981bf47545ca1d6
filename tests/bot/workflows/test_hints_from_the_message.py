"""What the opening message names pre-selects the record in a `choose` step ("block my card ending
9012"), and the confirmation still names it before anything changes."""

from __future__ import annotations

from datetime import date

from bot.appkeys import BANK, STORES
from tests.channels.web_chat import RAJESH_MOBILE, new_session, say, texts

RAJESH = "CUST_789123"


async def _verify_light(client, session) -> str:
    customer = await client.server.app[BANK].get_customer(RAJESH)
    dob = date.fromisoformat(customer.date_of_birth).strftime("%d-%m-%Y")
    await say(client, session, RAJESH_MOBILE)
    return texts(await say(client, session, dob))


async def test_the_card_named_in_the_first_message_is_preselected_and_still_confirmed(gateway):
    client = await gateway()
    app = client.server.app
    session = await new_session(client)
    assert "registered mobile number" in texts(await say(client, session, "please block my card ending 9012"))
    asked = await _verify_light(client, session)
    assert "Which card" not in asked and "ending 9012" in asked and "now?" in asked
    cards = {c.last4: c.status for c in await app[BANK].list_cards(RAJESH)}
    assert cards["9012"] == "active"  # nothing yet: the confirmation comes first
    done = texts(await say(client, session, "yes"))
    assert "ending 9012 is blocked" in done
    cards = {c.last4: c.status for c in await app[BANK].list_cards(RAJESH)}
    assert cards == {"9012": "blocked", "3056": "active"}
    records = await app[STORES].audit.for_conversation(f"web:{session.split('.')[0]}", limit=10)
    assert any("choose.from_message" in r.tools for r in records)


async def test_a_last4_that_is_not_one_of_the_customers_cards_asks_which(gateway):
    client = await gateway()
    session = await new_session(client)
    await say(client, session, "block my card ending 7719")  # another customer's card
    asked = await _verify_light(client, session)
    assert "Which card should I block?" in asked and "7719" not in asked
