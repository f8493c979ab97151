"""The dispatcher: a client's ordered queue of work that runs user code.

Work items (zero-argument callables built by the client) run one at a time, in the order they
were submitted. A Dispatcher owns no thread: it is served by the process-wide dispatch pool
(``cometchat-dispatch-1`` .. ``-4``, the only SDK threads that run user code). When items are
queued it hands the pool one *serve* job; the worker that takes it runs this client's items
one after another, and at most one worker serves a given Dispatcher at a time, so a client's
items never overlap and keep their order.

Fairness: a worker serves one Dispatcher for a slice (at most :data:`SLICE_ITEMS` items or
:data:`SLICE_SECONDS` seconds, whichever comes first) and then, if items are left, puts it
back at the end of the pool's queue, so a client with a flood of events cannot starve the
others. A listener that blocks holds one worker only: the pool starts another (up to four)
for the other clients. The bound: while four clients each have a listener call blocked,
every other client's items wait until one of those calls returns.

The queue is bounded in *events* (listener calls), not items: :meth:`Dispatcher.offer` queues a
batch of events only if it fits under ``max_events`` and says so; it never blocks, so the reader
thread (and keepalive) never waits on a slow listener. :meth:`Dispatcher.submit` always queues:
it is for the SDK's own few items (status changes, login outcomes, catch-ups), whose number
does not grow with the traffic.

One delayed item at a time can be scheduled (:meth:`Dispatcher.schedule`), e.g. a catch-up
retry: the process-wide timer queues it when it is due (the timer itself runs nothing of it),
and :meth:`Dispatcher.cancel_scheduled` or :meth:`Dispatcher.stop` drops it.

(The client's callback executor, for GUI main loops, wraps only the listener calls inside
the items; the SDK's own bookkeeping always runs on the pool.)
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from typing import Callable
from typing import NamedTuple
from typing import Optional
from typing import Protocol

from .. import _engine
from .._pool import WorkerPool

__all__ = ["SLICE_ITEMS", "SLICE_SECONDS", "Dispatcher", "Executor", "QueueFigures"]

log = logging.getLogger(__name__)

Item = Callable[[], None]
Executor = Callable[[Item], None]

# A worker's turn on one Dispatcher: this many items or this many seconds, whichever comes
# first (bench/dispatch_pool.py measures the choice).
SLICE_ITEMS = 256
SLICE_SECONDS = 0.02


class TimerHandle(Protocol):
    """A pending call of a :class:`Timer`."""

    def cancel(self) -> None:
        """Drop the call if it has not run; no effect once it has."""


class Timer(Protocol):
    """The process-wide timer's one method used here."""

    def call_later(self, delay: float, fn: Callable[[], None]) -> TimerHandle:
        """Call ``fn`` (which must not block) on the timer thread after ``delay`` seconds."""


class QueueFigures(NamedTuple):
    """Events waiting in the queue now, and the most there ever were."""

    depth: int
    peak: int


