"""The LLM client against a stand-in OpenAI-compatible server: the wire format, the fallback order, per-endpoint
and total timeouts, and every failure meaning "try the next" (and None when none answered)."""

from __future__ import annotations

import logging
import time

import pytest

from bot.llm.client import Endpoint, LlmClient
from bot.workflows.llm_scorer import LlmOpinion, LlmScorer

HELLO = [{"role": "system", "content": "Answer briefly."}, {"role": "user", "content": "secret words 4111"}]


def endpoint(fake, *, timeout_s: float = 2.0, key: str | None = None) -> Endpoint:
    return Endpoint(fake.name, fake.url, fake.model, key, timeout_s)


async def test_the_request_is_an_openai_chat_completion(fake_llm, session):
    local = fake_llm.endpoint("local", "sarvam-m")
    local.answer = "namaste"
    client = LlmClient(session, [endpoint(local, key="sk-test-123")], total_timeout_s=5)
    assert await client.chat(HELLO, max_tokens=30, json_mode=True) == "namaste"
    body = local.requests[0]
    assert body["model"] == "sarvam-m" and body["messages"] == HELLO and body["max_tokens"] == 30
    assert body["temperature"] == 0 and body["stream"] is False
    assert body["response_format"] == {"type": "json_object"}
    assert local.headers[0]["Authorization"] == "Bearer sk-test-123"


async def test_without_json_mode_or_key_neither_is_sent(fake_llm, session):
    local = fake_llm.endpoint("local")
    local.answer = "plain"
    client = LlmClient(session, [endpoint(local)], total_timeout_s=5)
    assert await client.chat(HELLO, max_tokens=30) == "plain"
    assert "response_format" not in local.requests[0] and "Authorization" not in local.headers[0]


async def test_endpoints_are_tried_in_order_and_the_first_answer_wins(fake_llm, session):
    first, second, third = fake_llm.endpoint("first"), fake_llm.endpoint("second"), fake_llm.endpoint("third")
    first.fault = "status"
    second.answer = "from second"
    third.answer = "from third"
    client = LlmClient(session, [endpoint(first), endpoint(second), endpoint(third)], total_timeout_s=5)
    assert await client.chat(HELLO, max_tokens=30) == "from second"
    assert (len(first.requests), len(second.requests), len(third.requests)) == (1, 1, 0)


@pytest.mark.parametrize("fault", ["status", "slow", "malformed", "wrong_model", "huge", "cut_off"])
async def test_every_failure_falls_back_to_the_next_endpoint(fake_llm, session, fault):
    broken, spare = fake_llm.endpoint("broken"), fake_llm.endpoint("spare")
    broken.fault = fault
    broken.answer = "from broken"
    spare.answer = "from spare"
    client = LlmClient(session, [endpoint(broken, timeout_s=0.3), endpoint(spare)], total_timeout_s=5)
    assert await client.chat(HELLO, max_tokens=30) == "from spare"
    assert len(broken.requests) == 1


async def test_a_refused_connection_falls_back_too(fake_llm, session, unused_tcp_port):
    spare = fake_llm.endpoint("spare")
    spare.answer = "from spare"
    down = Endpoint("down", f"http://127.0.0.1:{unused_tcp_port}/v1", "m", None, 1.0)
    client = LlmClient(session, [down, endpoint(spare)], total_timeout_s=5)
    assert await client.chat(HELLO, max_tokens=30) == "from spare"


async def test_when_no_endpoint_answers_the_answer_is_none(fake_llm, session):
    a, b = fake_llm.endpoint("a"), fake_llm.endpoint("b")
    a.fault, b.fault = "status", "malformed"
    client = LlmClient(session, [endpoint(a), endpoint(b)], total_timeout_s=5)
    assert await client.chat(HELLO, max_tokens=30) is None
    assert len(a.requests) == len(b.requests) == 1


@pytest.mark.parametrize("configured, answered, accepted", [
    ("gpt-4o", "gpt-4o-2024-08-06", True),  # OpenAI answers with the dated snapshot
    ("llama3", "llama3:latest", True),  # Ollama with the tag
    ("gpt-4", "gpt-4o", False),  # a different model whose name starts the same
    ("sarvam-m", "qwen2.5-7b", False),
])
async def test_only_the_configured_model_or_a_version_of_it_is_accepted(fake_llm, session, configured, answered,
                                                                         accepted):
    cloud = fake_llm.endpoint("cloud", configured)
    cloud.answer, cloud.answers_as = "ok", answered
    client = LlmClient(session, [endpoint(cloud)], total_timeout_s=5)
    assert await client.chat(HELLO, max_tokens=30) == ("ok" if accepted else None)


async def test_each_endpoint_has_its_own_timeout(fake_llm, session):
    slow, quick = fake_llm.endpoint("slow"), fake_llm.endpoint("quick")
    slow.fault, slow.slow_s = "slow", 3.0
    quick.answer = "quick"
    client = LlmClient(session, [endpoint(slow, timeout_s=0.3), endpoint(quick, timeout_s=0.3)], total_timeout_s=5)
    started = time.monotonic()
    assert await client.chat(HELLO, max_tokens=30) == "quick"
    assert time.monotonic() - started < 1.5


async def test_the_total_deadline_cuts_the_fallbacks_short(fake_llm, session):
    slow, spare = fake_llm.endpoint("slow"), fake_llm.endpoint("spare")
    slow.fault, slow.slow_s = "slow", 3.0
    spare.answer = "too late"
    client = LlmClient(session, [endpoint(slow, timeout_s=2.5), endpoint(spare, timeout_s=2.5)], total_timeout_s=0.5)
    started = time.monotonic()
    assert await client.chat(HELLO, max_tokens=30) is None
    assert time.monotonic() - started < 1.2
    assert spare.requests == []  # no time was left for it


async def test_logs_name_the_endpoint_and_failure_never_the_content(fake_llm, session, caplog):
    broken, spare = fake_llm.endpoint("primary-gpu"), fake_llm.endpoint("spare")
    broken.fault = "status"
    spare.answer = "the answer text"
    client = LlmClient(session, [endpoint(broken), endpoint(spare)], total_timeout_s=5)
    with caplog.at_level(logging.DEBUG, logger="sahayak.llm"):
        await client.chat(HELLO, max_tokens=30)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "primary-gpu" in logged and "HTTP 500" in logged
    assert "secret words" not in logged and "4111" not in logged and "the answer text" not in logged


async def test_the_risk_scorer_uses_the_same_fallback_order(fake_llm, session):
    down, spare = fake_llm.endpoint("down"), fake_llm.endpoint("spare", "risk-7b")
    down.fault = "status"
    spare.answer = '{"score": 77, "suspicious": true}'
    scorer = LlmScorer.over(LlmClient(session, [endpoint(down), endpoint(spare)], total_timeout_s=5))
    assert await scorer.assess("card transaction", {"amount_inr": "5000.00"}) == LlmOpinion(77, True)
    assert len(down.requests) == 1 and spare.requests[0]["response_format"] == {"type": "json_object"}
