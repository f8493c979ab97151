"""The connection of one client: modes, app state, blocking ``connect``/``disconnect``/
``ping``, keepalive and the background ping deadline.

Threads (``docs/architecture.md``): the reader (:mod:`.reader`) dials, authenticates and
reads on the engine's dial pool and read loop; the timer (:mod:`.timer`, the engine's one
heap) runs the keepalive ping, the pong deadline and the background deadline. This module
decides *what* is wanted; the lifecycle object (:mod:`.lifecycle`) holds the state and every
wait on it.

Thread safety: every public method may be called from any thread, including from inside a
listener on the dispatcher thread. None of them waits for the dispatcher, so none can deadlock
on it; none holds a lock while it waits on the network.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any
from typing import Callable
from typing import Optional

from .. import _json
from .. import _validate as check
from ..errors import CometChatException
from ..errors import CometChatTimeoutError
from ..errors import ErrorCode
from ..errors import NotLoggedInError
from ..settings import AppSettings
from .backoff import Backoff
from .lifecycle import ConnectionCounters
from .lifecycle import Lifecycle
from .lifecycle import LinkState
from .lifecycle import LinkView
from .reader import Reader
from .reader import Renewal
from .state import AppState
from .state import ConnectionStateChange
from .state import ConnectionStatus
from .state import DisconnectReason
from .timer import Timer
from .transport import Dial
from .transport import LinkClosed
from .transport import Transport
from .wire_trace import trace

__all__ = ["ConnectionManager"]

log = logging.getLogger(__name__)

PING_FRAME = '{"action":"ping","ack":"true"}'
# A timer tick this much later than planned, or a wall clock that moved this much more than
# the monotonic one, means the machine slept: the link is presumed dead.
_SLEEP_THRESHOLD = 2.0


class ConnectionManager:
    """The real-time link of one client (see the module docstring for thread safety)."""

    def __init__(
        self,
        settings: AppSettings,
        *,
        transport: Transport,
        url: Callable[[], str],
        auth_frame: Callable[[], Optional[str]],
        logged_in: Callable[[], bool],
        thread_suffix: Callable[[], str],
        on_change: Callable[[ConnectionStateChange], None],
        on_error: Callable[[CometChatException], None],
        on_frames: Callable[[list[dict[str, Any]]], None],
        renew_credentials: Callable[[Dial], tuple[Renewal, Optional[CometChatException]]],
        credentials_revoked: Callable[[CometChatException], None],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._settings = settings
        self._auto = settings.auto_establish_socket_connection
        self._logged_in = logged_in
        self._on_frames = on_frames
        self._clock = clock
        self._on_change = on_change
        self._on_error = on_error
        self._lc = self._new_lifecycle()
        self._backoff = self._new_backoff()
        self._suffix = thread_suffix
        self._timer = self._new_timer()
        self._transport = transport
        self._url = url
        self._auth_frame = auth_frame
        self._renew = renew_credentials
        self._revoked = credentials_revoked
        # The socket whose pong deadline is pending (see _arm_pong_deadline).
        self._pong_lock = threading.Lock()
        self._pong_for: Optional[LinkState] = None
        self._reader = self._new_reader()

    # -- views -------------------------------------------------------------------------------

    @property
    def status(self) -> ConnectionStatus:
        return self._lc.status

    @property
    def app_state(self) -> AppState:
        return self._lc.app_state

    @property
    def last_disconnect_reason(self) -> Optional[DisconnectReason]:
        return self._lc.last_reason

    def counters(self) -> ConnectionCounters:
        """Connection figures since the client was made (cheap; see ``client.stats()``)."""
        return self._lc.counters()

    def threads(self) -> list[threading.Thread]:
        """The engine threads working for this connection now (the dial worker or the read
        loop, and the timer while it holds a deadline of this client)."""
        found = [self._reader.thread, self._timer.thread]
        return [t for t in found if t is not None and t.is_alive()]

    # -- auto mode -----------------------------------------------------------------------------

    def start(self, wait: float = 0.0) -> bool:
        """Auto mode: want the link (if the app is in the foreground) and wait up to ``wait``
        seconds for it. Never raises for a socket failure: listeners hear of it, and attempts
        go on. Returns True when connected."""
        if self._lc.app_state is AppState.BACKGROUND:
            return False
        self._want(fail_fast=False)
        return self._lc.wait_for_status(ConnectionStatus.CONNECTED, wait)

    # -- blocking calls ------------------------------------------------------------------------

    def wait_for(self, status: ConnectionStatus, timeout: float) -> None:
        """Block until the status is ``status``; ``CometChatTimeoutError`` after ``timeout``."""
        if status not in (ConnectionStatus.CONNECTED, ConnectionStatus.DISCONNECTED):
            raise CometChatException(
                ErrorCode.INVALID_PARAMETER, "Only connected or disconnected can be waited for."
            )
        budget = self._budget(timeout, 0.0)
        if not self._lc.wait_for_status(status, budget):
            raise CometChatTimeoutError(f"The link was not {status.value} within {budget:g} s.")

    def connect(self, timeout: Optional[float] = None) -> None:
        """Open the link and block until the server accepted its credentials."""
        if not self._logged_in():
            raise NotLoggedInError()
        budget = self._budget(timeout, self._settings.connect_timeout + 1.0)
        seen, started_here = self._lc.begin_connect()
        self._want(fail_fast=True)
        if self._lc.wait_outcome(seen, budget):
            return
        error = CometChatTimeoutError(f"connect() did not complete within {budget:g} s.")
        if started_here:
            self._lc.drop(DisconnectReason.CONNECT_FAILED, error)
        raise error

    def disconnect(self, timeout: Optional[float] = None) -> None:
        """Close the link and block until the status is ``disconnected``. Idempotent."""
        self._lc.drop(DisconnectReason.USER)
        self._timer.cancel("keepalive", "pong", "bg_deadline")
        budget = self._budget(timeout, 5.0)
        if not self._lc.wait_idle(budget):
            raise CometChatTimeoutError(f"disconnect() did not complete within {budget:g} s.")

    def ping(self, timeout: Optional[float] = None) -> float:
        """Manual mode: send a ping and block for the pong; return the round trip in seconds."""
        if self._auto:
            raise CometChatException(
                ErrorCode.PING_NOT_AVAILABLE,
                "ping() is only available in manual mode "
                "(auto_establish_socket_connection(False)).",
            )
        budget = self._budget(timeout, self._settings.pong_timeout)
        if not self._logged_in():
            raise NotLoggedInError()
        found = self._lc.connected_link()
        if found is None:
            raise _no_connection()
        state, seen = found
        sent = self._send_ping(state)
        pong_at = self._lc.wait_pong(state, seen, budget)
        if pong_at is None:
            raise CometChatTimeoutError(f"No pong within {budget:g} s.")
        if self._lc.app_state is AppState.BACKGROUND:
            # Each pong in the background re-arms the deadline. A racing return to the
            # foreground is harmless: the deadline checks the app state when it fires.
            self._arm_background_deadline()
        return max(0.0, pong_at - sent)

    def send(self, frame: dict[str, Any]) -> None:
        """Send one event frame (typing, receipts, transient) over the link."""
        found = self._lc.connected_link()
        if found is None:
            raise _no_connection()
        state = found[0]
        text = _json.dumps(frame)
        trace(">", text)
        try:
            state.link.send_text(text)
        except LinkClosed as exc:
            raise CometChatException(
                ErrorCode.WEBSOCKET_ERROR,
                f"The frame was not sent: the link went down ({exc.reason or exc.code}).",
            ) from None

    # -- app state ----------------------------------------------------------------------------

    def set_app_state(self, state: AppState) -> None:
        """Tell the SDK whether the app is in the foreground (``docs/connection.md``)."""
        decision = self._lc.change_app_state(AppState(state), self._on_app_state)
        if decision is None:
            return
        drop, want = decision
        if drop is not None:
            self._lc.drop(drop)
        if want:
            self._want(fail_fast=False)

    def _on_app_state(self, view: LinkView) -> tuple[Optional[DisconnectReason], bool]:
        """Under the lifecycle's lock, right after the app state changed: move the timers and
        say ``(reason to drop the link or None, whether to want it)``."""
        if view.app_state is AppState.BACKGROUND:
            self._timer.cancel("keepalive", "pong")
            if self._auto:
                return DisconnectReason.BACKGROUND, False
            if view.status is ConnectionStatus.CONNECTED or (
                view.status is ConnectionStatus.CONNECTING and view.fail_fast
            ):
                self._arm_background_deadline()
            elif view.status is ConnectionStatus.CONNECTING:
                return DisconnectReason.BACKGROUND, False  # a reconnect loop stops in background
            return None, False
        self._timer.cancel("bg_deadline")
        if view.current is not None and view.status is ConnectionStatus.CONNECTED:
            self._arm_keepalive(view.current)
        return None, self._auto and self._logged_in()

    # -- shutdown and fork ----------------------------------------------------------------------

    def drop(self, reason: DisconnectReason) -> None:
        """End the link now, without waiting (``logout`` before telling the server)."""
        self._lc.drop(reason)

    def close(self, reason: DisconnectReason, timeout: float = 2.0) -> None:
        """End the link and the reader and timer threads (joined up to ``timeout``)."""
        self._lc.drop(reason)
        self._lc.stop_reader()
        self._timer.stop(timeout / 2)
        self._reader.join(timeout / 2)
        self._timer.restart()

    def after_fork_in_child(self) -> None:
        """Forget the parent's socket and threads without touching the parent's link."""
        app_state = self._lc.app_state
        self._lc = self._new_lifecycle()
        self._lc.change_app_state(app_state, lambda _view: None)
        self._backoff = self._new_backoff()
        self._reader = self._new_reader()
        self._timer = self._new_timer()
        self._pong_lock = threading.Lock()
        self._pong_for = None
        # The inherited socket object is dropped unclosed: closing or shutting it down here
        # could send a FIN or a close frame on the parent's connection.

    # -- internals ---------------------------------------------------------------------------

    def _new_lifecycle(self) -> Lifecycle:
        return Lifecycle(on_change=self._on_change, on_error=self._on_error, clock=self._clock)

    def _new_timer(self) -> Timer:
        return Timer(lambda: f"cometchat-timer-{self._suffix()}", self._clock)

    def _new_reader(self) -> Reader:
        return Reader(self, lifecycle=self._lc, transport=self._transport, backoff=self._backoff)

    # -- what the reader needs (ReaderHost); called on the reader thread ---------------------

    @property
    def connect_timeout(self) -> float:
        """Seconds one connection attempt may take (from the settings)."""
        return self._settings.connect_timeout

    def socket_url(self) -> str:
        """The WebSocket URL of the logged-in user's session."""
        return self._url()

    def auth_frame(self) -> Optional[str]:
        """The ``auth`` frame of the logged-in user, or ``None``."""
        return self._auth_frame()

    def renew_credentials(self, dial: Dial) -> tuple[Renewal, Optional[CometChatException]]:
        """Fresh socket credentials from the server (the client's ``GET me``)."""
        return self._renew(dial)

    def credentials_revoked(self, error: CometChatException) -> None:
        """The auth token itself was refused: the client logs the user out locally."""
        self._revoked(error)

    def _new_backoff(self) -> Backoff:
        s = self._settings
        return Backoff(s.reconnect_backoff_base, s.reconnect_backoff_cap, s.probe_interval)

    def _want(self, *, fail_fast: bool) -> None:
        self._lc.request(fail_fast=fail_fast)
        self._timer.restart()
        self._reader.start()

    @staticmethod
    def _budget(timeout: Optional[float], default: float) -> float:
        return default if timeout is None else check.seconds(timeout, "timeout")

    def link_up(self, state: LinkState) -> None:
        """Right after ``connected``: start keepalive or the background rule."""

        def arm(view: LinkView) -> None:
            if view.app_state is AppState.FOREGROUND:
                self._arm_keepalive(state)
            elif not self._auto:
                self._arm_background_deadline()

        self._lc.if_current(state, arm)

    def frames_in(self, state: LinkState, frames: list[dict[str, Any]]) -> None:
        """Hand frames to the events layer, unless they come from an older socket."""
        if state.epoch == self._lc.epoch:  # frames of an older socket are dropped
            self._on_frames(frames)

    def _arm_keepalive(self, state: LinkState) -> None:
        planned_wall = time.time() + self._settings.ping_interval
        self._timer.schedule(
            "keepalive",
            self._settings.ping_interval,
            lambda late: self._keepalive_tick(state, late, planned_wall),
        )

    def _keepalive_tick(self, state: LinkState, lateness: float, planned_wall: float) -> None:
        if self._lc.current is not state or self._lc.app_state is AppState.BACKGROUND:
            return
        drift = abs((time.time() - planned_wall) - lateness)
        if lateness > max(self._settings.ping_interval, _SLEEP_THRESHOLD) or (
            drift > _SLEEP_THRESHOLD
        ):
            self._declare_dead(state, "the machine slept or stalled; reconnecting")
            return
        # The timer thread never waits on the network: the ping goes out only if it can at
        # once. When it cannot (an app write holds the link, or the socket's buffer is full:
        # both happen on a dead path), the pong deadline is armed all the same, so a dead
        # link is found within the ping interval plus the pong timeout whatever the app does.
        sent = self._clock()
        try:
            if state.link.try_send_text(PING_FRAME):
                trace(">", PING_FRAME)
            else:
                log.debug("keepalive ping skipped: the link cannot take a write right now")
        except LinkClosed:
            return  # the reader is about to report the loss
        self._arm_pong_deadline(state, sent)
        self._arm_keepalive(state)

    def _send_ping(self, state: LinkState) -> float:
        """``ping()``'s write, on the caller's thread (bounded by the link's write timeout)."""
        sent = self._clock()
        trace(">", PING_FRAME)
        try:
            state.link.send_text(PING_FRAME)
        except LinkClosed:
            return sent  # the reader is about to report the loss
        self._arm_pong_deadline(state, sent)
        return sent

    def _arm_pong_deadline(self, state: LinkState, sent: float) -> None:
        """Arm the pong deadline of a ping sent at ``sent``, unless an earlier ping's is
        pending: a later ping never postpones it (an app calling ``ping()`` in a loop
        would otherwise keep a dead link "connected" for ever)."""
        with self._pong_lock:  # timer bookkeeping only: no I/O under it
            if self._pong_for is state and self._timer.pending("pong") is not None:
                return
            self._pong_for = state
            self._timer.schedule(
                "pong", self._settings.pong_timeout, lambda _l: self._pong_due(state, sent)
            )

    def _pong_due(self, state: LinkState, sent: float) -> None:
        with self._pong_lock:
            if self._pong_for is state:
                self._pong_for = None
        if state.last_inbound < sent:
            self._declare_dead(
                state, f"no answer to a ping within {self._settings.pong_timeout:g} s"
            )

    def _declare_dead(self, state: LinkState, why: str) -> None:
        if self._lc.current is not state:
            return
        log.info("link declared dead: %s", why)
        state.dead_error = CometChatException(
            ErrorCode.WEBSOCKET_ERROR, f"The link is dead: {why}."
        )
        state.link.shutdown()  # wakes the reader at once; no close handshake on a dead path

    def _arm_background_deadline(self) -> None:
        self._timer.schedule(
            "bg_deadline", self._settings.background_ping_deadline, self._background_deadline_hit
        )

    def _background_deadline_hit(self, _lateness: float) -> None:
        if self._auto or self._lc.app_state is AppState.FOREGROUND or not self._lc.want:
            return
        log.info("no ping() within the background deadline; disconnecting")
        self._lc.drop(
            DisconnectReason.BACKGROUND_PING_DEADLINE,
            CometChatException(
                ErrorCode.BACKGROUND_DEADLINE,
                f"No ping() within {self._settings.background_ping_deadline:g} s in the "
                "background; the link was closed.",
            ),
        )


def _no_connection() -> CometChatException:
    return CometChatException(
        ErrorCode.NO_WEBSOCKET_CONNECTION,
        "Connection to the WebSocket server is not open. Call connect() first "
        "(manual mode) or wait for on_connected.",
    )
