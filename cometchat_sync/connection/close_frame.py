"""Close frames (RFC 6455 section 5.5.1): which codes may be sent, our close frame's body,
and the parse of a received one. https://www.rfc-editor.org/rfc/rfc6455#section-5.5.1
"""

from __future__ import annotations

import struct

from .transport import CLOSE_INVALID_DATA
from .transport import CLOSE_NO_STATUS
from .transport import CLOSE_PROTOCOL_ERROR

__all__ = ["ProtocolError", "close_payload", "is_sendable_close_code", "parse_close"]


class ProtocolError(Exception):
    """A frame breaks RFC 6455: the link closes with ``code`` (1002, 1007, 1009)."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


def is_sendable_close_code(code: int) -> bool:
    """True for the codes a close frame may carry (RFC 6455 section 7.4): 1000-1003,
    1007-1014 and 3000-4999. Never 1005, 1006 or 1015 (reserved for reporting, never sent),
    nor 1004, 1016-2999 or anything outside 1000-4999.
    https://www.iana.org/assignments/websocket/websocket.xhtml#close-code-number"""
    return 1000 <= code <= 1003 or 1007 <= code <= 1014 or 3000 <= code <= 4999


def close_payload(code: int, reason: str) -> bytes:
    """The body of our close frame: ``code`` and ``reason`` cut to 123 bytes on a character
    boundary (a control frame holds 125). A code that may not be sent gives an empty body,
    which the peer reads as "no status" (1005)."""
    if not is_sendable_close_code(code):
        return b""
    text = reason.encode("utf-8")[:123].decode("utf-8", "ignore").encode("utf-8")
    return struct.pack("!H", code) + text


def parse_close(data: bytes) -> tuple[int, str]:
    """The code and reason of a received close frame (1005 when it has none).

    Raises ProtocolError: a 1-byte body or a code a peer may not send (1002), a reason that
    is not UTF-8 (1007)."""
    if not data:
        return CLOSE_NO_STATUS, ""
    if len(data) == 1:
        raise ProtocolError(CLOSE_PROTOCOL_ERROR, "close frame with a 1-byte body")
    code = struct.unpack("!H", data[:2])[0]
    if not is_sendable_close_code(code):
        raise ProtocolError(CLOSE_PROTOCOL_ERROR, f"invalid close code {code}")
    try:
        reason = data[2:].decode("utf-8")
    except UnicodeDecodeError:
        raise ProtocolError(CLOSE_INVALID_DATA, "close reason is not UTF-8") from None
    return code, reason
