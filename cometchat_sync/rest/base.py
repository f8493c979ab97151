"""What every REST resource family needs from the client, and how answers are read.

Each family module (:mod:`.messages`, :mod:`.users`, :mod:`.groups`, :mod:`.calls`) is a
mixin of :class:`~cometchat_sync.client.CometChatClient` that builds paths and bodies and reads
the answer; the client supplies :meth:`ResourceAPI._client_call` (the authenticated call
through :class:`~cometchat_sync.rest.transport.RestClient`) and the message ledger hooks.
"""

from __future__ import annotations

from typing import Any, Optional

from ..errors import CometChatException, ErrorCode
from ..models import BaseMessage, Call
from .transport import RestResponse

__all__ = ["ResourceAPI", "as_call", "as_message", "as_object"]


class ResourceAPI:
    """The hooks a REST family calls; implemented by the client."""

    def _client_call(
        self,
        method: str,
        path: str,
        *,
        body: Optional[dict[str, Any]] = None,
        params: Optional[dict[str, Any]] = None,
    ) -> RestResponse:
        """One call to the client API as the logged-in user (``path`` relative to the
        client API base)."""
        raise NotImplementedError

    def _note_sent(self, message: BaseMessage) -> None:
        """``message`` was sent by this client: never deliver it back."""
        raise NotImplementedError

    def _note_own_action(self, message_id: int, action: str) -> None:
        """This client edits or deletes ``message_id``: its echo is not delivered."""
        raise NotImplementedError


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
