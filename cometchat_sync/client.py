"""``CometChatClient``: one app, one logged-in user, one real-time link.

A client is cheap to create and starts no thread until it has something to do: logging in
(auto mode), ``connect()`` (manual mode), or finding a stored session in auto mode, which
connects at once as the official SDKs do on ``init``.

Thread safety: every public method may be called from any thread. ``disconnect()``,
``logout()``, ``close()`` and ``set_app_state()`` are also safe from inside a listener. The
blocking calls (``login``, ``logout``, ``connect``, ``disconnect``, ``ping``, REST calls) take
a timeout or use the one from the settings, and raise a typed error when it runs out.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import ssl
import threading
import weakref
from types import TracebackType
from typing import Any, Callable, Optional, Union

from . import _fork
from . import _validate as check
from ._version import API_VERSION, __version__
from .connection.auth_frame import build_auth_frame
from .connection.dialler import WebSocketTransport
from .connection.manager import ConnectionManager
from .connection.state import AppState, ConnectionStateChange, ConnectionStatus, DisconnectReason
from .connection.transport import Transport
from .errors import CometChatException, ErrorCode, NotLoggedInError
from .events.delivery import Delivery
from .events.dispatcher import Executor
from .events.ledger import Conversation
from .events.outbound import LiveEventsAPI
from .events.registry import ErrorHook
from .listeners import (
    CallListener,
    ConnectionListener,
    GroupListener,
    LoginListener,
    MessageListener,
    UserListener,
)
from .models import BaseMessage, User
from .rest.calls import CallsAPI
from .rest.endpoints import Endpoints, conversation_path
from .rest.groups import GroupsAPI
from .rest.messages import MessagesAPI
from .rest.transport import RestClient, RestResponse
from .rest.users import UsersAPI
from .session import FileSessionStore, Session, SessionStore, new_resource_id
from .settings import AppSettings, AppSettingsBuilder

__all__ = ["CometChatClient"]

log = logging.getLogger(__name__)

_PLATFORM = "python"


class CometChatClient(MessagesAPI, UsersAPI, GroupsAPI, CallsAPI, LiveEventsAPI):
    """One CometChat app, one logged-in user, one real-time link: the SDK's real object.

    Creating a client does no network I/O and starts no thread, except that in auto mode
    a session stored by an earlier run is logged in again and its link opened at once, as
    the official SDKs do on ``init``. Every public method may be called from any thread;
    what each one does when called from inside a listener (on the dispatcher thread) is
    in its docstring. Use it as a context manager to :meth:`close` it on exit.

    Errors are :class:`~cometchat_sync.errors.CometChatException` with a ``code``: the
    SDK's own (``ErrorCode``) or, for REST calls, the server's
    (https://www.cometchat.com/docs/articles/error-guide).

    Args:
        app_id: the CometChat app id, a non-empty string without spaces or slashes.
        settings: built with :class:`~cometchat_sync.settings.AppSettingsBuilder`; defaults
            to region ``eu``, auto mode, the platform's session folder.
        transport: the socket transport (a test seam); defaults to websocket-client.

    Raises:
        CometChatException: ``MISSING_PARAMETERS`` for an empty ``app_id``;
            ``ERR_INVALID_PARAMETER`` for one with spaces or slashes, or ``settings`` not
            built with ``AppSettingsBuilder``.
    """

    def __init__(
        self,
        app_id: str,
        settings: Optional[AppSettings] = None,
        *,
        transport: Optional[Transport] = None,
    ) -> None:
        if not isinstance(app_id, str) or not app_id.strip():
            raise CometChatException(ErrorCode.MISSING_PARAMETERS, "The app id cannot be empty.")
        if any(c.isspace() or c in "/\\" for c in app_id):
            raise CometChatException(
                ErrorCode.INVALID_PARAMETER, "The app id must not contain spaces or slashes."
            )
        self._app_id = app_id
        self._settings = settings if settings is not None else AppSettingsBuilder().build()
        if not isinstance(self._settings, AppSettings):
            raise CometChatException(
                ErrorCode.INVALID_PARAMETER, "settings must be built with AppSettingsBuilder."
            )
        s = self._settings
        self._store: SessionStore = s.session_store or FileSessionStore(
            app_id, directory=s.session_dir
        )
        self._resource = new_resource_id()
        self._endpoints = Endpoints(app_id, s)
        self._rest = RestClient(
            app_id,
            self._resource,
            timeout=s.request_timeout,
            connect_timeout=s.connect_timeout,
            ca_bundle=s.ca_bundle,
        )
        self._lock = threading.RLock()
        self._login_busy = False
        self._session: Optional[Session] = self._store.load()
        self._pid = os.getpid()

        self._delivery = Delivery(
            lambda: f"cometchat-dispatch-{self._thread_suffix()}",
            self._session.uid if self._session else None,
        )
        self._typing_lock = threading.Lock()
        self._typing: set[tuple[str, str]] = set()

        if transport is None:
            context = None
            if s.ca_bundle or not s.insecure_transport:
                context = ssl.create_default_context(cafile=s.ca_bundle)
            transport = WebSocketTransport(ssl_context=context, max_frame_size=s.max_frame_size)
        self._connection = ConnectionManager(
            s,
            transport=transport,
            url=self._socket_url,
            auth_frame=self._auth_frame,
            logged_in=lambda: self._session is not None,
            thread_suffix=self._thread_suffix,
            on_change=self._on_state_change,
            on_error=self._on_connection_error,
            on_frames=self._on_frames,
        )
        _CLIENTS.add(self)
        _fork.register(self)
        if self._session is not None and s.auto_establish_socket_connection:
            self._connection.start()

    # -- identity ------------------------------------------------------------------------------

    @property
    def app_id(self) -> str:
        """The CometChat app id this client was created with."""
        return self._app_id

    @property
    def settings(self) -> AppSettings:
        """The (immutable) settings this client was created with."""
        return self._settings

    @property
    def resource(self) -> str:
        """This run's resource id (the socket's ``deviceId``, the REST ``resource`` header)."""
        return self._resource

    def __repr__(self) -> str:
        user = self._session.uid if self._session else None
        return (
            f"CometChatClient(app_id={self._app_id!r}, user={user!r}, "
            f"status={self._connection.status.value!r})"
        )

    def __enter__(self) -> CometChatClient:
        """Return the client; leaving the ``with`` block calls :meth:`close`."""
        return self

    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self.close()

    # -- login and logout ----------------------------------------------------------------------

    def login(
        self,
        uid: Optional[str] = None,
        auth_key: Optional[str] = None,
        *,
        auth_token: Optional[str] = None,
    ) -> User:
        """Log a user in and return it; in auto mode, also open the real-time link.

        Either ``login(uid, auth_key)`` (creates an auth token with the Auth Key, then logs
        in with it: fine for development; production apps create tokens on their server) or
        ``login(auth_token=...)``.

        Logging in again as the stored user returns it without a network call. Logging in
        as someone else logs the stored user out first. In auto mode ``login`` returns once
        the socket is authenticated or the connect timeout passed; a socket failure never
        makes it fail (connection listeners hear of it, and attempts go on). Login
        listeners hear ``on_login_success`` or ``on_login_failure``.

        On the wire: ``POST users/{uid}/auth_tokens`` on the admin API (with the Auth Key,
        only for ``login(uid, auth_key)``), then ``PUT me`` on the client API, which
        returns the user and the JWT the socket authenticates with. The session (auth
        token, user) is stored for the next run.

        Callable from any thread, including a listener; there it blocks the dispatcher
        thread (delaying later events) for the REST calls and, in auto mode, the wait for
        the socket (up to the connect timeout of the settings, 10 s by default).

        Wire: https://www.cometchat.com/docs/sdk/javascript/authentication-overview.

        Args:
            uid: the user's id (a non-empty string without spaces or ``/?#%``; CometChat
                stores uids in lower case, and so does this call), with ``auth_key``.
            auth_key: the app's Auth Key (a string), with ``uid``.
            auth_token: an auth token your server created for the user (a string);
                excludes ``uid`` and ``auth_key``.

        Returns:
            The logged-in user, with its auth token.

        Raises:
            CometChatException: ``MISSING_PARAMETERS`` or ``ERR_INVALID_PARAMETER`` for bad
                arguments, ``LOGIN_IN_PROGRESS`` while another login runs, the server's code
                (``ERR_UID_NOT_FOUND``, ``AUTH_ERR_APIKEY_NOT_FOUND``, ...), ``ERR_NO_INTERNET``
                when the server cannot be reached, ``FAILED_TO_FETCH`` for any other failed
                request or an answer without the user or its JWT.
            CometChatTimeoutError: ``ERR_TIMEOUT`` when a REST call gets no answer within
                the request timeout of the settings (30 s by default).
        """
        self._check_fork()
        uid, auth_key, auth_token = _check_login_args(uid, auth_key, auth_token)
        with self._lock:
            if self._login_busy:
                raise CometChatException(
                    ErrorCode.LOGIN_IN_PROGRESS, "Another login is in progress."
                )
            current = self._session
            if current is not None and (
                (uid is not None and current.uid == uid)
                or (auth_token is not None and current.auth_token == auth_token)
            ):
                user = _user_of(current)
                self._ensure_auto_link()
                return user
            self._login_busy = True
        try:
            if current is not None:
                self._logout_before_switching()
            user = self._login(uid, auth_key, auth_token)
        except CometChatException as exc:
            self._emit_login(LoginListener.on_login_failure, (exc,))
            raise
        finally:
            with self._lock:
                self._login_busy = False
        self._emit_login(LoginListener.on_login_success, (user,))
        if self._settings.auto_establish_socket_connection:
            self._connection.start(wait=self._settings.connect_timeout)
        return user

    def _login(
        self, uid: Optional[str], auth_key: Optional[str], auth_token: Optional[str]
    ) -> User:
        body = {
            "platform": _PLATFORM,
            "deviceId": self._store.device_id(),
            "appInfo": {"version": f"v{__version__}", "apiVersion": API_VERSION},
        }
        if auth_token is None:
            assert uid is not None and auth_key is not None
            created = self._rest.call(
                "POST",
                self._endpoints.admin_base() + f"users/{uid}/auth_tokens",
                api_key=auth_key,
                body=body,
            )
            data = created.data if isinstance(created.data, dict) else {}
            token = data.get("authToken")
            if not isinstance(token, str) or not token:
                raise CometChatException(
                    ErrorCode.FAILED_TO_FETCH, "The server returned no auth token."
                )
            auth_token = token
        me = self._rest.call(
            "PUT", self._endpoints.client_base() + "me", auth_token=auth_token, body=body
        )
        data = me.data if isinstance(me.data, dict) else {}
        jwt = data.get("jwt")
        server_settings = data.get("settings")
        if not isinstance(jwt, str) or not jwt or not isinstance(data.get("uid"), str):
            raise CometChatException(
                ErrorCode.FAILED_TO_FETCH, "The login answer lacks the user or its JWT."
            )
        token = data.get("authToken") if isinstance(data.get("authToken"), str) else auth_token
        user_json = {k: v for k, v in data.items() if k not in ("authToken", "jwt", "settings")}
        session = Session(
            uid=str(data["uid"]),
            auth_token=str(token),
            jwt=jwt,
            user=user_json,
            settings=server_settings if isinstance(server_settings, dict) else {},
            resource=self._resource,
        )
        self._store.save(session)
        with self._lock:
            self._session = session
        self._delivery.ledger.reset(session.uid)
        log.info("logged in as %s", session.uid)
        return _user_of(session)

    def logout(self) -> None:
        """Log the user out: ``DELETE me`` on the server, then clear the local session, close
        the link and end the SDK threads, whatever the server said.

        Idempotent: with no user logged in it does nothing. The local session is cleared
        even when this raises (for example ``ERR_NO_INTERNET``: the server could not be
        told). A server that no longer knows the auth token counts as success. Login
        listeners hear ``on_logout_success`` or ``on_logout_failure`` before the
        dispatcher thread ends (it starts again with the next event).

        Safe from any thread, including inside a listener: it never waits for the
        dispatcher thread; there it blocks that thread for the ``DELETE me`` call.

        Wire: https://www.cometchat.com/docs/sdk/javascript/authentication-overview.

        Raises:
            CometChatException: the server's code when it refuses the logout,
                ``ERR_NO_INTERNET`` when the server cannot be reached, ``FAILED_TO_FETCH``
                for any other failed request; the user is logged out locally all the same.
            CometChatTimeoutError: ``ERR_TIMEOUT`` when the server does not answer within
                the request timeout of the settings (30 s by default).
        """
        self._check_fork()
        with self._lock:
            session = self._session
        if session is None:
            return
        self._connection.drop(DisconnectReason.LOGOUT)
        error: Optional[CometChatException] = None
        try:
            self._rest.call("DELETE", self._client_base() + "me", auth_token=session.auth_token)
        except CometChatException as exc:
            if exc.code != ErrorCode.AUTH_TOKEN_NOT_FOUND:
                error = exc
        self._forget_session(DisconnectReason.LOGOUT)
        if error is not None:
            self._emit_login(LoginListener.on_logout_failure, (error,))
        else:
            self._emit_login(LoginListener.on_logout_success, ())
            log.info("logged out")
        # Listeners hear of the logout first; then the dispatcher ends too.
        self._delivery.stop(1.0)
        if error is not None:
            raise error

    def _logout_before_switching(self) -> None:
        """Another user logs in: the stored one goes first. The local session is cleared
        even if the server could not be told; that must not stop the new login."""
        try:
            self.logout()
        except CometChatException as exc:
            log.warning("logging the previous user out failed on the server (%s)", exc.code)

    def _forget_session(self, reason: DisconnectReason) -> None:
        with self._lock:
            self._session = None
        self._delivery.ledger.reset(None)
        with self._typing_lock:
            self._typing.clear()
        self._store.clear()
        self._connection.close(reason)

    def get_logged_in_user(self) -> Optional[User]:
        """Return the logged-in user from the stored session, or ``None``.

        No network I/O: the user is the one the server returned at login (with its auth
        token). Fast and safe from any thread, including inside a listener.

        Returns:
            The logged-in :class:`~cometchat_sync.models.User`, or ``None`` when no user
            is logged in.
        """
        self._check_fork()
        session = self._session
        return None if session is None else _user_of(session)

    # -- connection ----------------------------------------------------------------------------

    def get_connection_status(self) -> ConnectionStatus:
        """Return the status of the real-time link right now.

        ``connected`` means the server accepted the socket's ``auth`` frame, not merely
        that TCP is open. Fast and safe from any thread, including inside a listener
        (where it may already be ahead of the event being delivered).

        Wire: https://www.cometchat.com/docs/sdk/javascript/connection-status.

        Returns:
            A :class:`~cometchat_sync.ConnectionStatus` (a ``str`` enum equal to
            ``"connecting"``, ``"connected"``, ``"disconnected"`` or
            ``"featureThrottled"``).
        """
        self._check_fork()
        return self._connection.status

    @property
    def last_disconnect_reason(self) -> Optional[DisconnectReason]:
        """Why the link last went to ``disconnected`` (``None`` before the first time)."""
        return self._connection.last_disconnect_reason

    def wait_until_connected(self, timeout: float) -> None:
        """Block until the link is connected (e.g. after ``login`` in auto mode, or while
        it reconnects).

        Returns at once when already connected. Starts nothing: in manual mode call
        :meth:`connect` instead. Works inside a listener (the status is set by the reader
        thread, not the dispatcher) but blocks the dispatcher, delaying later events,
        until it returns.

        Args:
            timeout: the most to wait, in seconds (a positive number).

        Raises:
            CometChatTimeoutError: ``ERR_TIMEOUT`` when ``timeout`` runs out first.
            CometChatException: ``ERR_INVALID_PARAMETER`` when ``timeout`` is not a
                positive number.
        """
        self._check_fork()
        self._connection.wait_for(ConnectionStatus.CONNECTED, timeout)

    def wait_until_disconnected(self, timeout: float) -> None:
        """Block until the link is disconnected.

        Returns at once when already disconnected. Works inside a listener but blocks the
        dispatcher, delaying later events, until it returns.

        Args:
            timeout: the most to wait, in seconds (a positive number).

        Raises:
            CometChatTimeoutError: ``ERR_TIMEOUT`` when ``timeout`` runs out first.
            CometChatException: ``ERR_INVALID_PARAMETER`` when ``timeout`` is not a
                positive number.
        """
        self._check_fork()
        self._connection.wait_for(ConnectionStatus.DISCONNECTED, timeout)

    def connect(self, timeout: Optional[float] = None) -> None:
        """Open the real-time link and block until the server accepted it.

        Meant for manual mode; in auto mode it re-opens a link that ``disconnect()`` closed.
        A ``connect()`` that started the link and failed leaves it down (the app decides
        when to retry); calls made while another thread's ``connect()`` is in progress join
        that attempt.

        Works inside a listener (it waits on the reader thread, never on the dispatcher)
        but blocks the dispatcher, delaying later events, until it returns; prefer your
        own thread.

        Wire: https://www.cometchat.com/docs/sdk/javascript/managing-web-sockets-connections-manually.

        Args:
            timeout: the most to wait, in seconds (a positive number); defaults to the
                connect timeout of the settings plus one second (11 s by default).

        Raises:
            AlreadyConnectedError: ``ERROR_WEBSOCKETS_ALLREADY_IN_CONNECTED_STATE``.
            NotLoggedInError: ``ERR_NOT_LOGGED_IN``.
            CometChatException: ``ERR_NO_INTERNET`` (the network is unreachable),
                ``ERR_WEBSOCKET_ERROR`` (the socket could not be opened or authenticated,
                or ``disconnect()``/``logout()`` withdrew the attempt),
                ``ERR_INVALID_PARAMETER`` when ``timeout`` is not a positive number.
            CometChatTimeoutError: ``ERR_TIMEOUT`` when ``timeout`` runs out first.
        """
        self._check_fork()
        self._connection.connect(timeout)

    def disconnect(self, timeout: Optional[float] = None) -> None:
        """Close the real-time link and block until the status is ``disconnected``.

        Idempotent. No reconnection follows until ``connect()`` (or, in auto mode, the
        next return to the foreground). It never waits for a close handshake, so it is
        quick even on a dead network path.

        Safe from any thread, including inside a listener: it never waits for the
        dispatcher thread.

        Wire: https://www.cometchat.com/docs/sdk/javascript/managing-web-sockets-connections-manually.

        Args:
            timeout: the most to wait for the SDK's attempt in flight to stop, in seconds
                (a positive number; default 5).

        Raises:
            CometChatTimeoutError: ``ERR_TIMEOUT`` when the link is not down within
                ``timeout`` (it still goes down).
            CometChatException: ``ERR_INVALID_PARAMETER`` when ``timeout`` is not a
                positive number.
        """
        self._check_fork()
        self._connection.disconnect(timeout)

    def ping(self, timeout: Optional[float] = None) -> float:
        """Manual mode: ping the server, block for the pong, return the round trip (seconds).

        Sends ``{"action":"ping","ack":"true"}`` on the socket. In the background each
        successful ping re-arms the background deadline (30 s by default): ping more often
        than that to stay connected while in the background.

        Works inside a listener (it waits on the reader thread, never on the dispatcher)
        but blocks the dispatcher, delaying later events, until the pong; prefer your own
        thread.

        Wire: https://www.cometchat.com/docs/sdk/javascript/managing-web-sockets-connections-manually.

        Args:
            timeout: the most to wait for the pong, in seconds (a positive number);
                defaults to the pong timeout of the settings (3 s by default).

        Returns:
            The round trip in seconds.

        Raises:
            CometChatException: ``ERROR_PING_NOT_AVAILABLE`` in auto mode,
                ``NO_WEBSOCKET_CONNECTION`` when not connected, ``ERR_WEBSOCKET_ERROR`` if
                the link drops while waiting, ``ERR_INVALID_PARAMETER`` when ``timeout`` is
                not a positive number.
            NotLoggedInError: ``ERR_NOT_LOGGED_IN``.
            CometChatTimeoutError: ``ERR_TIMEOUT`` when no pong comes within ``timeout``.
        """
        self._check_fork()
        return self._connection.ping(timeout)

    def set_app_state(self, state: Union[AppState, str]) -> None:
        """Tell the SDK the app went to the background or came back to the foreground.

        Auto mode: going to the background drops the link at once; coming back opens it
        again. Manual mode: in the background the link stays but the SDK stops its own
        keepalive pings and disconnects after the background ping deadline (30 s by
        default) unless :meth:`ping` is called; back in the foreground keepalive resumes
        (a dropped link needs :meth:`connect`). Scripts that never call it stay in the
        foreground. It returns at once; connection listeners hear of any change.

        Safe from any thread, including inside a listener: it never waits.

        Wire: https://www.cometchat.com/docs/sdk/javascript/managing-web-sockets-connections-manually.

        Args:
            state: :class:`~cometchat_sync.AppState` ``FOREGROUND`` or ``BACKGROUND``, or
                its string value.

        Raises:
            CometChatException: ``ERR_INVALID_PARAMETER`` for any other value.
        """
        self._check_fork()
        try:
            app_state = AppState(state)
        except ValueError:
            raise CometChatException(
                ErrorCode.INVALID_PARAMETER, f"Unknown app state {state!r}."
            ) from None
        self._connection.set_app_state(app_state)

    @property
    def app_state(self) -> AppState:
        """The app state last told with :meth:`set_app_state` (``FOREGROUND`` at first)."""
        return self._connection.app_state

    def add_connection_listener(self, listener_id: str, listener: ConnectionListener) -> None:
        """Register a connection listener; the same id replaces the earlier one.

        It hears every status change once, in order (``on_state_change`` then
        ``on_connecting``/``on_connected``/``on_disconnected``/``on_feature_throttled``),
        and ``on_connection_error`` once per outage. Like every listener it is called on
        the dispatcher thread, one event at a time (or through the callback executor); an
        exception in it is logged and the next listener still runs.

        Safe from any thread, including inside a listener (registration is copy-on-write).

        Wire: https://www.cometchat.com/docs/sdk/javascript/connection-status.

        Args:
            listener_id: a non-empty string naming this registration.
            listener: a :class:`~cometchat_sync.ConnectionListener` (a subclass, or one
                built with callables as keyword arguments).

        Raises:
            CometChatException: ``MISSING_PARAMETERS`` for an empty ``listener_id``;
                ``ERR_INVALID_PARAMETER`` when ``listener`` is not a
                ``ConnectionListener``.
        """
        self._delivery.registry(ConnectionListener).add(listener_id, listener)

    def remove_connection_listener(self, listener_id: str) -> None:
        """Remove the connection listener registered under ``listener_id``.

        An unknown id is ignored. Safe from any thread, including inside a listener
        (itself included); an event already being delivered may still reach it.

        Args:
            listener_id: the id it was added with.
        """
        self._delivery.registry(ConnectionListener).remove(listener_id)

    def add_login_listener(self, listener_id: str, listener: LoginListener) -> None:
        """Register a login listener; the same id replaces the earlier one.

        It hears ``on_login_success``/``on_login_failure`` after each :meth:`login` and
        ``on_logout_success``/``on_logout_failure`` after each :meth:`logout` (also when
        the server no longer knows the auth token and the user is logged out locally).
        Like every listener it is called on the dispatcher thread, one event at a time (or
        through the callback executor); an exception in it is logged and the next listener
        still runs.

        Safe from any thread, including inside a listener (registration is copy-on-write).

        Wire: https://www.cometchat.com/docs/sdk/javascript/authentication-overview.

        Args:
            listener_id: a non-empty string naming this registration.
            listener: a :class:`~cometchat_sync.LoginListener` (a subclass, or one built
                with callables as keyword arguments).

        Raises:
            CometChatException: ``MISSING_PARAMETERS`` for an empty ``listener_id``;
                ``ERR_INVALID_PARAMETER`` when ``listener`` is not a ``LoginListener``.
        """
        self._delivery.registry(LoginListener).add(listener_id, listener)

    def remove_login_listener(self, listener_id: str) -> None:
        """Remove the login listener registered under ``listener_id``.

        An unknown id is ignored. Safe from any thread, including inside a listener
        (itself included); an event already being delivered may still reach it.

        Args:
            listener_id: the id it was added with.
        """
        self._delivery.registry(LoginListener).remove(listener_id)

    def add_message_listener(self, listener_id: str, listener: MessageListener) -> None:
        """Register a message listener; the same id replaces the earlier one.

        It hears messages received in real time (text, media, custom), edits, deletions,
        typing indicators, receipts, transient messages and reactions, and after a
        reconnection the messages missed meanwhile, each once and in order. Messages this
        client sent are not delivered back. Like every listener it is called on the
        dispatcher thread, one event at a time (or through the callback executor); an
        exception in it is logged and the next listener still runs.

        Safe from any thread, including inside a listener (registration is copy-on-write).

        Wire: https://www.cometchat.com/docs/sdk/javascript/receive-message.

        Args:
            listener_id: a non-empty string naming this registration.
            listener: a :class:`~cometchat_sync.MessageListener` (a subclass, or one built
                with callables as keyword arguments).

        Raises:
            CometChatException: ``MISSING_PARAMETERS`` for an empty ``listener_id``;
                ``ERR_INVALID_PARAMETER`` when ``listener`` is not a ``MessageListener``.
        """
        self._delivery.registry(MessageListener).add(listener_id, listener)

    def remove_message_listener(self, listener_id: str) -> None:
        """Remove the message listener registered under ``listener_id``.

        An unknown id is ignored. Safe from any thread, including inside a listener
        (itself included); an event already being delivered may still reach it.

        Args:
            listener_id: the id it was added with.
        """
        self._delivery.registry(MessageListener).remove(listener_id)

    def add_user_listener(self, listener_id: str, listener: UserListener) -> None:
        """Register a user listener; the same id replaces the earlier one.

        It hears presence: ``on_user_online`` and ``on_user_offline``. Like every listener
        it is called on the dispatcher thread, one event at a time (or through the
        callback executor); an exception in it is logged and the next listener still runs.

        Safe from any thread, including inside a listener (registration is copy-on-write).

        Wire: https://www.cometchat.com/docs/sdk/javascript/user-presence.

        Args:
            listener_id: a non-empty string naming this registration.
            listener: a :class:`~cometchat_sync.UserListener` (a subclass, or one built
                with callables as keyword arguments).

        Raises:
            CometChatException: ``MISSING_PARAMETERS`` for an empty ``listener_id``;
                ``ERR_INVALID_PARAMETER`` when ``listener`` is not a ``UserListener``.
        """
        self._delivery.registry(UserListener).add(listener_id, listener)

    def remove_user_listener(self, listener_id: str) -> None:
        """Remove the user listener registered under ``listener_id``.

        An unknown id is ignored. Safe from any thread, including inside a listener
        (itself included); an event already being delivered may still reach it.

        Args:
            listener_id: the id it was added with.
        """
        self._delivery.registry(UserListener).remove(listener_id)

    def add_group_listener(self, listener_id: str, listener: GroupListener) -> None:
        """Register a group listener; the same id replaces the earlier one.

        It hears membership changes in the groups the user belongs to: members joined,
        left, kicked, banned, unbanned, added, and scope changes. Like every listener it
        is called on the dispatcher thread, one event at a time (or through the callback
        executor); an exception in it is logged and the next listener still runs.

        Safe from any thread, including inside a listener (registration is copy-on-write).

        Wire: https://www.cometchat.com/docs/sdk/javascript/group-kick-ban-members (the
        group pages describe each event).

        Args:
            listener_id: a non-empty string naming this registration.
            listener: a :class:`~cometchat_sync.GroupListener` (a subclass, or one built
                with callables as keyword arguments).

        Raises:
            CometChatException: ``MISSING_PARAMETERS`` for an empty ``listener_id``;
                ``ERR_INVALID_PARAMETER`` when ``listener`` is not a ``GroupListener``.
        """
        self._delivery.registry(GroupListener).add(listener_id, listener)

    def remove_group_listener(self, listener_id: str) -> None:
        """Remove the group listener registered under ``listener_id``.

        An unknown id is ignored. Safe from any thread, including inside a listener
        (itself included); an event already being delivered may still reach it.

        Args:
            listener_id: the id it was added with.
        """
        self._delivery.registry(GroupListener).remove(listener_id)

    def add_call_listener(self, listener_id: str, listener: CallListener) -> None:
        """Register a call listener; the same id replaces the earlier one.

        It hears call signalling: incoming calls, outgoing calls accepted or rejected,
        incoming calls cancelled, calls ended. Like every listener it is called on the
        dispatcher thread, one event at a time (or through the callback executor); an
        exception in it is logged and the next listener still runs.

        Safe from any thread, including inside a listener (registration is copy-on-write).

        Wire: https://www.cometchat.com/docs/calls/v4/javascript/ringing.

        Args:
            listener_id: a non-empty string naming this registration.
            listener: a :class:`~cometchat_sync.CallListener` (a subclass, or one built
                with callables as keyword arguments).

        Raises:
            CometChatException: ``MISSING_PARAMETERS`` for an empty ``listener_id``;
                ``ERR_INVALID_PARAMETER`` when ``listener`` is not a ``CallListener``.
        """
        self._delivery.registry(CallListener).add(listener_id, listener)

    def remove_call_listener(self, listener_id: str) -> None:
        """Remove the call listener registered under ``listener_id``.

        An unknown id is ignored. Safe from any thread, including inside a listener
        (itself included); an event already being delivered may still reach it.

        Args:
            listener_id: the id it was added with.
        """
        self._delivery.registry(CallListener).remove(listener_id)

    def set_callback_executor(self, executor: Optional[Executor]) -> None:
        """Run listener calls through ``executor(callable)`` (e.g. onto a GUI main loop)
        instead of directly on the dispatcher thread. ``None`` restores the default.

        The dispatcher thread calls ``executor`` once per event with a zero-argument
        callable that calls the listeners; the SDK's own bookkeeping stays on the
        dispatcher thread. ``executor`` should hand the callable over and return quickly
        (e.g. ``root.after(0, fn)`` in Tkinter). Takes effect for the next event; safe
        from any thread, including inside a listener.

        Args:
            executor: a callable taking one zero-argument callable, or ``None``.

        Raises:
            CometChatException: ``ERR_INVALID_PARAMETER`` when ``executor`` is neither
                callable nor ``None``.
        """
        if executor is not None and not callable(executor):
            raise CometChatException(ErrorCode.INVALID_PARAMETER, "executor must be callable.")
        self._delivery.executor = executor

    def set_listener_error_hook(self, hook: Optional[ErrorHook]) -> None:
        """Set the function called when a listener raises; ``None`` removes it.

        ``hook(exception, listener, method_name)`` is called right after the exception is
        logged (with its traceback) on the thread that ran the listener; the next listener
        still runs. An exception raised by the hook itself is logged and ignored. Takes
        effect for the next event; safe from any thread, including inside a listener.

        Args:
            hook: a callable ``(BaseException, listener, str) -> None``, or ``None``.
        """
        self._delivery.error_hook = hook

    # -- REST ----------------------------------------------------------------------------------

    def _client_base(self) -> str:
        session = self._session
        return self._endpoints.client_base(session.settings if session else None)

    def _client_call(
        self,
        method: str,
        path: str,
        *,
        body: Optional[dict[str, Any]] = None,
        params: Optional[dict[str, Any]] = None,
    ) -> RestResponse:
        self._check_fork()
        session = self._session
        if session is None:
            raise NotLoggedInError()
        try:
            return self._rest.call(
                method,
                self._endpoints.client_base(session.settings) + path,
                auth_token=session.auth_token,
                body=body,
                params=params,
            )
        except CometChatException as exc:
            if exc.code == ErrorCode.AUTH_TOKEN_NOT_FOUND and self._session is session:
                # The server no longer knows the token: log out locally, as the official
                # SDKs do.
                log.warning("the auth token was revoked on the server; logging out locally")
                self._forget_session(DisconnectReason.LOGOUT)
                self._emit_login(LoginListener.on_logout_success, ())
            raise

    def _socket_send(self, frame: dict[str, Any]) -> None:
        self._check_fork()
        session = self._session
        if session is None:
            raise NotLoggedInError()
        envelope = {"appId": self._app_id, "deviceId": self._resource, "sender": session.uid}
        envelope.update(frame)
        self._connection.send(envelope)

    def _note_sent(self, message: BaseMessage) -> None:
        self._delivery.ledger.note_sent(message)

    def _note_own_action(self, message_id: int, action: str) -> None:
        self._delivery.ledger.note_own_action(message_id, action)

    # -- shutdown ------------------------------------------------------------------------------

    def close(self, timeout: float = 2.0) -> None:
        """End the link and every SDK thread (each joined up to a share of ``timeout``) but
        keep the stored session, as a process that shuts down would. Safe from any thread,
        including inside a listener; a later call starts what it needs again.

        Events already queued are delivered before the dispatcher thread ends; pooled REST
        connections are released. Idempotent; also called when a ``with`` block ends and,
        with a one-second budget, at interpreter exit.

        Args:
            timeout: the most to wait for the threads, in seconds (default 2): six tenths
                for the reader and timer threads, four tenths for the dispatcher (which is
                never joined from itself).
        """
        self._connection.close(DisconnectReason.CLOSED, timeout * 0.6)
        self._delivery.stop(timeout * 0.4)
        self._rest.close()

    def threads(self) -> list[threading.Thread]:
        """The SDK threads of this client that are alive (for tests and diagnostics).

        Returns:
            The reader, timer and dispatcher threads that are running (none before the
            first link or event, and normally none once :meth:`close` returned).
        """
        found = [*self._connection.threads(), self._delivery.dispatcher.thread]
        return [t for t in found if t is not None and t.is_alive()]

    # -- fork ------------------------------------------------------------------------------------

    def after_fork_in_child(self) -> None:
        """Called by the SDK in a child process made by ``os.fork()``; apps never call it.

        Renews every lock, forgets the parent's threads, socket and pooled REST connections
        without closing them (closing would end the parent's link too); the child connects
        again lazily on its first call (auto mode).
        """
        self._lock = threading.RLock()
        self._typing_lock = threading.Lock()
        self._login_busy = False
        self._delivery.after_fork_in_child()
        self._connection.after_fork_in_child()
        self._rest.after_fork_in_child()

    def _check_fork(self) -> None:
        """In a forked child, reconnect lazily on first use (auto mode)."""
        if self._pid == os.getpid():
            return
        self._pid = os.getpid()
        if self._session is not None and self._settings.auto_establish_socket_connection:
            self._connection.start()

    # -- socket plumbing -------------------------------------------------------------------------

    def _thread_suffix(self) -> str:
        session = self._session
        return session.uid if session is not None else "anonymous"

    def _socket_url(self) -> str:
        session = self._session
        return self._endpoints.websocket_url(session.settings if session else None)

    def _auth_frame(self) -> Optional[str]:
        session = self._session
        if session is None:
            return None
        return build_auth_frame(
            self._app_id, session, self._settings, self._resource, self._store.device_id()
        )

    def _ensure_auto_link(self) -> None:
        if (
            self._settings.auto_establish_socket_connection
            and self._connection.status is ConnectionStatus.DISCONNECTED
        ):
            self._connection.start()

    # -- feeding delivery --------------------------------------------------------------------

    def _on_state_change(self, change: ConnectionStateChange) -> None:
        self._delivery.state_change(change, self._catch_up)

    def _on_connection_error(self, error: CometChatException) -> None:
        self._delivery.connection_error(error)

    def _emit_login(self, method: Callable[..., None], args: tuple[Any, ...]) -> None:
        self._delivery.login_event(method, args)

    def _on_frames(self, frames: list[dict[str, Any]]) -> None:
        session = self._session
        self._delivery.frames(frames, self._resource, session.uid if session else None)

    def _catch_up(self) -> None:
        session = self._session
        if session is None:
            return

        def fetch(conversation: Conversation, after: int, per_page: int) -> Any:
            path = conversation_path(conversation.receiver_id, conversation.receiver_type)
            params = {"id": after, "affix": "append", "per_page": per_page}
            return self._client_call("GET", path, params=params).data

        self._delivery.catch_up(fetch, session.uid, lambda: self._session is session)


# -- helpers ---------------------------------------------------------------------------------


def _user_of(session: Session) -> User:
    return User.from_json(session.user).with_auth_token(session.auth_token)


def _check_login_args(
    uid: Optional[str], auth_key: Optional[str], auth_token: Optional[str]
) -> tuple[Optional[str], Optional[str], Optional[str]]:
    if auth_token is not None:
        if uid is not None or auth_key is not None:
            raise CometChatException(
                ErrorCode.INVALID_PARAMETER,
                "Call login(uid, auth_key) or login(auth_token=...), not both.",
            )
        if not isinstance(auth_token, str) or not auth_token.strip():
            raise CometChatException(
                ErrorCode.MISSING_PARAMETERS, "The auth token cannot be empty."
            )
        return None, None, auth_token
    if uid is None:
        raise CometChatException(
            ErrorCode.MISSING_PARAMETERS, "login() needs a uid and an auth key, or an auth token."
        )
    checked = check.identifier(uid, "uid").lower()
    if not isinstance(auth_key, str) or not auth_key.strip():
        raise CometChatException(
            ErrorCode.MISSING_PARAMETERS, "login(uid, auth_key) needs the app's Auth Key."
        )
    return checked, auth_key, None


# -- interpreter exit ---------------------------------------------

_CLIENTS: weakref.WeakSet[CometChatClient] = weakref.WeakSet()


def _close_all_at_exit() -> None:
    for client in list(_CLIENTS):
        with contextlib.suppress(Exception):
            client.close(timeout=1.0)


atexit.register(_close_all_at_exit)
