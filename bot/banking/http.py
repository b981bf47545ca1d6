"""CoreBanking over a bank's REST API: the adapter a deployment points at its real core-banking gateway.

The REST contract (paths are relative to the configured base URL, e.g. https://cbs.bank.in/sahayak/v1):

    POST /customers/lookup                         {"identifier": "+919812345678"} -> Customer   (404 -> None)
    GET  /customers/{cid}                          -> Customer
    GET  /customers/{cid}/accounts                 -> {"items": [Account]}
    GET  /customers/{cid}/accounts/{aid}/balance   -> Balance
    GET  /customers/{cid}/accounts/{aid}/holds     -> {"items": [Hold]}        (active holds only)
    GET  /customers/{cid}/accounts/{aid}/limits    -> Limits
    GET  /customers/{cid}/accounts/{aid}/transactions?limit=10[&status=pending] -> {"items": [Transaction]}
    GET  /customers/{cid}/accounts/{aid}/spend?days=30 -> {"categories": {"groceries": "1234.50", ...}}
    POST /customers/{cid}/accounts/{aid}/unlock    {} -> Account   (409 not_allowed: see below)
    GET  /customers/{cid}/cards                    -> {"items": [Card]}
    POST /customers/{cid}/cards/{card}/block       {"reason": "lost"} -> Card
    POST /customers/{cid}/cards/{card}/unblock     {} -> Card
    GET  /customers/{cid}/devices                  -> {"items": [Device]}
    GET  /customers/{cid}/login-attempts?limit=10  -> {"items": [LoginAttempt]}   (newest first)
    GET  /customers/{cid}/loans                    -> {"items": [Loan]}
    GET  /customers/{cid}/sips                     -> {"items": [Sip]}

Objects are the `core` dataclasses field for field, encoded by `wire.py`: money as decimal strings
("1234.50"), datetimes as ISO-8601 with an offset. The lookup is a POST so that a mobile number never
sits in a URL (URLs end up in access logs); it changes nothing and may be retried.

Errors are JSON `{"error": "<code>", ...}`. 404 `{"error": "not_found"}` means the record does not exist
or is not this customer's (-> `NotFound`; `None` for the lookup); a 404 without that body (a wrong base
URL, a proxy page) is a `BankingError`, never "no such customer". 409 `{"error": "not_allowed"}` means
the bank refuses the operation for this record as it stands (-> `NotAllowed`): for `unlock`, the
account is not blocked, or its block is not one the customer may lift (KYC expired, suspected fraud,
court order, dormancy: only `too many wrong PIN attempts` is). Any other 409, 401/403 and other 4xx
are `BankingError`s naming the operation and status. 429, 502, 503, 504, connection errors and timeouts
are retried a bounded number of times with a short backoff (a numeric Retry-After is honoured up to a
cap). Every POST carries an `Idempotency-Key` that stays the same across the retries of one call; the
server must answer a repeated key with the original result (so a retried `unlock` whose first answer
was lost gets that answer, not `not_allowed`). Redirects are not followed (they would carry our
credentials elsewhere).

Logs name the operation, attempt and status only: never URLs (they hold customer ids), bodies or
headers.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import uuid
from decimal import Decimal
from typing import Any, TypeVar
from urllib.parse import quote

import aiohttp
from yarl import URL

from bot.banking.core import (
    Account,
    Balance,
    BankingError,
    Card,
    Customer,
    Device,
    Hold,
    Limits,
    LoginAttempt,
    Loan,
    NotAllowed,
    NotFound,
    Sip,
    Transaction,
    TxnStatus,
)
from bot.banking.wire import (
    WireError,
    check_days,
    check_page,
    check_reason,
    check_status,
    decimal_from_wire,
    from_wire,
)

log = logging.getLogger(__name__)
T = TypeVar("T")

RETRYABLE_STATUSES = frozenset({429, 502, 503, 504})
MAX_RETRIES = 5
MAX_BACKOFF_S = 2.0
MAX_BODY_BYTES = 4 * 1024 * 1024
_ID = re.compile(r"[A-Za-z0-9_.:@+=-]{1,64}")
_ERROR_CODE = re.compile(r"[a-z][a-z0-9_]{0,39}")


class HttpCoreBanking:
    """CoreBanking client for the REST contract above. The session is shared and owned by the caller."""

    def __init__(
        self,
        base_url: str,
        *,
        session: aiohttp.ClientSession,
        auth_header: tuple[str, str] | None,
        timeout_s: float = 5.0,
        retries: int = 2,
        backoff_s: float = 0.2,
    ):
        if not base_url.startswith(("https://", "http://")):
            raise ValueError("base_url must be an http(s) URL")
        if not 0 <= retries <= MAX_RETRIES:
            raise ValueError(f"retries must be in 0..{MAX_RETRIES}")
        if not timeout_s > 0 or backoff_s < 0:
            raise ValueError("timeout_s must be > 0 and backoff_s >= 0")
        self._base = base_url.rstrip("/")
        self._session = session
        self._auth = auth_header
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._retries = retries
        self._backoff = backoff_s

    async def close(self) -> None:
        """Nothing to release: the HTTP session belongs to the application, which closes it."""

    # -- CoreBanking -----------------------------------------------------------------------------

    async def find_customer(self, identifier: str) -> Customer | None:
        text = identifier.strip() if isinstance(identifier, str) else ""
        if not text or len(text) > 40:
            return None
        try:
            data = await self._call("find_customer", "POST", "/customers/lookup", body={"identifier": text})
        except NotFound:
            return None
        return self._one("find_customer", Customer, data)

    async def get_customer(self, customer_id: str) -> Customer:
        return self._one("get_customer", Customer, await self._get("get_customer", self._c(customer_id)))

    async def list_accounts(self, customer_id: str) -> list[Account]:
        return await self._items("list_accounts", Account, self._c(customer_id, "accounts"))

    async def get_balance(self, customer_id: str, account_id: str) -> Balance:
        data = await self._get("get_balance", self._a(customer_id, account_id, "balance"))
        return self._one("get_balance", Balance, data)

    async def list_holds(self, customer_id: str, account_id: str) -> list[Hold]:
        return await self._items("list_holds", Hold, self._a(customer_id, account_id, "holds"))

    async def get_limits(self, customer_id: str, account_id: str) -> Limits:
        data = await self._get("get_limits", self._a(customer_id, account_id, "limits"))
        return self._one("get_limits", Limits, data)

    async def list_transactions(
        self, customer_id: str, account_id: str, *, limit: int = 10, status: TxnStatus | None = None
    ) -> list[Transaction]:
        params = {"limit": str(check_page(limit))}
        if check_status(status) is not None:
            params["status"] = status
        path = self._a(customer_id, account_id, "transactions")
        return await self._items("list_transactions", Transaction, path, params)

    async def spend_by_category(
        self, customer_id: str, account_id: str, *, days: int = 30
    ) -> dict[str, Decimal]:
        params = {"days": str(check_days(days))}
        data = await self._get("spend_by_category", self._a(customer_id, account_id, "spend"), params)
        categories = data.get("categories") if isinstance(data, dict) else None
        if not isinstance(categories, dict):
            raise BankingError("malformed response from core banking for spend_by_category")
        try:
            return {str(k): decimal_from_wire(v, "categories") for k, v in categories.items()}
        except WireError as e:
            raise BankingError(f"malformed response from core banking for spend_by_category ({e})") from None

    async def list_cards(self, customer_id: str) -> list[Card]:
        return await self._items("list_cards", Card, self._c(customer_id, "cards"))

    async def block_card(self, customer_id: str, card_id: str, reason: str) -> Card:
        body = {"reason": check_reason(reason)}
        data = await self._call("block_card", "POST", self._card(customer_id, card_id, "block"), body=body)
        return self._one("block_card", Card, data)

    async def unblock_card(self, customer_id: str, card_id: str) -> Card:
        data = await self._call("unblock_card", "POST", self._card(customer_id, card_id, "unblock"), body={})
        return self._one("unblock_card", Card, data)

    async def unlock_access(self, customer_id: str, account_id: str) -> Account:
        data = await self._call("unlock_access", "POST", self._a(customer_id, account_id, "unlock"), body={})
        return self._one("unlock_access", Account, data)

    async def list_devices(self, customer_id: str) -> list[Device]:
        return await self._items("list_devices", Device, self._c(customer_id, "devices"))

    async def list_login_attempts(self, customer_id: str, *, limit: int = 10) -> list[LoginAttempt]:
        params = {"limit": str(check_page(limit))}
        return await self._items("list_login_attempts", LoginAttempt, self._c(customer_id, "login-attempts"),
                                 params)

    async def list_loans(self, customer_id: str) -> list[Loan]:
        return await self._items("list_loans", Loan, self._c(customer_id, "loans"))

    async def list_sips(self, customer_id: str) -> list[Sip]:
        return await self._items("list_sips", Sip, self._c(customer_id, "sips"))

    # -- paths and decoding ----------------------------------------------------------------------

    @staticmethod
    def _seg(value: str) -> str:
        # An id that cannot exist cannot be this customer's: same answer as the demo bank gives.
        if not isinstance(value, str) or not _ID.fullmatch(value) or value in (".", ".."):
            raise NotFound("no such record")
        return quote(value, safe="")

    def _c(self, customer_id: str, *rest: str) -> str:
        return "/".join(("/customers", self._seg(customer_id), *rest))

    def _a(self, customer_id: str, account_id: str, what: str) -> str:
        return self._c(customer_id, "accounts", self._seg(account_id), what)

    def _card(self, customer_id: str, card_id: str, action: str) -> str:
        return self._c(customer_id, "cards", self._seg(card_id), action)

    @staticmethod
    def _one(op: str, cls: type[T], data: Any) -> T:
        try:
            return from_wire(cls, data)
        except WireError as e:
            raise BankingError(f"malformed response from core banking for {op} ({e})") from None

    async def _items(self, op: str, cls: type[T], path: str, params: dict[str, str] | None = None) -> list[T]:
        data = await self._get(op, path, params)
        items = data.get("items") if isinstance(data, dict) else None
        if not isinstance(items, list):
            raise BankingError(f"malformed response from core banking for {op} (no items list)")
        return [self._one(op, cls, item) for item in items]

    async def _get(self, op: str, path: str, params: dict[str, str] | None = None) -> Any:
        return await self._call(op, "GET", path, params=params)

    # -- transport -------------------------------------------------------------------------------

    async def _call(
        self, op: str, method: str, path: str, *, params: dict[str, str] | None = None, body: Any = None
    ) -> Any:
        headers = {"Accept": "application/json"}
        if self._auth is not None:
            headers[self._auth[0]] = self._auth[1]
        if method == "POST":
            headers["Idempotency-Key"] = uuid.uuid4().hex  # one per call, reused by its retries
        url = URL(self._base + path, encoded=True)
        attempts = self._retries + 1
        for attempt in range(1, attempts + 1):
            retry_after: float | None = None
            try:
                async with self._session.request(
                    method, url, params=params, json=body, headers=headers,
                    timeout=self._timeout, allow_redirects=False,
                ) as resp:
                    if resp.status in RETRYABLE_STATUSES:
                        failure = f"HTTP {resp.status}"
                        retry_after = _retry_after(resp.headers.get("Retry-After"))
                    else:
                        return await self._interpret(op, resp)
            except (aiohttp.ClientConnectionError, aiohttp.ClientPayloadError, TimeoutError) as e:
                failure = type(e).__name__
            if attempt == attempts:
                break
            delay = min(MAX_BACKOFF_S, max(self._backoff * 2 ** (attempt - 1), retry_after or 0.0))
            log.warning("core banking %s: attempt %d/%d failed (%s); retrying in %.2fs",
                        op, attempt, attempts, failure, delay)
            await asyncio.sleep(delay)
        log.error("core banking %s: giving up after %d attempts (%s)", op, attempts, failure)
        raise BankingError(f"core banking unavailable for {op} after {attempts} attempts ({failure})")

    async def _interpret(self, op: str, resp: aiohttp.ClientResponse) -> Any:
        status = resp.status
        data = await _read_json(resp, op)
        if 200 <= status < 300:
            if data is _INVALID or data is None:
                raise BankingError(f"malformed response from core banking for {op} (not JSON)")
            return data
        code = data.get("error") if isinstance(data, dict) else None
        code = code if isinstance(code, str) and _ERROR_CODE.fullmatch(code) else None
        if status == 404 and code == "not_found":
            raise NotFound(f"{op}: not found")
        if status == 409 and code == "not_allowed":
            raise NotAllowed(f"core banking does not allow {op} for this record (409)")
        if status in (401, 403):
            raise BankingError(f"core banking rejected our credentials for {op} (HTTP {status})")
        if 300 <= status < 400:
            raise BankingError(f"core banking redirected {op} (HTTP {status}); redirects are not followed")
        if status == 404:
            raise BankingError(f"core banking has no endpoint for {op} (HTTP 404 without not_found); "
                               "check the base URL")
        suffix = f": {code}" if code else ""
        if 400 <= status < 500:
            raise BankingError(f"core banking refused {op} (HTTP {status}{suffix})")
        raise BankingError(f"core banking failed {op} (HTTP {status}{suffix})")


_INVALID = object()


async def _read_json(resp: aiohttp.ClientResponse, op: str) -> Any:
    """The body as JSON, `None` when empty, `_INVALID` when not JSON; bounded in size."""
    body = bytearray()
    async for chunk in resp.content.iter_chunked(64 * 1024):
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise BankingError(f"core banking response for {op} is larger than {MAX_BODY_BYTES} bytes")
    if not body:
        return None
    try:
        return json.loads(body)
    except ValueError:
        return _INVALID


def _retry_after(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None  # an HTTP-date: fall back to our own backoff
    return seconds if 0 <= seconds < float("inf") else None
