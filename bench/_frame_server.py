"""A standalone frame server that holds thousands of WebSockets cheaply (not a test module).

One process, one thread, ``selectors``: it answers the HTTP upgrade, the auth frame with
``{"type":"auth","body":{"code":"200","status":"OK"}}`` and ``{"action":"ping"}`` with a pong,
and writes pre-built CometChat ``message`` frames (``_common.message_frame``, unique ids per
connection) to each authenticated connection. The emulator is one thread per connection, too
heavy for the many-client figures; the same server serves the SDK runs and the raw references.

The parent drives it over a pipe (:class:`FrameServer`), one command and one answer at a time:

* ``("stream", n)``: every connection authenticated from now on gets ``n`` frames;
* ``("stream_all", n)``: every authenticated connection gets ``n`` more frames now; answer:
  the number of connections;
* ``("broadcast", who)``: one group ``message`` frame to every authenticated connection
  (``who``: ``"all"``, ``"raw"``: those authenticated with the references' device id
  ``RAW-READER``, ``"sdk"``: the others); answer: ``(CLOCK_MONOTONIC ns just before the
  first write, connections)``;
* ``("paced", rate, count)``: ``count`` frames at ``rate`` per second to every authenticated
  connection, each text carrying its CLOCK_MONOTONIC ns of sending (``t <ns>``);
* ``("count",)``: the number of authenticated connections;
* ``("close_all",)``: close every connection.

It ends when the parent closes its end of the pipe (or dies), or on SIGTERM.
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import resource
import selectors
import socket
import time
from collections.abc import Iterator
from typing import Any
from typing import Optional

from _common import AUTH_OK
from _common import HOST
from _common import PONG
from _common import PRODUCER_APP_ID
from _common import PRODUCER_DEVICE
from _common import PRODUCER_UID
from _common import message_frame
from _wsraw import FrameParser
from _wsraw import accept_key
from _wsraw import server_frame

_BATCH = 200
_HIGH_WATER = 256 * 1024


def raise_nofile() -> int:
    """Raise this process's RLIMIT_NOFILE soft limit to the hard limit; return it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def _frame(body_fields: dict[str, Any], text: str, message_id: str) -> str:
    body = {
        "id": message_id,
        "category": "message",
        "type": "text",
        "sender": "alice",
        "data": {
            "text": text,
            "entities": {
                "sender": {"entity": {"uid": "alice", "name": "Alice"}, "entityType": "user"}
            },
        },
        "sentAt": 1767225600,
        "updatedAt": 1767225600,
        **body_fields,
    }
    envelope = {
        "appId": PRODUCER_APP_ID,
        "receiver": body_fields["receiver"],
        "receiverType": body_fields["receiverType"],
        "deviceId": PRODUCER_DEVICE,
        "type": "message",
        "sender": "alice",
        "body": body,
    }
    return json.dumps(envelope, separators=(",", ":"))


def group_frame(message_id: int) -> str:
    """A group text message to ``bench-group`` (every client hears the same one)."""
    fields = {
        "conversationId": "group_bench-group",
        "receiver": "bench-group",
        "receiverType": "group",
    }
    return _frame(fields, "Stand-up in five minutes", f"g{message_id}")


def timed_frame(message_id: int, sent_ns: int) -> str:
    """A user text message whose text is ``t <CLOCK_MONOTONIC ns of sending>``."""
    fields = {
        "conversationId": "alice_user_bob",
        "receiver": PRODUCER_UID,
        "receiverType": "user",
    }
    return _frame(fields, f"t {sent_ns}", f"p{message_id}")


class _Conn:
    __slots__ = (
        "authed",
        "inbuf",
        "left",
        "next_id",
        "out",
        "parser",
        "raw",
        "sock",
        "writing",
        "ws",
    )

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.inbuf = b""
        self.out = bytearray()
        self.ws = False
        self.authed = False
        self.raw = False  # authenticated as the raw references do (device RAW-READER)
        self.left = 0
        self.next_id = 1
        self.parser = FrameParser()
        self.writing = False


