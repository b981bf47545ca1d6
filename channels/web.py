"""The web chat channel: HTTP and WebSocket endpoints for the embeddable widget.

    POST /web/session   -> {"session": "<id>"}            a new signed session id
    POST /web/messages  {"session", "text", "id"?, "language"?} -> {"replies": [{"text", "buttons"}], "language"}
    GET  /web/ws        WebSocket: hello / message in; history / typing / reply / done / error out
    GET  /web/strings?lang=<code>                          -> {"language", "strings": {widget_* key: text}}
    GET  /widget.js     the web component (one <script> tag embeds it)

Session ids are `<random>.<issued-at>.<HMAC>`: the server keeps no session table, and a visitor cannot forge or
guess another visitor's id. Every request is checked before anything is stored.

The widget's own texts (buttons, status, notes) come from the message catalogs like the bot's replies, by
`/web/strings`. Replies and history carry the conversation's language (the latest turn's, from the audit
trail), so the widget's chrome follows the conversation when the customer switches language.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import re
import secrets
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

from aiohttp import WSMsgType, web

from bot.appkeys import CHANNELS, LOOP, STORES
from bot.stores.audit import AuditLog, AuditRecord
from channels.base import Capabilities, InboundMessage, Rendered
from channels.http_edge import BadRequest, read_body
from i18n.catalog import CATALOG_LANGUAGES, MESSAGES, SOURCE_LANGUAGE, t

STATIC = Path(__file__).resolve().parent / "web_static"
MAX_BODY = 16 * 1024
_ID = re.compile(r"^[A-Za-z0-9_.:\-]{1,128}$")
# Control characters and lone surrogates: no customer types them, and no store can keep them.
MAX_LANGUAGE_CHARS = 64  # a page's lang attribute; only its catalog language is kept
_UNSTORABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
MAX_IN_FLIGHT_PER_SOCKET = 8
WIDGET_KEYS = tuple(key for key in MESSAGES if key.startswith("widget_"))
# Agent replies (ops API) record no language: look this many turns back for the bot's.
LANGUAGE_LOOKBACK = 10


class SessionSigner:
    """Session ids are `<random>.<issued-at>.<HMAC>`: no session table, unforgeable, and they expire
    (a shared computer's browser should not replay a verified conversation's history for ever)."""

    def __init__(self, secret: bytes, ttl_s: int):
        self._key = hashlib.sha256(b"sahayak-web-session:" + secret).digest()
        self.ttl_s = ttl_s

    def _mac(self, body: str) -> str:
        digest = hmac.new(self._key, body.encode(), hashlib.sha256).digest()[:18]
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")

    def new(self, now: float | None = None) -> str:
        body = f"{secrets.token_urlsafe(18)}.{int(now if now is not None else time.time()):x}"
        return f"{body}.{self._mac(body)}"

    def verify(self, session: object, now: float | None = None) -> str:
        """The conversation id inside a valid, unexpired session; raises BadRequest(403) otherwise."""
        if not isinstance(session, str) or session.count(".") != 2 or len(session) > 120:
            raise BadRequest(403, "forged_session", "This chat session is not valid. Start a new one.")
        raw, issued, mac = session.split(".")
        if not raw or not hmac.compare_digest(mac, self._mac(f"{raw}.{issued}")):
            raise BadRequest(403, "forged_session", "This chat session is not valid. Start a new one.")
        if (now if now is not None else time.time()) - int(issued, 16) > self.ttl_s:
            raise BadRequest(403, "expired_session", "This chat session has expired. Start a new one.")
        return raw


class WebChannel:
    """Delivers replies to the live WebSockets of a session (one per open tab)."""

    name = "web"
    capabilities = Capabilities(buttons=True, max_buttons=6, max_text=4000)

    def __init__(self, signer: SessionSigner, max_text: int, audit: AuditLog):
        self.signer = signer
        self.max_text = max_text
        self.audit = audit
        self._sockets: dict[str, set[web.WebSocketResponse]] = {}

    async def send(self, conversation: str, messages: list[Rendered], *, in_reply_to: str | None = None) -> None:
        sockets = list(self._sockets.get(conversation, ()))
        if not sockets:
            return
        # The loop audits a turn before delivering it, so this is the language of these replies.
        language = await self.language_of(conversation)
        for ws in sockets:
            for m in messages:
                if ws.closed:
                    break
                await ws.send_json({"type": "reply", "in_reply_to": in_reply_to, "text": m.text,
                                    "buttons": list(m.buttons), "language": language})

    async def language_of(self, conversation: str) -> str | None:
        """The language the conversation is answered in now; None before its first turn."""
        return latest_language(await self.audit.for_conversation(f"web:{conversation}", limit=LANGUAGE_LOOKBACK))

    def subscribe(self, conversation: str, ws: web.WebSocketResponse) -> None:
        self._sockets.setdefault(conversation, set()).add(ws)

    def unsubscribe(self, conversation: str, ws: web.WebSocketResponse) -> None:
        sockets = self._sockets.get(conversation)
        if sockets is not None:
            sockets.discard(ws)
            if not sockets:
                del self._sockets[conversation]

    def parse(self, payload: object) -> InboundMessage:
        """Validate a message payload into an InboundMessage; raises BadRequest."""
        if not isinstance(payload, dict):
            raise BadRequest(400, "invalid_json", "The body must be a JSON object.")
        conversation = self.signer.verify(payload.get("session"))
        text = payload.get("text")
        if not isinstance(text, str) or not text.strip():
            raise BadRequest(400, "missing_text", "The field 'text' must be a non-empty string.")
        if len(text) > self.max_text:
            raise BadRequest(413, "text_too_long", f"Messages are limited to {self.max_text} characters.")
        if _UNSTORABLE.search(text):
            raise BadRequest(400, "invalid_text", "The message contains control characters; please retype it.")
        # The page's language: the bot's first if the text has none. Whatever a page declares ("ta-IN",
        # "en_US.UTF-8", "x-klingon") is read for a catalog language or ignored, never refused: a
        # customer must not lose their messages to the page's markup.
        language = payload.get("language")
        if language is not None and (not isinstance(language, str) or len(language) > MAX_LANGUAGE_CHARS):
            raise BadRequest(400, "invalid_language",
                             f"The field 'language' must be a language tag of at most {MAX_LANGUAGE_CHARS} "
                             "characters, such as 'hi' or 'ta-IN'.")
        msg_id = payload.get("id")
        if msg_id is None:
            msg_id = uuid.uuid4().hex
        elif not isinstance(msg_id, str) or not _ID.match(msg_id):
            raise BadRequest(400, "invalid_id", "The field 'id' must be 1-128 characters of A-Z a-z 0-9 _ . : -")
        return InboundMessage(channel="web", conversation=conversation, sender=conversation, text=text.strip(),
                              message_id=msg_id, received_at=datetime.now(timezone.utc),
                              language_hint=catalog_language(language))


async def read_json(request: web.Request) -> object:
    body = await read_body(request, MAX_BODY)
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise BadRequest(400, "invalid_json", "The body must be valid JSON.") from None


def origin_guard(allowed: tuple[str, ...]):
    """Only the bank's own pages may use the chat from a browser: requests under /web/ with an Origin
    header must be same-origin or on the allowlist (WebSockets have no CORS, so this is their only
    check). Allowed cross-origin requests get CORS headers, and preflights are answered here."""
    allowed_set = frozenset(allowed)

    @web.middleware
    async def guard(request: web.Request, handler):
        if not request.path.startswith("/web/"):
            return await handler(request)
        origin = request.headers.get("Origin")
        # Host, not scheme: behind a TLS-terminating proxy the gateway itself sees plain http.
        same = origin is not None and origin.split("://", 1)[-1] == request.host
        if origin is not None and not same and origin not in allowed_set:
            return BadRequest(403, "origin_not_allowed", "This site is not allowed to use the chat.").response()
        if request.method == "OPTIONS" and origin is not None:
            response: web.StreamResponse = web.Response(status=204, headers={
                "Access-Control-Allow-Methods": "POST", "Access-Control-Allow-Headers": "Content-Type",
                "Access-Control-Max-Age": "600"})
        else:
            response = await handler(request)
        if origin in allowed_set and not response.prepared:
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers["Vary"] = "Origin"
        return response

    return guard


WEB = web.AppKey("web_channel", WebChannel)


def setup(app: web.Application, settings) -> None:
    """The web channel is always on: the demo page and the widget need nothing but the secret key."""
    app.middlewares.append(origin_guard(settings.web_allowed_origins))

    async def start(app: web.Application):
        channel = WebChannel(SessionSigner(settings.resolved_secret(), settings.web_session_ttl_s),
                             settings.web_max_text, app[STORES].audit)
        app[WEB] = channel
        app[CHANNELS][channel.name] = channel
        yield

    app.cleanup_ctx.append(start)
    setup_web_routes(app)


def setup_web_routes(app: web.Application) -> None:
    async def new_session(request: web.Request) -> web.Response:
        return web.json_response({"session": request.app[WEB].signer.new()})

    async def post_message(request: web.Request) -> web.Response:
        channel: WebChannel = request.app[WEB]
        try:
            msg = channel.parse(await read_json(request))
        except BadRequest as e:
            return e.response()
        result = await request.app[LOOP].handle(msg)
        return web.json_response({"replies": [r.as_json() for r in result.replies],
                                  "language": await channel.language_of(msg.conversation)})

    async def widget_strings(request: web.Request) -> web.Response:
        language = widget_language(request.query.get("lang"))
        return web.json_response(
            {"language": language, "strings": {key: t(key, language) for key in WIDGET_KEYS}},
            # Texts change only with a deployment. Vary: the origin guard adds CORS headers per Origin.
            headers={"Cache-Control": "public, max-age=3600", "Vary": "Origin"})

    async def websocket(request: web.Request) -> web.WebSocketResponse:
        channel: WebChannel = request.app[WEB]
        ws = web.WebSocketResponse(heartbeat=30, max_msg_size=MAX_BODY)
        await ws.prepare(request)
        conversation: str | None = None
        session: str | None = None
        tasks: set[asyncio.Task] = set()
        try:
            async for frame in ws:
                if frame.type != WSMsgType.TEXT:
                    break
                try:
                    data = json.loads(frame.data)
                except ValueError:
                    await ws.send_json({"type": "error", "error": "invalid_json", "message": "Frames must be JSON."})
                    continue
                kind = data.get("type") if isinstance(data, dict) else None
                if kind == "hello" and session is not None:
                    await ws.send_json({"type": "error", "error": "already_greeted",
                                        "message": "This socket already belongs to a session."})
                elif kind == "hello":
                    try:
                        conversation = channel.signer.verify(data.get("session"))
                    except BadRequest as e:
                        await ws.send_json({"type": "error", "error": e.error, "message": e.message})
                        break
                    session = data["session"]
                    channel.subscribe(conversation, ws)
                    history = await request.app[STORES].audit.for_conversation(f"web:{conversation}")
                    await ws.send_json({"type": "history", "messages": history_messages(history),
                                        "language": latest_language(history)})
                elif kind == "message":
                    if session is None:
                        await ws.send_json({"type": "error", "error": "no_session", "message": "Say hello first."})
                        continue
                    try:
                        msg = channel.parse({"session": session, "text": data.get("text"), "id": data.get("id"),
                                             "language": data.get("language")})
                    except BadRequest as e:
                        await ws.send_json({"type": "error", "error": e.error, "message": e.message,
                                            "in_reply_to": data.get("id")})
                        continue
                    if len(tasks) >= MAX_IN_FLIGHT_PER_SOCKET:
                        await ws.send_json({"type": "error", "error": "busy", "in_reply_to": msg.message_id,
                                            "message": "Please wait for the answers before sending more."})
                        continue
                    await ws.send_json({"type": "typing", "in_reply_to": msg.message_id})
                    # A task per message so the socket keeps reading; the loop keeps them in order.
                    task = asyncio.create_task(_answer(request.app[LOOP], channel, ws, msg))
                    tasks.add(task)
                    task.add_done_callback(tasks.discard)
                else:
                    await ws.send_json({"type": "error", "error": "unknown_type", "message": "Unknown frame type."})
        finally:
            if conversation is not None:
                channel.unsubscribe(conversation, ws)
            if tasks:
                # Turns already claimed finish (and are stored) even though this socket is gone.
                await asyncio.gather(*tasks, return_exceptions=True)
        return ws

    async def widget(request: web.Request) -> web.FileResponse:
        return web.FileResponse(STATIC / "widget.js", headers={
            "Cache-Control": "no-cache", "Content-Type": "application/javascript; charset=utf-8"})

    app.router.add_post("/web/session", new_session)
    app.router.add_post("/web/messages", post_message)
    app.router.add_get("/web/ws", websocket)
    app.router.add_get("/web/strings", widget_strings)
    app.router.add_get("/widget.js", widget)


async def _answer(loop, channel: WebChannel, ws: web.WebSocketResponse, msg: InboundMessage) -> None:
    result = await loop.handle(msg)
    if ws.closed:
        return
    if result.duplicate and result.replies:  # the original turn already published; this retry needs them itself
        language = await channel.language_of(msg.conversation)
        for reply in result.replies:
            await ws.send_json({"type": "reply", "in_reply_to": msg.message_id, **reply.as_json(),
                                "language": language})
    await ws.send_json({"type": "done", "in_reply_to": msg.message_id})


def widget_language(requested: str | None) -> str:
    """The catalog language for a requested code (`catalog_language`); anything else gets English."""
    return catalog_language(requested) or SOURCE_LANGUAGE


def catalog_language(requested: str | None) -> str | None:
    """The catalog language for a requested code: a catalog's own code ("hinglish"), else the primary
    subtag of a BCP 47 or POSIX locale ("hi-IN", "ta_IN", "en-GB"); Hindi in Latin script ("hi-Latn",
    what the widget marks Hinglish with) is Hinglish. None for a language without a catalog."""
    code = (requested or "").strip().lower().replace("_", "-")
    if code in CATALOG_LANGUAGES:
        return code
    primary, *subtags = code.split("-")
    if primary == "hi" and "latn" in subtags:
        return "hinglish"
    return primary if primary in CATALOG_LANGUAGES else None


def latest_language(records: list[AuditRecord]) -> str | None:
    """The language of the latest turn the bot answered (an agent's reply records none)."""
    return next((record.language for record in reversed(records) if record.language), None)


def history_messages(records) -> list[dict]:
    messages: list[dict] = []
    for record in records:
        if record.outcome != "agent_reply":  # an agent's reply (ops API) has no customer message
            messages.append({"from": "customer", "id": record.message_id, "text": record.text, "buttons": [],
                             "at": record.at})
        for reply in record.replies:
            messages.append({"from": reply.get("from", "bot"), "text": reply["text"], "buttons": [],
                             "at": record.at})
    if messages and messages[-1]["from"] == "bot" and records:
        messages[-1]["buttons"] = records[-1].replies[-1].get("buttons", []) if records[-1].replies else []
    return messages
