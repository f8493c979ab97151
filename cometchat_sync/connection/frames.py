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
  (``close()`` would wait for a close handshake that never comes);
* two ways to read: :meth:`WebSocketLink.recv_text` blocks (the dial worker waits for the
  auth answer with it), :meth:`WebSocketLink.read_ready` never does (the engine's read loop
  calls it when the socket is readable and gets every complete message that arrived).

The socket is non-blocking from the end of the dial on. A write waits for room with ``poll``
up to its deadline; a read that finds nothing returns (``read_ready``) or polls
(``recv_text``).

Writes are ours too: each frame is built with websocket-client's ``ABNF`` (masked, as RFC 6455
section 5.3 requires of a client) and written under one write lock with a deadline, so a
silently dead path can never block a writer for ever. They do not pass through
websocket-client's ``send``, whose trace (``websocket.enableTrace``) would print every frame,
the auth frame with its JWT included. :meth:`WebSocketLink.try_send_text` is the write the
timer thread uses: it never waits, neither for the lock nor for room in the socket's buffer.
"""

from __future__ import annotations

import logging
import socket
import ssl
import threading
import time
from typing import NoReturn
from typing import Optional

import websocket

from .._poll import wait_io
from .close_frame import ProtocolError
from .close_frame import close_payload
from .close_frame import parse_close
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
# The most one read_ready() call takes from one socket before the read loop serves the
# others (the rest stays in the kernel, and the socket is still readable next round).
_READ_BUDGET = 256 * 1024
# Errors of a non-blocking socket that only mean "nothing to read (or write) right now".
_WOULD_BLOCK = (BlockingIOError, InterruptedError, ssl.SSLWantReadError, ssl.SSLWantWriteError)


class FrameReader:
    """Reads server frames (RFC 6455 §5.2) from the socket through one buffer.

    websocket-client's reader makes three ``recv()`` calls per frame (header, length,
    payload), each releasing the GIL; here one ``recv()`` of up to 64 KiB usually serves many
    frames. A frame whose header announces more than ``max_size`` bytes is refused before any
    payload is read. One thread at a time reads: the dial worker until the auth answer, then
    the read loop.
    """

    __slots__ = ("_buf", "_max_size", "_pos", "_sock")

    def __init__(self, sock: socket.socket, max_size: int) -> None:
        self._sock = sock
        self._max_size = max_size
        self._buf = bytearray()
        self._pos = 0

    def _recv(self) -> bool:
        """One ``recv()``; False when the socket has nothing now. Raises ``LinkClosed`` at
        EOF."""
        try:
            chunk = self._sock.recv(_READ_CHUNK)
        except socket.timeout:
            return False
        except _WOULD_BLOCK:
            return False
        if not chunk:
            raise LinkClosed(CLOSE_ABNORMAL, "connection closed by the peer")
        buf = self._buf
        if self._pos and self._pos * 2 >= len(buf):
            del buf[: self._pos]  # drop what was read before growing the buffer
            self._pos = 0
        buf += chunk
        return True

    def read_available(self) -> None:
        """Read what the socket holds now, up to a budget; never waits. Raises
        ``LinkClosed`` at EOF (complete frames already read stay parseable)."""
        budget = _READ_BUDGET
        while budget > 0:
            before = len(self._buf) - self._pos
            if not self._recv():
                return
            budget -= len(self._buf) - self._pos - before

    def _wait_more(self) -> None:
        """Blocking read of at least one more chunk (the dial worker's auth wait)."""
        while not self._recv():
            # Liveness is the timer's job: a shutdown() or the auth deadline wakes this.
            wait_io([self._sock], [], 1.0)

    def parse_frame(self) -> Optional[tuple[bool, int, bytes]]:
        """``(fin, opcode, payload)`` of the next frame if it is all in the buffer, else
        ``None``. A bad header is refused as soon as it is in (before its payload)."""
        buf, pos = self._buf, self._pos
        have = len(buf) - pos
        if have < 2:
            return None
        first, second = buf[pos], buf[pos + 1]
        if first & 0x70:
            raise ProtocolError(CLOSE_PROTOCOL_ERROR, "reserved bits set")
        if second & 0x80:
            raise ProtocolError(CLOSE_PROTOCOL_ERROR, "masked frame from the server")
        fin, opcode, length, header = bool(first & 0x80), first & 0x0F, second & 0x7F, 2
        if opcode not in _KNOWN_OPCODES:  # before the size: an unknown opcode is 1002
            raise ProtocolError(CLOSE_PROTOCOL_ERROR, f"unknown opcode {opcode}")
        if length >= 126:
            header = 4 if length == 126 else 10
            if have < header:
                return None
            length = int.from_bytes(buf[pos + 2 : pos + header], "big")
            if length >> 63:
                raise ProtocolError(CLOSE_PROTOCOL_ERROR, "64-bit length with its top bit set")
        if opcode >= _OP_CLOSE and (length > 125 or not fin):
            raise ProtocolError(CLOSE_PROTOCOL_ERROR, "bad control frame")
        if length > self._max_size:
            raise ProtocolError(CLOSE_TOO_BIG, f"frame of {length} bytes over the cap")
        end = pos + header + length
        if end > len(buf):
            return None
        payload = bytes(buf[pos + header : end])
        if end == len(buf):
            buf.clear()
            self._pos = 0
        else:
            self._pos = end
        return fin, opcode, payload

    def next_frame(self) -> tuple[bool, int, bytes]:
        """The next frame, waiting for it (the blocking read)."""
        while True:
            frame = self.parse_frame()
            if frame is not None:
                return frame
            self._wait_more()

    def buffered(self) -> bool:
        """True when unread bytes are waiting (the next frame may need no system call)."""
        return self._pos < len(self._buf)


def encode_frame(opcode: int, payload: bytes) -> bytes:
    """One masked, final frame with ``payload`` (RFC 6455 section 5.2), ready to write."""
    return websocket.ABNF(1, 0, 0, 0, opcode, 1, payload).format()


class WebSocketLink:
    """One authenticated-or-not WebSocket over ``raw`` (a non-blocking socket).

    Thread safety: one thread at a time reads (:meth:`recv_text` on the dial worker until the
    auth answer, then :meth:`read_ready` on the read loop); any thread may call
    :meth:`send_text`, :meth:`try_send_text`, :meth:`shutdown` and :meth:`close`. Writes are
    serialised by one lock, which is never held longer than ``write_timeout`` seconds.

    Who closes the descriptor: :meth:`shutdown` does, unless the read loop took the socket
    (:meth:`claim_for_loop`); then the loop unregisters it first and calls :meth:`release`,
    because a descriptor closed while registered would vanish from the selector unnoticed.
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
        self._loop_owned = False
        self._released = False
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._write_timeout = write_timeout
        # A fragmented message being put together (RFC 6455 section 5.4).
        self._parts: list[bytes] = []
        self._total = 0
        self._message_opcode = 0
        self._failure: Optional[LinkClosed] = None
        raw.setblocking(False)

    def fileno(self) -> int:
        """The socket's descriptor (-1 once it is closed)."""
        return self._raw.fileno()

    # -- writing -----------------------------------------------------------------------------

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
        """Write all of ``data`` within ``write_timeout`` s; the write lock is held."""
        if self._dead:
            raise LinkClosed(CLOSE_ABNORMAL, "the link is closed")
        view = memoryview(data)
        deadline = time.monotonic() + self._write_timeout
        try:
            while view:
                try:
                    sent = self._raw.send(view)
                except _WOULD_BLOCK:
                    # TLS asks to retry with the same bytes: the view is left as it is.
                    left = deadline - time.monotonic()
                    if left <= 0:
                        raise socket.timeout() from None
                    wait_io([], [self._raw], min(left, 1.0))
                    continue
                view = view[sent:]
        except socket.timeout:
            self.shutdown()
            raise LinkClosed(
                CLOSE_ABNORMAL, f"a write did not finish within {self._write_timeout:g} s"
            ) from None
        except (OSError, ValueError) as exc:
            self.shutdown()
            raise LinkClosed(CLOSE_ABNORMAL, type(exc).__name__) from None

    # -- reading -----------------------------------------------------------------------------

    def buffered(self) -> bool:
        return self._reader.buffered()

    def recv_text(self) -> str:
        """Block for the next text message (the dial worker's wait for the auth answer).

        Raises LinkClosed when the link ends; 1007 when the text is not UTF-8."""
        while True:
            data = self._message(*self._next_frame())
            if data is not None:
                try:
                    return data.decode("utf-8")
                except UnicodeDecodeError:
                    self.fail(CLOSE_INVALID_DATA, "invalid UTF-8 in a text frame")

    def read_ready(self) -> list[bytes]:
        """The read loop's read: take what the socket holds now (never waits) and return the
        payloads of the text messages completed by it, in order (UTF-8 not yet checked: the
        caller decodes and calls :meth:`fail` with 1007 if that fails).

        Raises LinkClosed when the link ended and no complete message is left to return."""
        if self._failure is not None:
            raise self._failure
        reader = self._reader
        closed: Optional[LinkClosed] = None
        try:
            reader.read_available()
        except LinkClosed as exc:
            closed = exc
        except (OSError, ValueError) as exc:
            closed = LinkClosed(CLOSE_ABNORMAL, type(exc).__name__)
        out: list[bytes] = []
        try:
            while True:
                frame = reader.parse_frame()
                if frame is None:
                    break
                data = self._message(*frame)
                if data is not None:
                    out.append(data)
        except ProtocolError as exc:
            self.close(exc.code)
            self._failure = LinkClosed(exc.code, exc.reason)
        except LinkClosed as exc:  # a close frame (answered), or a fragment error
            self._failure = exc
        if self._failure is not None:
            # What came before the end is delivered first; the socket is shut down, so the
            # read loop is woken again at once and the next call raises.
            if out:
                return out
            raise self._failure
        if closed is not None and not out:
            self.shutdown()
            raise closed
        return out

    def read_one(self) -> Optional[bytes]:
        """The auth wait's read (on the dial loop): take what the socket holds now (never
        waits) and return the payload of the next text message if it is complete, else
        ``None``. What follows it stays buffered for :meth:`read_ready`.

        Raises LinkClosed when the link ended (or failed: 1002, 1009, ...)."""
        if self._failure is not None:
            raise self._failure
        closed: Optional[LinkClosed] = None
        try:
            self._reader.read_available()
        except LinkClosed as exc:
            closed = exc
        except (OSError, ValueError) as exc:
            closed = LinkClosed(CLOSE_ABNORMAL, type(exc).__name__)
        try:
            while True:
                frame = self._reader.parse_frame()
                if frame is None:
                    break
                data = self._message(*frame)
                if data is not None:
                    return data
        except ProtocolError as exc:
            self.fail(exc.code, exc.reason)
        if closed is not None:
            self.shutdown()
            raise closed
        return None

    def _next_frame(self) -> tuple[bool, int, bytes]:
        try:
            return self._reader.next_frame()
        except ProtocolError as exc:
            self.fail(exc.code, exc.reason)
        except LinkClosed:
            self.shutdown()
            raise
        except (OSError, ValueError) as exc:
            self.shutdown()
            raise LinkClosed(CLOSE_ABNORMAL, type(exc).__name__) from exc

    def _message(self, fin: bool, op: int, payload: bytes) -> Optional[bytes]:
        """Take one frame; the payload of a text message it completes, else ``None``
        (control frames are answered here; a close frame raises ``LinkClosed``)."""
        if op == _OP_TEXT and fin and not self._message_opcode:
            return payload  # the common case: one frame, one message
        if op in (_OP_TEXT, _OP_BINARY, _OP_CONT):
            if op == _OP_CONT:
                if not self._message_opcode:
                    self.fail(CLOSE_PROTOCOL_ERROR, "continuation without a start")
            elif self._message_opcode:
                self.fail(CLOSE_PROTOCOL_ERROR, "new message inside a fragmented one")
            else:
                self._message_opcode = op
            self._total += len(payload)
            if self._total > self._max_size:
                self.fail(CLOSE_TOO_BIG, f"message over {self._max_size} bytes")
            self._parts.append(payload)
            if not fin:
                return None
            data = b"".join(self._parts)
            kind = self._message_opcode
            self._parts, self._total, self._message_opcode = [], 0, 0
            if kind == _OP_BINARY:
                log.debug("binary frame of %d bytes ignored", len(data))
                return None
            return data
        if op == _OP_PING:
            # Answered only when that cannot block the reader (RFC 6455 allows a pong to be
            # skipped when a newer ping follows; CometChat's keepalive is text frames).
            self._try_write(encode_frame(_OP_PONG, payload))
        elif op == _OP_CLOSE:
            try:
                code, reason = parse_close(payload)
            except ProtocolError as exc:
                self.fail(exc.code, exc.reason)
            # Echo the code (RFC 6455 section 5.5.1); a close without one gets 1000.
            self.close(CLOSE_NORMAL if code == CLOSE_NO_STATUS else code)
            raise LinkClosed(code, reason)
        # Pong frames carry nothing the SDK uses: CometChat's keepalive is a text frame.
        return None

    def fail(self, code: int, reason: str) -> NoReturn:
        """Close the link with ``code`` (1002, 1007, 1009, ...) and raise ``LinkClosed``."""
        self.close(code)
        raise LinkClosed(code, reason)

    # -- ending ------------------------------------------------------------------------------

    def claim_for_loop(self) -> bool:
        """The read loop takes the socket: from now on only :meth:`release` closes the
        descriptor. False when the link is already dead (the caller then drops it)."""
        with self._lock:
            if self._dead:
                return False
            self._loop_owned = True
            return True

    def shutdown(self) -> None:
        with self._lock:
            if self._dead:
                return
            self._dead = True
            owned = self._loop_owned
        # Wakes a reader at once: poll() and the read loop's selector see EOF.
        shutdown_socket(self._raw)
        if not owned:
            self.release()

    def release(self) -> None:
        """Close the descriptor (after the read loop unregistered it). Idempotent."""
        with self._lock:
            if self._released:
                return
            self._released = True
            self._dead = True
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
            payload = close_payload(code, reason)
            self._try_write(encode_frame(_OP_CLOSE, payload))
        except LinkClosed:
            pass
        self.shutdown()


def _writable_now(sock: socket.socket) -> bool:
    """True when ``sock``'s send buffer has room right now (``poll``: no descriptor limit)."""
    return bool(wait_io([], [sock], 0)[1])
