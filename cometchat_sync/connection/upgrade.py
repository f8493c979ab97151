"""The HTTP upgrade of the WebSocket (RFC 6455 section 4.1), written and checked here.

Why our own, and not websocket-client's ``handshake``: its answer reader waits per ``recv``
(a server dripping its answer keeps it going for ever), it follows redirects by dialling the
new address itself (uncancellable, and the auth frame would then go to another host), it
accepts an extension or a subprotocol we never asked for, and with ``websocket.enableTrace``
on it prints the request and the answer. The request is six header lines; the checks are the
client's duties listed in https://www.rfc-editor.org/rfc/rfc6455#section-4.1.

The SDK's upgrade goes to the URL's path (``/`` for CometChat) with no subprotocol, no
extension, no ``Origin`` and no credentials (``docs/protocol.md``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from urllib.parse import urlsplit

from .dial_io import HttpAnswer

__all__ = ["UpgradeRefused", "check_upgrade_answer", "upgrade_request"]

_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"  # RFC 6455 section 1.3
_REDIRECTS = (301, 302, 303, 307, 308)


class UpgradeRefused(Exception):
    """The server's answer to the upgrade is not a valid acceptance; the text says why."""


def upgrade_request(url: str) -> tuple[bytes, str]:
    """The upgrade request for ``url`` (``ws://`` or ``wss://``) and its ``Sec-WebSocket-Key``.

    Returns:
        ``(request bytes, key)``; the key is needed to check the answer.
    """
    parts = urlsplit(url)
    secure = parts.scheme == "wss"
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    port = parts.port
    if port is not None and port != (443 if secure else 80):
        host = f"{host}:{port}"
    resource = parts.path or "/"
    if parts.query:
        resource += "?" + parts.query
    key = base64.b64encode(os.urandom(16)).decode("ascii")
    request = (
        f"GET {resource} HTTP/1.1\r\n"
        f"Host: {host}\r\n"
        "Upgrade: websocket\r\n"
        "Connection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\n"
        "Sec-WebSocket-Version: 13\r\n"
        "\r\n"
    )
    return request.encode("latin-1"), key


def check_upgrade_answer(answer: HttpAnswer, key: str, host: str) -> None:
    """Accept ``answer`` only if it completes the upgrade we asked for.

    Raises:
        UpgradeRefused: not 101 (a redirect is refused too: the SDK never sends the
            session's credentials to another address), a missing or wrong ``Upgrade``,
            ``Connection`` or ``Sec-WebSocket-Accept``, or an extension or subprotocol that
            was not offered.
    """
    if answer.status in _REDIRECTS:
        raise UpgradeRefused(
            f"{host} redirected the WebSocket upgrade (HTTP {answer.status}); the SDK follows "
            "no redirect: check the socket host."
        )
    if answer.status != 101:
        raise UpgradeRefused(f"The WebSocket upgrade was refused with HTTP {answer.status}.")
    if answer.header("Upgrade").lower() != "websocket":
        raise UpgradeRefused(f"{host} answered the upgrade without 'Upgrade: websocket'.")
    tokens = [t.strip().lower() for t in answer.header("Connection").split(",")]
    if "upgrade" not in tokens:
        raise UpgradeRefused(f"{host} answered the upgrade without 'Connection: Upgrade'.")
    expected = base64.b64encode(hashlib.sha1((key + _GUID).encode("ascii")).digest())
    accept = answer.header("Sec-WebSocket-Accept").encode("latin-1")
    if not hmac.compare_digest(accept, expected):
        raise UpgradeRefused(f"{host} answered the upgrade with a wrong Sec-WebSocket-Accept.")
    extensions = answer.header("Sec-WebSocket-Extensions")
    if extensions:
        raise UpgradeRefused(
            f"{host} answered the upgrade with an extension the SDK did not offer "
            f"({extensions[:60]})."
        )
    protocol = answer.header("Sec-WebSocket-Protocol")
    if protocol:
        raise UpgradeRefused(
            f"{host} answered the upgrade with a subprotocol the SDK did not ask for "
            f"({protocol[:60]})."
        )
