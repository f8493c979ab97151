"""The dial loop: one thread (``cometchat-dial``) driving every client's connection attempts.

An attempt is a generator of dial steps (:mod:`~cometchat_sync.connection.dial_io`):
resolve, TCP connect, proxy tunnel, TLS, upgrade, the ``auth`` frame and its answer. Each time
a step would block it yields the socket it waits on; the loop registers that socket with its
selector and resumes the step when the socket is ready. So one thread keeps any number of
attempts in flight at once (a burst of 1,000 reconnects is not served two at a time), and no
attempt waits for another's slow server.

Each attempt has a deadline: when it passes, the loop throws ``StepTimeout`` in at the step's
``yield`` (the step turns it into its error), and again at every later ``yield`` of the
attempt, at once (a step that goes on after a timeout, to a name's next address, gets no
more time). ``Dial.cancel()`` (``disconnect()``,
``close()``) wakes the loop, which throws ``DialCancelled`` in at once. When the steps end,
``done(result, error)`` is called on this thread: it must be short and must not block (the
reader registers the socket with the read loop, or plans the next attempt).

The thread starts with the first attempt and ends after :data:`LINGER` seconds with none (or
at once through :meth:`DialLoop.stop_idle`). One loop serves the process
(:func:`shared_dial_loop`); after ``os.fork()`` the child starts afresh.
"""

from __future__ import annotations

import collections
import contextlib
import heapq
import itertools
import logging
import selectors
import time
from typing import Any
from typing import Callable
from typing import Generic
from typing import Optional
from typing import TypeVar

from .. import _engine
from .dial_io import Steps
from .dial_io import StepTimeout
from .dial_io import Wait
from .loop_thread import LoopRun
from .loop_thread import LoopThread
from .transport import Dial
from .transport import DialCancelled

__all__ = ["LINGER", "DialLoop", "shared_dial_loop"]

log = logging.getLogger(__name__)

_T = TypeVar("_T")

#: Seconds the thread waits with no attempt before it ends.
LINGER = 2.0

#: The longest single wait of the selector, in seconds: a deadline further away (a connect
#: timeout of 1e10 s, which the settings accept) is waited for in steps, as one wait that long
#: overflows the platform's time type.
LONGEST_WAIT = 3600.0

Done = Callable[[Optional[_T], Optional[BaseException]], None]


class _Job(Generic[_T]):
    __slots__ = ("deadline", "dial", "done", "fd", "finished", "steps")

    def __init__(self, steps: Steps[_T], deadline: float, dial: Dial, done: Done[_T]) -> None:
        self.steps = steps
        self.deadline = deadline
        self.dial = dial
        self.done = done
        self.fd = -1  # registered with the selector, or -1
        self.finished = False


class _Run(LoopRun["_Job[Any]"]):
    """One life of the dial loop's thread (see :mod:`.loop_thread`)."""

    def __init__(self, name: str, target: Callable[[Any], None]) -> None:
        super().__init__(name, target)
        self.cancelled: collections.deque[_Job[Any]] = collections.deque()
        # Every attempt in flight, by deadline (finished ones leave lazily).
        self.deadlines: list[tuple[float, int, _Job[Any]]] = []


