"""HttpCoreBanking against a real local HTTP server that serves the REST contract from a DemoBank."""

from __future__ import annotations

from datetime import UTC, datetime

import aiohttp
import pytest
from bank_api_server import AUTH, PREFIX, Faults, make_app

from bot.banking.core import BankingError, CoreBanking, NotFound
from bot.banking.demo import DemoBank
from bot.banking.http import HttpCoreBanking

NOW = datetime(2025, 1, 15, 10, 30, tzinfo=UTC)
RAJESH = "CUST_789123"


@pytest.fixture
async def bank(tmp_path):
    b = await DemoBank.open(tmp_path / "bank.db", now=NOW)
    yield b
    await b.close()


@pytest.fixture
async def session():
    async with aiohttp.ClientSession() as s:
        yield s


@pytest.fixture
def faults():
    return Faults()


@pytest.fixture
async def server(aiohttp_server, bank, faults):
    return await aiohttp_server(make_app(bank, faults=faults))


def _adapter(server, session, **kw) -> HttpCoreBanking:
    kw.setdefault("auth_header", AUTH)
    kw.setdefault("backoff_s", 0.01)
    return HttpCoreBanking(str(server.make_url(PREFIX)), session=session, **kw)


async def test_every_method_round_trips_to_the_demo_banks_answer(server, session, bank):
    http = _adapter(server, session)
    assert isinstance(http, CoreBanking)
    for customer in await bank.customers():
        cid = customer.customer_id
        assert await http.find_customer(customer.mobile) == customer
        assert await http.find_customer(cid.lower()) == customer
        assert await http.get_customer(cid) == customer
        accounts = await http.list_accounts(cid)
        assert accounts == await bank.list_accounts(cid)
        for a in accounts:
            aid = a.account_id
            assert await http.get_balance(cid, aid) == await bank.get_balance(cid, aid)
            assert await http.list_holds(cid, aid) == await bank.list_holds(cid, aid)
            assert await http.get_limits(cid, aid) == await bank.get_limits(cid, aid)
            assert await http.list_transactions(cid, aid) == await bank.list_transactions(cid, aid)
            assert await http.list_transactions(cid, aid, limit=100) == await bank.list_transactions(
                cid, aid, limit=100)
            assert await http.list_transactions(cid, aid, status="pending") == await bank.list_transactions(
                cid, aid, status="pending")
            spend = await http.spend_by_category(cid, aid, days=45)
            assert spend == await bank.spend_by_category(cid, aid, days=45)
            assert list(spend) == list(await bank.spend_by_category(cid, aid, days=45))
        assert await http.list_cards(cid) == await bank.list_cards(cid)
        assert await http.list_devices(cid) == await bank.list_devices(cid)
        assert await http.list_login_attempts(cid, limit=3) == await bank.list_login_attempts(cid, limit=3)
        assert await http.list_loans(cid) == await bank.list_loans(cid)
        assert await http.list_sips(cid) == await bank.list_sips(cid)
    assert await http.find_customer("+91-98123-45678") == await bank.find_customer(RAJESH)
    assert await http.find_customer("+919000000000") is None
    await http.close()


async def test_block_and_unblock_round_trip(server, session, bank):
    http = _adapter(server, session)
    blocked = await http.block_card(RAJESH, "CRD_789123_1", "lost my wallet")
    assert blocked.status == "blocked"
    assert (await bank.list_cards(RAJESH))[0] == blocked
    unblocked = await http.unblock_card(RAJESH, "CRD_789123_1")
    assert unblocked.status == "active" and (await bank.list_cards(RAJESH))[0] == unblocked


async def test_auth_header_is_sent_and_a_wrong_one_is_a_banking_error(server, session, faults):
    await _adapter(server, session).get_customer(RAJESH)
    assert faults.seen[-1].auth == AUTH[1]
    faults.seen.clear()
    wrong = _adapter(server, session, auth_header=("Authorization", "Bearer wrong"))
    with pytest.raises(BankingError) as e:
        await wrong.get_customer(RAJESH)
    assert not isinstance(e.value, NotFound) and "401" in str(e.value)
    assert len(faults.seen) == 1  # a credentials problem is not retried
    with pytest.raises(BankingError):
        await _adapter(server, session, auth_header=None).find_customer("9812345678")


