"""Name resolution that a caller can cancel and bound: ``socket.getaddrinfo`` in a
short-lived thread. Shared by the socket's dial (:mod:`.connection.resolver`) and the REST
calls (:mod:`.rest.deadline`).

``getaddrinfo`` cannot be interrupted, and a system resolver that gets no answer can take
tens of seconds. So a name (never an IP address, which resolves at once) is resolved in a
daemon thread named ``cometchat-resolve-<host>``, and the caller waits for its answer only
until its deadline or until its :class:`Cancellable` is cancelled. A resolver thread the
caller stopped waiting for (abandoned) holds no socket and no lock; it ends when the system
resolver returns, and its answer is dropped. At most one thread resolves a given
``(host, port)`` at a time: a caller that finds one still running waits for it instead of
starting another, so a resolver that hangs costs one thread, however often the call is
retried.
https://docs.python.org/3/library/socket.html#socket.getaddrinfo
"""

from __future__ import annotations

import ipaddress
import os
import socket
import threading
import time
from typing import Any
from typing import Callable
from typing import Optional
from typing import Protocol

__all__ = [
    "AddrInfo",
    "Cancellable",
    "ResolveCancelled",
    "ResolveTimeout",
    "answer",
    "forget",
    "is_ip_address",
    "resolve",
    "start",
    "threads",
]

AddrInfo = tuple[Any, ...]
"""One ``socket.getaddrinfo`` entry: ``(family, type, proto, canonname, sockaddr)``."""


class ResolveTimeout(Exception):
    """The name was not resolved before the caller's deadline."""


class ResolveCancelled(Exception):
    """The caller's :class:`Cancellable` was cancelled while it waited."""


class Cancellable(Protocol):
    """What cancels a wait (the socket's ``Dial``, a REST call's cancel handle)."""

    @property
    def cancelled(self) -> bool: ...

    def attach(self, kill: Optional[Callable[[], None]]) -> None:
        """Call ``kill`` when cancelled from now on; raise if already cancelled."""


class _Resolution:
    """One ``getaddrinfo`` call in its thread, its answer once it came, and the events of
    the callers that wait for it."""

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self.finished = False
        self.waiters: list[Callable[[], None]] = []
        self.result: list[AddrInfo] = []
        self.error: Optional[BaseException] = None
        self.thread = threading.Thread(
            target=self._run, name=f"cometchat-resolve-{host}", daemon=True
        )

    def _run(self) -> None:
        try:
            self.result = list(socket.getaddrinfo(self.host, self.port, type=socket.SOCK_STREAM))
        except BaseException as exc:  # handed to the waiting callers, which report it
            self.error = exc
        finally:
            with _lock:
                self.finished = True
                if _running.get((self.host, self.port)) is self:
                    del _running[(self.host, self.port)]
                waiters, self.waiters = self.waiters, []
            for wake in waiters:
                wake()


_lock = threading.Lock()
_running: dict[tuple[str, int], _Resolution] = {}


def resolve(host: str, port: int, deadline: float, cancel: Cancellable) -> list[AddrInfo]:
    """The addresses of ``host:port`` for a TCP connect.

    Args:
        host: a name or an IP address (an address is converted at once, with no thread).
        port: the TCP port.
        deadline: ``time.monotonic()`` value after which the caller gives up.
        cancel: its cancellation ends the wait at once (``attach`` is given the waker).

    Returns:
        The ``getaddrinfo`` entries, in the system's order of preference.

    Raises:
        socket.gaierror: the name does not resolve (or another ``getaddrinfo`` error).
        ResolveTimeout: no answer before ``deadline``.
        ResolveCancelled: ``cancel`` was cancelled.
        Whatever ``cancel.attach`` raises when it was cancelled already.
    """
    if is_ip_address(host):
        return list(socket.getaddrinfo(host, port, type=socket.SOCK_STREAM))
    # One event wakes this caller: the resolver sets it when it answers, cancelling too.
    woken = threading.Event()
    cancel.attach(woken.set)
    job = start(host, port, woken.set)
    woken.wait(max(0.0, deadline - time.monotonic()))
    forget(job, woken.set)
    if cancel.cancelled:
        raise ResolveCancelled()
    return answer(job)


def start(host: str, port: int, wake: Callable[[], None]) -> _Resolution:
    """Resolve ``host:port`` in a resolver thread (or join the one under way); ``wake()`` is
    called, on that thread, once it answered. For callers that wait their own way (the
    engine's dial loop); :func:`answer` reads the result, :func:`forget` stops waiting."""
    with _lock:
        job = _running.get((host, port))
        new = job is None
        if job is None:
            job = _Resolution(host, port)
            _running[(host, port)] = job
        if job.finished:
            new = False
        else:
            job.waiters.append(wake)
    if new:
        try:
            job.thread.start()
        except RuntimeError as exc:  # at the thread limit, or at interpreter shutdown
            # Never leave it registered as under way: later calls would join a thread that
            # does not run and time out, however often they retried.
            with _lock:
                job.error = exc
                job.finished = True
                if _running.get((host, port)) is job:
                    del _running[(host, port)]
                waiters, job.waiters = job.waiters, []
            for waiter in waiters:
                waiter()
            return job
    if job.finished:
        wake()
    return job


def forget(job: _Resolution, wake: Callable[[], None]) -> None:
    """The caller no longer waits for ``job`` (it gave up, or it has the answer)."""
    with _lock:
        if not job.finished and wake in job.waiters:
            job.waiters.remove(wake)


def answer(job: _Resolution) -> list[AddrInfo]:
    """The addresses ``job`` found. Raises ``ResolveTimeout`` when it has not answered yet,
    or its ``getaddrinfo`` error."""
    if not job.finished:
        raise ResolveTimeout()
    if job.error is not None:
        raise job.error
    return job.result


def threads() -> list[threading.Thread]:
    """The resolver threads alive now (one per name being resolved)."""
    with _lock:
        jobs = list(_running.values())
    return [job.thread for job in jobs if job.thread.is_alive()]


def _after_fork_in_child() -> None:
    """In a forked child the parent's resolver threads do not exist: forget them (their
    callers are the parent's), so the child resolves afresh."""
    global _lock  # noqa: PLW0603 (a lock a parent thread held at fork is made anew)
    _lock = threading.Lock()
    _running.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def is_ip_address(host: str) -> bool:
    """True for an IPv4 or IPv6 address (with an optional ``%zone``), not a name."""
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    return True
