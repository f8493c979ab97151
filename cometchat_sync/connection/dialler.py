"""The dialler: resolve, connect, TLS and the HTTP upgrade of one WebSocket, all within one
time budget, each step cancellable from another thread through a :class:`Dial`.

:class:`WebSocketTransport` is built on websocket-client's low-level ``WebSocket`` class (not
``WebSocketApp``, whose reconnect is an uninterruptible sleep) over a socket dialled here, so
that a ``Dial.cancel()`` wakes a TCP connect in progress at once.
"""

from __future__ import annotations

import select
import socket
import ssl
import time
from typing import Optional

import websocket

from .._neterrors import CONNECT_IN_PROGRESS
from .._neterrors import is_refused
from .._neterrors import is_unreachable
from ..errors import ErrorCode
from ..settings import AppSettings
from .frames import WebSocketLink
from .transport import Dial
from .transport import DialCancelled
from .transport import DialError
from .transport import Link
from .transport import shutdown_socket

__all__ = ["WebSocketTransport"]


class WebSocketTransport:
    """The real transport: websocket-client over a socket this module dials itself."""

    def __init__(
        self, *, ssl_context: Optional[ssl.SSLContext] = None, max_frame_size: int = 1 << 20
    ) -> None:
        self._ssl_context = ssl_context
        self._max_frame_size = max_frame_size

    @classmethod
    def for_settings(cls, settings: AppSettings) -> WebSocketTransport:
        """The transport ``settings`` ask for: TLS verified against the CA bundle if one is
        set (else the system's), the inbound frame cap."""
        context = None
        if settings.ca_bundle or not settings.insecure_transport:
            context = ssl.create_default_context(cafile=settings.ca_bundle)
        return cls(ssl_context=context, max_frame_size=settings.max_frame_size)

    def open(self, url: str, *, timeout: float, dial: Dial) -> Link:
        deadline = time.monotonic() + timeout
        secure, host, port = _split_ws_url(url)
        raw = _tcp_connect(host, port, deadline, dial)
        sock: socket.socket = raw
        try:
            if secure:
                context = self._ssl_context or ssl.create_default_context()
                sock = context.wrap_socket(raw, server_hostname=host, do_handshake_on_connect=False)
                dial.attach(lambda: shutdown_socket(sock))
                sock.settimeout(_remaining(deadline))
                try:
                    sock.do_handshake()
                except ssl.SSLCertVerificationError as exc:
                    raise _handshake_failed(
                        f"TLS certificate of {host} not trusted ({exc.verify_message})."
                    ) from exc
            ws = websocket.WebSocket(skip_utf8_validation=True, enable_multithread=True)
            sock.settimeout(_remaining(deadline))
            try:
                ws.connect(  # type: ignore[no-untyped-call]
                    url, socket=sock, timeout=_remaining(deadline), suppress_origin=True
                )
            except websocket.WebSocketBadStatusException as exc:
                # Its text carries the response headers: keep only the status.
                raise _handshake_failed(
                    f"The WebSocket upgrade was refused with HTTP {exc.status_code}."
                ) from None
            sock.settimeout(None)
            link = WebSocketLink(ws, sock, self._max_frame_size)
            dial.attach(link.shutdown)
            return link
        except DialError:
            shutdown_socket(sock)
            sock.close()
            raise
        except BaseException as exc:
            shutdown_socket(sock)
            sock.close()
            if dial.cancelled:
                raise DialCancelled() from None
            if isinstance(exc, (socket.timeout, websocket.WebSocketTimeoutException)):
                raise _handshake_failed(
                    f"The WebSocket handshake with {host} did not finish within {timeout} s."
                ) from None
            if isinstance(exc, (OSError, websocket.WebSocketException, ValueError)):
                raise _handshake_failed(
                    f"The WebSocket handshake with {host} failed ({type(exc).__name__})."
                ) from None
            raise


def _handshake_failed(message: str) -> DialError:
    """The host answered, but the TLS or WebSocket handshake failed: backoff, no probing."""
    return DialError(ErrorCode.WEBSOCKET_ERROR, message, unreachable=False)


def _connect_failed(code: str, message: str) -> DialError:
    """The TCP connect failed: the next tries are paced by the cheap probe."""
    return DialError(code, message, unreachable=True)


def _split_ws_url(url: str) -> tuple[bool, str, int]:
    scheme, _, rest = url.partition("://")
    secure = scheme == "wss"
    hostport = rest.split("/", 1)[0]
    if hostport.startswith("["):
        host, _, tail = hostport[1:].partition("]")
        port_text = tail.lstrip(":")
    else:
        host, _, port_text = hostport.rpartition(":") if ":" in hostport else (hostport, "", "")
    port = int(port_text) if port_text else (443 if secure else 80)
    return secure, host, port


def _remaining(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise socket.timeout("deadline passed")
    return left


def _tcp_connect(host: str, port: int, deadline: float, dial: Dial) -> socket.socket:
    """Connect to ``host:port`` before ``deadline``; ``dial.cancel()`` aborts it at once."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise _connect_failed(
            ErrorCode.NO_INTERNET, f"The name {host} could not be resolved; check the network."
        ) from exc
    last: Optional[DialError] = None
    for family, kind, proto, _, address in infos:
        sock = socket.socket(family, kind, proto)
        try:
            dial.attach(lambda s=sock: shutdown_socket(s))  # type: ignore[misc]
            sock.setblocking(False)
            err = sock.connect_ex(address)
            if err != 0 and err not in CONNECT_IN_PROGRESS:
                raise OSError(err, "connect failed")
            if err != 0:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise socket.timeout()
                _readable, writable, _ = select.select([dial.wake_fileno()], [sock], [sock], left)
                if dial.cancelled:
                    raise DialCancelled()
                if not writable:
                    raise socket.timeout()
                err = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if err:
                    raise OSError(err, "connect failed")
            sock.setblocking(True)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
            return sock
        except DialCancelled:
            sock.close()
            raise
        except socket.timeout:
            sock.close()
            last = _connect_failed(
                ErrorCode.NO_INTERNET,
                f"{host}:{port} did not answer the TCP connect in time; check the network.",
            )
        except OSError as exc:
            sock.close()
            if is_refused(exc.errno):
                last = _connect_failed(
                    ErrorCode.WEBSOCKET_ERROR,
                    f"{host}:{port} refused the connection (the server may be down).",
                )
            elif is_unreachable(exc.errno):
                last = _connect_failed(
                    ErrorCode.NO_INTERNET, f"There is no route to {host}:{port}; check the network."
                )
            else:
                last = _connect_failed(
                    ErrorCode.WEBSOCKET_ERROR,
                    f"Connecting to {host}:{port} failed (errno {exc.errno}).",
                )
        if dial.cancelled:
            raise DialCancelled()
    assert last is not None
    raise last
