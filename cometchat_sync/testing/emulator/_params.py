"""Reading request bodies and query strings the way the service does.

Body fields are optional and typed: a wrong type adds a per-field message to an ``errors`` dict
that the caller turns into one 400 ``ERR_BAD_REQUEST`` with ``details``. :func:`read_fields`
reads the fields of a user or group body at once; :func:`choice` checks a field that takes one
of a few values. Query parameters are strings: flags, clamped integers and comma lists.
:func:`paginate` is the page-number pagination of the list endpoints (``per_page``, ``page``
and ``meta.pagination``).
"""

from __future__ import annotations

import re
from typing import Optional
from typing import TypeVar

from ._records import JSON
from ._records import ApiError
from ._records import bad_request

__all__ = [
    "Errors",
    "check_id",
    "check_required",
    "choice",
    "csv_param",
    "int_param",
    "opt_obj",
    "opt_str",
    "opt_str_list",
    "paginate",
    "read_fields",
    "truthy",
]

Errors = dict[str, list[str]]
T = TypeVar("T")

_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,100}$")


def _opt(body: JSON, key: str, errors: Errors, kind: type[T], what: str) -> Optional[T]:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, kind):
        errors.setdefault(key, []).append(f"The {key} must be {what}.")
        return None
    return value


def opt_str(body: JSON, key: str, errors: Errors) -> Optional[str]:
    """``body[key]`` if it is a string; ``None`` if absent or (with an error) not a string."""
    return _opt(body, key, errors, str, "a string")


def opt_obj(body: JSON, key: str, errors: Errors) -> Optional[JSON]:
    """``body[key]`` if it is an object; ``None`` if absent or (with an error) not one."""
    return _opt(body, key, errors, dict, "an object")


def opt_str_list(body: JSON, key: str, errors: Errors) -> Optional[list[str]]:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        errors.setdefault(key, []).append(f"The {key} must be an array of strings.")
        return None
    return list(value)


def check_required(key: str, value: Optional[str], errors: Errors) -> None:
    """``The {key} field is required.`` unless given (or already wrong)."""
    if not value and key not in errors:
        errors[key] = [f"The {key} field is required."]


def check_id(key: str, value: Optional[str], errors: Errors) -> None:
    """A uid or guid: required, 1 to 100 letters, digits, dashes and underscores."""
    check_required(key, value, errors)
    if value and not _ID_RE.match(value):
        errors[key] = [
            f"The {key} may only contain letters, numbers, dashes and underscores "
            "(at most 100 characters)."
        ]


def read_fields(
    body: JSON, errors: Errors, strings: tuple[str, ...], new_id: Optional[str] = None
) -> JSON:
    """The fields of a user or group body, by key: ``strings`` (:func:`opt_str`), then
    ``metadata`` (:func:`opt_obj`) and ``tags`` (:func:`opt_str_list`), read in that order so
    ``errors`` lists them in it. For a new record, ``new_id`` (``uid``/``guid``, one of
    ``strings``) must pass :func:`check_id` and ``name`` is required."""
    fields: JSON = {key: opt_str(body, key, errors) for key in strings}
    fields["metadata"] = opt_obj(body, "metadata", errors)
    fields["tags"] = opt_str_list(body, "tags", errors)
    if new_id is not None:
        check_id(new_id, fields[new_id], errors)
        check_required("name", fields["name"], errors)
    return fields


def choice(
    body: JSON,
    key: str,
    choices: tuple[str, ...],
    *,
    default: Optional[str] = None,
    code: Optional[str] = None,
) -> str:
    """``body[key]`` (``default`` if absent) when it is one of ``choices``; otherwise a 400
    ``The {key} must be either A or B.`` (``one of A, B, C`` for more than two): the error
    ``code`` if given, else ``ERR_BAD_REQUEST`` with the message as the details of ``key``."""
    value = body.get(key, default)
    if value not in choices:
        if len(choices) == 2:
            options = f"either {choices[0]} or {choices[1]}"
        else:
            options = f"one of {', '.join(choices)}"
        message = f"The {key} must be {options}."
        if code is None:
            raise bad_request({key: [message]})
        raise ApiError(400, code, message)
    return str(value)


def truthy(value: Optional[str]) -> bool:
    return value is not None and value.lower() in ("1", "true", "yes")


def int_param(query: dict[str, str], key: str, default: int, lo: int, hi: int) -> int:
    """An integer query parameter clamped to ``lo..hi``; not a number is a 400."""
    raw = query.get(key)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise bad_request({key: [f"The {key} must be an integer."]}) from None
    return max(lo, min(hi, value))


def csv_param(query: dict[str, str], key: str) -> Optional[set[str]]:
    """A comma-separated query parameter as a set; ``None`` when absent or empty."""
    raw = query.get(key)
    if not raw:
        return None
    return {part.strip() for part in raw.split(",") if part.strip()}


def paginate(items: list[JSON], query: dict[str, str], default: int) -> tuple[list[JSON], JSON]:
    """One page of ``items`` and its ``meta`` (``per_page`` up to 1000, ``page`` from 1)."""
    per_page = int_param(query, "per_page", default, 1, 1000)
    page = int_param(query, "page", 1, 1, 1_000_000)
    total = len(items)
    chunk = items[(page - 1) * per_page : page * per_page]
    meta = {
        "pagination": {
            "total": total,
            "count": len(chunk),
            "per_page": per_page,
            "current_page": page,
            "total_pages": max(1, -(-total // per_page)),
        }
    }
    return chunk, meta
