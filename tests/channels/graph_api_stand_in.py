"""A local stand-in for Meta's Graph API messages endpoint (POST /{version}/{phone_number_id}/messages).

It speaks the Cloud API's wire format: a bearer token, the message JSON (text, interactive buttons and
lists, templates) checked against Meta's limits, and Meta's answer shapes -- the message id on success,
the `{"error": {...}}` object otherwise. Tests can queue failures (429, 500, 502 with an HTML body) to
exercise retries, and read what was sent from `sent` (accepted messages) and `attempts` (every POST).

Media, as the Cloud API serves it: `serve_media` stores a file under a new media id; GET /{version}/{media-id}
answers with its temporary URL, MIME type, SHA-256 (hex) and size, and GET on that URL (a lookaside-style
path on this server) gives the bytes, both with the bearer token only. POST /{version}/{phone_number_id}/media
takes a multipart upload (messaging_product, type, file) and answers with the new media id; an audio
message may then reference it. `media_requests` records every media GET with its Authorization header,
`uploads` what was uploaded.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import time
from collections import deque
from dataclasses import dataclass

from aiohttp import web

VERSION = "v21.0"
MEDIA_PATH = "/whatsapp_business/attachments/"
MAX_AUDIO_BYTES = 16 * 1024 * 1024
AUDIO_TYPES = ("audio/aac", "audio/amr", "audio/mpeg", "audio/mp4", "audio/ogg")


@dataclass
class StoredMedia:
    data: bytes
    mime_type: str
    sha256: str  # as the media endpoint states it (hex); a test may state a wrong one
    file_size: int  # as stated; a test may state more than the bytes


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
        self.media: dict[str, StoredMedia] = {}  # media id -> file, the customer's and the uploaded
        self.media_requests: list[tuple[str, str | None]] = []  # (path, Authorization) of each media GET
        self.uploads: list[tuple[str, StoredMedia]] = []  # (media id, file) of each accepted upload

    def fail_next(self, *statuses: int) -> None:
        """The next POSTs fail like this, one each, in order: HTTP 429, 500, 502 (HTML body), 400, or
        131047 (Meta's "outside the 24-hour window" error)."""
        self._failures.extend(statuses)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/{version}/{phone_number_id}/messages", self._messages)
        app.router.add_post("/{version}/{phone_number_id}/media", self._upload)
        app.router.add_get("/{version}/{media_id}", self._media_url)
        app.router.add_get(MEDIA_PATH, self._download)
        return app

    def serve_media(self, data: bytes, mime_type: str, *, sha256: str | None = None,
                    file_size: int | None = None) -> str:
        """Store a file as if a customer had sent it; returns its media id. `sha256` and `file_size`
        default to the true ones."""
        media_id = _new_media_id()
        self.media[media_id] = StoredMedia(data, mime_type, sha256 or hashlib.sha256(data).hexdigest(),
                                           len(data) if file_size is None else file_size)
        return media_id

    async def _media_url(self, request: web.Request) -> web.Response:
        self.media_requests.append((request.path, request.headers.get("Authorization")))
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return _error(401, 190, "Invalid OAuth access token - Cannot parse access token")
        if request.match_info["version"] != VERSION:
            return _error(400, 2635, f"Unknown API version {request.match_info['version']}")
        media_id = request.match_info["media_id"]
        stored = self.media.get(media_id)
        if stored is None:
            return _error(400, 100, f"Unsupported get request. Object with ID '{media_id}' does not exist")
        query = f"mid={media_id}&ext={int(time.time())}&hash={secrets.token_urlsafe(12)}"
        url = f"{request.url.origin()}{MEDIA_PATH}?{query}"
        return web.json_response({"messaging_product": "whatsapp", "url": url, "mime_type": stored.mime_type,
                                  "sha256": stored.sha256, "file_size": stored.file_size, "id": media_id})

    async def _download(self, request: web.Request) -> web.Response:
        self.media_requests.append((request.path_qs, request.headers.get("Authorization")))
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return web.Response(status=401, text="Unauthorized")  # the lookaside host answers plainly
        stored = self.media.get(request.query.get("mid", ""))
        if stored is None:
            return web.Response(status=404, text="Not Found")
        return web.Response(body=stored.data, content_type=stored.mime_type.split(";")[0])

    async def _upload(self, request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return _error(401, 190, "Invalid OAuth access token - Cannot parse access token")
        if request.match_info["phone_number_id"] != self.phone_number_id:
            return _error(400, 100, "Unsupported post request. Object with ID does not exist")
        fields: dict[str, str] = {}
        file: tuple[bytes, str] | None = None
        async for part in await request.multipart():
            if part.filename is not None:
                file = (await part.read(decode=False), part.headers.get("Content-Type", ""))
            else:
                fields[part.name or ""] = await part.text()
        if fields.get("messaging_product") != "whatsapp":
            return _error(400, 100, "(#100) Invalid parameter", "messaging_product must be whatsapp")
        if file is None or not file[0]:
            return _error(400, 100, "(#100) Param file must be a file with one of the following types: "
                          + ", ".join(AUDIO_TYPES))
        mime_type = fields.get("type", "")
        if mime_type not in AUDIO_TYPES or len(file[0]) > MAX_AUDIO_BYTES:
            return _error(400, 131053, "(#131053) Media upload error", f"Unsupported media: {mime_type!r}, "
                          f"{len(file[0])} bytes")
        media_id = _new_media_id()
        stored = StoredMedia(file[0], mime_type, hashlib.sha256(file[0]).hexdigest(), len(file[0]))
        self.media[media_id] = stored
        self.uploads.append((media_id, stored))
        self._notify()
        return web.json_response({"id": media_id})

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
        if problem is None and payload["type"] == "audio" and payload["audio"].get("id") not in (None, *self.media):
            problem = f"audio.id {payload['audio']['id']!r} is not a media id of this phone number"
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
            elif p["type"] == "audio":
                out.append(f"[audio {p['audio']['id']}]")
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
    if kind == "audio":
        audio = p.get("audio") or {}
        if not isinstance(audio.get("id"), str) and not isinstance(audio.get("link"), str):
            return "audio needs an id (an uploaded media id) or a link"
        if "voice" in audio and not isinstance(audio["voice"], bool):
            return "audio.voice must be a boolean"
        return None
    return f"unsupported message type {kind!r}"


def _new_media_id() -> str:
    return str(10**15 + secrets.randbelow(9 * 10**15))  # Meta's media ids are 16 digits


async def start(aiohttp_server, token: str, phone_number_id: str) -> GraphApiStandIn:
    stand_in = GraphApiStandIn(token, phone_number_id)
    server = await aiohttp_server(stand_in.app())
    stand_in.url = str(server.make_url(f"/{VERSION}"))
    return stand_in