async def test_503_then_200_succeeds_after_a_retry(server, session, faults):
    faults.script = [503]
    customer = await _adapter(server, session).get_customer(RAJESH)
    assert customer.name == "Rajesh Kumar" and len(faults.seen) == 2


async def test_429_with_retry_after_is_retried(server, session, faults):
    faults.script = [429, 502]
    assert await _adapter(server, session).list_cards(RAJESH)
    assert len(faults.seen) == 3


@pytest.mark.parametrize("retries", [0, 2])
async def test_always_503_gives_banking_error_after_retries_plus_one_attempts(server, session, faults, retries):
    faults.always = 503
    with pytest.raises(BankingError) as e:
        await _adapter(server, session, retries=retries).list_accounts(RAJESH)
    assert "unavailable" in str(e.value)
    assert len(faults.seen) == retries + 1


async def test_a_slow_server_times_out_as_banking_error(server, session, faults):
    faults.always = ("sleep", 1.0)
    http = _adapter(server, session, timeout_s=0.1, retries=1)
    with pytest.raises(BankingError) as e:
        await http.get_balance(RAJESH, "ACC_789123_1")
    assert "TimeoutError" in str(e.value) and len(faults.seen) == 2


async def test_a_timeout_then_a_prompt_answer_succeeds(server, session, faults):
    faults.script = [("sleep", 1.0)]
    http = _adapter(server, session, timeout_s=0.2, retries=1)
    assert (await http.get_balance(RAJESH, "ACC_789123_1")).account_id == "ACC_789123_1"


async def test_post_retried_after_503_keeps_its_idempotency_key(server, session, faults, bank):
    faults.script = [503]
    card = await _adapter(server, session).block_card(RAJESH, "CRD_789123_1", "lost")
    assert card.status == "blocked"
    first, second = faults.seen
    assert first.method == second.method == "POST"
    assert first.idempotency_key and first.idempotency_key == second.idempotency_key
    await _adapter(server, session).unblock_card(RAJESH, "CRD_789123_1")
    assert faults.seen[-1].idempotency_key != first.idempotency_key  # a new call, a new key


async def test_post_whose_answer_was_lost_is_applied_once(server, session, faults, bank):
    faults.script = [("after", 503)]  # the server blocks the card, then the response is lost
    card = await _adapter(server, session).block_card(RAJESH, "CRD_789123_1", "lost")
    assert card.status == "blocked" and len(faults.seen) == 2
    assert faults.seen[0].idempotency_key == faults.seen[1].idempotency_key


async def test_another_customers_card_or_account_is_not_found(server, session):
    http = _adapter(server, session)
    with pytest.raises(NotFound):
        await http.block_card(RAJESH, "CRD_100101_1", "lost")
    with pytest.raises(NotFound):
        await http.get_balance(RAJESH, "ACC_100101_1")
    with pytest.raises(NotFound):
        await http.get_customer("CUST_000000")
    with pytest.raises(NotFound):
        await http.list_cards("../admin")  # never reaches the server as a path


async def test_refusal_is_a_banking_error(server, session):
    with pytest.raises(BankingError) as e:
        await _adapter(server, session).unblock_card("CUST_100110", "CRD_100110_1")
    assert not isinstance(e.value, NotFound) and "409" in str(e.value)


async def test_a_404_without_not_found_body_is_not_a_missing_customer(server, session):
    wrong_base = HttpCoreBanking(str(server.make_url("/wrong")), session=session, auth_header=AUTH)
    with pytest.raises(BankingError) as e:
        await wrong_base.find_customer("9812345678")
    assert not isinstance(e.value, NotFound)


async def test_connection_refused_is_retried_then_a_banking_error(session, unused_tcp_port):
    http = HttpCoreBanking(f"http://127.0.0.1:{unused_tcp_port}", session=session, auth_header=AUTH,
                           retries=1, backoff_s=0.01)
    with pytest.raises(BankingError) as e:
        await http.get_customer(RAJESH)
    assert "after 2 attempts" in str(e.value)


async def test_constructor_bounds(session):
    with pytest.raises(ValueError):
        HttpCoreBanking("ftp://x", session=session, auth_header=None)
    with pytest.raises(ValueError):
        HttpCoreBanking("http://x", session=session, auth_header=None, retries=50)
