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

import contextlib
import logging
import selectors
from typing import Protocol

from .. import _engine
from .loop_thread import LoopRun
from .loop_thread import LoopThread

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


class _Run(LoopRun[LinkHandler]):
    """One life of the read loop's thread (see :mod:`.loop_thread`)."""


class ReadLoop(LoopThread[LinkHandler, _Run]):
    """See the module docstring. Thread-safe: :meth:`register` from any thread."""

    def __init__(self, name: str = "cometchat-reader") -> None:
        super().__init__(name)

    def _new_run(self) -> _Run:
        return _Run(self._name, self._serve)

    def register(self, handler: LinkHandler) -> None:
        """Serve ``handler``'s socket from now on (its bytes already buffered are read at
        once). Never blocks."""
        if self._add(handler) is None:  # interpreter shutting down: nothing will read it
            _ended(handler)

    # -- the loop thread --------------------------------------------------------------------

    def _serve(self, run: _Run) -> None:
        selector = selectors.DefaultSelector()
        selector.register(run.wake_r, selectors.EVENT_READ, None)
        try:
            self._loop(run, selector)
        except BaseException:  # a bug: every socket still registered is reported lost
            log.exception("the read loop failed; its sockets are dropped")
        finally:
            pending = self._detach(run)
            for key in list(selector.get_map().values()):
                if key.data is not None:
                    self._end(selector, key.data)
            for handler in pending:
                self._done_one()
                _ended(handler)
            selector.close()
            run.close()

    def _loop(self, run: _Run, selector: selectors.BaseSelector) -> None:
        while True:
            new = self._take_new(run)
            if new is None:
                return
            for handler in new:
                self._add_socket(selector, handler)
            lonely = len(selector.get_map()) == 1  # only the wake-up pair
            events = selector.select(LINGER if lonely else None)
            if not events:
                if self._end_if_idle(run):
                    return  # from now on a registration starts a new run
                continue
            for key, _mask in events:
                handler = key.data
                if handler is None:
                    run.drain()
                else:
                    self._read(selector, handler)

    def _add_socket(self, selector: selectors.BaseSelector, handler: LinkHandler) -> None:
        try:
            selector.register(handler.fileno(), selectors.EVENT_READ, handler)
        except (OSError, ValueError, KeyError):  # already closed (or a bug): it ended
            self._done_one()
            _ended(handler)
            return
        # Bytes that came with the auth answer are already in the link's buffer, and the
        # selector would not report them: read them now.
        self._read(selector, handler)

    def _read(self, selector: selectors.BaseSelector, handler: LinkHandler) -> None:
        """Let ``handler`` read; unregister and end it when its link ended (or it failed)."""
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
        self._done_one()
        _ended(handler)


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