class _Server:
    def __init__(self, ctrl: Any) -> None:
        self.ctrl = ctrl
        self.sel = selectors.DefaultSelector()
        self.listener = socket.create_server((HOST, 0), backlog=4096)
        self.listener.setblocking(False)
        self.sel.register(self.listener, selectors.EVENT_READ, None)
        self.sel.register(ctrl, selectors.EVENT_READ, "ctrl")
        self.conns: dict[int, _Conn] = {}
        self.stream = 0
        self.paced: Optional[tuple[float, float, int]] = None  # next due, period, left
        self.paced_id = 0
        self.group_id = 0
        self.running = True

    # -- connections -------------------------------------------------------------------------

    def _accept(self) -> None:
        for _ in range(256):
            try:
                sock, _ = self.listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError:  # out of descriptors: leave it in the backlog for now
                return
            sock.setblocking(False)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            conn = _Conn(sock)
            self.conns[sock.fileno()] = conn
            self.sel.register(sock, selectors.EVENT_READ, conn)

    def _close(self, conn: _Conn) -> None:
        with contextlib.suppress(KeyError, ValueError):
            self.sel.unregister(conn.sock)
        self.conns.pop(conn.sock.fileno(), None)
        conn.sock.close()

    def _want_write(self, conn: _Conn, on: bool) -> None:
        if conn.writing != on:
            conn.writing = on
            events = selectors.EVENT_READ | (selectors.EVENT_WRITE if on else 0)
            self.sel.modify(conn.sock, events, conn)

    def _queue(self, conn: _Conn, data: bytes) -> None:
        conn.out += data
        self._flush(conn)

    def _refill(self, conn: _Conn) -> None:
        while conn.left and len(conn.out) < _HIGH_WATER:
            n = min(_BATCH, conn.left)
            start = conn.next_id
            conn.out += b"".join(server_frame(message_frame(i)) for i in range(start, start + n))
            conn.next_id += n
            conn.left -= n

    def _flush(self, conn: _Conn) -> None:
        self._refill(conn)
        while conn.out:
            try:
                sent = conn.sock.send(conn.out)
            except (BlockingIOError, InterruptedError):
                break
            except OSError:
                self._close(conn)
                return
            del conn.out[:sent]
            self._refill(conn)
        self._want_write(conn, bool(conn.out))

    def _read(self, conn: _Conn) -> None:
        try:
            data = conn.sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:
            self._close(conn)
            return
        if not conn.ws:
            conn.inbuf += data
            if b"\r\n\r\n" not in conn.inbuf:
                return
            head, data = conn.inbuf.split(b"\r\n\r\n", 1)
            conn.inbuf = b""
            key = b""
            for line in head.split(b"\r\n"):
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"sec-websocket-key":
                    key = value.strip()
            conn.ws = True
            self._queue(
                conn,
                b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                b"Connection: Upgrade\r\nSec-WebSocket-Accept: " + accept_key(key) + b"\r\n\r\n",
            )
            if not data:
                return
        for opcode, payload in conn.parser.feed(data):
            if opcode == 0x1:
                if b'"ping"' in payload:
                    self._queue(conn, server_frame(PONG))
                elif not conn.authed and b'"auth"' in payload:
                    conn.authed = True
                    conn.raw = b"RAW-READER" in payload
                    conn.left += self.stream
                    self._queue(conn, server_frame(AUTH_OK))
            elif opcode == 0x9:
                self._queue(conn, server_frame(payload.decode("utf-8", "replace"), 0xA))
            elif opcode == 0x8:
                with contextlib.suppress(OSError):
                    conn.sock.send(server_frame("", 0x8))
                self._close(conn)
                return

    # -- commands ----------------------------------------------------------------------------

    def _authed(self, who: str = "all") -> list[_Conn]:
        """Authenticated connections: ``all``, ``raw`` (the references) or ``sdk``."""
        return [
            c for c in self.conns.values() if c.authed and (who == "all" or c.raw == (who == "raw"))
        ]

    def _command(self) -> None:
        try:
            cmd = self.ctrl.recv()
        except (EOFError, OSError):
            self.running = False
            return
        name = cmd[0]
        answer: Any = "ok"
        if name == "stream":
            self.stream = int(cmd[1])
        elif name == "stream_all":
            conns = self._authed()
            for conn in conns:
                conn.left += int(cmd[1])
                self._flush(conn)
            answer = len(conns)
        elif name == "broadcast":
            self.group_id += 1
            frame = server_frame(group_frame(self.group_id))
            conns = self._authed(cmd[1] if len(cmd) > 1 else "all")
            t0 = time.monotonic_ns()
            for conn in conns:
                self._queue(conn, frame)
            answer = (t0, len(conns))
        elif name == "paced":
            rate, count = float(cmd[1]), int(cmd[2])
            self.paced = (time.monotonic(), 1.0 / rate, count)
        elif name == "count":
            answer = len(self._authed())
        elif name == "close_all":
            for conn in list(self.conns.values()):
                self._close(conn)
        self.ctrl.send(answer)

    def _pace(self) -> Optional[float]:
        """Send the paced frames that are due; the seconds until the next one, or None."""
        if self.paced is None:
            return None
        due, period, left = self.paced
        now = time.monotonic()
        while left and due <= now:
            self.paced_id += 1
            frame = server_frame(timed_frame(self.paced_id, time.monotonic_ns()))
            for conn in self._authed():
                self._queue(conn, frame)
            due += period
            left -= 1
        self.paced = (due, period, left) if left else None
        return max(0.0, due - time.monotonic()) if left else None

    def run(self) -> None:
        while self.running:
            wait = self._pace()
            for key, events in self.sel.select(1.0 if wait is None else wait):
                data = key.data
                if data is None:
                    self._accept()
                elif data == "ctrl":
                    self._command()
                else:
                    if events & selectors.EVENT_WRITE:
                        self._flush(data)
                    if events & selectors.EVENT_READ and data.sock.fileno() in self.conns:
                        self._read(data)
        for conn in list(self.conns.values()):
            self._close(conn)
        self.listener.close()


