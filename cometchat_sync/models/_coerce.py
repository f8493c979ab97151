"""Tolerant converters from wire JSON values to typed Python values.

The wire is not always consistent (ids as strings or numbers, missing fields, nulls); these
helpers never raise on a missing or odd value, they fall back to a default.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Optional

__all__ = [
    "as_bool",
    "as_dict",
    "as_int",
    "as_mapping",
    "as_opt_int",
    "as_opt_str",
    "as_str",
    "as_str_list",
    "safe_int",
    "safe_opt_int",
    "safe_opt_str",
    "safe_str",
    "safe_str_list",
]


def as_str(value: Any, default: str = "") -> str:
    if value is None:
        return default
    return value if isinstance(value, str) else str(value)


def as_opt_str(value: Any) -> Optional[str]:
    if value is None:
        return None
    return value if isinstance(value, str) else str(value)


def as_int(value: Any, default: int = 0) -> int:
    result = as_opt_int(value)
    return default if result is None else result


def as_opt_int(value: Any) -> Optional[int]:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            try:
                return int(float(value))
            except ValueError:
                return None
    return None


def as_dict(value: Any) -> dict[str, Any]:
    return dict(value) if isinstance(value, Mapping) else {}


def as_str_list(value: Any) -> list[str]:
    if isinstance(value, (list, tuple)):
        return [as_str(v) for v in value if v is not None]
    return []


# --- Never-raising variants (added for the message/event models and the frame router). ---
#
# ``as_opt_int`` raises on ``inf``/``nan`` (``json.loads("1e999")`` gives ``inf``) and
# ``as_str`` raises on ints beyond Python's int->str digit limit; the receive path must not.


_INT64 = 2**63


def safe_opt_int(value: Any) -> Optional[int]:
    """Like :func:`as_opt_int`, but ``None`` instead of raising on inf, nan or odd strings.

    Values outside the signed 64-bit range (no real id, count or timestamp is) are ``None``
    too, so a hostile payload cannot plant an int that later breaks ``str()``/``repr()``.
    """
    if value is None:
        return None
    if type(value) is int:  # the common case first
        result: Optional[int] = value
    else:
        try:
            result = as_opt_int(value)
        except (ValueError, OverflowError):
            return None
    if result is not None and not -_INT64 <= result < _INT64:
        return None
    return result


def safe_int(value: Any, default: int = 0) -> int:
    result = safe_opt_int(value)
    return default if result is None else result


def safe_str(value: Any, default: str = "") -> str:
    """Like :func:`as_str`, but only str and plain scalars are stringified; else ``default``."""
    if type(value) is str:
        return value
    if value is None:
        return default
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            return str(value)
        except ValueError:  # int too large to convert
            return default
    if isinstance(value, str):
        return str(value)
    return default


def safe_opt_str(value: Any) -> Optional[str]:
    if type(value) is str:
        return value
    if value is None:
        return None
    result = safe_str(value, "")
    return result if result or isinstance(value, str) else None


def safe_str_list(value: Any) -> list[str]:
    if isinstance(value, (list, tuple)):
        out = [safe_opt_str(v) for v in value]
        return [v for v in out if v is not None]
    return []


def as_bool(value: Any, default: bool = False) -> bool:
    """Wire booleans: true/false, 1/0 and the strings "true"/"false"/"1"/"0"."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value != 0
    if isinstance(value, str):
        low = value.strip().lower()
        if low in ("true", "1", "yes"):
            return True
        if low in ("false", "0", "no", ""):
            return False
    return default


def as_mapping(value: Any) -> Optional[Mapping[str, Any]]:
    """``value`` if it is a mapping, else ``None`` (no copy)."""
    if type(value) is dict:  # fast path: ABC isinstance checks are slow
        return value
    return value if isinstance(value, Mapping) else None
