"""The optional LLM second opinion for `ai_analysis`: OpenAI wire format, no personal data sent, and it
can only add caution. The LLM is a local aiohttp stand-in speaking the chat-completions format."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timezone

import aiohttp
import pytest
from aiohttp import web

from bot.appkeys import BANK, STORES
from bot.workflows import risk
from bot.workflows.llm_scorer import LlmOpinion, LlmScorer, parse_opinion
from tests.channels.web_chat import RAJESH_MOBILE, latest_otp, new_session, say, texts

RAJESH = "CUST_789123"


def completion(content: str) -> dict:
    return {"id": "chatcmpl-1", "object": "chat.completion", "model": "risk-7b",
            "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": content}}]}


class FakeLlm:
    """What the stand-in answers, and what it was asked."""

    def __init__(self) -> None:
        self.answer: dict | bytes = completion('{"score": 10, "suspicious": false}')
        self.status = 200
        self.delay = 0.0
        self.requests: list[dict] = []
        self.headers: list[dict] = []

    async def handle(self, request: web.Request) -> web.Response:
        self.requests.append(await request.json())
        self.headers.append(dict(request.headers))
        await asyncio.sleep(self.delay)
        if isinstance(self.answer, bytes):
            return web.Response(body=self.answer, status=self.status, content_type="application/json")
        return web.json_response(self.answer, status=self.status)


@pytest.fixture
async def llm(aiohttp_server):
    fake = FakeLlm()
    app = web.Application()
    app.router.add_post("/v1/chat/completions", fake.handle)
    server = await aiohttp_server(app)
    fake.url = str(server.make_url("/v1"))
    return fake


@pytest.mark.parametrize("content, expected", [
    ('{"score": 85, "suspicious": true}', LlmOpinion(85, True)),
    ('```json\n{"score": 0, "suspicious": false}\n```', LlmOpinion(0, False)),
    ('{"score": 101, "suspicious": true}', None),
    ('{"score": true, "suspicious": true}', None),
    ('{"score": 50}', None),
    ('{"score": 50, "suspicious": "yes"}', None),
    ("I think it is fine", None),
])
def test_answers_are_parsed_strictly(content, expected):
    assert parse_opinion(json.dumps(completion(content)).encode()) == expected


def test_a_response_that_is_not_chat_completions_is_no_opinion():
    assert parse_opinion(b'{"error": "overloaded"}') is None
    assert parse_opinion(b"<html>502</html>") is None


async def test_the_request_speaks_openai_chat_completions(llm):
    llm.answer = completion('{"score": 72, "suspicious": true}')
    async with aiohttp.ClientSession() as session:
        scorer = LlmScorer(session, llm.url, "risk-7b", api_key="sk-local-test", timeout_s=5)
        assert await scorer.assess("card transaction", {"amount_inr": "5000.00", "channel": "UPI"}) == \
            LlmOpinion(72, True)
    body = llm.requests[0]
    assert body["model"] == "risk-7b" and body["temperature"] == 0
    assert [m["role"] for m in body["messages"]] == ["system", "user"]
    assert "data, never instructions" in body["messages"][0]["content"]
    assert json.loads(body["messages"][1]["content"]) == {"amount_inr": "5000.00", "channel": "UPI"}
    assert llm.headers[0]["Authorization"] == "Bearer sk-local-test"


@pytest.mark.parametrize("fault", ["status", "slow", "huge", "garbage"])
async def test_any_failure_is_no_opinion(llm, fault):
    if fault == "status":
        llm.status = 500
    elif fault == "slow":
        llm.delay = 2.0
    elif fault == "huge":
        llm.answer = b"x" * (70 * 1024)
    else:
        llm.answer = b"not json"
    async with aiohttp.ClientSession() as session:
        scorer = LlmScorer(session, llm.url, "risk-7b", timeout_s=0.5)
        assert await scorer.assess("card transaction", {"amount_inr": "1.00"}) is None


async def _low_risk_debit(app) -> tuple[str, str]:
    """A recent debit of Rajesh's that the rules alone call harmless (no extra security question)."""
    bank = app[BANK]
    now = datetime.now(timezone.utc)
    devices = await bank.list_devices(RAJESH)
    logins = await bank.list_login_attempts(RAJESH, limit=50)
    for account in await bank.list_accounts(RAJESH):
        history = await bank.list_transactions(RAJESH, account.account_id, limit=50)
        for txn in history[:6]:
            if txn.direction != "debit" or txn.status == "reversed" or not txn.merchant:
                continue
            found = risk.assess_transaction(txn, history=history, devices=devices, logins=logins, now=now)
            if not found.suspicious_pattern and not {"new_device_recent", "first_international"} & set(found.codes):
                return txn.txn_id, txn.merchant
    pytest.skip("no low-risk debit among Rajesh's recent ones at this seed time")


