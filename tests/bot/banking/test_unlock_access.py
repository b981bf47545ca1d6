"""unlock_access: lifting a self-service-resolvable account block, on the demo bank and over HTTP."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, datetime

import aiohttp
import pytest
from bank_api_server import AUTH, PREFIX, Faults, make_app

from bot.banking.core import BankingError, NotAllowed, NotFound
from bot.banking.demo import DemoBank
from bot.banking.demo_seed import AUTO_RESOLVABLE_REASONS, REASON_KYC_EXPIRED, REASON_SUSPECTED_FRAUD
from bot.banking.http import HttpCoreBanking

NOW = datetime(2025, 1, 15, 10, 30, tzinfo=UTC)
WRONG_PIN = ("CUST_100102", "ACC_100102_1")  # blocked: too many wrong PIN attempts
KYC_EXPIRED = ("CUST_100104", "ACC_100104_1")
SUSPECTED_FRAUD = ("CUST_100110", "ACC_100110_1")
COURT_ORDER = ("CUST_100107", "ACC_100107_1")  # frozen
DORMANT = ("CUST_100111", "ACC_100111_1")
ACTIVE = ("CUST_789123", "ACC_789123_1")


@pytest.fixture
async def bank(tmp_path):
    b = await DemoBank.open(tmp_path / "bank.db", now=NOW)
    yield b
    await b.close()


async def _account(bank: DemoBank, customer_id: str, account_id: str):
    [account] = [a for a in await bank.list_accounts(customer_id) if a.account_id == account_id]
    return account


# -- the demo bank -----------------------------------------------------------------------------------


async def test_wrong_pin_block_is_lifted_and_stays_lifted(bank, tmp_path):
    before = await _account(bank, *WRONG_PIN)
    assert before.status == "blocked" and before.status_reason in AUTO_RESOLVABLE_REASONS
    unlocked = await bank.unlock_access(*WRONG_PIN)
    assert (unlocked.status, unlocked.status_reason) == ("active", "")
    assert unlocked == dataclasses.replace(before, status="active", status_reason="")
    assert await _account(bank, *WRONG_PIN) == unlocked
    reopened = await DemoBank.open(tmp_path / "bank.db", now=NOW)
    try:
        assert await _account(reopened, *WRONG_PIN) == unlocked
    finally:
        await reopened.close()


@pytest.mark.parametrize("record", [KYC_EXPIRED, SUSPECTED_FRAUD, COURT_ORDER, DORMANT, ACTIVE],
                         ids=["kyc-expired", "suspected-fraud", "court-order", "dormant", "active"])
async def test_blocks_only_the_bank_can_lift_are_refused_and_unchanged(bank, record):
    before = await _account(bank, *record)
    with pytest.raises(NotAllowed) as e:
        await bank.unlock_access(*record)
    assert isinstance(e.value, BankingError) and not isinstance(e.value, NotFound)
    assert await _account(bank, *record) == before


async def test_kyc_and_fraud_blocks_keep_their_reasons(bank):
    for record, reason in ((KYC_EXPIRED, REASON_KYC_EXPIRED), (SUSPECTED_FRAUD, REASON_SUSPECTED_FRAUD)):
        with pytest.raises(NotAllowed):
            await bank.unlock_access(*record)
        account = await _account(bank, *record)
        assert (account.status, account.status_reason) == ("blocked", reason)


async def test_another_customers_account_is_not_found_and_left_blocked(bank):
    with pytest.raises(NotFound):
        await bank.unlock_access("CUST_789123", WRONG_PIN[1])
    with pytest.raises(NotFound):
        await bank.unlock_access("CUST_000000", WRONG_PIN[1])
    with pytest.raises(NotFound):
        await bank.unlock_access(WRONG_PIN[0], "ACC_000000_9")
    assert (await _account(bank, *WRONG_PIN)).status == "blocked"


async def test_unlocking_twice_the_second_is_not_allowed(bank):
    await bank.unlock_access(*WRONG_PIN)
    with pytest.raises(NotAllowed):
        await bank.unlock_access(*WRONG_PIN)
    assert (await _account(bank, *WRONG_PIN)).status == "active"


async def test_concurrent_unlocks_from_two_connections_one_wins(tmp_path, bank):
    # A second DemoBank on the same file stands in for a second gateway process.
    other = await DemoBank.open(tmp_path / "bank.db", now=NOW)
    try:
        results = await asyncio.gather(bank.unlock_access(*WRONG_PIN), other.unlock_access(*WRONG_PIN),
                                       bank.unlock_access(*WRONG_PIN), return_exceptions=True)
    finally:
        await other.close()
    assert sum(not isinstance(r, Exception) for r in results) == 1
    assert sum(isinstance(r, NotAllowed) for r in results) == 2


# -- over HTTP, against the local REST stand-in ---------------------------------------------------


@pytest.fixture
async def session():
    async with aiohttp.ClientSession() as s:
        yield s


@pytest.fixture
def faults():
    return Faults()


@pytest.fixture
async def http(aiohttp_server, bank, faults, session):
    server = await aiohttp_server(make_app(bank, faults=faults))
    return HttpCoreBanking(str(server.make_url(PREFIX)), session=session, auth_header=AUTH, backoff_s=0.01)


async def test_http_unlock_round_trips(http, bank, faults):
    unlocked = await http.unlock_access(*WRONG_PIN)
    assert (unlocked.status, unlocked.status_reason) == ("active", "")
    assert await _account(bank, *WRONG_PIN) == unlocked
    [seen] = faults.seen
    assert (seen.method, seen.path) == ("POST", f"{PREFIX}/customers/CUST_100102/accounts/ACC_100102_1/unlock")
    assert seen.idempotency_key


@pytest.mark.parametrize("record", [KYC_EXPIRED, SUSPECTED_FRAUD])
async def test_http_refusal_is_not_allowed(http, bank, record):
    with pytest.raises(NotAllowed) as e:
        await http.unlock_access(*record)
    assert "unlock_access" in str(e.value)
    assert (await _account(bank, *record)).status == "blocked"


async def test_http_another_customers_account_is_not_found(http, bank):
    with pytest.raises(NotFound):
        await http.unlock_access("CUST_789123", WRONG_PIN[1])
    with pytest.raises(NotFound):
        await http.unlock_access(WRONG_PIN[0], "../ACC_100102_1")  # never reaches the server as a path
    assert (await _account(bank, *WRONG_PIN)).status == "blocked"


async def test_http_unlocking_twice_the_second_is_not_allowed(http, faults):
    await http.unlock_access(*WRONG_PIN)
    with pytest.raises(NotAllowed):
        await http.unlock_access(*WRONG_PIN)
    first, second = faults.seen
    assert first.idempotency_key != second.idempotency_key  # two calls, not a retry


async def test_http_unlock_whose_answer_was_lost_returns_the_original_result(http, bank, faults):
    # The bank unlocks, the answer is lost, the retry (same Idempotency-Key) gets the original
    # success rather than "not allowed" for an account that is now active.
    faults.script = [("after", 503)]
    unlocked = await http.unlock_access(*WRONG_PIN)
    assert unlocked.status == "active" and len(faults.seen) == 2
    assert faults.seen[0].idempotency_key == faults.seen[1].idempotency_key


async def test_http_a_409_without_not_allowed_is_a_plain_banking_error(http, bank, faults):
    faults.script = [409]  # answered by something else before the bank saw it
    with pytest.raises(BankingError) as e:
        await http.unlock_access(*WRONG_PIN)
    assert not isinstance(e.value, (NotAllowed, NotFound)) and "409" in str(e.value)
    assert len(faults.seen) == 1
    assert (await _account(bank, *WRONG_PIN)).status == "blocked"
