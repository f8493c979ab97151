"""Listening sockets: bind with SO_REUSEADDR, an accept loop, one tracked daemon thread per
connection, optional TLS (handshake in the connection thread), and an abrupt stop."""

from __future__ import annotations

import contextlib
import logging
import selectors
import socket
import ssl
import threading
import time
from typing import Any
from typing import Callable
from typing import Optional

__all__ = ["Listener", "abort_socket", "bind_listener"]

log = logging.getLogger(__name__)

_TLS_HANDSHAKE_TIMEOUT = 5.0


def bind_listener(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port`` with SO_REUSEADDR (so a restart can rebind)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    family, type_, proto, _, addr = infos[0]
    sock = socket.socket(family, type_, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(addr)
        sock.listen(128)
        sock.setblocking(False)
    except BaseException:
        sock.close()
        raise
    return sock


def abort_socket(sock: Optional[socket.socket]) -> None:
    """``shutdown(SHUT_RDWR)`` the raw socket, like a crash; blocked readers wake at once.

    The plain ``socket.socket.shutdown`` is called even on an ``SSLSocket`` so no TLS
    close_notify is attempted.
    """
    if sock is None:
        return
    with contextlib.suppress(OSError):
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


class Listener:
    """Accepts connections on ``sock`` and runs ``serve(conn, addr)`` in a daemon thread each."""

    def __init__(
        self,
        sock: socket.socket,
        name: str,
        serve: Callable[[socket.socket, Any], None],
        ssl_context: Optional[ssl.SSLContext] = None,
    ) -> None:
        self.sock = sock
        self.name = name
        self._serve = serve
        self._ssl = ssl_context
        self._lock = threading.Lock()
        self._conns: dict[threading.Thread, socket.socket] = {}  # live connections
        # Every connection thread until it has exited (a thread drops its socket from _conns
        # before it ends, so stop() must join these, not just those in _conns).
        self._threads: set[threading.Thread] = set()
        self._stopping = False
        self._wake_r, self._wake_w = socket.socketpair()
        self._thread = threading.Thread(
            target=self._accept_loop, name=f"{name}-accept", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def _accept_loop(self) -> None:
        sel = selectors.DefaultSelector()
        try:
            sel.register(self.sock, selectors.EVENT_READ)
            sel.register(self._wake_r, selectors.EVENT_READ)
            while not self._stopping:
                for key, _ in sel.select():
                    if key.fileobj is not self.sock or self._stopping:
                        continue
                    try:
                        conn, addr = self.sock.accept()
                    except (BlockingIOError, InterruptedError):
                        continue
                    except OSError:
                        return
                    self._spawn(conn, addr)
        except (OSError, ValueError):  # the listening socket was closed under us
            pass
        finally:
            sel.close()

    def _spawn(self, conn: socket.socket, addr: Any) -> None:
        conn.setblocking(True)
        if conn.family in (socket.AF_INET, socket.AF_INET6):
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self._lock:
            if self._stopping:
                abort_socket(conn)
                conn.close()
                return
            thread = threading.Thread(
                target=self._run, args=(conn, addr), name=f"{self.name}-conn", daemon=True
            )
            self._threads = {t for t in self._threads if t.is_alive()}
            self._threads.add(thread)
            self._conns[thread] = conn
            thread.start()

    def _run(self, conn: socket.socket, addr: Any) -> None:
        me = threading.current_thread()
        sock = conn
        try:
            if self._ssl is not None:
                with self._lock:
                    if self._stopping:
                        return
                    sock = self._ssl.wrap_socket(
                        conn, server_side=True, do_handshake_on_connect=False
                    )
                    self._conns[me] = sock
                sock.settimeout(_TLS_HANDSHAKE_TIMEOUT)
                assert isinstance(sock, ssl.SSLSocket)
                sock.do_handshake()
                sock.settimeout(None)
            self._serve(sock, addr)
        except Exception as exc:  # a broken peer must never kill anything else
            log.debug("%s connection from %s ended: %r", self.name, addr, exc)
        finally:
            with self._lock:
                self._conns.pop(me, None)
            with contextlib.suppress(OSError):
                sock.close()

    def stop(self, deadline_s: float = 1.0) -> list[threading.Thread]:
        """Stop accepting, abort every connection, join the threads.

        Returns the threads still alive after ``deadline_s`` (normally none).
        """
        with self._lock:
            self._stopping = True
            conns = dict(self._conns)
            threads = set(self._threads)
        with contextlib.suppress(OSError):
            self._wake_w.send(b"x")
        self._thread.join(deadline_s)
        with contextlib.suppress(OSError):
            self.sock.close()
        for sock in conns.values():
            abort_socket(sock)
        end = time.monotonic() + deadline_s
        stragglers: list[threading.Thread] = []
        for thread in threads:
            thread.join(max(0.0, end - time.monotonic()))
            if thread.is_alive():
                stragglers.append(thread)
        for s in (self._wake_r, self._wake_w):
            s.close()
        return stragglers
