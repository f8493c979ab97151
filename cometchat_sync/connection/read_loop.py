"""The read loop: one thread (``cometchat-reader``) reading every client's socket.

Each authenticated socket of every client in the process is registered here with its
:class:`LinkHandler`. The thread waits in ``selectors`` (epoll, kqueue or poll: no limit on
descriptor numbers) until sockets are readable and calls each one's handler, which reads what
arrived without waiting, parses it and hands the frames to its client's events layer (a queue:
user code never runs here). A handler that reports its link ended is unregistered, then told
so (:meth:`LinkHandler.ended`), which closes the descriptor and reports the loss.

Registering and unregistering go through a queue and a wake-up socket pair, so any thread may
ask and the selector is only ever touched by the loop thread. The thread starts on the first
registration and ends after :data:`LINGER` seconds with no socket (or at once through
:meth:`ReadLoop.stop_idle`, which the last client's ``close()`` calls).

One loop serves the whole process (:func:`shared_read_loop`); after ``os.fork()`` the child
gets a fresh one (the parent's thread does not exist there and its sockets are the parent's).
"""

from __future__ import annotations

import collections
import contextlib
import logging
import selectors
import socket
import threading
from typing import Callable
from typing import Optional
from typing import Protocol

from .. import _engine

__all__ = ["LINGER", "LinkHandler", "ReadLoop", "shared_read_loop"]

log = logging.getLogger(__name__)

#: Seconds the thread waits with no socket before it ends (a reconnect re-registers sooner).
LINGER = 2.0


class LinkHandler(Protocol):
    """One registered socket's reader (the connection layer's, per link)."""

    def fileno(self) -> int:
        """The socket's descriptor."""

    def readable(self) -> bool:
        """Read and hand over what arrived, never waiting; False when the link ended."""

    def ended(self) -> None:
        """The socket was unregistered after ``readable()`` returned False, or because the
        loop is going away: close it and report the loss. Called once."""


class _Run:
    """One life of the loop thread: its queue of sockets to add and its wake-up pair. A
    thread that ends detaches its run first (under the loop's lock), so a registration
    racing with the end goes to a new run and never to a thread on its way out."""

    def __init__(self, name: str, target: Callable[[_Run], None]) -> None:
        self.adds: collections.deque[LinkHandler] = collections.deque()
        self.stopping = False
        self.wake_r, self.wake_w = socket.socketpair()
        self.wake_r.setblocking(False)
        self.wake_w.setblocking(False)
        self.thread = threading.Thread(target=target, args=(self,), name=name, daemon=True)

    def wake(self) -> None:
        with contextlib.suppress(OSError):  # full: the loop is awake anyway
            self.wake_w.send(b"x")

    def close(self) -> None:
        for sock in (self.wake_r, self.wake_w):
            with contextlib.suppress(OSError):
                sock.close()


class ReadLoop:
    """See the module docstring. Thread-safe: :meth:`register` from any thread."""

    def __init__(self, name: str = "cometchat-reader") -> None:
        self._name = name
        self._lock = threading.Lock()
        self._run: Optional[_Run] = None
        self._count = 0  # sockets registered, or waiting to be

    # -- any thread ------------------------------------------------------------------------

    def register(self, handler: LinkHandler) -> None:
        """Serve ``handler``'s socket from now on (its bytes already buffered are read at
        once). Never blocks."""
        with self._lock:
            self._count += 1
            run = self._run
            if run is None:
                run = self._run = _Run(self._name, self._serve)
                run.adds.append(handler)
                try:
                    run.thread.start()
                except RuntimeError:  # interpreter shutting down: nothing will read it
                    self._run = None
                    self._count -= 1
                    run.close()
                    _ended(handler)
                return
            run.stopping = False
            run.adds.append(handler)
            if len(run.adds) == 1:  # else a wake-up is pending: the loop takes them all
                run.wake()

    def idle(self) -> bool:
        """True when no socket is registered or waiting to be."""
        return self._count == 0

    def threads(self) -> list[threading.Thread]:
        run = self._run
        return [run.thread] if run is not None and run.thread.is_alive() else []

    def stop_idle(self, timeout: float) -> None:
        """End the thread now if no socket is registered (joined up to ``timeout`` s, never
        from the loop thread itself)."""
        with self._lock:
            run = self._run
            if self._count or run is None:
                return
            run.stopping = True
            run.wake()
        if run.thread is not threading.current_thread():
            run.thread.join(timeout)

    def after_fork_in_child(self) -> None:
        """The parent's thread and sockets are not the child's: start afresh (the wake-up
        pair is the loop's own, so closing it here touches nothing of the parent's)."""
        run = self._run
        self._lock = threading.Lock()
        self._run = None
        self._count = 0
        if run is not None:
            run.close()

    # -- the loop thread --------------------------------------------------------------------

    def _serve(self, run: _Run) -> None:
        selector = selectors.DefaultSelector()
        selector.register(run.wake_r, selectors.EVENT_READ, None)
        try:
            self._loop(run, selector)
        except BaseException:  # a bug: every socket still registered is reported lost
            log.exception("the read loop failed; its sockets are dropped")
        finally:
            with self._lock:
                if self._run is run:
                    self._run = None
                pending = list(run.adds)
                run.adds.clear()
            for key in list(selector.get_map().values()):
                if key.data is not None:
                    self._end(selector, key.data)
            for handler in pending:
                self._count_down()
                _ended(handler)
            selector.close()
            run.close()

    def _loop(self, run: _Run, selector: selectors.BaseSelector) -> None:
        while True:
            with self._lock:
                adds = list(run.adds)
                run.adds.clear()
                if run.stopping and not self._count:
                    self._run = None
                    return
            for handler in adds:
                self._add(selector, handler)
            lonely = len(selector.get_map()) == 1  # only the wake-up pair
            events = selector.select(LINGER if lonely else None)
            if not events:
                with self._lock:
                    if not run.adds and not self._count:
                        self._run = None  # from now on a registration starts a new run
                        return
                continue
            for key, _mask in events:
                handler = key.data
                if handler is None:
                    with contextlib.suppress(OSError):
                        while run.wake_r.recv(4096):
                            pass
                    continue
                try:
                    alive = handler.readable()
                except Exception:
                    log.exception("a link's reader failed; the link is dropped")
                    alive = False
                if not alive:
                    self._end(selector, handler)

    def _add(self, selector: selectors.BaseSelector, handler: LinkHandler) -> None:
        try:
            selector.register(handler.fileno(), selectors.EVENT_READ, handler)
        except (OSError, ValueError, KeyError):  # already closed (or a bug): it ended
            self._count_down()
            _ended(handler)
            return
        # Bytes that came with the auth answer are already in the link's buffer, and the
        # selector would not report them: read them now.
        try:
            alive = handler.readable()
        except Exception:
            log.exception("a link's reader failed; the link is dropped")
            alive = False
        if not alive:
            self._end(selector, handler)

    def _end(self, selector: selectors.BaseSelector, handler: LinkHandler) -> None:
        with contextlib.suppress(KeyError, ValueError, OSError):
            selector.unregister(handler.fileno())
        self._count_down()
        _ended(handler)

    def _count_down(self) -> None:
        with self._lock:
            self._count -= 1


def _ended(handler: LinkHandler) -> None:
    try:
        handler.ended()
    except Exception:
        log.exception("reporting the end of a link failed")


# The process's loop: made at import (no thread starts before the first registration).
_SHARED = ReadLoop()
_engine.add_part(_SHARED)


def shared_read_loop() -> ReadLoop:
    """The process's read loop (part of the engine)."""
    return _SHARED
