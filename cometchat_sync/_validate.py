"""The one set of argument rules: identifiers (uid, guid, receiver and session ids), message
ids, page limits and receivers.

Every public call checks its arguments here before any network I/O, so a bad argument is a
:class:`~cometchat_sync.errors.CometChatException` with ``MISSING_PARAMETERS`` (empty) or
``ERR_INVALID_PARAMETER`` (wrong type or shape), never a server round trip or a ``TypeError``.
Identifiers follow CometChat's rule for UIDs and GUIDs: letters, digits, ``-`` and ``_``
(https://www.cometchat.com/docs/rest-api/users/create); this module rejects only what could
never be one (empty, white space, URL delimiters, ``.`` and ``..``).

:func:`path_segment` is the one way a value enters a URL path (ids, uids, guids, message ids,
reactions): checked by its rule, never a dot segment, percent-encoded, so that no value can
change which endpoint a call reaches.
"""

from __future__ import annotations

import math
from typing import Any
from typing import Callable
from typing import Optional
from urllib.parse import quote

from .errors import CometChatException
from .errors import ErrorCode

__all__ = [
    "MAX_PAGE",
    "RECEIVER_TYPES",
    "app_id",
    "identifier",
    "limit",
    "login_args",
    "message_id",
    "message_id_segment",
    "path_segment",
    "reaction",
    "receiver",
    "receiver_type",
    "seconds",
]

RECEIVER_TYPES = ("user", "group")
MAX_PAGE = 100
"""The largest ``per_page`` the REST API accepts."""

_URL_DELIMITERS = frozenset("/?#%")
# A path segment of only these means "this folder" or "the parent": it would change the path.
_DOT_SEGMENTS = (".", "..")
MAX_REACTION = 64
"""The longest reaction, in characters."""


#: The longest duration accepted, in seconds (about 11.6 days). The system's waits take at
#: most about 2.1 million seconds (epoll's limit; Python raises OverflowError past it), and
#: no timeout of a chat SDK needs more.
LONGEST = 1_000_000.0


def seconds(value: object, name: str) -> float:
    """Return ``value`` if it is a duration: a positive, finite number of seconds, at most
    :data:`LONGEST` (``name`` names it in the error). NaN and infinity are refused: every
    wait has a real deadline."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise CometChatException(
            ErrorCode.INVALID_PARAMETER, f"{name} must be a number of seconds."
        )
    if not math.isfinite(value) or value <= 0 or value > LONGEST:
        raise CometChatException(
            ErrorCode.INVALID_PARAMETER,
            f"{name} must be a positive, finite number of seconds, at most {LONGEST:,.0f} s.",
        )
    return float(value)


def app_id(value: object) -> str:
    """Return ``value`` if it can be a CometChat app id: a non-empty string without white space
    or slashes (it names hosts and the session folder)."""
    if not isinstance(value, str) or not value.strip():
        raise CometChatException(ErrorCode.MISSING_PARAMETERS, "The app id cannot be empty.")
    if any(c.isspace() or c in "/\\" for c in value):
        raise CometChatException(
            ErrorCode.INVALID_PARAMETER, "The app id must not contain spaces or slashes."
        )
    return value


def identifier(value: object, what: str) -> str:
    """Return ``value`` if it can be a CometChat id (``what`` names it in the error)."""
    if not isinstance(value, str):
        raise CometChatException(
            ErrorCode.INVALID_PARAMETER, f"The {what} must be a string, not {type(value).__name__}."
        )
    if not value.strip():
        raise CometChatException(ErrorCode.MISSING_PARAMETERS, f"The {what} cannot be empty.")
    if any(c.isspace() or c in _URL_DELIMITERS for c in value) or value in _DOT_SEGMENTS:
        raise CometChatException(
            ErrorCode.INVALID_PARAMETER,
            f"The {what} may hold letters, digits, '-' and '_' only (no spaces, '/?#%', "
            "'.' or '..').",
        )
    return value


def path_segment(
    value: object, what: str, rule: Optional[Callable[[object], object]] = None
) -> str:
    """``value`` as one URL path segment: checked by ``rule`` (default :func:`identifier`;
    :func:`message_id` or :func:`reaction` for those), refused when it is ``.`` or ``..``,
    and percent-encoded (every character but letters, digits and ``-._~``), so that ``/``,
    ``?``, ``#`` and ``%`` stay inside the segment. ``what`` names the value in errors."""
    text = str(identifier(value, what) if rule is None else rule(value))
    if text in _DOT_SEGMENTS:
        raise CometChatException(ErrorCode.INVALID_PARAMETER, f"The {what} cannot be '.' or '..'.")
    return quote(text, safe="")


def message_id_segment(value: object) -> str:
    """A message id (:func:`message_id`) as a path segment (:func:`path_segment`)."""
    return path_segment(value, "message id", message_id)


def reaction(value: object) -> str:
    """Return ``value`` if it is a reaction: an emoji or short name, a non-empty string of at
    most :data:`MAX_REACTION` characters."""
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_REACTION:
        raise CometChatException(
            ErrorCode.INVALID_PARAMETER,
            f"A reaction is a non-empty string of at most {MAX_REACTION} characters.",
        )
    return value


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


def login_args(
    uid: Optional[str], auth_key: Optional[str], auth_token: Optional[str]
) -> tuple[Optional[str], Optional[str], Optional[str]]:
    """Check ``login(uid, auth_key)`` or ``login(auth_token=...)``; return the three with the
    uid lowercased (CometChat uids are case-insensitive)."""
    if auth_token is not None:
        if uid is not None or auth_key is not None:
            raise CometChatException(
                ErrorCode.INVALID_PARAMETER,
                "Call login(uid, auth_key) or login(auth_token=...), not both.",
            )
        if not isinstance(auth_token, str) or not auth_token.strip():
            raise CometChatException(
                ErrorCode.MISSING_PARAMETERS, "The auth token cannot be empty."
            )
        return None, None, auth_token
    if uid is None:
        raise CometChatException(
            ErrorCode.MISSING_PARAMETERS, "login() needs a uid and an auth key, or an auth token."
        )
    checked = identifier(uid, "uid").lower()
    if not isinstance(auth_key, str) or not auth_key.strip():
        raise CometChatException(
            ErrorCode.MISSING_PARAMETERS, "login(uid, auth_key) needs the app's Auth Key."
        )
    return checked, auth_key, None
