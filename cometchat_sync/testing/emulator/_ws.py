"""The WebSocket side: the per-connection handler (auth, ping/pong, relays, presence)."""

from __future__ import annotations

import json
import logging
import socket
from typing import Any, Callable, Optional

from websockets.exceptions import ConnectionClosed
from websockets.sync.server import Server, ServerConnection, serve

from ._state import AUTH_OK_FRAME, JSON, Session, State, deliver

__all__ = ["AUTH_FAILED_CODE", "AUTH_TIMEOUT_CODE", "make_ws_server"]

log = logging.getLogger("cometchat_sync.testing.emulator")

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


def _make_handler(state: State, auth_timeout: float) -> Callable[[ServerConnection], None]:
    def handler(conn: ServerConnection) -> None:
        session: Optional[Session] = None
        try:
            try:
                raw = conn.recv(timeout=auth_timeout)
            except TimeoutError:
                conn.close(AUTH_TIMEOUT_CODE, AUTH_TIMEOUT_REASON)
                return
            frame = _parse(raw)
            info = state.check_auth(frame)
            if frame is None or info is None:
                conn.close(AUTH_FAILED_CODE, AUTH_FAILED_REASON)
                return
            session = state.new_session(info, conn)
            # Hold the session's send lock while registering and answering, so no fan-out
            # frame can reach this socket before the auth reply.
            with session.send_lock:
                outbox = state.register(session, frame)
                if outbox is None:  # the emulator is stopping
                    session.closed = True
                    return
                conn.send(AUTH_OK_FRAME)
            deliver(outbox)
            while True:
                parsed = _parse(conn.recv())
                if parsed is not None:
                    deliver(state.on_frame(session, parsed))
        except ConnectionClosed:
            pass
        finally:
            if session is not None:
                deliver(state.unregister(session))

    return handler


def make_ws_server(
    state: State, sock: socket.socket, auth_timeout: float, close_timeout: float
) -> Server:
    """A websockets sync ``Server`` bound to ``sock``; the caller runs the accept loop and
    calls ``server.handler(conn_sock, addr)`` per connection (TLS already done)."""
    return serve(
        _make_handler(state, auth_timeout),
        sock=sock,
        ping_interval=None,
        ping_timeout=None,
        close_timeout=close_timeout,
        open_timeout=5,
        max_size=MAX_FRAME,
        compression=None,
        logger=logging.getLogger("cometchat_sync.testing.emulator.ws"),
    )
