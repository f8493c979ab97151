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
from typing import Any
from typing import Callable
from typing import Optional
from typing import Protocol

from ..errors import CometChatException
from ..errors import ErrorCode
from .backoff import Backoff
from .lifecycle import Lifecycle
from .lifecycle import LinkState
from .transport import Dial
from .transport import DialCancelled
from .transport import DialError
from .transport import Link
from .transport import LinkClosed
from .transport import Transport
from .wire_trace import trace

__all__ = ["AuthRejected", "Reader", "ReaderHost", "is_policy_close"]

log = logging.getLogger(__name__)

CLOSE_POLICY = 1008
_MAX_BATCH = 256


def is_policy_close(code: int) -> bool:
    """Close codes after which reconnecting cannot help: policy violation (1008) and the
    application range 4000-4999 (auth refused, kicked, replaced)."""
    return code == CLOSE_POLICY or 4000 <= code <= 4999


class AuthRejected(Exception):
    """The server refused the auth frame."""


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

    def _attempt(self, epoch: int, dial: Dial) -> float:
        """One attempt and, if it authenticates, the life of its socket. Returns the wait
        before the next attempt."""
        started = self._lc.clock()
        try:
            link = self._open(dial)
        except DialCancelled:
            log.debug("attempt %d cancelled", epoch)
            return 0.0
        except DialError as exc:
            error = CometChatException(exc.code, exc.message)
            again = self._lc.failed(epoch, error, fatal=False)
            delay = self._backoff.next_delay(unreachable=exc.unreachable)
            if again:
                log.info("attempt %d failed (%s); retry in %.1f s", epoch, exc.code, delay)
            return delay
        except AuthRejected as exc:
            error = CometChatException(
                ErrorCode.WEBSOCKET_ERROR,
                f"The server refused the socket's credentials ({exc}).",
                {"reason": "auth_rejected"},
            )
            log.warning("attempt %d: the server refused the socket's credentials", epoch)
            self._lc.failed(epoch, error, fatal=True)
            return 0.0
        finally:
            self._lc.end_attempt(dial)
            dial.release()
        state = self._lc.succeeded(epoch, link)
        if state is None:
            link.close()
            return 0.0
        log.info("connected (attempt %d, %.0f ms)", epoch, (self._lc.clock() - started) * 1000)
        self._host.link_up(state)
        error, fatal = self._read(state)
        unexpected = self._lc.lost(state, error, fatal=fatal)
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

    def _open(self, dial: Dial) -> Link:
        frame = self._host.auth_frame()
        if frame is None:
            raise AuthRejected("no logged-in user")
        url, timeout = self._host.socket_url(), self._host.connect_timeout
        log.debug("dialling %s (timeout %g s)", url, timeout)
        link = self._transport.open(url, timeout=timeout, dial=dial)
        disarm = self._host.arm_auth_deadline(link, timeout)
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
                if str(body.get("code")) == "200" and str(body.get("status")).upper() == "OK":
                    return link
                link.close(1000)
                raise AuthRejected(f"auth answer code {str(body.get('code'))[:10]}")
        except LinkClosed as exc:
            link.shutdown()
            if dial.cancelled:
                raise DialCancelled() from None
            if is_policy_close(exc.code):
                raise AuthRejected(f"closed with {exc.code}") from None
            raise DialError(
                ErrorCode.WEBSOCKET_ERROR,
                f"The socket closed before authentication (code {exc.code}).",
                unreachable=False,
            ) from None
        except BaseException:
            link.shutdown()
            raise
        finally:
            disarm()

    def _read(self, state: LinkState) -> tuple[CometChatException, bool]:
        link = state.link
        clock = self._lc.clock
        batch: list[dict[str, Any]] = []
        while True:
            try:
                text = link.recv_text()
            except LinkClosed as exc:
                self._hand_over(state, batch)  # before the loss is reported
                if state.dead_error is not None:
                    return state.dead_error, False
                fatal = is_policy_close(exc.code)
                return (
                    CometChatException(
                        ErrorCode.WEBSOCKET_ERROR,
                        f"The socket closed (code {exc.code}).",
                        {"close_code": exc.code},
                    ),
                    fatal,
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
