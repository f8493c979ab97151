"""A small bounded pool of lazily started, named daemon worker threads.

The SDK keeps two of them per process (see ``_engine``): the dial pool and the dispatch pool.
Jobs are zero-argument callables run first in, first out. A worker is started only when a job
is queued, no worker is idle and fewer than ``max_workers`` are alive; a worker that found no
work for ``linger`` seconds ends, so an idle process keeps no pool thread. Workers sleep on a
condition (no polling). A job's exception, whatever it is, is logged and the worker goes on.

Thread-safety: every method may be called from any thread, including from inside a job.
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from typing import Callable
from typing import Optional

__all__ = ["Job", "WorkerPool"]

log = logging.getLogger(__name__)

Job = Callable[[], None]


class WorkerPool:
    """A FIFO job queue served by at most ``max_workers`` daemon threads named
    ``f"{prefix}-{n}"`` (``n`` from 1: the lowest number no live worker has).

    Args:
        prefix: the thread names' prefix, e.g. ``"cometchat-dispatch"``.
        max_workers: most threads alive at once (at least 1).
        linger: seconds an idle worker waits for a job before it ends (> 0).
    """

    def __init__(self, prefix: str, max_workers: int, *, linger: float = 5.0) -> None:
        if max_workers < 1:
            raise ValueError("max_workers must be at least 1")
        if not linger > 0:
            raise ValueError("linger must be positive")
        self._prefix = prefix
        self._max_workers = max_workers
        self._linger = linger
        self._init_state()

    def _init_state(self) -> None:
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._jobs: collections.deque[Job] = collections.deque()
        # live workers -> their number; a worker is in it from start until it exits
        self._workers: dict[threading.Thread, int] = {}
        self._idle = 0  # workers waiting on the condition
        self._starting = 0  # workers started that have not yet looked at the queue
        self._busy = 0  # workers running a job
        self._running: set[threading.Thread] = set()  # the workers running a job now
        # stop_idle() bumps it: a worker started before ends once the queue is empty
        self._generation = 0

    def __repr__(self) -> str:
        return (
            f"WorkerPool({self._prefix!r}, max_workers={self._max_workers}, "
            f"alive={len(self._workers)}, busy={self._busy}, queued={len(self._jobs)})"
        )

    # -- public --------------------------------------------------------------------------------

    def submit(self, job: Job) -> bool:
        """Queue ``job``; never blocks and never raises. A worker is started only if more
        jobs are queued than workers are idle (or just started) and fewer than
        ``max_workers`` are alive; otherwise an idle worker is woken, or the job waits for a
        busy one (FIFO).

        Returns:
            True; False only when no worker is alive and none could be started (at
            interpreter shutdown): the job is then dropped, as nothing would ever run it.
        """
        with self._lock:
            self._jobs.append(job)
            if self._idle:
                self._cond.notify()
            waiting = self._idle + self._starting  # workers about to take a job
            wanted = len(self._jobs) > waiting and len(self._workers) < self._max_workers
            if wanted and not self._start_locked() and not self._workers:
                self._jobs.clear()  # no worker is left to run any of them
                return False
            return True

    def threads(self) -> list[threading.Thread]:
        """The live workers (a snapshot)."""
        with self._lock:
            return [t for t in self._workers if t.is_alive()]

    def busy(self) -> int:
        """How many workers are running a job now."""
        return self._busy

    def queued(self) -> int:
        """How many jobs wait for a worker now."""
        return len(self._jobs)

    def stop_idle(self, timeout: float, *, join_busy: bool = True) -> None:
        """Make every live worker end once the queue is empty (an idle one at once, a busy
        one after its job and whatever is still queued), and join them for up to
        ``timeout`` seconds in total; the calling thread, if a worker, is never joined.
        With ``join_busy=False`` a worker running a job now (a listener that blocks) is
        not waited for: it ends on its own once its job returned and the queue is empty.
        Jobs submitted later start workers again."""
        me = threading.current_thread()
        with self._lock:
            self._generation += 1
            self._cond.notify_all()
            workers = [
                t for t in self._workers if t is not me and (join_busy or t not in self._running)
            ]
        deadline = time.monotonic() + max(0.0, timeout)
        for thread in workers:
            thread.join(max(0.0, deadline - time.monotonic()))

    def after_fork_in_child(self) -> None:
        """In a forked child: the parent's workers and queue are not ours; fresh locks."""
        self._init_state()

    # -- workers -------------------------------------------------------------------------------

    def _start_locked(self) -> bool:
        taken = set(self._workers.values())
        number = next(n for n in range(1, len(taken) + 2) if n not in taken)
        thread = threading.Thread(
            target=self._work,
            args=(self._generation,),
            name=f"{self._prefix}-{number}",
            daemon=True,
        )
        self._workers[thread] = number
        self._starting += 1
        try:
            thread.start()
        except RuntimeError:  # interpreter shutdown, or no thread left
            del self._workers[thread]
            self._starting -= 1
            log.debug("%s: could not start a worker", self._prefix, exc_info=True)
            return False
        return True

    def _work(self, generation: int) -> None:
        me = threading.current_thread()
        lock, cond, jobs = self._lock, self._cond, self._jobs  # a fork must not redirect us
        job: Optional[Job] = None
        with lock:
            self._starting -= 1
        while True:
            with lock:
                if job is not None:  # done with it: from busy to waiting in one step
                    job = None
                    self._busy -= 1
                    self._running.discard(me)
                deadline = time.monotonic() + self._linger
                while not jobs:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0 or generation != self._generation:
                        self._workers.pop(me, None)
                        return
                    self._idle += 1
                    try:
                        cond.wait(remaining)
                    finally:
                        self._idle -= 1
                job = jobs.popleft()
                self._busy += 1
                self._running.add(me)
            try:
                job()
            except BaseException:  # never let a job end the worker
                log.exception("%s: a job raised; the worker goes on", me.name)
            if lock is not self._lock:  # forked inside the job: this state is the parent's
                return
