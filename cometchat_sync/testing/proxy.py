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
:meth:`~FaultProxy.cut` and :meth:`~FaultProxy.stop` apply at once. A connection and its two
pumps live in the private module ``_proxy_link``; this one accepts, keeps the mode and counts.
Only the standard library is used.
"""

from __future__ import annotations

import contextlib
import math
import socket
import threading
import time
from typing import Any
from typing import Callable
from typing import Optional
from urllib.parse import quote

from .._poll import wait_io
from ._proxy_link import BLACKHOLE
from ._proxy_link import DELAY
from ._proxy_link import FIN
from ._proxy_link import PASS
from ._proxy_link import REFUSE
from ._proxy_link import RST
from ._proxy_link import TICK
from ._proxy_link import Pair
from ._proxy_link import close_quietly
from ._proxy_link import close_socket
from ._proxy_link import no_delay
from ._proxy_link import wake_pair
from ._service import LocalService

# Why a proxy of our own: no maintained Python library offers an in-process TCP proxy that
# injects faults with blackhole semantics, where bytes are held and delivered later when the
# path comes back; toxiproxy, the usual tool, is a separate Go server to install and run.

__all__ = ["ConnectProxy", "FaultProxy"]

_JOIN_TIMEOUT = 1.0


class FaultProxy(LocalService):
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
        self._target: Optional[tuple[str, int]] = (target_host, int(target_port))
        self._bind = (host, int(port))
        self._address: Optional[tuple[str, int]] = None
        self._target_addr: Optional[tuple[int, tuple[str, int]]] = None
        self._cond = threading.Condition()
        self._mode: tuple[str, float] = (PASS, 0.0)
        self._listener: Optional[socket.socket] = None
        self._wake_r: Optional[socket.socket] = None
        self._wake_w: Optional[socket.socket] = None
        self._accept_thread: Optional[threading.Thread] = None
        self._pairs: set[Pair] = set()
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
        if self._target is not None:
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
        self._wake_r, self._wake_w = wake_pair()
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
        for pair in self._end_pairs(FIN):
            for thread in pair.threads:
                thread.join(max(0.0, deadline - time.monotonic()))
        close_quietly(self._wake_r, self._wake_w)

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
        self._set_mode(PASS, 0.0)

    def delay(self, seconds: float) -> None:
        """Hold every chunk for ``seconds`` before forwarding it, in each direction."""
        seconds = float(seconds)
        if not math.isfinite(seconds) or seconds < 0:
            raise ValueError("delay must be a finite number of seconds >= 0")
        self._set_mode(DELAY, seconds)

    def blackhole(self) -> None:
        """Read from both sides, forward nothing, answer nothing; hold new connections silent."""
        self._set_mode(BLACKHOLE, 0.0)

    def refuse(self) -> None:
        """Reset new connections at once; live ones keep going."""
        self._set_mode(REFUSE, 0.0)

    def cut(self, rst: bool = False) -> None:
        """End every live connection now, with a FIN (default) or a reset. The mode is kept.

        Returns once the connections are closed (or after about a second).
        """
        pairs = self._end_pairs(RST if rst else FIN)
        deadline = time.monotonic() + _JOIN_TIMEOUT
        for pair in pairs:
            pair.done.wait(max(0.0, deadline - time.monotonic()))

    def _end_pairs(self, how: str) -> list[Pair]:
        """Ask every live connection to end with ``how``; returns them."""
        with self._cond:
            pairs = list(self._pairs)
        for pair in pairs:
            pair.end(how)
        return pairs

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
        target = f"{self._target[0]}:{self._target[1]}" if self._target else "CONNECT"
        return (
            f"{type(self).__name__}({where} -> {target}, mode={self.mode!r}, "
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
                    readable, _ = wait_io([listener, wake], [], TICK)
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
            close_quietly(listener)

    def _on_accept(self, number: int, client: socket.socket) -> None:
        mode = self._mode[0]
        if mode == REFUSE:
            with self._cond:  # count first: the client may act on the reset at once
                self._accepted += 1
                self._refused += 1
                self._cond.notify_all()
            close_socket(client, RST)
            return
        client.setblocking(False)
        no_delay(client)
        port = self._address[1] if self._address else 0
        pair = Pair(
            number,
            client,
            held=mode == BLACKHOLE,
            target=self._target_addr,
            mode=self._current_mode,
            on_read=self._count,
            on_closed=self._pair_closed,
            thread_prefix=f"faultproxy-{port}",
            **self._pair_options(),
        )
        with self._cond:
            self._pairs.add(pair)
            self._accepted += 1
            self._cond.notify_all()
        pair.start()

    def _pair_options(self) -> dict[str, Any]:
        """Extra arguments of each connection's :class:`Pair` (the HTTP proxy's rules)."""
        return {}

    def _current_mode(self) -> tuple[str, float]:
        """The mode and delay, read without the lock (one attribute: it is read whole)."""
        return self._mode

    def _pair_closed(self, pair: Pair) -> None:
        with self._cond:
            self._pairs.discard(pair)
            self._cond.notify_all()

    def _count(self, up: bool, n: int) -> None:
        with self._cond:
            if up:
                self._bytes_up += n
            else:
                self._bytes_down += n


class ConnectProxy(FaultProxy):
    """An HTTP forward proxy on loopback (``CONNECT`` tunnels, and plain ``http://`` requests
    in absolute form), with every fault mode of :class:`FaultProxy`.

    Point the SDK at it with ``AppSettingsBuilder().set_proxy(proxy.url)`` or the
    ``HTTPS_PROXY``/``HTTP_PROXY`` variables; it tunnels to whatever host and port each
    request names. In :meth:`~FaultProxy.blackhole` mode it accepts and never answers (a proxy
    that hangs); :meth:`~FaultProxy.refuse` resets new connections.

    Args:
        host: the address to listen on.
        port: the port to listen on; 0 (the default) picks a free one.
        credentials: ``(user, password)``: requests without the matching
            ``Proxy-Authorization: Basic`` header are answered ``407``.

    :attr:`requests` lists what it routed (``"CONNECT 127.0.0.1:8080"``,
    ``"GET http://127.0.0.1:8000/v3.0/me"``); :meth:`wait_for_requests` waits for them.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        credentials: Optional[tuple[str, str]] = None,
    ) -> None:
        super().__init__("", 0, host, port)
        self._target = None
        self._credentials = credentials
        self._requests: list[str] = []

    @property
    def url(self) -> str:
        """``http://[user:password@]host:port``, for ``set_proxy`` or ``HTTPS_PROXY``."""
        auth = ""
        if self._credentials is not None:
            user, password = (quote(part, safe="") for part in self._credentials)
            auth = f"{user}:{password}@"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{auth}{host}:{self.port}"

    @property
    def requests(self) -> list[str]:
        """The requests routed so far, oldest first (refused ones are not listed)."""
        with self._cond:
            return list(self._requests)

    def wait_for_requests(self, predicate: Callable[[list[str]], bool], timeout: float) -> bool:
        """Wait until ``predicate(requests)`` is true; ``False`` on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: predicate(self._requests), timeout)

    def _pair_options(self) -> dict[str, Any]:
        return {"credentials": self._credentials, "on_route": self._routed}

    def _routed(self, summary: str) -> None:
        with self._cond:
            self._requests.append(summary)
            self._cond.notify_all()
