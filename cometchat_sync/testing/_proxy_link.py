"""One connection through :class:`~cometchat_sync.testing.proxy.FaultProxy`, and its pumps.

A :class:`Pair` is the client's socket, the socket to the server and two pump threads, one per
direction. A pump dials the server (the client-to-server one does), reads chunks from its
source, holds them (until due in ``delay`` mode, as long as the mode lasts in ``blackhole``
mode) and forwards them, then passes the FIN or the reset on. The proxy owns the mode and the
counters: a pair reads the mode through a callable at each step and reports the bytes it read
and its own end through the callables it was given.

Also here: the mode and close names, the timing constants and the socket helpers both sides
use. Only the standard library is used.
"""

from __future__ import annotations

import collections
import contextlib
import errno
import socket
import struct
import threading
import time
from collections.abc import Callable
from typing import Optional

from .._neterrors import CONNECT_IN_PROGRESS
from .._poll import wait_io
from ._proxy_http import MAX_HEAD
from ._proxy_http import Route
from ._proxy_http import bad_gateway
from ._proxy_http import close_after_answer
from ._proxy_http import route_request

__all__ = [
    "BLACKHOLE",
    "DELAY",
    "FIN",
    "PASS",
    "REFUSE",
    "RST",
    "TICK",
    "Pair",
    "close_quietly",
    "close_socket",
    "no_delay",
    "wake_pair",
]

#: The longest any proxy thread sleeps before it looks at the mode and its stop flags again.
TICK = 0.05
_CHUNK = 65536
#: Bytes a direction holds (blackhole, delay) before it stops reading from its source.
_MAX_HELD = 4 * 1024 * 1024
_DIAL_TIMEOUT = 5.0


# The modes.
PASS = "pass"
DELAY = "delay"
BLACKHOLE = "blackhole"
REFUSE = "refuse"

# How a connection is closed.
FIN = "fin"
RST = "rst"


# -- socket helpers ----------------------------------------------------------------------------


def wake_pair() -> tuple[socket.socket, socket.socket]:
    """A non-blocking socket pair: writing a byte to the second wakes a wait on the first."""
    read, write = socket.socketpair()
    read.setblocking(False)
    write.setblocking(False)
    return read, write


def close_quietly(*socks: Optional[socket.socket]) -> None:
    """Close each socket given, ignoring ``None`` and errors."""
    for sock in socks:
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.close()


