"""RFC 6455 rules of our handshake and frame reader, against a raw loopback server that sends
crafted bytes; each test asserts what the SDK sends back on the wire (its close code), or
that the handshake fails with a clear ``ERR_WEBSOCKET_ERROR``.

Cases follow the RFC (https://www.rfc-editor.org/rfc/rfc6455) and the client tests of the
``websockets`` library (tests/test_frames.py, tests/test_client.py).
"""

from __future__ import annotations

import base64
import hashlib
import socket
import struct
import threading
from collections.abc import Iterator
from typing import Callable
from typing import Optional

import pytest

from cometchat_sync.connection.dialler import WebSocketTransport
from cometchat_sync.connection.transport import Dial
from cometchat_sync.connection.transport import DialError
from cometchat_sync.connection.transport import Link
from cometchat_sync.connection.transport import LinkClosed

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
WAIT = 3.0


def frame(payload: bytes, opcode: int = 0x1, *, fin: bool = True, rsv: int = 0) -> bytes:
    """A server frame (unmasked)."""
    first = (0x80 if fin else 0) | rsv | opcode
    n = len(payload)
    if n < 126:
        return bytes([first, n]) + payload
    if n < 65536:
        return bytes([first, 126]) + struct.pack("!H", n) + payload
    return bytes([first, 127]) + struct.pack("!Q", n) + payload


def close_frame(code: Optional[int], reason: bytes = b"") -> bytes:
    return frame(b"" if code is None else struct.pack("!H", code) + reason, opcode=0x8)


def accept_answer(request: bytes, extra: str = "") -> bytes:
    key = next(
        line.split(b":", 1)[1].strip()
        for line in request.split(b"\r\n")
        if line.lower().startswith(b"sec-websocket-key:")
    )
    accept = base64.b64encode(hashlib.sha1(key + GUID.encode()).digest()).decode()
    return (
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Accept: {accept}\r\n{extra}\r\n"
    ).encode()


def client_frames(data: bytes) -> list[tuple[int, bytes]]:
    """``(opcode, unmasked payload)`` of the client frames in ``data``."""
    out, pos = [], 0
    while pos + 2 <= len(data):
        opcode, length = data[pos] & 0x0F, data[pos + 1] & 0x7F
        assert data[pos + 1] & 0x80, "a client frame must be masked"
        pos += 2
        if length == 126:
            length, pos = int.from_bytes(data[pos : pos + 2], "big"), pos + 2
        elif length == 127:
            length, pos = int.from_bytes(data[pos : pos + 8], "big"), pos + 8
        key, pos = data[pos : pos + 4], pos + 4
        out.append((opcode, bytes(b ^ key[i % 4] for i, b in enumerate(data[pos : pos + length]))))
        pos += length
    return out


class RawServer:
    """Accepts one connection, reads the upgrade request, writes ``answer(request)`` and then
    ``after``, then records everything the client sends until it closes."""

    def __init__(self, answer: Callable[[bytes], bytes], after: bytes = b"") -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.answer = answer
        self.after = after
        self.received = b""
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._serve, name="raw-server", daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/"

    def _serve(self) -> None:
        try:
            self.listener.settimeout(WAIT)
            conn, _ = self.listener.accept()
        except OSError:
            self.done.set()
            return
        with conn:
            conn.settimeout(WAIT)
            try:
                request = b""
                while b"\r\n\r\n" not in request:
                    chunk = conn.recv(4096)
                    if not chunk:
                        return
                    request += chunk
                conn.sendall(self.answer(request) + self.after)
                while chunk := conn.recv(4096):
                    self.received += chunk
            except OSError:
                pass
            finally:
                self.done.set()

    def client_frames(self) -> list[tuple[int, bytes]]:
        assert self.done.wait(WAIT), "the client never closed its side"
        return client_frames(self.received)

    def close(self) -> None:
        self.listener.close()
        self.thread.join(WAIT)


@pytest.fixture
def serve() -> Iterator[Callable[..., RawServer]]:
    servers: list[RawServer] = []

    def make(after: bytes = b"", answer: Callable[[bytes], bytes] = accept_answer) -> RawServer:
        server = RawServer(answer, after)
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.close()