class DialLoop(LoopThread["_Job[Any]", _Run]):
    """See the module docstring. :meth:`start` may be called from any thread."""

    def __init__(self, name: str = "cometchat-dial") -> None:
        super().__init__(name)

    def _new_run(self) -> _Run:
        return _Run(self._name, self._serve)

    def start(self, steps: Steps[_T], *, deadline: float, dial: Dial, done: Done[_T]) -> None:
        """Drive ``steps`` until they return (``done(result, None)``) or raise
        (``done(None, error)``); ``deadline`` is on ``time.monotonic()``. Never blocks."""
        job = _Job(steps, deadline, dial, done)
        if self._add(job) is None:  # interpreter shutting down
            _call_done(job, None, DialCancelled())
            return

        def cancelled() -> None:
            with self._lock:
                current = self._run
                if current is None:
                    return
                current.cancelled.append(job)
                current.wake()

        dial.on_cancel(cancelled)

    # -- the loop thread --------------------------------------------------------------------

    def _serve(self, run: _Run) -> None:
        selector = selectors.DefaultSelector()
        selector.register(run.wake_r, selectors.EVENT_READ, None)
        try:
            self._loop(run, selector)
        except BaseException:
            log.exception("the dial loop failed; its attempts are cancelled")
        finally:
            jobs = [entry[2] for entry in run.deadlines] + self._detach(run)
            for job in jobs:
                if not job.finished:
                    with contextlib.suppress(BaseException):
                        job.steps.close()
                    self._finish(selector, job, None, DialCancelled())
            selector.close()
            run.close()

    def _loop(self, run: _Run, selector: selectors.BaseSelector) -> None:
        deadlines = run.deadlines
        seq = itertools.count()
        while True:
            new = self._take_new(run)
            if new is None:
                return
            with self._lock:
                cancelled = list(run.cancelled)
                run.cancelled.clear()
            for job in new:
                heapq.heappush(deadlines, (job.deadline, next(seq), job))
                self._advance(selector, job, None)
            for job in cancelled:
                if not job.finished:
                    self._advance(selector, job, DialCancelled())
            now = time.monotonic()
            overdue: list[_Job[Any]] = []
            while deadlines and (deadlines[0][2].finished or deadlines[0][0] <= now):
                job = heapq.heappop(deadlines)[2]
                if not job.finished:
                    self._advance(selector, job, StepTimeout())
                    if not job.finished:  # the step went on (to the next address): again
                        overdue.append(job)
            for job in overdue:
                heapq.heappush(deadlines, (job.deadline, next(seq), job))
            if not deadlines:
                events = selector.select(LINGER)
                if not events:
                    if self._end_if_idle(run):
                        return
                    continue
            else:
                left = deadlines[0][0] - time.monotonic()
                events = selector.select(min(max(0.0, left), LONGEST_WAIT))
            for key, _mask in events:
                job = key.data
                if job is None:
                    run.drain()
                elif not job.finished:
                    error = DialCancelled() if job.dial.cancelled else None
                    self._advance(selector, job, error)

    def _advance(
        self, selector: selectors.BaseSelector, job: _Job[Any], error: Optional[BaseException]
    ) -> None:
        """Resume ``job``'s steps (throwing ``error`` in) until they wait again or end."""
        if job.fd != -1:
            with contextlib.suppress(KeyError, ValueError, OSError):
                selector.unregister(job.fd)
            job.fd = -1
        while True:
            try:
                wait: Wait = job.steps.throw(error) if error is not None else job.steps.send(None)
            except StopIteration as stop:
                self._finish(selector, job, stop.value, None)
                return
            except BaseException as exc:
                self._finish(selector, job, None, exc)
                return
            try:
                fd = wait.sock if isinstance(wait.sock, int) else wait.sock.fileno()
                event = selectors.EVENT_WRITE if wait.write else selectors.EVENT_READ
                selector.register(fd, event, job)
            except (ValueError, KeyError, OSError) as exc:  # a socket closed under it
                error = DialCancelled() if job.dial.cancelled else OSError(str(exc))
                continue
            job.fd = fd
            return

    def _finish(
        self,
        selector: selectors.BaseSelector,
        job: _Job[Any],
        result: Any,
        error: Optional[BaseException],
    ) -> None:
        job.finished = True
        if job.fd != -1:
            with contextlib.suppress(KeyError, ValueError, OSError):
                selector.unregister(job.fd)
            job.fd = -1
        self._done_one()
        _call_done(job, result, error)


def _call_done(job: _Job[Any], result: Any, error: Optional[BaseException]) -> None:
    try:
        job.done(result, error)
    except Exception:
        log.exception("handling the end of a connection attempt failed")


# The process's loop: made at import (no thread starts before the first attempt).
_SHARED = DialLoop()
_engine.add_part(_SHARED)


def shared_dial_loop() -> DialLoop:
    """The process's dial loop (part of the engine)."""
    return _SHARED
