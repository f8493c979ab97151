"""Messaging calls of :class:`~cometchat_sync.client.CometChatClient`: REST (send, edit,
delete, fetch, users, groups, reactions, calls) and socket events (typing, receipts,
transient messages).

Socket sends raise ``NO_WEBSOCKET_CONNECTION`` when the link is not connected, and
``ERR_NOT_LOGGED_IN`` with no user. As in the official SDKs, typing indicators are skipped
silently when the app's ``MODE`` setting is ``LIMITED_TRANSIENT`` or ``NO_TRANSIENT``, transient
messages when it is ``NO_TRANSIENT``, and receipts raise ``RECEIPTS_TEMPORARILY_BLOCKED``.
"""

from __future__ import annotations

import threading
from typing import Any, Optional
from urllib.parse import quote

from .errors import CometChatException, ErrorCode, NotLoggedInError
from .models import (
    BaseMessage,
    Call,
    Group,
    GroupMember,
    TransientMessage,
    TypingIndicator,
    User,
)
from .rest import RestResponse
from .session import Session

__all__ = ["Messaging"]

_MAX_PAGE = 100
_THROTTLING_MODES = frozenset({"LIMITED_TRANSIENT", "NO_TRANSIENT"})


class Messaging:
    """Mixed into the client; relies on its REST call, socket send and session."""

    _session: Optional[Session]
    _typing_lock: threading.Lock
    _typing: set[tuple[str, str]]

    # Provided by the client.
    def _client_call(
        self,
        method: str,
        path: str,
        *,
        body: Optional[dict[str, Any]] = None,
        params: Optional[dict[str, Any]] = None,
    ) -> RestResponse:
        raise NotImplementedError

    def _socket_send(self, frame: dict[str, Any]) -> None:
        raise NotImplementedError

    def _note_sent(self, message: BaseMessage) -> None:
        raise NotImplementedError

    def _note_own_action(self, message_id: int, action: str) -> None:
        raise NotImplementedError

    # -- messages over REST ---------------------------------------------------------------

    def send_message(self, message: BaseMessage) -> BaseMessage:
        """Send a :class:`TextMessage`, :class:`MediaMessage` (by URL) or
        :class:`CustomMessage`; return it as the server stored it (``id``, ``sent_at``)."""
        if not isinstance(message, BaseMessage) or not message.category:
            raise CometChatException(
                ErrorCode.INVALID_PARAMETER,
                "send_message() takes a TextMessage, MediaMessage or CustomMessage.",
            )
        # A reply goes to its parent's thread (protocol §1.5).
        path = "messages" if not message.parent_id else f"messages/{message.parent_id}/thread"
        sent = _message(self._client_call("POST", path, body=message.to_send_json()))
        self._note_sent(sent)
        return sent

    def edit_message(self, message: BaseMessage) -> BaseMessage:
        """Replace the text/data of a message this user sent (``message.id`` must be set);
        return the edited message."""
        if not isinstance(message, BaseMessage) or not message.category:
            raise CometChatException(
                ErrorCode.INVALID_PARAMETER,
                "edit_message() takes the edited TextMessage, MediaMessage or CustomMessage.",
            )
        mid = _message_id(message.id)
        self._note_own_action(mid, "edited")
        return _message(self._client_call("PUT", f"messages/{mid}", body=message.to_send_json()))

    def delete_message(self, message_id: int) -> BaseMessage:
        """Delete a message; return it with ``deleted_at``/``deleted_by`` set."""
        mid = _message_id(message_id)
        self._note_own_action(mid, "deleted")
        return _message(self._client_call("DELETE", f"messages/{mid}"))

    def get_message(self, message_id: int) -> BaseMessage:
        mid = _message_id(message_id)
        return _message(self._client_call("GET", f"messages/{mid}"))

    def fetch_messages(
        self,
        receiver_id: str,
        receiver_type: str = "user",
        *,
        before_id: Optional[int] = None,
        after_id: Optional[int] = None,
        limit: int = 30,
    ) -> list[BaseMessage]:
        """Messages of a conversation, oldest first: the latest ``limit`` ones, or those
        before ``before_id`` / after ``after_id`` (at most ``limit``, up to 100)."""
        path = _conversation_path(receiver_id, receiver_type)
        if before_id is not None and after_id is not None:
            raise CometChatException(
                ErrorCode.INVALID_PARAMETER, "Give before_id or after_id, not both."
            )
        params: dict[str, Any] = {"per_page": _limit(limit)}
        if before_id is not None:
            params.update(id=_message_id(before_id), affix="prepend")
        elif after_id is not None:
            params.update(id=_message_id(after_id, allow_zero=True), affix="append")
        return self._fetch_page(path, params)

    def _fetch_page(self, path: str, params: dict[str, Any]) -> list[BaseMessage]:
        data = self._client_call("GET", path, params=params).data
        if not isinstance(data, list):
            raise CometChatException(ErrorCode.FAILED_TO_FETCH, "The server returned no list.")
        return [BaseMessage.from_json(item) for item in data if isinstance(item, dict)]

    # -- users and groups --------------------------------------------------------------------

    def get_user(self, uid: str) -> User:
        """Fetch a user by uid."""
        data = self._client_call("GET", f"users/{_id(uid, 'uid')}").data
        return User.from_json(_object(data, "user"))

    def create_group(self, group: Group) -> Group:
        """Create a group; the logged-in user becomes its owner (scope ``admin``)."""
        if not isinstance(group, Group) or not group.guid:
            raise CometChatException(ErrorCode.MISSING_PARAMETERS, "The group needs a guid.")
        body: dict[str, Any] = {"guid": group.guid, "name": group.name, "type": group.type}
        password = group.raw.get("password") if isinstance(group.raw, dict) else None
        if password:
            body["password"] = password
        for key, value in (("description", group.description), ("icon", group.icon)):
            if value:
                body[key] = value
        if group.metadata:
            body["metadata"] = group.metadata
        data = self._client_call("POST", "groups", body=body).data
        return Group.from_json(_object(data, "group"))

    def get_group(self, guid: str) -> Group:
        data = self._client_call("GET", f"groups/{_id(guid, 'guid')}").data
        return Group.from_json(_object(data, "group"))

    def join_group(
        self, guid: str, group_type: str = "public", password: Optional[str] = None
    ) -> Group:
        """Join a public group, or a password group with its password."""
        body: dict[str, Any] = {"type": group_type}
        if password is not None:
            body["password"] = password
        data = self._client_call("POST", f"groups/{_id(guid, 'guid')}/members", body=body).data
        return Group.from_json(_object(data, "group"))

    def leave_group(self, guid: str) -> None:
        self._client_call("DELETE", f"groups/{_id(guid, 'guid')}/members")

    def get_group_members(self, guid: str, limit: int = 100) -> list[GroupMember]:
        """The members of a group (at most ``limit``, up to 100), with their scopes."""
        params = {"per_page": _limit(limit)}
        data = self._client_call("GET", f"groups/{_id(guid, 'guid')}/members", params=params).data
        items = data if isinstance(data, list) else []
        return [GroupMember.from_json(item) for item in items if isinstance(item, dict)]

    def add_members_to_group(
        self,
        guid: str,
        participants: Optional[list[str]] = None,
        *,
        moderators: Optional[list[str]] = None,
        admins: Optional[list[str]] = None,
    ) -> None:
        """Add users to a group with the scope their list names."""
        body = {
            "participants": list(participants or []),
            "moderators": list(moderators or []),
            "admins": list(admins or []),
        }
        self._client_call("PUT", f"groups/{_id(guid, 'guid')}/members", body=body)

    def kick_group_member(self, guid: str, uid: str) -> None:
        self._client_call("DELETE", f"groups/{_id(guid, 'guid')}/members/{_id(uid, 'uid')}")

    def ban_group_member(self, guid: str, uid: str) -> None:
        self._client_call("POST", f"groups/{_id(guid, 'guid')}/bannedusers/{_id(uid, 'uid')}")

    def unban_group_member(self, guid: str, uid: str) -> None:
        self._client_call("DELETE", f"groups/{_id(guid, 'guid')}/bannedusers/{_id(uid, 'uid')}")

    def update_group_member_scope(self, guid: str, uid: str, scope: str) -> None:
        """Change a member's scope to ``admin``, ``moderator`` or ``participant``."""
        if scope not in ("admin", "moderator", "participant"):
            raise CometChatException(
                ErrorCode.INVALID_PARAMETER, "scope must be admin, moderator or participant."
            )
        self._client_call(
            "PUT",
            f"groups/{_id(guid, 'guid')}/members/{_id(uid, 'uid')}",
            body={"scope": scope},
        )

    # -- reactions and calls ---------------------------------------------------------------------

    def add_reaction(self, message_id: int, reaction: str) -> None:
        """React to a message (``reaction`` is an emoji or a short name)."""
        self._client_call(
            "POST", f"messages/{_message_id(message_id)}/reactions/{_reaction(reaction)}"
        )

    def remove_reaction(self, message_id: int, reaction: str) -> None:
        self._client_call(
            "DELETE", f"messages/{_message_id(message_id)}/reactions/{_reaction(reaction)}"
        )

    def initiate_call(
        self, receiver_id: str, call_type: str = "audio", receiver_type: str = "user"
    ) -> Call:
        """Start a call; the receiver's ``CallListener`` hears ``on_incoming_call_received``."""
        if call_type not in ("audio", "video"):
            raise CometChatException(ErrorCode.INVALID_PARAMETER, "call_type is audio or video.")
        body = {
            "receiver": _id(receiver_id, "receiver id"),
            "receiverType": _receiver_type(receiver_type),
            "type": call_type,
        }
        call = _call(self._client_call("POST", "calls", body=body))
        self._note_sent(call)
        return call

    def accept_call(self, session_id: str) -> Call:
        return self._call_status(session_id, "ongoing")

    def reject_call(self, session_id: str, status: str = "rejected") -> Call:
        """Reject an incoming call (``"rejected"`` or ``"busy"``) or cancel an outgoing one
        (``"cancelled"``)."""
        if status not in ("rejected", "busy", "cancelled"):
            raise CometChatException(
                ErrorCode.INVALID_PARAMETER, "status is rejected, busy or cancelled."
            )
        return self._call_status(session_id, status)

    def end_call(self, session_id: str) -> Call:
        return self._call_status(session_id, "ended")

    def _call_status(self, session_id: str, status: str) -> Call:
        path = f"calls/{_id(session_id, 'session id')}"
        call = _call(self._client_call("PUT", path, body={"status": status}))
        self._note_sent(call)
        return call

    # -- events over the socket ----------------------------------------------------------------

    def start_typing(self, indicator: TypingIndicator) -> None:
        """Tell the receiver this user started typing. Sent once per receiver until
        :meth:`end_typing`, as the official SDKs do."""
        self._typing_event(indicator, "started")

    def end_typing(self, indicator: TypingIndicator) -> None:
        """Tell the receiver this user stopped typing (only if a start was sent)."""
        self._typing_event(indicator, "ended")

    def _typing_event(self, indicator: TypingIndicator, action: str) -> None:
        if not isinstance(indicator, TypingIndicator):
            raise CometChatException(ErrorCode.INVALID_PARAMETER, "Pass a TypingIndicator.")
        session = self._require_session()
        if _mode(session) in _THROTTLING_MODES:
            return
        key = (indicator.receiver_type, indicator.receiver_id)
        with self._typing_lock:
            started = key in self._typing
            if (action == "started") == started:
                return  # already started / nothing to end
            frame = indicator.to_send_json(action, _me(session))
            self._socket_send(frame)
            if action == "started":
                self._typing.add(key)
            else:
                self._typing.discard(key)

    def mark_as_delivered(self, message: BaseMessage) -> None:
        """Send a delivery receipt for a received ``message``."""
        self._receipt(message, "delivered")

    def mark_as_read(self, message: BaseMessage) -> None:
        """Send a read receipt for a received ``message``."""
        self._receipt(message, "read")

    def _receipt(self, message: BaseMessage, action: str) -> None:
        if not isinstance(message, BaseMessage) or message.id <= 0:
            raise CometChatException(
                ErrorCode.INVALID_PARAMETER, "Pass a received message (one with an id)."
            )
        session = self._require_session()
        if _mode(session) in _THROTTLING_MODES:
            raise CometChatException(
                "RECEIPTS_TEMPORARILY_BLOCKED",
                "Due to high load, receipts have been blocked for your app.",
            )
        if message.receiver_type == "group":
            receiver = message.receiver_uid
        else:
            receiver = (
                message.sender_uid if message.sender_uid != session.uid else message.receiver_uid
            )
        self._socket_send(
            {
                "type": "receipts",
                "receiver": receiver,
                "receiverType": message.receiver_type,
                "messageSender": message.sender_uid,
                "body": {"action": action, "messageId": str(message.id), "user": session.user},
            }
        )

    def send_transient_message(self, message: TransientMessage) -> None:
        """Relay ``message`` live to the receiver; it is never stored."""
        if not isinstance(message, TransientMessage):
            raise CometChatException(ErrorCode.INVALID_PARAMETER, "Pass a TransientMessage.")
        session = self._require_session()
        if _mode(session) == "NO_TRANSIENT":
            return
        self._socket_send(message.to_send_json(_me(session)))

    def _require_session(self) -> Session:
        session = self._session
        if session is None:
            raise NotLoggedInError()
        return session