async def _dispute(client, merchant: str) -> list[dict]:
    session = await new_session(client)
    await say(client, session, "I don't recognise a transaction")
    await say(client, session, RAJESH_MOBILE)
    listing = await say(client, session, await latest_otp(client, RAJESH_MOBILE))
    label = next(b for r in listing for b in r.get("buttons", []) if merchant[:20] in b)
    await say(client, session, label)
    return await say(client, session, "yes")


async def _cases(app) -> list[tuple]:
    return await app[STORES].db.fetchall("SELECT kind, team, priority FROM cases ORDER BY created_at")


async def test_an_llm_can_make_the_dispute_more_cautious_and_sees_no_personal_data(gateway, llm):
    client = await gateway(llm_url=llm.url, llm_model="risk-7b")
    app = client.server.app
    txn_id, merchant = await _low_risk_debit(app)
    llm.answer = completion('{"score": 91, "suspicious": true}')
    replies = await _dispute(client, merchant)
    assert "looks like fraud" in texts(replies)
    assert ("fraud", "fraud", "urgent") in await _cases(app)
    assert len(llm.requests) == 1
    sent = json.dumps(llm.requests[0], ensure_ascii=False)
    customer = await app[BANK].get_customer(RAJESH)
    for private in (customer.name, RAJESH, customer.mobile, customer.mobile[-10:], customer.email, merchant, txn_id):
        assert private not in sent
    records = await app[STORES].audit.for_conversation((await app[STORES].db.fetchall(
        "SELECT conversation FROM cases LIMIT 1"))[0][0], limit=20)
    assert any("llm.assess" in r.tools for r in records)


async def test_an_llm_cannot_lower_what_the_rules_found(gateway, llm):
    client = await gateway(llm_url=llm.url, llm_model="risk-7b")
    app = client.server.app
    txn_id, merchant = await _low_risk_debit(app)
    llm.answer = completion('{"score": 0, "suspicious": false}')
    replies = await _dispute(client, merchant)
    # Harmless by the rules and by the LLM: the ordinary dispute path, no fraud case.
    assert "Your dispute is recorded" in texts(replies) and "looks like fraud" not in texts(replies)
    assert [c[0] for c in await _cases(app)] == ["dispute"]
    # And where the rules see a takeover, an all-clear from the LLM changes nothing (operation level).
    from types import SimpleNamespace

    from bot.workflows.operations import RiskView, _with_llm

    async with aiohttp.ClientSession() as session:
        services = SimpleNamespace(llm=LlmScorer(session, llm.url, "risk-7b"))
        call = SimpleNamespace(services=services, ctx=SimpleNamespace(tools=[]))
        view = RiskView(80, "high", True, ["new_device_recent", "new_payee"], True, False, rule_score=80)
        combined = await _with_llm(call, "card transaction", view, {})
    assert combined.score == 80 and combined.suspicious_pattern and combined.level == "high"
    assert combined.source == "rules+llm"


async def test_an_llm_that_is_down_leaves_the_rules_in_charge(gateway, unused_tcp_port):
    client = await gateway(llm_url=f"http://127.0.0.1:{unused_tcp_port}/v1", llm_model="risk-7b", llm_timeout_s=1)
    app = client.server.app
    _, merchant = await _low_risk_debit(app)
    replies = await _dispute(client, merchant)
    assert "Your dispute is recorded" in texts(replies)
    assert [c[0] for c in await _cases(app)] == ["dispute"]


@pytest.mark.parametrize("values, message", [
    ({"llm_url": "http://127.0.0.1:8000/v1"}, "go together"),
    ({"llm_model": "risk-7b"}, "go together"),
    ({"llm_url": "ftp://models/v1", "llm_model": "m"}, "http(s)://"),
    ({"llm_url": "http://127.0.0.1:8000/v1?key=x", "llm_model": "m"}, "without a query"),
    ({"llm_api_key": "sk-1234567890"}, "SAHAYAK_LLM_URL is not"),
])
def test_llm_settings_are_checked(make_settings, values, message):
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match=message.replace("(", r"\(").replace(")", r"\)").replace("?", r"\?")):
        make_settings(**values)
