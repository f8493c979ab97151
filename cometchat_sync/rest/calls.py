"""Call signalling over REST: start, accept, reject, cancel and end a call. The receiver
hears of it as a ``call`` message (https://www.cometchat.com/docs/sdk/javascript/default-calling)."""

from __future__ import annotations

from .. import _validate as check
from ..errors import CometChatException, ErrorCode
from ..models import Call
from .base import ResourceAPI, as_call

__all__ = ["CallsAPI"]


class CallsAPI(ResourceAPI):
    """Call calls of the client (a mixin)."""

    def initiate_call(
        self, receiver_id: str, call_type: str = "audio", receiver_type: str = "user"
    ) -> Call:
        """Start a call; the receiver's ``CallListener`` hears ``on_incoming_call_received``."""
        if call_type not in ("audio", "video"):
            raise CometChatException(ErrorCode.INVALID_PARAMETER, "call_type is audio or video.")
        body = {
            "receiver": check.identifier(receiver_id, "receiver id"),
            "receiverType": check.receiver_type(receiver_type),
            "type": call_type,
        }
        call = as_call(self._client_call("POST", "calls", body=body))
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
        path = f"calls/{check.path_segment(session_id, 'session id')}"
        call = as_call(self._client_call("PUT", path, body={"status": status}))
        self._note_sent(call)
        return call
