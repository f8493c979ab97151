"""Name resolution that a dial can cancel and bound: ``socket.getaddrinfo`` in a short-lived
thread.

``getaddrinfo`` cannot be interrupted, and a system resolver that gets no answer can take
tens of seconds. So a name (never an IP address, which resolves at once) is resolved in a
daemon thread named ``cometchat-resolve-<host>``, and the dial waits for its answer only
until its deadline or its ``Dial.cancel()``. A resolver thread the dial stopped waiting for
(abandoned) holds no socket and no lock; it ends when the system resolver returns, and its
answer is dropped. At most one thread resolves a given ``(host, port)`` at a time: a dial
that finds one still running waits for it instead of starting another, so a resolver that
hangs costs one thread, however often the dial is retried.
https://docs.python.org/3/library/socket.html#socket.getaddrinfo
"""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
from typing import Any
from typing import Optional

from .transport import Dial
from .transport import DialCancelled

__all__ = ["AddrInfo", "ResolveTimeout", "resolve"]

AddrInfo = tuple[Any, ...]
"""One ``socket.getaddrinfo`` entry: ``(family, type, proto, canonname, sockaddr)``."""


class ResolveTimeout(Exception):
    """The name was not resolved before the dial's deadline."""


class _Resolution:
    """One ``getaddrinfo`` call in its thread, its answer once it came, and the events of
    the dials that wait for it."""

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self.finished = False
        self.waiters: list[threading.Event] = []
        self.result: list[AddrInfo] = []
        self.error: Optional[BaseException] = None
        self.thread = threading.Thread(
            target=self._run, name=f"cometchat-resolve-{host}", daemon=True
        )

    def _run(self) -> None:
        try:
            self.result = list(socket.getaddrinfo(self.host, self.port, type=socket.SOCK_STREAM))
        except BaseException as exc:  # handed to the waiting dials, which report it
            self.error = exc
        finally:
            with _lock:
                self.finished = True
                if _running.get((self.host, self.port)) is self:
                    del _running[(self.host, self.port)]
                waiters, self.waiters = self.waiters, []
            for event in waiters:
                event.set()


_lock = threading.Lock()
_running: dict[tuple[str, int], _Resolution] = {}


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
    if _is_ip_address(host):
        return list(socket.getaddrinfo(host, port, type=socket.SOCK_STREAM))
    # One event wakes this dial: the resolver sets it when it answers, cancel() sets it too.
    woken = threading.Event()
    dial.attach(woken.set)
    with _lock:
        job = _running.get((host, port))
        start = job is None
        if job is None:
            job = _Resolution(host, port)
            _running[(host, port)] = job
        job.waiters.append(woken)
    if start:
        job.thread.start()
    woken.wait(max(0.0, deadline - time.monotonic()))
    if dial.cancelled:
        raise DialCancelled()
    with _lock:
        if not job.finished:
            job.waiters.remove(woken)
            raise ResolveTimeout()
    if job.error is not None:
        raise job.error
    return job.result


def _is_ip_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    return True
