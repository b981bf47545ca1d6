"""Is this request Twilio's, for our account? One check for every Twilio webhook (SMS, status callbacks,
incoming calls) and for the Media Streams WebSocket upgrade.

Twilio signs the URL it was configured with plus the decoded form parameters (twilio's own
`RequestValidator` checks it). The URL is rebuilt from our public base URL, the path and the query string
exactly as received: Host and X-Forwarded-* are never consulted, so a proxy cannot be talked into
validating a signature made for another URL."""

from __future__ import annotations

import logging
from urllib.parse import parse_qsl

from aiohttp import web
from multidict import MultiDict
from twilio.request_validator import RequestValidator, get_signature_algorithm

from channels.http_edge import BadRequest, read_body

log = logging.getLogger("sahayak.twilio")

MAX_BODY = 32 * 1024  # an inbound SMS (1600 characters) or a call webhook (~30 short fields): < 15 KB
MAX_FIELDS = 100  # an inbound webhook has ~20 parameters, plus two per media item (at most 10)


class TwilioWebhooks:
    def __init__(self, auth_token: str, account_sid: str, public_url: str):
        self._validator = RequestValidator(auth_token)
        self.account_sid = account_sid
        self.public_url = public_url.rstrip("/")

    async def verified_params(self, request: web.Request, path: str) -> MultiDict:
        """The form parameters of a webhook Twilio signed for `path`; raises BadRequest (403 unless it is
        Twilio's, for our account). Nothing is stored before this returns."""
        signature = request.headers.get("X-Twilio-Signature")
        if not signature:
            raise BadRequest(403, "missing_signature", "X-Twilio-Signature is required.")
        if request.content_type != "application/x-www-form-urlencoded":
            raise BadRequest(415, "unsupported_media_type", "Twilio webhooks are form-encoded.")
        body = await read_body(request, MAX_BODY)
        try:
            # Twilio signs the decoded parameters; a body that is not UTF-8 form data is not Twilio's.
            pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, max_num_fields=MAX_FIELDS,
                              encoding="utf-8", errors="strict")
        except ValueError:  # UnicodeDecodeError included
            raise BadRequest(403, "forged_signature", "The request signature is not valid.") from None
        params = MultiDict(pairs)
        if not self.signed(request, self.public_url + path, params):
            log.warning("refused a request to %s with a bad Twilio signature", path)
            raise BadRequest(403, "forged_signature", "The request signature is not valid.")
        if params.get("AccountSid") != self.account_sid:
            # The signature proves our auth token; the account must be ours too (defence in depth, and a
            # clear answer when another account's number is pointed at this gateway).
            raise BadRequest(403, "wrong_account", "This webhook belongs to another Twilio account.")
        return params

    def signed(self, request: web.Request, url: str, params: MultiDict | dict) -> bool:
        """Whether the request's X-Twilio-Signature is Twilio's over `url` (plus the query string as
        received) and `params`. A WebSocket upgrade is signed over its wss:// URL with no parameters."""
        signature = request.headers.get("X-Twilio-Signature")
        if not signature:
            return False
        if request.rel_url.raw_query_string:
            url += "?" + request.rel_url.raw_query_string
        algorithm = get_signature_algorithm(request.headers.get("X-Twilio-Webhooks-Signature-Settings"))
        return self._validator.validate(url, params, signature, algorithm)
