"""``CometChatClient``: one app, one logged-in user, one real-time link.

A client is cheap to create: the constructor does no I/O and starts nothing, so a client
built at import time (in a pre-fork server's master, say) holds no socket and no thread. Its
first use in a process (any call but the pure getters) reads the stored session and, in
auto mode with a stored session, opens the link, as the official SDKs do on ``init``.

Thread safety: every public method may be called from any thread. ``disconnect()``,
``logout()``, ``close()`` and ``set_app_state()`` are also safe from inside a listener. The
blocking calls (``login``, ``logout``, ``connect``, ``disconnect``, ``ping``, REST calls) take
a timeout or use the one from the settings, and raise a typed error when it runs out.
"""

from __future__ import annotations

import atexit
import contextlib
import dataclasses
import logging
import os
import socket
import threading
import weakref
from dataclasses import replace
from types import TracebackType
from typing import Any
from typing import Callable
from typing import Optional

from . import _fork
from . import _validate as check
from ._run_forever import Ends
from ._run_forever import RunForeverAPI
from .connection.api import ConnectionAPI
from .connection.auth_frame import build_auth_frame
from .connection.dialler import WebSocketTransport
from .connection.manager import ConnectionManager
from .connection.reader import Renewal
from .connection.state import ConnectionStateChange
from .connection.state import ConnectionStatus
from .connection.state import DisconnectReason
from .connection.transport import Dial
from .connection.transport import DialCancelled
from .connection.transport import Transport
from .connection.transport import shutdown_socket
from .errors import CometChatException
from .errors import ErrorCode
from .errors import NotLoggedInError
from .events.delivery import Delivery
from .events.ledger import Conversation
from .events.listeners_api import ListenersAPI
from .events.outbound import LiveEventsAPI
from .listeners import LoginListener
from .models import BaseMessage
from .models import User
from .rest import auth
from .rest.admin import AdminAPI
from .rest.app import AppAPI
from .rest.blocking import BlockingAPI
from .rest.calls import CallsAPI
from .rest.conversations import ConversationsAPI
from .rest.discovery import ConversationDiscovery
from .rest.endpoints import Endpoints
from .rest.endpoints import conversation_path
from .rest.groups import GroupsAPI
from .rest.inflight import InflightSockets
from .rest.interactive import InteractiveAPI
from .rest.media import MediaAPI
from .rest.messages import MessagesAPI
from .rest.moderation import ModerationAPI
from .rest.pins import PinsAPI
from .rest.transport import RestClient
from .rest.users import UsersAPI
from .session import FileSessionStore
from .session import Session
from .session import SessionStore
from .session import new_resource_id
from .settings import AppSettings
from .settings import AppSettingsBuilder
from .stats import ClientStats

__all__ = ["CometChatClient"]

log = logging.getLogger(__name__)


