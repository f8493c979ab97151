"""Messages over REST: send, edit, delete, fetch one or a page of history, reactions.

Paths and bodies follow the official SDKs' observed traffic and the REST API reference
(https://www.cometchat.com/docs/rest-api/messages/send-message).
"""

from __future__ import annotations

from typing import Any, Optional
from urllib.parse import quote

from .. import _validate as check
from ..errors import CometChatException, ErrorCode
from ..models import BaseMessage
from .base import ResourceAPI, as_message
from .endpoints import conversation_path

__all__ = ["MessagesAPI"]


class MessagesAPI(ResourceAPI):
    """Message calls of the client (a mixin)."""

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
        sent = as_message(self._client_call("POST", path, body=message.to_send_json()))
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
        mid = check.message_id(message.id)
        self._note_own_action(mid, "edited")
        return as_message(self._client_call("PUT", f"messages/{mid}", body=message.to_send_json()))

    def delete_message(self, message_id: int) -> BaseMessage:
        """Delete a message; return it with ``deleted_at``/``deleted_by`` set."""
        mid = check.message_id(message_id)
        self._note_own_action(mid, "deleted")
        return as_message(self._client_call("DELETE", f"messages/{mid}"))

    def get_message(self, message_id: int) -> BaseMessage:
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
        """Messages of a conversation, oldest first: the latest ``limit`` ones, or those
        before ``before_id`` / after ``after_id`` (at most ``limit``, up to 100)."""
        path = conversation_path(receiver_id, receiver_type)
        if before_id is not None and after_id is not None:
            raise CometChatException(
                ErrorCode.INVALID_PARAMETER, "Give before_id or after_id, not both."
            )
        params: dict[str, Any] = {"per_page": check.limit(limit)}
        if before_id is not None:
            params.update(id=check.message_id(before_id), affix="prepend")
        elif after_id is not None:
            params.update(id=check.message_id(after_id, allow_zero=True), affix="append")
        return self._fetch_page(path, params)

    def _fetch_page(self, path: str, params: dict[str, Any]) -> list[BaseMessage]:
        data = self._client_call("GET", path, params=params).data
        if not isinstance(data, list):
            raise CometChatException(ErrorCode.FAILED_TO_FETCH, "The server returned no list.")
        return [BaseMessage.from_json(item) for item in data if isinstance(item, dict)]

    def add_reaction(self, message_id: int, reaction: str) -> None:
        """React to a message (``reaction`` is an emoji or a short name)."""
        self._client_call(
            "POST", f"messages/{check.message_id(message_id)}/reactions/{_reaction(reaction)}"
        )

    def remove_reaction(self, message_id: int, reaction: str) -> None:
        self._client_call(
            "DELETE", f"messages/{check.message_id(message_id)}/reactions/{_reaction(reaction)}"
        )


def _reaction(value: object) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > 64:
        raise CometChatException(ErrorCode.INVALID_PARAMETER, "A reaction is a short string.")
    return quote(value, safe="")
