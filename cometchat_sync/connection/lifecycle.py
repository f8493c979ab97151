"""The lifecycle object: the connection state under one lock, exposed through events.

Every change of status goes through :meth:`Lifecycle._change`, which checks it against
:data:`~cometchat_sync.connection.state.TRANSITIONS`, sets the ``connected``/``disconnected``
``threading.Event``\\ s, and queues exactly one notification, in order (the queueing happens
under the lock, so notifications can never overtake each other).

The reader thread and the public calls meet here:

* public calls say what they want (:meth:`request`, :meth:`drop`, :meth:`change_app_state`)
  and wait for it (:meth:`wait_outcome`, :meth:`wait_pong`, :meth:`wait_for_status`,
  :meth:`wait_idle`);
* the reader asks for work (:meth:`poll_attempt`), reports outcomes (:meth:`succeeded`,
  :meth:`failed`, :meth:`lost`) and pongs (:meth:`pong`).

Its lock, condition and fields are private: everything outside reads them through properties
and changes them through these methods. The few callbacks it runs under its lock
(:meth:`change_app_state`, :meth:`if_current`) are the SDK's own short timer bookkeeping; the
lock order is lifecycle → timer and lifecycle → dispatcher, never the other way.

Each attempt and each socket carries an *epoch*; a report carrying an old epoch is ignored, so
a frame or a callback from an older socket can never touch the current one.
"""

from __future__ import annotations

import threading
import time
from typing import Callable
from typing import NamedTuple
from typing import Optional
from typing import TypeVar

from .._waits import wait_until
from ..errors import AlreadyConnectedError
from ..errors import CometChatException
from ..errors import ErrorCode
from .state import TRANSITIONS
from .state import AppState
from .state import ConnectionStateChange
from .state import ConnectionStatus
from .state import DisconnectReason
from .transport import Dial
from .transport import Link

__all__ = ["Attempt", "ConnectionCounters", "Lifecycle", "LinkState", "LinkView"]

Clock = Callable[[], float]
_R = TypeVar("_R")


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


class Attempt(NamedTuple):
    """The answer of :meth:`Lifecycle.poll_attempt` (one of its three shapes)."""

    end: bool = False
    wait: float = 0.0
    requests: int = 0
    epoch: int = 0
    dial: Optional[Dial] = None


class LinkView(NamedTuple):
    """What a callback run under the lifecycle's lock may look at."""

    status: ConnectionStatus
    app_state: AppState
    want: bool
    fail_fast: bool
    current: Optional[LinkState]


