"""The dialler: the steps of opening one WebSocket, all within one time budget, each ended at
once by ``Dial.cancel()`` (``disconnect()``, ``logout()``, ``close()``).

1. **resolve** the host (or the proxy's) in a short-lived thread
   (:mod:`~cometchat_sync.connection.resolver`): ``getaddrinfo`` cannot be interrupted;
2. **connect** TCP, non-blocking, waiting on the socket and the dial's wake-up descriptor;
3. **tunnel** through the HTTP proxy, if one applies (:mod:`~cometchat_sync.connection.proxy`);
4. **TLS** handshake (``wss://``), non-blocking, verified against the CA bundle or the system;
5. **upgrade** (:mod:`~cometchat_sync.connection.upgrade`): the request, then the answer
   read within the deadline (a total deadline, not one per ``recv``) and checked strictly.

Every wait goes through ``poll`` (never ``select.select``, which fails on descriptors numbered
1024 and above). Any exception inside the dial, expected or not, closes its socket and
surfaces as a :class:`~cometchat_sync.connection.transport.DialError` (an unexpected one as
``ERR_WEBSOCKET_ERROR`` naming its type, with its traceback logged once at DEBUG). The
reader sends the ``auth`` frame on the link this returns; ``Dial.cancel()`` shuts that link
down, so the wait for the auth answer ends at once too.
"""

from __future__ import annotations

import logging
import socket
import ssl
import time
from typing import Optional
from typing import Union
from urllib.parse import urlsplit

import websocket

from .._neterrors import CONNECT_IN_PROGRESS
from .._neterrors import is_refused
from .._neterrors import is_unreachable
from .._proxy_url import ProxyURL
from .._proxy_url import parse_proxy_url
from .._tls import context_for
from ..errors import ErrorCode
from ..settings import AppSettings
from .dial_io import Steps
from .dial_io import StepTimeout
from .dial_io import Wait
from .dial_io import read_http_answer
from .dial_io import run_steps
from .dial_io import send_all
from .frames import WebSocketLink
from .proxy import ProxyRefused
from .proxy import proxy_for
from .proxy import tunnel
from .resolver import ResolveTimeout
from .resolver import resolve_steps
from .transport import Dial
from .transport import DialCancelled
from .transport import DialError
from .transport import Link
from .transport import shutdown_socket
from .upgrade import UpgradeRefused
from .upgrade import check_upgrade_answer
from .upgrade import upgrade_request

__all__ = ["WebSocketTransport"]

log = logging.getLogger(__name__)

_Sock = Union[socket.socket, ssl.SSLSocket]

#: The steps after the TCP connect, as error messages name them.
_STEP_NAMES = {
    "tunnel": "The proxy tunnel",
    "tls": "The TLS handshake",
    "upgrade": "The WebSocket upgrade",
}


