"""The optional LLM in whole conversations over the web chat API, with a stand-in OpenAI-compatible server:
it names the request when the router is unsure (only one the persona can take on), answers a Hindi
knowledge-base question in Hindi with our citation, and leaves a handover note on an escalation case after
the customer's reply. Down, wrong or switched off, the bot behaves as it does without one."""

from __future__ import annotations

import asyncio
import time

import pytest

from bot.appkeys import LOOP, ROUTER, STORES
from bot.understanding.router import CLARIFY_BELOW
from tests.bot.llm.fake_openai import task_of, user_data
from tests.channels.web_chat import RAJESH_MOBILE, new_session, say, texts

UNSURE = "my debit card please"  # the router leans to block_card, below CLARIFY_BELOW
MINIMUM_BALANCE_QUESTION = "बचत खाते में न्यूनतम शेष कितना चाहिए"
MINIMUM_BALANCE_CITATION = 'स्रोत: Service charges (Sahayak Demo Bank schedule), "Minimum balance" (charges.md#minimum-balance)'
HINDI_MINIMUM_BALANCE = ("बचत खाते में औसत मासिक बैलेंस ग्रामीण शाखाओं में ₹2,500, अर्ध-शहरी शाखाओं में ₹5,000 और "
                         "शहरी शाखाओं में ₹10,000 रखना होता है। कम होने पर कमी के अनुपात में ₹250 तक शुल्क और "
                         "GST लगता है।")
TOKEN = "ops-token-for-tests-0123456789"
NOTE = "Customer wanted their balance, gave their mobile, then asked for a person before the code step."


def llm_file(tmp_path, *endpoints, uses: str = "") -> str:
    lines = ["endpoints:"]
    for endpoint in endpoints:
        lines += [f"  - name: {endpoint.name}", f"    url: {endpoint.url}", f"    model: {endpoint.model}",
                  "    timeout_s: 3"]
    lines += ["total_timeout_s: 5", uses]
    path = tmp_path / "llm.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def answering(**by_task):
    """A responder that answers each job (classify, phrase, summarise, risk) with the given text."""
    return lambda body: by_task.get(task_of(body), '{"intent": "none"}')


async def audit_of(app) -> list:
    [conversation] = [row[0] for row in await app[STORES].db.fetchall("SELECT DISTINCT conversation FROM audit")]
    return await app[STORES].audit.for_conversation(conversation)


async def test_when_the_router_is_unsure_the_llm_names_the_request(gateway, fake_llm, tmp_path):
    local = fake_llm.endpoint("local")
    local.answer = answering(classify='{"intent": "block_card"}')
    client = await gateway(llm_config=llm_file(tmp_path, local))
    app = client.server.app
    assert app[ROUTER].route(UNSURE).confidence < CLARIFY_BELOW  # without an LLM: a clarifying question
    session = await new_session(client)
    replies = await say(client, session, UNSURE)
    assert "registered mobile number" in replies[0]["text"]  # the block-card workflow, with its own checks
    offered = [s["name"] for s in user_data(local.requests[0])["services"]]
    assert "block_card" in offered and "balance" in offered and "report_fraud" in offered  # a handoff
    assert not {"greeting", "resend_otp", "out_of_scope"} & set(offered)
    [record] = await audit_of(app)
    assert record.intent == "block_card" and "llm.classify" in record.tools


async def test_a_confident_router_or_a_keyword_never_asks_the_llm(gateway, fake_llm, tmp_path):
    local = fake_llm.endpoint("local")
    client = await gateway(llm_config=llm_file(tmp_path, local))
    session = await new_session(client)
    await say(client, session, "block my card")
    await say(client, session, RAJESH_MOBILE)  # an answer to the workflow's question, not a request
    assert local.requests == []


@pytest.mark.parametrize("named", ["transfer_money", "resend_otp", "out_of_scope"])
async def test_an_intent_the_persona_was_not_offering_is_ignored(gateway, fake_llm, tmp_path, named):
    local = fake_llm.endpoint("local")
    # A model talked into something names a request that does not exist, or one that was not offered.
    local.answer = answering(classify=f'{{"intent": "{named}"}}')
    client = await gateway(llm_config=llm_file(tmp_path, local))
    session = await new_session(client)
    replies = await say(client, session, UNSURE)
    assert "Did you mean one of these?" in replies[0]["text"]  # what the bot does without an LLM
    assert named not in [s["name"] for s in user_data(local.requests[0])["services"]]
    [record] = await audit_of(client.server.app)
    assert record.intent == "unknown"


async def test_with_the_llm_down_an_unsure_message_gets_the_clarifying_question(gateway, fake_llm, tmp_path):
    local = fake_llm.endpoint("local")
    local.fault = "status"
    client = await gateway(llm_config=llm_file(tmp_path, local))
    session = await new_session(client)
    replies = await say(client, session, UNSURE)
    assert "Did you mean one of these?" in replies[0]["text"] and "Block my card" in replies[0]["buttons"]
    assert len(local.requests) == 1