class CometChatClient(
    ConnectionAPI,
    ListenersAPI,
    MediaAPI,
    MessagesAPI,
    ModerationAPI,
    InteractiveAPI,
    UsersAPI,
    GroupsAPI,
    CallsAPI,
    ConversationsAPI,
    BlockingAPI,
    AdminAPI,
    AppAPI,
    PinsAPI,
    LiveEventsAPI,
    RunForeverAPI,
):
    """One CometChat app, one logged-in user, one real-time link: the SDK's real object.

    Creating a client does no I/O and starts no thread. Its first use in a process (adding
    a listener, ``login``, ``connect``, a REST call, :meth:`run_forever`, ...) reads the
    session stored by an earlier run and, in auto mode, opens the link for it, as the
    official SDKs do on ``init``; a forked child starts afresh on its own first use. Every
    public method may be called from any thread;
    what each one does when called from inside a listener (on the dispatcher thread) is
    in its docstring or, for a family of calls, in its mixin's class docstring
    (:class:`~cometchat_sync.rest.base.ResourceAPI` for REST calls,
    :class:`~cometchat_sync.connection.api.ConnectionAPI`,
    :class:`~cometchat_sync.events.listeners_api.ListenersAPI`,
    :class:`~cometchat_sync.events.outbound.LiveEventsAPI`). Use it as a context manager
    to :meth:`close` it on exit.

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
        self._app_id = check.app_id(app_id)
        self._settings = settings if settings is not None else AppSettingsBuilder().build()
        if not isinstance(self._settings, AppSettings):
            raise CometChatException(
                ErrorCode.INVALID_PARAMETER, "settings must be built with AppSettingsBuilder."
            )
        s = self._settings
        self._store: SessionStore = s.session_store or FileSessionStore(
            app_id, directory=s.session_dir
        )
        store_app = getattr(self._store, "app_id", app_id)
        if store_app != app_id:
            raise CometChatException(
                ErrorCode.INVALID_PARAMETER,
                f"The session store belongs to the app {store_app!r}, not {app_id!r}.",
            )
        self._resource = new_resource_id()
        self._endpoints = Endpoints(app_id, s)
        self._rest = RestClient(
            app_id,
            self._resource,
            timeout=s.request_timeout,
            connect_timeout=s.connect_timeout,
            ca_bundle=s.ca_bundle,
            max_response_size=s.max_response_size,
            proxies=s.proxies,
        )
        self._lock = threading.RLock()
        self._login_busy = False
        # Read from the store on first use (see _check_fork), never here: the constructor
        # does no I/O.
        self._session: Optional[Session] = None
        self._session_loaded = False
        # The auth token of the session this client logged in, or resumed with login() of
        # the same user: the only one it revokes when another user logs in here.
        self._own_token: Optional[str] = None
        self._ignored_token: Optional[str] = None  # of a stored session of another server
        self._pid: Optional[int] = None  # the process that last used this client
        self._start_lock = threading.Lock()
        self._ends = Ends()
        # Catch-up calls in flight, ended at once by close() and logout().
        self._inflight = InflightSockets()

        self._delivery = Delivery(
            lambda: f"cometchat-dispatch-{self._thread_suffix()}",
            None,
            fetch=self._fetch_catch_up_page,
            max_queued_events=s.max_queued_events,
            retry_backoff=(s.reconnect_backoff_base, s.reconnect_backoff_cap),
        )
        # The catch-up also reads conversations new to this client (rest/discovery.py).
        self._discovery = ConversationDiscovery(
            self._list_messages_since, lambda: self._session.uid if self._session else None
        )
        self._discovery_session: Optional[Session] = None
        self._delivery.discover = self._discover_conversations
        self._typing_lock = threading.Lock()
        self._typing: set[tuple[str, str]] = set()

        self._connection = ConnectionManager(
            s,
            transport=transport or WebSocketTransport.for_settings(s),
            url=self._socket_url,
            auth_frame=self._auth_frame,
            logged_in=lambda: self._session is not None,
            thread_suffix=self._thread_suffix,
            on_change=self._on_state_change,
            on_error=self._on_connection_error,
            on_frames=self._on_frames,
            renew_credentials=self._renew_credentials,
            credentials_revoked=lambda _error: self._on_token_revoked(),
        )
        _CLIENTS.add(self)
        _fork.register(self)

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

        Logging in again as the stored user returns it without a network call, unless the
        server refused that session's socket credentials for good (even after renewing them
        with the auth token): then the stored session is logged out and replaced by a real
        login. Logging in as someone else first logs out a session this client logged in
        (one it only found in the store is dropped locally, never revoked). In auto mode
        ``login`` returns once the socket is authenticated or the connect timeout passed; a
        socket failure never makes it fail (connection listeners hear of it, and attempts go
        on). Login listeners hear ``on_login_success`` or ``on_login_failure``.

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
                (``ERR_UID_NOT_FOUND``, ``AUTH_ERR_APIKEY_NOT_FOUND``, ...), ``FAILED_TO_FETCH``
                for an answer without the user or its JWT; and the errors of every REST call
                (see :class:`~cometchat_sync.rest.base.ResourceAPI`).
        """
        self._check_fork()
        uid, auth_key, auth_token = check.login_args(uid, auth_key, auth_token)
        self._adopt_stored_session(uid, auth_token)
        with self._lock:
            if self._login_busy:
                raise CometChatException(
                    ErrorCode.LOGIN_IN_PROGRESS, "Another login is in progress."
                )
            current = self._session
            refused = self._connection.last_disconnect_reason is DisconnectReason.AUTH_REJECTED
            if (
                current is not None
                and not refused  # credentials refused for good: a real login replaces them
                and (
                    (uid is not None and current.uid == uid)
                    or (auth_token is not None and current.auth_token == auth_token)
                )
            ):
                user = auth.user_of(current)
                self._ensure_auto_link()
                return user
            self._login_busy = True
        try:
            if current is not None and current.auth_token == self._own_token:
                self._logout_before_switching()
            elif current is not None:
                # Found in the store, never taken up here: another process's session. It is
                # neither revoked nor cleared; the new login replaces it in the store.
                self._forget_session(DisconnectReason.LOGOUT, clear_stored=False)
                self._end_delivery(1.0)  # nothing of it reaches a listener now
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

    def _adopt_stored_session(self, uid: Optional[str], auth_token: Optional[str]) -> None:
        """With no user logged in here, reuse a session of the same user that another process
        (another worker of a web server) stored since this client read the store, instead of
        creating another auth token: N workers share one session and one token."""
        if self._session is not None:
            return
        stored = self._stored_session()
        if stored is None or not (
            (uid is not None and stored.uid == uid)
            or (auth_token is not None and stored.auth_token == auth_token)
        ):
            return
        with self._lock:
            if self._session is None and not self._login_busy:
                self._session = stored
                self._own_token = stored.auth_token
                self._delivery.ledger.reset(stored.uid)

    def _stored_session(self) -> Optional[Session]:
        """The session in the store, unless it was made for another server (another app,
        region, host or port, e.g. a new emulator): that one is not used, and not touched
        (one INFO line says so)."""
        stored = self._store.load()
        if stored is None or not stored.origin or stored.origin == self._endpoints.origin():
            return stored
        if self._ignored_token != stored.auth_token:
            self._ignored_token = stored.auth_token
            log.info(
                "the stored session of %s was made for another server; not using it", stored.uid
            )
        return None

    def _login(
        self, uid: Optional[str], auth_key: Optional[str], auth_token: Optional[str]
    ) -> User:
        session = auth.log_in(
            self._rest,
            self._endpoints,
            uid=uid,
            auth_key=auth_key,
            auth_token=auth_token,
            device_id=self._store.device_id(),
            resource=self._resource,
        )
        session = dataclasses.replace(session, origin=self._endpoints.origin())
        self._store.save(session)
        with self._lock:
            self._session = session
            self._own_token = session.auth_token
        self._delivery.ledger.reset(session.uid)
        log.info("logged in as %s", session.uid)
        return auth.user_of(session)

    def logout(self) -> None:
        """Log the user out: ``DELETE me`` on the server, then clear the local session, close
        the link and end the SDK threads, whatever the server said.

        Idempotent: with no user logged in it does nothing. The stored session is cleared
        only while it is still this one (another process sharing the session folder may
        have stored its own since; ``docs/sessions.md``). The local session is cleared
        even when this raises (for example ``ERR_NO_INTERNET``: the server could not be
        told). A server that no longer knows the auth token counts as success. Login
        listeners hear ``on_logout_success`` or ``on_logout_failure`` before the
        dispatcher thread ends (it starts again with the next event).

        Safe from any thread, including inside a listener: it never waits for the
        dispatcher thread; there it blocks that thread for the ``DELETE me`` call.

        Wire: https://www.cometchat.com/docs/sdk/javascript/authentication-overview.

        Raises:
            CometChatException: the server's code when it refuses the logout, and the errors
                of every REST call (see :class:`~cometchat_sync.rest.base.ResourceAPI`); the
                user is logged out locally all the same.
        """
        self._check_fork()
        with self._lock:
            session = self._session
        if session is None:
            return
        self._connection.drop(DisconnectReason.LOGOUT)
        error: Optional[CometChatException] = None
        try:
            auth.log_out(self._rest, self._endpoints, session)
        except CometChatException as exc:
            error = exc
        self._forget_session(DisconnectReason.LOGOUT)
        if error is not None:
            self._emit_login(LoginListener.on_logout_failure, (error,))
        else:
            self._emit_login(LoginListener.on_logout_success, ())
            log.info("logged out")
        # Listeners hear of the logout first; then the dispatcher ends too, and nothing of
        # this session reaches a listener any more.
        self._end_delivery(1.0)
        if error is not None:
            raise error

    def _logout_before_switching(self) -> None:
        """Another user logs in: the stored one goes first. The local session is cleared
        even if the server could not be told; that must not stop the new login."""
        try:
            self.logout()
        except CometChatException as exc:
            log.warning("logging the previous user out failed on the server (%s)", exc.code)

    def _forget_session(self, reason: DisconnectReason, *, clear_stored: bool = True) -> None:
        """Forget the session here; clear it from the store too (``clear_stored``), but only
        while the store still holds this very session: another process sharing the folder
        may have stored its own since."""
        with self._lock:
            session, self._session = self._session, None
        self._delivery.ledger.reset(None)
        with self._typing_lock:
            self._typing.clear()
        if clear_stored and session is not None:
            token = session.auth_token
            self._store.update(lambda stored: None if _same_token(stored, token) else stored)
        self._connection.close(reason)
        self._ends.note()

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
        return None if session is None else auth.user_of(session)

    # -- REST ----------------------------------------------------------------------------------

    def _on_token_revoked(self) -> None:
        log.warning("the auth token was revoked on the server; logging out locally")
        self._forget_session(DisconnectReason.TOKEN_REVOKED)
        self._emit_login(LoginListener.on_logout_success, ())

    def _renew_credentials(self, dial: Dial) -> tuple[Renewal, Optional[CometChatException]]:
        """On the reader thread, after the server refused the socket's credentials: a fresh
        JWT (with the user and settings) through ``GET me``, stored for the next run.
        ``dial.cancel()`` (``disconnect()``, ``logout()``, ``close()``) ends the call."""
        session = self._session
        if session is None:
            return Renewal.FAILED, NotLoggedInError()

        def cancellable(sock: socket.socket) -> None:
            with contextlib.suppress(DialCancelled):
                dial.attach(lambda: shutdown_socket(sock))
            if dial.cancelled:
                shutdown_socket(sock)

        try:
            fresh = auth.renew(self._rest, self._endpoints, session, on_socket=cancellable)
        except CometChatException as exc:
            return (Renewal.REVOKED if auth.is_token_refusal(exc) else Renewal.FAILED), exc
        with self._lock:
            if self._session is not session:  # logged out or switched meanwhile
                return Renewal.FAILED, CometChatException(
                    ErrorCode.WEBSOCKET_ERROR, "The session changed while it was renewed."
                )
            self._session = fresh
        self._store_own(fresh)
        log.info("renewed the socket's credentials of %s", fresh.uid)
        return Renewal.RENEWED, None

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

    def _note_current_user(self, user: User) -> None:
        with self._lock:
            session = self._session
            if session is None or session.uid != user.uid:
                return
            fresh = replace(session, user={**session.user, **user.to_json()})
            self._session = fresh
        self._store_own(fresh)

    def _store_own(self, fresh: Session) -> None:
        """Store ``fresh`` only over this client's own session: another process may have
        stored a newer one (another user's, or a new login) meanwhile."""
        self._store.update(
            lambda stored: fresh if _same_token(stored, fresh.auth_token) else stored
        )

    # -- shutdown ------------------------------------------------------------------------------

    def close(self, timeout: float = 2.0) -> None:
        """End the link and every SDK thread (each joined up to a share of ``timeout``) but
        keep the stored session, as a process that shuts down would. Safe from any thread,
        including inside a listener; a later call starts what it needs again.

        Events already queued (status changes, live events) are delivered while the
        dispatcher drains, within the budget; a catch-up under way is cancelled, its page in
        flight dropped. Once ``close()`` returns no listener is called for what happened
        before it. Pooled REST connections are released. Idempotent; also called when a
        ``with`` block ends and, with a one-second budget, at interpreter exit. It ends
        :meth:`run_forever`.

        Args:
            timeout: the most to wait for the threads, in seconds (default 2): six tenths
                for the reader and timer threads, four tenths for the dispatcher (which is
                never joined from itself).

        Raises:
            CometChatException: ``ERR_INVALID_PARAMETER`` when ``timeout`` is not a positive,
                finite number of seconds (nothing is closed then).
        """
        budget = check.seconds(timeout, "timeout")
        self._connection.close(DisconnectReason.CLOSED, budget * 0.6)
        self._end_delivery(budget * 0.4)
        self._rest.close()
        self._ends.note()

    def threads(self) -> list[threading.Thread]:
        """The SDK threads of this client that are alive (for tests and diagnostics).

        Returns:
            The reader, timer and dispatcher threads that are running (none before the
            first link or event, and normally none once :meth:`close` returned).
        """
        found = [*self._connection.threads(), self._delivery.dispatcher.thread]
        return [t for t in found if t is not None and t.is_alive()]

    def stats(self) -> ClientStats:
        """A snapshot of this client's connection and delivery figures, for monitoring.

        Cheap: no I/O, and only two short locks (the connection's and the queue's), so it is
        safe from any thread, including from inside a listener. The figures count from the
        creation of the client; see :class:`~cometchat_sync.stats.ClientStats` for each one.

        Returns:
            An immutable :class:`~cometchat_sync.stats.ClientStats`.
        """
        connection = self._connection.counters()
        return ClientStats.of(connection, self._delivery.counters())

    # -- fork ------------------------------------------------------------------------------------

    def after_fork_in_child(self) -> None:
        """Called by the SDK in a child process made by ``os.fork()``; apps never call it.

        Renews every lock, forgets the parent's threads, socket and pooled REST connections
        without closing them (closing would end the parent's link too); the child connects
        again lazily on its first call (auto mode).
        """
        self._lock = threading.RLock()
        self._start_lock = threading.Lock()
        self._ends.after_fork_in_child()
        self._typing_lock = threading.Lock()
        self._login_busy = False
        self._delivery.after_fork_in_child()
        self._connection.after_fork_in_child()
        self._rest.after_fork_in_child()
        self._inflight.after_fork_in_child()

    def _check_fork(self) -> None:
        """The first use of this client in this process (the first ever, or the first in a
        forked child): read the stored session once and, in auto mode with a session, start
        the link without waiting for it. Later calls return at once."""
        pid = os.getpid()
        if self._pid == pid:
            return
        with self._start_lock:
            if self._pid == pid:
                return
            if not self._session_loaded:
                session = self._stored_session()
                with self._lock:
                    if self._session is None:  # a login on another thread may have won
                        self._session = session
                        if session is not None:
                            self._delivery.ledger.reset(session.uid)
                    self._session_loaded = True
            self._pid = pid
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
        if change.current is ConnectionStatus.DISCONNECTED:
            self._discovery.link_lost()  # the next catch-up reads what the link missed
        self._delivery.state_change(change)

    def _on_connection_error(self, error: CometChatException) -> None:
        self._delivery.connection_error(error)

    def _emit_login(self, method: Callable[..., None], args: tuple[Any, ...]) -> None:
        self._delivery.login_event(method, args)

    def _on_frames(self, frames: list[dict[str, Any]]) -> None:
        session = self._session
        self._delivery.frames(frames, self._resource, session.uid if session else None)

    def _list_messages_since(self, sent_at: int, after: Optional[int], per_page: int) -> Any:
        """A page of the user's messages, every conversation, sent since ``sent_at`` (or
        after the message id ``after``), oldest first (dispatcher thread)."""
        params: dict[str, Any] = {"per_page": per_page, "affix": "append"}
        if after is None:
            params["sentAt"] = sent_at
        else:
            params["id"] = after
        return self._client_call(
            "GET", "messages", params=params, on_socket=self._inflight.track
        ).data

    def _discover_conversations(self, known: set[str]) -> list[Conversation]:
        """Dispatcher thread, in a catch-up: the conversations that received messages while
        the link was down and that the ledger does not follow (``known``); a failed look is
        made again at the next catch-up."""
        session = self._session
        if session is None:
            return []
        if session is not self._discovery_session:  # a new session: nothing was lost yet
            self._discovery.reset()
            self._discovery_session = session
        followed = self._delivery.ledger.conversations()
        floor = max((c.watermark for c in followed), default=0)  # the newest id seen
        try:
            found = self._discovery.discover(known, floor)
        except CometChatException as exc:
            log.warning("catch-up could not read what the link missed (%s)", exc.code)
            return []
        return [
            Conversation(d.receiver_type, d.receiver_id, d.after, d.conversation_id) for d in found
        ]

    def _fetch_catch_up_page(self, conversation: Conversation, after: int, per_page: int) -> Any:
        """One catch-up page (dispatcher thread): the conversation's messages after ``after``."""
        path = conversation_path(conversation.receiver_id, conversation.receiver_type)
        params = {"id": after, "affix": "append", "per_page": per_page}
        return self._client_call("GET", path, params=params, on_socket=self._inflight.track).data

    def _end_delivery(self, timeout: float) -> None:
        """End the session's delivery (see ``Delivery.end_session``), first ending a
        catch-up call in flight so the dispatcher is not held by a slow server."""
        self._inflight.abort()
        self._delivery.end_session(timeout)


def _same_token(stored: Optional[Session], token: str) -> bool:
    return stored is not None and stored.auth_token == token


# -- interpreter exit ---------------------------------------------

_CLIENTS: weakref.WeakSet[CometChatClient] = weakref.WeakSet()


def _close_all_at_exit() -> None:
    for client in list(_CLIENTS):
        with contextlib.suppress(Exception):
            client.close(timeout=1.0)


atexit.register(_close_all_at_exit)
