"""A stand-in OpenAI-compatible server for tests: POST /<endpoint>/v1/chat/completions, the real wire format
(JSON body with model and messages; a chat.completion with choices[0].message.content and usage).

Several endpoints live on one server, each under its own path prefix, and each can be told to fail:

    status       HTTP 500 with an OpenAI-style error body
    slow         answer after `slow_s` seconds
    malformed    a body that is not JSON
    wrong_model  a well-formed answer from another model
    huge         a well-formed answer of about 100 KiB
    cut_off      finish_reason "length" (the answer hit max_tokens)

Every request is recorded (body and headers). What an endpoint answers is `answer`: a string, or a
function (plain or async) of the request body, so one endpoint can play classifier, writer and
summariser, and take its time over one job only.
"""

from __future__ import annotations

import asyncio
import inspect
import itertools
import json
import time
from collections.abc import Awaitable, Callable

from aiohttp import web

_IDS = itertools.count(1)


def completion(content: str, model: str, *, finish_reason: str = "stop") -> dict:
    return {"id": f"chatcmpl-{next(_IDS)}", "object": "chat.completion", "created": int(time.time()), "model": model,
            "choices": [{"index": 0, "finish_reason": finish_reason,
                         "message": {"role": "assistant", "content": content}}],
            "usage": {"prompt_tokens": 42, "completion_tokens": 7, "total_tokens": 49}}


class FakeEndpoint:
    def __init__(self, name: str, model: str, url: str):
        self.name = name
        self.model = model
        self.url = url  # base URL, ending before /chat/completions
        self.answer: str | Callable[[dict], str | Awaitable[str]] = '{"intent": "none"}'
        self.fault: str | None = None
        self.slow_s = 2.0
        self.answers_as: str | None = None  # the model name in answers (default: the one asked for)
        self.requests: list[dict] = []
        self.headers: list[dict[str, str]] = []

    def sent(self) -> str:
        """Everything this endpoint was sent, as one string (for "never reached the server" checks)."""
        return json.dumps(self.requests, ensure_ascii=False)

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.requests.append(body)
        self.headers.append(dict(request.headers))
        if self.fault == "status":
            return web.json_response({"error": {"message": "overloaded", "type": "server_error"}}, status=500)
        if self.fault == "slow":
            await asyncio.sleep(self.slow_s)
        if self.fault == "malformed":
            return web.Response(text='{"choices": [{"message": ', content_type="application/json")
        content = self.answer(body) if callable(self.answer) else self.answer
        if inspect.isawaitable(content):
            content = await content
        if self.fault == "huge":
            content = "x" * (100 * 1024)
        model = "some-other-model" if self.fault == "wrong_model" else self.answers_as or body["model"]
        finish = "length" if self.fault == "cut_off" else "stop"
        return web.json_response(completion(content, model, finish_reason=finish))


class FakeOpenAi:
    """The server; `endpoint(name, model)` adds an endpoint and returns it."""

    def __init__(self, base: str):
        self.base = base.rstrip("/")
        self.endpoints: dict[str, FakeEndpoint] = {}

    def endpoint(self, name: str, model: str = "local-model") -> FakeEndpoint:
        endpoint = FakeEndpoint(name, model, f"{self.base}/{name}/v1")
        self.endpoints[name] = endpoint
        return endpoint

    async def handle(self, request: web.Request) -> web.Response:
        endpoint = self.endpoints.get(request.match_info["name"])
        if endpoint is None:
            return web.json_response({"error": {"message": "no such endpoint"}}, status=404)
        return await endpoint.handle(request)


async def start_fake_openai(aiohttp_server) -> FakeOpenAi:
    app = web.Application()
    fake = FakeOpenAi("")
    app.router.add_post("/{name}/v1/chat/completions", fake.handle)
    server = await aiohttp_server(app)
    fake.base = str(server.make_url("")).rstrip("/")
    return fake


def task_of(body: dict) -> str:
    """Which job a request is, from its system prompt: classify, phrase, summarise or risk."""
    system = body["messages"][0]["content"]
    for marker, task in (("route messages", "classify"), ("document sections", "phrase"),
                         ("handover note", "summarise"), ("risk analyst", "risk")):
        if marker in system:
            return task
    raise AssertionError(f"unknown request: {system[:80]}")


def user_data(body: dict) -> dict:
    """The JSON the task put in the user message."""
    return json.loads(body["messages"][-1]["content"])