async def test_with_classify_switched_off_nothing_is_asked(gateway, fake_llm, tmp_path):
    local = fake_llm.endpoint("local")
    local.answer = answering(classify='{"intent": "block_card"}')
    client = await gateway(llm_config=llm_file(tmp_path, local, uses="uses: {classify: false}"))
    session = await new_session(client)
    replies = await say(client, session, UNSURE)
    assert "Did you mean one of these?" in replies[0]["text"] and local.requests == []


async def test_a_hindi_question_is_answered_in_hindi_with_our_citation(gateway, fake_llm, tmp_path):
    local = fake_llm.endpoint("local")
    local.answer = answering(phrase=HINDI_MINIMUM_BALANCE)
    client = await gateway(llm_config=llm_file(tmp_path, local))
    session = await new_session(client)
    replies = await say(client, session, MINIMUM_BALANCE_QUESTION)
    assert replies[0]["text"] == f"{HINDI_MINIMUM_BALANCE}\n\n{MINIMUM_BALANCE_CITATION}"
    [phrase] = local.requests
    assert user_data(phrase)["sections"][0]["heading"] == "Minimum balance"
    assert user_data(phrase)["question"] == MINIMUM_BALANCE_QUESTION
    assert "llm.phrase" in (await audit_of(client.server.app))[0].tools


async def test_a_phrased_answer_with_an_invented_fee_is_not_sent(gateway, fake_llm, tmp_path):
    local = fake_llm.endpoint("local")
    local.answer = answering(phrase=HINDI_MINIMUM_BALANCE.replace("₹250", "₹500"))
    client = await gateway(llm_config=llm_file(tmp_path, local))
    session = await new_session(client)
    reply = (await say(client, session, MINIMUM_BALANCE_QUESTION))[0]["text"]
    # The section as written, with the note that it is in English, as without an LLM.
    assert "₹500" not in reply and "a charge of up to ₹250 plus GST" in reply and MINIMUM_BALANCE_CITATION in reply
    assert "अंग्रेज़ी" in reply


async def test_an_english_question_gets_the_section_as_written(gateway, fake_llm, tmp_path):
    local = fake_llm.endpoint("local")
    client = await gateway(llm_config=llm_file(tmp_path, local))
    session = await new_session(client)
    reply = texts(await say(client, session, "how much minimum balance do I need to keep"))
    assert "a charge of up to ₹250 plus GST" in reply and "charges.md#minimum-balance" in reply
    assert not [r for r in local.requests if task_of(r) == "phrase"]


async def test_an_escalation_case_gets_a_handover_note_after_the_reply(gateway, fake_llm, tmp_path):
    local = fake_llm.endpoint("local")

    async def answer(body):
        if task_of(body) == "summarise":
            await asyncio.sleep(2.0)  # a slow model must not hold up the customer's reply
            return NOTE
        return '{"intent": "none"}'

    local.answer = answer
    client = await gateway(llm_config=llm_file(tmp_path, local), ops_token=TOKEN)
    app = client.server.app
    session = await new_session(client)
    await say(client, session, "check my balance")
    await say(client, session, RAJESH_MOBILE)
    started = time.monotonic()
    replies = await say(client, session, "talk to an agent")
    assert time.monotonic() - started < 1.5 and "ESC-" in texts(replies)
    await app[LOOP].services.llm_tasks.drain()
    resp = await client.get("/ops/cases", headers={"Authorization": f"Bearer {TOKEN}"})
    [case] = (await resp.json())["cases"]
    assert case["llm_summary"] == NOTE
    assert "balance" in case["summary"]  # the transcript summary is still there
    [summarise] = [r for r in local.requests if task_of(r) == "summarise"]
    sent = " ".join(user_data(summarise)["conversation"])
    assert "talk to an agent" in sent and "[MOBILE" in sent
    assert RAJESH_MOBILE[-10:] not in local.sent()


async def test_without_an_answer_the_case_keeps_its_transcript_summary_only(gateway, fake_llm, tmp_path):
    local = fake_llm.endpoint("local")
    local.fault = "malformed"
    client = await gateway(llm_config=llm_file(tmp_path, local), ops_token=TOKEN)
    app = client.server.app
    session = await new_session(client)
    await say(client, session, "talk to an agent")
    await app[LOOP].services.llm_tasks.drain()
    resp = await client.get("/ops/cases", headers={"Authorization": f"Bearer {TOKEN}"})
    [case] = (await resp.json())["cases"]
    assert case["llm_summary"] == "" and "talk to an agent" in case["summary"]


async def test_the_risk_opinion_can_be_switched_off_alone(gateway, fake_llm, tmp_path):
    local = fake_llm.endpoint("local")
    client = await gateway(llm_config=llm_file(tmp_path, local, uses="uses: {risk_opinion: false}"))
    services = client.server.app[LOOP].services
    assert services.llm is None and services.llm_tasks is not None


async def test_without_an_llm_there_is_nothing_to_ask(gateway):
    client = await gateway()
    services = client.server.app[LOOP].services
    assert services.llm is None and services.llm_tasks is None
    session = await new_session(client)
    assert "Did you mean one of these?" in (await say(client, session, UNSURE))[0]["text"]
