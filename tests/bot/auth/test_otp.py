"""OTP rules from DESIGN.md, against the real SQLite store (and PostgreSQL in test_scale_out)."""

from __future__ import annotations

import asyncio

import pytest

from bot.auth.otp import OtpSendLimit, OtpService, OtpUnavailable
from bot.stores.sql import SqliteDb


@pytest.fixture
async def otp(tmp_path):
    db = await SqliteDb.open(tmp_path / "otp.sqlite")
    service = OtpService(db, b"s" * 40, ttl_s=300, max_checks=3, max_sends=3)
    await service.setup()
    yield service
    await db.close()


async def test_code_is_six_digits_and_single_use(otp):
    code = await otp.issue("conv|CUST_1", subject="CUST_1")
    assert len(code) == 6 and code.isdigit()
    assert (await otp.verify("conv|CUST_1", code)).outcome == "ok"
    assert (await otp.verify("conv|CUST_1", code)).outcome == "none"  # used


async def test_stored_only_as_keyed_hash(otp, tmp_path):
    code = await otp.issue("conv|CUST_1", subject="CUST_1")
    rows = await otp._db.fetchall("SELECT key, code_hash FROM otp")
    assert code not in repr(rows)
    other = OtpService(otp._db, b"t" * 40)  # another secret cannot verify the same row
    assert (await other.verify("conv|CUST_1", code)).outcome == "wrong"


async def test_bound_to_its_key(otp):
    code = await otp.issue("conv-a|CUST_1", subject="CUST_1")
    assert (await otp.verify("conv-b|CUST_1", code)).outcome == "none"
    assert (await otp.verify("conv-a|CUST_1", code)).outcome == "ok"


async def test_at_most_three_checks_then_locked_even_with_the_right_code(otp):
    code = await otp.issue("k", subject="CUST_1")
    wrong = "000000" if code != "000000" else "111111"
    assert [(await otp.verify("k", wrong)).checks_left for _ in range(2)] == [2, 1]
    assert (await otp.verify("k", wrong)).outcome == "locked"
    assert (await otp.verify("k", code)).outcome == "locked"


async def test_concurrent_guesses_are_each_counted(otp):
    await otp.issue("k", subject="CUST_1")
    results = await asyncio.gather(*(otp.verify("k", f"{i:06d}") for i in range(10)))
    counted = [r for r in results if r.outcome in ("wrong", "ok")]
    assert len(counted) <= 3  # never more than three checks, however many arrive at once


async def test_expired_code_is_refused(otp):
    code = await otp.issue("k", subject="CUST_1")
    await otp._db.execute("UPDATE otp SET expires_at = 0 WHERE key = ?", ("k",))
    assert (await otp.verify("k", code)).outcome == "expired"


async def test_sends_are_limited_per_customer_across_conversations(otp):
    # New chat sessions do not buy new codes: the limit follows the customer.
    for conversation in ("web:a", "web:b", "web:c"):
        await otp.issue(f"{conversation}|CUST_1", subject="CUST_1")
    with pytest.raises(OtpSendLimit):
        await otp.issue("web:d|CUST_1", subject="CUST_1")
    await otp.issue("web:d|CUST_2", subject="CUST_2")  # another customer is unaffected


async def test_store_failure_fails_closed(otp):
    code = await otp.issue("k", subject="CUST_1")
    await otp._db.close()
    with pytest.raises(OtpUnavailable):
        await otp.verify("k", code)


@pytest.mark.parametrize("attempt", ["", "12345", "1234567", "abcdef", " 12 34 56"])
async def test_malformed_codes_count_as_wrong(otp, attempt):
    await otp.issue("k", subject="CUST_1")
    assert (await otp.verify("k", attempt)).outcome == "wrong"
