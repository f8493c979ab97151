"""Interactive messages over REST: sending one and marking an element as interacted with.

Wire (the official JavaScript SDK 4.2.0, observed against the emulator, and
https://www.cometchat.com/docs/sdk/javascript/interactive-messages): an interactive message
is ``POST messages`` with category ``interactive`` and ``data`` holding
``interactiveData``, ``interactionGoal`` and ``allowSenderInteraction``; an interaction is
``PATCH messages/{id}/interacted`` with ``{"interactions": [elementId]}``, whose answer's
``message`` is a sentence. Receivers hear ``on_interactive_message_received``; when the goal
is met the participants hear ``on_interaction_goal_completed``.
"""

from __future__ import annotations

from .. import _validate as check
from ..errors import CometChatException
from ..errors import ErrorCode
from ..models import BaseMessage
from ..models import InteractiveMessage
from .base import ResourceAPI

__all__ = ["InteractiveAPI"]


class InteractiveAPI(ResourceAPI):
    """Interactive-message calls of :class:`~cometchat_sync.client.CometChatClient` (a mixin).

    Threads and the errors every REST call raises: :class:`~cometchat_sync.rest.base.ResourceAPI`.
    """

    def send_interactive_message(self, message: InteractiveMessage) -> BaseMessage:
        """Send a form, card, scheduler or other interactive message.

        ``POST messages`` (``POST messages/{parent_id}/thread`` for a reply) with the
        message's category ``interactive``, type, ``interactiveData``, ``interactionGoal``
        and ``allowSenderInteraction``. This client's own real-time echo is not delivered
        to its listeners.

        Wire: https://www.cometchat.com/docs/sdk/javascript/interactive-messages.

        Args:
            message: an :class:`~cometchat_sync.models.InteractiveMessage`.

        Returns:
            The stored message, an :class:`~cometchat_sync.models.InteractiveMessage`.

        Raises:
            CometChatException: ``ERR_INVALID_PARAMETER`` when ``message`` is not an
                ``InteractiveMessage``; the server's code when it refuses it (for example
                ``interactiveData`` that is not an object); and the errors of every REST
                call (see :class:`~cometchat_sync.rest.base.ResourceAPI`).

        May be called from a listener (it blocks the dispatcher for one request).
        """
        if not isinstance(message, InteractiveMessage):
            raise CometChatException(
                ErrorCode.INVALID_PARAMETER,
                "send_interactive_message() takes an InteractiveMessage.",
            )
        return self._post_message(message)

    def mark_as_interacted(self, message_id: int, element_id: str) -> str:
        """Record that the logged-in user interacted with one element of a message.

        ``PATCH messages/{id}/interacted`` with ``{"interactions": [element_id]}``. When
        this meets the message's goal, the participants' message listeners hear
        ``on_interaction_goal_completed`` (this client's own listeners too, unless the
        frame carries this client's device id).

        Wire: https://www.cometchat.com/docs/sdk/javascript/interactive-messages.

        Args:
            message_id: the interactive message's id, a positive int.
            element_id: the element's id in its ``interactiveData``, a non-empty string.

        Returns:
            The server's sentence, e.g. ``"Message 7 marked as interacted."``.

        Raises:
            CometChatException: ``ERR_INVALID_PARAMETER`` for a ``message_id`` that is not
                a positive int or an ``element_id`` that is not a string;
                ``MISSING_PARAMETERS`` for an empty ``element_id``; the server's code when
                it refuses (an unknown message, one that is not interactive, or the
                sender's own message that does not allow sender interaction); and the
                errors of every REST call (see :class:`~cometchat_sync.rest.base.ResourceAPI`).

        May be called from a listener (it blocks the dispatcher for one request).
        """
        mid = check.message_id(message_id)
        if not isinstance(element_id, str):
            raise CometChatException(ErrorCode.INVALID_PARAMETER, "element_id must be a string.")
        if not element_id.strip():
            raise CometChatException(ErrorCode.MISSING_PARAMETERS, "element_id cannot be empty.")
        body = {"interactions": [element_id]}
        data = self._client_call("PATCH", f"messages/{mid}/interacted", body=body).data
        message = data.get("message") if isinstance(data, dict) else None
        return message if isinstance(message, str) else "Marked interacted"
