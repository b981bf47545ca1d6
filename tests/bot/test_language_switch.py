"""Explicit language switches are honoured for the rest of the chat and remembered in the customer's
profile, so their next chat on any channel continues in that language once they are identified."""

from __future__ import annotations

from bot.appkeys import STORES
from tests.channels.web_chat import RAJESH_MOBILE, latest_otp, new_session, say, texts

RAJESH = "CUST_789123"


async def test_a_switch_is_acknowledged_and_sticks(gateway):
    client = await gateway()
    session = await new_session(client)
    assert "Namaste" in texts(await say(client, session, "hi"))
    switched = texts(await say(client, session, "Hindi mein baat karo"))
    assert "हिंदी" in switched and "English" not in switched
    # A Latin banking word would read as English; after an explicit request it does not switch back.
    asked = texts(await say(client, session, "balance"))
    assert "मोबाइल नंबर" in asked
    back = texts(await say(client, session, "English please"))
    assert "English" in back and "मोबाइल" not in back
    # The question that was waiting still waits, now in English.
    assert "6-digit OTP" in texts(await say(client, session, RAJESH_MOBILE))


async def test_a_language_the_persona_does_not_speak_is_declined_politely(gateway):
    client = await gateway()
    session = await new_session(client)
    reply = texts(await say(client, session, "Gujarati ma vaat karo"))
    assert "English" in reply and "हिन्दी" in reply and "தமிழ்" in reply


async def test_the_choice_is_remembered_for_the_next_chat(gateway):
    client = await gateway()
    app = client.server.app
    first = await new_session(client)
    await say(client, first, "check balance")
    await say(client, first, RAJESH_MOBILE)
    assert "Available balance" in texts(await say(client, first, await latest_otp(client, RAJESH_MOBILE)))
    await say(client, first, "please speak in Hindi")
    assert await app[STORES].profiles.language(RAJESH) == "hi"
    records = await app[STORES].audit.for_conversation(f"web:{first.split('.')[0]}", limit=10)
    assert any("language.switch->hi" in r.tools for r in records)

    second = await new_session(client)
    assert "registered mobile number" in texts(await say(client, second, "check balance"))  # not known yet
    otp_sent = texts(await say(client, second, RAJESH_MOBILE))
    assert "OTP" in otp_sent and "मोबाइल" in otp_sent  # identified: the remembered language


async def test_a_switch_before_identification_is_saved_once_they_are_known(gateway):
    client = await gateway()
    app = client.server.app
    session = await new_session(client)
    await say(client, session, "हिंदी में बात करो")
    await say(client, session, "balance")
    await say(client, session, RAJESH_MOBILE)
    assert await app[STORES].profiles.language(RAJESH) == "hi"
