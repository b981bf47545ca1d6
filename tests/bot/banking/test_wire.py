"""wire.py: the one JSON <-> dataclass mapping both sides of the REST contract use."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from bot.banking.core import Balance, Card, Hold
from bot.banking.wire import WireError, from_wire, to_wire

IST = timezone(timedelta(hours=5, minutes=30))
HOLD = Hold("HLD_1", "ACC_1", "lien", Decimal("2500.00"), "lien", datetime(2025, 1, 15, 4, 0, tzinfo=UTC), None)


def test_round_trip_keeps_decimals_datetimes_and_none():
    wire = to_wire(HOLD)
    assert wire["amount"] == "2500.00" and wire["expires_at"] is None
    assert wire["placed_at"] == "2025-01-15T04:00:00+00:00"
    assert from_wire(Hold, wire) == HOLD


def test_big_and_small_decimals_stay_in_plain_notation():
    balance = Balance("A", Decimal("1E+7").quantize(Decimal("0.01")), Decimal("0.00"), "INR",
                      datetime(2025, 1, 1, tzinfo=UTC))
    assert to_wire(balance)["ledger"] == "10000000.00"


def test_offsets_are_normalised_to_utc_and_z_is_accepted():
    wire = to_wire(HOLD) | {"placed_at": "2025-01-15T09:30:00+05:30", "expires_at": "2025-01-16T00:00:00Z"}
    hold = from_wire(Hold, wire)
    assert hold.placed_at == HOLD.placed_at and hold.placed_at.tzinfo == UTC
    assert hold.expires_at == datetime(2025, 1, 16, tzinfo=UTC)


def test_unknown_keys_are_ignored():
    assert from_wire(Hold, to_wire(HOLD) | {"branch": "x"}) == HOLD


@pytest.mark.parametrize("change", [
    {"amount": 2500.0},  # a float cannot carry paise exactly
    {"amount": "NaN"},
    {"amount": "lots"},
    {"placed_at": "2025-01-15T04:00:00"},  # naive
    {"placed_at": "yesterday"},
    {"kind": "mortgage"},  # not in the Literal
    {"reason": None},
    {"hold_id": 7},
])
def test_bad_values_are_refused_naming_the_field_not_the_value(change):
    with pytest.raises(WireError) as e:
        from_wire(Hold, to_wire(HOLD) | change)
    [field] = change
    assert f"Hold.{field}" in str(e.value) and str(change[field]) not in str(e.value).replace(f"Hold.{field}", "")


def test_missing_field_and_wrong_shape():
    wire = to_wire(HOLD)
    del wire["reason"]
    with pytest.raises(WireError, match="Hold.reason: missing"):
        from_wire(Hold, wire)
    with pytest.raises(WireError):
        from_wire(Card, ["not", "an", "object"])


def test_naive_datetime_cannot_be_encoded():
    with pytest.raises(WireError):
        to_wire(Hold("H", "A", "lien", Decimal(1), "r", datetime(2025, 1, 1), None))
