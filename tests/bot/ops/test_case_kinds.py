"""Disputes and fraud alerts are cases too, each in its team's work list; the human queue stays the
escalations only, unless ops ask for another kind or one team."""

from __future__ import annotations

from bot.appkeys import STORES

TOKEN = "ops-token-0123456789abcdef-xyz"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


async def _list(client, **params) -> tuple[int, dict]:
    resp = await client.get("/ops/cases", params=params, headers=AUTH)
    return resp.status, await resp.json()


async def test_queue_filters_by_kind_and_team(gateway):
    client = await gateway(ops_token=TOKEN)
    cases = client.server.app[STORES].cases
    dispute = await cases.open_case(kind="dispute", channel="web", conversation="web:a", customer_id="CUST_789123",
                                    reason="transaction_dispute", priority="high", team="disputes")
    fraud = await cases.open_case(kind="fraud", channel="web", conversation="web:a", customer_id="CUST_789123",
                                  reason="suspected_fraud", priority="urgent", team="fraud")
    escalation = await cases.open_case(kind="escalation", channel="web", conversation="web:b", customer_id="",
                                       reason="customer_request", team="accounts")

    status, body = await _list(client)
    assert status == 200
    assert [c["reference"] for c in body["cases"]] == [escalation.reference]
    assert body["cases"][0]["team"] == "accounts" and body["cases"][0]["kind"] == "escalation"

    status, body = await _list(client, kind="dispute")
    assert [c["reference"] for c in body["cases"]] == [dispute.reference]
    status, body = await _list(client, kind="fraud", team="fraud")
    assert [c["reference"] for c in body["cases"]] == [fraud.reference]
    status, body = await _list(client, kind="fraud", team="support")
    assert body["cases"] == []

    status, body = await _list(client, kind="loans")
    assert status == 400 and body["error"] == "invalid_kind"
    status, body = await _list(client, team="Robert'); DROP TABLE cases;--")
    assert status == 400 and body["error"] == "invalid_team"