def open_link(url: str, timeout: float = WAIT) -> Link:
    dial = Dial()
    try:
        return WebSocketTransport().open(url, timeout=timeout, dial=dial)
    finally:
        dial.release()


def wire_close(server: RawServer) -> tuple[Optional[int], bytes]:
    """The one close frame the client sent: (code or None when empty, reason bytes)."""
    closes = [payload for op, payload in server.client_frames() if op == 0x8]
    assert len(closes) == 1, server.client_frames()
    payload = closes[0]
    if not payload:
        return None, b""
    return struct.unpack("!H", payload[:2])[0], payload[2:]


def read_until_closed(link: Link) -> LinkClosed:
    with pytest.raises(LinkClosed) as info:
        while True:
            link.recv_text()
    return info.value


# -- closing (RFC 6455 sections 5.5.1, 7.1.5, 7.4) -------------------------------------------


@pytest.mark.parametrize("code", [1000, 1001, 1003, 1007, 1011, 1012, 1014, 3000, 4001, 4999])
def test_a_valid_close_code_is_echoed_and_reported(serve, code):
    server = serve(after=close_frame(code, b"bye"))
    closed = read_until_closed(open_link(server.url))
    assert (closed.code, closed.reason) == (code, "bye")
    assert wire_close(server) == (code, b"")


def test_a_close_without_a_code_is_answered_with_1000_and_reported_as_1005(serve):
    server = serve(after=close_frame(None))
    assert read_until_closed(open_link(server.url)).code == 1005
    assert wire_close(server) == (1000, b"")


@pytest.mark.parametrize("code", [1005, 1006, 1015])
def test_a_reserved_close_code_in_a_frame_is_a_protocol_error(serve, code):
    server = serve(after=close_frame(code))
    assert read_until_closed(open_link(server.url)).code == 1002
    assert wire_close(server)[0] == 1002  # never echoed: these codes never go on the wire


@pytest.mark.parametrize("code", [0, 999, 1004, 1016, 2000, 2999, 5000, 65535])
def test_an_invalid_close_code_is_answered_with_1002(serve, code):
    server = serve(after=close_frame(code))
    assert read_until_closed(open_link(server.url)).code == 1002
    assert wire_close(server)[0] == 1002


def test_a_close_frame_with_a_one_byte_payload_is_a_protocol_error(serve):
    server = serve(after=frame(b"\x03", opcode=0x8))
    assert read_until_closed(open_link(server.url)).code == 1002
    assert wire_close(server)[0] == 1002


def test_a_close_reason_that_is_not_utf8_is_answered_with_1007(serve):
    server = serve(after=close_frame(1000, b"\xff\xfe"))
    assert read_until_closed(open_link(server.url)).code == 1007
    assert wire_close(server)[0] == 1007


@pytest.mark.parametrize("code", [1005, 1006, 1015, 999, 5000])
def test_our_own_close_never_puts_a_reserved_or_invalid_code_on_the_wire(serve, code):
    server = serve()
    open_link(server.url).close(code)
    assert wire_close(server) == (None, b"")  # a close frame with no status code


