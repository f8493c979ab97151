"""Pinning and saving messages over REST.

A pin is conversation-wide (everyone in the conversation sees it; in a group only its owner,
admins and moderators may pin); a save is the logged-in user's own bookmark. Each call
answers with the whole updated message (its ``pinned_at``, ``pinned_by`` and ``saved_at``).
Message listeners hear ``on_message_pinned``/``on_message_unpinned`` (every participant) and
``on_message_saved``/``on_message_unsaved`` (the user's other devices).

Wire: ``POST``/``DELETE messages/{id}/pin`` and ``POST``/``DELETE messages/{id}/save``, and
the ``message_pin_save`` frame (the official JavaScript SDK's observed traffic and type
declarations; https://www.cometchat.com/docs/sdk/javascript/pin-message).
"""

from __future__ import annotations

from .. import _validate as check
from ..models import BaseMessage
from .base import ResourceAPI
from .base import as_message

__all__ = ["PinsAPI"]


class PinsAPI(ResourceAPI):
    """Pin and save calls of :class:`~cometchat_sync.client.CometChatClient` (a mixin).

    Threads and the errors every call raises: :class:`~cometchat_sync.rest.base.ResourceAPI`.
    """

    def pin_message(self, message_id: int) -> BaseMessage:
        """Pin a message to its conversation, for everyone in it.

        ``POST messages/{id}/pin``. Idempotent: pinning again makes the caller the latest
        pinner. Every participant's message listeners hear ``on_message_pinned``.

        Wire: https://www.cometchat.com/docs/sdk/javascript/pin-message.

        Args:
            message_id: the message's id, a positive int.

        Returns:
            The updated message (``pinned_at``, epoch seconds, and ``pinned_by``, a uid).

        Raises:
            CometChatException: ``ERR_INVALID_PARAMETER`` when ``message_id`` is not a
                positive int; the server's code when it refuses (``ERR_ACTION_NOT_ALLOWED``
                for a group participant, ``ERR_MESSAGE_NOT_FOUND``/``ERR_MESSAGE_ID_NOT_FOUND``,
                ``ERR_MESSAGE_NO_ACCESS``); and the errors of every REST call (see
                :class:`~cometchat_sync.rest.base.ResourceAPI`).
        """
        return self._pin_save("POST", message_id, "pin")

    def unpin_message(self, message_id: int) -> BaseMessage:
        """Unpin a message (any admin or moderator may, not only its pinner).

        ``DELETE messages/{id}/pin``. Idempotent. Every participant's message listeners hear
        ``on_message_unpinned`` when it was pinned.

        Wire: https://www.cometchat.com/docs/sdk/javascript/pin-message.

        Args:
            message_id: the message's id, a positive int.

        Returns:
            The updated message (``pinned_at`` and ``pinned_by`` ``None``).

        Raises:
            CometChatException: as :meth:`pin_message`; and the errors of every REST call
                (see :class:`~cometchat_sync.rest.base.ResourceAPI`).
        """
        return self._pin_save("DELETE", message_id, "pin")

    def save_message(self, message_id: int) -> BaseMessage:
        """Save (bookmark) a message for the logged-in user alone; no scope needed.

        ``POST messages/{id}/save``. Idempotent. The user's other devices hear
        ``on_message_saved``.

        Wire: https://www.cometchat.com/docs/sdk/javascript/pin-message (and the official
        JavaScript SDK's ``saveMessage``, type declarations).

        Args:
            message_id: the message's id, a positive int.

        Returns:
            The updated message (``saved_at``, epoch seconds).

        Raises:
            CometChatException: ``ERR_INVALID_PARAMETER`` when ``message_id`` is not a
                positive int; the server's code when it refuses (an unknown message, or one
                this user cannot see); and the errors of every REST call (see
                :class:`~cometchat_sync.rest.base.ResourceAPI`).
        """
        return self._pin_save("POST", message_id, "save")

    def unsave_message(self, message_id: int) -> BaseMessage:
        """Remove a message from the logged-in user's saved messages.

        ``DELETE messages/{id}/save``. Idempotent. The user's other devices hear
        ``on_message_unsaved`` when it was saved.

        Wire: https://www.cometchat.com/docs/sdk/javascript/pin-message (and the official
        JavaScript SDK's ``unsaveMessage``, type declarations).

        Args:
            message_id: the message's id, a positive int.

        Returns:
            The updated message (``saved_at`` ``None``).

        Raises:
            CometChatException: as :meth:`save_message`; and the errors of every REST call
                (see :class:`~cometchat_sync.rest.base.ResourceAPI`).
        """
        return self._pin_save("DELETE", message_id, "save")

    def _pin_save(self, method: str, message_id: int, part: str) -> BaseMessage:
        mid = check.message_id_segment(message_id)
        return as_message(self._client_call(method, f"messages/{mid}/{part}"))
