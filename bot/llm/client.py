"""One chat request to the first OpenAI-compatible endpoint that answers, in the configured fallback order.

    client = LlmClient(session, endpoints, total_timeout_s=8)
    text = await client.chat([{"role": "system", ...}, {"role": "user", ...}], max_tokens=60, json_mode=True)

Each endpoint gets its own timeout, and all of them together the total deadline: a fallback is tried only
with the time that is left. Anything but a well-formed answer from the configured model is "try the
next": an HTTP error, a timeout, a refused connection, a body over 64 KiB, a body that is not a chat
completion, an answer cut off at `max_tokens`, or an answer from another model (a proxy routing to the
wrong deployment). When none answered, `chat` returns None and the caller does what it does without an
LLM. There are no retries of the same endpoint: the next one is the retry.

Logs name the endpoint and the kind of failure, never the messages or the answer (they are the
customer's words, masked or not). The HTTP session is the gateway's own (one per app, DESIGN.md).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import aiohttp

log = logging.getLogger("sahayak.llm")

MAX_RESPONSE_BYTES = 64 * 1024


@dataclass(frozen=True)
class Endpoint:
    name: str  # for logs and `check-config`
    url: str  # base URL, ending before /chat/completions (http://127.0.0.1:8000/v1)
    model: str
    api_key: str | None = field(default=None, repr=False)
    timeout_s: float = 4.0

    @property
    def completions_url(self) -> str:
        return self.url.rstrip("/") + "/chat/completions"


class NoAnswer(Exception):
    """This endpoint gave no usable answer; `kind` says why (logged, and the next endpoint is tried)."""

    def __init__(self, kind: str):
        super().__init__(kind)
        self.kind = kind


class LlmClient:
    def __init__(self, session: aiohttp.ClientSession, endpoints: Sequence[Endpoint], *, total_timeout_s: float):
        if not endpoints:
            raise ValueError("an LLM client needs at least one endpoint")
        self._session = session
        self.endpoints = tuple(endpoints)
        self.total_timeout_s = total_timeout_s

    async def chat(self, messages: list[dict[str, str]], *, max_tokens: int, json_mode: bool = False) -> str | None:
        """The answer's text from the first endpoint that gives one within the deadline, else None."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.total_timeout_s
        for endpoint in self.endpoints:
            left = deadline - loop.time()
            if left <= 0:
                log.warning("LLM: total deadline of %.1fs reached before endpoint %s", self.total_timeout_s,
                            endpoint.name)
                return None
            started = time.perf_counter()
            try:
                async with asyncio.timeout(min(endpoint.timeout_s, left)):
                    answer = await self._ask(endpoint, messages, max_tokens=max_tokens, json_mode=json_mode)
            except TimeoutError:
                log.warning("LLM endpoint %s: timeout", endpoint.name)
            except aiohttp.ClientError as e:
                log.warning("LLM endpoint %s: connection failed (%s)", endpoint.name, type(e).__name__)
            except NoAnswer as e:
                log.warning("LLM endpoint %s: %s", endpoint.name, e.kind)
            else:
                log.debug("LLM endpoint %s answered in %.0f ms", endpoint.name, (time.perf_counter() - started) * 1000)
                return answer
        return None

    async def _ask(self, endpoint: Endpoint, messages: list[dict[str, str]], *, max_tokens: int,
                   json_mode: bool) -> str:
        body: dict = {"model": endpoint.model, "messages": messages, "temperature": 0, "max_tokens": max_tokens,
                      "stream": False}
        if json_mode:
            body["response_format"] = {"type": "json_object"}
        headers = {"Authorization": f"Bearer {endpoint.api_key}"} if endpoint.api_key else {}
        async with self._session.post(endpoint.completions_url, json=body, headers=headers) as resp:
            if resp.status != 200:
                raise NoAnswer(f"HTTP {resp.status}")
            raw = await _read_capped(resp, MAX_RESPONSE_BYTES)
        return completion_text(raw, endpoint.model)


async def _read_capped(resp: aiohttp.ClientResponse, limit: int) -> bytes:
    """The whole body, or NoAnswer as soon as it grows past `limit` (the rest is never read)."""
    if resp.content_length is not None and resp.content_length > limit:
        raise NoAnswer("response too large")
    chunks: list[bytes] = []
    size = 0
    async for chunk in resp.content.iter_chunked(16 * 1024):
        size += len(chunk)
        if size > limit:
            raise NoAnswer("response too large")
        chunks.append(chunk)
    return b"".join(chunks)


def completion_text(raw: bytes, model: str | None = None) -> str:
    """choices[0].message.content of a chat-completions body; NoAnswer otherwise.

    With `model`, the model named in the answer must be that one, or a version of it (OpenAI answers
    "gpt-4o-2024-08-06" for "gpt-4o", Ollama "llama3:latest" for "llama3")."""
    try:
        data = json.loads(raw)
        choice = data["choices"][0]
        content = choice["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError):
        raise NoAnswer("malformed response") from None
    answered_by = data.get("model")
    if model is not None and isinstance(answered_by, str) and not _same_model(answered_by, model):
        raise NoAnswer("answered by another model")
    if choice.get("finish_reason") == "length":
        raise NoAnswer("answer cut off at max_tokens")
    if not isinstance(content, str) or not content.strip():
        raise NoAnswer("empty answer")
    return content.strip()


def _same_model(answered_by: str, configured: str) -> bool:
    return answered_by == configured or (answered_by.startswith(configured) and answered_by[len(configured)] in "-:@")