def test_our_close_reason_is_cut_to_fit_and_stays_valid_utf8(serve):
    server = serve()
    open_link(server.url).close(1000, "a" + "é" * 100)  # 201 bytes; a close body holds 125
    code, reason = wire_close(server)
    assert code == 1000
    assert 100 < len(reason) <= 123
    assert reason.decode("utf-8") == "a" + "é" * (len(reason) // 2)  # no half character


# -- framing (RFC 6455 section 5) ------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (frame(b"p" * 126, opcode=0x9), 1002),  # control frame over 125 bytes
        (frame(b"p", opcode=0x9, fin=False), 1002),  # fragmented control frame
        (frame(b"c" * 126, opcode=0x8), 1002),  # close frame over 125 bytes
        (frame(b"x", rsv=0x40), 1002),  # RSV1 with no extension negotiated
        (frame(b"x", rsv=0x20), 1002),  # RSV2
        (frame(b"x", rsv=0x10), 1002),  # RSV3
        (bytes([0x81, 0x81]) + b"mask" + b"x", 1002),  # a masked frame from the server
        (bytes([0x81, 127]) + struct.pack("!Q", 1 << 63), 1002),  # 64-bit length, top bit set
        (frame(b"x", opcode=0x3), 1002),  # reserved data opcode
        (frame(b"x", opcode=0xB), 1002),  # reserved control opcode
        # A reserved opcode announcing more than the size cap: still 1002, not 1009.
        (bytes([0x83, 127]) + struct.pack("!Q", 1 << 40), 1002),
        (frame(b"x", opcode=0x0), 1002),  # continuation with nothing to continue
        (frame(b"\xff\xfe"), 1007),  # text that is not UTF-8
    ],
)
def test_a_framing_violation_is_answered_on_the_wire(serve, data, code):
    server = serve(after=data)
    assert read_until_closed(open_link(server.url)).code == code
    assert wire_close(server)[0] == code


def test_a_frame_sent_with_the_upgrade_answer_is_not_lost(serve):
    server = serve(after=frame(b"first") + close_frame(1000))
    link = open_link(server.url)
    assert link.recv_text() == "first"
    assert read_until_closed(link).code == 1000


# -- the upgrade (RFC 6455 section 4.1) ------------------------------------------------------


def failed_dial(server: RawServer) -> DialError:
    with pytest.raises(DialError) as info:
        open_link(server.url)
    assert info.value.code == "ERR_WEBSOCKET_ERROR"
    assert not info.value.unreachable
    return info.value


def test_an_extension_we_did_not_offer_fails_the_handshake(serve):
    offer = "Sec-WebSocket-Extensions: permessage-deflate\r\n"
    server = serve(answer=lambda r: accept_answer(r, offer))
    error = failed_dial(server)
    assert "extension" in error.message and "permessage-deflate" in error.message


def test_a_subprotocol_we_did_not_ask_for_fails_the_handshake(serve):
    server = serve(answer=lambda r: accept_answer(r, "Sec-WebSocket-Protocol: chat\r\n"))
    assert "subprotocol" in failed_dial(server).message


def test_a_wrong_accept_key_fails_the_handshake(serve):
    server = serve(answer=lambda r: accept_answer(r.replace(b"Key: ", b"Key: x")))
    assert "Sec-WebSocket-Accept" in failed_dial(server).message


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_is_not_followed(serve, status):
    elsewhere = socket.create_server(("127.0.0.1", 0))
    elsewhere.setblocking(False)
    where = f"ws://127.0.0.1:{elsewhere.getsockname()[1]}/"
    with elsewhere:
        server = serve(
            answer=lambda r: f"HTTP/1.1 {status} Moved\r\nLocation: {where}\r\n\r\n".encode()
        )
        error = failed_dial(server)
        assert "redirect" in error.message and str(status) in error.message
        with pytest.raises(BlockingIOError):
            elsewhere.accept()  # nobody was sent to the other address


def test_a_refused_upgrade_names_only_the_status(serve):
    server = serve(answer=lambda r: b"HTTP/1.1 403 Forbidden\r\nX-Secret: s3cret\r\n\r\n")
    error = failed_dial(server)
    assert "403" in error.message and "s3cret" not in error.message


def test_an_answer_that_is_not_http_fails_the_handshake(serve):
    server = serve(answer=lambda r: b"SSH-2.0-OpenSSH\r\n\r\n")
    failed_dial(server)


def test_the_handshake_sends_no_origin_no_subprotocol_no_extension(serve):
    seen: list[bytes] = []

    def answer(request: bytes) -> bytes:
        seen.append(request)
        return accept_answer(request)

    server = serve(answer=answer)
    link = open_link(server.url)
    link.close()
    head = seen[0].lower()
    assert head.startswith(b"get / http/1.1\r\n")
    assert b"sec-websocket-version: 13\r\n" in head
    for name in (b"origin:", b"sec-websocket-protocol:", b"sec-websocket-extensions:"):
        assert name not in head
    assert wire_close(server) == (1000, b"")
