"""Messages over REST: send, edit, delete, fetch one or a page of history, reactions.

Paths and bodies follow the official SDKs' traffic and CometChat's message documentation:
https://www.cometchat.com/docs/rest-api/messages (REST API reference) and
https://www.cometchat.com/docs/sdk/javascript/send-message (JavaScript SDK).
"""

from __future__ import annotations

from typing import Any
from typing import Optional

from .. import _validate as check
from ..errors import CometChatException
from ..errors import ErrorCode
from ..models import Action
from ..models import BaseMessage
from .base import ResourceAPI
from .base import as_message
from .endpoints import conversation_path
from .transport import RestResponse

__all__ = ["MessagesAPI"]


class MessagesAPI(ResourceAPI):
    """Message calls of :class:`~cometchat_sync.client.CometChatClient` (a mixin).

    Send, edit, delete and fetch messages, and react to them, over REST as the logged-in
    user. Threads and the errors every call raises: :class:`~cometchat_sync.rest.base.ResourceAPI`.
    """

    def send_message(self, message: BaseMessage) -> BaseMessage:
        """Send a message to a user or a group and return it as the server stored it.

        ``POST messages``, or ``POST messages/{parent_id}/thread`` for a reply in a thread
        (``message.parent_id`` set). The server fills in ``id``, ``sent_at``, the sender
        and the conversation id. This client's own real-time echo of the message is not
        delivered to its message listeners.

        Wire: https://www.cometchat.com/docs/rest-api/messages/send-message and
        https://www.cometchat.com/docs/sdk/javascript/send-message.

        Args:
            message: a :class:`~cometchat_sync.models.TextMessage`, a
                :class:`~cometchat_sync.models.MediaMessage` whose attachment is a URL (no
                upload), or a :class:`~cometchat_sync.models.CustomMessage`, addressed with
                its receiver id (a uid or guid string) and ``receiver_type`` (``"user"`` or
                ``"group"``).

        Returns:
            The stored message, typed by its category and type (a new object; ``message``
            is not changed).

        Raises:
            CometChatException: ``ERR_INVALID_PARAMETER`` when ``message`` is not a
                message with a category; the server's code when it refuses the message (for
                example an empty text, or a group the user is not a member of); and the
                errors of every REST call (see :class:`~cometchat_sync.rest.base.ResourceAPI`).
        """
        if not isinstance(message, BaseMessage) or not message.category:
            raise CometChatException(
                ErrorCode.INVALID_PARAMETER,
                "send_message() takes a TextMessage, MediaMessage or CustomMessage.",
            )
        return self._post_message(message)

    def edit_message(self, message: BaseMessage) -> BaseMessage:
        """Replace the text or data of a message this user sent; return the edited message.

        ``PUT messages/{id}`` with the message's send body. The service answers with the
        ``edited`` action message, whose ``data.entities.on.entity`` (the action's
        ``actionOn``) is the edited message: that message is returned, with ``edited_at`` and
        ``edited_by`` set (an answer that is the message itself is read as such). The
        ``edited`` event this edit causes is not delivered back to this client's message
        listeners.

        Wire: https://www.cometchat.com/docs/rest-api/messages/update-message and
        https://www.cometchat.com/docs/sdk/javascript/edit-message.

        Args:
            message: the new version, a :class:`~cometchat_sync.models.TextMessage`,
                :class:`~cometchat_sync.models.MediaMessage` or
                :class:`~cometchat_sync.models.CustomMessage` whose ``id`` (a positive int)
                is the message to edit.

        Returns:
            The edited message as the server stored it.

        Raises:
            CometChatException: ``ERR_INVALID_PARAMETER`` when ``message`` is not a
                message with a category or its ``id`` is not a positive int; the server's
                code when it refuses the edit (for example a message this user did not send);
                and the errors of every REST call (see
                :class:`~cometchat_sync.rest.base.ResourceAPI`).
        """
        if not isinstance(message, BaseMessage) or not message.category:
            raise CometChatException(
                ErrorCode.INVALID_PARAMETER,
                "edit_message() takes the edited TextMessage, MediaMessage or CustomMessage.",
            )
        mid = check.message_id(message.id)
        self._note_own_action(mid, "edited")
        return _acted_on(self._client_call("PUT", f"messages/{mid}", body=message.to_send_json()))

    def delete_message(self, message_id: int) -> BaseMessage:
        """Delete a message; return it with ``deleted_at`` and ``deleted_by`` set.

        ``DELETE messages/{id}``. The sender may delete their own messages; group admins
        and moderators any message of the group. As for :meth:`edit_message`, the service
        answers with the ``deleted`` action message and the deleted message (its ``on``
        entity) is returned. The ``deleted`` event this causes is not delivered back to this
        client's message listeners.

        Wire: https://www.cometchat.com/docs/rest-api/messages/delete-message and
        https://www.cometchat.com/docs/sdk/javascript/delete-message.

        Args:
            message_id: the message's id, a positive int.

        Returns:
            The deleted message.

        Raises:
            CometChatException: ``ERR_INVALID_PARAMETER`` when ``message_id`` is not a
                positive int; the server's code when it refuses (an unknown message, or one
                this user may not delete); and the errors of every REST call (see
                :class:`~cometchat_sync.rest.base.ResourceAPI`).
        """
        mid = check.message_id(message_id)
        self._note_own_action(mid, "deleted")
        return _acted_on(self._client_call("DELETE", f"messages/{mid}"))

    def get_message(self, message_id: int) -> BaseMessage:
        """Fetch one message by id.

        ``GET messages/{id}``; the logged-in user must be able to see the message (a
        participant of its conversation).

        Wire: https://www.cometchat.com/docs/rest-api/messages.

        Args:
            message_id: the message's id, a positive int.

        Returns:
            The message, typed by its category and type (an
            :class:`~cometchat_sync.models.Action` or
            :class:`~cometchat_sync.models.Call` too).

        Raises:
            CometChatException: ``ERR_INVALID_PARAMETER`` when ``message_id`` is not a
                positive int; the server's code for an unknown message or one this user
                cannot see; and the errors of every REST call (see
                :class:`~cometchat_sync.rest.base.ResourceAPI`).
        """
        mid = check.message_id(message_id)
        return as_message(self._client_call("GET", f"messages/{mid}"))

    def fetch_messages(
        self,
        receiver_id: str,
        receiver_type: str = "user",
        *,
        before_id: Optional[int] = None,
        after_id: Optional[int] = None,
        limit: int = 30,
    ) -> list[BaseMessage]:
        """Fetch a page of a conversation's history, oldest first.

        ``GET users/{uid}/messages`` or ``GET groups/{guid}/messages`` with ``per_page``,
        ``affix`` (``prepend``: before, ``append``: after; always sent, as the official SDKs
        send it, the latest page included) and, for paging, ``id``.
        Without ``before_id``/``after_id`` it returns the latest ``limit`` messages; with
        ``before_id`` the ``limit`` messages just before that id; with ``after_id`` the
        first ``limit`` messages after it (``after_id=0``: from the start). Pass the first
        id of a page as the next ``before_id`` to scroll back.

        Wire: https://www.cometchat.com/docs/sdk/javascript/receive-message (message
        history) and https://www.cometchat.com/docs/rest-api/messages.

        Args:
            receiver_id: the other user's uid for a one-to-one conversation, or the
                group's guid (a non-empty string without spaces or ``/?#%``).
            receiver_type: ``"user"`` (default) or ``"group"``.
            before_id: a message id (positive int): return messages older than it.
            after_id: a message id (int >= 0): return messages newer than it. Give at most
                one of ``before_id`` and ``after_id``.
            limit: the page size, an int from 1 to 100 (default 30).

        Returns:
            Up to ``limit`` messages, oldest first, each typed by its category and type
            (actions and calls included); an empty list at either end of the history.

        Raises:
            CometChatException: ``MISSING_PARAMETERS`` for an empty ``receiver_id``;
                ``ERR_INVALID_PARAMETER`` for a malformed id, an unknown
                ``receiver_type``, both ``before_id`` and ``after_id``, or a ``limit``
                outside 1 to 100; the server's code when it refuses (for example a group
                this user has not joined); ``FAILED_TO_FETCH`` for an answer that is not a
                list; and the errors of every REST call (see
                :class:`~cometchat_sync.rest.base.ResourceAPI`).
        """
        path = conversation_path(receiver_id, receiver_type)
        if before_id is not None and after_id is not None:
            raise CometChatException(
                ErrorCode.INVALID_PARAMETER, "Give before_id or after_id, not both."
            )
        params: dict[str, Any] = {"per_page": check.limit(limit), "affix": "prepend"}
        if before_id is not None:
            params.update(id=check.message_id(before_id))
        elif after_id is not None:
            params.update(id=check.message_id(after_id, allow_zero=True), affix="append")
        return self._fetch_page(path, params)

    def _fetch_page(self, path: str, params: dict[str, Any]) -> list[BaseMessage]:
        data = self._client_call("GET", path, params=params).data
        if not isinstance(data, list):
            raise CometChatException(ErrorCode.FAILED_TO_FETCH, "The server returned no list.")
        return [BaseMessage.from_json(item) for item in data if isinstance(item, dict)]

    def add_reaction(self, message_id: int, reaction: str) -> BaseMessage:
        """Add the logged-in user's reaction to a message; return the updated message.

        ``POST messages/{id}/reactions/{reaction}`` (the reaction percent-encoded). The
        participants' message listeners hear ``on_message_reaction_added``. The service
        answers with the message, its ``reactions`` counted (as the official SDKs return it).

        Wire: https://www.cometchat.com/docs/sdk/javascript/reactions.

        Args:
            message_id: the message's id, a positive int.
            reaction: an emoji (``"😊"``) or a short name, a non-empty string of at most 64
                characters.

        Returns:
            The message with its reaction counts (read them with
            :meth:`ReactionCount.of_message <cometchat_sync.models.ReactionCount.of_message>`),
            typed by its category and type.

        Raises:
            CometChatException: ``ERR_INVALID_PARAMETER`` when ``message_id`` is not a
                positive int or ``reaction`` is not a short non-empty string; the server's
                code when it refuses (an unknown message, or one this user cannot see); and
                the errors of every REST call (see
                :class:`~cometchat_sync.rest.base.ResourceAPI`).
        """
        mid = check.message_id_segment(message_id)
        emoji = check.path_segment(reaction, "reaction", check.reaction)
        return as_message(self._client_call("POST", f"messages/{mid}/reactions/{emoji}"))

    def remove_reaction(self, message_id: int, reaction: str) -> BaseMessage:
        """Remove a reaction the logged-in user added to a message; return the updated
        message.

        The reverse of :meth:`add_reaction`, with the same checks:
        ``DELETE messages/{id}/reactions/{reaction}``. The participants' message listeners
        hear ``on_message_reaction_removed``.

        Wire: https://www.cometchat.com/docs/sdk/javascript/reactions.

        Args:
            message_id: the id (a positive int) of the message reacted to.
            reaction: the reaction as it was added (a non-empty string of at most 64
                characters).

        Returns:
            The message with its remaining reactions, as :meth:`add_reaction` returns it.

        Raises:
            CometChatException: ``ERR_INVALID_PARAMETER`` for a ``message_id`` or
                ``reaction`` that :meth:`add_reaction` would refuse; the server's code when
                it refuses (an unknown message, or one this user cannot see); and the
                errors of every REST call (see :class:`~cometchat_sync.rest.base.ResourceAPI`).
        """
        mid = check.message_id_segment(message_id)
        emoji = check.path_segment(reaction, "reaction", check.reaction)
        return as_message(self._client_call("DELETE", f"messages/{mid}/reactions/{emoji}"))


def _acted_on(response: RestResponse) -> BaseMessage:
    """The message an edit or delete answer is about: the ``on`` entity of an ``edited`` /
    ``deleted`` action message, or the answer itself when it is that message."""
    message = as_message(response)
    if not isinstance(message, Action):
        return message
    if message.message is None:
        raise CometChatException(ErrorCode.FAILED_TO_FETCH, "The server returned no message.")
    return message.message
