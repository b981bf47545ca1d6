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


def _choose(keys: list[str]):
    from bot.workflows.spec import Choose

    return Choose.model_validate({"type": "choose", "from": "txns", "say": {"en": "Which?"}, "label": {"en": "x"},
                                  "keys": keys, "save_as": "txn", "empty": "none", "next": "after"})


def test_every_named_detail_must_agree_and_details_a_record_lacks_are_not_asked_of_it():
    from datetime import datetime, timezone

    from bot.workflows.engine import _hinted

    def txn(amount: str, merchant: str, utc: datetime) -> dict:
        return {"amount": amount, "description": merchant, "posted_at": utc}

    # 19:00 UTC on the 23rd is the 24th in India: the day a customer means is India's.
    txns = list(enumerate([txn("5000.00", "Zentrix Rewards Pvt Ltd", datetime(2026, 11, 23, 19, tzinfo=timezone.utc)),
                           txn("5000.00", "Swiggy", datetime(2026, 11, 22, 9, tzinfo=timezone.utc)),
                           txn("386.00", "Swiggy", datetime(2026, 11, 24, 9, tzinfo=timezone.utc))]))
    step = _choose([])
    assert [i for i, _ in _hinted(step, txns, {"amount": "5000"})] == [0, 1]  # ambiguous: the list is shown
    assert [i for i, _ in _hinted(step, txns, {"amount": "5000", "merchant": "zentrix"})] == [0]
    assert [i for i, _ in _hinted(step, txns, {"date": "2026-11-24"})] == [0, 2]
    assert [i for i, _ in _hinted(step, txns, {"date": "2026-11-24", "merchant": "Swiggy"})] == [2]
    assert _hinted(step, txns, {"amount": "5000", "merchant": "Croma"}) == []
    # A card has no amount or merchant: those hints do not pick a card, its last four digits do.
    cards = list(enumerate([{"last4": "9012", "kind": "credit"}, {"last4": "3056", "kind": "debit"}]))
    assert _hinted(_choose(["last4"]), cards, {"amount": "5000", "merchant": "Amazon"}) == []
    assert [i for i, _ in _hinted(_choose(["last4"]), cards, {"card_last4": "3056", "amount": "5000"})] == [1]
