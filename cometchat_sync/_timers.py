"""One timer thread for the whole process: every client's deadlines in one heap.

The keepalive pings, pong deadlines, auth-answer deadlines and background deadlines of every
client, the reconnect backoff waits and the catch-up retries all live here. The thread
(``cometchat-timer``) sleeps on ``Condition.wait`` until the earliest live deadline (it never
polls), runs the SDK's own short callbacks (never user code, never blocking I/O), starts on the
first :meth:`SharedTimer.call_later` and ends as soon as no live deadline is left.

Cancelling is O(1): the entry is marked and skipped when it reaches the top of the heap; when
no live entry is left the heap is emptied at once (so the thread ends), and when cancelled
entries outnumber live ones the heap is rebuilt, so it never grows with churn.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from typing import Callable
from typing import Optional

__all__ = ["Handle", "SharedTimer"]

log = logging.getLogger(__name__)

Clock = Callable[[], float]

#: The longest single wait, in seconds: a deadline further away (a keepalive of 1e10 s, which
#: the settings accept) is waited for in steps, as one wait that long overflows the platform's
#: time type.
LONGEST_WAIT = 3600.0


class Handle:
    """One scheduled call; :meth:`cancel` it from any thread (idempotent)."""

    __slots__ = ("_fn", "_owner", "cancelled", "when")

    def __init__(self, owner: SharedTimer, when: float, fn: Callable[[], None]) -> None:
        self._owner = owner
        self._fn = fn
        self.when = when
        """The deadline, on the timer's clock (seconds)."""
        self.cancelled = False

    def cancel(self) -> None:
        """Drop the call if it has not run yet. Thread-safe; never blocks for long."""
        self._owner._cancel(self)


class SharedTimer:
    """A heap of one-shot deadlines served by one lazily started daemon thread.

    Args:
        name: the thread's name.
        clock: monotonic seconds (tests pass a fake clock).

    Thread safety: every method may be called from any thread, also from a callback.
    """

    def __init__(self, name: str = "cometchat-timer", clock: Clock = time.monotonic) -> None:
        self._name = name
        self.clock = clock
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._heap: list[tuple[float, int, Handle]] = []
        self._seq = itertools.count()
        self._live = 0
        self._thread: Optional[threading.Thread] = None

    @property
    def thread(self) -> Optional[threading.Thread]:
        """The timer thread, while it runs."""
        return self._thread

    def live(self) -> int:
        """Deadlines scheduled and neither run nor cancelled."""
        return self._live

    def call_later(self, delay: float, fn: Callable[[], None]) -> Handle:
        """Run ``fn()`` on the timer thread ``delay`` seconds from now (0 or less: soon).

        ``fn`` must be short and must not block: it runs on the one thread that serves every
        client's deadlines. Its exceptions are logged. Returns the handle that cancels it.
        """
        with self._lock:
            handle = Handle(self, self.clock() + max(0.0, delay), fn)
            heapq.heappush(self._heap, (handle.when, next(self._seq), handle))
            self._live += 1
            if self._thread is None:
                thread = threading.Thread(target=self._run, name=self._name, daemon=True)
                self._thread = thread
                try:
                    thread.start()
                except RuntimeError:  # interpreter shutting down: nothing will fire
                    self._thread = None
            else:
                self._wake.notify()  # it may be the earliest (or the clock was moved)
        return handle

    def _cancel(self, handle: Handle) -> None:
        with self._lock:
            if handle.cancelled:
                return
            handle.cancelled = True
            self._live -= 1
            if self._live == 0:
                self._heap.clear()
                self._wake.notify()  # nothing left: the thread ends
            elif len(self._heap) > 64 and len(self._heap) > 2 * self._live:
                self._heap = [entry for entry in self._heap if not entry[2].cancelled]
                heapq.heapify(self._heap)

    def stop_idle(self, timeout: float) -> None:
        """Join the thread (up to ``timeout`` s) if no live deadline is left; never the
        calling thread."""
        with self._lock:
            if self._live:
                return
            self._wake.notify()
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def after_fork_in_child(self) -> None:
        """In a forked child: the parent's thread and deadlines are not ours."""
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._heap = []
        self._live = 0
        self._thread = None

    def _next_locked(self) -> Optional[Handle]:
        """Wait for the next due call; ``None`` when nothing is left (the thread ends)."""
        heap = self._heap
        while True:
            while heap and heap[0][2].cancelled:
                heapq.heappop(heap)
            if not heap:
                return None
            when = heap[0][0]
            now = self.clock()
            if when > now:
                self._wake.wait(min(when - now, LONGEST_WAIT))
                heap = self._heap  # a rebuild may have replaced the list
                continue
            handle = heapq.heappop(heap)[2]
            handle.cancelled = True  # it runs now: a late cancel() is a no-op
            self._live -= 1
            return handle

    def _run(self) -> None:
        try:
            self._serve()
        finally:
            # However the thread ends (a bug included), the next call_later starts a new
            # one: a handle left pointing at a dead thread would stop every client's timers.
            with self._lock:
                if self._thread is threading.current_thread():
                    self._thread = None
                    if self._live:
                        log.error("the timer thread ended with %d deadlines left", self._live)

    def _serve(self) -> None:
        while True:
            with self._lock:
                handle = self._next_locked()
                if handle is None:
                    if self._thread is threading.current_thread():
                        self._thread = None
                    return
            try:
                handle._fn()
            except Exception:
                log.exception("timer callback failed")
            except BaseException:  # SystemExit/KeyboardInterrupt raised into this thread
                log.debug("timer callback interrupted", exc_info=True)
