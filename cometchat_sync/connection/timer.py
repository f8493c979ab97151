"""One timer thread per client: a heap of named monotonic deadlines.

The keepalive ping, the pong deadline and the manual-mode background ping deadline all live
here. The thread sleeps on ``Condition.wait`` until the earliest deadline (no polling) and runs
the SDK's own short callbacks, never user code. Scheduling a name again replaces its deadline.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from typing import Callable
from typing import Optional

__all__ = ["Timer"]

log = logging.getLogger(__name__)

Clock = Callable[[], float]


class Timer:
    """Named one-shot deadlines run on a daemon thread started on first use."""

    def __init__(self, name: Callable[[], str], clock: Clock = time.monotonic) -> None:
        self._name = name
        self._clock = clock
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._heap: list[tuple[float, int, str]] = []
        self._live: dict[str, tuple[int, float, Callable[[float], None]]] = {}
        self._seq = itertools.count()
        self._thread: Optional[threading.Thread] = None
        self._stopping = False

    @property
    def thread(self) -> Optional[threading.Thread]:
        return self._thread

    def schedule(self, key: str, delay: float, callback: Callable[[float], None]) -> None:
        """Run ``callback(lateness)`` in ``delay`` seconds, replacing any deadline named ``key``.

        ``lateness`` is how many seconds after its deadline the callback actually ran.
        """
        with self._lock:
            if self._stopping:
                return
            when = self._clock() + delay
            seq = next(self._seq)
            self._live[key] = (seq, when, callback)
            heapq.heappush(self._heap, (when, seq, key))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name=self._name(), daemon=True)
                self._thread.start()
            self._wake.notify()

    def cancel(self, *keys: str) -> None:
        with self._lock:
            for key in keys:
                self._live.pop(key, None)

    def pending(self, key: str) -> Optional[float]:
        """Seconds until ``key`` fires, or ``None`` when it is not scheduled."""
        with self._lock:
            entry = self._live.get(key)
            return None if entry is None else entry[1] - self._clock()

    def stop(self, timeout: float = 1.0) -> None:
        """Drop every deadline and end the thread (joined up to ``timeout`` unless called
        from the timer thread itself)."""
        with self._lock:
            self._stopping = True
            self._live.clear()
            self._heap.clear()
            self._wake.notify()
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def restart(self) -> None:
        """Allow scheduling again after ``stop()`` (a new thread starts on demand)."""
        with self._lock:
            self._stopping = False

    def _run(self) -> None:
        while True:
            with self._lock:
                callback: Optional[Callable[[float], None]] = None
                lateness = 0.0
                while callback is None:
                    if self._stopping:
                        if self._thread is threading.current_thread():
                            self._thread = None
                        return
                    if not self._heap:
                        self._wake.wait()
                        continue
                    when, seq, key = self._heap[0]
                    live = self._live.get(key)
                    if live is None or live[0] != seq:
                        heapq.heappop(self._heap)
                        continue
                    now = self._clock()
                    if when > now:
                        self._wake.wait(when - now)
                        continue
                    heapq.heappop(self._heap)
                    del self._live[key]
                    callback, lateness = live[2], now - when
            try:
                callback(lateness)
            except Exception:
                log.exception("timer callback failed")
