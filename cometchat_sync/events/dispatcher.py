"""The dispatcher: the only SDK thread that runs user code.

Work items (zero-argument callables built by the client) run one at a time, in the order they
were submitted, on ``cometchat-dispatch-<uid>``. The thread drains everything queued before it
sleeps again, so a burst of frames costs one wake-up, not one per frame.

The queue is bounded in *events* (listener calls), not items: :meth:`Dispatcher.offer` queues a
batch of events only if it fits under ``max_events`` and says so; it never blocks, so the reader
thread (and keepalive) never waits on a slow listener. :meth:`Dispatcher.submit` always queues:
it is for the SDK's own few items (status changes, login outcomes, catch-ups), whose number
does not grow with the traffic.

One delayed item at a time can be scheduled (:meth:`Dispatcher.schedule`), e.g. a catch-up
retry: the thread waits for it on its own condition, so no timer thread does I/O, and
:meth:`Dispatcher.cancel_scheduled` or :meth:`Dispatcher.stop` drops it.

(The client's callback executor, for GUI main loops, wraps only the listener calls inside
the items; the SDK's own bookkeeping always runs here.)
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from typing import Callable
from typing import NamedTuple
from typing import Optional

__all__ = ["Dispatcher", "Executor", "QueueFigures"]

log = logging.getLogger(__name__)

Item = Callable[[], None]
Executor = Callable[[Item], None]


class QueueFigures(NamedTuple):
    """Events waiting in the queue now, and the most there ever were."""

    depth: int
    peak: int


class Dispatcher:
    """An ordered, batched, bounded work queue served by one lazily started daemon thread."""

    def __init__(
        self,
        name: Callable[[], str],
        max_events: int = 1_000_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._name = name
        self._max_events = max_events
        self._clock = clock
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._items: collections.deque[tuple[Item, int]] = collections.deque()
        self._events = 0
        self._peak = 0
        self._scheduled: Optional[tuple[float, Item]] = None
        self._thread: Optional[threading.Thread] = None
        self._idle_waiting = False
        self._stopping = False

    @property
    def thread(self) -> Optional[threading.Thread]:
        return self._thread

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
        """Run ``item`` on this thread after ``delay`` seconds (replacing any scheduled one),
        unless cancelled or stopped first."""
        with self._lock:
            self._scheduled = (self._clock() + delay, item)
            if self._thread is None:
                self._start_locked()
            else:
                self._cond.notify()

    def cancel_scheduled(self) -> None:
        with self._lock:
            self._scheduled = None

    def _append_locked(self, item: Item, events: int) -> None:
        self._items.append((item, events))
        if self._thread is None:
            self._start_locked()
        elif self._idle_waiting:
            self._cond.notify()

    def _start_locked(self) -> None:
        self._stopping = False
        thread = threading.Thread(target=self._run, name=self._name(), daemon=True)
        self._thread = thread
        try:
            thread.start()
        except RuntimeError:  # interpreter shutdown: nobody is left to call back
            self._thread = None
            self._items.clear()
            self._events = 0
            self._scheduled = None

    def stop(self, timeout: float = 1.0) -> None:
        """Run what is queued, then end the thread (joined up to ``timeout``; never joined
        from the dispatcher thread itself, so ``logout()`` inside a listener is safe). A
        scheduled item is dropped."""
        with self._lock:
            self._scheduled = None
            thread = self._thread
            if thread is None:
                return
            self._stopping = True
            self._cond.notify()
        if thread is not threading.current_thread():
            thread.join(timeout)

    def after_fork_in_child(self) -> None:
        """After ``fork()``: the thread and whatever it had queued belong to the parent."""
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._items = collections.deque()
        self._events = 0
        self._scheduled = None
        self._thread = None
        self._idle_waiting = False
        self._stopping = False

    def _next_batch_locked(self) -> Optional[collections.deque[tuple[Item, int]]]:
        """Wait for work; ``None`` when the thread is to end."""
        while True:
            scheduled = self._scheduled
            if scheduled is not None and scheduled[0] <= self._clock():
                self._scheduled = None
                self._items.append((scheduled[1], 0))
            if self._items:
                batch = self._items
                self._items = collections.deque()
                return batch
            if self._stopping:
                return None
            self._idle_waiting = True
            wait = None if scheduled is None else max(0.0, scheduled[0] - self._clock())
            self._cond.wait(wait)
            self._idle_waiting = False

    def _run(self) -> None:
        while True:
            with self._lock:
                batch = self._next_batch_locked()
                if batch is None:
                    if self._thread is threading.current_thread():
                        self._thread = None
                    return
            for item, events in batch:
                if events:
                    with self._lock:  # no longer waiting: it leaves the bound's count
                        self._events -= events
                try:
                    item()
                except BaseException:  # never let user code end the thread
                    log.exception("a callback raised; the next one still runs")
