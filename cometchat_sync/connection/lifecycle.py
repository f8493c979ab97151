"""The lifecycle object: the connection state under one lock, exposed through events.

Every change of status goes through :meth:`Lifecycle._change`, which checks it against
:data:`~cometchat_sync.connection.state.TRANSITIONS`, sets the ``connected``/``disconnected``
``threading.Event``\\ s, and queues exactly one notification, in order (the queueing happens
under the lock, so notifications can never overtake each other).

The reader thread and the public calls meet here:

* public calls say what they want (:meth:`request`, :meth:`drop`);
* the reader asks for work (:meth:`next_attempt`), reports outcomes (:meth:`succeeded`,
  :meth:`failed`, :meth:`lost`) and pongs (:meth:`pong`).

Each attempt and each socket carries an *epoch*; a report carrying an old epoch is ignored, so
a frame or a callback from an older socket can never touch the current one.
"""

from __future__ import annotations

import threading
import time
from typing import Callable, Optional

from ..errors import CometChatException
from .state import (
    TRANSITIONS,
    AppState,
    ConnectionStateChange,
    ConnectionStatus,
    DisconnectReason,
)
from .transport import Dial, Link

__all__ = ["Lifecycle", "LinkState"]

Clock = Callable[[], float]


class LinkState:
    """Liveness of one authenticated socket. A new socket gets a new object, so no field of
    an earlier socket (ping times, pong counts) can leak into the next one."""

    __slots__ = (
        "dead_error",
        "epoch",
        "last_inbound",
        "last_pong_at",
        "link",
        "opened_at",
        "pongs",
    )

    def __init__(self, epoch: int, link: Link, now: float) -> None:
        self.epoch = epoch
        self.link = link
        self.opened_at = now
        self.last_inbound = now
        self.last_pong_at = 0.0
        self.pongs = 0
        self.dead_error: Optional[CometChatException] = None


