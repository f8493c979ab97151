"""A local, faithful CometChat: REST client + admin API and the WebSocket protocol.

:class:`Emulator` is the public face: it binds the two ports, runs the listeners, and exposes
the fault hooks and inspection helpers tests use. The app itself lives in a
:class:`~._backend.Backend` (one store, one :class:`~._hooks.Hooks`, one service per domain).
Needs the ``cometchat-sync[emulator]`` extra (``websockets``). It does not import the SDK's
client code. See ``docs/emulator.md``.
"""

from __future__ import annotations

import logging
import socket
import ssl
import threading
from typing import Any
from typing import Callable
from typing import Optional
from typing import Union

from .._extra import missing_emulator_extra

try:
    from websockets.sync.server import Server
except ImportError as exc:  # the optional extra is not installed
    raise missing_emulator_extra(exc) from exc

from .._service import LocalService
from ._backend import Backend
from ._chat_controls import ChatControls
from ._extensions import ExtensionCall
from ._extensions import ExtensionHandler
from ._hooks import Hooks
from ._media import media_of
from ._net import Listener
from ._net import abort_socket
from ._net import bind_listener
from ._peer import Outbox
from ._peer import Peer
from ._peer import deliver
from ._records import JSON
from ._records import ApiError
from ._records import AppRec
from ._rest import RestApp
from ._rest import serve_http_connection
from ._ws import AUTH_FAILED_CODE
from ._ws import AUTH_TIMEOUT_CODE
from ._ws import make_ws_server

__all__ = ["AUTH_FAILED_CODE", "AUTH_TIMEOUT_CODE", "ApiError", "Emulator", "ExtensionCall"]

log = logging.getLogger(__name__)

_UNSENDABLE_CLOSE_CODES = (1004, 1005, 1006, 1015)


