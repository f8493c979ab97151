"""A total deadline for one REST call: name resolution, TCP connect, proxy tunnel, TLS
handshake, send, response headers and body together.

``requests`` and ``urllib3`` bound each socket operation, not the call: their read timeout
starts again with every byte, so a server that sends one byte a second keeps a call busy for
as long as it likes (urllib3 says so of its ``Timeout``:
https://urllib3.readthedocs.io/en/stable/reference/urllib3.util.html#urllib3.util.Timeout),
and urllib3 resolves the host with a ``socket.getaddrinfo`` that nothing bounds. This module
closes those gaps. :func:`within` sets a deadline for the calling thread, and the
:class:`DeadlineAdapter`'s pooled connections keep it at every step:

1. **resolve**: the host name is resolved in the shared resolver thread
   (:mod:`cometchat_sync._resolve`), waited for only until the deadline;
2. **connect**: a non-blocking TCP connect, waited for only until the deadline;
3. **proxy tunnel** (``CONNECT``, an https call through an HTTP proxy): each send and
   receive of the tunnel gets only the time left;
4. **TLS handshake**: the socket's timeout is the time left when it starts (CPython bounds
   the whole handshake by it);
5. **request and answer**: every send and receive of the connected socket gets only the
   time left.

Each step also keeps its own bound when that is shorter (the connect timeout for the first
four, the read timeout for the last). Once no time is left a step raises
:class:`DeadlinePassed` (a ``socket.timeout``).

``within``'s ``on_socket`` is told a cancel handle (a socket object): when the call opens a
connection, before the host name is resolved; when it reuses a pooled connection, before the
first send. Shutting the handle down ends the call at once in whatever step it is. The
handle lets go of its connection when the connection goes back to the pool (and when the
call ends): a connection pool may be shared by every client of the process, and a late
cancel must never end a connection that another call is using by then.

Own code, because no well-kept synchronous HTTP client bounds a whole call (``requests``:
per read; ``urllib3`` ``Timeout(total=...)``: connect plus per read; ``httpx``: per
operation). It overrides urllib3's ``HTTPConnection._new_conn`` (resolve and connect) and
``_tunnel``, both in urllib3 1.26 and 2.x; urllib3's own proxy and TLS code is untouched.
"""

from __future__ import annotations

import contextlib
import io
import os
import socket
import sys
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
from urllib3.exceptions import ConnectTimeoutError
from urllib3.exceptions import NewConnectionError
from urllib3.util.connection import allowed_gai_family

from .._neterrors import CONNECT_IN_PROGRESS
from .._poll import wait_io
from .._resolve import ResolveCancelled
from .._resolve import ResolveTimeout
from .._resolve import resolve

__all__ = ["CallCancelled", "DeadlineAdapter", "DeadlinePassed", "cancelled", "within"]

_local = threading.local()


class DeadlinePassed(socket.timeout):
    """The call's total deadline (:func:`within`) passed: no time is left for a step."""


class CallCancelled(ConnectionAbortedError):
    """The call's cancel handle (told to ``on_socket``) was shut down."""


@contextlib.contextmanager
def within(
    seconds: float, on_socket: Optional[Callable[[socket.socket], None]] = None
) -> Iterator[None]:
    """Every step of a :class:`DeadlineAdapter` call in this thread (resolve, connect,
    proxy tunnel, TLS handshake, each send and receive) ends within ``seconds`` from now,
    all of them together, until the block ends.

    ``on_socket`` is told a socket whose ``shutdown`` from another thread cancels the call
    at once (its blocked step ends): for a new connection, a cancel handle before the host
    name is resolved; for a reused pooled connection, a cancel handle before the first
    send. What it is told is no use once the block ended, or once the connection went back to
    its pool (its shutdown then does nothing)."""
    _local.deadline = time.monotonic() + seconds
    _local.on_socket = on_socket
    _local.told = False
    _local.handles = []
    _local.spares = []
    try:
        yield
    finally:
        for handle in _local.handles:
            handle.let_go()
        for spare in _local.spares:
            spare.close()
        _local.deadline = None
        _local.on_socket = None
        _local.told = True
        _local.handles = []
        _local.spares = []


