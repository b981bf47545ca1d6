"""The trained router reaches the chat where keywords do not: other languages and paraphrases start the
right workflow; a request to change language is never mistaken for one; keywords still decide first."""

from __future__ import annotations

from bot.graph.conversation import understand_intent
from bot.understanding.router import Router
from bot.settings import PACKAGE_PERSONALITIES
from tests.channels.web_chat import new_session, say, texts

ROUTER = Router.from_catalogue(PACKAGE_PERSONALITIES / "intents" / "catalogue.yaml")


def test_keywords_first_then_the_router_then_unknown():
    assert understand_intent("Check balance", ROUTER) == "balance"  # a button label
    assert understand_intent("என் கணக்கில் இருப்பு எவ்வளவு?", ROUTER) == "balance"  # Tamil: keywords miss it
    assert understand_intent("tell me a joke", ROUTER) == "unknown"  # out of scope
    assert understand_intent("please speak in Hindi", ROUTER, switching=True) == "unknown"
    assert understand_intent("என் கணக்கில் இருப்பு எவ்வளவு?", None) == "unknown"  # no router: keywords only


async def test_a_tamil_balance_question_starts_the_balance_workflow(gateway):
    client = await gateway()
    session = await new_session(client)
    reply = texts(await say(client, session, "என் கணக்கில் இருப்பு எவ்வளவு?"))
    # Verification first, in Tamil (the request was understood by the router, not by keywords).
    assert "பதிவுசெய்த மொபைல் எண்ணையோ" in reply and "registered mobile" not in reply


async def test_a_bengali_card_block_request_starts_the_block_workflow(gateway):
    client = await gateway()
    session = await new_session(client)
    reply = texts(await say(client, session, "আমার ডেবিট কার্ড হারিয়ে গেছে, ব্লক করুন"))
    assert "পরিচয় যাচাই" in reply and "registered mobile" not in reply


def test_the_understand_command_prints_one_json_object(monkeypatch, capsys, tmp_path):
    import json
    import os

    import gateway

    for name in [k for k in os.environ if k.startswith("SAHAYAK_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("SAHAYAK_DEMO", "true")
    monkeypatch.setenv("SAHAYAK_DATA_DIR", str(tmp_path))
    assert gateway.main(["understand", "maine ye 5000 ka payment nahi kiya, card ending 4417"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["language"] == "hinglish" and result["script"] == "Latn"
    assert result["intent"] == "dispute_transaction" and 0 < result["confidence"] <= 1
    assert {(e["kind"], e["value"]) for e in result["entities"]} == {("amount", "5000.00"), ("card_last4", "4417")}
    assert gateway.main(["understand", "usually how many hours does an imps take to reach another bank"]) == 0
    timing = json.loads(capsys.readouterr().out)
    # A question the knowledge base answers, and which one: the catalogue topic that won.
    assert timing["intent"] == "unknown" and timing["router"]["intent"] == "out_of_scope"
    assert timing["router"]["topic"] == "transfer_timing"
    assert gateway.main(["understand", "हिंदी में बात करो"]) == 0
    switched = json.loads(capsys.readouterr().out)
    assert switched["language_switch"] == "hi" and switched["intent"] == "unknown"
    assert gateway.main(["understand"]) == 2
    assert gateway.main(["understand", "hi", "--language", "klingon"]) == 2
