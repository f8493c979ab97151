"""The reader of one client: dial with backoff, authenticate, read frames, reconnect while
wanted — on the engine's threads, not a thread of its own.

* the backoff wait is a deadline in the engine's timer heap;
* an attempt (resolve, connect, TLS, upgrade, the ``auth`` frame and its answer) runs on a
  worker of the engine's dial pool, each step bounded and cancellable (``Dial.cancel()``);
* an authenticated socket is registered with the engine's read loop
  (:mod:`~cometchat_sync.connection.read_loop`), whose one thread reads every client's
  sockets; :class:`~cometchat_sync.connection.link_reader.LinkReader` is what it calls for
  this client's socket.

It never runs user code: decoded frames go to ``frames_in`` (the client's router, which only
queues work for the dispatcher), and state changes go through the lifecycle object. Frames
that arrive together (one wake-up of the read loop) are handed over together, so a burst
costs one hand-off, and a lone frame is handed over at once.
"""

from __future__ import annotations

import logging
import threading
import time
from enum import Enum
from typing import Any
from typing import NamedTuple
from typing import Optional
from typing import Protocol

from .. import _engine
from .._json import parse_text_frame
from .._timers import Handle
from .._timers import SharedTimer
from ..errors import CometChatException
from ..errors import ErrorCode
from .backoff import Backoff
from .dial_io import Steps
from .dial_io import StepTimeout
from .dial_io import Wait
from .dial_loop import DialLoop
from .dial_loop import shared_dial_loop
from .lifecycle import Lifecycle
from .lifecycle import LinkState
from .link_reader import LinkReader
from .read_loop import ReadLoop
from .read_loop import shared_read_loop
from .state import DisconnectReason
from .transport import CLOSE_INVALID_DATA
from .transport import Dial
from .transport import DialCancelled
from .transport import DialError
from .transport import Link
from .transport import LinkClosed
from .transport import Transport
from .wire_trace import trace

__all__ = ["AuthRejected", "Reader", "ReaderHost", "Renewal", "is_refusal_close"]

log = logging.getLogger(__name__)

CLOSE_POLICY = 1008


def is_refusal_close(code: int) -> bool:
    """A close *before the auth answer* in the application range 4000-4999: the server may
    have refused the socket's credentials (the emulator closes with 4001 "AUTH_FAILED"; the
    hosted service's code is not documented). It leads to renewing the credentials, never
    straight to giving up. Every other close, and every close after the auth answer, is
    retried with the backoff, as the official SDKs retry every close."""
    return 4000 <= code <= 4999


class AuthRejected(Exception):
    """The server refused the socket's credentials (a 4xx auth answer, or a close in
    4000-4999 before the auth answer)."""


class Renewal(Enum):
    """How renewing the socket's credentials with the auth token went."""

    RENEWED = "renewed"
    """A fresh JWT (and user and settings) is stored: try again at once."""
    REVOKED = "revoked"
    """The server refused the auth token itself: the user must log in again."""
    FAILED = "failed"
    """The server could not be asked (network, 5xx): try again with the backoff."""


class ReaderHost(Protocol):
    """What the reader needs from the connection it serves (the connection manager). Its
    methods run on the reader thread, are the SDK's own, and never block for long."""

    @property
    def connect_timeout(self) -> float:
        """Seconds one attempt may take: TCP, TLS, the upgrade, and the auth answer."""

    def socket_url(self) -> str:
        """The WebSocket URL to dial now."""

    def auth_frame(self) -> Optional[str]:
        """The ``auth`` frame to send first; ``None`` when no user is logged in."""

    def renew_credentials(self, dial: Dial) -> tuple[Renewal, Optional[CometChatException]]:
        """Fetch fresh socket credentials with the auth token (one REST call with its own
        total deadline, cancelled by ``dial.cancel()``); the error is set unless the outcome
        is ``RENEWED``."""

    def credentials_revoked(self, error: CometChatException) -> None:
        """The auth token was refused while renewing: log the user out locally."""

    def link_up(self, state: LinkState) -> None:
        """The socket of ``state`` was authenticated (called right after ``connected``)."""

    def frames_in(self, state: LinkState, frames: list[dict[str, Any]]) -> None:
        """Frames that arrived together on the socket of ``state``, in order."""


class _Try(NamedTuple):
    """One attempt: its epoch, its cancel handle, when it started (the lifecycle's clock),
    and whether the credentials were renewed right before it."""

    epoch: int
    dial: Dial
    started: float
    renewed: bool


class _Phase(Enum):
    IDLE = "idle"  # no link wanted: nothing scheduled
    WAITING = "waiting"  # the backoff wait (a deadline in the timer heap)
    DIALLING = "dialling"  # an attempt on a dial worker
    LINKED = "linked"  # an authenticated socket in the read loop


