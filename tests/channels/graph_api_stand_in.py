"""A local stand-in for Meta's Graph API messages endpoint (POST /{version}/{phone_number_id}/messages).

It speaks the Cloud API's wire format: a bearer token, the message JSON (text, interactive buttons and
lists, templates) checked against Meta's limits, and Meta's answer shapes -- the message id on success,
the `{"error": {...}}` object otherwise. Tests can queue failures (429, 500, 502 with an HTML body) to
exercise retries, and read what was sent from `sent` (accepted messages) and `attempts` (every POST).
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections import deque

from aiohttp import web

VERSION = "v21.0"


def _error(status: int, code: int, message: str, details: str | None = None, **extra) -> web.Response:
    error = {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": secrets.token_urlsafe(9),
             **extra}
    if details is not None:
        error["error_data"] = {"messaging_product": "whatsapp", "details": details}
    return web.json_response({"error": error}, status=status)


FAILURES = {
    429: lambda: _error(429, 130429, "(#130429) Rate limit hit",
                        "Cloud API message throughput has been reached."),
    500: lambda: _error(500, 1, "An unknown error has occurred.", is_transient=True),
    502: lambda: web.Response(status=502, text="<html><body>Bad Gateway</body></html>", content_type="text/html"),
    400: lambda: _error(400, 100, "(#100) Invalid parameter", "Invalid parameter"),
    # Not an HTTP status: Meta's answer to a free-form message outside the 24-hour window.
    131047: lambda: _error(400, 131047, "(#131047) Re-engagement message",
                           "Message failed to send because more than 24 hours have passed since the "
                           "customer last replied to this number."),
}


class GraphApiStandIn:
    def __init__(self, token: str, phone_number_id: str):
        self.token = token
        self.phone_number_id = phone_number_id
        self.sent: list[dict] = []  # accepted message payloads, in order
        self.attempts: list[dict] = []  # every POST that reached the handler (including refused ones)
        self._failures: deque[int] = deque()
        self._changed = asyncio.Event()
        self.url = ""  # set by start(): the base URL including the version, like the real one

    def fail_next(self, *statuses: int) -> None:
        """The next POSTs fail like this, one each, in order: HTTP 429, 500, 502 (HTML body), 400, or
        131047 (Meta's "outside the 24-hour window" error)."""
        self._failures.extend(statuses)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/{version}/{phone_number_id}/messages", self._messages)
        return app

    async def _messages(self, request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return _error(401, 190, "Invalid OAuth access token - Cannot parse access token")
        if request.match_info["phone_number_id"] != self.phone_number_id:
            return _error(400, 100, "Unsupported post request. Object with ID does not exist")
        if request.match_info["version"] != VERSION:
            return _error(400, 2635, f"Unknown API version {request.match_info['version']}")
        try:
            payload = await request.json()
        except ValueError:
            return _error(400, 100, "(#100) Invalid parameter", "The request body is not JSON.")
        self.attempts.append(payload)
        self._notify()
        if self._failures:
            return FAILURES[self._failures.popleft()]()
        problem = check_message(payload)
        if problem is not None:
            return _error(400, 100, "(#100) Invalid parameter", problem)
        self.sent.append(payload)
        self._notify()
        wamid = "wamid." + secrets.token_urlsafe(36)
        return web.json_response({"messaging_product": "whatsapp",
                                  "contacts": [{"input": payload["to"], "wa_id": payload["to"].lstrip("+")}],
                                  "messages": [{"id": wamid}]})

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    async def wait_for(self, count: int, timeout: float = 10.0) -> list[dict]:
        """Wait until at least `count` messages were accepted; fails the test on timeout."""
        deadline = time.monotonic() + timeout
        while len(self.sent) < count:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"expected {count} messages at the Graph API, got {len(self.sent)}: {self.sent}")
            try:
                await asyncio.wait_for(self._changed.wait(), left)
            except TimeoutError:
                pass
        return self.sent

    def bodies(self, to: str | None = None) -> list[str]:
        """The text a customer would read in each accepted message (body of text or interactive)."""
        out = []
        for p in self.sent:
            if to is not None and p["to"] != to.lstrip("+"):
                continue
            if p["type"] == "text":
                out.append(p["text"]["body"])
            elif p["type"] == "interactive":
                out.append(p["interactive"]["body"]["text"])
            else:
                out.append(f"[template {p['template']['name']}]")
        return out


def check_message(p: dict) -> str | None:
    """Meta's validation of a message, as far as Sahayak uses it. None when valid."""
    if p.get("messaging_product") != "whatsapp":
        return "messaging_product must be whatsapp"
    to = p.get("to")
    if not isinstance(to, str) or not to.lstrip("+").isdigit():
        return "to must be a phone number"
    kind = p.get("type")
    if kind == "text":
        body = (p.get("text") or {}).get("body")
        if not isinstance(body, str) or not body or len(body) > 4096:
            return "text.body must be 1-4096 characters"
        return None
    if kind == "interactive":
        i = p.get("interactive") or {}
        body = (i.get("body") or {}).get("text")
        if not isinstance(body, str) or not body or len(body) > 1024:
            return "interactive.body.text must be 1-1024 characters"
        action = i.get("action") or {}
        if i.get("type") == "button":
            buttons = action.get("buttons") or []
            titles = [b.get("reply", {}).get("title") for b in buttons]
            if not 1 <= len(buttons) <= 3 or any(b.get("type") != "reply" for b in buttons):
                return "interactive buttons: 1 to 3 reply buttons"
            if any(not isinstance(x, str) or not 1 <= len(x) <= 20 for x in titles) or len(set(titles)) != len(titles):
                return "button titles must be unique, 1-20 characters"
            if any(not 1 <= len(b["reply"].get("id", "")) <= 256 for b in buttons):
                return "button ids must be 1-256 characters"
            return None
        if i.get("type") == "list":
            label = action.get("button")
            sections = action.get("sections") or []
            rows = [r for s in sections for r in s.get("rows", [])]
            if not isinstance(label, str) or not 1 <= len(label) <= 20:
                return "list button must be 1-20 characters"
            if not 1 <= len(sections) <= 10 or not 1 <= len(rows) <= 10:
                return "a list has 1-10 sections and 1-10 rows in all"
            if any(not 1 <= len(r.get("title", "")) <= 24 or not 1 <= len(r.get("id", "")) <= 200 for r in rows):
                return "row titles must be 1-24 characters, ids 1-200"
            if len(sections) > 1 and any(not s.get("title") for s in sections):
                return "sections need titles when there are several"
            return None
        return "unsupported interactive type"
    if kind == "template":
        template = p.get("template") or {}
        if not template.get("name") or not (template.get("language") or {}).get("code"):
            return "template.name and template.language.code are required"
        return None
    return f"unsupported message type {kind!r}"


async def start(aiohttp_server, token: str, phone_number_id: str) -> GraphApiStandIn:
    stand_in = GraphApiStandIn(token, phone_number_id)
    server = await aiohttp_server(stand_in.app())
    stand_in.url = str(server.make_url(f"/{VERSION}"))
    return stand_in