class Dispatcher:
    """An ordered, bounded work queue of one client, served by a shared worker pool.

    Args:
        name: gives a name for logging (a callable, read when needed).
        max_events: most listener calls :meth:`offer` lets wait at once.
        clock: monotonic seconds, for the fairness slice.
        pool: the workers; by default the process-wide dispatch pool.
        timer: for :meth:`schedule`; by default the process-wide timer.

    Every method is thread-safe and may be called from inside an item.
    """

    def __init__(
        self,
        name: Callable[[], str],
        max_events: int = 1_000_000,
        clock: Callable[[], float] = time.monotonic,
        *,
        pool: Optional[WorkerPool] = None,
        timer: Optional[Timer] = None,
    ) -> None:
        self._name = name
        self._max_events = max_events
        self._clock = clock
        self._pool = pool
        self._timer = timer
        self._init_state()

    def _init_state(self) -> None:
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)  # notified when the queue is run out
        self._items: collections.deque[tuple[Item, int]] = collections.deque()
        self._events = 0
        self._peak = 0
        self._serving: Optional[threading.Thread] = None  # the worker running our items
        self._in_pool = False  # a serve job waits in the pool's queue
        self._scheduled: Optional[object] = None  # the token of the scheduled item
        self._scheduled_handle: Optional[TimerHandle] = None

    def __repr__(self) -> str:
        return f"Dispatcher({self._name()!r}, queued={len(self._items)}, events={self._events})"

    @property
    def thread(self) -> Optional[threading.Thread]:
        """The pool worker running this Dispatcher's items right now; ``None`` when none
        is. Inside an item, ``threading.current_thread() is dispatcher.thread``."""
        return self._serving

    def figures(self) -> QueueFigures:
        """Queued events now and at most so far (two plain reads: no lock)."""
        return QueueFigures(self._events, self._peak)

    def submit(self, item: Item) -> None:
        """Queue ``item`` whatever the bound (the SDK's own items); never blocks on user
        code. Thread-safe."""
        with self._lock:
            self._append_locked(item, 0)

    def offer(self, item: Item, events: int) -> bool:
        """Queue ``item``, which makes ``events`` listener calls, if they fit under the bound;
        False (nothing queued) if not. Never blocks. Thread-safe."""
        with self._lock:
            if self._events + events > self._max_events:
                return False
            self._events += events
            self._peak = max(self._peak, self._events)
            self._append_locked(item, events)
            return True

    def schedule(self, item: Item, delay: float) -> None:
        """Queue ``item`` (as :meth:`submit` does) after ``delay`` seconds, replacing any
        scheduled one, unless cancelled or stopped first."""
        token = object()
        with self._lock:
            previous = self._scheduled_handle
            self._scheduled, self._scheduled_handle = token, None
        if previous is not None:
            previous.cancel()
        handle = self._the_timer().call_later(delay, lambda: self._due(token, item))
        with self._lock:
            if self._scheduled is token:
                self._scheduled_handle = handle
                return
        handle.cancel()  # replaced or cancelled meanwhile (a no-op if it already ran)

    def cancel_scheduled(self) -> None:
        """Drop the scheduled item, if any (it no longer runs)."""
        with self._lock:
            handle = self._scheduled_handle
            self._scheduled, self._scheduled_handle = None, None
        if handle is not None:
            handle.cancel()

    def stop(self, timeout: float = 1.0) -> None:
        """Drop the scheduled item and wait up to ``timeout`` seconds until everything
        queued has run. From inside one of its own items it returns at once (nothing waits
        for the worker it runs on, so ``logout()`` inside a listener is safe). Work queued
        afterwards is run as before.

        Called from inside another client's item, the wait needs a free worker of the
        pool: with every worker held, it ends at ``timeout``."""
        self.cancel_scheduled()
        with self._lock:
            if self._serving is threading.current_thread():
                return
            deadline = time.monotonic() + max(0.0, timeout)
            while self._items or self._serving is not None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return
                self._idle.wait(remaining)

    def after_fork_in_child(self) -> None:
        """After ``fork()``: what was queued and the worker serving it belong to the parent."""
        self._init_state()

    # -- inside ----------------------------------------------------------------------------------

    def _the_pool(self) -> WorkerPool:
        if self._pool is None:
            self._pool = _engine.dispatch_pool()
        return self._pool

    def _the_timer(self) -> Timer:
        if self._timer is None:
            self._timer = _engine.timer()
        return self._timer

    def _append_locked(self, item: Item, events: int) -> None:
        self._items.append((item, events))
        if self._serving is None and not self._in_pool:
            self._in_pool = True
            if not self._the_pool().submit(self._serve):
                # interpreter shutdown: no worker is left to call back
                self._in_pool = False
                self._items.clear()
                self._events = 0

    def _due(self, token: object, item: Item) -> None:
        """On the timer thread: queue the scheduled item unless replaced or cancelled."""
        with self._lock:
            if self._scheduled is not token:
                return
            self._scheduled, self._scheduled_handle = None, None
            self._append_locked(item, 0)

    def _serve(self) -> None:
        """A pool job: run this Dispatcher's items for one turn (a slice), then either go
        idle (nothing left) or queue the next turn at the end of the pool's line."""
        me = threading.current_thread()
        lock, clock = self._lock, self._clock  # a fork inside an item must not redirect us
        with lock:
            self._in_pool = False
            self._serving = me
        end = clock() + SLICE_SECONDS
        left = SLICE_ITEMS
        while True:
            with lock:
                if self._lock is not lock:
                    return
                items = self._items
                if not items:
                    self._serving = None
                    self._idle.notify_all()
                    return
                if left <= 0 or (left < SLICE_ITEMS and clock() >= end):  # ran one at least
                    self._serving = None  # the turn is over: back to the end of the line
                    self._in_pool = True
                    self._the_pool().submit(self._serve)  # True: this worker is alive
                    return
                # Taken together, run one by one: they stay in the bound's count until each
                # starts, and stop() waits for them as they are being served.
                if len(items) <= left:
                    batch, self._items = items, collections.deque()
                else:
                    batch = collections.deque(items.popleft() for _ in range(left))
            left -= len(batch)
            while batch:
                item, events = batch.popleft()
                if events:
                    with lock:  # no longer waiting: it leaves the bound's count
                        self._events -= events
                try:
                    item()
                except BaseException:  # never let user code end the worker
                    log.exception("a callback raised; the next one still runs")
                if batch and clock() >= end:
                    with lock:  # the slice is over: the rest go back first, in order
                        if self._lock is lock:
                            batch.extend(self._items)
                            self._items = batch
                    break
