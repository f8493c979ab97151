"""A loopback TCP proxy that injects network faults between a client and a server.

Put a :class:`FaultProxy` between the SDK and the emulator, point the SDK at the proxy's
address, and switch the network's behaviour at any time::

    with FaultProxy("127.0.0.1", emulator_port) as proxy:
        client = make_client(port=proxy.port)
        ...
        proxy.blackhole()          # the path goes dead: sends succeed, nothing comes back
        ...
        proxy.pass_through()       # the path comes back
        proxy.cut(rst=True)        # every live connection is reset

Modes (they apply to live connections and to new ones):

* :meth:`~FaultProxy.pass_through`: bytes are forwarded as they come.
* :meth:`~FaultProxy.delay`: every chunk is held for ``seconds`` before it is forwarded, in
  each direction.
* :meth:`~FaultProxy.blackhole`: a dead network path. The proxy keeps accepting connections
  and reading what both sides send (so their sends succeed), but forwards nothing and answers
  nothing, not even a FIN or a reset. New connections are accepted and held silent; the server
  doesn't see them. Like TCP on a path that comes back, nothing is lost: when the mode changes
  back, the held bytes (and FINs) are delivered, and held connections whose client is still
  there are connected to the server.
* :meth:`~FaultProxy.refuse`: new connections are reset at once (SO_LINGER 0); live ones keep
  going.

:meth:`~FaultProxy.cut` ends every live connection now, with a FIN or a reset, and leaves the
mode as it is.

Threads: one accept thread, and two pump threads per connection (one per direction), all
daemon threads that wake at least every 50 ms, so mode changes apply within a tick and
:meth:`~FaultProxy.cut` and :meth:`~FaultProxy.stop` apply at once. Only the standard library
is used.
"""

from __future__ import annotations

import collections
import contextlib
import errno
import math
import select
import socket
import struct
import threading
import time
from types import TracebackType
from typing import Optional

__all__ = ["FaultProxy"]

_TICK = 0.05
_CHUNK = 65536
#: Bytes a direction holds (blackhole, delay) before it stops reading from its source.
_MAX_HELD = 4 * 1024 * 1024
_DIAL_TIMEOUT = 5.0
_JOIN_TIMEOUT = 1.0

_IN_PROGRESS = frozenset(
    code
    for code in (
        errno.EINPROGRESS,
        errno.EWOULDBLOCK,
        errno.EALREADY,
        errno.EAGAIN,
        getattr(errno, "WSAEWOULDBLOCK", None),
    )
    if code is not None
)

_PASS = "pass"
_DELAY = "delay"
_BLACKHOLE = "blackhole"
_REFUSE = "refuse"

_FIN = "fin"
_RST = "rst"


