"""``run_forever()`` for scripts: serve events until the client is closed, the user logs out,
or the process is asked to stop (SIGINT, SIGTERM).

:class:`Ends` counts the ends of a client's run (``close()``, ``logout()``, a revoked auth
token); :class:`RunForeverAPI` is the client's mixin that waits for the next one. The wait is
sliced (``_waits.SLICE``), so Ctrl-C is honoured at once on every platform. A SIGTERM handler
is installed only while ``run_forever`` runs on the main thread, and the previous one is put
back when it returns.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
import time
from collections.abc import Iterator
from types import FrameType
from typing import Optional

from . import _validate as check
from ._waits import wait_until
from .errors import NotLoggedInError
from .session import Session

__all__ = ["Ends", "RunForeverAPI"]

log = logging.getLogger(__name__)

# One wait of run_forever without a timeout; the loop starts another after it.
_LONG_WAIT = 3600.0


class Ends:
    """How many times a client's run ended (closed or logged out), with a condition to wait
    for the next one. Thread-safe."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._count = 0

    @property
    def count(self) -> int:
        return self._count

    def note(self) -> None:
        """The client was closed or its user logged out: wake every ``run_forever``."""
        with self._cond:
            self._count += 1
            self._cond.notify_all()

    def wait_past(self, seen: int, stop: threading.Event, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds until the count passed ``seen`` or ``stop`` is set;
        True when one of them happened."""
        with self._cond:
            return wait_until(
                lambda: self._count != seen or stop.is_set(), timeout, sleep=self._cond.wait
            )

    def after_fork_in_child(self) -> None:
        """In a forked child: a new condition (a parent's thread may have held its lock)."""
        self._cond = threading.Condition()


@contextlib.contextmanager
def _sigterm_sets(stop: threading.Event) -> Iterator[None]:
    """While the block runs on the main thread, SIGTERM sets ``stop`` instead of ending the
    process; the previous handler is restored afterwards. Elsewhere it does nothing (only
    the main thread may install handlers)."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "SIGTERM"):
        yield
        return

    def on_sigterm(_signum: int, _frame: Optional[FrameType]) -> None:
        stop.set()  # the main thread holds no lock of this Event while it waits elsewhere

    previous = signal.signal(signal.SIGTERM, on_sigterm)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


class RunForeverAPI:
    """The client's ``run_forever``; the client supplies its first use, link and close."""

    _ends: Ends
    _session: Optional[Session]

    def _check_fork(self) -> None:
        """The client's first use in this process (implemented by the client)."""
        raise NotImplementedError

    def _ensure_auto_link(self) -> None:
        """In auto mode, want the link if it is down (implemented by the client)."""
        raise NotImplementedError

    def close(self, timeout: float = 2.0) -> None:
        """Implemented by the client."""
        raise NotImplementedError

    def run_forever(self, timeout: Optional[float] = None) -> bool:
        """Serve events until :meth:`close` or :meth:`logout` is called (from any thread,
        a listener included), the process gets SIGINT (Ctrl-C) or SIGTERM, or ``timeout``
        passes; the loop a script ends with instead of its own wait and signal handling.

        It is a first use of the client: in auto mode it opens the link if it is down.
        On SIGINT or SIGTERM it closes the client (the stored session is kept, as at any
        process exit) and returns normally, with no traceback. After ``close()``,
        ``logout()`` or ``timeout`` it returns and leaves the client as it is. A SIGTERM
        handler is in place only while it runs on the main thread; the previous handler
        is restored when it returns. On another thread it waits the same way but leaves
        signals to the main thread. Do not call it inside a listener: it would hold the
        dispatcher thread, and no event would be delivered.

        A loop that must act now and then (ping in manual mode, say) passes a timeout and
        goes on while it returns ``False``::

            while not client.run_forever(timeout=25):
                client.ping()

        Args:
            timeout: the most to run, in seconds; ``None`` (the default) runs until one of
                the ends above.

        Returns:
            ``True`` when the run ended (closed, logged out, or a signal), ``False`` when
            ``timeout`` passed first.

        Raises:
            NotLoggedInError: ``ERR_NOT_LOGGED_IN`` when no user is logged in (there is
                nothing to serve).
            CometChatException: ``ERR_INVALID_PARAMETER`` for a ``timeout`` that is not a
                positive, finite number of seconds.
        """
        budget = None if timeout is None else check.seconds(timeout, "timeout")
        self._check_fork()
        if self._session is None:
            raise NotLoggedInError()
        seen = self._ends.count
        stop = threading.Event()
        interrupted = False
        self._ensure_auto_link()
        ended = False
        with _sigterm_sets(stop):
            try:
                if budget is not None:
                    ended = self._ends.wait_past(seen, stop, budget)
                else:
                    while not self._ends.wait_past(seen, stop, _LONG_WAIT):
                        pass
                    ended = True
            except KeyboardInterrupt:
                interrupted = True
        if interrupted or stop.is_set():
            log.info("run_forever: %s; closing", "SIGINT" if interrupted else "SIGTERM")
            started = time.monotonic()
            self.close()
            log.debug("closed in %.3f s", time.monotonic() - started)
            return True
        return ended
