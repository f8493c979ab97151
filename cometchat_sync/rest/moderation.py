"""Moderation over REST: the app's flag reasons and flagging a message.

Wire (the official JavaScript SDK 4.2.0, observed against the emulator, and
https://www.cometchat.com/docs/sdk/javascript/flag-message): the reasons are the app
settings' ``flagReasons`` (``GET settings``); a flag is ``POST messages/{id}/flagged`` with
``{"id": reasonId, "remark"?}``, after checking the reason id against the app's reasons
(``INVALID_REASON_ID`` otherwise, as the official SDKs do). The verdicts of AI moderation
reach ``MessageListener.on_message_moderated``
(https://www.cometchat.com/docs/sdk/javascript/ai-moderation).
"""

from __future__ import annotations

from typing import Any
from typing import Optional

from .. import _validate as check
from ..errors import CometChatException
from ..errors import ErrorCode
from ..models import FlagReason
from .base import ResourceAPI
from .base import as_object

__all__ = ["ModerationAPI"]


class ModerationAPI(ResourceAPI):
    """Flag calls of :class:`~cometchat_sync.client.CometChatClient` (a mixin).

    Threads and the errors every REST call raises: :class:`~cometchat_sync.rest.base.ResourceAPI`.
    """

    def get_flag_reasons(self) -> list[FlagReason]:
        """The reasons a message may be flagged for, as the app's dashboard sets them.

        ``GET settings``, read fresh on every call (``flagReasons``); an app without
        reasons gives ``[]``.

        Wire: https://www.cometchat.com/docs/sdk/javascript/flag-message.

        Returns:
            The app's :class:`~cometchat_sync.models.FlagReason` list, in its order.

        Raises:
            CometChatException: the errors of every REST call (see
                :class:`~cometchat_sync.rest.base.ResourceAPI`).

        May be called from a listener (it blocks the dispatcher for one request).
        """
        settings = as_object(self._client_call("GET", "settings").data, "settings")
        reasons = settings.get("flagReasons")
        if not isinstance(reasons, list):
            return []
        return [FlagReason.from_json(r) for r in reasons if isinstance(r, dict) and r.get("id")]

    def flag_message(
        self, message_id: int, reason_id: str, remark: Optional[str] = None
    ) -> dict[str, Any]:
        """Report a message to the app's moderators, for one of the app's flag reasons.

        Checks ``reason_id`` against :meth:`get_flag_reasons` (one ``GET settings``), then
        ``POST messages/{id}/flagged`` with ``{"id": reason_id, "remark": remark}``. The
        message then waits in the dashboard's flagged queue.

        Wire: https://www.cometchat.com/docs/sdk/javascript/flag-message (and the official
        JavaScript SDK's traffic).

        Args:
            message_id: the message's id, a positive int.
            reason_id: the ``id`` of one of the app's :class:`~cometchat_sync.models.FlagReason`.
            remark: an optional explanation, a string.

        Returns:
            The server's answer, e.g. ``{"success": True, "message": "Message 12 has been
            flagged successfully."}``.

        Raises:
            CometChatException: ``ERR_INVALID_PARAMETER`` for a ``message_id`` that is not
                a positive int or a ``remark`` that is not a string; ``MISSING_PARAMETERS``
                for an empty ``reason_id``; ``INVALID_REASON_ID`` for an id that is not one
                of the app's reasons (nothing is flagged); the server's code when it refuses
                (an unknown message, or one this user cannot see); and the errors of every
                REST call (see :class:`~cometchat_sync.rest.base.ResourceAPI`).

        May be called from a listener (it blocks the dispatcher for two requests).
        """
        mid = check.message_id(message_id)
        if not isinstance(reason_id, str) or not reason_id.strip():
            raise CometChatException(ErrorCode.MISSING_PARAMETERS, "reason_id cannot be empty.")
        if remark is not None and not isinstance(remark, str):
            raise CometChatException(ErrorCode.INVALID_PARAMETER, "remark must be a string.")
        if all(reason.id != reason_id for reason in self.get_flag_reasons()):
            raise CometChatException(
                ErrorCode.INVALID_REASON_ID,
                "Invalid reasonId provided: it is not one of the app's flag reasons.",
                {"reason_id": reason_id[:100]},
            )
        body: dict[str, Any] = {"id": reason_id}
        if remark:
            body["remark"] = remark
        answer = self._client_call("POST", f"messages/{mid}/flagged", body=body).data
        return dict(answer) if isinstance(answer, dict) else {"success": True}
