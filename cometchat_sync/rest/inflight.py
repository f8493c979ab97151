"""Sockets of REST calls in flight that another thread may have to end at once.

A catch-up page is fetched on the dispatcher thread; ``close()`` and ``logout()`` must not
wait for it (a slow server could hold it for the whole request timeout, keeping the thread
alive past ``close()``'s join budget). The call registers its socket here through
``RestClient.call(on_socket=...)``; :meth:`InflightSockets.abort` shuts every registered
socket down, which ends the blocked send or receive at once (the call then fails, and its
page is dropped as one of an ended session).
"""

from __future__ import annotations

import contextlib
import socket
import threading
import weakref

__all__ = ["InflightSockets"]


class InflightSockets:
    """A weak set of sockets; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sockets: weakref.WeakSet[socket.socket] = weakref.WeakSet()

    def track(self, sock: socket.socket) -> None:
        """Remember ``sock`` (the ``on_socket`` hook of a call)."""
        with self._lock:
            self._sockets.add(sock)

    def abort(self) -> None:
        """Shut every remembered socket down (pooled ones are then dropped, not reused)."""
        with self._lock:
            sockets = list(self._sockets)
            self._sockets = weakref.WeakSet()
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def after_fork_in_child(self) -> None:
        """In a forked child: forget the parent's sockets (never shut them down)."""
        self._lock = threading.Lock()
        self._sockets = weakref.WeakSet()
