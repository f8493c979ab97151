"""Conversations over REST: fetch, tag and delete one, unread counts, marking a conversation
read, delivered or unread, and a message's receipts.

Paths and parameters follow the observed traffic of the official JavaScript SDK and
https://www.cometchat.com/docs/rest-api/conversations; the JavaScript SDK pages are linked
from each method. The list of conversations is
:class:`~cometchat_sync.builders.ConversationsRequestBuilder`.
"""

from __future__ import annotations

from typing import Any
from typing import Optional

from .. import _validate as check
from ..errors import CometChatException
from ..errors import ErrorCode
from ..models import BaseMessage
from ..models import Conversation
from ..models import MessageReceipt
from ..models.group import parse_user
from ..models.user import User
from .base import ResourceAPI
from .base import as_object

__all__ = ["ConversationsAPI", "conversation_resource"]


def conversation_resource(conversation_with: str, conversation_type: str) -> str:
    """``users/{uid}/conversation`` or ``groups/{guid}/conversation`` (checked, encoded)."""
    kind = "groups" if check.receiver_type(conversation_type) == "group" else "users"
    return f"{kind}/{check.path_segment(conversation_with, 'conversation_with')}/conversation"


def _flag(value: object, name: str) -> int:
    if not isinstance(value, bool):
        raise CometChatException(ErrorCode.INVALID_PARAMETER, f"{name} must be True or False.")
    return int(value)


