"""What every channel's HTTP endpoints share: a clear 4xx as JSON, and reading a body whole but capped.

The body is read here rather than with `request.read()`, whose cap is the app-wide client_max_size
(WhatsApp needs 3 MB on its route, the web chat only 16 KB), and in pieces, since a body may arrive in
several chunks on a slow mobile network."""

from __future__ import annotations

from aiohttp import web


class BadRequest(Exception):
    """A refused request: status, a stable error code for programs, a sentence for people."""

    def __init__(self, status: int, error: str, message: str):
        super().__init__(message)
        self.status, self.error, self.message = status, error, message

    def response(self) -> web.Response:
        return web.json_response({"error": self.error, "message": self.message}, status=self.status)


async def read_body(request: web.Request, limit: int) -> bytes:
    """The exact bytes of the body (signatures are checked on them), or BadRequest(413) past `limit`."""
    too_large = BadRequest(413, "body_too_large", f"Request bodies are limited to {limit} bytes.")
    if request.content_length is not None and request.content_length > limit:
        raise too_large
    chunks, size = [], 0
    async for chunk in request.content.iter_any():
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)
