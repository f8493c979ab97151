"""Tolerant converters from wire JSON values to typed Python values.

The wire is not always consistent (ids as strings or numbers, missing fields, nulls); these
helpers never raise on a missing or odd value, they fall back to a default.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Optional

__all__ = ["as_dict", "as_int", "as_opt_int", "as_opt_str", "as_str", "as_str_list"]


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
