"""Raw WebSocket pieces for the references and the frame server (not a test module).

* :func:`server_frame` / :func:`client_frame`: one unfragmented text frame, unmasked (server to
  client) or masked (client to server, RFC 6455 section 5.3);
* :class:`FrameParser`: an incremental pure-Python parser of frames read from a socket (text
  frames only are returned; the mask, when present, is removed);
* :func:`upgrade_request` / :func:`accept_key`: the HTTP upgrade of both ends;
* :func:`blocking_connect`: a plain socket upgraded and authenticated, for the single-thread
  pure-Python reference loop.

Everything here is standard-library Python, so it is the "pure-Python" yardstick the SDK is
measured against.
"""

from __future__ import annotations

import base64
import hashlib
import os
import socket
import struct
import time
from typing import Optional

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def accept_key(key: bytes) -> bytes:
    """``Sec-WebSocket-Accept`` for a ``Sec-WebSocket-Key`` (both base64, as bytes)."""
    return base64.b64encode(hashlib.sha1(key + GUID).digest())


def upgrade_request(host: str, port: int) -> tuple[bytes, bytes]:
    """(the HTTP upgrade request, the accept value its answer must carry)."""
    key = base64.b64encode(os.urandom(16))
    request = (
        f"GET / HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key.decode()}\r\n"
        "Sec-WebSocket-Version: 13\r\n\r\n"
    ).encode()
    return request, accept_key(key)


def _header(first: int, n: int, mask_bit: int) -> bytes:
    if n < 126:
        return struct.pack("!BB", first, mask_bit | n)
    if n < 1 << 16:
        return struct.pack("!BBH", first, mask_bit | 126, n)
    return struct.pack("!BBQ", first, mask_bit | 127, n)


def server_frame(text: str, opcode: int = 0x1) -> bytes:
    """An unmasked, unfragmented server-to-client frame."""
    payload = text.encode("utf-8")
    return _header(0x80 | opcode, len(payload), 0) + payload


def _xor(payload: bytes, mask: bytes) -> bytes:
    n = len(payload)
    if not n:
        return payload
    key = int.from_bytes((mask * (n // 4 + 1))[:n], "big")
    return (int.from_bytes(payload, "big") ^ key).to_bytes(n, "big")


def client_frame(text: str, opcode: int = 0x1) -> bytes:
    """A masked client-to-server frame."""
    payload = text.encode("utf-8")
    mask = os.urandom(4)
    return _header(0x80 | opcode, len(payload), 0x80) + mask + _xor(payload, mask)


class FrameParser:
    """Incremental frame parser: ``feed(bytes)`` returns the complete frames so far as
    ``(opcode, payload bytes)``; text payloads are left undecoded for the caller."""

    __slots__ = ("_buf",)

    def __init__(self) -> None:
        self._buf = b""

    def feed(self, data: bytes) -> list[tuple[int, bytes]]:
        buf = self._buf + data if self._buf else data
        out: list[tuple[int, bytes]] = []
        pos, end = 0, len(buf)
        while end - pos >= 2:
            b0, b1 = buf[pos], buf[pos + 1]
            n = b1 & 0x7F
            head = 2
            if n == 126:
                if end - pos < 4:
                    break
                n = (buf[pos + 2] << 8) | buf[pos + 3]
                head = 4
            elif n == 127:
                if end - pos < 10:
                    break
                n = struct.unpack_from("!Q", buf, pos + 2)[0]
                head = 10
            masked = b1 & 0x80
            if masked:
                head += 4
            if end - pos < head + n:
                break
            payload = buf[pos + head : pos + head + n]
            if masked:
                payload = _xor(payload, buf[pos + head - 4 : pos + head])
            out.append((b0 & 0x0F, payload))
            pos += head + n
        self._buf = buf[pos:]
        return out


def blocking_connect(
    host: str, port: int, auth: str, timeout: float = 10.0
) -> tuple[socket.socket, FrameParser, list[tuple[int, bytes]]]:
    """A socket upgraded and authenticated; returns it, its parser and any frames that came
    after the auth answer in the same reads."""
    deadline = time.monotonic() + timeout
    sock = socket.create_connection((host, port), timeout=timeout)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    request, expected = upgrade_request(host, port)
    sock.sendall(request)
    head = b""
    while b"\r\n\r\n" not in head:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        chunk = sock.recv(4096)
        if not chunk:
            raise ConnectionError("closed during the upgrade")
        head += chunk
    answer, rest = head.split(b"\r\n\r\n", 1)
    if b" 101 " not in answer.split(b"\r\n", 1)[0] or expected not in answer:
        raise ConnectionError("the upgrade was refused")
    sock.sendall(client_frame(auth))
    parser = FrameParser()
    frames = parser.feed(rest)
    while not frames:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed before the auth answer")
        frames = parser.feed(chunk)
    if b'"auth"' not in frames[0][1]:
        raise ConnectionError("the first frame was not the auth answer")
    sock.settimeout(timeout)
    return sock, parser, frames[1:]


def recv_into_parser(sock: socket.socket, parser: FrameParser) -> Optional[list[tuple[int, bytes]]]:
    """One ``recv`` fed to the parser; None at end of stream."""
    chunk = sock.recv(262144)
    if not chunk:
        return None
    return parser.feed(chunk)