def no_delay(sock: socket.socket) -> None:
    """Send small writes at once (TCP_NODELAY), if the socket allows it."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def close_socket(sock: Optional[socket.socket], how: str) -> None:
    """Close with a FIN (drain, ``shutdown(SHUT_RDWR)``, close: on Linux a bare close of a
    socket another thread is blocked on sends no FIN) or with a reset (SO_LINGER 0, close)."""
    if sock is None:
        return
    if how == RST:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    else:
        # Unread bytes would turn the close into a reset: drain what's there first.
        with contextlib.suppress(OSError):
            sock.setblocking(False)
            for _ in range(64):
                if not sock.recv(_CHUNK):
                    break
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
    close_quietly(sock)


# -- one connection ----------------------------------------------------------------------------


class Pair:
    """One proxied connection: the client's socket, the upstream socket, two pumps.

    Args:
        number: the connection's number, for the thread names.
        client: the accepted socket, non-blocking.
        held: accepted while blackholed, so not connected upstream yet.
        target: ``(family, address)`` of the server; None for an HTTP proxy's pair, which
            learns it from the client's first request.
        mode: returns the proxy's current ``(mode, delay)``.
        on_read: called with ``(up, n)`` for every chunk read.
        on_closed: called once, when both sockets are closed.
        thread_prefix: the start of the pump threads' names.
        credentials: for an HTTP proxy's pair, the ``(user, password)`` it requires, if any.
        on_route: for an HTTP proxy's pair, called with each routed request's summary.

    The pump threads are made here and run by :meth:`start`.
    """

    def __init__(
        self,
        number: int,
        client: socket.socket,
        *,
        held: bool,
        target: Optional[tuple[int, tuple[str, int]]],
        mode: Callable[[], tuple[str, float]],
        on_read: Callable[[bool, int], None],
        on_closed: Callable[[Pair], None],
        thread_prefix: str,
        credentials: Optional[tuple[str, str]] = None,
        on_route: Optional[Callable[[str], None]] = None,
    ) -> None:
        self.number = number
        self.client = client
        self.upstream: Optional[socket.socket] = None
        #: Accepted while blackholed: not connected upstream yet.
        self.held = held
        self.target = target
        self.credentials = credentials
        self.on_route = on_route
        self.mode = mode
        self.on_read = on_read
        self.on_closed = on_closed
        self.lock = threading.Lock()
        self.abort: Optional[str] = None
        self.wake_r, self.wake_w = wake_pair()
        #: Set once the upstream socket is connected.
        self.ready = False
        #: Set when ``ready`` becomes true or the pair ends (wakes a waiting down pump).
        self.wakeup = threading.Event()
        self.done = threading.Event()
        self.pumps_alive = 2
        self.closed = False
        self.directions = (_Direction(self, True), _Direction(self, False))
        self.threads = [
            threading.Thread(
                target=direction.run,
                name=f"{thread_prefix}-{'up' if direction.up else 'down'}-{number}",
                daemon=True,
            )
            for direction in self.directions
        ]

    def start(self) -> None:
        """Start both pumps."""
        for thread in self.threads:
            thread.start()

    def end(self, how: str) -> None:
        """Ask both pumps to stop; the last one closes the sockets with ``how``."""
        with self.lock:
            if self.abort is None:
                self.abort = how
            if not self.closed:  # under the lock: never write to a recycled descriptor
                with contextlib.suppress(OSError):
                    self.wake_w.send(b"x")
        self.wakeup.set()

    def ended(self) -> bool:
        """True once :meth:`end` was called (read by the pumps between ticks)."""
        return self.abort is not None

    def pump_finished(self) -> None:
        """Called by each pump as it returns; the last one closes everything."""
        with self.lock:
            self.pumps_alive -= 1
            last = self.pumps_alive == 0
            how = self.abort or FIN
            if last:
                self.closed = True
                close_quietly(self.wake_r, self.wake_w)
        if not last:
            return
        close_socket(self.client, how)
        close_socket(self.upstream, how)
        self.on_closed(self)
        self.done.set()

    def target_is_routed(self) -> bool:
        """True for an HTTP proxy's pair (its target came from the client's request)."""
        return self.on_route is not None

    def dial(self) -> bool:
        """Connect upstream without blocking past a tick. False if the pair ended."""
        assert self.target is not None  # an HTTP proxy's pair is routed first
        family, addr = self.target
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setblocking(False)
        with self.lock:
            if self.abort is not None:
                sock.close()
                return False
            self.upstream = sock  # the closer owns it from now on
        code = sock.connect_ex(addr)
        deadline = time.monotonic() + _DIAL_TIMEOUT
        while code in CONNECT_IN_PROGRESS:
            if self.ended():
                return False
            if time.monotonic() >= deadline:
                code = errno.ETIMEDOUT
                break
            try:
                _, writable = wait_io([self.wake_r], [sock], TICK)
            except (OSError, ValueError):
                return False
            if writable:
                code = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if code != 0:
            if self.target_is_routed():
                # An HTTP proxy answers 502 when the server named by the request is down.
                with contextlib.suppress(OSError):
                    self.client.send(bad_gateway())
                self.end(FIN)
            else:
                self.end(RST)  # the server is unreachable: the client sees a reset
            return False
        no_delay(sock)
        self.ready = True
        self.wakeup.set()
        return True


class _Direction:
    """One pump: moves bytes one way (client to server when ``up``, else server to client)
    and holds the chunks not yet forwarded (with their due times) and the EOF."""

    __slots__ = ("eof", "head", "held", "held_bytes", "pair", "reset", "rewrite", "up")

    def __init__(self, pair: Pair, up: bool) -> None:
        self.pair = pair
        self.up = up
        self.held: collections.deque[tuple[float, bytes]] = collections.deque()
        self.held_bytes = 0
        self.eof = False
        self.reset = False
        #: Down pump of a plain HTTP request: the answer's head gets ``Connection: close``.
        self.rewrite = False
        self.head = b""

    def run(self) -> None:
        """The pump thread's body."""
        try:
            self._loop()
        except Exception:  # a pump must never leave its pair half alive
            self.pair.end(RST)
        finally:
            self.pair.pump_finished()

    def _read_once(self, src: socket.socket) -> bool:
        """Read one chunk from ``src`` and hold it. False when nothing was there."""
        try:
            data = src.recv(_CHUNK)
        except (BlockingIOError, InterruptedError):
            return False
        except OSError:
            self.eof = self.reset = True
            return True
        if not data:
            data, self.head, self.eof = self.head, b"", True  # an unfinished head goes as is
            if not data:
                return True
        elif self.rewrite:
            data = self._rewrite_head(data)
            if not data:
                return True  # the head is not whole yet
        mode, delay = self.pair.mode()  # read now: it may have changed during the wait
        self.held.append((time.monotonic() + (delay if mode == DELAY else 0.0), data))
        self.held_bytes += len(data)
        self.pair.on_read(self.up, len(data))
        return True

    def _rewrite_head(self, data: bytes) -> bytes:
        """Hold the answer's head until it is whole, then give it with ``Connection: close``
        (so the client never reuses a connection the proxy ends); b"" while it is not."""
        self.head += data
        if b"\r\n\r\n" not in self.head and len(self.head) <= MAX_HEAD:
            return b""
        self.rewrite = False
        out, self.head = close_after_answer(self.head), b""
        return out

    def _route(self) -> bool:
        """An HTTP proxy's up pump: read the client's request head, then route it (the
        target, the bytes for each side) or answer it with an error and end the pair.
        False until the head is all there, and when the request was refused."""
        pair = self.pair
        data = b"".join(chunk for _, chunk in self.held)
        if b"\r\n\r\n" not in data:
            if self.eof or len(data) > MAX_HEAD:
                pair.end(FIN)
                return False
            try:
                readable, _ = wait_io([pair.wake_r, pair.client], [], TICK)
            except (OSError, ValueError):
                pair.end(FIN)
                return False
            if pair.client in readable:
                self._read_once(pair.client)
            return False
        outcome = route_request(data, pair.credentials)
        target = _resolve(outcome) if isinstance(outcome, Route) else None
        if not isinstance(outcome, Route) or target is None:
            with contextlib.suppress(OSError):
                pair.client.send(outcome if isinstance(outcome, bytes) else bad_gateway())
            pair.end(FIN)
            return False
        if pair.on_route is not None:
            pair.on_route(outcome.summary)
        self.held.clear()
        self.held_bytes = len(outcome.to_server)
        if outcome.to_server:
            self.held.append((0.0, outcome.to_server))
        down = pair.directions[1]
        down.rewrite = not outcome.to_client  # a plain HTTP request (not a tunnel)
        if outcome.to_client:  # the down pump sends it first, once the server is reached
            down.held.append((0.0, outcome.to_client))
            down.held_bytes += len(outcome.to_client)
        pair.target = target
        return True

    def _loop(self) -> None:
        pair, up, held = self.pair, self.up, self.held
        while not pair.ended():
            forwarding = pair.mode()[0] != BLACKHOLE
            if not pair.ready:
                if not up:
                    # Nothing to read until the up pump has dialled.
                    pair.wakeup.wait(TICK)
                    continue
                if forwarding:
                    if pair.held:
                        # Take in what the client did while the path was dead (its FIN too).
                        while (
                            not self.eof
                            and self.held_bytes < _MAX_HELD
                            and self._read_once(pair.client)
                        ):
                            pass
                        if self.eof:
                            # Its client gave up while the path was dead: the server never
                            # hears of it, as with a SYN that was never answered.
                            pair.end(FIN)
                            return
                    if pair.target is None and not self._route():
                        continue  # the request is not all there yet (or it was refused)
                    if not pair.dial():
                        return
                    continue
            upstream = pair.upstream
            if upstream is None and not up:
                return  # can't happen: ready implies an upstream socket
            src = pair.client if up else upstream
            dst = upstream if up else pair.client
            assert src is not None
            now = time.monotonic()
            can_write = forwarding and pair.ready and dst is not None
            wants_write = can_write and bool(held) and held[0][0] <= now
            timeout = TICK
            if can_write and held and held[0][0] > now:
                timeout = min(TICK, held[0][0] - now)
            reads = [pair.wake_r]
            if not self.eof and self.held_bytes < _MAX_HELD:
                reads.append(src)
            try:
                readable, writable = wait_io(
                    reads, [dst] if wants_write and dst is not None else [], timeout
                )
            except (OSError, ValueError):
                return
            if pair.ended():
                return
            if src in readable:
                self._read_once(src)
            if writable and held and dst is not None:
                due, data = held[0]
                try:
                    sent = dst.send(data)
                except (BlockingIOError, InterruptedError):
                    sent = 0
                except OSError:
                    pair.end(RST)  # the receiver is gone: reset the sender too
                    return
                self.held_bytes -= sent
                if sent == len(data):
                    held.popleft()
                else:
                    held[0] = (due, data[sent:])
            if self.eof and not held and can_write and dst is not None:
                if self.reset:
                    pair.end(RST)
                    return
                with contextlib.suppress(OSError):
                    dst.shutdown(socket.SHUT_WR)
                return  # this direction is finished; the other one ends the pair


def _resolve(route: Route) -> Optional[tuple[int, tuple[str, int]]]:
    """``(family, address)`` of the route's server; None when the name does not resolve."""
    try:
        info = socket.getaddrinfo(*route.target, type=socket.SOCK_STREAM)[0]
    except (OSError, UnicodeError):
        return None
    return int(info[0]), (str(info[4][0]), int(info[4][1]))
