"""The engine: the few threads of the whole process, shared by every client.

One process holds any number of clients on a handful of threads (``docs/architecture.md``):

* ``cometchat-reader``: one thread reading every client's socket, multiplexed with
  ``selectors`` (:mod:`cometchat_sync.connection.read_loop`);
* ``cometchat-timer``: one heap of every client's deadlines (:mod:`cometchat_sync._timers`);
* ``cometchat-dial``: one thread driving every attempt to open a socket (resolve, connect,
  TLS, upgrade, auth) with one selector, each step bounded and cancellable
  (:mod:`cometchat_sync.connection.dial_loop`);
* ``cometchat-dispatch-<n>``: at most :data:`DISPATCH_WORKERS` threads calling listeners; each
  client's events keep their order (one worker serves a client at a time) and one client's
  slow listener holds one worker, not the others' events. Catch-up fetches run here too, off
  every client's ordered queue.

Every thread starts on first need and ends when it has nothing left to do; a client that
closes joins them (bounded) when the whole engine is idle, so no SDK thread outlives the last
client's ``close()``. A single client uses the same engine: there is no special mode.

After ``os.fork()`` the child gets a fresh engine: the parent's threads do not exist there.

This module sits in the bottom layer: it knows pools and timers, not sockets or listeners.
The connection layer registers its read loop and dial loop (idle check, stop, threads,
fork) with :func:`add_part`.
"""

from __future__ import annotations

import collections
import os
import threading
import time
from typing import Callable
from typing import Optional
from typing import Protocol

from . import _resolve
from ._pool import WorkerPool
from ._timers import SharedTimer

__all__ = [
    "DISPATCH_WORKERS",
    "JobGate",
    "Part",
    "add_part",
    "dispatch_pool",
    "release",
    "rest_gate",
    "threads",
    "timer",
]

#: Threads that call listeners (and fetch catch-ups); each client is served by one at a time.
DISPATCH_WORKERS = 4


class Part(Protocol):
    """A piece of the engine owned by a higher layer (the socket read loop)."""

    def idle(self) -> bool:
        """True when it serves nothing (no socket registered)."""

    def stop_idle(self, timeout: float) -> None:
        """End its thread if it is idle, joined up to ``timeout`` seconds."""

    def threads(self) -> list[threading.Thread]:
        """Its threads that are alive."""

    def after_fork_in_child(self) -> None:
        """Forget the parent's thread and state."""


class JobGate:
    """Runs jobs on the process's dispatch pool, at most ``limit`` at a time (the others
    wait here, first in, first out), so that REST calls made in the background (catch-up
    pages, the renewal of refused socket credentials), however slow the server, leave
    workers free for every client's listener dispatch. Thread-safe."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._lock = threading.Lock()
        self._waiting: collections.deque[Callable[[], None]] = collections.deque()
        self._running = 0

    def submit(self, job: Callable[[], None]) -> None:
        """Run ``job`` when fewer than ``limit`` jobs of the gate run. Never blocks."""
        with self._lock:
            if self._running >= self._limit:
                self._waiting.append(job)
                return
            self._running += 1
        self._start(job)

    def _start(self, job: Callable[[], None]) -> None:
        def run() -> None:
            try:
                job()
            finally:
                self._done()

        if not dispatch_pool().submit(run):  # interpreter shutdown: nothing runs
            self._done()

    def _done(self) -> None:
        with self._lock:
            job = self._waiting.popleft() if self._waiting else None
            if job is None:
                self._running -= 1
        if job is not None:
            self._start(job)

    def after_fork_in_child(self) -> None:
        """In a forked child: the parent's jobs are not ours; a fresh lock."""
        self._lock = threading.Lock()
        self._waiting = collections.deque()
        self._running = 0


class _Engine:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.timer = SharedTimer("cometchat-timer")
        self.dispatch_pool: Optional[WorkerPool] = None
        #: Background REST jobs of every client: half the dispatch workers at most.
        self.rest_gate = JobGate(max(1, DISPATCH_WORKERS // 2))
        self.parts: list[Part] = []


_engine = _Engine()


def timer() -> SharedTimer:
    """The process's timer (one heap, one thread)."""
    return _engine.timer


def dispatch_pool() -> WorkerPool:
    """The pool of threads that call listeners (``cometchat-dispatch-<n>``)."""
    engine = _engine
    pool = engine.dispatch_pool
    if pool is None:
        with engine.lock:
            if engine.dispatch_pool is None:
                engine.dispatch_pool = WorkerPool("cometchat-dispatch", DISPATCH_WORKERS)
            pool = engine.dispatch_pool
    return pool


def rest_gate() -> JobGate:
    """The gate of background REST jobs (catch-up pages, credential renewals)."""
    return _engine.rest_gate


def add_part(part: Part) -> None:
    """Register a part owned by a higher layer (once per process)."""
    with _engine.lock:
        if part not in _engine.parts:
            _engine.parts.append(part)


def threads() -> list[threading.Thread]:
    """Every SDK thread of the process that is alive now: the engine's, and the short-lived
    ``cometchat-resolve-<host>`` threads of names being resolved."""
    engine = _engine
    found: list[threading.Thread] = list(_resolve.threads())
    for part in list(engine.parts):
        found += part.threads()
    if engine.timer.thread is not None:
        found.append(engine.timer.thread)
    if engine.dispatch_pool is not None:
        found += engine.dispatch_pool.threads()
    return [t for t in found if t.is_alive()]


def release(timeout: float) -> None:
    """After a client's ``close()``/``logout()``: when no client has a socket or a deadline
    left, end the engine's idle threads, each joined within ``timeout`` seconds in total (never
    the calling thread). With other clients still served, it returns at once. A dispatch
    worker still running a listener (another client's, which may block for long) is told to
    end after it and is not waited for: one client's ``close()`` never waits on another's
    listener."""
    engine = _engine
    parts = list(engine.parts)
    if engine.timer.live() or not all(part.idle() for part in parts):
        return
    deadline = time.monotonic() + timeout

    def left() -> float:
        return max(0.0, deadline - time.monotonic())

    for part in parts:
        part.stop_idle(left())
    engine.timer.stop_idle(left())
    if engine.dispatch_pool is not None:
        engine.dispatch_pool.stop_idle(left(), join_busy=False)


def _after_fork_in_child() -> None:
    engine = _engine
    engine.lock = threading.Lock()
    engine.timer.after_fork_in_child()
    engine.rest_gate.after_fork_in_child()
    if engine.dispatch_pool is not None:
        engine.dispatch_pool.after_fork_in_child()
    for part in engine.parts:
        part.after_fork_in_child()


_register: Optional[Callable[..., None]] = getattr(os, "register_at_fork", None)
if _register is not None:
    _register(after_in_child=_after_fork_in_child)
