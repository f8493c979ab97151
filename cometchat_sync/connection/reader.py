"""The reader thread: dial with backoff, authenticate, read frames, reconnect while wanted.

It never runs user code: decoded frames go to ``on_frames`` (the client's router, which only
queues work for the dispatcher), and state changes go through the lifecycle object. Frames
that arrive together are handed over together: the batch ends when the socket's buffer is
empty (the next read would wait), so a burst costs one hand-off, and a lone frame is handed
over at once.
"""

from __future__ import annotations

import json
import logging
import threading
from enum import Enum
from typing import Any
from typing import Callable
from typing import Optional
from typing import Protocol

from ..errors import CometChatException
from ..errors import ErrorCode
from .backoff import Backoff
from .lifecycle import Lifecycle
from .lifecycle import LinkState
from .state import DisconnectReason
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
_MAX_BATCH = 256


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

    def reader_thread_name(self) -> str:
        """The name of the reader thread to start (it carries the user's uid)."""

    def socket_url(self) -> str:
        """The WebSocket URL to dial now."""

    def auth_frame(self) -> Optional[str]:
        """The ``auth`` frame to send first; ``None`` when no user is logged in."""

    def arm_auth_deadline(self, link: Link, timeout: float) -> Callable[[], None]:
        """Kill ``link`` if no auth answer came within ``timeout`` s; returns the disarm."""

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


class Reader:
    """Owns the reader thread of one client. ``start()`` is idempotent."""

    def __init__(
        self, host: ReaderHost, *, lifecycle: Lifecycle, transport: Transport, backoff: Backoff
    ) -> None:
        self._host = host
        self._lc = lifecycle
        self._transport = transport
        self._backoff = backoff
        self._thread: Optional[threading.Thread] = None
        self._lock = threading.Lock()
        # True between a renewal of the credentials and the next attempt, which consumes it
        # whatever its outcome: only a refusal by that very attempt persists after a renewal.
        self._renewed = False
        self._unexpected_seen: set[str] = set()

    @property
    def thread(self) -> Optional[threading.Thread]:
        return self._thread

    def start(self) -> None:
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return
            name = self._host.reader_thread_name()
            self._thread = threading.Thread(target=self._run, name=name, daemon=True)
            try:
                self._thread.start()
            except RuntimeError:  # interpreter shutting down: nothing to reconnect for
                self._thread = None

    def join(self, timeout: float) -> None:
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    # -- the thread --------------------------------------------------------------------------

    def _run(self) -> None:
        delay = 0.0
        while True:
            try:
                work = self._lc.next_attempt(delay)
                if work is None:
                    return
                epoch, dial = work
                delay = self._attempt(epoch, dial)
            except Exception:  # a bug must not kill the thread silently or spin
                log.exception("reader loop error; retrying")
                delay = self._backoff.next_delay(unreachable=False)
            except BaseException:  # SystemExit/KeyboardInterrupt raised into this thread
                log.debug("reader thread ends on an interrupt", exc_info=True)
                return

    def _attempt(self, epoch: int, dial: Dial) -> float:
        """One attempt and, if it authenticates, the life of its socket. Returns the wait
        before the next attempt."""
        started = self._lc.clock()
        renewed, self._renewed = self._renewed, False
        try:
            link = self._open(dial)
        except DialCancelled:
            log.debug("attempt %d cancelled", epoch)
            return 0.0
        except DialError as exc:
            return self._failed(epoch, CometChatException(exc.code, exc.message), exc.unreachable)
        except AuthRejected as exc:
            # Renewed inside the attempt, so disconnect()/close() cancel the renewal too.
            return self._after_refusal(epoch, exc, dial, renewed=renewed)
        except Exception as exc:
            # A bug or a surprise in the dial: its socket is closed (by the dialler and by
            # _open), listeners hear of it once, a blocking connect() fails now, and the
            # next attempt follows the backoff.
            return self._failed(epoch, self._unexpected(epoch, exc), False)
        finally:
            self._lc.end_attempt(dial)
            dial.release()
        state = self._lc.succeeded(epoch, link)
        if state is None:
            link.close()
            return 0.0
        log.info("connected (attempt %d, %.0f ms)", epoch, (self._lc.clock() - started) * 1000)
        self._host.link_up(state)
        error = self._read(state)
        unexpected = self._lc.lost(state, error)
        state.link.shutdown()
        if not unexpected:  # the app (or the SDK) ended it on purpose: no failure, no backoff
            log.info("link %d closed on purpose", epoch)
            return 0.0
        delay = self._backoff.next_delay(unreachable=False)
        if self._lc.want:
            log.info("link %d lost (%s); reconnecting in %.1f s", epoch, error.message, delay)
        else:
            log.info("link %d lost (%s); not reconnecting", epoch, error.message)
        return delay

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

    def _open(self, dial: Dial) -> Link:
        frame = self._host.auth_frame()
        if frame is None:
            raise AuthRejected("no logged-in user")
        url, timeout = self._host.socket_url(), self._host.connect_timeout
        log.debug("dialling %s (timeout %g s)", url, timeout)
        started = self._lc.clock()
        link = self._transport.open(url, timeout=timeout, dial=dial)
        # One budget for the whole attempt: the auth answer gets what the dial left.
        left = max(0.0, timeout - (self._lc.clock() - started))
        disarm = self._host.arm_auth_deadline(link, left)
        try:
            trace(">", frame)
            link.send_text(frame)
            while True:
                text = link.recv_text()
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
        finally:
            disarm()

    def _read(self, state: LinkState) -> CometChatException:
        link = state.link
        clock = self._lc.clock
        batch: list[dict[str, Any]] = []
        while True:
            try:
                text = link.recv_text()
            except LinkClosed as exc:
                self._hand_over(state, batch)  # before the loss is reported
                if state.dead_error is not None:
                    return state.dead_error
                said = f"code {exc.code}" + (f" {exc.reason[:60]!r}" if exc.reason else "")
                return CometChatException(
                    ErrorCode.WEBSOCKET_ERROR,
                    f"The socket closed ({said}).",
                    {"close_code": exc.code},
                )
            state.last_inbound = clock()
            trace("<", text)
            frame = _decode(text)
            if frame is not None:
                if frame.get("action") == "pong":
                    if self._lc.pong(state):
                        self._backoff.healthy()
                else:
                    batch.append(frame)
            if batch and (len(batch) >= _MAX_BATCH or not link.buffered()):
                self._hand_over(state, batch)
                batch = []

    def _hand_over(self, state: LinkState, batch: list[dict[str, Any]]) -> None:
        if not batch:
            return
        try:
            self._host.frames_in(state, batch)
        except Exception:
            log.exception("frame handler failed; %d frames dropped", len(batch))


def _decode(text: str) -> Optional[dict[str, Any]]:
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        log.debug("dropped a frame that is not JSON (%d chars)", len(text))
        return None
    if not isinstance(value, dict):
        log.debug("dropped a JSON frame that is not an object")
        return None
    return value
