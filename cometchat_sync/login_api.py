"""Logging in and out, and the session a client holds: the orchestration over the REST
exchange (:mod:`~cometchat_sync.rest.auth`), the session store, the real-time link and event
delivery.

:class:`LoginAPI` is a mixin of :class:`~cometchat_sync.CometChatClient`: the attributes and
hooks it declares are the client's. It owns who is logged in here and which stored session
this client may clear or revoke (only one it logged in, or took up with ``login()`` of the
same user: ``docs/sessions.md``), the renewal of the socket's credentials the reader asks for,
and the local logout when the server refuses the auth token.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
from dataclasses import replace
from typing import Any
from typing import Callable
from typing import Optional

from . import _validate as check
from ._run_forever import Ends
from .connection.manager import ConnectionManager
from .connection.reader import Renewal
from .connection.state import DisconnectReason
from .connection.transport import Dial
from .connection.transport import DialCancelled
from .connection.transport import shutdown_socket
from .errors import CometChatException
from .errors import ErrorCode
from .errors import NotLoggedInError
from .events.delivery import Delivery
from .listeners import LoginListener
from .models import User
from .rest import auth
from .rest.endpoints import Endpoints
from .rest.transport import RestClient
from .session import Session
from .session import SessionStore
from .settings import AppSettings

__all__ = ["LoginAPI"]

# The login and logout lines keep the client's logger name, which docs/logging.md lists.
log = logging.getLogger("cometchat_sync.client")


class LoginAPI:
    """``login``, ``logout`` and ``get_logged_in_user`` of a client (see the module
    docstring). Thread safety and what each call does from inside a listener are in each
    method's docstring."""

    _app_id: str
    _settings: AppSettings
    _store: SessionStore
    _rest: RestClient
    _endpoints: Endpoints
    _resource: str
    _lock: threading.RLock
    _login_busy: bool
    _session: Optional[Session]
    _own_token: Optional[str]
    _logging_out: Optional[Session]
    _ignored_token: Optional[str]
    _connection: ConnectionManager
    _delivery: Delivery
    _typing_lock: threading.Lock
    _typing: set[tuple[str, str]]
    _ends: Ends

    def _check_fork(self) -> None:
        """In a forked child, start afresh on first use (the client's)."""
        raise NotImplementedError

    def _emit_login(self, method: Callable[..., None], args: tuple[Any, ...]) -> None:
        """Queue a login-listener event (the client's)."""
        raise NotImplementedError

    def _ensure_auto_link(self) -> None:
        """Auto mode: want the link if it is down (the client's)."""
        raise NotImplementedError

    def _end_delivery(self, timeout: float) -> None:
        """End the session's event delivery (the client's)."""
        raise NotImplementedError

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
        session = replace(session, origin=self._endpoints.origin())
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
        # From here on the server forgets the token: a call of this session that runs
        # meanwhile on another thread (a catch-up page on a pool worker) and is refused must
        # not log out a second time (see ResourceAPI._client_call).
        with self._lock:
            self._logging_out = session
        error: Optional[CometChatException] = None
        try:
            auth.log_out(self._rest, self._endpoints, session)
        except CometChatException as exc:
            error = exc
        self._forget_session(DisconnectReason.LOGOUT)
        with self._lock:
            self._logging_out = None
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


def _same_token(stored: Optional[Session], token: str) -> bool:
    return stored is not None and stored.auth_token == token