def _main(ctrl: Any) -> None:
    raise_nofile()
    server = _Server(ctrl)
    ctrl.send(server.listener.getsockname()[1])
    server.run()


class FrameServer:
    """The parent's handle on a running frame server."""

    def __init__(self, conn: Any, port: int) -> None:
        self._conn = conn
        self.host = HOST
        self.port = port

    def command(self, *cmd: Any, timeout: float = 60.0) -> Any:
        """Send one command; return the server's answer (bounded wait)."""
        self._conn.send(cmd)
        if not self._conn.poll(timeout):
            raise RuntimeError(f"the frame server did not answer {cmd[0]!r} within {timeout} s")
        return self._conn.recv()


@contextlib.contextmanager
def frame_server(stream: int = 0) -> Iterator[FrameServer]:
    """Start a frame server in a spawned process; yield its handle; end it on exit."""
    ctx = multiprocessing.get_context("spawn")
    parent_end, child_end = ctx.Pipe()
    proc = ctx.Process(target=_main, args=(child_end,), name="bench-frame-server")
    proc.daemon = True
    proc.start()
    child_end.close()
    try:
        if not parent_end.poll(20):
            raise RuntimeError("the frame server did not start within 20 s")
        server = FrameServer(parent_end, int(parent_end.recv()))
        if stream:
            server.command("stream", stream)
        yield server
    finally:
        parent_end.close()  # the server sees EOF on its pipe and ends
        proc.join(5)
        if proc.is_alive():
            proc.terminate()
            proc.join(5)
