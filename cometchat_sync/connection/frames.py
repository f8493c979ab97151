"""One open WebSocket: the frame reader (RFC 6455 section 5.2) and the link built on it.

What this adds to websocket-client (https://websocket-client.readthedocs.io/):

* one buffered ``recv()`` serves many frames (websocket-client's reader makes three system
  calls per frame);
* a cap on the size of inbound frames, checked from the frame header before any payload is
  buffered (websocket-client has none), and on the total of a fragmented message;
* strict UTF-8 decoding in C instead of websocket-client's pure-Python validator, which costs
  about 60 microseconds a frame (see ``docs/benchmarks.md``); an invalid frame closes the
  link with 1007;
* ``shutdown()``, which unblocks a reader stuck in ``recv()`` at once, even on a dead path
  (``close()`` would wait for a close handshake that never comes).

Writes are ours too: each frame is built with websocket-client's ``ABNF`` (masked, as RFC 6455
section 5.3 requires of a client) and written under one write lock with a deadline, so a
silently dead path can never block a writer for ever. They do not pass through
websocket-client's ``send``, whose trace (``websocket.enableTrace``) would print every frame,
the auth frame with its JWT included. :meth:`WebSocketLink.try_send_text` is the write the
timer thread uses: it never waits, neither for the lock nor for room in the socket's buffer.
"""

from __future__ import annotations

import logging
import select
import socket
import struct
import threading
from typing import NoReturn

import websocket

from .transport import CLOSE_ABNORMAL
from .transport import CLOSE_INVALID_DATA
from .transport import CLOSE_NO_STATUS
from .transport import CLOSE_NORMAL
from .transport import CLOSE_PROTOCOL_ERROR
from .transport import CLOSE_TOO_BIG
from .transport import LinkClosed
from .transport import shutdown_socket

__all__ = ["FrameReader", "WebSocketLink", "encode_frame"]

log = logging.getLogger(__name__)

_OP_CONT, _OP_TEXT, _OP_BINARY = 0x0, 0x1, 0x2
_OP_CLOSE, _OP_PING, _OP_PONG = 0x8, 0x9, 0xA
_READ_CHUNK = 65536
_KNOWN_OPCODES = frozenset({_OP_CONT, _OP_TEXT, _OP_BINARY, _OP_CLOSE, _OP_PING, _OP_PONG})


class FrameReader:
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
            try:
                chunk = self._sock.recv(_READ_CHUNK)
            except socket.timeout:
                # The socket's timeout bounds writes (see WebSocketLink); for the reader it
                # only means "nothing arrived yet". Liveness is the timer's job.
                continue
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
        if opcode not in _KNOWN_OPCODES:  # before the size: an unknown opcode is 1002
            raise _ProtocolError(CLOSE_PROTOCOL_ERROR, f"unknown opcode {opcode}")
        if length >= 126:
            header = 4 if length == 126 else 10
            self._fill(header)  # may move the unread bytes to the front: re-read the position
            pos = self._pos
            length = int.from_bytes(self._buf[pos + 2 : pos + header], "big")
            if length >> 63:
                raise _ProtocolError(CLOSE_PROTOCOL_ERROR, "64-bit length with its top bit set")
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


def encode_frame(opcode: int, payload: bytes) -> bytes:
    """One masked, final frame with ``payload`` (RFC 6455 section 5.2), ready to write."""
    return websocket.ABNF(1, 0, 0, 0, opcode, 1, payload).format()


