"""Call signalling over REST: start, accept, reject, cancel and end a call.

Signalling only (the ringing flow): each step is one request to the client API that
creates or updates the call's session, and the other side hears of it as a ``call``
message on its call listeners. The audio and video media themselves are out of scope.

Wire: https://www.cometchat.com/docs/calls/v4/javascript/ringing (formerly "default
calling").
"""

from __future__ import annotations

from .. import _validate as check
from ..errors import CometChatException
from ..errors import ErrorCode
from ..models import Call
from .base import ResourceAPI
from .base import as_call

__all__ = ["CallsAPI"]


class CallsAPI(ResourceAPI):
    """Call signalling of :class:`~cometchat_sync.client.CometChatClient` (a mixin).

    The steps after :meth:`initiate_call` (:meth:`accept_call`, :meth:`reject_call`,
    :meth:`end_call`) name the call by its ``session_id`` and share these errors:
    ``MISSING_PARAMETERS`` for an empty ``session_id``, ``ERR_INVALID_PARAMETER`` for one
    that is not a string or holds spaces or ``/?#%``, and the server's code when it refuses
    (an unknown session, a call already over). Threads and the errors every REST call
    raises: :class:`~cometchat_sync.rest.base.ResourceAPI`.
    """

    def initiate_call(
        self, receiver_id: str, call_type: str = "audio", receiver_type: str = "user"
    ) -> Call:
        """Start a call to a user or a group (it rings on the other side).

        ``POST calls`` with ``receiver``, ``receiverType``, ``type``, ``category`` (``"call"``)
        and ``status`` (``"initiated"``), as the official SDKs send it. The receiver's
        call listeners hear ``on_incoming_call_received``; this client's own echo of the
        call is not delivered back. Keep the returned ``session_id`` to cancel
        (:meth:`reject_call` with ``"cancelled"``) or end the call.

        Wire: https://www.cometchat.com/docs/calls/v4/javascript/ringing.

        Args:
            receiver_id: the callee's uid, or the group's guid (a non-empty string
                without spaces or ``/?#%``).
            call_type: ``"audio"`` (default) or ``"video"``.
            receiver_type: ``"user"`` (default) or ``"group"``.

        Returns:
            The call, with its ``session_id`` and status ``"initiated"``.

        Raises:
            CometChatException: ``ERR_INVALID_PARAMETER`` for another ``call_type`` or
                ``receiver_type`` or a malformed id, ``MISSING_PARAMETERS`` for an empty
                one; the server's code when it refuses (an unknown receiver, a group this
                user is not in); and the errors of every REST call (see
                :class:`~cometchat_sync.rest.base.ResourceAPI`).
        """
        if call_type not in ("audio", "video"):
            raise CometChatException(ErrorCode.INVALID_PARAMETER, "call_type is audio or video.")
        body = {
            "receiver": check.identifier(receiver_id, "receiver id"),
            "receiverType": check.receiver_type(receiver_type),
            "type": call_type,
            "category": "call",
            "status": "initiated",
        }
        call = as_call(self._client_call("POST", "calls", body=body))
        self._note_sent(call)
        return call

    def accept_call(self, session_id: str) -> Call:
        """Accept an incoming call, typically from ``on_incoming_call_received``.

        ``PUT calls/{session_id}`` with status ``ongoing``. The caller's call listeners
        hear ``on_outgoing_call_accepted``; both sides may then start the media session
        (not part of this SDK).

        Wire: https://www.cometchat.com/docs/calls/v4/javascript/ringing.

        Args:
            session_id: the ``session_id`` of the :class:`~cometchat_sync.models.Call`
                received, a non-empty string without spaces or ``/?#%``.

        Returns:
            The call, now ``"ongoing"``.

        Raises:
            CometChatException: the errors of a step on a session (see
                :class:`~cometchat_sync.rest.calls.CallsAPI`) and of every REST call (see
                :class:`~cometchat_sync.rest.base.ResourceAPI`).
        """
        return self._call_status(session_id, "ongoing")

    def reject_call(self, session_id: str, status: str = "rejected") -> Call:
        """Reject an incoming call, or cancel an outgoing one.

        ``PUT calls/{session_id}`` with ``status``. For a reject (``"rejected"`` or
        ``"busy"``) the caller's call listeners hear ``on_outgoing_call_rejected``; for a
        cancel (``"cancelled"``) the callee's hear ``on_incoming_call_cancelled``.

        Wire: https://www.cometchat.com/docs/calls/v4/javascript/ringing.

        Args:
            session_id: the call's ``session_id``, a non-empty string without spaces or
                ``/?#%``.
            status: ``"rejected"`` (default) or ``"busy"`` by the callee;
                ``"cancelled"`` by the caller.

        Returns:
            The call with its new status.

        Raises:
            CometChatException: ``ERR_INVALID_PARAMETER`` for another ``status``; the
                errors of a step on a session (see :class:`~cometchat_sync.rest.calls.CallsAPI`)
                and of every REST call (see :class:`~cometchat_sync.rest.base.ResourceAPI`).
        """
        if status not in ("rejected", "busy", "cancelled"):
            raise CometChatException(
                ErrorCode.INVALID_PARAMETER, "status is rejected, busy or cancelled."
            )
        return self._call_status(session_id, status)

    def end_call(self, session_id: str) -> Call:
        """Mark a call as ended.

        ``PUT calls/{session_id}`` with status ``ended``. The other participants' call
        listeners hear ``on_call_ended_message_received``.

        Wire: https://www.cometchat.com/docs/calls/v4/javascript/ringing.

        Args:
            session_id: the call's ``session_id``, a non-empty string without spaces or
                ``/?#%``.

        Returns:
            The call with status ``"ended"``.

        Raises:
            CometChatException: the errors of a step on a session (see
                :class:`~cometchat_sync.rest.calls.CallsAPI`) and of every REST call (see
                :class:`~cometchat_sync.rest.base.ResourceAPI`).
        """
        return self._call_status(session_id, "ended")

    def _call_status(self, session_id: str, status: str) -> Call:
        path = f"calls/{check.path_segment(session_id, 'session id')}"
        call = as_call(self._client_call("PUT", path, body={"status": status}))
        self._note_sent(call)
        return call
