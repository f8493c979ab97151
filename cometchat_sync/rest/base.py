"""What every REST resource family needs from the client, what every REST call shares (its
threads and its errors, in :class:`ResourceAPI`), and how answers are read.

Each family module (:mod:`.messages`, :mod:`.users`, :mod:`.groups`, :mod:`.calls`) is a
mixin of :class:`~cometchat_sync.client.CometChatClient` that builds paths and bodies and reads
the answer through :meth:`ResourceAPI._client_call` (the authenticated call through
:class:`~cometchat_sync.rest.transport.RestClient`); the client supplies the transport, the
endpoints, the session and the hooks.
"""

from __future__ import annotations

import socket
from typing import Any
from typing import Callable
from typing import Optional

from .. import _validate as check
from ..errors import CometChatException
from ..errors import ErrorCode
from ..errors import NotLoggedInError
from ..models import BaseMessage
from ..models import Call
from ..models import User
from ..session import Session
from .endpoints import Endpoints
from .transport import RestClient
from .transport import RestResponse
from .transport import Upload

__all__ = ["ResourceAPI", "as_call", "as_message", "as_object", "post_path"]


class ResourceAPI:
    """What every REST call of the client shares, and the hooks a REST family calls; the
    client implements them (the REST mixins are not meant to be used on their own).

    Every REST call (the methods of :class:`~cometchat_sync.rest.messages.MessagesAPI`,
    :class:`~cometchat_sync.rest.users.UsersAPI`, :class:`~cometchat_sync.rest.groups.GroupsAPI`
    and :class:`~cometchat_sync.rest.calls.CallsAPI`) checks its arguments before any network
    I/O, then makes one request to the client API as the logged-in user (its auth token) and
    blocks the calling thread until the server answers or the request timeout of the settings
    runs out. Ids and reactions that go in the request's path are percent-encoded, and ``.``
    or ``..`` there is ``ERR_INVALID_PARAMETER``: no argument can change the endpoint called.

    REST calls may be made from any thread, including from a listener; there they block the
    dispatcher thread for their duration, so later events wait.

    Each method's ``Raises:`` names its own codes: its argument checks, and the server's own
    code when the server refuses the request (with its message, and the HTTP status in
    ``details["status"]``).

    Raises:
        CometChatException: every REST call also raises ``ERR_TOO_MANY_REQUESTS`` when
            rate-limited (``details["retry_after"]`` holds the server's ``Retry-After``, when
            sent); ``AUTH_ERR_AUTH_TOKEN_NOT_FOUND`` when the server no longer knows the auth
            token (the user is then logged out locally and login listeners hear
            ``on_logout_success``); ``ERR_NO_INTERNET`` when the server cannot be reached;
            ``ERR_RESPONSE_TOO_LARGE`` when the answer is larger than the max response size
            of the settings (4 MiB by default); ``FAILED_TO_FETCH`` for any other failed
            request (an untrusted certificate, a redirect, which is never followed, an
            answer that is not a CometChat envelope, ...) and, for a method that returns a
            message, a user, a group or a call, an answer that holds none.
        NotLoggedInError: ``ERR_NOT_LOGGED_IN`` when no user is logged in (nothing is sent).
        CometChatTimeoutError: ``ERR_TIMEOUT`` when the whole call (connect, send, headers
            and body) takes longer than the request timeout of the settings (30 s by
            default).
    """

    _rest: RestClient
    _endpoints: Endpoints
    _session: Optional[Session]
    _logging_out: Optional[Session]

    def _client_call(
        self,
        method: str,
        path: str,
        *,
        body: Optional[dict[str, Any]] = None,
        params: Optional[dict[str, Any]] = None,
        upload: Optional[Upload] = None,
        on_socket: Optional[Callable[[socket.socket], None]] = None,
    ) -> RestResponse:
        """One call to the client API as the logged-in user (``path`` relative to the
        client API base of the session's settings); ``upload``: a streamed body instead;
        ``on_socket``: see :meth:`RestClient.call` (how another thread cancels the call)."""
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
                upload=upload,
                on_socket=on_socket,
            )
        except CometChatException as exc:
            if (
                exc.code == ErrorCode.AUTH_TOKEN_NOT_FOUND
                and self._session is session
                and self._logging_out is not session  # logout() is deleting it right now
            ):
                # The server no longer knows the token: log out locally, as the official
                # SDKs do.
                self._on_token_revoked()
            raise

    def _post_message(self, message: BaseMessage) -> BaseMessage:
        """``POST`` the send body of ``message`` to :func:`post_path`; the stored message
        (this client's own echo of it is not delivered)."""
        sent = as_message(
            self._client_call("POST", post_path(message), body=message.to_send_json())
        )
        self._note_sent(sent)
        return sent

    def _check_fork(self) -> None:
        """In a forked child, reconnect lazily on first use."""
        raise NotImplementedError

    def _on_token_revoked(self) -> None:
        """The server no longer knows the session's auth token: log out locally."""
        raise NotImplementedError

    def _note_sent(self, message: BaseMessage) -> None:
        """``message`` was sent by this client: never deliver it back."""
        raise NotImplementedError

    def _note_own_action(self, message_id: int, action: str) -> None:
        """This client edits or deletes ``message_id``: its echo is not delivered."""
        raise NotImplementedError

    def _note_current_user(self, user: User) -> None:
        """The server changed the logged-in user's profile: keep it in the session."""
        raise NotImplementedError


def post_path(message: BaseMessage) -> str:
    """Where a new message is posted: ``messages``, or its parent's thread
    (``messages/{parent_id}/thread``) for a reply."""
    if message.parent_id:
        return f"messages/{check.message_id_segment(message.parent_id)}/thread"
    return "messages"


def as_object(data: Any, what: str) -> dict[str, Any]:
    """``data`` if it is a JSON object, else ``FAILED_TO_FETCH`` naming ``what``."""
    if not isinstance(data, dict):
        raise CometChatException(ErrorCode.FAILED_TO_FETCH, f"The server returned no {what}.")
    return data


def as_message(response: RestResponse) -> BaseMessage:
    """The message an answer carries (typed by its category and type)."""
    return BaseMessage.from_json(as_object(response.data, "message"))


def as_call(response: RestResponse) -> Call:
    """The call an answer carries."""
    message = as_message(response)
    if not isinstance(message, Call):
        raise CometChatException(ErrorCode.FAILED_TO_FETCH, "The server returned no call.")
    return message
