"""The customer profile store (remembered language) and case teams, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio

from bot.stores.cases import Cases
from bot.stores.profiles import Profiles


async def test_a_language_is_remembered_and_replaced_per_customer(sql_db):
    profiles = Profiles(sql_db)
    await profiles.setup()
    await profiles.setup()  # idempotent: every start-up runs it
    assert await profiles.language("CUST_789123") is None
    await profiles.set_language("CUST_789123", "hi")
    await profiles.set_language("CUST_100101", "ta")
    await profiles.set_language("CUST_789123", "en")
    assert await profiles.language("CUST_789123") == "en"
    assert await profiles.language("CUST_100101") == "ta"
    # Concurrent upserts of one customer leave exactly one row holding one of the values.
    await asyncio.gather(*(profiles.set_language("CUST_100102", lang) for lang in ("hi", "mr", "bn", "ta")))
    assert await profiles.language("CUST_100102") in ("hi", "mr", "bn", "ta")
    rows = await sql_db.fetchall("SELECT COUNT(*) FROM customer_profiles WHERE customer_id = ?", ("CUST_100102",))
    assert rows[0][0] == 1


async def test_case_teams_are_stored_and_filter_the_queue(sql_db):
    cases = Cases(sql_db)
    await cases.setup()
    fraud = await cases.open_case(kind="fraud", channel="web", conversation="web:a", customer_id="C",
                                  reason="suspected_fraud", priority="urgent", team="fraud")
    await cases.open_case(kind="escalation", channel="web", conversation="web:b", customer_id="C",
                          reason="customer_request")
    assert (await cases.get(fraud.reference)).team == "fraud"
    assert [c.reference for c in await cases.queue(kind="fraud", team="fraud")] == [fraud.reference]
    assert await cases.queue(kind="fraud", team="cards") == []
    assert [c.team for c in await cases.queue()] == ["support"]  # the default team


async def test_an_older_sqlite_cases_table_gains_the_team_column(tmp_path):
    from bot.stores.sql import SqliteDb

    sql_db = await SqliteDb.open(tmp_path / "old.sqlite")
    await sql_db.script(Cases.DDL["sqlite"])
    await sql_db.execute("INSERT INTO cases (reference, created_at, kind, channel, conversation, customer_id, "
                         "reason, status) VALUES ('ESC-1', 1.0, 'escalation', 'web', 'web:a', '', 'x', 'open')")
    cases = Cases(sql_db)
    await cases.setup()
    assert (await cases.get("ESC-1")).team == "support"
    await sql_db.close()
