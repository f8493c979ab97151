"""The one set of argument rules: identifiers (uid, guid, receiver and session ids), message
ids, page limits and receivers.

Every public call checks its arguments here before any network I/O, so a bad argument is a
:class:`~cometchat_sync.errors.CometChatException` with ``MISSING_PARAMETERS`` (empty) or
``ERR_INVALID_PARAMETER`` (wrong type or shape), never a server round trip or a ``TypeError``.
Identifiers follow CometChat's rule for UIDs and GUIDs: letters, digits, ``-`` and ``_``
(https://www.cometchat.com/docs/rest-api/users/create); this module rejects only what could
never be one (empty, white space, URL delimiters) and the REST layer still percent-encodes
every path segment (:func:`path_segment`).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from .errors import CometChatException, ErrorCode

__all__ = [
    "MAX_PAGE",
    "RECEIVER_TYPES",
    "identifier",
    "limit",
    "message_id",
    "path_segment",
    "receiver",
    "receiver_type",
]

RECEIVER_TYPES = ("user", "group")
MAX_PAGE = 100
"""The largest ``per_page`` the REST API accepts."""

_URL_DELIMITERS = frozenset("/?#%")


def identifier(value: object, what: str) -> str:
    """Return ``value`` if it can be a CometChat id (``what`` names it in the error)."""
    if not isinstance(value, str):
        raise CometChatException(
            ErrorCode.INVALID_PARAMETER, f"The {what} must be a string, not {type(value).__name__}."
        )
    if not value.strip():
        raise CometChatException(ErrorCode.MISSING_PARAMETERS, f"The {what} cannot be empty.")
    if any(c.isspace() or c in _URL_DELIMITERS for c in value):
        raise CometChatException(
            ErrorCode.INVALID_PARAMETER,
            f"The {what} may hold letters, digits, '-' and '_' only (no spaces or '/?#%').",
        )
    return value


def path_segment(value: object, what: str) -> str:
    """:func:`identifier`, percent-encoded for a URL path."""
    return quote(identifier(value, what), safe="")


def message_id(value: object, *, allow_zero: bool = False) -> int:
    """Return ``value`` if it is a message id: a positive ``int`` (0 too with ``allow_zero``)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < (0 if allow_zero else 1):
        raise CometChatException(
            ErrorCode.INVALID_PARAMETER, "A message id is a positive int (send the message first)."
        )
    return value


def limit(value: object) -> int:
    """Return ``value`` if it is a page size: an ``int`` from 1 to :data:`MAX_PAGE`."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_PAGE:
        raise CometChatException(
            ErrorCode.INVALID_PARAMETER, f"limit must be an int from 1 to {MAX_PAGE}."
        )
    return value


def receiver_type(value: Any) -> str:
    """Return ``value`` if it is ``"user"`` or ``"group"``."""
    if value not in RECEIVER_TYPES:
        raise CometChatException(
            ErrorCode.INVALID_PARAMETER,
            f"receiver_type must be 'user' or 'group', not {str(value)[:40]!r}.",
        )
    return str(value)


def receiver(receiver_id: object, type_: object) -> tuple[str, str]:
    """Check a receiver (an id and ``"user"``/``"group"``); return them."""
    return identifier(receiver_id, "receiver id"), receiver_type(type_)
