"""Name resolution that a dial can cancel and bound: the shared resolver
(:mod:`cometchat_sync._resolve`, ``socket.getaddrinfo`` in a short-lived thread named
``cometchat-resolve-<host>``), with the dial's :class:`~.transport.Dial` as its cancel.

The REST calls use the same resolver (:mod:`cometchat_sync.rest.deadline`), so a name that
hangs costs one thread for both.
"""

from __future__ import annotations

import contextlib
import socket

from .. import _resolve
from .._resolve import AddrInfo
from .._resolve import ResolveCancelled
from .._resolve import ResolveTimeout
from .dial_io import Steps
from .dial_io import StepTimeout
from .dial_io import Wait
from .transport import Dial
from .transport import DialCancelled

__all__ = ["AddrInfo", "ResolveTimeout", "resolve", "resolve_steps"]


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
        return _resolve.resolve(host, port, deadline, dial)
    except ResolveCancelled:
        raise DialCancelled() from None


def resolve_steps(host: str, port: int) -> Steps[list[AddrInfo]]:
    """:func:`resolve` as dial steps: an IP address at once; a name in the resolver thread,
    waited for on a socket pair that the resolver's answer makes readable (two descriptors,
    for the length of the wait). A deadline or a cancel thrown in at the wait stops waiting
    (``ResolveTimeout`` for the deadline); the resolver thread ends on its own."""
    if _resolve.is_ip_address(host):
        return list(socket.getaddrinfo(host, port, type=socket.SOCK_STREAM))
    ready, ring = socket.socketpair()
    ready.setblocking(False)
    ring.setblocking(False)

    def wake() -> None:
        with contextlib.suppress(OSError):
            ring.send(b"x")

    job = _resolve.start(host, port, wake)
    try:
        while not job.finished:
            try:
                yield Wait(ready, False)
            except StepTimeout:
                raise ResolveTimeout() from None
            with contextlib.suppress(OSError):
                ready.recv(16)
        return _resolve.answer(job)
    finally:
        _resolve.forget(job, wake)
        ready.close()
        ring.close()
