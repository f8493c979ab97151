"""The named deadlines of one client, kept in the process's one timer heap.

The keepalive ping, the pong deadline, the auth-answer deadline, the manual-mode background
ping deadline and the reconnect backoff wait of a client are named here; they all live in the
engine's :class:`~cometchat_sync._timers.SharedTimer` (one heap and one ``cometchat-timer``
thread for every client in the process), which runs the SDK's own short callbacks, never user
code. Scheduling a name again replaces its deadline.
"""

from __future__ import annotations

import threading
import time
from typing import Callable
from typing import Optional

from .. import _engine
from .._timers import Handle
from .._timers import SharedTimer

__all__ = ["Timer"]

Clock = Callable[[], float]


class Timer:
    """One client's named one-shot deadlines.

    Args:
        name: the timer thread's name, used only with a private clock (tests): a fake
            ``clock`` gets a heap and a thread of its own; the real clock shares the engine's.
        clock: monotonic seconds.

    Thread safety: every method may be called from any thread, also from a callback.
    """

    def __init__(self, name: Callable[[], str], clock: Clock = time.monotonic) -> None:
        self._shared: Optional[SharedTimer] = None
        if clock is not time.monotonic:
            self._shared = SharedTimer(name(), clock)
        self._clock = clock
        self._lock = threading.Lock()
        self._live: dict[str, Handle] = {}
        self._firing = 0  # callbacks of this client running now
        self._stopping = False

    @property
    def _heap(self) -> SharedTimer:
        return self._shared if self._shared is not None else _engine.timer()

    @property
    def thread(self) -> Optional[threading.Thread]:
        """The timer thread while this client has a deadline in it (or a callback running,
        which may be about to schedule the next one)."""
        return self._heap.thread if self._live or self._firing else None

    def schedule(self, key: str, delay: float, callback: Callable[[float], None]) -> None:
        """Run ``callback(lateness)`` in ``delay`` seconds, replacing any deadline named ``key``.

        ``lateness`` is how many seconds after its deadline the callback actually ran.
        """
        with self._lock:
            if self._stopping:
                return
            old = self._live.pop(key, None)
            if old is not None:
                old.cancel()
            heap = self._heap
            box: list[Handle] = []

            def fire() -> None:
                with self._lock:
                    if self._live.get(key) is not box[0]:
                        return  # replaced or cancelled meanwhile
                    del self._live[key]
                    self._firing += 1
                try:
                    callback(max(0.0, heap.clock() - box[0].when))
                finally:
                    with self._lock:
                        self._firing -= 1

            handle = heap.call_later(delay, fire)
            box.append(handle)
            self._live[key] = handle

    def cancel(self, *keys: str) -> None:
        with self._lock:
            for key in keys:
                handle = self._live.pop(key, None)
                if handle is not None:
                    handle.cancel()

    def pending(self, key: str) -> Optional[float]:
        """Seconds until ``key`` fires, or ``None`` when it is not scheduled."""
        with self._lock:
            handle = self._live.get(key)
            return None if handle is None else handle.when - self._clock()

    def stop(self, timeout: float = 1.0) -> None:
        """Drop every deadline of this client; with a private clock, also end its thread
        (joined up to ``timeout``, never from the timer thread itself)."""
        with self._lock:
            self._stopping = True
            live, self._live = self._live, {}
        for handle in live.values():
            handle.cancel()
        if self._shared is not None:
            self._shared.stop_idle(timeout)

    def restart(self) -> None:
        """Allow scheduling again after ``stop()``."""
        with self._lock:
            self._stopping = False

    def after_fork_in_child(self) -> None:
        """In a forked child: the parent's deadlines are gone with its thread."""
        self._lock = threading.Lock()
        self._live = {}
        self._firing = 0
        if self._shared is not None:
            self._shared.after_fork_in_child()
