"""Name resolution that a dial can cancel and bound: the shared resolver
(:mod:`cometchat_sync._resolve`, ``socket.getaddrinfo`` in a short-lived thread named
``cometchat-resolve-<host>``), with the dial's :class:`~.transport.Dial` as its cancel.

The REST calls use the same resolver (:mod:`cometchat_sync.rest.deadline`), so a name that
hangs costs one thread for both.
"""

from __future__ import annotations

from .._resolve import AddrInfo
from .._resolve import ResolveCancelled
from .._resolve import ResolveTimeout
from .._resolve import resolve as _resolve
from .transport import Dial
from .transport import DialCancelled

__all__ = ["AddrInfo", "ResolveTimeout", "resolve"]


def resolve(host: str, port: int, deadline: float, dial: Dial) -> list[AddrInfo]:
    """The addresses of ``host:port`` for a TCP connect.

    Args:
        host: a name or an IP address (an address is converted at once, with no thread).
        port: the TCP port.
        deadline: ``time.monotonic()`` value after which the dial gives up.
        dial: the attempt; its ``cancel()`` ends the wait at once.

    Returns:
        The ``getaddrinfo`` entries, in the system's order of preference.

    Raises:
        socket.gaierror: the name does not resolve (or another ``getaddrinfo`` error).
        ResolveTimeout: no answer before ``deadline``.
        DialCancelled: ``dial.cancel()`` was called.
    """
    try:
        return _resolve(host, port, deadline, dial)
    except ResolveCancelled:
        raise DialCancelled() from None
