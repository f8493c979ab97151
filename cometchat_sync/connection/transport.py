"""The transport seam: what the connection core needs from a WebSocket, and nothing more.

:class:`Transport` opens a :class:`Link` within a time budget; a :class:`Dial` cancels an
attempt from another thread at once. The real transport is
:class:`~cometchat_sync.connection.dialler.WebSocketTransport` (its links are built in
:mod:`~cometchat_sync.connection.frames`); tests plug in fakes with the same methods.

Close codes are RFC 6455 section 7.4.1 (https://www.rfc-editor.org/rfc/rfc6455#section-7.4.1).
"""

from __future__ import annotations

import contextlib
import socket
import threading
from typing import Callable
from typing import Optional
from typing import Protocol

__all__ = [
    "CLOSE_ABNORMAL",
    "CLOSE_INVALID_DATA",
    "CLOSE_NORMAL",
    "CLOSE_NO_STATUS",
    "CLOSE_PROTOCOL_ERROR",
    "CLOSE_TOO_BIG",
    "Dial",
    "DialCancelled",
    "DialError",
    "Link",
    "LinkClosed",
    "Transport",
    "shutdown_socket",
]

# Close codes (RFC 6455 §7.4.1) the SDK itself sends.
CLOSE_NORMAL = 1000
CLOSE_PROTOCOL_ERROR = 1002
CLOSE_INVALID_DATA = 1007
CLOSE_TOO_BIG = 1009
CLOSE_NO_STATUS = 1005
CLOSE_ABNORMAL = 1006


class DialError(Exception):
    """Opening the socket failed.

    ``code`` is the SDK error code to report (``ERR_NO_INTERNET`` or ``ERR_WEBSOCKET_ERROR``);
    ``unreachable`` is True when the host could not be reached at all (name resolution failed,
    no route, connection refused or timed out), so a cheap probe should pace the next tries.
    """

    def __init__(self, code: str, message: str, *, unreachable: bool) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.unreachable = unreachable


class DialCancelled(Exception):
    """The dial was cancelled by another thread."""


class LinkClosed(Exception):
    """The link ended: ``code`` is the close code (1006 when the connection just broke)."""

    def __init__(self, code: int, reason: str = "") -> None:
        super().__init__(f"closed with {code} {reason}".strip())
        self.code = code
        self.reason = reason


class Link(Protocol):
    """An open, upgraded WebSocket."""

    def send_text(self, text: str) -> None:
        """Send one text frame, waiting a bounded time for the write; raises ``LinkClosed``
        if the link is gone or the write could not finish in time. Thread-safe."""

    def try_send_text(self, text: str) -> bool:
        """Send one text frame only if that cannot block; False when nothing was sent.
        Raises ``LinkClosed`` if the link is gone. Thread-safe; the timer thread's write."""

    def recv_text(self) -> str:
        """Block for the next text message; raises ``LinkClosed`` when the link ends. Used
        until the auth answer, on the dial worker."""

    def buffered(self) -> bool:
        """True when received bytes are waiting, so ``recv_text`` may not block."""

    def fileno(self) -> int:
        """The socket's descriptor, for the selectors of the dial loop and the read loop."""

    def read_one(self) -> Optional[bytes]:
        """The auth wait's read: never waits; the payload of the next text message when it
        is complete, else ``None``; later frames stay buffered for :meth:`read_ready`.
        Raises ``LinkClosed``."""

    def read_ready(self) -> list[bytes]:
        """The read loop's read: never waits; the payloads of the text messages completed by
        what arrived, in order. Raises ``LinkClosed`` when the link ended and nothing is left
        to return. The caller closes with 1007 (``close``) a payload that is not UTF-8."""

    def claim_for_loop(self) -> bool:
        """The read loop takes the socket: from now on :meth:`shutdown` leaves the descriptor
        open, for :meth:`release` once it is unregistered. False when already dead."""

    def release(self) -> None:
        """Close the descriptor (the read loop's last step with it). Idempotent."""

    def shutdown(self) -> None:
        """Kill the link now, without a close handshake. Thread-safe, idempotent."""

    def close(self, code: int = CLOSE_NORMAL, reason: str = "") -> None:
        """Send a close frame if it can go out at once, then kill the link. Idempotent."""


class Transport(Protocol):
    """Opens links. The seam for fakes and fault injection."""

    def open(self, url: str, *, timeout: float, dial: Dial) -> Link:
        """Open and upgrade a socket to ``url`` within ``timeout`` seconds.

        Raises ``DialError`` on failure and ``DialCancelled`` when ``dial.cancel()`` was called.
        """


class Dial:
    """A cancellation handle for one connection attempt.

    ``cancel()`` from any thread shuts down the attempt's socket (``attach``), wakes the
    engine's dial loop (``on_cancel``), and wakes a blocking wait in progress through a socket
    pair made on first use of :meth:`wake_fileno` (only the blocking driver uses one, so an
    attempt in the dial loop costs no descriptor of its own).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cancelled = False
        self._kill: Optional[Callable[[], None]] = None
        self._wakers: list[Callable[[], None]] = []
        self._wake_r: Optional[socket.socket] = None
        self._wake_w: Optional[socket.socket] = None

    @property
    def cancelled(self) -> bool:
        return self._cancelled

    def wake_fileno(self) -> int:
        """A descriptor that becomes readable on ``cancel()`` (made on first use)."""
        with self._lock:
            if self._wake_r is None:
                self._wake_r, self._wake_w = socket.socketpair()
                self._wake_r.setblocking(False)
                self._wake_w.setblocking(False)
                if self._cancelled:
                    with contextlib.suppress(OSError):
                        self._wake_w.send(b"x")
            return self._wake_r.fileno()

    def on_cancel(self, wake: Callable[[], None]) -> None:
        """Call ``wake()`` (once, on the cancelling thread) when the dial is cancelled; at
        once if it already was. ``wake`` must not block."""
        with self._lock:
            if not self._cancelled:
                self._wakers.append(wake)
                return
        wake()

    def attach(self, kill: Optional[Callable[[], None]]) -> None:
        """Let ``cancel()`` call ``kill`` (which shuts the attempt's socket down); raises
        ``DialCancelled`` if the dial was already cancelled."""
        with self._lock:
            if self._cancelled:
                raise DialCancelled()
            self._kill = kill

    def cancel(self) -> None:
        with self._lock:
            if self._cancelled:
                return
            self._cancelled = True
            kill = self._kill
            wakers, self._wakers = self._wakers, []
            if self._wake_w is not None:
                with contextlib.suppress(OSError):
                    self._wake_w.send(b"x")
        if kill is not None:
            kill()
        for wake in wakers:
            wake()

    def release(self) -> None:
        """Close the wake-up pair, if one was made; call once the attempt is over."""
        with self._lock:
            self._kill = None
            self._wakers = []
            for s in (self._wake_r, self._wake_w):
                if s is not None:
                    with contextlib.suppress(OSError):
                        s.close()


def shutdown_socket(sock: socket.socket) -> None:
    """Shut ``sock`` down both ways, ignoring errors (it may already be closed)."""
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