# -- helpers ---------------------------------------------------------------------------------


def _me(session: Session) -> User:
    return User.from_json(session.user)


def _mode(session: Session) -> str:
    return str(session.settings.get("MODE", "DEFAULT")).upper()


def _id(value: object, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise CometChatException(ErrorCode.MISSING_PARAMETERS, f"The {what} cannot be empty.")
    return quote(value, safe="")


def _message_id(value: object, *, allow_zero: bool = False) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < (0 if allow_zero else 1):
        raise CometChatException(
            ErrorCode.INVALID_PARAMETER, "A message id is a positive int (send the message first)."
        )
    return value


def _limit(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= _MAX_PAGE:
        raise CometChatException(
            ErrorCode.INVALID_PARAMETER, f"limit must be an int from 1 to {_MAX_PAGE}."
        )
    return value


def _reaction(value: object) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > 64:
        raise CometChatException(ErrorCode.INVALID_PARAMETER, "A reaction is a short string.")
    return quote(value, safe="")


def _receiver_type(value: str) -> str:
    if value not in ("user", "group"):
        raise CometChatException(ErrorCode.INVALID_PARAMETER, "receiver_type is user or group.")
    return value


def _conversation_path(receiver_id: str, receiver_type: str) -> str:
    kind = "groups" if _receiver_type(receiver_type) == "group" else "users"
    return f"{kind}/{_id(receiver_id, 'receiver id')}/messages"


def _object(data: Any, what: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise CometChatException(ErrorCode.FAILED_TO_FETCH, f"The server returned no {what}.")
    return data


def _message(response: RestResponse) -> BaseMessage:
    return BaseMessage.from_json(_object(response.data, "message"))


def _call(response: RestResponse) -> Call:
    message = _message(response)
    if not isinstance(message, Call):
        raise CometChatException(ErrorCode.FAILED_TO_FETCH, "The server returned no call.")
    return message