def cancelled() -> bool:
    """True when, inside :func:`within`, a cancel handle of this call was shut down."""
    return any(handle.cancelled for handle in getattr(_local, "handles", ()))


def _time_left(own_timeout: Optional[float]) -> Optional[float]:
    """The timeout for the next socket operation: the time left until this thread's deadline,
    or ``own_timeout`` when that is shorter (or no deadline is set)."""
    deadline: Optional[float] = getattr(_local, "deadline", None)
    if deadline is None:
        return own_timeout
    left = deadline - time.monotonic()
    if left <= 0:
        # socket.timeout: what urllib3 turns into its own timeout errors.
        raise DeadlinePassed("The call's deadline passed.")
    return left if own_timeout is None else min(own_timeout, left)


def _tell(sock: socket.socket) -> None:
    """Tell ``within``'s ``on_socket`` (if any) about ``sock``."""
    hook: Optional[Callable[[socket.socket], None]] = getattr(_local, "on_socket", None)
    _local.told = True
    if hook is not None:
        hook(sock)


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


def _shut_raw(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


def _new_handle() -> _CancelHandle:
    """A cancel handle of this call; it lets go and is closed when the call ends."""
    handle = _CancelHandle()
    _local.spares.append(handle)
    _local.handles.append(handle)
    return handle


class _CancelHandle(socket.socket):
    """What ``on_socket`` is told for a connection the call opens, before its host name is
    resolved: its :meth:`shutdown` (from any thread) cancels the call, whatever step it is
    in. The resolver's wait ends at once; the connection's socket is shut down through a
    duplicate of its descriptor, which stays valid when TLS takes the socket object over.
    An unconnected socket of its own (so that it is a ``socket.socket``); closed when the
    call ends. :meth:`let_go` (the connection went back to its pool, or the call ended) makes
    a later shutdown do nothing."""

    def __init__(self) -> None:
        super().__init__(socket.AF_INET, socket.SOCK_STREAM)
        self._guard = threading.Lock()
        self._cancelled = False
        self._released = False
        self._kill: Optional[Callable[[], None]] = None

    @property
    def cancelled(self) -> bool:
        return self._cancelled

    def attach(self, kill: Optional[Callable[[], None]]) -> None:
        """Let :meth:`shutdown` call ``kill`` from now on; raise ``CallCancelled`` if it was
        called already."""
        self.attach_then(kill, lambda: 0)

    def attach_then(self, kill: Optional[Callable[[], None]], step: Callable[[], int]) -> int:
        """:meth:`attach`, then ``step`` (under the same lock, so that a cancel comes either
        before, and ``step`` does not run, or after, and ``kill`` ends what it started)."""
        with self._guard:
            if self._cancelled:
                raise CallCancelled("The call was cancelled.")
            if not self._released:
                self._kill = kill
            return step()

    def let_go(self) -> None:
        """Let go of the connection: a later :meth:`shutdown` only marks the handle."""
        with self._guard:
            self._released = True
            self._kill = None

    def shutdown(self, how: int, /) -> None:
        """Cancel the call (the handle itself has no connection to shut down)."""
        with self._guard:
            self._cancelled = True
            # Under the guard (a shutdown(2) does not block): once let_go() returned, no
            # kill is under way, so a connection back in its pool is never shut down.
            if self._kill is not None:
                self._kill()


class _NoCancel:
    """The resolver's cancel for a call nobody can cancel."""

    cancelled = False

    def attach(self, kill: Optional[Callable[[], None]]) -> None:
        pass


def _own_timeout(value: Any) -> Optional[float]:
    """A connection's own timeout as a number (urllib3 may hold a sentinel for "default")."""
    return float(value) if isinstance(value, (int, float)) else None


def _open(conn: HTTPConnection, deadline: float) -> socket.socket:
    """``conn``'s new TCP socket: resolve and connect within the connect timeout and the
    deadline, cancellable through a handle told to ``on_socket``. Raises urllib3's errors
    as its ``create_connection`` does (its ``_new_conn`` turns them into its own)."""
    own = _own_timeout(conn.timeout)
    started = time.monotonic()
    by_deadline = own is None or started + own >= deadline
    limit = deadline if by_deadline else started + (own or 0.0)
    handle: Optional[_CancelHandle] = None
    if getattr(_local, "on_socket", None) is not None:
        handle = _new_handle()
        conn._cancel_handle = handle  # type: ignore[attr-defined]  # see _HTTPConnection
        _tell(handle)
    host: str = conn._dns_host.strip("[]")
    port = int(conn.port or 0)

    def timed_out() -> BaseException:
        return ConnectTimeoutError(
            conn, f"Connection to {conn.host} timed out. (connect timeout={own})"
        )

    def why() -> BaseException:  # the cause: the deadline, or the connect timeout
        if by_deadline:
            return DeadlinePassed("The call's deadline passed.")
        return socket.timeout("timed out")

    try:
        infos = resolve(host, port, limit, handle or _NoCancel())
    except (ResolveCancelled, CallCancelled):
        raise NewConnectionError(conn, "The call was cancelled.") from CallCancelled()
    except ResolveTimeout:
        raise timed_out() from why()
    family = allowed_gai_family()
    if family != socket.AF_UNSPEC:
        infos = [info for info in infos if info[0] == family]
    last: Optional[OSError] = None
    for af, kind, proto, _, address in infos:
        sock = socket.socket(af, kind, proto)
        try:
            for option in conn.socket_options or ():
                sock.setsockopt(*option)
            if conn.source_address:
                sock.bind(conn.source_address)
            sock.setblocking(False)
            _connect(sock, address, limit, handle)
            sock.settimeout(_time_left(own))  # the proxy tunnel and TLS: the time left
            return sock
        except CallCancelled as exc:
            sock.close()
            raise NewConnectionError(conn, "The call was cancelled.") from exc
        except socket.timeout:
            sock.close()
            raise timed_out() from why()
        except OSError as exc:
            sock.close()
            last = exc
    raise last or OSError("getaddrinfo returned no address")


def _connect(
    sock: socket.socket, address: Any, limit: float, handle: Optional[_CancelHandle]
) -> None:
    """Connect the non-blocking ``sock`` before ``limit``; a cancel shuts it down (which
    ends a connect under way) through a duplicate kept until the call ends."""
    if handle is None:
        err = sock.connect_ex(address)
    else:
        spare = sock.dup()
        _local.spares.append(spare)
        err = handle.attach_then(lambda: _shut(spare), lambda: sock.connect_ex(address))
    if err != 0 and err not in CONNECT_IN_PROGRESS:
        raise OSError(err, os.strerror(err))
    while err != 0:
        left = limit - time.monotonic()
        if left <= 0:
            raise socket.timeout("timed out")
        readable, writable = wait_io([sock], [sock], left)
        if handle is not None and handle.cancelled:
            raise CallCancelled("The call was cancelled.")
        if readable or writable:
            err = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if err != 0:
                raise OSError(err, os.strerror(err))
    if handle is not None and handle.cancelled:
        raise CallCancelled("The call was cancelled.")


def _new_conn(conn: HTTPConnection, default: Callable[[], socket.socket]) -> socket.socket:
    """urllib3's ``_new_conn`` (``default``) outside :func:`within`; inside, :func:`_open`
    with urllib3's errors."""
    deadline: Optional[float] = getattr(_local, "deadline", None)
    if deadline is None:
        return default()
    try:
        sock = _open(conn, deadline)
    except socket.gaierror as exc:
        raise _name_error(conn, exc) from exc
    except OSError as exc:
        raise NewConnectionError(conn, f"Failed to establish a new connection: {exc}") from exc
    sys.audit("http.client.connect", conn, conn.host, conn.port)
    return sock


def _name_error(conn: HTTPConnection, exc: socket.gaierror) -> Exception:
    try:  # urllib3 2.x; 1.26 reports a failed resolution as a NewConnectionError
        from urllib3.exceptions import NameResolutionError  # noqa: PLC0415
    except ImportError:  # pragma: no cover (urllib3 1.26)
        return NewConnectionError(conn, f"Failed to establish a new connection: {exc}")
    return NameResolutionError(conn.host, conn, exc)


def _tunnel(conn: HTTPConnection, default: Callable[[], None]) -> None:
    """The proxy's ``CONNECT`` (urllib3's ``_tunnel``, ``default``) with each send and
    receive given only the time left; then the socket's timeout is the time left, for the
    TLS handshake."""
    raw = conn.sock
    if getattr(_local, "deadline", None) is None or raw is None:
        default()
        return
    conn.sock = _DeadlineSocket(raw)
    try:
        default()
    finally:
        if conn.sock is not None:  # a failed tunnel closes the connection
            conn.sock = raw
    raw.settimeout(_time_left(_own_timeout(conn.timeout)))


class _DeadlineSocket:
    """A connected socket (plain or TLS) whose sends and receives respect the deadline.

    Whatever it does not define is the wrapped socket's (``fileno``, ``close``,
    ``shutdown``, ...)."""

    def __init__(self, sock: Any, handle: Optional[_CancelHandle] = None) -> None:
        self._sock = sock
        self._timeout: Optional[float] = sock.gettimeout()
        #: The cancel handle of the call using the connection now, if it was told one.
        self.handle = handle

    def settimeout(self, timeout: Optional[float]) -> None:
        self._timeout = timeout
        self._sock.settimeout(timeout)

    def gettimeout(self) -> Optional[float]:
        return self._timeout

    def arm(self) -> None:
        """Give the next operation the time left (and tell ``within``'s ``on_socket`` a
        cancel handle of a reused connection)."""
        if not getattr(_local, "told", True):
            if getattr(_local, "on_socket", None) is None:
                _local.told = True
            else:
                handle = _new_handle()
                # socket.socket's own shutdown(2): an SSLSocket's would also drop its TLS
                # object under the reading thread.
                handle.attach(lambda: _shut_raw(self._sock))
                self.handle = handle
                _tell(handle)
        self._sock.settimeout(_time_left(self._timeout))

    def release(self) -> None:
        """The connection goes back to its pool: the call's cancel handle lets go of it."""
        handle, self.handle = self.handle, None
        if handle is not None:
            handle.let_go()

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
    """A connection whose every step keeps the deadline (``_HTTPSConnection`` too: its
    ``super()`` is then ``HTTPSConnection``, which adds the TLS handshake)."""

    def _new_conn(self) -> socket.socket:
        return _new_conn(self, super()._new_conn)

    def _tunnel(self) -> None:
        _tunnel(self, super()._tunnel)

    def connect(self) -> None:
        try:
            super().connect()
        finally:  # _open left the cancel handle of the call that opened the connection here
            handle: Optional[_CancelHandle] = self.__dict__.pop("_cancel_handle", None)
        self.sock = _DeadlineSocket(self.sock, handle)


class _HTTPSConnection(_HTTPConnection, HTTPSConnection):
    pass


def _release(conn: Any) -> None:
    """Before ``conn`` goes back to its pool: the cancel handle of the call that used it
    lets go of it (a late cancel of that call must not end another call's connection)."""
    sock = getattr(conn, "sock", None)
    if isinstance(sock, _DeadlineSocket):
        sock.release()


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = _HTTPConnection

    def _put_conn(self, conn: Any) -> None:
        _release(conn)
        super()._put_conn(conn)


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection

    def _put_conn(self, conn: Any) -> None:
        _release(conn)
        super()._put_conn(conn)


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
