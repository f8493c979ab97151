"""Tolerant converters from wire JSON values to typed Python values.

The wire is not always consistent (ids as strings or numbers, missing fields, nulls) and a
hostile peer may send anything (``1e999`` parses to ``inf``; an int may be too long for
``str()``). These helpers never raise: an odd value falls back to the default.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any
from typing import Optional

__all__ = [
    "as_bool",
    "as_dict",
    "as_int",
    "as_mapping",
    "as_opt_int",
    "as_opt_str",
    "as_str",
    "as_str_list",
]

_INT64 = 2**63


def as_opt_int(value: Any) -> Optional[int]:
    """An int from an int, a float or a numeric string; ``None`` for anything else, for
    inf/nan, and for values outside the signed 64-bit range (no real id, count or
    timestamp is, and such ints could break ``str()`` later)."""
    if value is None:  # the most common case on the receive path: an absent field
        return None
    if type(value) is int:
        result: Optional[int] = value
    elif isinstance(value, int):  # bool and int subclasses
        result = int(value)
    elif isinstance(value, float):
        result = int(value) if math.isfinite(value) else None
    elif isinstance(value, str):
        result = _parse_int(value)
    else:
        return None
    if result is not None and not -_INT64 <= result < _INT64:
        return None
    return result


def _parse_int(text: str) -> Optional[int]:
    text = text.strip()
    if len(text) > 40:
        return None
    try:
        return int(text)
    except ValueError:
        try:
            number = float(text)
        except ValueError:
            return None
        return int(number) if math.isfinite(number) else None


def as_int(value: Any, default: int = 0) -> int:
    result = as_opt_int(value)
    return default if result is None else result


def as_str(value: Any, default: str = "") -> str:
    """A str as is; an int or float as its text; ``default`` for anything else."""
    if type(value) is str:
        return value
    if value is None:
        return default
    if isinstance(value, str):
        return str(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            return str(value)
        except ValueError:  # an int too long to convert
            return default
    return default


def as_opt_str(value: Any) -> Optional[str]:
    if type(value) is str:
        return value
    if value is None:
        return None
    result = as_str(value, "")
    return result if result or isinstance(value, str) else None


def as_str_list(value: Any) -> list[str]:
    if isinstance(value, (list, tuple)):
        out = [as_opt_str(v) for v in value]
        return [v for v in out if v is not None]
    return []


def as_dict(value: Any) -> dict[str, Any]:
    return dict(value) if isinstance(value, Mapping) else {}


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
    if type(value) is dict:  # fast paths: ABC isinstance checks are slow
        return value
    if value is None or type(value) in _SCALARS:
        return None
    return value if isinstance(value, Mapping) else None


_SCALARS = frozenset({str, int, float, bool, list})
