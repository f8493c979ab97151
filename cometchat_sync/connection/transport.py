"""The transport seam: open a WebSocket, send and receive text frames, kill it at once.

:class:`WebSocketTransport` is the real one, built on websocket-client's low-level
``WebSocket`` class (not ``WebSocketApp``, whose reconnect is an uninterruptible sleep). Tests
and the future fault suite can plug another object with the same two methods in its place.

What this module adds to websocket-client:

* a TCP connect that another thread can cancel at once (``Dial.cancel()``), then TLS and the
  HTTP upgrade on that socket, all within one time budget;
* a cap on the size of inbound frames, checked from the frame header before any payload is
  buffered (websocket-client has none), and on the total of a fragmented message;
* strict UTF-8 decoding in C instead of websocket-client's pure-Python validator, which costs
  about 60 µs per frame (``notes/performance.md``); an invalid frame closes the link with 1007;
* ``shutdown()``, which unblocks a reader stuck in ``recv()`` immediately, even on a dead path
  (``close()`` would wait for a close handshake that never comes).
"""

from __future__ import annotations

import contextlib
import errno
import logging
import select
import socket
import ssl
import struct
import threading
import time
from typing import Any, Callable, Optional, Protocol

import websocket
from websocket._abnf import ABNF, frame_buffer

from ..errors import ErrorCode

__all__ = ["Dial", "DialError", "Link", "LinkClosed", "Transport", "WebSocketTransport"]

log = logging.getLogger("cometchat_sync.transport")

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
        """Send one text frame; raises ``LinkClosed`` if the link is gone. Thread-safe."""

    def recv_text(self) -> str:
        """Block for the next text message; raises ``LinkClosed`` when the link ends."""

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

    ``cancel()`` from any thread wakes a TCP connect in progress (through a socket pair the
    dialler selects on) and shuts down a socket in its TLS or HTTP handshake.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cancelled = False
        self._kill: Optional[Callable[[], None]] = None
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)

    @property
    def cancelled(self) -> bool:
        return self._cancelled

    def wake_fileno(self) -> int:
        return self._wake_r.fileno()

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
            with contextlib.suppress(OSError):
                self._wake_w.send(b"x")
        if kill is not None:
            kill()

    def release(self) -> None:
        """Close the wake-up pair; call once the attempt is over."""
        with self._lock:
            self._kill = None
            for s in (self._wake_r, self._wake_w):
                with contextlib.suppress(OSError):
                    s.close()


