"""The one rule for what a failed network call means, shared by the REST layer and the
socket dialler, so both report the same ``errno`` the same way.

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

__all__ = ["REFUSED_ERRNOS", "UNREACHABLE_ERRNOS", "is_refused", "is_unreachable"]

UNREACHABLE_ERRNOS = frozenset(
    {
        errno.ENETUNREACH,
        errno.EHOSTUNREACH,
        errno.ENETDOWN,
        errno.ETIMEDOUT,
        errno.EADDRNOTAVAIL,
        getattr(errno, "EHOSTDOWN", errno.EHOSTUNREACH),  # not on every platform
    }
)
REFUSED_ERRNOS = frozenset({errno.ECONNREFUSED, errno.ECONNRESET})


def is_unreachable(err: Optional[int]) -> bool:
    """True when ``err`` (an ``OSError.errno``) means the host cannot be reached at all."""
    return err in UNREACHABLE_ERRNOS


def is_refused(err: Optional[int]) -> bool:
    """True when ``err`` means the host refused or reset the connection."""
    return err in REFUSED_ERRNOS
