"""A loop thread of the engine: one daemon thread that serves items taken in from any thread,
started on the first item and ended when it has none left. The read loop
(:mod:`~cometchat_sync.connection.read_loop`) and the dial loop
(:mod:`~cometchat_sync.connection.dial_loop`) are the two; each runs its own selector in
:meth:`LoopThread._serve`.

Items are handed over through a queue and the thread's wake-up socket pair, so the loop's
selector is only ever touched by the loop thread. A thread that ends detaches its *run* (its
queue, wake-up pair and thread) under the lock first, so an item that races with the end goes
to a new run and never to a thread on its way out.
"""

from __future__ import annotations

import collections
import contextlib
import socket
import threading
from typing import Any
from typing import Callable
from typing import Generic
from typing import Optional
from typing import TypeVar

__all__ = ["LoopRun", "LoopThread"]

_I = TypeVar("_I")


class LoopRun(Generic[_I]):
    """One life of a loop thread: the items to take in, its wake-up pair, its thread."""

    def __init__(self, name: str, target: Callable[[Any], None]) -> None:
        self.new: collections.deque[_I] = collections.deque()
        self.stopping = False
        self.wake_r, self.wake_w = socket.socketpair()
        self.wake_r.setblocking(False)
        self.wake_w.setblocking(False)
        self.thread = threading.Thread(target=target, args=(self,), name=name, daemon=True)

    def wake(self) -> None:
        with contextlib.suppress(OSError):  # full: the loop is awake anyway
            self.wake_w.send(b"x")

    def drain(self) -> None:
        """Read the wake-up bytes (the loop thread, when its selector reports them)."""
        with contextlib.suppress(OSError):
            while self.wake_r.recv(4096):
                pass

    def close(self) -> None:
        for sock in (self.wake_r, self.wake_w):
            with contextlib.suppress(OSError):
                sock.close()


_R = TypeVar("_R", bound="LoopRun[Any]")


class LoopThread(Generic[_I, _R]):
    """The shared life of a loop thread; subclasses serve a run in :meth:`_serve`.

    Thread safety: :meth:`_add`, :meth:`idle`, :meth:`threads`, :meth:`stop_idle` from any
    thread.
    """

    def __init__(self, name: str) -> None:
        self._name = name
        self._lock = threading.Lock()
        self._run: Optional[_R] = None
        self._count = 0  # items taken in and not done

    def _new_run(self) -> _R:
        """A new run whose thread serves it with :meth:`_serve`."""
        raise NotImplementedError

    def _serve(self, run: _R) -> None:
        raise NotImplementedError

    def _add(self, item: _I) -> Optional[_R]:
        """Take ``item`` in: queue it and start or wake the thread. Returns its run, or
        ``None`` when no thread could start (interpreter shutdown): the caller ends the
        item. Never blocks."""
        with self._lock:
            self._count += 1
            run = self._run
            fresh = run is None
            if run is None:
                run = self._run = self._new_run()
            run.stopping = False
            run.new.append(item)
            if not fresh and len(run.new) == 1:  # else a wake-up is pending
                run.wake()
        if fresh:
            try:
                run.thread.start()
            except RuntimeError:
                with self._lock:
                    if self._run is run:
                        self._run = None
                    self._count -= 1
                run.close()
                return None
        return run

    def _done_one(self) -> None:
        """One item is done (the loop thread)."""
        with self._lock:
            self._count -= 1

    def _take_new(self, run: _R) -> Optional[list[_I]]:
        """The items queued since the last call (the loop thread); ``None`` when the thread
        is asked to stop and has nothing left (the run is detached then)."""
        with self._lock:
            new = list(run.new)
            run.new.clear()
            if run.stopping and not self._count:
                self._run = None
                return None
            return new

    def _end_if_idle(self, run: _R) -> bool:
        """After a wait with nothing to do: detach the run and return True if no item is in
        flight or queued (a later item starts a new run)."""
        with self._lock:
            if run.new or self._count:
                return False
            if self._run is run:
                self._run = None
            return True

    def _detach(self, run: _R) -> list[_I]:
        """The thread is ending (however): detach the run; its queued items are returned."""
        with self._lock:
            if self._run is run:
                self._run = None
            pending = list(run.new)
            run.new.clear()
            return pending

    def idle(self) -> bool:
        """True when no item is in flight or queued."""
        return self._count == 0

    def threads(self) -> list[threading.Thread]:
        run = self._run
        return [run.thread] if run is not None and run.thread.is_alive() else []

    def stop_idle(self, timeout: float) -> None:
        """End the thread now if it has no item (joined up to ``timeout`` s, never from the
        loop thread itself)."""
        with self._lock:
            run = self._run
            if self._count or run is None:
                return
            run.stopping = True
            run.wake()
        if run.thread is not threading.current_thread():
            run.thread.join(timeout)

    def after_fork_in_child(self) -> None:
        """The parent's thread and items are not the child's: start afresh (the wake-up pair
        is the loop's own, so closing it touches nothing of the parent's)."""
        run = self._run
        self._lock = threading.Lock()
        self._run = None
        self._count = 0
        if run is not None:
            run.close()