class WebSocketTransport:
    """The real transport: a socket dialled here, step by step, and our own frame reader.

    Args:
        ssl_context: the TLS context of ``wss://``; default: the process's shared context
            for ``ca_bundle`` (:func:`cometchat_sync._tls.context_for`, built on the first
            ``wss://`` dial, not here).
        ca_bundle: the PEM CA bundle to trust; ``None``: the system's trust store.
        max_frame_size: the inbound frame cap, in bytes.
        write_timeout: the most one write may block, in seconds.
        proxy: the proxy of ``AppSettingsBuilder.set_proxy``; None: the environment's
            (``HTTPS_PROXY``/``HTTP_PROXY``/``NO_PROXY``), as for REST.
    """

    def __init__(
        self,
        *,
        ssl_context: Optional[ssl.SSLContext] = None,
        ca_bundle: Optional[str] = None,
        max_frame_size: int = 1 << 20,
        write_timeout: float = 20.0,
        proxy: Optional[ProxyURL] = None,
    ) -> None:
        self._ssl_context = ssl_context
        self._ca_bundle = ca_bundle
        self._max_frame_size = max_frame_size
        self._write_timeout = write_timeout
        self._proxy = proxy

    @classmethod
    def for_settings(cls, settings: AppSettings) -> WebSocketTransport:
        """The transport ``settings`` ask for: TLS verified against the CA bundle if one is
        set (else the system's), the inbound frame cap, the proxy. Cheap: no TLS context is
        built here (every client of the process shares one per trust setting)."""
        # A write that cannot progress for a keepalive period plus the pong timeout is on a
        # link the keepalive would declare dead anyway.
        write_timeout = settings.ping_interval + settings.pong_timeout
        proxy = parse_proxy_url(settings.proxy) if settings.proxy else None
        return cls(
            ca_bundle=settings.ca_bundle,
            max_frame_size=settings.max_frame_size,
            write_timeout=write_timeout,
            proxy=proxy,
        )

    def open(self, url: str, *, timeout: float, dial: Dial) -> Link:
        """Open and upgrade a socket to ``url`` within ``timeout`` seconds, blocking this
        thread (the engine drives :meth:`open_steps` instead).

        Raises:
            DialError: a step failed or ran out of time (its code and text say which).
            DialCancelled: ``dial.cancel()`` was called.
        """
        deadline = time.monotonic() + timeout
        steps = self.open_steps(url, deadline=deadline, dial=dial, timeout=timeout)
        return run_steps(steps, deadline, dial)

    def open_steps(
        self, url: str, *, deadline: float, dial: Dial, timeout: Optional[float] = None
    ) -> Steps[Link]:
        """:meth:`open` as dial steps (:mod:`~cometchat_sync.connection.dial_io`): each
        wait is yielded to the driver, which throws ``StepTimeout`` in at ``deadline``
        (``time.monotonic()`` seconds) and ``DialCancelled`` on ``dial.cancel()``.
        ``timeout`` is the budget the error texts name (default: what is left until
        ``deadline``). Raises as :meth:`open`."""
        if timeout is None:
            timeout = max(0.0, deadline - time.monotonic())
        attempt = _Attempt(url, deadline, dial, timeout)
        try:
            return (yield from self._open(attempt))
        except (DialCancelled, DialError):
            attempt.close()
            raise
        except BaseException as exc:
            attempt.close()
            if dial.cancelled:
                raise DialCancelled() from None
            if not isinstance(exc, Exception):
                raise  # KeyboardInterrupt, SystemExit: not ours to turn into an error
            raise attempt.failure(exc) from None

    def _open(self, at: _Attempt) -> Steps[Link]:
        parts = urlsplit(at.url)
        secure, host = parts.scheme == "wss", parts.hostname or ""
        port = parts.port or (443 if secure else 80)
        at.step, at.peer = "proxy", host
        proxy = proxy_for(at.url, self._proxy)
        if proxy is not None:
            at.peer, at.proxied = f"the proxy {proxy.address}", True
            at.sock = yield from _tcp_connect_steps(proxy.host, proxy.port, at.dial, at)
            at.step = "tunnel"
            yield from tunnel(at.sock, proxy, (host, port))
            at.peer = host
        else:
            at.sock = yield from _tcp_connect_steps(host, port, at.dial, at)
        if secure:
            at.step = "tls"
            context = self._ssl_context or context_for(self._ca_bundle, False)
            tls = context.wrap_socket(at.sock, server_hostname=host, do_handshake_on_connect=False)
            at.sock = tls
            at.dial.attach(lambda: shutdown_socket(tls))
            yield from _tls_handshake(tls)
        at.step = "upgrade"
        request, key = upgrade_request(at.url)
        yield from send_all(at.sock, request)
        check_upgrade_answer((yield from read_http_answer(at.sock)), key, host)
        ws = websocket.WebSocket(skip_utf8_validation=True, enable_multithread=True)
        ws.sock, ws.connected = at.sock, True
        link = WebSocketLink(ws, at.sock, self._max_frame_size, write_timeout=self._write_timeout)
        at.sock = None  # the link owns it now
        at.dial.attach(link.shutdown)
        return link


