"""Socket I/O for the steps of a dial, written as generators: a step that would block
yields a :class:`Wait` (this socket, readable or writable) and goes on when its driver
resumes it. The driver ends every wait at the attempt's deadline (it throws
:class:`StepTimeout` in at the ``yield``) or at once when ``Dial.cancel()`` is called (it
throws :class:`~.transport.DialCancelled`).

Two drivers run the same steps: the engine's dial loop
(:mod:`~cometchat_sync.connection.dial_loop`), one thread driving every client's attempts
with one selector, and :func:`run_steps`, which blocks the calling thread with ``poll``
(through :func:`~cometchat_sync._poll.wait_io`) on the socket and on the dial's wake-up
descriptor, which ``cancel()`` makes readable.

An HTTP answer (the proxy's to ``CONNECT``, the server's to the upgrade) has a **total**
deadline: a server that drips its answer a byte at a time cannot keep an attempt alive past
its budget. The answer is read up to its blank line and no further, so the first WebSocket
frame, if it came in the same packet, stays in the socket for the frame reader.
"""

from __future__ import annotations

import http.client
import io
import socket
import ssl
import time
from collections.abc import Generator
from typing import NamedTuple
from typing import TypeVar
from typing import Union

from .._poll import FileLike
from .._poll import wait_io
from .transport import Dial
from .transport import DialCancelled

__all__ = [
    "HttpAnswer",
    "StepTimeout",
    "Steps",
    "Wait",
    "read_http_answer",
    "run_steps",
    "send_all",
    "wait_ready",
]

_T = TypeVar("_T")


class Wait(NamedTuple):
    """What a step waits for: ``sock`` readable (``write=False``) or writable."""

    sock: FileLike
    write: bool


Steps = Generator[Wait, None, _T]
"""Steps that yield what they wait for and return their result."""

#: The largest HTTP answer head accepted (status line and headers), in bytes.
MAX_HEAD = 16 * 1024

Sock = Union[socket.socket, ssl.SSLSocket]


class StepTimeout(Exception):
    """A step of the dial did not finish before the attempt's deadline."""


class HttpAnswer:
    """The head of an HTTP answer: status code, reason and headers (names case-insensitive)."""

    def __init__(self, status: int, reason: str, headers: http.client.HTTPMessage) -> None:
        self.status = status
        self.reason = reason
        self.headers = headers

    def header(self, name: str) -> str:
        """Every value of header ``name``, joined by ``", "`` (empty when absent)."""
        return ", ".join(value.strip() for value in self.headers.get_all(name, []))


def wait_ready(sock: FileLike, *, write: bool, deadline: float, dial: Dial) -> None:
    """Wait until ``sock`` can be read (``write=False``) or written.

    Raises:
        DialCancelled: ``dial.cancel()`` was called (before or during the wait).
        StepTimeout: ``deadline`` passed first.
    """
    wake = dial.wake_fileno()
    while True:
        if dial.cancelled:
            raise DialCancelled()
        left = deadline - time.monotonic()
        if left <= 0:
            raise StepTimeout()
        readable, writable = wait_io(
            [wake] if write else [wake, sock], [sock] if write else [], left
        )
        if dial.cancelled:
            raise DialCancelled()
        if writable if write else [r for r in readable if r is sock]:
            return


def run_steps(steps: Steps[_T], deadline: float, dial: Dial) -> _T:
    """Drive ``steps`` on this thread: each wait is :func:`wait_ready` (so it ends at
    ``deadline`` or on ``dial.cancel()``, raised into the step where it waited)."""
    error: BaseException | None = None
    while True:
        try:
            wait = steps.throw(error) if error is not None else next(steps)
        except StopIteration as done:
            result: _T = done.value
            return result
        error = None
        try:
            wait_ready(wait.sock, write=wait.write, deadline=deadline, dial=dial)
        except (StepTimeout, DialCancelled) as exc:
            error = exc


def send_all(sock: Sock, data: bytes) -> Steps[None]:
    """Write all of ``data`` to the non-blocking ``sock`` (plain or TLS)."""
    view = memoryview(data)
    while view:
        try:
            sent = sock.send(view)
        except (BlockingIOError, ssl.SSLWantWriteError):
            yield Wait(sock, True)
            continue
        except ssl.SSLWantReadError:
            yield Wait(sock, False)
            continue
        view = view[sent:]


def read_http_answer(sock: Sock) -> Steps[HttpAnswer]:
    """Read one HTTP answer head (up to its blank line, not a byte further) and parse it.

    Raises:
        ConnectionError: the peer closed before the head was complete.
        ValueError: the head is not HTTP or is longer than :data:`MAX_HEAD` bytes.
    """
    head = yield from _read_head(sock)
    status_line, _, rest = head.partition(b"\r\n")
    parts = status_line.decode("latin-1").split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/") or not parts[1].isdigit():
        raise ValueError("the answer is not HTTP")
    headers = http.client.parse_headers(io.BytesIO(rest))
    return HttpAnswer(int(parts[1]), parts[2] if len(parts) > 2 else "", headers)


def _read_head(sock: Sock) -> Steps[bytes]:
    head = bytearray()
    tls = isinstance(sock, ssl.SSLSocket)
    while True:
        try:
            if tls:
                # Decrypted bytes cannot be peeked at; one at a time costs no system call
                # while the TLS record is buffered.
                chunk = sock.recv(1)
            else:
                peeked = sock.recv(4096, socket.MSG_PEEK)
                end = (bytes(head[-3:]) + peeked).find(b"\r\n\r\n")
                take = len(peeked) if end < 0 else end + 4 - len(head[-3:])
                chunk = sock.recv(take) if peeked else b""
        except (BlockingIOError, ssl.SSLWantReadError):
            yield Wait(sock, False)
            continue
        except ssl.SSLWantWriteError:
            yield Wait(sock, True)
            continue
        if not chunk:
            raise ConnectionError("the peer closed the connection before answering")
        head += chunk
        if head.endswith(b"\r\n\r\n"):
            return bytes(head)
        if len(head) > MAX_HEAD:
            raise ValueError(f"the answer's head is longer than {MAX_HEAD} bytes")
