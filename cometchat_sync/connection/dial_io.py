"""Socket I/O for the steps of a dial: every wait ends at the attempt's deadline or at once
when ``Dial.cancel()`` is called.

The socket is non-blocking during the dial; each wait is a ``poll`` (through
:func:`~cometchat_sync._poll.wait_io`) on the socket and on the dial's wake-up descriptor,
which ``cancel()`` makes readable. An HTTP answer (the proxy's to ``CONNECT``, the server's
to the upgrade) has a **total** deadline: a server that drips its answer a byte at a time
cannot keep an attempt alive past its budget. The answer is read up to its blank line and no
further, so the first WebSocket frame, if it came in the same packet, stays in the socket
for the frame reader.
"""

from __future__ import annotations

import http.client
import io
import socket
import ssl
import time
from typing import Union

from .._poll import wait_io
from .transport import Dial
from .transport import DialCancelled

__all__ = ["HttpAnswer", "StepTimeout", "read_http_answer", "send_all", "wait_ready"]

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


def wait_ready(sock: Sock, *, write: bool, deadline: float, dial: Dial) -> None:
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


def send_all(sock: Sock, data: bytes, deadline: float, dial: Dial) -> None:
    """Write all of ``data`` to the non-blocking ``sock`` (plain or TLS)."""
    view = memoryview(data)
    while view:
        try:
            sent = sock.send(view)
        except (BlockingIOError, ssl.SSLWantWriteError):
            wait_ready(sock, write=True, deadline=deadline, dial=dial)
            continue
        except ssl.SSLWantReadError:
            wait_ready(sock, write=False, deadline=deadline, dial=dial)
            continue
        view = view[sent:]


def read_http_answer(sock: Sock, deadline: float, dial: Dial) -> HttpAnswer:
    """Read one HTTP answer head (up to its blank line, not a byte further) and parse it.

    Raises:
        ConnectionError: the peer closed before the head was complete.
        ValueError: the head is not HTTP or is longer than :data:`MAX_HEAD` bytes.
        DialCancelled, StepTimeout: as :func:`wait_ready`.
    """
    head = _read_head(sock, deadline, dial)
    status_line, _, rest = head.partition(b"\r\n")
    parts = status_line.decode("latin-1").split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/") or not parts[1].isdigit():
        raise ValueError("the answer is not HTTP")
    headers = http.client.parse_headers(io.BytesIO(rest))
    return HttpAnswer(int(parts[1]), parts[2] if len(parts) > 2 else "", headers)


def _read_head(sock: Sock, deadline: float, dial: Dial) -> bytes:
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
            wait_ready(sock, write=False, deadline=deadline, dial=dial)
            continue
        except ssl.SSLWantWriteError:
            wait_ready(sock, write=True, deadline=deadline, dial=dial)
            continue
        if not chunk:
            raise ConnectionError("the peer closed the connection before answering")
        head += chunk
        if head.endswith(b"\r\n\r\n"):
            return bytes(head)
        if len(head) > MAX_HEAD:
            raise ValueError(f"the answer's head is longer than {MAX_HEAD} bytes")
