"""JSON <-> CoreBanking dataclasses, in one place.

Both the HTTP adapter (decoding a bank's answers) and the test API server (encoding the demo bank's
answers) use these functions, so the wire format cannot drift between the two sides.

Wire rules (the REST contract in `http.py` refers to them):
- money and other decimals are JSON strings in plain notation ("1234.50", "152.3456"); JSON numbers
  are refused for them because a float cannot carry paise exactly;
- datetimes are ISO-8601 strings with an offset ("2025-01-15T10:30:00+00:00"; "Z" accepted);
  they are decoded to timezone-aware UTC datetimes and naive ones are refused;
- `X | None` fields are JSON null or an X; unknown extra keys are ignored (a bank may add fields),
  missing keys are an error (our dataclasses have no defaults on purpose).

Errors raise `WireError` naming the class and field, never the value: values are customer data.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any, Literal, TypeVar, Union

from bot.banking.core import TxnStatus

T = TypeVar("T")

# Bounds shared by both CoreBanking implementations and the REST contract: bounded everything.
MAX_PAGE = 100
MAX_DAYS = 366
MAX_REASON = 200


class WireError(ValueError):
    """A payload does not match the dataclass it should decode into."""


def check_page(limit: int) -> int:
    """Validate a `limit` argument (1..MAX_PAGE); a bad value is a programming error."""
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_PAGE:
        raise ValueError(f"limit must be an int in 1..{MAX_PAGE}")
    return limit


def check_days(days: int) -> int:
    """Validate a `days` window (1..MAX_DAYS)."""
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_DAYS:
        raise ValueError(f"days must be an int in 1..{MAX_DAYS}")
    return days


_TXN_STATUSES = typing.get_args(TxnStatus)


def check_status(status: TxnStatus | None) -> TxnStatus | None:
    """Validate a transaction-status filter (None means all)."""
    if status is not None and status not in _TXN_STATUSES:
        raise ValueError(f"status must be one of {', '.join(_TXN_STATUSES)} or None")
    return status


def check_reason(reason: str) -> str:
    """Validate a card-block reason: non-empty, at most MAX_REASON characters; returns it stripped."""
    if not isinstance(reason, str) or not reason.strip() or len(reason) > MAX_REASON:
        raise ValueError(f"reason must be a non-empty string of at most {MAX_REASON} characters")
    return reason.strip()


def decimal_to_wire(value: Decimal) -> str:
    if not isinstance(value, Decimal) or not value.is_finite():
        raise WireError("expected a finite Decimal")
    return format(value, "f")  # never "1E+3"


def decimal_from_wire(value: Any, where: str = "value") -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise WireError(f"{where}: expected a decimal string")
    try:
        result = Decimal(value)
    except InvalidOperation:
        raise WireError(f"{where}: not a decimal") from None
    if not result.is_finite():
        raise WireError(f"{where}: not a finite decimal")
    return result


def datetime_to_wire(value: datetime) -> str:
    if value.tzinfo is None:
        raise WireError("naive datetime cannot go on the wire")
    return value.isoformat()


def datetime_from_wire(value: Any, where: str = "value") -> datetime:
    if not isinstance(value, str):
        raise WireError(f"{where}: expected an ISO-8601 string")
    try:
        result = datetime.fromisoformat(value)
    except ValueError:
        raise WireError(f"{where}: not an ISO-8601 datetime") from None
    if result.tzinfo is None:
        raise WireError(f"{where}: datetime has no UTC offset")
    return result.astimezone(UTC)


def to_wire(obj: Any) -> dict[str, Any]:
    """A CoreBanking dataclass instance -> a JSON-ready dict."""
    if not dataclasses.is_dataclass(obj) or isinstance(obj, type):
        raise WireError("to_wire expects a dataclass instance")
    return {f.name: _encode(getattr(obj, f.name)) for f in dataclasses.fields(obj)}


def _encode(value: Any) -> Any:
    if isinstance(value, Decimal):
        return decimal_to_wire(value)
    if isinstance(value, datetime):
        return datetime_to_wire(value)
    if isinstance(value, dict):
        return {str(k): _encode(v) for k, v in value.items()}
    if value is None or isinstance(value, (str, int, bool)):
        return value
    raise WireError(f"cannot encode {type(value).__name__}")


def from_wire(cls: type[T], data: Any) -> T:
    """A decoded JSON object -> an instance of the CoreBanking dataclass `cls`."""
    if not isinstance(data, dict):
        raise WireError(f"{cls.__name__}: expected a JSON object")
    kwargs = {}
    for name, tp in _hints(cls).items():
        if name not in data:
            raise WireError(f"{cls.__name__}.{name}: missing")
        kwargs[name] = _decode(tp, data[name], f"{cls.__name__}.{name}")
    return cls(**kwargs)


@cache
def _hints(cls: type) -> dict[str, Any]:
    # core.py uses `from __future__ import annotations`; resolve the strings once per class.
    hints = typing.get_type_hints(cls)
    return {f.name: hints[f.name] for f in dataclasses.fields(cls)}


def _decode(tp: Any, value: Any, where: str) -> Any:
    origin = typing.get_origin(tp)
    if origin in (Union, types.UnionType):
        args = typing.get_args(tp)
        if value is None and type(None) in args:
            return None
        rest = [a for a in args if a is not type(None)]
        if len(rest) != 1:
            raise WireError(f"{where}: unsupported union")
        return _decode(rest[0], value, where)
    if origin is Literal:
        if value not in typing.get_args(tp) or not isinstance(value, str):
            raise WireError(f"{where}: not an allowed value")
        return value
    if origin is dict:
        key_t, val_t = typing.get_args(tp)
        if not isinstance(value, dict):
            raise WireError(f"{where}: expected an object")
        return {_decode(key_t, k, where): _decode(val_t, v, where) for k, v in value.items()}
    if tp is Decimal:
        return decimal_from_wire(value, where)
    if tp is datetime:
        return datetime_from_wire(value, where)
    if tp is bool:
        if not isinstance(value, bool):
            raise WireError(f"{where}: expected a boolean")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise WireError(f"{where}: expected an integer")
        return value
    if tp is str:
        if not isinstance(value, str):
            raise WireError(f"{where}: expected a string")
        return value
    raise WireError(f"{where}: unsupported type")