class ConversationsAPI(ResourceAPI):
    """Conversation, unread-count and receipt calls of
    :class:`~cometchat_sync.client.CometChatClient` (a mixin).

    Threads and the errors every call raises: :class:`~cometchat_sync.rest.base.ResourceAPI`.
    """

    def get_conversation(self, conversation_with: str, conversation_type: str) -> Conversation:
        """Fetch the logged-in user's conversation with a user or a group.

        ``GET users/{uid}/conversation`` or ``GET groups/{guid}/conversation``.

        Wire: https://www.cometchat.com/docs/sdk/javascript/retrieve-conversations and
        https://www.cometchat.com/docs/rest-api/conversations.

        Args:
            conversation_with: the other user's uid, or the group's guid (a non-empty string
                without spaces or ``/?#%``).
            conversation_type: ``"user"`` or ``"group"``.

        Returns:
            The conversation: who it is with, its last message, unread count and tags.

        Raises:
            CometChatException: ``MISSING_PARAMETERS`` for an empty ``conversation_with``;
                ``ERR_INVALID_PARAMETER`` for a malformed one or another
                ``conversation_type``; the server's code when there is no such conversation
                (``ERR_CONVERSATION_NOT_ACCESSIBLE``) or user or group; and the errors of
                every REST call (see :class:`~cometchat_sync.rest.base.ResourceAPI`).
        """
        path = conversation_resource(conversation_with, conversation_type)
        data = self._client_call("GET", path).data
        return Conversation.from_json(as_object(data, "conversation"))

    def tag_conversation(
        self, conversation_with: str, conversation_type: str, tags: list[str]
    ) -> Conversation:
        """Replace the logged-in user's tags of a conversation; return the conversation.

        ``PUT users/{uid}/conversation`` (or ``groups/{guid}/...``) with ``{"tags": [...]}``.
        The tags are the user's own: the other side does not see them.

        Wire: https://www.cometchat.com/docs/sdk/javascript/retrieve-conversations (tag
        conversation) and https://www.cometchat.com/docs/rest-api/conversations.

        Args:
            conversation_with: the other user's uid, or the group's guid.
            conversation_type: ``"user"`` or ``"group"``.
            tags: the new tags, a list of non-empty strings (at most 25, each at most 100
                characters); an empty list removes them all.

        Returns:
            The conversation with its new tags.

        Raises:
            CometChatException: ``MISSING_PARAMETERS`` for an empty ``conversation_with``;
                ``ERR_INVALID_PARAMETER`` for a malformed id, another ``conversation_type``
                or ``tags`` that is not such a list; the server's code when it refuses (no
                such conversation); and the errors of every REST call (see
                :class:`~cometchat_sync.rest.base.ResourceAPI`).
        """
        path = conversation_resource(conversation_with, conversation_type)
        body = {"tags": check_tags(tags)}
        data = self._client_call("PUT", path, body=body).data
        return Conversation.from_json(as_object(data, "conversation"))

    def delete_conversation(self, conversation_with: str, conversation_type: str) -> None:
        """Delete a conversation for the logged-in user only: it leaves their conversation
        list (until a new message arrives in it) and its messages leave their history; the
        other side keeps theirs.

        ``DELETE users/{uid}/conversation`` or ``DELETE groups/{guid}/conversation``.

        Wire: https://www.cometchat.com/docs/sdk/javascript/delete-conversation.

        Args:
            conversation_with: the other user's uid, or the group's guid.
            conversation_type: ``"user"`` or ``"group"``.

        Raises:
            CometChatException: ``MISSING_PARAMETERS`` for an empty ``conversation_with``;
                ``ERR_INVALID_PARAMETER`` for a malformed one or another
                ``conversation_type``; the server's code when there is no such conversation;
                and the errors of every REST call (see
                :class:`~cometchat_sync.rest.base.ResourceAPI`).
        """
        self._client_call("DELETE", conversation_resource(conversation_with, conversation_type))

    # -- unread counts ------------------------------------------------------------------

    def get_unread_message_count(
        self, hide_messages_from_blocked_users: bool = False
    ) -> dict[str, dict[str, int]]:
        """Unread messages of every conversation of the logged-in user.

        ``GET messages?unread=1&count=1&hideMessagesFromBlockedUsers=0|1``.

        Wire: https://www.cometchat.com/docs/sdk/javascript/receive-message
        (unread message count) and the observed traffic of the official SDKs.

        Args:
            hide_messages_from_blocked_users: leave out messages of users the logged-in user
                has blocked (a bool, default ``False``).

        Returns:
            ``{"users": {uid: count}, "groups": {guid: count}}``; conversations with no
            unread message are absent.

        Raises:
            CometChatException: ``ERR_INVALID_PARAMETER`` when the flag is not a bool; and
                the errors of every REST call (see :class:`~cometchat_sync.rest.base.ResourceAPI`).
        """
        counts = self._unread("messages", hide_messages_from_blocked_users, {})
        out: dict[str, dict[str, int]] = {"users": {}, "groups": {}}
        for (kind, key), count in counts.items():
            out["groups" if kind == "group" else "users"][key] = count
        return out

    def get_unread_message_count_for_all_users(
        self, hide_messages_from_blocked_users: bool = False
    ) -> dict[str, int]:
        """Unread messages of every one-to-one conversation: ``{uid: count}``.

        ``GET messages?receiverType=user&unread=1&count=1``.

        Wire: https://www.cometchat.com/docs/sdk/javascript/receive-message.

        Args:
            hide_messages_from_blocked_users: leave out messages of blocked users (a bool).

        Returns:
            ``{uid: count}``, conversations with unread messages only.

        Raises:
            CometChatException: ``ERR_INVALID_PARAMETER`` when the flag is not a bool; and
                the errors of every REST call (see :class:`~cometchat_sync.rest.base.ResourceAPI`).
        """
        return self._unread_of(
            "user", "messages", hide_messages_from_blocked_users, {"receiverType": "user"}
        )

    def get_unread_message_count_for_all_groups(
        self, hide_messages_from_blocked_users: bool = False
    ) -> dict[str, int]:
        """Unread messages of every group the logged-in user is in: ``{guid: count}``.

        ``GET messages?receiverType=group&unread=1&count=1``.

        Wire: https://www.cometchat.com/docs/sdk/javascript/receive-message.

        Args:
            hide_messages_from_blocked_users: leave out messages of blocked users (a bool).

        Returns:
            ``{guid: count}``, groups with unread messages only.

        Raises:
            CometChatException: ``ERR_INVALID_PARAMETER`` when the flag is not a bool; and
                the errors of every REST call (see :class:`~cometchat_sync.rest.base.ResourceAPI`).
        """
        return self._unread_of(
            "group", "messages", hide_messages_from_blocked_users, {"receiverType": "group"}
        )

    def get_unread_message_count_for_user(
        self, uid: str, hide_messages_from_blocked_users: bool = False
    ) -> dict[str, int]:
        """Unread messages of the one-to-one conversation with ``uid``: ``{uid: count}``
        (empty when none is unread).

        ``GET users/{uid}/messages?unread=1&count=1&uid={uid}``.

        Wire: https://www.cometchat.com/docs/sdk/javascript/receive-message.

        Args:
            uid: the other user's uid (a non-empty string without spaces or ``/?#%``).
            hide_messages_from_blocked_users: leave out messages of blocked users (a bool).

        Returns:
            ``{uid: count}``, or ``{}`` when nothing is unread.

        Raises:
            CometChatException: ``MISSING_PARAMETERS`` for an empty ``uid``;
                ``ERR_INVALID_PARAMETER`` for a malformed one or a flag that is not a bool;
                the server's code for an unknown user; and the errors of every REST call
                (see :class:`~cometchat_sync.rest.base.ResourceAPI`).
        """
        path = f"users/{check.path_segment(uid, 'uid')}/messages"
        return self._unread_of("user", path, hide_messages_from_blocked_users, {"uid": uid})

    def get_unread_message_count_for_group(
        self, guid: str, hide_messages_from_blocked_users: bool = False
    ) -> dict[str, int]:
        """Unread messages of the group ``guid``: ``{guid: count}`` (empty when none is
        unread).

        ``GET groups/{guid}/messages?unread=1&count=1&guid={guid}``.

        Wire: https://www.cometchat.com/docs/sdk/javascript/receive-message.

        Args:
            guid: the group's guid (a non-empty string without spaces or ``/?#%``).
            hide_messages_from_blocked_users: leave out messages of blocked users (a bool).

        Returns:
            ``{guid: count}``, or ``{}`` when nothing is unread.

        Raises:
            CometChatException: ``MISSING_PARAMETERS`` for an empty ``guid``;
                ``ERR_INVALID_PARAMETER`` for a malformed one or a flag that is not a bool;
                the server's code for an unknown group or one the user has not joined; and
                the errors of every REST call (see :class:`~cometchat_sync.rest.base.ResourceAPI`).
        """
        path = f"groups/{check.path_segment(guid, 'guid')}/messages"
        return self._unread_of("group", path, hide_messages_from_blocked_users, {"guid": guid})

    def _unread_of(
        self, kind: str, path: str, hide: object, extra: dict[str, Any]
    ) -> dict[str, int]:
        """The unread counts of ``GET path`` for the ``kind`` (user or group) conversations."""
        counts = self._unread(path, hide, extra)
        return {key: count for (of, key), count in counts.items() if of == kind}

    def _unread(self, path: str, hide: object, extra: dict[str, Any]) -> dict[tuple[str, str], int]:
        params = {
            "hideMessagesFromBlockedUsers": _flag(hide, "hide_messages_from_blocked_users"),
            **extra,
            "unread": 1,
            "count": 1,
        }
        data = self._client_call("GET", path, params=params).data
        out: dict[tuple[str, str], int] = {}
        for item in data if isinstance(data, list) else []:
            if not isinstance(item, dict):
                continue
            key, count = item.get("entityId"), item.get("count")
            if isinstance(key, str) and isinstance(count, int) and not isinstance(count, bool):
                kind = "group" if item.get("entityType") == "group" else "user"
                out[(kind, key)] = count
        return out

    # -- read, delivered, unread ---------------------------------------------------------

    def mark_conversation_as_read(self, conversation_with: str, conversation_type: str) -> None:
        """Mark every message of a conversation as read by the logged-in user.

        ``POST users/{uid}/conversation/read`` (or ``groups/{guid}/...``). Its unread count
        drops to 0 and the senders' receipts show the read time.

        Wire: https://www.cometchat.com/docs/sdk/javascript/delivery-read-receipts.

        Args:
            conversation_with: the other user's uid, or the group's guid.
            conversation_type: ``"user"`` or ``"group"``.

        Raises:
            CometChatException: ``MISSING_PARAMETERS`` for an empty ``conversation_with``;
                ``ERR_INVALID_PARAMETER`` for a malformed one or another
                ``conversation_type``; the server's code when it refuses (an unknown user
                or group, a group not joined); and the errors of every REST call (see
                :class:`~cometchat_sync.rest.base.ResourceAPI`).
        """
        path = conversation_resource(conversation_with, conversation_type) + "/read"
        self._client_call("POST", path)

    def mark_conversation_as_delivered(
        self, conversation_with: str, conversation_type: str
    ) -> None:
        """Mark every message of a conversation as delivered to the logged-in user.

        ``POST users/{uid}/conversation/delivered`` (or ``groups/{guid}/...``).

        Wire: https://www.cometchat.com/docs/sdk/javascript/delivery-read-receipts.

        Args:
            conversation_with: the other user's uid, or the group's guid.
            conversation_type: ``"user"`` or ``"group"``.

        Raises:
            CometChatException: ``MISSING_PARAMETERS`` for an empty ``conversation_with``;
                ``ERR_INVALID_PARAMETER`` for a malformed one or another
                ``conversation_type``; the server's code when it refuses; and the errors of
                every REST call (see :class:`~cometchat_sync.rest.base.ResourceAPI`).
        """
        path = conversation_resource(conversation_with, conversation_type) + "/delivered"
        self._client_call("POST", path)

    def mark_as_unread(self, message: BaseMessage) -> Conversation:
        """Mark ``message`` and every later message of its conversation as unread by the
        logged-in user; return the conversation with its new unread count.

        ``DELETE users/{uid}/conversation/read`` (or ``groups/{guid}/...``) with
        ``{"messageId": "<id>"}``; the conversation is the message's group, or the other
        side of a one-to-one message. Official name: ``markMessageAsUnread``.

        Wire: https://www.cometchat.com/docs/sdk/javascript/delivery-read-receipts (mark
        messages as unread).

        Args:
            message: a message fetched or received (its ``id`` a positive int); one sent by
                somebody else, since a user's own messages are never unread to them.

        Returns:
            The message's conversation.

        Raises:
            CometChatException: ``ERR_INVALID_PARAMETER`` when ``message`` is not a message
                with a positive ``id`` and a receiver; the server's code when it refuses
                (for example the user's own message); and the errors of every REST call
                (see :class:`~cometchat_sync.rest.base.ResourceAPI`).
        """
        if not isinstance(message, BaseMessage):
            raise CometChatException(
                ErrorCode.INVALID_PARAMETER, "mark_as_unread() takes a received message."
            )
        mid = check.message_id(message.id)
        session = self._session
        own = session.uid if session is not None else None
        if message.receiver_type == "group" or message.sender_uid == own:
            other = message.receiver_uid
        else:
            other = message.sender_uid
        path = conversation_resource(other, message.receiver_type or "user") + "/read"
        data = as_object(
            self._client_call("DELETE", path, body={"messageId": str(mid)}).data, "conversation"
        )
        return Conversation.from_json(as_object(data.get("conversation", data), "conversation"))

    def get_message_receipts(self, message_id: int) -> list[MessageReceipt]:
        """The receipts of a message the logged-in user sent: one per recipient who has
        received it, ``"read"`` once they read it (``delivered_at`` and ``read_at`` set), else
        ``"delivered"``.

        ``GET messages/{id}``, whose answer carries ``receipts.data`` (each with the
        ``recipient`` user and ``deliveredAt``/``readAt``).

        Wire: https://www.cometchat.com/docs/sdk/javascript/delivery-read-receipts
        (receipt history for a single message).

        Args:
            message_id: the message's id, a positive int.

        Returns:
            The receipts, each a :class:`~cometchat_sync.models.MessageReceipt` whose
            ``sender`` is the recipient it is about; empty when nobody received it yet.

        Raises:
            CometChatException: ``ERR_INVALID_PARAMETER`` when ``message_id`` is not a
                positive int; the server's code for an unknown message or one this user
                cannot see; and the errors of every REST call (see
                :class:`~cometchat_sync.rest.base.ResourceAPI`).
        """
        mid = check.message_id(message_id)
        data = as_object(self._client_call("GET", f"messages/{mid}").data, "message")
        holder = data.get("receipts")
        items = holder.get("data") if isinstance(holder, dict) else None
        receipts: list[MessageReceipt] = []
        for item in items if isinstance(items, list) else []:
            receipt = _receipt(item, data, mid) if isinstance(item, dict) else None
            if receipt is not None:
                receipts.append(receipt)
        return receipts