class Emulator(LocalService, ChatControls):
    """A local CometChat app: REST (client + admin API, one port) and WebSocket (second port).

    Use it as a context manager, or call :meth:`start` / :meth:`stop`. ``stop()`` followed by
    ``start()`` on the same object is a server restart: same ports, same users, tokens, JWTs,
    messages and groups.

    The users ``superhero1`` … ``superhero5`` exist from the start, as in a new CometChat app.

    WebSocket auth: the first frame must be ``auth`` carrying a JWT this emulator issued (from
    ``PUT/GET me`` or ``POST me/jwt``) and has not revoked (``DELETE me`` revokes a token's
    JWTs). Otherwise, or while :meth:`reject_auth` is on, the socket is closed with code
    **4001** (``AUTH_FAILED_CODE``), reason ``"AUTH_FAILED"``: "auth rejected, do not retry".
    No first frame within ``auth_timeout`` seconds closes it with **1008** reason
    ``"AUTH_TIMEOUT"``.

    ``stop()`` is a crash: every live socket is ``shutdown(SHUT_RDWR)`` with no close frame,
    both listeners stop, and every thread the emulator started is joined (in well under 1 s).

    Args:
        host: address to bind (and to advertise; ``0.0.0.0``/``::`` advertise loopback).
        port: REST port (0 = pick a free one; kept across restarts).
        ws_port: WebSocket port (0 = pick a free one; kept across restarts).
        app_id: the app's id.
        region: the app's region.
        auth_key: the app's Auth Key, also accepted as the admin apiKey.
        certfile: a PEM certificate chain: serve both ports over TLS (https / wss).
        keyfile: the PEM private key, when ``certfile`` does not hold it.
        auth_timeout: seconds a new socket has to send its ``auth`` frame.
        close_timeout: seconds a server-initiated close waits for the client's close frame.
    """

    def __init__(  # noqa: PLR0917 (the documented positional signature)
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        ws_port: int = 0,
        app_id: str = "cometchat-emulator",
        region: str = "eu",
        auth_key: str = "emulator-auth-key",
        certfile: Optional[str] = None,
        keyfile: Optional[str] = None,
        *,
        auth_timeout: float = 5.0,
        close_timeout: float = 1.0,
    ) -> None:
        self._host = host
        self._port = port
        self._ws_port = ws_port
        self._certfile = certfile
        self._keyfile = keyfile
        self._auth_timeout = auth_timeout
        self._close_timeout = close_timeout
        public_host = "127.0.0.1" if host in ("", "0.0.0.0") else host
        if host == "::":
            public_host = "::1"
        app = AppRec(app_id, region, auth_key, public_host=public_host, tls=certfile is not None)
        self._backend = Backend.create(app)
        self._app = app
        self._hooks = self._backend.hooks
        self._lifecycle = threading.Lock()
        self._stop_event = threading.Event()
        self._http: Optional[Listener] = None
        self._ws: Optional[Listener] = None
        self._ws_server: Optional[Server] = None
        self._closers: set[threading.Thread] = set()
        self._closers_lock = threading.Lock()

    # ------------------------------------------------------------------ lifecycle

    def _ssl_context(self) -> Optional[ssl.SSLContext]:
        if self._certfile is None:
            return None
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(self._certfile, self._keyfile)
        return ctx

    def start(self) -> Emulator:
        """Bind both ports (the previous ones after a stop) and serve. Returns ``self``."""
        with self._lifecycle:
            if self._http is not None:
                return self
            ctx = self._ssl_context()
            http_sock = bind_listener(self._host, self._port)
            try:
                ws_sock = bind_listener(self._host, self._ws_port)
            except BaseException:
                http_sock.close()
                raise
            self._port = http_sock.getsockname()[1]
            self._ws_port = ws_sock.getsockname()[1]
            backend = self._backend
            with backend.store.lock:
                self._app.http_port = self._port
                self._app.ws_port = self._ws_port
            backend.realtime.open()
            self._stop_event.clear()
            app = RestApp(backend, self._stop_event)
            self._ws_server = make_ws_server(
                backend.realtime, ws_sock, self._auth_timeout, self._close_timeout
            )
            self._http = Listener(
                http_sock, "cometchat-emulator-http", serve_http_connection(app), ctx
            )
            self._ws = Listener(ws_sock, "cometchat-emulator-ws", self._ws_server.handler, ctx)
            self._http.start()
            self._ws.start()
            return self

    def stop(self) -> None:
        """Crash-stop: abort every socket, stop both listeners, join every thread. Idempotent."""
        with self._lifecycle:
            http, ws, server = self._http, self._ws, self._ws_server
            if http is None or ws is None:
                return
            self._http = self._ws = self._ws_server = None
            # Refuse new sockets and forget the live ones (no offline presence during a crash).
            self._backend.realtime.close_all()
            media_of(self._backend.store).close()  # uploaded files: removed
            self._stop_event.set()  # wakes REST handlers sleeping on set_request_delay()
            stragglers = ws.stop() + http.stop()
            if server is not None:
                # We run our own accept loop, so close what websockets' serve_forever() would
                # (attributes differ across websockets versions).
                socket_closed = getattr(server, "socket_closed", None)
                if isinstance(socket_closed, threading.Event):
                    socket_closed.set()
                for attr in ("shutdown_watcher", "shutdown_notifier"):
                    pair_end = getattr(server, attr, None)
                    if isinstance(pair_end, socket.socket):
                        pair_end.close()
            with self._closers_lock:
                closers, self._closers = self._closers, set()
            for thread in closers:
                thread.join(1.0)
            for thread in stragglers:
                log.warning("emulator thread %s did not stop in time", thread.name)

    @property
    def running(self) -> bool:
        return self._http is not None

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<Emulator {self.app_id} {state} rest={self.client_host} ws={self.ws_url}>"

    # ------------------------------------------------------------------ addresses

    @property
    def app_id(self) -> str:
        return self._app.app_id

    @property
    def region(self) -> str:
        return self._app.region

    @property
    def auth_key(self) -> str:
        """The Auth Key; also accepted as the admin ``apiKey``."""
        return self._app.auth_key

    @property
    def port(self) -> int:
        return self._port

    @property
    def ws_port(self) -> int:
        return self._ws_port

    @property
    def tls(self) -> bool:
        return self._app.tls

    @property
    def hooks(self) -> Hooks:
        """The fault switches and test knobs, as set by the methods below (read them only)."""
        return self._hooks

    def _url_host(self) -> str:
        host = self._app.public_host
        return f"[{host}]" if ":" in host else host

    @property
    def client_host(self) -> str:
        """``http://127.0.0.1:PORT`` (``https://`` with TLS), for ``override_client_host()``."""
        scheme = "https" if self.tls else "http"
        return f"{scheme}://{self._url_host()}:{self._port}"

    @property
    def admin_host(self) -> str:
        """Same server as :attr:`client_host` (client and admin API share one port)."""
        return self.client_host

    @property
    def ws_url(self) -> str:
        """``ws://127.0.0.1:WSPORT`` (``wss://`` with TLS)."""
        scheme = "wss" if self.tls else "ws"
        return f"{scheme}://{self._url_host()}:{self._ws_port}"

    def settings(self) -> JSON:
        """The settings object ``GET settings`` and the login answer carry right now."""
        return self._backend.users.settings()

    # ------------------------------------------------------------------ fault hooks

    def reject_auth(self, flag: bool) -> None:
        """While on, every WebSocket ``auth`` frame is answered with close 4001 "AUTH_FAILED"."""
        self._hooks.reject_auth = flag

    def expire_jwt(self, uid: Optional[str] = None) -> int:
        """Expire every JWT issued so far to ``uid`` (every user's when ``None``), as time
        would: a socket that authenticates with one from now on is closed with 4001
        "AUTH_FAILED"; open sockets stay open, and the auth tokens stay valid, so ``GET me``
        or ``POST me/jwt`` still issue fresh JWTs. Returns how many JWTs expired."""
        return self._backend.users.expire_jwts(uid)

    def revoke_auth_token(self, uid: str) -> int:
        """Revoke every auth token of ``uid`` (and their JWTs), as an admin deleting them
        would: REST calls with one answer 401 ``AUTH_ERR_AUTH_TOKEN_NOT_FOUND`` and sockets
        authenticating with their JWTs are closed with 4001. Open sockets stay open. Returns
        how many tokens were revoked."""
        return self._backend.users.revoke_tokens(uid)

    def drop_pongs(self, flag: bool) -> None:
        """While on, ``{"action":"ping"}`` frames get no ``pong`` (they are still recorded)."""
        self._hooks.drop_pongs = flag

    def close_sockets(self, uid: str, code: int = 1011, reason: str = "") -> int:
        """Close every socket of ``uid`` with ``code``/``reason``; returns how many.

        The sockets leave :meth:`socket_count` at once (with ``offline`` presence for
        subscribers); the close frame goes out in the background. ``code=1006`` sends no close
        frame: the TCP connection is aborted, like a crash of that one link.
        """
        realtime = self._backend.realtime
        peers = realtime.peers_of(uid)
        outbox: Outbox = []
        for peer in peers:
            outbox += realtime.unregister(peer)
        deliver(outbox)
        for peer in peers:
            self._close_in_background(peer, code, reason)
        return len(peers)

    def _close_in_background(self, peer: Peer, code: int, reason: str) -> None:
        conn = peer.conn

        def run() -> None:
            try:
                if code in _UNSENDABLE_CLOSE_CODES:
                    abort_socket(getattr(conn, "socket", None))
                else:
                    conn.close(code, reason)
            except Exception as exc:
                log.debug("closing a socket failed: %r", exc)
                abort_socket(getattr(conn, "socket", None))

        thread = threading.Thread(target=run, name="cometchat-emulator-close", daemon=True)
        with self._closers_lock:
            # Kept until stop() joins them, so none is still winding down after stop().
            self._closers = {t for t in self._closers if t.is_alive()}
            self._closers.add(thread)
        thread.start()

    def fail_next_request(
        self, code: str, status: int = 500, message: Optional[str] = None
    ) -> None:
        """The next REST call (any path) answers this error instead. Calls queue up."""
        self._hooks.failures.append(ApiError(status, code, message or f"Injected failure {code}."))

    def set_request_delay(self, seconds: float) -> None:
        """Every REST answer waits this long first (0 = none); ``stop()`` cuts the wait."""
        self._hooks.request_delay = max(0.0, float(seconds))

    def advertise_ws(self, host: Optional[str], port: Optional[int] = None) -> None:
        """Settings handed out from now point ``CHAT_HOST``/``CHAT_WSS_PORT``/``CHAT_WS_PORT``
        at ``host:port`` (e.g. a fault proxy); ``advertise_ws(None)`` restores the real port."""
        if host is None:
            self._hooks.advertised = None
        else:
            if port is None:
                raise ValueError("advertise_ws(host, port) needs a port")
            self._hooks.advertised = (host, int(port))

    def set_mode(self, mode: str) -> None:
        """The ``MODE`` setting: ``DEFAULT``, ``LIMITED_TRANSIENT`` or ``NO_TRANSIENT``."""
        self._hooks.mode = mode

    def set_extensions(self, extensions: list[JSON]) -> None:
        """The ``extensions`` list the settings carry from now on: each a dict with at least
        an ``id`` (``{"id": "polls", "name": "Polls", "version": "v2"}``); ``[]`` (the
        default) enables none. ``ValueError`` for an item without a string ``id``."""
        self._backend.extensions.set_items(extensions)

    def set_feature_parameters(self, parameters: JSON) -> None:
        """The ``parameters`` (feature name -> value) the settings carry from now on."""
        self._backend.extensions.set_parameters(parameters)

    def handle_extension(self, slug: str, handler: ExtensionHandler) -> None:
        """What the extension ``slug`` answers while it is enabled (:meth:`set_extensions`):
        ``handler(call)`` gets an :class:`~._extensions.ExtensionCall` (caller uid, method,
        endpoint, JSON body, query) and returns the answer's ``data``, or raises
        :class:`ApiError`. It runs on a REST thread of the emulator, outside its lock. The
        emulator serves extensions at ``extensions/{slug}/{endpoint}`` of its REST port."""
        self._backend.extensions.set_handler(slug, handler)

    def push_raw(self, uid: str, data: Union[str, bytes], resource: Optional[str] = None) -> int:
        """Send ``data`` as one text (str) or binary (bytes) frame to every socket of ``uid``
        (only those authenticated with ``resource``, if given); returns how many."""
        peers = [
            p
            for p in self._backend.realtime.peers_of(uid)
            if resource is None or p.resource == resource
        ]
        deliver([(peers, data)])
        return len(peers)

    # ------------------------------------------------------------------ inspection

    def socket_count(self, uid: str) -> int:
        """Open authenticated sockets of ``uid``."""
        return len(self._backend.realtime.peers_of(uid))

    def auth_count(self, uid: str) -> int:
        """Successful socket auths of ``uid`` so far (counts reconnects)."""
        return self._backend.realtime.auth_count(uid)

    def request_count(self) -> int:
        """REST requests received so far (counted on arrival, before any delay or failure)."""
        store = self._backend.store
        with store.lock:
            return store.rest_requests

    def frames_from(self, uid: str) -> list[JSON]:
        """Every parsed frame received from ``uid``'s sockets, oldest first (auth and pings
        included). The auth frames carry JWTs: do not print them."""
        return self._backend.realtime.frames_of(uid)

    def wait_for_sockets(self, uid: str, count: int, timeout: float = 5.0) -> bool:
        """Wait until ``uid`` has exactly ``count`` open authenticated sockets."""
        return self._backend.store.wait_until(lambda: self.socket_count(uid) == count, timeout)

    def wait_until(self, predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
        """Wait until ``predicate()`` is true, re-checking on every emulator state change
        (sockets, auths, received frames, messages). ``False`` on timeout."""
        return self._backend.store.wait_until(predicate, timeout)

    def wait_for_frame(
        self,
        uid: str,
        predicate: Callable[[JSON], bool],
        timeout: float = 5.0,
        start: int = 0,
    ) -> Optional[JSON]:
        """The first frame from ``uid`` (at index >= ``start``) matching ``predicate``, waiting
        up to ``timeout``; ``None`` if none came."""
        found: list[JSON] = []

        def check() -> bool:
            for frame in self._backend.realtime.frames_of(uid)[start:]:
                if predicate(frame):
                    found.append(frame)
                    return True
            return False

        return found[0] if self._backend.store.wait_until(check, timeout) else None

    # ------------------------------------------------------------------ data helpers

    def create_user(self, uid: str, name: str, role: str = "default", **fields: Any) -> JSON:
        """Create a user as the admin API would; returns its JSON."""
        return self._backend.users.create_user({"uid": uid, "name": name, "role": role, **fields})

    def create_auth_token(self, uid: str) -> str:
        """Issue an auth token for ``uid`` as ``POST users/{uid}/auth_tokens`` would."""
        token: str = self._backend.users.create_auth_token(uid)["authToken"]
        return token

    def token_of(self, uid: str) -> Optional[str]:
        """The newest valid auth token of ``uid`` (for tests; never print it)."""
        return self._backend.users.latest_token(uid)

    def send_message(
        self,
        sender_uid: str,
        receiver_id: str,
        text: str,
        receiver_type: str = "user",
        resource: Optional[str] = None,
    ) -> JSON:
        """A text message as if ``sender_uid`` had sent it over REST (``resource`` = its
        ``resource`` header); fanned out the same way. Returns the message JSON."""
        body = {
            "receiver": receiver_id,
            "receiverType": receiver_type,
            "category": "message",
            "type": "text",
            "data": {"text": text},
        }
        msg, outbox = self._backend.messages.send(sender_uid.lower(), resource, body)
        deliver(outbox)
        return msg

    def messages(self) -> list[JSON]:
        """Every stored message (actions and calls included), oldest first."""
        return self._backend.messages.stored()
