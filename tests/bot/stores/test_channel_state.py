"""Channel state on SQLite and PostgreSQL: forward-only delivery statuses, opt-outs, contact windows."""

from __future__ import annotations

import pytest

from bot.stores.channel_state import ContactWindows, DeliveryStatuses, OptOuts
from bot.stores.sql import PostgresDb, SqliteDb
from conftest import fresh_postgres_database


@pytest.fixture
def db(sql_db):
    return sql_db


async def test_delivery_status_only_moves_forward(db):
    statuses = DeliveryStatuses(db)
    await statuses.setup()
    assert await statuses.record("whatsapp", "wamid.1", "+919812345678", "sent")
    assert await statuses.record("whatsapp", "wamid.1", "+919812345678", "read")
    assert not await statuses.record("whatsapp", "wamid.1", "+919812345678", "delivered")  # late
    assert not await statuses.record("whatsapp", "wamid.1", "+919812345678", "sent")  # later still
    assert await statuses.status("whatsapp", "wamid.1") == "read"
    assert not await statuses.record("whatsapp", "wamid.1", "+919812345678", "failed")
    with pytest.raises(ValueError, match="unknown delivery status"):
        await statuses.record("whatsapp", "wamid.1", "+919812345678", "teleported")


async def test_opt_out_and_back_in(db):
    opt_outs = OptOuts(db)
    await opt_outs.setup()
    assert not await opt_outs.is_opted_out("sms", "+919812345678")
    await opt_outs.opt_out("sms", "+919812345678")
    await opt_outs.opt_out("sms", "+919812345678")  # idempotent
    assert await opt_outs.is_opted_out("sms", "+919812345678")
    await opt_outs.opt_in("sms", "+919812345678")
    assert not await opt_outs.is_opted_out("sms", "+919812345678")


async def test_contact_window_keeps_the_latest(db):
    windows = ContactWindows(db)
    await windows.setup()
    await windows.touch("whatsapp", "+919812345678", 1000.0)
    await windows.touch("whatsapp", "+919812345678", 900.0)  # an old message arriving late
    assert await windows.last_inbound("whatsapp", "+919812345678") == 1000.0
    assert await windows.last_inbound("whatsapp", "+910000000000") is None