def _shutdown(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


class _CappedFrameBuffer(frame_buffer):
    """websocket-client's frame reader, refusing a frame whose header announces more than
    ``max_size`` bytes before a single payload byte is read."""

    def __init__(self, recv_fn: Callable[[int], bytes], max_size: int) -> None:
        super().__init__(recv_fn, True)
        self.max_size = max_size

    def recv_length(self) -> None:
        super().recv_length()
        if self.length is not None and self.length > self.max_size:
            announced = self.length
            self.clear()
            raise LinkClosed(CLOSE_TOO_BIG, f"frame of {announced} bytes over the cap")


class _WebSocketLink:
    def __init__(self, ws: websocket.WebSocket, raw: socket.socket, max_size: int) -> None:
        self._ws = ws
        self._raw = raw
        self._max_size = max_size
        self._dead = False
        self._lock = threading.Lock()

    def send_text(self, text: str) -> None:
        try:
            self._ws.send(text)
        except (OSError, websocket.WebSocketException) as exc:
            raise LinkClosed(CLOSE_ABNORMAL, type(exc).__name__) from exc

    def recv_text(self) -> str:
        parts: list[bytes] = []
        total = 0
        opcode_of_message = 0
        while True:
            frame = self._recv_frame()
            op = frame.opcode
            if op in (ABNF.OPCODE_TEXT, ABNF.OPCODE_BINARY, ABNF.OPCODE_CONT):
                if op == ABNF.OPCODE_CONT and not parts and not opcode_of_message:
                    self._fail(CLOSE_PROTOCOL_ERROR, "continuation without a start")
                if op != ABNF.OPCODE_CONT:
                    if parts:
                        self._fail(CLOSE_PROTOCOL_ERROR, "new message inside a fragmented one")
                    opcode_of_message = op
                total += len(frame.data)
                if total > self._max_size:
                    self._fail(CLOSE_TOO_BIG, f"message over {self._max_size} bytes")
                parts.append(frame.data)
                if not frame.fin:
                    continue
                payload = parts[0] if len(parts) == 1 else b"".join(parts)
                parts, total, kind = [], 0, opcode_of_message
                opcode_of_message = 0
                if kind == ABNF.OPCODE_BINARY:
                    log.debug("binary frame of %d bytes ignored", len(payload))
                    continue
                try:
                    return payload.decode("utf-8")
                except UnicodeDecodeError:
                    self._fail(CLOSE_INVALID_DATA, "invalid UTF-8 in a text frame")
            elif op == ABNF.OPCODE_PING:
                try:
                    self._ws.pong(frame.data)
                except (OSError, websocket.WebSocketException) as exc:
                    raise LinkClosed(CLOSE_ABNORMAL, type(exc).__name__) from exc
            elif op == ABNF.OPCODE_CLOSE:
                code, reason = _parse_close(frame.data)
                self.close(CLOSE_NORMAL if code == CLOSE_NO_STATUS else code)
                raise LinkClosed(code, reason)
            # Pong frames carry nothing the SDK uses: CometChat's keepalive is a text frame.

    def _recv_frame(self) -> Any:
        try:
            return self._ws.recv_frame()  # type: ignore[no-untyped-call]
        except LinkClosed as exc:
            self.close(exc.code)
            raise
        except websocket.WebSocketProtocolException as exc:
            self._fail(CLOSE_PROTOCOL_ERROR, str(exc)[:80])
        except websocket.WebSocketPayloadException as exc:
            self._fail(CLOSE_INVALID_DATA, str(exc)[:80])
        except (OSError, websocket.WebSocketException, ValueError) as exc:
            self.shutdown()
            raise LinkClosed(CLOSE_ABNORMAL, type(exc).__name__) from exc

    def _fail(self, code: int, reason: str) -> Any:
        self.close(code)
        raise LinkClosed(code, reason)

    def shutdown(self) -> None:
        with self._lock:
            if self._dead:
                return
            self._dead = True
        _shutdown(self._raw)
        try:
            self._ws.sock = None
            self._ws.connected = False
            self._raw.close()
        except OSError:
            pass

    def close(self, code: int = CLOSE_NORMAL, reason: str = "") -> None:
        if self._dead:
            return
        try:
            # Only if the frame can leave without blocking: a dead path must not stall us.
            _, writable, _ = select.select([], [self._raw], [], 0)
            if writable:
                self._ws.send_close(code, reason.encode("utf-8")[:120])
        except (OSError, ValueError, websocket.WebSocketException):
            pass
        self.shutdown()


def _parse_close(data: bytes) -> tuple[int, str]:
    if len(data) < 2:
        return CLOSE_NO_STATUS, ""
    code = struct.unpack("!H", data[:2])[0]
    return code, data[2:].decode("utf-8", "replace")[:120]


class WebSocketTransport:
    """The real transport: websocket-client over a socket this module dials itself."""

    def __init__(
        self, *, ssl_context: Optional[ssl.SSLContext] = None, max_frame_size: int = 1 << 20
    ) -> None:
        self._ssl_context = ssl_context
        self._max_frame_size = max_frame_size

    def open(self, url: str, *, timeout: float, dial: Dial) -> Link:
        deadline = time.monotonic() + timeout
        secure, host, port = _split_ws_url(url)
        raw = _tcp_connect(host, port, deadline, dial)
        sock: socket.socket = raw
        try:
            if secure:
                context = self._ssl_context or ssl.create_default_context()
                sock = context.wrap_socket(
                    raw, server_hostname=host, do_handshake_on_connect=False
                )
                dial.attach(lambda: _shutdown(sock))
                sock.settimeout(_remaining(deadline))
                try:
                    sock.do_handshake()
                except ssl.SSLCertVerificationError as exc:
                    raise DialError(
                        ErrorCode.WEBSOCKET_ERROR,
                        f"TLS certificate of {host} not trusted ({exc.verify_message}).",
                        unreachable=False,
                    ) from exc
            ws = websocket.WebSocket(skip_utf8_validation=True, enable_multithread=True)
            ws.frame_buffer = _CappedFrameBuffer(ws._recv, self._max_frame_size)
            sock.settimeout(_remaining(deadline))
            try:
                ws.connect(  # type: ignore[no-untyped-call]
                    url, socket=sock, timeout=_remaining(deadline), suppress_origin=True
                )
            except websocket.WebSocketBadStatusException as exc:
                # Its text carries the response headers: keep only the status.
                raise DialError(
                    ErrorCode.WEBSOCKET_ERROR,
                    f"The WebSocket upgrade was refused with HTTP {exc.status_code}.",
                    unreachable=False,
                ) from None
            sock.settimeout(None)
            link = _WebSocketLink(ws, sock, self._max_frame_size)
            dial.attach(link.shutdown)
            return link
        except DialError:
            _shutdown(sock)
            sock.close()
            raise
        except BaseException as exc:
            _shutdown(sock)
            sock.close()
            if dial.cancelled:
                raise DialCancelled() from None
            if isinstance(exc, (socket.timeout, websocket.WebSocketTimeoutException)):
                raise DialError(
                    ErrorCode.WEBSOCKET_ERROR,
                    f"The WebSocket handshake with {host} did not finish within {timeout} s.",
                    unreachable=False,
                ) from None
            if isinstance(exc, (OSError, websocket.WebSocketException, ValueError)):
                raise DialError(
                    ErrorCode.WEBSOCKET_ERROR,
                    f"The WebSocket handshake with {host} failed ({type(exc).__name__}).",
                    unreachable=False,
                ) from None
            raise


def _split_ws_url(url: str) -> tuple[bool, str, int]:
    scheme, _, rest = url.partition("://")
    secure = scheme == "wss"
    hostport = rest.split("/", 1)[0]
    if hostport.startswith("["):
        host, _, tail = hostport[1:].partition("]")
        port_text = tail.lstrip(":")
    else:
        host, _, port_text = hostport.rpartition(":") if ":" in hostport else (hostport, "", "")
    port = int(port_text) if port_text else (443 if secure else 80)
    return secure, host, port


def _remaining(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise socket.timeout("deadline passed")
    return left


_REFUSED = frozenset({errno.ECONNREFUSED, errno.ECONNRESET})
_NO_ROUTE = frozenset(
    {errno.ENETUNREACH, errno.EHOSTUNREACH, errno.ENETDOWN, errno.ETIMEDOUT, errno.EADDRNOTAVAIL}
)


def _tcp_connect(host: str, port: int, deadline: float, dial: Dial) -> socket.socket:
    """Connect to ``host:port`` before ``deadline``; ``dial.cancel()`` aborts it at once."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise DialError(
            ErrorCode.NO_INTERNET,
            f"The name {host} could not be resolved; check the network.",
            unreachable=True,
        ) from exc
    last: Optional[DialError] = None
    for family, kind, proto, _, address in infos:
        sock = socket.socket(family, kind, proto)
        try:
            dial.attach(lambda s=sock: _shutdown(s))  # type: ignore[misc]
            sock.setblocking(False)
            err = sock.connect_ex(address)
            if err not in (0, errno.EINPROGRESS, errno.EWOULDBLOCK, errno.EALREADY):
                raise OSError(err, "connect failed")
            if err != 0:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise socket.timeout()
                _readable, writable, _ = select.select(
                    [dial.wake_fileno()], [sock], [sock], left
                )
                if dial.cancelled:
                    raise DialCancelled()
                if not writable:
                    raise socket.timeout()
                err = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if err:
                    raise OSError(err, "connect failed")
            sock.setblocking(True)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
            return sock
        except DialCancelled:
            sock.close()
            raise
        except socket.timeout:
            sock.close()
            last = DialError(
                ErrorCode.NO_INTERNET,
                f"{host}:{port} did not answer the TCP connect in time; check the network.",
                unreachable=True,
            )
        except OSError as exc:
            sock.close()
            if exc.errno in _REFUSED:
                last = DialError(
                    ErrorCode.WEBSOCKET_ERROR,
                    f"{host}:{port} refused the connection (the server may be down).",
                    unreachable=True,
                )
            elif exc.errno in _NO_ROUTE:
                last = DialError(
                    ErrorCode.NO_INTERNET,
                    f"There is no route to {host}:{port}; check the network.",
                    unreachable=True,
                )
            else:
                last = DialError(
                    ErrorCode.WEBSOCKET_ERROR,
                    f"Connecting to {host}:{port} failed (errno {exc.errno}).",
                    unreachable=True,
                )
        if dial.cancelled:
            raise DialCancelled()
    assert last is not None
    raise last
