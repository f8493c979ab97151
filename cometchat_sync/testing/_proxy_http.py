"""What :class:`~cometchat_sync.testing.proxy.ConnectProxy` does with a client's first request:
the HTTP forward-proxy rules (RFC 9110 section 9.3.6 for ``CONNECT``, RFC 9112 section 3.2.2
for the absolute form), as pure functions over the request's bytes.

* ``CONNECT host:port``: a tunnel; the client gets ``200 Connection established`` once the
  proxy reached ``host:port``, then bytes flow both ways untouched (``wss://``, ``https://``
  and ``ws://`` through a proxy all use it).
* ``GET http://host:port/path`` (any method, absolute form): plain HTTP forwarded to its
  origin, rewritten to the origin form with ``Connection: close``, and the answer given
  ``Connection: close`` too, so each connection carries one request and the proxy never has
  to find where a second one starts.
* With credentials set, a request without the matching ``Proxy-Authorization: Basic`` gets
  ``407`` and ``Proxy-Authenticate``. A request that is none of the above gets ``400``.

Only the standard library is used.
"""

from __future__ import annotations

import base64
import http.client
import io
from dataclasses import dataclass
from typing import Optional
from typing import Union
from urllib.parse import urlsplit

__all__ = ["MAX_HEAD", "Route", "bad_gateway", "close_after_answer", "route_request"]

#: The longest request head the proxy reads before it answers 400.
MAX_HEAD = 16 * 1024

_ESTABLISHED = b"HTTP/1.1 200 Connection established\r\n\r\n"
_HOP_BY_HOP = ("connection", "proxy-connection", "proxy-authorization", "keep-alive")


@dataclass(frozen=True)
class Route:
    """Where a request goes: the server, the bytes to send it first, the bytes to send the
    client once the server is reached, and what the request was (``"CONNECT host:port"``)."""

    target: tuple[str, int]
    to_server: bytes
    to_client: bytes
    summary: str


def _answer(status: str, extra: str = "") -> bytes:
    return f"HTTP/1.1 {status}\r\n{extra}Content-Length: 0\r\nConnection: close\r\n\r\n".encode()


def bad_gateway() -> bytes:
    """The answer when the server named by the request cannot be reached."""
    return _answer("502 Bad Gateway")


def close_after_answer(data: bytes) -> bytes:
    """``data`` (an answer's head, and maybe more) with its ``Connection`` headers replaced by
    ``Connection: close``; ``data`` unchanged when it holds no whole head."""
    head, found, rest = data.partition(b"\r\n\r\n")
    if not found:
        return data
    lines = [
        line
        for line in head.split(b"\r\n")
        if not line.lower().startswith((b"connection:", b"keep-alive:"))
    ]
    return b"\r\n".join([*lines, b"Connection: close"]) + b"\r\n\r\n" + rest


def route_request(data: bytes, credentials: Optional[tuple[str, str]]) -> Union[Route, bytes]:
    """Route the request whose head (and maybe more) is ``data``; ``bytes`` is an error
    answer for the client (400 or 407), after which the connection is closed.

    ``data`` must hold the whole head (up to its blank line)."""
    head, _, rest = data.partition(b"\r\n\r\n")
    line, _, header_bytes = head.partition(b"\r\n")
    parts = line.decode("latin-1").split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/"):
        return _answer("400 Bad Request")
    method, target, version = parts
    headers = http.client.parse_headers(io.BytesIO(header_bytes + b"\r\n\r\n"))
    if credentials is not None and not _authorized(headers.get("Proxy-Authorization"), credentials):
        return _answer(
            "407 Proxy Authentication Required", 'Proxy-Authenticate: Basic realm="FaultProxy"\r\n'
        )
    if method.upper() == "CONNECT":
        host, port = _host_port(target, default=None)
        if not host or port is None:
            return _answer("400 Bad Request")
        return Route((host, port), rest, _ESTABLISHED, f"CONNECT {target}")
    url = urlsplit(target)
    if url.scheme.lower() != "http" or not url.hostname:
        return _answer("400 Bad Request")  # origin form, or https:// without CONNECT
    path = (url.path or "/") + (f"?{url.query}" if url.query else "")
    kept = [
        f"{name}: {value}" for name, value in headers.items() if name.lower() not in _HOP_BY_HOP
    ]
    rewritten = "\r\n".join([f"{method} {path} {version}", *kept, "Connection: close", "", ""])
    port = url.port or 80
    return Route(
        (url.hostname, port), rewritten.encode("latin-1") + rest, b"", f"{method} {target}"
    )


def _authorized(value: Optional[str], credentials: tuple[str, str]) -> bool:
    expected = base64.b64encode(f"{credentials[0]}:{credentials[1]}".encode()).decode("ascii")
    if value is None:
        return False
    scheme, _, token = value.strip().partition(" ")
    return scheme.lower() == "basic" and token.strip() == expected


def _host_port(text: str, default: Optional[int]) -> tuple[str, Optional[int]]:
    if text.startswith("["):
        host, _, tail = text[1:].partition("]")
        port_text = tail[1:] if tail.startswith(":") else ""
    else:
        host, _, port_text = text.rpartition(":") if ":" in text else (text, "", "")
    if not port_text:
        return host, default
    return (host, int(port_text)) if port_text.isdigit() else ("", None)