class WebSocketLink:
    """One authenticated-or-not WebSocket over ``raw``.

    Thread safety: the reader thread alone calls :meth:`recv_text`; any thread may call
    :meth:`send_text`, :meth:`try_send_text`, :meth:`shutdown` and :meth:`close`. Writes are
    serialised by one lock, which is never held longer than ``write_timeout`` seconds.
    """

    def __init__(
        self,
        ws: websocket.WebSocket,
        raw: socket.socket,
        max_size: int,
        *,
        write_timeout: float = 20.0,
    ) -> None:
        self._ws = ws
        self._raw = raw
        self._max_size = max_size
        self._reader = FrameReader(raw, max_size)
        self._dead = False
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._write_timeout = write_timeout
        # The one timeout of the socket object bounds every write (sendall's timeout is the
        # whole call's since Python 3.5); the reader retries its recv() when it runs out.
        raw.settimeout(write_timeout)

    def send_text(self, text: str) -> None:
        """Write one text frame; waits up to ``write_timeout`` s for the lock and the write.

        Raises LinkClosed when the link is (or goes) down or the write did not finish in time
        (the link is then shut down: a half-written frame leaves the stream unusable)."""
        data = encode_frame(_OP_TEXT, text.encode("utf-8"))
        if not self._write_lock.acquire(timeout=self._write_timeout):
            self.shutdown()
            raise LinkClosed(CLOSE_ABNORMAL, "another write blocked the link")
        try:
            self._write(data)
        finally:
            self._write_lock.release()

    def try_send_text(self, text: str) -> bool:
        """Write one text frame only if that cannot block: the write lock is free and the
        socket has room (a small frame then leaves at once). False: nothing was written."""
        return self._try_write(encode_frame(_OP_TEXT, text.encode("utf-8")))

    def _try_write(self, data: bytes) -> bool:
        """Write ``data`` if the write lock is free and the socket has room; else False."""
        if not self._write_lock.acquire(blocking=False):
            return False
        try:
            if self._dead or not _writable_now(self._raw):
                return False
            self._write(data)
            return True
        finally:
            self._write_lock.release()

    def _write(self, data: bytes) -> None:
        """Write ``data``; the write lock is held."""
        if self._dead:
            raise LinkClosed(CLOSE_ABNORMAL, "the link is closed")
        try:
            self._raw.sendall(data)
        except socket.timeout:
            self.shutdown()
            raise LinkClosed(
                CLOSE_ABNORMAL, f"a write did not finish within {self._write_timeout:g} s"
            ) from None
        except (OSError, ValueError) as exc:
            self.shutdown()
            raise LinkClosed(CLOSE_ABNORMAL, type(exc).__name__) from None

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
                # Answered only when that cannot block the reader (RFC 6455 allows a pong to
                # be skipped when a newer ping follows; CometChat's keepalive is text frames).
                self._try_write(encode_frame(_OP_PONG, payload))
            elif op == _OP_CLOSE:
                try:
                    code, reason = _parse_close(payload)
                except _ProtocolError as exc:
                    self._fail(exc.code, exc.reason)
                # Echo the code (RFC 6455 section 5.5.1); a close without one gets 1000.
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
        shutdown_socket(self._raw)
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
            payload = _close_payload(code, reason)
            self._try_write(encode_frame(_OP_CLOSE, payload))
        except LinkClosed:
            pass
        self.shutdown()


def _writable_now(sock: socket.socket) -> bool:
    """True when ``sock``'s send buffer has room right now. ``poll`` has no descriptor limit
    (``select`` fails past 1023); Windows has no ``poll``, and no such limit either."""
    if not hasattr(select, "poll"):
        return bool(select.select([], [sock], [], 0)[1])
    poller = select.poll()
    poller.register(sock, select.POLLOUT)
    return bool(poller.poll(0))


def is_sendable_close_code(code: int) -> bool:
    """True for the codes a close frame may carry (RFC 6455 section 7.4): 1000-1003,
    1007-1014 and 3000-4999. Never 1005, 1006 or 1015 (reserved for reporting, never sent),
    nor 1004, 1016-2999 or anything outside 1000-4999.
    https://www.iana.org/assignments/websocket/websocket.xhtml#close-code-number"""
    return 1000 <= code <= 1003 or 1007 <= code <= 1014 or 3000 <= code <= 4999


def _close_payload(code: int, reason: str) -> bytes:
    """The body of our close frame: ``code`` and ``reason`` cut to 123 bytes on a character
    boundary (a control frame holds 125). A code that may not be sent gives an empty body,
    which the peer reads as "no status" (1005)."""
    if not is_sendable_close_code(code):
        return b""
    text = reason.encode("utf-8")[:123].decode("utf-8", "ignore").encode("utf-8")
    return struct.pack("!H", code) + text


def _parse_close(data: bytes) -> tuple[int, str]:
    """The code and reason of a received close frame (1005 when it has none).

    Raises _ProtocolError: a 1-byte body or a code a peer may not send (1002), a reason that
    is not UTF-8 (1007)."""
    if not data:
        return CLOSE_NO_STATUS, ""
    if len(data) == 1:
        raise _ProtocolError(CLOSE_PROTOCOL_ERROR, "close frame with a 1-byte body")
    code = struct.unpack("!H", data[:2])[0]
    if not is_sendable_close_code(code):
        raise _ProtocolError(CLOSE_PROTOCOL_ERROR, f"invalid close code {code}")
    try:
        reason = data[2:].decode("utf-8")
    except UnicodeDecodeError:
        raise _ProtocolError(CLOSE_INVALID_DATA, "close reason is not UTF-8") from None
    return code, reason
