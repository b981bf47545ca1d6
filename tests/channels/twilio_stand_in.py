"""A stand-in for Twilio in tests: its REST API for sending messages, and its side of the webhooks.

- `TwilioStandIn.make_app()`: an aiohttp app answering POST /2010-04-01/Accounts/{sid}/Messages.json as
  Twilio does (HTTP Basic auth with the account SID and auth token; form fields To, From or
  MessagingServiceSid, Body, StatusCallback; 201 with Twilio's message JSON; Twilio's error JSON
  otherwise). It captures every accepted message, and can be told to fail the next attempts (429, 5xx)
  or to treat a number as unsubscribed (error 21610, as after a STOP Twilio handled itself).
  It also answers POST /2010-04-01/Accounts/{sid}/Calls/{CallSid}.json, the call update the phone line
  uses to transfer a call (form field Twiml), capturing each update with the time it arrived.
- `inbound_params` / `status_params`: the parameters Twilio posts to our webhooks (recorded from
  Twilio's documentation and real deliveries), and `post_signed`, which signs them with twilio's own
  `RequestValidator.compute_signature` over the URL Twilio was configured with, exactly as Twilio does.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from urllib.parse import urlencode

from aiohttp import BasicAuth, web
from twilio.request_validator import RequestValidator

ACCOUNT_SID = "AC" + "5ab8c2d4e6f80912" * 2
AUTH_TOKEN = "twilio-auth-token-for-tests-0123"
TWILIO_FROM = "+911140001234"
PUBLIC_URL = "https://sahayak.bank.example"
RAJESH = "+919812345678"


def new_sid(prefix: str = "SM") -> str:
    return prefix + secrets.token_hex(16)


@dataclass
class Attempt:
    status: int
    form: dict
    auth: tuple[str, str] | None


@dataclass
class TwilioStandIn:
    account_sid: str = ACCOUNT_SID
    auth_token: str = AUTH_TOKEN
    messages: list[dict] = field(default_factory=list)  # accepted messages' form bodies (+ "sid")
    attempts: list[Attempt] = field(default_factory=list)  # every POST, accepted or not
    fail_next: list[int] = field(default_factory=list)  # statuses to answer the next attempts with
    unsubscribed: set[str] = field(default_factory=set)  # numbers Twilio refuses with 21610
    call_updates: list[dict] = field(default_factory=list)  # {"call_sid", "Twiml", "at"} of each call update
    url: str = ""

    def bodies_to(self, number: str) -> list[str]:
        return [m["Body"] for m in self.messages if m["To"] == number]

    async def wait_for(self, count: int, timeout: float = 10.0) -> None:
        deadline = asyncio.get_running_loop().time() + timeout
        while len(self.messages) < count:
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"expected {count} messages at the Twilio stand-in, got {len(self.messages)}")
            await asyncio.sleep(0.01)

    def make_app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/2010-04-01/Accounts/{sid}/Messages.json", self._create)
        app.router.add_post("/2010-04-01/Accounts/{sid}/Calls/{call_sid}.json", self._update_call)
        return app

    @staticmethod
    async def _form_and_auth(request: web.Request) -> tuple[dict, tuple[str, str] | None]:
        """The posted form and the Basic auth credentials (None when there are none)."""
        form = {k: v for k, v in (await request.post()).items()}
        if "Authorization" not in request.headers:
            return form, None
        decoded = BasicAuth.decode(request.headers["Authorization"])
        return form, (decoded.login, decoded.password)

    async def _update_call(self, request: web.Request) -> web.Response:
        """Twilio's call update: new TwiML for a call in progress (Twilio then leaves the stream)."""
        form, auth = await self._form_and_auth(request)
        if auth != (self.account_sid, self.auth_token) or request.match_info["sid"] != self.account_sid:
            return self._error(401, 20003, "Authenticate", form, auth)
        if self.fail_next:
            status = self.fail_next.pop(0)
            return self._error(status, 20500, "Internal Server Error", form, auth)
        if not form.get("Twiml") and not form.get("Url"):
            return self._error(400, 21205, "Url or Twiml is required", form, auth)
        call_sid = request.match_info["call_sid"]
        self.attempts.append(Attempt(200, form, auth))
        self.call_updates.append({"call_sid": call_sid, "Twiml": form.get("Twiml"), "at": time.time()})
        return web.json_response({
            "account_sid": self.account_sid, "api_version": "2010-04-01", "sid": call_sid, "status": "in-progress",
            "direction": "inbound", "uri": f"/2010-04-01/Accounts/{self.account_sid}/Calls/{call_sid}.json"})

    async def _create(self, request: web.Request) -> web.Response:
        form, auth = await self._form_and_auth(request)
        if auth != (self.account_sid, self.auth_token) or request.match_info["sid"] != self.account_sid:
            return self._error(401, 20003, "Authenticate", form, auth)
        if self.fail_next:
            status = self.fail_next.pop(0)
            code = 20429 if status == 429 else 20500
            return self._error(status, code, "Too Many Requests" if status == 429 else "Internal Server Error",
                               form, auth)
        if not form.get("To") or not form.get("Body") or not (form.get("From") or form.get("MessagingServiceSid")):
            return self._error(400, 21604, "A 'To', 'From' and 'Body' are required", form, auth)
        if form["To"] in self.unsubscribed:
            return self._error(400, 21610, "Attempt to send to unsubscribed recipient", form, auth)
        sid = new_sid()
        self.attempts.append(Attempt(201, form, auth))
        self.messages.append({**form, "sid": sid})
        now = datetime.now(timezone.utc).strftime("%a, %d %b %Y %H:%M:%S +0000")
        return web.json_response({
            "account_sid": self.account_sid, "api_version": "2010-04-01", "body": form["Body"],
            "date_created": now, "date_sent": None, "date_updated": now, "direction": "outbound-api",
            "error_code": None, "error_message": None, "from": form.get("From"),
            "messaging_service_sid": form.get("MessagingServiceSid"), "num_media": "0", "num_segments": "1",
            "price": None, "price_unit": "USD", "sid": sid, "status": "queued",
            "subresource_uris": {"media": f"/2010-04-01/Accounts/{self.account_sid}/Messages/{sid}/Media.json"},
            "to": form["To"], "uri": f"/2010-04-01/Accounts/{self.account_sid}/Messages/{sid}.json",
        }, status=201)

    def _error(self, status: int, code: int, message: str, form: dict, auth) -> web.Response:
        self.attempts.append(Attempt(status, form, auth))
        return web.json_response({"code": code, "message": message,
                                  "more_info": f"https://www.twilio.com/docs/errors/{code}", "status": status},
                                 status=status)