class _Attempt:
    """One ``open()``: its deadline, its socket so far, and the step under way."""

    def __init__(self, url: str, deadline: float, dial: Dial, timeout: float) -> None:
        self.url = url
        self.deadline = deadline
        self.dial = dial
        self.timeout = timeout
        self.sock: Optional[_Sock] = None
        self.step = "resolve"
        self.peer = ""
        #: The socket goes to a proxy (its connect errors then name the proxy).
        self.proxied = False

    def close(self) -> None:
        if self.sock is not None:
            shutdown_socket(self.sock)
            self.sock.close()
            self.sock = None

    def failure(self, exc: Exception) -> DialError:
        """The DialError that ``exc``, raised during the current step, stands for."""
        peer, step = self.peer, self.step
        if isinstance(exc, StepTimeout):
            what = _STEP_NAMES.get(step, "The WebSocket upgrade")
            return _handshake_failed(
                f"{what} with {peer} did not finish within {self.timeout:g} s."
            )
        if isinstance(exc, (UpgradeRefused, ProxyRefused)):
            return _handshake_failed(str(exc))
        if isinstance(exc, ssl.SSLCertVerificationError):
            return _handshake_failed(
                f"TLS certificate of {peer} not trusted ({exc.verify_message})."
            )
        if isinstance(exc, ValueError) and step == "proxy":
            return _handshake_failed(f"The proxy cannot be used: {exc}")
        if isinstance(exc, (OSError, ValueError)) and step in _STEP_NAMES:
            detail = type(exc).__name__
            if isinstance(exc, ssl.SSLError) and exc.reason:
                detail += f": {exc.reason}"
            return _handshake_failed(f"{_STEP_NAMES[step]} with {peer} failed ({detail}).")
        log.debug("the dial failed unexpectedly during step %s", step, exc_info=True)
        return _handshake_failed(
            f"Opening the socket failed unexpectedly during the {step} step ({type(exc).__name__})."
        )


def _handshake_failed(message: str) -> DialError:
    """The host answered, but the TLS or WebSocket handshake failed: backoff, no probing."""
    return DialError(ErrorCode.WEBSOCKET_ERROR, message, unreachable=False)


def _connect_failed(code: str, message: str) -> DialError:
    """The host could not be reached: the next tries are paced by the cheap probe."""
    return DialError(code, message, unreachable=True)


def _tls_handshake(sock: ssl.SSLSocket) -> Steps[None]:
    while True:
        try:
            sock.do_handshake()
            return
        except ssl.SSLWantReadError:
            yield Wait(sock, False)
        except ssl.SSLWantWriteError:
            yield Wait(sock, True)


def _tcp_connect(host: str, port: int, deadline: float, dial: Dial) -> socket.socket:
    """:func:`_tcp_connect_steps`, blocking this thread until ``deadline``."""
    return run_steps(_tcp_connect_steps(host, port, dial), deadline, dial)


def _tcp_connect_steps(
    host: str, port: int, dial: Dial, at: Optional[_Attempt] = None
) -> Steps[socket.socket]:
    """Resolve ``host`` and connect to ``host:port`` (non-blocking); ``at``, if given,
    learns which step is under way."""
    started = time.monotonic()
    if at is not None:
        at.step = "resolve"
    try:
        infos = yield from resolve_steps(host, port)
    except socket.gaierror as exc:
        raise _connect_failed(
            ErrorCode.NO_INTERNET, f"The name {host} could not be resolved; check the network."
        ) from exc
    except ResolveTimeout:
        budget = at.timeout if at is not None else time.monotonic() - started
        raise _connect_failed(
            ErrorCode.NO_INTERNET,
            f"The name {host} was not resolved within {budget:.3g} s; check the network.",
        ) from None
    if at is not None:
        at.step = "connect"
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
                yield Wait(sock, True)
                err = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if err:
                    raise OSError(err, "connect failed")
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
            return sock
        except BaseException as exc:
            sock.close()
            if not isinstance(exc, (StepTimeout, OSError)):
                raise
            proxied = at is not None and at.proxied
            last = _tcp_failure(exc, f"the proxy {host}:{port}" if proxied else f"{host}:{port}")
            if isinstance(exc, StepTimeout):  # the attempt's time is up: no next address
                raise last from None
        if dial.cancelled:
            raise DialCancelled()
    assert last is not None, "getaddrinfo returned no address"
    raise last


def _tcp_failure(exc: Union[StepTimeout, OSError], where: str) -> DialError:
    """The error of a failed TCP connect to ``where`` (``host:port``, or ``the proxy ...``)."""
    where_ = where[:1].upper() + where[1:]
    if isinstance(exc, (StepTimeout, socket.timeout)):
        return _connect_failed(
            ErrorCode.NO_INTERNET,
            f"{where_} did not answer the TCP connect in time; check the network.",
        )
    if is_refused(exc.errno):
        return _connect_failed(
            ErrorCode.WEBSOCKET_ERROR,
            f"{where_} refused the connection (the server may be down).",
        )
    if is_unreachable(exc.errno):
        return _connect_failed(
            ErrorCode.NO_INTERNET, f"There is no route to {where}; check the network."
        )
    return _connect_failed(
        ErrorCode.WEBSOCKET_ERROR, f"Connecting to {where} failed (errno {exc.errno})."
    )