def _linger_zero(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def _close(sock: Optional[socket.socket], how: str) -> None:
    """Close with a FIN (drain, ``shutdown(SHUT_RDWR)``, close: on Linux a bare close of a
    socket another thread is blocked on sends no FIN) or with a reset (SO_LINGER 0, close)."""
    if sock is None:
        return
    if how == _RST:
        _linger_zero(sock)
    else:
        # Unread bytes would turn the close into a reset: drain what's there first.
        with contextlib.suppress(OSError):
            sock.setblocking(False)
            for _ in range(64):
                if not sock.recv(_CHUNK):
                    break
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        sock.close()


class _Direction:
    """What one pump holds: chunks not yet forwarded (with their due times) and the EOF."""

    __slots__ = ("eof", "held", "held_bytes", "reset")

    def __init__(self) -> None:
        self.held: collections.deque[tuple[float, bytes]] = collections.deque()
        self.held_bytes = 0
        self.eof = False
        self.reset = False


class _Pair:
    """One proxied connection: the client's socket, the upstream socket, two pumps."""

    def __init__(self, proxy: FaultProxy, number: int, client: socket.socket, held: bool) -> None:
        self.proxy = proxy
        self.number = number
        self.client = client
        self.upstream: Optional[socket.socket] = None
        #: Accepted while blackholed: not connected upstream yet.
        self.held = held
        self.lock = threading.Lock()
        self.abort: Optional[str] = None
        self.wake_r, self.wake_w = socket.socketpair()
        self.wake_r.setblocking(False)
        self.wake_w.setblocking(False)
        #: Set once the upstream socket is connected.
        self.ready = False
        #: Set when ``ready`` becomes true or the pair ends (wakes a waiting down pump).
        self.wakeup = threading.Event()
        self.done = threading.Event()
        self.pumps_alive = 2
        self.closed = False
        self.threads: list[threading.Thread] = []

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
        with self.lock:
            self.pumps_alive -= 1
            last = self.pumps_alive == 0
            how = self.abort or _FIN
            if last:
                self.closed = True
                for sock in (self.wake_r, self.wake_w):
                    with contextlib.suppress(OSError):
                        sock.close()
        if not last:
            return
        _close(self.client, how)
        _close(self.upstream, how)
        self.proxy._pair_closed(self)
        self.done.set()


class FaultProxy:
    """A TCP proxy on loopback with switchable network faults.

    Args:
        target_host: the server to forward to (resolved once, at :meth:`start`).
        target_port: its port.
        host: the address to listen on.
        port: the port to listen on; 0 (the default) picks a free one.

    Use it as a context manager, or call :meth:`start` and :meth:`stop`. The counters and
    :meth:`wait_for_connections` help tests synchronise without sleeping.
    """

    def __init__(
        self, target_host: str, target_port: int, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self._target = (target_host, int(target_port))
        self._bind = (host, int(port))
        self._address: Optional[tuple[str, int]] = None
        self._target_addr: Optional[tuple[int, tuple[str, int]]] = None
        self._cond = threading.Condition()
        self._mode: tuple[str, float] = (_PASS, 0.0)
        self._listener: Optional[socket.socket] = None
        self._wake_r: Optional[socket.socket] = None
        self._wake_w: Optional[socket.socket] = None
        self._accept_thread: Optional[threading.Thread] = None
        self._pairs: set[_Pair] = set()
        self._started = False
        self._stopping = False
        self._accepted = 0
        self._refused = 0
        self._bytes_up = 0
        self._bytes_down = 0

    # -- life cycle ----------------------------------------------------------------------------

    def start(self) -> FaultProxy:
        """Bind, listen and start the accept thread. Returns the proxy itself."""
        with self._cond:
            if self._started:
                raise RuntimeError("FaultProxy.start() called twice")
            self._started = True
        info = socket.getaddrinfo(*self._target, type=socket.SOCK_STREAM)[0]
        self._target_addr = (int(info[0]), (str(info[4][0]), int(info[4][1])))
        family = socket.AF_INET6 if ":" in self._bind[0] else socket.AF_INET
        listener = socket.socket(family, socket.SOCK_STREAM)
        try:
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind(self._bind)
            listener.listen(128)
            listener.setblocking(False)
        except BaseException:
            listener.close()
            raise
        self._listener = listener
        bound = listener.getsockname()
        self._address = (bound[0], bound[1])
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._accept_thread = threading.Thread(
            target=self._accept_loop, name=f"faultproxy-accept-{bound[1]}", daemon=True
        )
        self._accept_thread.start()
        return self

    def stop(self) -> None:
        """Stop accepting, end every connection with a FIN, and join all threads.

        Safe to call twice. Takes well under a second.
        """
        with self._cond:
            if not self._started or self._stopping:
                return
            self._stopping = True
        deadline = time.monotonic() + _JOIN_TIMEOUT
        if self._wake_w is not None:
            with contextlib.suppress(OSError):
                self._wake_w.send(b"x")
        if self._accept_thread is not None:
            self._accept_thread.join(max(0.0, deadline - time.monotonic()))
        with self._cond:
            pairs = list(self._pairs)
        for pair in pairs:
            pair.end(_FIN)
        for pair in pairs:
            for thread in pair.threads:
                thread.join(max(0.0, deadline - time.monotonic()))
        for sock in (self._wake_r, self._wake_w):
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.close()

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self.stop()

    # -- where it listens ----------------------------------------------------------------------

    @property
    def address(self) -> tuple[str, int]:
        """``(host, port)`` the proxy listens on. Only known once started."""
        if self._address is None:
            raise RuntimeError("the FaultProxy is not started")
        return self._address

    @property
    def host(self) -> str:
        """The host the proxy listens on."""
        return self.address[0]

    @property
    def port(self) -> int:
        """The port the proxy listens on."""
        return self.address[1]

    # -- modes ---------------------------------------------------------------------------------

    @property
    def mode(self) -> str:
        """The current mode: ``"pass"``, ``"delay"``, ``"blackhole"`` or ``"refuse"``."""
        return self._mode[0]

    def pass_through(self) -> None:
        """Forward everything as it comes (the default)."""
        self._set_mode(_PASS, 0.0)

    def delay(self, seconds: float) -> None:
        """Hold every chunk for ``seconds`` before forwarding it, in each direction."""
        seconds = float(seconds)
        if not math.isfinite(seconds) or seconds < 0:
            raise ValueError("delay must be a finite number of seconds >= 0")
        self._set_mode(_DELAY, seconds)

    def blackhole(self) -> None:
        """Read from both sides, forward nothing, answer nothing; hold new connections silent."""
        self._set_mode(_BLACKHOLE, 0.0)

    def refuse(self) -> None:
        """Reset new connections at once; live ones keep going."""
        self._set_mode(_REFUSE, 0.0)

    def cut(self, rst: bool = False) -> None:
        """End every live connection now, with a FIN (default) or a reset. The mode is kept.

        Returns once the connections are closed (or after about a second).
        """
        with self._cond:
            pairs = list(self._pairs)
        how = _RST if rst else _FIN
        for pair in pairs:
            pair.end(how)
        deadline = time.monotonic() + _JOIN_TIMEOUT
        for pair in pairs:
            pair.done.wait(max(0.0, deadline - time.monotonic()))

    def _set_mode(self, mode: str, delay: float) -> None:
        with self._cond:
            self._mode = (mode, delay)
            self._cond.notify_all()

    # -- counters ------------------------------------------------------------------------------

    @property
    def connections_accepted(self) -> int:
        """Connections the proxy accepted, including those it refused with a reset."""
        with self._cond:
            return self._accepted

    @property
    def connections_refused(self) -> int:
        """Connections reset at once because the proxy was in ``refuse`` mode."""
        with self._cond:
            return self._refused

    @property
    def live_connections(self) -> int:
        """Connections not yet closed (held ones included)."""
        with self._cond:
            return len(self._pairs)

    @property
    def bytes_up(self) -> int:
        """Bytes the proxy read from clients (whether or not it forwarded them)."""
        with self._cond:
            return self._bytes_up

    @property
    def bytes_down(self) -> int:
        """Bytes the proxy read from the server (whether or not it forwarded them)."""
        with self._cond:
            return self._bytes_down

    def wait_for_connections(self, n: int, timeout: float) -> bool:
        """Wait until at least ``n`` connections were accepted; ``False`` on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: self._accepted >= n, timeout)

    def wait_for_live_connections(self, n: int, timeout: float) -> bool:
        """Wait until exactly ``n`` connections are live; ``False`` on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: len(self._pairs) == n, timeout)

    def __repr__(self) -> str:
        where = f"{self._address[0]}:{self._address[1]}" if self._address else "not started"
        return (
            f"FaultProxy({where} -> {self._target[0]}:{self._target[1]}, mode={self.mode!r}, "
            f"live={self.live_connections})"
        )

    # -- accept thread -------------------------------------------------------------------------

    def _accept_loop(self) -> None:
        listener = self._listener
        wake = self._wake_r
        assert listener is not None and wake is not None
        number = 0
        try:
            while not self._stopping:
                try:
                    readable, _, _ = select.select([listener, wake], [], [], _TICK)
                except (OSError, ValueError):
                    return
                if listener not in readable or self._stopping:
                    continue
                try:
                    client, _ = listener.accept()
                except (BlockingIOError, InterruptedError, ConnectionAbortedError):
                    continue
                except OSError:
                    return
                number += 1
                self._on_accept(number, client)
        finally:
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                listener.close()

    def _on_accept(self, number: int, client: socket.socket) -> None:
        mode = self._mode[0]
        if mode == _REFUSE:
            with self._cond:  # count first: the client may act on the reset at once
                self._accepted += 1
                self._refused += 1
                self._cond.notify_all()
            _close(client, _RST)
            return
        client.setblocking(False)
        with contextlib.suppress(OSError):
            client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        pair = _Pair(self, number, client, held=mode == _BLACKHOLE)
        port = self._address[1] if self._address else 0
        up = threading.Thread(
            target=self._pump,
            args=(pair, True),
            name=f"faultproxy-{port}-up-{number}",
            daemon=True,
        )
        down = threading.Thread(
            target=self._pump,
            args=(pair, False),
            name=f"faultproxy-{port}-down-{number}",
            daemon=True,
        )
        pair.threads = [up, down]
        with self._cond:
            self._pairs.add(pair)
            self._accepted += 1
            self._cond.notify_all()
        up.start()
        down.start()

    def _pair_closed(self, pair: _Pair) -> None:
        with self._cond:
            self._pairs.discard(pair)
            self._cond.notify_all()

    def _count(self, up: bool, n: int) -> None:
        with self._cond:
            if up:
                self._bytes_up += n
            else:
                self._bytes_down += n

    # -- pumps ---------------------------------------------------------------------------------

    def _dial(self, pair: _Pair) -> bool:
        """Connect ``pair`` upstream without blocking past a tick. False if it ended."""
        assert self._target_addr is not None
        family, addr = self._target_addr
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setblocking(False)
        with pair.lock:
            if pair.abort is not None:
                sock.close()
                return False
            pair.upstream = sock  # the closer owns it from now on
        code = sock.connect_ex(addr)
        deadline = time.monotonic() + _DIAL_TIMEOUT
        while code in _IN_PROGRESS:
            if pair.ended():
                return False
            if time.monotonic() >= deadline:
                code = errno.ETIMEDOUT
                break
            try:
                _, writable, failed = select.select([pair.wake_r], [sock], [sock], _TICK)
            except (OSError, ValueError):
                return False
            if writable or failed:
                code = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if code != 0:
            pair.end(_RST)  # the server is unreachable: the client sees a reset
            return False
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        pair.ready = True
        pair.wakeup.set()
        return True

    def _pump(self, pair: _Pair, up: bool) -> None:
        try:
            self._pump_loop(pair, up)
        except Exception:  # a pump must never leave its pair half alive
            pair.end(_RST)
        finally:
            pair.pump_finished()

    def _read_once(self, src: socket.socket, way: _Direction, up: bool) -> bool:
        """Read one chunk from ``src`` into ``way``. False when nothing was there."""
        try:
            data = src.recv(_CHUNK)
        except (BlockingIOError, InterruptedError):
            return False
        except OSError:
            way.eof = way.reset = True
            return True
        if not data:
            way.eof = True
            return True
        mode, delay = self._mode  # read now: it may have changed during select()
        way.held.append((time.monotonic() + (delay if mode == _DELAY else 0.0), data))
        way.held_bytes += len(data)
        self._count(up, len(data))
        return True

    def _pump_loop(self, pair: _Pair, up: bool) -> None:
        """Move bytes one way: client to server when ``up``, else server to client."""
        way = _Direction()
        held = way.held
        while not pair.ended():
            forwarding = self._mode[0] != _BLACKHOLE
            if not pair.ready:
                if not up:
                    # Nothing to read until the up pump has dialled.
                    pair.wakeup.wait(_TICK)
                    continue
                if forwarding:
                    if pair.held:
                        # Take in what the client did while the path was dead (its FIN too).
                        while (
                            not way.eof
                            and way.held_bytes < _MAX_HELD
                            and self._read_once(pair.client, way, up)
                        ):
                            pass
                        if way.eof:
                            # Its client gave up while the path was dead: the server never
                            # hears of it, as with a SYN that was never answered.
                            pair.end(_FIN)
                            return
                    if not self._dial(pair):
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
            timeout = _TICK
            if can_write and held and held[0][0] > now:
                timeout = min(_TICK, held[0][0] - now)
            reads = [pair.wake_r]
            if not way.eof and way.held_bytes < _MAX_HELD:
                reads.append(src)
            try:
                readable, writable, _ = select.select(
                    reads, [dst] if wants_write and dst is not None else [], [], timeout
                )
            except (OSError, ValueError):
                return
            if pair.ended():
                return
            if src in readable:
                self._read_once(src, way, up)
            if writable and held and dst is not None:
                due, data = held[0]
                try:
                    sent = dst.send(data)
                except (BlockingIOError, InterruptedError):
                    sent = 0
                except OSError:
                    pair.end(_RST)  # the receiver is gone: reset the sender too
                    return
                way.held_bytes -= sent
                if sent == len(data):
                    held.popleft()
                else:
                    held[0] = (due, data[sent:])
            if way.eof and not held and can_write and dst is not None:
                if way.reset:
                    pair.end(_RST)
                    return
                with contextlib.suppress(OSError):
                    dst.shutdown(socket.SHUT_WR)
                return  # this direction is finished; the other one ends the pair