def inbound_params(body: str, *, sid: str | None = None, sender: str = RAJESH, to: str = TWILIO_FROM,
                   account_sid: str = ACCOUNT_SID) -> dict[str, str]:
    """What Twilio posts to the inbound-message webhook for one SMS."""
    sid = sid or new_sid()
    return {
        "ToCountry": "IN", "ToState": "", "SmsMessageSid": sid, "NumMedia": "0", "ToCity": "", "FromZip": "",
        "SmsSid": sid, "FromState": "", "SmsStatus": "received", "FromCity": "", "Body": body,
        "FromCountry": "IN", "To": to, "ToZip": "", "NumSegments": "1", "ReferralNumMedia": "0",
        "MessageSid": sid, "AccountSid": account_sid, "From": sender, "ApiVersion": "2010-04-01",
    }


def status_params(sid: str, status: str, *, to: str = RAJESH, error_code: str | None = None,
                  account_sid: str = ACCOUNT_SID) -> dict[str, str]:
    """What Twilio posts to a message's StatusCallback."""
    params = {"SmsSid": sid, "SmsStatus": status, "MessageStatus": status, "To": to, "MessageSid": sid,
              "AccountSid": account_sid, "From": TWILIO_FROM, "ApiVersion": "2010-04-01"}
    if error_code is not None:
        params["ErrorCode"] = error_code
    return params


# Recorded webhook bodies exactly as Twilio sends them (form-encoded, Devanagari percent-encoded),
# with the URL they were signed for. Parsed by the contract tests.
RECORDED_INBOUND = {
    "text": urlencode(inbound_params("What is my balance?", sid="SM" + "1" * 32)),
    "hindi": urlencode(inbound_params("मेरा बैलेंस बताइए 🙏", sid="SM" + "2" * 32)),
    "mms": urlencode({**inbound_params("", sid="MM" + "3" * 32), "NumMedia": "1",
                      "MediaContentType0": "image/jpeg",
                      "MediaUrl0": f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/"
                                   f"MM{'3' * 32}/Media/ME{'4' * 32}"}),
}


def sign(url: str, params: dict[str, str], token: str = AUTH_TOKEN) -> str:
    return RequestValidator(token).compute_signature(url, params)


async def post_signed(client, path: str, params: dict[str, str], *, signed_url: str | None = None,
                      token: str = AUTH_TOKEN, headers: dict[str, str] | None = None, query: str = ""):
    """POST `params` to the gateway as Twilio would: form-encoded, signed over the public URL
    (or `signed_url`) plus the query string."""
    url = (signed_url or PUBLIC_URL + path) + (f"?{query}" if query else "")
    all_headers = {"Content-Type": "application/x-www-form-urlencoded; charset=UTF-8",
                   "X-Twilio-Signature": sign(url, params, token), "User-Agent": "TwilioProxy/1.1",
                   "I-Twilio-Idempotency-Token": secrets.token_hex(16)}
    all_headers.update(headers or {})
    return await client.post(path + (f"?{query}" if query else ""), data=urlencode(params).encode(),
                             headers=all_headers)
