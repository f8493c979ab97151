"""The one rule for what a failed network call means, shared by the REST layer and the
socket dialler, so both report the same ``errno`` the same way; and the one way to name a set
of ``errno`` codes that not every platform has.

* **unreachable**: the network or host cannot be reached at all (no route, network down,
  host down, no usable local address, TCP connect timed out): the SDK reports
  ``ERR_NO_INTERNET`` and paces retries with a cheap probe;
* **refused**: the host answered but nothing listens, or it reset the connection: the server
  may be down (``ERR_WEBSOCKET_ERROR`` on the socket, ``FAILED_TO_FETCH`` over REST);
* anything else is an ordinary failure of that call.

Errno meanings: https://man7.org/linux/man-pages/man3/errno.3.html
"""

from __future__ import annotations

import errno
from typing import Optional

__all__ = [
    "CONNECT_IN_PROGRESS",
    "REFUSED_ERRNOS",
    "UNREACHABLE_ERRNOS",
    "errnos",
    "is_refused",
    "is_unreachable",
]


def errnos(*names: str) -> frozenset[int]:
    """The codes of the ``errno`` names this platform has (``"EDQUOT"``, ``"EHOSTDOWN"`` and
    the ``WSA`` ones are not everywhere)."""
    return frozenset(code for code in (getattr(errno, name, None) for name in names) if code)


UNREACHABLE_ERRNOS = errnos(
    "ENETUNREACH", "EHOSTUNREACH", "ENETDOWN", "ETIMEDOUT", "EADDRNOTAVAIL", "EHOSTDOWN"
)
REFUSED_ERRNOS = errnos("ECONNREFUSED", "ECONNRESET")
CONNECT_IN_PROGRESS = errnos("EINPROGRESS", "EWOULDBLOCK", "EALREADY", "EAGAIN", "WSAEWOULDBLOCK")
"""What a non-blocking ``connect_ex`` answers while the TCP handshake is under way."""


def is_unreachable(err: Optional[int]) -> bool:
    """True when ``err`` (an ``OSError.errno``) means the host cannot be reached at all."""
    return err in UNREACHABLE_ERRNOS


def is_refused(err: Optional[int]) -> bool:
    """True when ``err`` means the host refused or reset the connection."""
    return err in REFUSED_ERRNOS
