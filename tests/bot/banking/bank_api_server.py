"""A local core-banking REST server for tests: the contract in `bot/banking/http.py`, served by a DemoBank.

It encodes with the same `wire.to_wire` the adapter decodes with, checks the auth header, honours
Idempotency-Key on POSTs, and can be scripted to misbehave (`Faults`) so the adapter's retry and
timeout paths are tested against real HTTP, not mocks.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from aiohttp import web

from bot.banking.core import BankingError, NotAllowed, NotFound
from bot.banking.demo import DemoBank
from bot.banking.wire import decimal_to_wire, to_wire

AUTH = ("Authorization", "Bearer test-token")
PREFIX = "/cbs/v1"


@dataclass
class Seen:
    method: str
    path: str
    auth: str | None
    idempotency_key: str | None


@dataclass
class Faults:
    """Misbehaviour to inject. `script` is consumed one action per request, then `always` applies.

    Actions: "ok", a status code such as 503 or 429 (answered before the handler runs),
    ("after", 503) (the handler runs, then the answer is replaced by that status: the lost-response case
    that idempotency keys exist for), ("sleep", seconds) (delay, then handle normally).
    """

    script: list = field(default_factory=list)
    always: object = "ok"
    seen: list[Seen] = field(default_factory=list)


FAULTS = web.AppKey("faults", Faults)
BANK = web.AppKey("bank", DemoBank)
_IDEMPOTENT = web.AppKey("idempotent", dict)


def make_app(bank: DemoBank, *, auth: tuple[str, str] = AUTH, faults: Faults | None = None) -> web.Application:
    faults = faults or Faults()

    @web.middleware
    async def misbehave(request: web.Request, handler):
        faults.seen.append(Seen(request.method, request.path, request.headers.get(auth[0]),
                                request.headers.get("Idempotency-Key")))
        action = faults.script.pop(0) if faults.script else faults.always
        if isinstance(action, int):
            return web.json_response({"error": "unavailable"}, status=action, headers={"Retry-After": "0"})
        if isinstance(action, tuple) and action[0] == "sleep":
            await asyncio.sleep(action[1])
        response = await handler(request)
        if isinstance(action, tuple) and action[0] == "after":
            return web.json_response({"error": "unavailable"}, status=action[1])
        return response

    @web.middleware
    async def authenticate(request: web.Request, handler):
        if request.headers.get(auth[0]) != auth[1]:
            return web.json_response({"error": "unauthorized"}, status=401)
        return await handler(request)

    @web.middleware
    async def idempotency(request: web.Request, handler):
        key = request.headers.get("Idempotency-Key")
        if request.method != "POST":
            return await handler(request)
        if not key:
            return web.json_response({"error": "idempotency_key_required"}, status=400)
        cache = request.app[_IDEMPOTENT]
        if key not in cache:
            response = await handler(request)
            cache[key] = (response.status, response.text)
        status, text = cache[key]
        return web.Response(status=status, text=text, content_type="application/json")

    @web.middleware
    async def errors(request: web.Request, handler):
        try:
            return await handler(request)
        except NotFound:
            return web.json_response({"error": "not_found"}, status=404)
        except NotAllowed:
            return web.json_response({"error": "not_allowed"}, status=409)
        except BankingError:
            return web.json_response({"error": "refused"}, status=409)
        except (ValueError, KeyError):
            return web.json_response({"error": "bad_request"}, status=400)

    app = web.Application(middlewares=[misbehave, authenticate, idempotency, errors])
    app[FAULTS] = faults
    app[BANK] = bank
    app[_IDEMPOTENT] = {}
    app.add_routes(_routes(bank))
    return app


def _ok(obj) -> web.Response:
    return web.json_response(to_wire(obj))


def _items(objs) -> web.Response:
    return web.json_response({"items": [to_wire(o) for o in objs]})


def _routes(bank: DemoBank) -> list[web.RouteDef]:
    r = web.RouteTableDef()
    c = PREFIX + "/customers/{cid}"
    a = c + "/accounts/{aid}"

    @r.post(PREFIX + "/customers/lookup")
    async def lookup(request: web.Request):
        body = await request.json()
        customer = await bank.find_customer(body["identifier"])
        if customer is None:
            raise NotFound("no such customer")
        return _ok(customer)

    @r.get(c)
    async def customer(request: web.Request):
        return _ok(await bank.get_customer(request.match_info["cid"]))

    @r.get(c + "/accounts")
    async def accounts(request: web.Request):
        return _items(await bank.list_accounts(request.match_info["cid"]))

    @r.get(a + "/balance")
    async def balance(request: web.Request):
        return _ok(await bank.get_balance(request.match_info["cid"], request.match_info["aid"]))

    @r.get(a + "/holds")
    async def holds(request: web.Request):
        return _items(await bank.list_holds(request.match_info["cid"], request.match_info["aid"]))

    @r.get(a + "/limits")
    async def limits(request: web.Request):
        return _ok(await bank.get_limits(request.match_info["cid"], request.match_info["aid"]))

    @r.get(a + "/transactions")
    async def transactions(request: web.Request):
        q = request.query
        return _items(await bank.list_transactions(
            request.match_info["cid"], request.match_info["aid"], limit=int(q.get("limit", "10")),
            status=q.get("status")))

    @r.get(a + "/spend")
    async def spend(request: web.Request):
        totals = await bank.spend_by_category(request.match_info["cid"], request.match_info["aid"],
                                              days=int(request.query.get("days", "30")))
        return web.json_response({"categories": {k: decimal_to_wire(v) for k, v in totals.items()}})

    @r.post(a + "/unlock")
    async def unlock(request: web.Request):
        return _ok(await bank.unlock_access(request.match_info["cid"], request.match_info["aid"]))

    @r.get(c + "/cards")
    async def cards(request: web.Request):
        return _items(await bank.list_cards(request.match_info["cid"]))

    @r.post(c + "/cards/{card}/block")
    async def block(request: web.Request):
        body = await request.json()
        return _ok(await bank.block_card(request.match_info["cid"], request.match_info["card"], body["reason"]))

    @r.post(c + "/cards/{card}/unblock")
    async def unblock(request: web.Request):
        return _ok(await bank.unblock_card(request.match_info["cid"], request.match_info["card"]))

    @r.get(c + "/devices")
    async def devices(request: web.Request):
        return _items(await bank.list_devices(request.match_info["cid"]))

    @r.get(c + "/login-attempts")
    async def logins(request: web.Request):
        limit = int(request.query.get("limit", "10"))
        return _items(await bank.list_login_attempts(request.match_info["cid"], limit=limit))

    @r.get(c + "/loans")
    async def loans(request: web.Request):
        return _items(await bank.list_loans(request.match_info["cid"]))

    @r.get(c + "/sips")
    async def sips(request: web.Request):
        return _items(await bank.list_sips(request.match_info["cid"]))

    return list(r)