class ConnectionCounters(NamedTuple):
    """Connection figures since the client was made (see :meth:`Lifecycle.counters`)."""

    attempts: int
    """Connection attempts started (each dial, successful or not)."""
    reconnects: int
    """Links re-established after a lost one (not counting the first connect)."""
    last_pong_age: Optional[float]
    """Seconds since the current socket's last pong; ``None`` with no socket or no pong yet."""
    seconds_in: dict[ConnectionStatus, float]
    """Seconds spent in each status, the current one included up to now."""


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
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._connected = threading.Event()
        self._disconnected = threading.Event()
        self._disconnected.set()
        self._status = ConnectionStatus.DISCONNECTED
        self._app_state = AppState.FOREGROUND
        self._want = False
        self._fail_fast = False
        self._stopping = False
        self._epoch = 0
        self._current: Optional[LinkState] = None
        self._dial: Optional[Dial] = None
        self._last_reason: Optional[DisconnectReason] = None
        # Outcomes of attempts, for connect() callers waiting on "the next outcome".
        self._outcomes = 0
        self._last_outcome_error: Optional[CometChatException] = None
        self._requests = 0
        self._error_reported = False
        # Figures for counters(): plain integers and floats updated under the lock.
        self._attempts = 0
        self._reconnects = 0
        self._lost_since_connect = False
        self._seconds_in = dict.fromkeys(ConnectionStatus, 0.0)
        self._status_since = clock()

    # -- read-only views (each a single read: no lock needed) --------------------------------

    @property
    def status(self) -> ConnectionStatus:
        return self._status

    @property
    def app_state(self) -> AppState:
        return self._app_state

    @property
    def want(self) -> bool:
        """A link is wanted (the reader keeps dialling while this holds)."""
        return self._want

    @property
    def epoch(self) -> int:
        """The epoch of the current attempt or socket."""
        return self._epoch

    @property
    def current(self) -> Optional[LinkState]:
        """The authenticated socket, or ``None``."""
        return self._current

    @property
    def last_reason(self) -> Optional[DisconnectReason]:
        return self._last_reason

    def counters(self) -> ConnectionCounters:
        """A consistent snapshot of the connection figures (cheap: no I/O, a short lock)."""
        with self._lock:
            now = self.clock()
            seconds_in = dict(self._seconds_in)
            seconds_in[self._status] += now - self._status_since
            state = self._current
            pong_age = None
            if state is not None and state.pongs:
                pong_age = max(0.0, now - state.last_pong_at)
            return ConnectionCounters(self._attempts, self._reconnects, pong_age, seconds_in)

    # -- transitions -----------------------------------------------------------------------

    def _change(
        self,
        new: ConnectionStatus,
        reason: Optional[DisconnectReason] = None,
        error: Optional[CometChatException] = None,
    ) -> None:
        """Move to ``new``; the lock must be held."""
        old = self._status
        if new is old:
            return
        if new not in TRANSITIONS[old]:
            raise RuntimeError(f"invalid connection transition {old.value} -> {new.value}")
        now = self.clock()
        self._seconds_in[old] += now - self._status_since
        self._status_since = now
        self._status = new
        if new is ConnectionStatus.CONNECTED:
            self._disconnected.clear()
            self._connected.set()
        elif new is ConnectionStatus.DISCONNECTED:
            self._connected.clear()
            self._disconnected.set()
            self._last_reason = reason
        else:
            self._connected.clear()
            self._disconnected.clear()
        self._on_change(ConnectionStateChange(old, new, reason, error))
        self._cond.notify_all()

    def _view(self) -> LinkView:
        return LinkView(self._status, self._app_state, self._want, self._fail_fast, self._current)

    # -- public-call side --------------------------------------------------------------------

    def request(self, *, fail_fast: bool) -> None:
        """A link is wanted from now on. ``fail_fast``: the first failed attempt ends the wish
        (an explicit ``connect()``); otherwise attempts go on with backoff."""
        with self._lock:
            self._stopping = False
            if not self._want or fail_fast:
                self._requests += 1  # a new wish, or an explicit connect(): skip any wait
            self._want = True
            if self._status is ConnectionStatus.DISCONNECTED:
                self._fail_fast = fail_fast
                self._error_reported = False
                self._change(ConnectionStatus.CONNECTING)
            self._cond.notify_all()

    def drop(self, reason: DisconnectReason, error: Optional[CometChatException] = None) -> None:
        """No link is wanted any more: end the current socket or attempt now."""
        with self._lock:
            link, dial = self._drop_locked(reason, error)
        _teardown(link, dial)

    def _drop_locked(
        self, reason: DisconnectReason, error: Optional[CometChatException]
    ) -> tuple[Optional[Link], Optional[Dial]]:
        self._want = False
        self._fail_fast = False
        self._epoch += 1
        link = self._current.link if self._current is not None else None
        dial = self._dial
        self._current = None
        if self._status is not ConnectionStatus.DISCONNECTED:
            self._change(ConnectionStatus.DISCONNECTED, reason, error)
        self._cond.notify_all()
        return link, dial

    def change_app_state(self, state: AppState, apply: Callable[[LinkView], _R]) -> Optional[_R]:
        """Record the app's state; when it changed, run ``apply(view)`` under the lock (the
        manager's timer bookkeeping, atomic with the change) and return its result."""
        with self._lock:
            if state is self._app_state:
                return None
            self._app_state = state
            return apply(self._view())

    def if_current(self, state: LinkState, apply: Callable[[LinkView], None]) -> bool:
        """Run ``apply(view)`` under the lock if ``state`` is the current socket."""
        with self._lock:
            if self._current is not state:
                return False
            apply(self._view())
            return True

    def begin_connect(self) -> tuple[int, bool]:
        """For ``connect()``: ``(outcomes so far, True if no attempt was under way)``.

        Raises ``AlreadyConnectedError`` when the link is up."""
        with self._lock:
            if self._status in (ConnectionStatus.CONNECTED, ConnectionStatus.FEATURE_THROTTLED):
                raise AlreadyConnectedError()
            return self._outcomes, self._status is ConnectionStatus.DISCONNECTED

    def wait_outcome(self, seen: int, timeout: float) -> bool:
        """Block until an attempt ends after ``seen`` outcomes, or the link is up. False when
        ``timeout`` ran out; raises the attempt's error when it failed, and
        ``ERR_WEBSOCKET_ERROR`` when the wish was withdrawn meanwhile."""

        def settled() -> bool:
            return self._connected.is_set() or self._outcomes > seen or not self._want

        with self._lock:
            if not wait_until(settled, timeout, sleep=self._cond.wait, clock=self.clock):
                return False
            if self._connected.is_set():
                return True
            if self._outcomes > seen:
                error = self._last_outcome_error
                if error is None:
                    return True  # it connected (and may already have dropped again)
                raise CometChatException(error.code, error.message, error.details)
        raise CometChatException(ErrorCode.WEBSOCKET_ERROR, "The connection attempt was cancelled.")

    def connected_link(self) -> Optional[tuple[LinkState, int]]:
        """``(the current socket, its pong count)`` when connected, else ``None``."""
        with self._lock:
            state = self._current
            if self._status is not ConnectionStatus.CONNECTED or state is None:
                return None
            return state, state.pongs

    def wait_pong(self, state: LinkState, seen: int, timeout: float) -> Optional[float]:
        """Block until ``state`` got a pong after ``seen``; return when it came (on the
        lifecycle's clock), ``None`` when ``timeout`` ran out. Raises
        ``ERR_WEBSOCKET_ERROR`` when the socket ends first."""

        def settled() -> bool:
            return state.pongs != seen or self._current is not state

        with self._lock:
            if not wait_until(settled, timeout, sleep=self._cond.wait, clock=self.clock):
                return None
            if state.pongs == seen:
                raise CometChatException(
                    ErrorCode.WEBSOCKET_ERROR, "The link dropped before the pong arrived."
                )
            return state.last_pong_at

    def wait_for_status(self, status: ConnectionStatus, timeout: float) -> bool:
        """Block until the status is ``connected`` or ``disconnected``; False on timeout."""
        event = self._connected if status is ConnectionStatus.CONNECTED else self._disconnected
        return wait_until(event.is_set, timeout, sleep=event.wait, clock=self.clock)

    def stop_reader(self) -> None:
        """Ask the reader thread to end (after ``drop``)."""
        with self._lock:
            self._stopping = True
            self._cond.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        """Wait until no attempt is in flight; False if ``timeout`` ran out."""
        with self._lock:
            return wait_until(
                lambda: self._dial is None, timeout, sleep=self._cond.wait, clock=self.clock
            )

    # -- reader side -------------------------------------------------------------------------

    def poll_attempt(self, not_before: float, requests_seen: Optional[int]) -> Attempt:
        """The reader's question "may an attempt start now?"; never blocks.

        ``not_before`` ends the backoff wait (on the lifecycle's clock); a request made since
        ``requests_seen`` (an explicit ``connect()``, a new wish) skips the rest of it.
        Returns ``Attempt(end=True)`` when no link is wanted (or the reader must stop),
        ``Attempt(wait=s, requests=n)`` to ask again in ``s`` seconds (passing ``n`` back),
        or ``Attempt(epoch=e, dial=d)``: an attempt has started."""
        with self._lock:
            if self._stopping or not self._want:
                return Attempt(end=True)
            if self._status is ConnectionStatus.DISCONNECTED:
                self._error_reported = False
                self._change(ConnectionStatus.CONNECTING)
            if requests_seen is not None and self._requests != requests_seen:
                not_before = 0.0
            left = not_before - self.clock()
            if left > 0:
                return Attempt(wait=left, requests=self._requests)
            self._epoch += 1
            self._attempts += 1
            self._dial = Dial()
            return Attempt(epoch=self._epoch, dial=self._dial)

    def succeeded(self, epoch: int, link: Link) -> Optional[LinkState]:
        """The attempt of ``epoch`` authenticated. ``None``: it is stale; close ``link``."""
        with self._lock:
            if epoch != self._epoch or not self._want or self._stopping:
                return None
            state = LinkState(epoch, link, self.clock())
            self._current = state
            if self._lost_since_connect:
                self._reconnects += 1
                self._lost_since_connect = False
            self._fail_fast = False
            self._error_reported = False
            self._outcomes += 1
            self._last_outcome_error = None
            self._change(ConnectionStatus.CONNECTED)
            return state

    def failed(
        self,
        epoch: int,
        error: CometChatException,
        *,
        drop: Optional[DisconnectReason] = None,
    ) -> bool:
        """The attempt of ``epoch`` failed. ``drop``: the failure is permanent, the wish for
        a link ends with this reason. Returns True when the reader should try again."""
        with self._lock:
            if epoch != self._epoch:
                return self._want
            self._outcomes += 1
            self._last_outcome_error = error
            if drop is not None or self._fail_fast or not self._error_reported:
                self._error_reported = True
                self._on_error(error)
            if drop is not None or self._fail_fast:
                self._drop_locked(drop or DisconnectReason.CONNECT_FAILED, error)
            self._cond.notify_all()
            return self._want

    def lost(self, state: LinkState, error: CometChatException) -> bool:
        """The socket of ``state`` ended. Reconnection follows if the link is still wanted
        and the app is in the foreground. False when the loss was expected (the app or the
        SDK had already dropped the link), so it is no failure."""
        with self._lock:
            if self._current is not state:
                return False
            self._current = None
            self._lost_since_connect = True
            if self._app_state is AppState.BACKGROUND:
                self._want = False
            self._fail_fast = False
            self._change(ConnectionStatus.DISCONNECTED, DisconnectReason.LINK_LOST, error)
            return True

    def pong(self, state: LinkState) -> bool:
        """A pong arrived on ``state``; True when it is that socket's first one."""
        with self._lock:
            state.pongs += 1
            state.last_pong_at = state.last_inbound
            self._cond.notify_all()
            return state.pongs == 1

    def end_attempt(self, dial: Dial) -> None:
        """The reader is done with ``dial`` (whatever the outcome)."""
        with self._lock:
            if self._dial is dial:
                self._dial = None
                self._cond.notify_all()


def _teardown(link: Optional[Link], dial: Optional[Dial]) -> None:
    if dial is not None:
        dial.cancel()
    if link is not None:
        link.close()
