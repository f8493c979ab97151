"""A total deadline for one REST call: connect, send, response headers and body together.

``requests`` and ``urllib3`` bound each socket operation, not the call: their read timeout
starts again with every byte, so a server that sends one byte a second keeps a call busy for
as long as it likes (urllib3 says so of its ``Timeout``:
https://urllib3.readthedocs.io/en/stable/reference/urllib3.util.html#urllib3.util.Timeout).
This module closes that gap. :func:`within` sets a deadline for the calling thread; every
socket of the :class:`DeadlineAdapter`'s pooled connections gives each send and receive only
the time left until that deadline (or its own timeout, when that is shorter), and raises
``socket.timeout`` once none is left.

Own code, because no well-kept synchronous HTTP client bounds a whole call (``requests``:
per read; ``urllib3`` ``Timeout(total=...)``: connect plus per read; ``httpx``: per
operation). It wraps the socket after the connection (and its TLS handshake) is made, so
urllib3's own connect, proxy and TLS code is untouched; the TLS handshake itself is bounded
by the connect timeout.
"""

from __future__ import annotations

import contextlib
import io
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any
from typing import Callable
from typing import Optional

from requests.adapters import HTTPAdapter
from urllib3 import HTTPConnectionPool
from urllib3 import HTTPSConnectionPool
from urllib3 import PoolManager
from urllib3.connection import HTTPConnection
from urllib3.connection import HTTPSConnection

__all__ = ["DeadlineAdapter", "within"]

_local = threading.local()


@contextlib.contextmanager
def within(
    seconds: float, on_socket: Optional[Callable[[socket.socket], None]] = None
) -> Iterator[None]:
    """Every socket operation of a :class:`DeadlineAdapter` in this thread ends within
    ``seconds`` from now, all of them together, until the block ends. ``on_socket`` is
    told the connected socket before its first operation in the block, so that another
    thread can shut it down (that cancels the call: its blocked send or receive ends)."""
    _local.deadline = time.monotonic() + seconds
    _local.on_socket = on_socket
    try:
        yield
    finally:
        _local.deadline = None
        _local.on_socket = None


def _time_left(own_timeout: Optional[float]) -> Optional[float]:
    """The timeout for the next socket operation: the time left until this thread's deadline,
    or ``own_timeout`` when that is shorter (or no deadline is set)."""
    deadline: Optional[float] = getattr(_local, "deadline", None)
    if deadline is None:
        return own_timeout
    left = deadline - time.monotonic()
    if left <= 0:
        # socket.timeout: what urllib3 turns into its own timeout errors.
        raise socket.timeout("The call's deadline passed.")
    return left if own_timeout is None else min(own_timeout, left)


class _DeadlineSocket:
    """A connected socket (plain or TLS) whose sends and receives respect the deadline.

    Whatever it does not define is the wrapped socket's (``fileno``, ``close``,
    ``shutdown``, ...)."""

    def __init__(self, sock: Any) -> None:
        self._sock = sock
        self._timeout: Optional[float] = sock.gettimeout()

    def settimeout(self, timeout: Optional[float]) -> None:
        self._timeout = timeout
        self._sock.settimeout(timeout)

    def gettimeout(self) -> Optional[float]:
        return self._timeout

    def arm(self) -> None:
        """Give the next operation the time left (and tell ``within``'s ``on_socket``)."""
        hook = getattr(_local, "on_socket", None)
        if hook is not None:
            _local.on_socket = None
            hook(self._sock)
        self._sock.settimeout(_time_left(self._timeout))

    def sendall(self, data: Any, *flags: int) -> None:
        self.arm()
        self._sock.sendall(data, *flags)

    def send(self, data: Any, *flags: int) -> int:
        self.arm()
        sent: int = self._sock.send(data, *flags)
        return sent

    def recv(self, size: int, *flags: int) -> bytes:
        self.arm()
        data: bytes = self._sock.recv(size, *flags)
        return data

    def recv_into(self, buffer: Any, *args: int) -> int:
        self.arm()
        count: int = self._sock.recv_into(buffer, *args)
        return count

    def makefile(self, mode: str = "r", buffering: Optional[int] = None, **kwargs: Any) -> Any:
        if mode != "rb":
            return self._sock.makefile(mode, buffering, **kwargs)
        # The real socket's own raw file keeps its reference count (the socket stays open
        # while the response is read, even after the connection let go of it).
        raw = self._sock.makefile("rb", buffering=0)
        return io.BufferedReader(_DeadlineReader(self, raw))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)


class _DeadlineReader(io.RawIOBase):
    """The response stream: each read gets the time left."""

    def __init__(self, owner: _DeadlineSocket, raw: Any) -> None:
        super().__init__()
        self._owner = owner
        self._raw = raw

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> Optional[int]:
        self._owner.arm()
        count: Optional[int] = self._raw.readinto(buffer)
        return count

    def fileno(self) -> int:
        number: int = self._raw.fileno()
        return number

    def close(self) -> None:
        if not self.closed:
            self._raw.close()
        super().close()


class _HTTPConnection(HTTPConnection):
    def connect(self) -> None:
        super().connect()
        self.sock = _DeadlineSocket(self.sock)


class _HTTPSConnection(HTTPSConnection):
    def connect(self) -> None:
        super().connect()
        self.sock = _DeadlineSocket(self.sock)


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


def _use_deadline_pools(manager: PoolManager) -> PoolManager:
    manager.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}
    return manager


class DeadlineAdapter(HTTPAdapter):
    """``requests`` transport adapter whose connections (direct or through an HTTP proxy)
    respect :func:`within`."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        _use_deadline_pools(self.poolmanager)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if isinstance(manager, PoolManager) and type(manager).__name__ == "ProxyManager":
            _use_deadline_pools(manager)
        return manager
