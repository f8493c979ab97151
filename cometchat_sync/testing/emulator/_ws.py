"""The WebSocket side: the websockets server and the per-connection handler.

The handler reads the first frame within ``auth_timeout`` (else close 1008 "AUTH_TIMEOUT"),
has :class:`~._realtime.Realtime` check it (else close 4001 "AUTH_FAILED"), registers the
:class:`~._peer.Peer` and answers the auth frame, then hands every later JSON frame to
``Realtime.on_frame`` and delivers what comes back. The close codes are those the official
SDKs act on (observed traffic of the official SDKs).
"""

from __future__ import annotations

import json
import logging
import socket
from typing import Any
from typing import Callable
from typing import Optional

from websockets.exceptions import ConnectionClosed
from websockets.sync.server import Server
from websockets.sync.server import ServerConnection
from websockets.sync.server import serve

from ._peer import Peer
from ._peer import deliver
from ._realtime import AUTH_OK_FRAME
from ._realtime import Realtime
from ._records import JSON

__all__ = ["AUTH_FAILED_CODE", "AUTH_TIMEOUT_CODE", "make_ws_server"]

log = logging.getLogger(__name__)

AUTH_FAILED_CODE = 4001
AUTH_FAILED_REASON = "AUTH_FAILED"
AUTH_TIMEOUT_CODE = 1008
AUTH_TIMEOUT_REASON = "AUTH_TIMEOUT"
MAX_FRAME = 1024 * 1024


def _parse(raw: Any) -> Optional[JSON]:
    if not isinstance(raw, str):
        return None
    try:
        frame = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    return frame if isinstance(frame, dict) else None


def _make_handler(realtime: Realtime, auth_timeout: float) -> Callable[[ServerConnection], None]:
    def handler(conn: ServerConnection) -> None:
        peer: Optional[Peer] = None
        try:
            try:
                raw = conn.recv(timeout=auth_timeout)
            except TimeoutError:
                conn.close(AUTH_TIMEOUT_CODE, AUTH_TIMEOUT_REASON)
                return
            frame = _parse(raw)
            info = realtime.check_auth(frame)
            if frame is None or info is None:
                conn.close(AUTH_FAILED_CODE, AUTH_FAILED_REASON)
                return
            peer = realtime.new_peer(info, conn)
            # Hold the peer's send lock while registering and answering, so no fan-out frame
            # can reach this socket before the auth reply.
            with peer.send_lock:
                outbox = realtime.register(peer, frame)
                if outbox is None:  # the emulator is stopping
                    peer.closed = True
                    return
                conn.send(AUTH_OK_FRAME)
            deliver(outbox)
            while True:
                parsed = _parse(conn.recv())
                if parsed is not None:
                    deliver(realtime.on_frame(peer, parsed))
        except ConnectionClosed:
            pass
        finally:
            if peer is not None:
                deliver(realtime.unregister(peer))

    return handler


def make_ws_server(
    realtime: Realtime, sock: socket.socket, auth_timeout: float, close_timeout: float
) -> Server:
    """A websockets sync ``Server`` bound to ``sock``; the caller runs the accept loop and
    calls ``server.handler(conn_sock, addr)`` per connection (TLS already done)."""
    return serve(
        _make_handler(realtime, auth_timeout),
        sock=sock,
        ping_interval=None,
        ping_timeout=None,
        close_timeout=close_timeout,
        open_timeout=5,
        max_size=MAX_FRAME,
        compression=None,
        logger=log.getChild("websockets"),  # the server library's own lines
    )