class Reader:
    """Drives the link of one client on the engine's threads (see the module docstring).

    :meth:`start` is idempotent and never blocks; :meth:`join` waits until the reader is idle
    (no wait, attempt or socket of its own left). ``timer``, ``dial_pool`` and ``read_loop``
    default to the engine's; tests pass their own.
    """

    def __init__(
        self,
        host: ReaderHost,
        *,
        lifecycle: Lifecycle,
        transport: Transport,
        backoff: Backoff,
        timer: Optional[SharedTimer] = None,
        dial_loop: Optional[DialLoop] = None,
        read_loop: Optional[ReadLoop] = None,
    ) -> None:
        self._host = host
        self._lc = lifecycle
        self._transport = transport
        self._backoff = backoff
        self._timer = timer
        self._dial_loop = dial_loop
        self._read_loop = read_loop
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._phase = _Phase.IDLE
        self._not_before = 0.0
        self._requests_seen: Optional[int] = None
        self._wait: Optional[Handle] = None
        # True between a renewal of the credentials and the next attempt, which consumes it
        # whatever its outcome: only a refusal by that very attempt persists after a renewal.
        self._renewed = False
        self._unexpected_seen: set[str] = set()

    @property
    def thread(self) -> Optional[threading.Thread]:
        """The engine thread working for this client now: the timer during a backoff wait,
        the dial loop during an attempt, the read loop while a socket is up; ``None`` when
        idle."""
        if self._phase is _Phase.WAITING:
            return self._timer_heap().thread
        if self._phase is _Phase.DIALLING:
            found = self._dialler().threads()
            return found[0] if found else None
        if self._phase is _Phase.LINKED:
            found = self._loop().threads()
            return found[0] if found else None
        return None

    @property
    def busy(self) -> bool:
        """True unless idle: a backoff wait, an attempt or a socket of this client."""
        return self._phase is not _Phase.IDLE

    def _timer_heap(self) -> SharedTimer:
        return self._timer if self._timer is not None else _engine.timer()

    def _loop(self) -> ReadLoop:
        return self._read_loop if self._read_loop is not None else shared_read_loop()

    def _dialler(self) -> DialLoop:
        return self._dial_loop if self._dial_loop is not None else shared_dial_loop()

    def start(self) -> None:
        """A link may be wanted: start attempts if none are under way, or cut a backoff
        wait short when a new request came. Never blocks; safe from any thread."""
        with self._lock:
            if self._phase is _Phase.IDLE:
                self._phase = _Phase.WAITING
                self._not_before = self._lc.clock()
                self._requests_seen = None
            elif self._phase is not _Phase.WAITING:
                return
        self._evaluate()

    def join(self, timeout: float) -> None:
        """Wait up to ``timeout`` s until this reader is idle (after the lifecycle dropped
        the link and stopped the reader). From an engine thread it does not wait."""
        self._evaluate()  # a pending wait ends now if no link is wanted any more
        if threading.current_thread() in (*self._dialler().threads(), *self._loop().threads()):
            return
        with self._lock:
            self._idle.wait_for(lambda: self._phase is _Phase.IDLE, timeout)

    def _plan(self, delay: float) -> None:
        """After an attempt or a socket: wait ``delay`` s (the backoff), then go on."""
        with self._lock:
            self._phase = _Phase.WAITING
            self._not_before = self._lc.clock() + delay
            self._requests_seen = None
        self._evaluate()

    def _evaluate(self) -> None:
        """Ask the lifecycle whether to attempt now, wait, or stop; never blocks."""
        with self._lock:
            if self._phase is not _Phase.WAITING:
                return
            if self._wait is not None:
                self._wait.cancel()
                self._wait = None
            answer = self._lc.poll_attempt(self._not_before, self._requests_seen)
            if answer.end:
                self._phase = _Phase.IDLE
                self._idle.notify_all()
                return
            if answer.dial is None:
                self._requests_seen = answer.requests
                self._wait = self._timer_heap().call_later(answer.wait, self._evaluate)
                return
            self._phase = _Phase.DIALLING
            epoch, dial = answer.epoch, answer.dial
            renewed, self._renewed = self._renewed, False
        tried = _Try(epoch, dial, self._lc.clock(), renewed)
        deadline = time.monotonic() + self._host.connect_timeout

        def done(link: Optional[Link], error: Optional[BaseException]) -> None:
            self._attempt_done(tried, link, error)

        self._dialler().start(
            self._attempt_steps(dial, deadline), deadline=deadline, dial=dial, done=done
        )

    def _attempt_done(
        self, tried: _Try, link: Optional[Link], error: Optional[BaseException]
    ) -> None:
        """The end of an attempt's steps, on the dial loop. A refusal of the credentials
        renews them over REST, which may take seconds: that goes to a worker of the engine's
        pool through its gate of background REST jobs (at most half the workers, so a slow
        server cannot take the workers every client's listeners need), so the dial loop never
        waits on it (the attempt stays in flight meanwhile, so
        ``disconnect()`` waits for it and cancels it)."""
        if isinstance(error, AuthRejected) and not tried.dial.cancelled:

            def renew() -> None:
                self._settle(*self._outcome(tried, link, error))

            _engine.rest_gate().submit(renew)
            return
        self._settle(*self._outcome(tried, link, error))

    def _settle(self, delay: float, state: Optional[LinkState]) -> None:
        """After an attempt: hand its socket to the read loop, or plan the next attempt."""
        if state is None:
            self._plan(delay)
            return
        with self._lock:
            self._phase = _Phase.LINKED
        if not state.link.claim_for_loop():  # killed already (a drop, ...)
            self._lost(state, LinkClosed(1006, "the link ended before it was read"))
            return
        self._loop().register(
            LinkReader(state, self._lc, self._host.frames_in, self._backoff.healthy, self._lost)
        )

    def _outcome(
        self, tried: _Try, link: Optional[Link], error: Optional[BaseException]
    ) -> tuple[float, Optional[LinkState]]:
        """Report how an attempt ended: ``(0, the socket's state)`` when it authenticated,
        else ``(the wait before the next attempt, None)``."""
        epoch, dial, started, renewed = tried
        try:
            if error is not None:
                raise error
        except DialCancelled:
            log.debug("attempt %d cancelled", epoch)
            return 0.0, None
        except DialError as exc:
            problem = CometChatException(exc.code, exc.message)
            return self._failed(epoch, problem, exc.unreachable), None
        except AuthRejected as exc:
            # Renewed inside the attempt, so disconnect()/close() cancel the renewal too.
            return self._after_refusal(epoch, exc, dial, renewed=renewed), None
        except Exception as exc:
            # A bug or a surprise in the dial: its socket is closed (by the dialler and by
            # the steps), listeners hear of it once, a blocking connect() fails now, and
            # the next attempt follows the backoff.
            return self._failed(epoch, self._unexpected(epoch, exc), False), None
        finally:
            self._lc.end_attempt(dial)
            dial.release()
        assert link is not None
        state = self._lc.succeeded(epoch, link)
        if state is None:
            link.close()
            return 0.0, None
        log.info("connected (attempt %d, %.0f ms)", epoch, (self._lc.clock() - started) * 1000)
        self._host.link_up(state)
        return 0.0, state

    def _lost(self, state: LinkState, closed: LinkClosed) -> None:
        """The socket of ``state`` ended (on the read loop, or on the dial worker when it
        died before it was registered): report it and plan the next attempt."""
        state.link.shutdown()
        state.link.release()
        error = state.dead_error
        if error is None:
            said = f"code {closed.code}" + (f" {closed.reason[:60]!r}" if closed.reason else "")
            error = CometChatException(
                ErrorCode.WEBSOCKET_ERROR,
                f"The socket closed ({said}).",
                {"close_code": closed.code},
            )
        unexpected = self._lc.lost(state, error)
        epoch = state.epoch
        if not unexpected:  # the app (or the SDK) ended it on purpose: no failure, no backoff
            log.info("link %d closed on purpose", epoch)
            self._plan(0.0)
            return
        delay = self._backoff.next_delay(unreachable=False)
        if self._lc.want:
            log.info("link %d lost (%s); reconnecting in %.1f s", epoch, error.message, delay)
        else:
            log.info("link %d lost (%s); not reconnecting", epoch, error.message)
        self._plan(delay)

    def _failed(self, epoch: int, error: CometChatException, unreachable: bool) -> float:
        """A failed attempt that is worth retrying: report it, return the backoff delay."""
        again = self._lc.failed(epoch, error)
        delay = self._backoff.next_delay(unreachable=unreachable)
        if again:
            log.info("attempt %d failed (%s); retry in %.1f s", epoch, error.code, delay)
        return delay

    def _unexpected(self, epoch: int, exc: Exception) -> CometChatException:
        kind = type(exc).__name__
        if kind not in self._unexpected_seen:  # the traceback once per kind, not per retry
            self._unexpected_seen.add(kind)
            log.error("attempt %d failed unexpectedly", epoch, exc_info=exc)
        return CometChatException(
            ErrorCode.WEBSOCKET_ERROR,
            f"The connection attempt failed unexpectedly ({kind}).",
            {"reason": "unexpected", "exception": kind},
        )

    def _after_refusal(
        self, epoch: int, refused: AuthRejected, dial: Dial, *, renewed: bool
    ) -> float:
        """The server refused the socket's credentials: renew them and try again at once;
        give up only when a refusal persists right after a renewal, or when the auth token
        itself is refused (the user is then logged out locally)."""
        if renewed:
            log.warning("attempt %d: the server refused the renewed credentials too", epoch)
            error = CometChatException(
                ErrorCode.WEBSOCKET_ERROR,
                f"The server refused the socket's credentials even after they were renewed "
                f"({refused}); log in again.",
                {"reason": "auth_rejected"},
            )
            self._lc.failed(epoch, error, drop=DisconnectReason.AUTH_REJECTED)
            return 0.0
        log.info(
            "attempt %d: the server refused the socket's credentials (%s); renewing them",
            epoch,
            refused,
        )
        outcome, problem = self._host.renew_credentials(dial)
        if dial.cancelled:
            return 0.0  # disconnect(), logout() or close() ended the attempt meanwhile
        if outcome is Renewal.RENEWED:
            self._renewed = True
            return 0.0
        assert problem is not None
        if outcome is Renewal.REVOKED:
            log.warning("the server refused the auth token (%s); logging out locally", problem.code)
            self._lc.failed(epoch, problem, drop=DisconnectReason.TOKEN_REVOKED)
            self._host.credentials_revoked(problem)
            return 0.0
        return self._failed(
            epoch,
            CometChatException(
                problem.code,
                f"The server refused the socket's credentials ({refused}) and renewing them "
                f"failed: {problem.message}",
                problem.details,
            ),
            False,
        )

    def _attempt_steps(self, dial: Dial, deadline: float) -> Steps[Link]:
        """One attempt as dial steps (:mod:`~cometchat_sync.connection.dial_io`): open the
        socket, send the ``auth`` frame, wait for its answer; one budget (``deadline``, on
        ``time.monotonic()``) for all of it."""
        frame = self._host.auth_frame()
        if frame is None:
            raise AuthRejected("no logged-in user")
        url, timeout = self._host.socket_url(), self._host.connect_timeout
        log.debug("dialling %s (timeout %g s)", url, timeout)
        open_steps = getattr(self._transport, "open_steps", None)
        if open_steps is not None:
            link: Link = yield from open_steps(url, deadline=deadline, dial=dial, timeout=timeout)
        else:  # a transport without steps (a test's fake) blocks the dial loop while it opens
            link = self._transport.open(url, timeout=timeout, dial=dial)
        try:
            trace(">", frame)
            link.send_text(frame)
            while True:
                data = link.read_one()
                if data is None:
                    yield Wait(link, False)
                    continue
                try:
                    text = data.decode("utf-8")
                except UnicodeDecodeError:
                    link.close(CLOSE_INVALID_DATA)
                    raise LinkClosed(CLOSE_INVALID_DATA, "invalid UTF-8 in a text frame") from None
                trace("<", text)
                reply = _decode(text)
                if reply is None or reply.get("type") != "auth":
                    continue  # nothing else is expected before the auth answer
                body = reply.get("body")
                body = body if isinstance(body, dict) else {}
                code = str(body.get("code"))[:10]
                if code == "200" and str(body.get("status")).upper() == "OK":
                    return link
                link.close(1000)
                if code.startswith("4"):
                    raise AuthRejected(f"auth answer code {code}")
                raise DialError(
                    ErrorCode.WEBSOCKET_ERROR,
                    f"The server could not take the socket's credentials now (auth answer "
                    f"code {code}); retrying.",
                    unreachable=False,
                )
        except StepTimeout:
            link.shutdown()
            raise DialError(
                ErrorCode.WEBSOCKET_ERROR,
                f"The server did not answer the socket's credentials within {timeout:g} s "
                "(the connect timeout); retrying.",
                unreachable=False,
            ) from None
        except LinkClosed as exc:
            link.shutdown()
            if dial.cancelled:
                raise DialCancelled() from None
            said = f"code {exc.code}" + (f" {exc.reason[:60]!r}" if exc.reason else "")
            if is_refusal_close(exc.code):
                raise AuthRejected(f"closed with {said}") from None
            why = (
                " (policy violation: a slow path can make the server give up waiting for "
                "the auth frame)"
                if exc.code == CLOSE_POLICY
                else ""
            )
            raise DialError(
                ErrorCode.WEBSOCKET_ERROR,
                f"The socket closed before the server accepted its credentials ({said}){why}; "
                "retrying.",
                unreachable=False,
            ) from None
        except BaseException:
            link.shutdown()
            raise


def _decode(text: str) -> Optional[dict[str, Any]]:
    """The auth answer's JSON object, or ``None``."""
    try:
        value = parse_text_frame(text.encode("utf-8"))
    except (ValueError, RecursionError):
        log.debug("dropped a frame that is not JSON (%d chars)", len(text))
        return None
    if not isinstance(value, dict):
        log.debug("dropped a JSON frame that is not an object")
        return None
    return value
