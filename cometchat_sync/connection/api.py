"""The connection calls of :class:`~cometchat_sync.client.CometChatClient` (a mixin): status,
blocking ``connect``/``disconnect``/``ping``, waits, and the app state.

Behaviour: https://www.cometchat.com/docs/sdk/javascript/connection-behaviour and
``docs/connection.md``. Every call delegates to the client's
:class:`~cometchat_sync.connection.manager.ConnectionManager`.
"""

from __future__ import annotations

from typing import Optional
from typing import Union

from ..errors import CometChatException
from ..errors import ErrorCode
from .manager import ConnectionManager
from .state import AppState
from .state import ConnectionStatus
from .state import DisconnectReason

__all__ = ["ConnectionAPI"]


class ConnectionAPI:
    """The client's connection calls; the client supplies the manager and the fork check.

    Every ``timeout`` is in seconds: a positive int or float, or ``None`` for the call's
    default where it has one; anything else raises ``ERR_INVALID_PARAMETER``.

    The blocking calls (:meth:`wait_until_connected`, :meth:`wait_until_disconnected`,
    :meth:`connect`, :meth:`ping`) work inside a listener, since they wait on the reader
    thread and never on the dispatcher, but they hold the dispatcher thread until they
    return, so later events wait: prefer your own thread. The other calls never wait for
    the dispatcher and are safe from any thread, including inside a listener.
    """

    _connection: ConnectionManager

    def _check_fork(self) -> None:
        """In a forked child, reconnect lazily on first use (implemented by the client)."""
        raise NotImplementedError

    def get_connection_status(self) -> ConnectionStatus:
        """Return the status of the real-time link right now.

        ``connected`` means the server accepted the socket's ``auth`` frame, not merely
        that TCP is open. Fast; inside a listener it may already be ahead of the event
        being delivered.

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
        :meth:`connect` instead. A blocking call (see :class:`ConnectionAPI` for its use
        inside a listener).

        Args:
            timeout: the most to wait, in seconds.

        Raises:
            CometChatTimeoutError: ``ERR_TIMEOUT`` when the link is not connected within
                ``timeout``.
            CometChatException: ``ERR_INVALID_PARAMETER`` for a bad ``timeout``.
        """
        self._check_fork()
        self._connection.wait_for(ConnectionStatus.CONNECTED, timeout)

    def wait_until_disconnected(self, timeout: float) -> None:
        """Block until the link is disconnected.

        Returns at once when already disconnected; starts nothing (see :meth:`disconnect`).
        A blocking call (see :class:`ConnectionAPI` for its use inside a listener).

        Args:
            timeout: the most to wait, in seconds.

        Raises:
            CometChatTimeoutError: ``ERR_TIMEOUT`` when ``timeout`` runs out with the link up.
            CometChatException: ``ERR_INVALID_PARAMETER`` for a bad ``timeout``.
        """
        self._check_fork()
        self._connection.wait_for(ConnectionStatus.DISCONNECTED, timeout)

    def connect(self, timeout: Optional[float] = None) -> None:
        """Open the real-time link and block until the server accepted it.

        Meant for manual mode; in auto mode it re-opens a link that ``disconnect()`` closed.
        A ``connect()`` that started the link and failed leaves it down (the app decides
        when to retry); calls made while another thread's ``connect()`` is in progress join
        that attempt. A blocking call (see :class:`ConnectionAPI` for its use inside a
        listener).

        Wire: https://www.cometchat.com/docs/sdk/javascript/managing-web-sockets-connections-manually.

        Args:
            timeout: the most to wait, in seconds; defaults to the connect timeout of the
                settings plus one second (11 s by default).

        Raises:
            AlreadyConnectedError: ``ERROR_WEBSOCKETS_ALLREADY_IN_CONNECTED_STATE``.
            NotLoggedInError: ``ERR_NOT_LOGGED_IN``.
            CometChatException: ``ERR_NO_INTERNET`` (the network is unreachable),
                ``ERR_WEBSOCKET_ERROR`` (the socket could not be opened or authenticated,
                or ``disconnect()``/``logout()`` withdrew the attempt),
                ``ERR_INVALID_PARAMETER`` for a bad ``timeout``.
            CometChatTimeoutError: ``ERR_TIMEOUT`` when ``timeout`` runs out first.
        """
        self._check_fork()
        self._connection.connect(timeout)

    def disconnect(self, timeout: Optional[float] = None) -> None:
        """Close the real-time link and block until the status is ``disconnected``.

        Idempotent. No reconnection follows until ``connect()`` (or, in auto mode, the
        next return to the foreground). It never waits for a close handshake, so it is
        quick even on a dead network path, and never for the dispatcher thread.

        Wire: https://www.cometchat.com/docs/sdk/javascript/managing-web-sockets-connections-manually.

        Args:
            timeout: the most to wait for the SDK's attempt in flight to stop, in seconds
                (default 5).

        Raises:
            CometChatTimeoutError: ``ERR_TIMEOUT`` when the link is not down within
                ``timeout`` (it still goes down).
            CometChatException: ``ERR_INVALID_PARAMETER`` for a bad ``timeout`` (the link
                still goes down).
        """
        self._check_fork()
        self._connection.disconnect(timeout)

    def ping(self, timeout: Optional[float] = None) -> float:
        """Manual mode: ping the server, block for the pong, return the round trip (seconds).

        Sends ``{"action":"ping","ack":"true"}`` on the socket. In the background each
        successful ping re-arms the background deadline (30 s by default): ping more often
        than that to stay connected while in the background. A blocking call (see
        :class:`ConnectionAPI` for its use inside a listener).

        Wire: https://www.cometchat.com/docs/sdk/javascript/managing-web-sockets-connections-manually.

        Args:
            timeout: the most to wait for the pong, in seconds; defaults to the pong
                timeout of the settings (3 s by default).

        Returns:
            The round trip in seconds.

        Raises:
            CometChatException: ``ERROR_PING_NOT_AVAILABLE`` in auto mode,
                ``NO_WEBSOCKET_CONNECTION`` when not connected, ``ERR_WEBSOCKET_ERROR`` if
                the link drops while waiting, ``ERR_INVALID_PARAMETER`` for a bad
                ``timeout``.
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
        foreground. It returns at once, never waiting; connection listeners hear of any
        change.

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
