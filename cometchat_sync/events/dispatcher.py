"""The dispatcher: the only SDK thread that runs user code.

Work items (zero-argument callables built by the client) run one at a time, in the order they
were submitted, on ``cometchat-dispatch-<uid>``. The thread drains everything queued before it
sleeps again, so a burst of frames costs one wake-up, not one per frame.

(The client's callback executor, for GUI main loops, wraps only the listener calls inside
the items; the SDK's own bookkeeping always runs here.)

A slow listener delays only later listeners: the reader and timer threads never wait for
this one, so keepalive goes on.
"""

from __future__ import annotations

import collections
import logging
import threading
from typing import Callable
from typing import Optional

__all__ = ["Dispatcher", "Executor"]

log = logging.getLogger(__name__)

Item = Callable[[], None]
Executor = Callable[[Item], None]


class Dispatcher:
    """An ordered, batched work queue served by one lazily started daemon thread."""

    def __init__(self, name: Callable[[], str]) -> None:
        self._name = name
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._items: collections.deque[Item] = collections.deque()
        self._thread: Optional[threading.Thread] = None
        self._idle_waiting = False
        self._stopping = False

    @property
    def thread(self) -> Optional[threading.Thread]:
        return self._thread

    def submit(self, item: Item) -> None:
        """Queue ``item``; never blocks on user code. Thread-safe."""
        with self._lock:
            self._items.append(item)
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

    def stop(self, timeout: float = 1.0) -> None:
        """Run what is queued, then end the thread (joined up to ``timeout``; never joined
        from the dispatcher thread itself, so ``logout()`` inside a listener is safe)."""
        with self._lock:
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
        self._thread = None
        self._idle_waiting = False
        self._stopping = False

    def _run(self) -> None:
        while True:
            with self._lock:
                while not self._items:
                    if self._stopping:
                        if self._thread is threading.current_thread():
                            self._thread = None
                        return
                    self._idle_waiting = True
                    self._cond.wait()
                    self._idle_waiting = False
                batch = self._items
                self._items = collections.deque()
            for item in batch:
                try:
                    item()
                except BaseException:  # never let user code end the thread
                    log.exception("a callback raised; the next one still runs")