def _receipt(item: dict[str, Any], message: dict[str, Any], mid: int) -> Optional[MessageReceipt]:
    """One recipient's receipt: ``"read"`` once read (with both times), else ``"delivered"``."""
    recipient = item.get("recipient")
    sender: Optional[User] = parse_user(recipient) if isinstance(recipient, dict) else None
    delivered_at, read_at = _epoch(item.get("deliveredAt")), _epoch(item.get("readAt"))
    if delivered_at is None and read_at is None:
        return None
    return MessageReceipt(
        mid,
        "read" if read_at is not None else "delivered",
        sender=sender,
        receiver_id=str(message.get("receiver", "")),
        receiver_type=str(message.get("receiverType", "user")),
        timestamp=read_at if read_at is not None else delivered_at,
        delivered_at=delivered_at,
        read_at=read_at,
        raw=item,
    )


def _epoch(value: object) -> Optional[int]:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def check_tags(tags: object, name: str = "tags") -> list[str]:
    """``tags`` if it is a list (or tuple) of non-empty strings, as a list."""
    if not isinstance(tags, (list, tuple)) or not all(
        isinstance(t, str) and t.strip() for t in tags
    ):
        raise CometChatException(
            ErrorCode.INVALID_PARAMETER, f"{name} must be a list of non-empty strings."
        )
    return list(tags)