class Lifecycle:
    """Connection state shared by the public calls, the reader and the timer."""

    def __init__(
        self,
        *,
        on_change: Callable[[ConnectionStateChange], None],
        on_error: Callable[[CometChatException], None],
        clock: Clock = time.monotonic,
    ) -> None:
        self._on_change = on_change
        self._on_error = on_error
        self.clock = clock
        self.lock = threading.Lock()
        self.cond = threading.Condition(self.lock)
        self.connected = threading.Event()
        self.disconnected = threading.Event()
        self.disconnected.set()
        self.status = ConnectionStatus.DISCONNECTED
        self.app_state = AppState.FOREGROUND
        self.want = False
        self.fail_fast = False
        self.stopping = False
        self.epoch = 0
        self.current: Optional[LinkState] = None
        self.dial: Optional[Dial] = None
        self.last_reason: Optional[DisconnectReason] = None
        # Outcomes of attempts, for connect() callers waiting on "the next outcome".
        self.outcomes = 0
        self.last_outcome_error: Optional[CometChatException] = None
        self._requests = 0
        self._error_reported = False

    # -- transitions -----------------------------------------------------------------------

    def _change(
        self,
        new: ConnectionStatus,
        reason: Optional[DisconnectReason] = None,
        error: Optional[CometChatException] = None,
    ) -> None:
        """Move to ``new``; the lock must be held."""
        old = self.status
        if new is old:
            return
        if new not in TRANSITIONS[old]:
            raise RuntimeError(f"invalid connection transition {old.value} -> {new.value}")
        self.status = new
        if new is ConnectionStatus.CONNECTED:
            self.disconnected.clear()
            self.connected.set()
        elif new is ConnectionStatus.DISCONNECTED:
            self.connected.clear()
            self.disconnected.set()
            self.last_reason = reason
        else:
            self.connected.clear()
            self.disconnected.clear()
        self._on_change(ConnectionStateChange(old, new, reason, error))
        self.cond.notify_all()

    def _report(self, error: CometChatException) -> None:
        self._on_error(error)

    # -- public-call side --------------------------------------------------------------------

    def request(self, *, fail_fast: bool) -> None:
        """A link is wanted from now on. ``fail_fast``: the first failed attempt ends the wish
        (an explicit ``connect()``); otherwise attempts go on with backoff."""
        with self.lock:
            self.stopping = False
            if not self.want or fail_fast:
                self._requests += 1  # a new wish, or an explicit connect(): skip any wait
            self.want = True
            if self.status is ConnectionStatus.DISCONNECTED:
                self.fail_fast = fail_fast
                self._error_reported = False
                self._change(ConnectionStatus.CONNECTING)
            self.cond.notify_all()

    def drop(self, reason: DisconnectReason, error: Optional[CometChatException] = None) -> None:
        """No link is wanted any more: end the current socket or attempt now."""
        with self.lock:
            link, dial = self._drop_locked(reason, error)
        _teardown(link, dial)

    def _drop_locked(
        self, reason: DisconnectReason, error: Optional[CometChatException]
    ) -> tuple[Optional[Link], Optional[Dial]]:
        self.want = False
        self.fail_fast = False
        self.epoch += 1
        link = self.current.link if self.current is not None else None
        dial = self.dial
        self.current = None
        if self.status is not ConnectionStatus.DISCONNECTED:
            self._change(ConnectionStatus.DISCONNECTED, reason, error)
        self.cond.notify_all()
        return link, dial

    def stop_reader(self) -> None:
        """Ask the reader thread to end (after ``drop``)."""
        with self.lock:
            self.stopping = True
            self.cond.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        """Wait until no attempt is in flight; False if ``timeout`` ran out."""
        deadline = self.clock() + timeout
        with self.lock:
            while self.dial is not None:
                left = deadline - self.clock()
                if left <= 0:
                    return False
                self.cond.wait(min(left, 0.2))
        return True

    # -- reader side -------------------------------------------------------------------------

    def next_attempt(self, delay: float) -> Optional[tuple[int, Dial]]:
        """Block until a link is wanted and ``delay`` has passed (a new request skips the
        delay), then start an attempt. ``None`` means the reader must end."""
        with self.lock:
            requests = self._requests
            deadline: Optional[float] = None
            while True:
                if self.stopping:
                    return None
                if not self.want:
                    deadline = None
                    self.cond.wait()
                    continue
                if self.status is ConnectionStatus.DISCONNECTED:
                    self._error_reported = False
                    self._change(ConnectionStatus.CONNECTING)
                if self._requests != requests:
                    requests, delay, deadline = self._requests, 0.0, None
                if deadline is None:
                    deadline = self.clock() + delay
                left = deadline - self.clock()
                if left > 0:
                    self.cond.wait(left)
                    continue
                break
            self.epoch += 1
            self.dial = Dial()
            return self.epoch, self.dial

    def succeeded(self, epoch: int, link: Link) -> Optional[LinkState]:
        """The attempt of ``epoch`` authenticated. ``None``: it is stale; close ``link``."""
        with self.lock:
            if epoch != self.epoch or not self.want or self.stopping:
                return None
            state = LinkState(epoch, link, self.clock())
            self.current = state
            self.fail_fast = False
            self._error_reported = False
            self.outcomes += 1
            self.last_outcome_error = None
            self._change(ConnectionStatus.CONNECTED)
            return state

    def failed(self, epoch: int, error: CometChatException, *, fatal: bool) -> bool:
        """The attempt of ``epoch`` failed. Returns True when the reader should try again."""
        with self.lock:
            if epoch != self.epoch:
                return self.want
            self.outcomes += 1
            self.last_outcome_error = error
            if fatal or self.fail_fast or not self._error_reported:
                self._error_reported = True
                self._report(error)
            if fatal or self.fail_fast:
                self._drop_locked(
                    DisconnectReason.AUTH_REJECTED if fatal else DisconnectReason.CONNECT_FAILED,
                    error,
                )
            self.cond.notify_all()
            return self.want

    def lost(self, state: LinkState, error: CometChatException, *, fatal: bool) -> bool:
        """The socket of ``state`` ended. Reconnection follows if the link is still wanted
        and the app is in the foreground. False when the loss was expected (the app or the
        SDK had already dropped the link), so it is no failure."""
        with self.lock:
            if self.current is not state:
                return False
            self.current = None
            reason = DisconnectReason.LINK_LOST
            if fatal:
                reason = DisconnectReason.AUTH_REJECTED
                self._report(error)
                self.want = False
            elif self.app_state is AppState.BACKGROUND:
                self.want = False
            self.fail_fast = False
            self._change(ConnectionStatus.DISCONNECTED, reason, error)
            return True

    def pong(self, state: LinkState) -> bool:
        """A pong arrived on ``state``; True when it is that socket's first one."""
        with self.lock:
            state.pongs += 1
            state.last_pong_at = state.last_inbound
            self.cond.notify_all()
            return state.pongs == 1

    def end_attempt(self, dial: Dial) -> None:
        """The reader is done with ``dial`` (whatever the outcome)."""
        with self.lock:
            if self.dial is dial:
                self.dial = None
                self.cond.notify_all()


def _teardown(link: Optional[Link], dial: Optional[Dial]) -> None:
    if dial is not None:
        dial.cancel()
    if link is not None:
        link.close()
