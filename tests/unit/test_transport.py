"""The transport's frame reader and link against scripted byte streams (no server).

Server frames are cut at seeded random boundaries, as slack_sdk's tests do: whatever the
chunking, the same messages must come out, and an incomplete frame at EOF must never be
delivered.
"""

from __future__ import annotations

import contextlib
import random
import socket
import struct

import pytest

from cometchat_sync.connection.frames import FrameReader
from cometchat_sync.connection.frames import WebSocketLink
from cometchat_sync.connection.transport import CLOSE_ABNORMAL
from cometchat_sync.connection.transport import CLOSE_INVALID_DATA
from cometchat_sync.connection.transport import CLOSE_PROTOCOL_ERROR
from cometchat_sync.connection.transport import CLOSE_TOO_BIG
from cometchat_sync.connection.transport import LinkClosed


def frame(payload: bytes, opcode: int = 0x1, fin: bool = True, rsv: int = 0) -> bytes:
    first = (0x80 if fin else 0) | rsv | opcode
    n = len(payload)
    if n < 126:
        header = bytes([first, n])
    elif n < 65536:
        header = bytes([first, 126]) + struct.pack("!H", n)
    else:
        header = bytes([first, 127]) + struct.pack("!Q", n)
    return header + payload


class ChunkedSocket:
    """Serves ``data`` in chunks of random sizes, then EOF (b"")."""

    def __init__(self, data: bytes, rng: random.Random, max_chunk: int = 64) -> None:
        self._data = data
        self._pos = 0
        self._rng = rng
        self._max = max_chunk

    def recv(self, bufsize: int) -> bytes:
        size = min(bufsize, self._rng.randint(1, self._max))
        chunk = self._data[self._pos : self._pos + size]
        self._pos += len(chunk)
        return chunk


_OPEN: list[socket.socket] = []


@pytest.fixture(autouse=True)
def _close_socket_pairs():
    yield
    while _OPEN:
        _OPEN.pop().close()


class FakeWebSocket:
    peer: socket.socket

    def __init__(self) -> None:
        self.pongs: list[bytes] = []
        self.closes: list[int] = []
        self.sock = None
        self.connected = True

    def pong(self, payload: bytes) -> None:
        self.pongs.append(payload)

    def send_close(self, code: int, reason: bytes) -> None:
        self.closes.append(code)


class NullRaw:
    def shutdown(self, how: int) -> None:
        pass

    def close(self) -> None:
        pass

    def fileno(self) -> int:
        return -1


def written_frames(peer: socket.socket) -> list[tuple[int, bytes]]:
    """The client frames written to the other end of a socket pair: ``(opcode, payload)``,
    unmasked (RFC 6455 section 5.3)."""
    peer.setblocking(False)
    data = b""
    with contextlib.suppress(BlockingIOError):
        while chunk := peer.recv(65536):
            data += chunk
    out, pos = [], 0
    while pos < len(data):
        opcode, length = data[pos] & 0x0F, data[pos + 1] & 0x7F
        assert data[pos + 1] & 0x80, "client frames are masked"
        pos += 2
        if length == 126:
            length, pos = int.from_bytes(data[pos : pos + 2], "big"), pos + 2
        key, pos = data[pos : pos + 4], pos + 4
        payload = bytes(b ^ key[i % 4] for i, b in enumerate(data[pos : pos + length]))
        out.append((opcode, payload))
        pos += length
    return out


def make_link(data: bytes, seed: int, max_size: int = 1 << 20, max_chunk: int = 64):
    ws = FakeWebSocket()
    raw, ws.peer = socket.socketpair()
    _OPEN.extend((raw, ws.peer))
    link = WebSocketLink(ws, raw, max_size, write_timeout=1.0)  # type: ignore[arg-type]
    chunks = ChunkedSocket(data, random.Random(seed), max_chunk)
    link._reader = FrameReader(chunks, max_size)  # type: ignore[arg-type]
    link.close = lambda code=1000, reason="": ws.closes.append(code)  # type: ignore[method-assign]
    return link, ws


MESSAGES = [
    "hi",
    "x" * 125,
    "y" * 126,
    "é" * 40_000,  # 80 000 bytes: a 64-bit length
    '{"type":"message","body":{"id":"7"}}',
    "z" * 65535,
]


