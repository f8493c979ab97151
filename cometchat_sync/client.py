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
import logging
import os
import threading
import time
import weakref
from types import TracebackType
from typing import Any
from typing import Callable
from typing import Optional

from . import _engine
from . import _fork
from . import _validate as check
from ._run_forever import Ends
from ._run_forever import RunForeverAPI
from .connection.api import ConnectionAPI
from .connection.auth_frame import build_auth_frame
from .connection.dialler import WebSocketTransport
from .connection.manager import ConnectionManager
from .connection.state import ConnectionStateChange
from .connection.state import ConnectionStatus
from .connection.state import DisconnectReason
from .connection.transport import Transport
from .errors import CometChatException
from .errors import ErrorCode
from .errors import NotLoggedInError
from .events.delivery import Delivery
from .events.ledger import Conversation
from .events.listeners_api import ListenersAPI
from .events.outbound import LiveEventsAPI
from .login_api import LoginAPI
from .models import BaseMessage
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
    LoginAPI,
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
        self._logging_out: Optional[Session] = None  # the session logout() is deleting
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
        self._delivery.discovery_pending = self._discovery_pending
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

    # -- REST hooks ----------------------------------------------------------------------------

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
        """End the link and this client's delivery but keep the stored session, as a process
        that shuts down would; when no other client of the process has a socket or a
        deadline left, the engine's threads end too (each joined up to a share of
        ``timeout``). Safe from any thread, including inside a listener; a later call starts
        what it needs again.

        Events already queued (status changes, live events) are delivered while the
        dispatcher drains, within the budget; a catch-up under way is cancelled, its page in
        flight dropped. Once ``close()`` returns no listener is called for what happened
        before it. This client's REST session is released; the process's shared REST
        connections serve the other clients, and the last client's ``close()`` closes the idle
        ones. Idempotent; also called when a ``with`` block ends and, with a one-second
        budget, at interpreter exit. It ends :meth:`run_forever`.

        Args:
            timeout: the most to wait, in seconds (default 2): six tenths for the link's
                attempt or socket to end, the rest for the queued events and the engine's
                idle threads (never the calling thread).

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
        """The SDK threads working for this client now (for tests and diagnostics).

        The threads belong to the process's engine, shared by every client
        (``docs/architecture.md``): the read loop while this client has a socket, a dial
        worker during its attempt, the timer while it holds a deadline of this client, the
        dispatch worker serving its listeners. Every SDK thread of the process:
        :func:`cometchat_sync.sdk_threads`.

        Returns:
            Those threads (none before the first link or event, and none once :meth:`close`
            returned).
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

    def _discovery_of_session(self) -> ConversationDiscovery:
        """The discovery, reset when the session changed (a new session lost nothing yet).
        Called at every state change, so a loss is never recorded against a session the
        next look would reset."""
        session = self._session
        if session is not None and session is not self._discovery_session:
            self._discovery.reset()
            self._discovery_session = session
        return self._discovery

    def _discovery_pending(self) -> bool:
        return self._discovery_of_session().pending()

    def _on_state_change(self, change: ConnectionStateChange) -> None:
        self._discovery_of_session()
        if change.current is ConnectionStatus.DISCONNECTED:
            # The next catch-up reads what the link missed: above the newest id seen by now.
            newest = max((c.watermark for c in self._delivery.ledger.conversations()), default=0)
            self._discovery.link_lost(newest)
        elif change.current is ConnectionStatus.CONNECTED:
            self._discovery.link_up()
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
        after the message id ``after``), oldest first (a worker of the engine's pool)."""
        params: dict[str, Any] = {"per_page": per_page, "affix": "append"}
        if after is None:
            params["sentAt"] = sent_at
        else:
            params["id"] = after
        return self._client_call(
            "GET", "messages", params=params, on_socket=self._inflight.track
        ).data

    def _discover_conversations(self, known: set[str]) -> list[Conversation]:
        """A worker of the engine's pool, in a catch-up: the conversations that received
        messages while the link was down and that the ledger does not follow (``known``); a
        failed look is made again at the next catch-up."""
        session = self._session
        if session is None:
            return []
        self._discovery_of_session()
        floor = self._delivery.discovery_floor  # the newest id seen before this catch-up
        try:
            found = self._discovery.discover(known, floor)
        except CometChatException as exc:
            log.warning("catch-up could not read what the link missed (%s)", exc.code)
            return []
        return [
            Conversation(d.receiver_type, d.receiver_id, d.after, d.conversation_id) for d in found
        ]

    def _fetch_catch_up_page(self, conversation: Conversation, after: int, per_page: int) -> Any:
        """One catch-up page (a worker of the engine's pool): the conversation's messages
        after ``after``."""
        path = conversation_path(conversation.receiver_id, conversation.receiver_type)
        params = {"id": after, "affix": "append", "per_page": per_page}
        return self._client_call("GET", path, params=params, on_socket=self._inflight.track).data

    def _end_delivery(self, timeout: float) -> None:
        """End the session's delivery (see ``Delivery.end_session``), first ending a
        catch-up call in flight so its worker is not held by a slow server; then, if no
        client in the process has a socket or a deadline left, end the engine's threads."""
        self._inflight.abort()
        started = time.monotonic()
        self._delivery.end_session(timeout * 0.75)
        _engine.release(max(0.05, timeout - (time.monotonic() - started)))


# -- interpreter exit ---------------------------------------------

_CLIENTS: weakref.WeakSet[CometChatClient] = weakref.WeakSet()


def _close_all_at_exit() -> None:
    for client in list(_CLIENTS):
        with contextlib.suppress(Exception):
            client.close(timeout=1.0)


atexit.register(_close_all_at_exit)
