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
from typing import Callable, NoReturn, Optional, Protocol

import websocket

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

    def buffered(self) -> bool:
        """True when received bytes are waiting, so ``recv_text`` may not block."""

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


_OP_CONT, _OP_TEXT, _OP_BINARY = 0x0, 0x1, 0x2
_OP_CLOSE, _OP_PING, _OP_PONG = 0x8, 0x9, 0xA
_READ_CHUNK = 65536


class _FrameReader:
    """Reads server frames (RFC 6455 §5.2) from the socket through one buffer.

    websocket-client's reader makes three ``recv()`` calls per frame (header, length,
    payload), each releasing the GIL; here one ``recv()`` of up to 64 KiB usually serves many
    frames. A frame whose header announces more than ``max_size`` bytes is refused before any
    payload is read. Only the reader thread calls it.
    """

    __slots__ = ("_buf", "_max_size", "_pos", "_sock")

    def __init__(self, sock: socket.socket, max_size: int) -> None:
        self._sock = sock
        self._max_size = max_size
        self._buf = bytearray()
        self._pos = 0

    def _fill(self, need: int) -> None:
        """Make at least ``need`` unread bytes available."""
        buf = self._buf
        while len(buf) - self._pos < need:
            if self._pos and self._pos * 2 >= len(buf):
                del buf[: self._pos]  # drop what was read before growing the buffer
                self._pos = 0
            chunk = self._sock.recv(_READ_CHUNK)
            if not chunk:
                raise LinkClosed(CLOSE_ABNORMAL, "connection closed by the peer")
            buf += chunk

    def next_frame(self) -> tuple[bool, int, bytes]:
        """``(fin, opcode, payload)`` of the next frame."""
        self._fill(2)
        buf, pos = self._buf, self._pos
        first, second = buf[pos], buf[pos + 1]
        if first & 0x70:
            raise _ProtocolError(CLOSE_PROTOCOL_ERROR, "reserved bits set")
        if second & 0x80:
            raise _ProtocolError(CLOSE_PROTOCOL_ERROR, "masked frame from the server")
        fin, opcode, length, header = bool(first & 0x80), first & 0x0F, second & 0x7F, 2
        if length >= 126:
            header = 4 if length == 126 else 10
            self._fill(header)  # may move the unread bytes to the front: re-read the position
            pos = self._pos
            length = int.from_bytes(self._buf[pos + 2 : pos + header], "big")
        if opcode >= _OP_CLOSE and (length > 125 or not fin):
            raise _ProtocolError(CLOSE_PROTOCOL_ERROR, "bad control frame")
        if length > self._max_size:
            raise _ProtocolError(CLOSE_TOO_BIG, f"frame of {length} bytes over the cap")
        self._fill(header + length)
        start = self._pos + header
        payload = bytes(self._buf[start : start + length])
        self._pos = start + length
        if self._pos == len(self._buf):
            self._buf.clear()
            self._pos = 0
        return fin, opcode, payload

    def buffered(self) -> bool:
        """True when unread bytes are waiting (the next frame may need no system call)."""
        return self._pos < len(self._buf)


class _ProtocolError(Exception):
    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


class _WebSocketLink:
    def __init__(self, ws: websocket.WebSocket, raw: socket.socket, max_size: int) -> None:
        self._ws = ws
        self._raw = raw
        self._max_size = max_size
        self._reader = _FrameReader(raw, max_size)
        self._dead = False
        self._lock = threading.Lock()

    def send_text(self, text: str) -> None:
        try:
            self._ws.send(text)
        except (OSError, websocket.WebSocketException) as exc:
            raise LinkClosed(CLOSE_ABNORMAL, type(exc).__name__) from exc

    def buffered(self) -> bool:
        return self._reader.buffered()

    def recv_text(self) -> str:
        parts: list[bytes] = []
        total = 0
        message_opcode = 0
        while True:
            fin, op, payload = self._next_frame()
            if op in (_OP_TEXT, _OP_BINARY, _OP_CONT):
                if op == _OP_CONT:
                    if not message_opcode:
                        self._fail(CLOSE_PROTOCOL_ERROR, "continuation without a start")
                elif message_opcode:
                    self._fail(CLOSE_PROTOCOL_ERROR, "new message inside a fragmented one")
                else:
                    message_opcode = op
                if fin and not parts:  # the common case: one frame, one message
                    data = payload
                else:
                    total += len(payload)
                    if total > self._max_size:
                        self._fail(CLOSE_TOO_BIG, f"message over {self._max_size} bytes")
                    parts.append(payload)
                    if not fin:
                        continue
                    data = b"".join(parts)
                    parts, total = [], 0
                kind, message_opcode = message_opcode, 0
                if kind == _OP_BINARY:
                    log.debug("binary frame of %d bytes ignored", len(data))
                    continue
                try:
                    return data.decode("utf-8")
                except UnicodeDecodeError:
                    self._fail(CLOSE_INVALID_DATA, "invalid UTF-8 in a text frame")
            elif op == _OP_PING:
                try:
                    self._ws.pong(payload)
                except (OSError, websocket.WebSocketException) as exc:
                    raise LinkClosed(CLOSE_ABNORMAL, type(exc).__name__) from exc
            elif op == _OP_CLOSE:
                code, reason = _parse_close(payload)
                self.close(CLOSE_NORMAL if code == CLOSE_NO_STATUS else code)
                raise LinkClosed(code, reason)
            elif op != _OP_PONG:
                self._fail(CLOSE_PROTOCOL_ERROR, f"unknown opcode {op}")
            # Pong frames carry nothing the SDK uses: CometChat's keepalive is a text frame.

    def _next_frame(self) -> tuple[bool, int, bytes]:
        try:
            return self._reader.next_frame()
        except _ProtocolError as exc:
            self._fail(exc.code, exc.reason)
        except LinkClosed:
            self.shutdown()
            raise
        except (OSError, ValueError) as exc:
            self.shutdown()
            raise LinkClosed(CLOSE_ABNORMAL, type(exc).__name__) from exc

    def _fail(self, code: int, reason: str) -> NoReturn:
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
                sock = context.wrap_socket(raw, server_hostname=host, do_handshake_on_connect=False)
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
                _readable, writable, _ = select.select([dial.wake_fileno()], [sock], [sock], left)
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