@pytest.mark.parametrize("seed", range(24))
def test_any_chunking_gives_the_same_messages(seed):
    rng = random.Random(seed)
    stream = bytearray()
    expected = []
    for text in MESSAGES * 2:
        data = text.encode()
        if rng.random() < 0.3 and len(data) > 3:  # fragmented, with a ping in between
            cut = rng.randint(1, len(data) - 1)
            stream += frame(data[:cut], fin=False)
            stream += frame(b"ping!", opcode=0x9)
            stream += frame(data[cut:], opcode=0x0)
        else:
            stream += frame(data)
        stream += frame(b"", opcode=0xA)  # a pong: ignored
        expected.append(text)
    link, ws = make_link(bytes(stream), seed, max_chunk=rng.choice([3, 64, 5000]))
    got = [link.recv_text() for _ in expected]
    assert got == expected
    with pytest.raises(LinkClosed) as info:
        link.recv_text()
    assert info.value.code == CLOSE_ABNORMAL  # EOF, nothing half-delivered
    pongs = written_frames(ws.peer)
    assert pongs and all(f == (0xA, b"ping!") for f in pongs), "each ping is answered"


@pytest.mark.parametrize("cut", [1, 2, 3, 10, 200])
def test_an_incomplete_frame_at_eof_is_never_delivered(cut):
    whole = frame(("w" * 300).encode())
    link, _ = make_link(frame(b"first") + whole[:-cut], seed=cut)
    assert link.recv_text() == "first"
    with pytest.raises(LinkClosed):
        link.recv_text()


def test_a_frame_over_the_cap_is_refused_from_its_header():
    class HeaderOnly:
        """Announces a 64 MiB frame; any read past the header would fail the test."""

        def __init__(self) -> None:
            self.data = bytes([0x81, 127]) + struct.pack("!Q", 64 << 20)

        def recv(self, bufsize: int) -> bytes:
            chunk, self.data = self.data[:bufsize], self.data[bufsize:]
            if not chunk:
                raise AssertionError("the payload of an oversize frame was read")
            return chunk

    link, ws = make_link(b"", seed=0, max_size=1024)
    link._reader = FrameReader(HeaderOnly(), 1024)  # type: ignore[arg-type]
    with pytest.raises(LinkClosed) as info:
        link.recv_text()
    assert info.value.code == CLOSE_TOO_BIG
    assert ws.closes == [CLOSE_TOO_BIG]


def test_a_fragmented_message_over_the_cap_is_refused():
    stream = frame(b"a" * 600, fin=False) + frame(b"b" * 600, opcode=0x0)
    link, ws = make_link(stream, seed=1, max_size=1000)
    with pytest.raises(LinkClosed) as info:
        link.recv_text()
    assert info.value.code == CLOSE_TOO_BIG
    assert ws.closes == [CLOSE_TOO_BIG]


@pytest.mark.parametrize(
    ("stream", "code"),
    [
        (frame(b"\xff\xfe"), CLOSE_INVALID_DATA),  # invalid UTF-8
        (frame(b"x", rsv=0x40), CLOSE_PROTOCOL_ERROR),  # reserved bit
        (frame(b"x", opcode=0x0), CLOSE_PROTOCOL_ERROR),  # continuation with no start
        (frame(b"a", fin=False) + frame(b"b"), CLOSE_PROTOCOL_ERROR),  # new message inside
        (frame(b"p" * 126, opcode=0x9), CLOSE_PROTOCOL_ERROR),  # control frame too long
        (frame(b"p", opcode=0x9, fin=False), CLOSE_PROTOCOL_ERROR),  # fragmented control
        (frame(b"x", opcode=0x3), CLOSE_PROTOCOL_ERROR),  # unknown opcode
        (bytes([0x81, 0x81]) + b"mask" + b"x", CLOSE_PROTOCOL_ERROR),  # masked server frame
    ],
)
def test_protocol_violations_close_with_the_right_code(stream, code):
    link, ws = make_link(stream, seed=2)
    with pytest.raises(LinkClosed) as info:
        link.recv_text()
    assert info.value.code == code
    assert ws.closes == [code]


def test_binary_frames_are_skipped_and_close_frames_end_the_link():
    stream = (
        frame(b"\x00\x01", opcode=0x2)
        + frame(b"text")
        + frame(struct.pack("!H", 4001) + b"AUTH_FAILED", opcode=0x8)
    )
    link, ws = make_link(stream, seed=3)
    assert link.recv_text() == "text"
    with pytest.raises(LinkClosed) as info:
        link.recv_text()
    assert (info.value.code, info.value.reason) == (4001, "AUTH_FAILED")
    assert ws.closes == [4001]  # the close is answered


def test_buffered_tells_whether_the_next_read_may_need_no_system_call():
    stream = frame(b"one") + frame(b"two")
    link, _ = make_link(stream, seed=4, max_chunk=10_000)
    assert not link.buffered()
    assert link.recv_text() == "one"
    assert link.buffered()  # "two" arrived in the same read
    assert link.recv_text() == "two"
    assert not link.buffered()
