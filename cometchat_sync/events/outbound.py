"""Events the client sends over the socket: typing indicators, receipts, transient messages.

What every send shares (its thread, the app's ``MODE`` throttling, its errors) is in
:class:`LiveEventsAPI`.

Wire: https://www.cometchat.com/docs/sdk/javascript/typing-indicators,
https://www.cometchat.com/docs/sdk/javascript/delivery-read-receipts and
https://www.cometchat.com/docs/sdk/javascript/transient-messages.
"""

from __future__ import annotations

import threading
from typing import Any
from typing import Optional

from ..errors import CometChatException
from ..errors import ErrorCode
from ..errors import NotLoggedInError
from ..models import BaseMessage
from ..models import TransientMessage
from ..models import TypingIndicator
from ..models import User
from ..session import Session

__all__ = ["LiveEventsAPI"]

_THROTTLING_MODES = frozenset({"LIMITED_TRANSIENT", "NO_TRANSIENT"})


class LiveEventsAPI:
    """Socket sends of :class:`~cometchat_sync.client.CometChatClient` (a mixin): typing
    indicators, delivery and read receipts, transient messages.

    A send writes one frame on the socket, on the caller's thread, and waits for no answer:
    it is quick, and may be called from any thread, including a listener. Nothing is queued
    for later. As in the official SDKs, the app's ``MODE`` setting throttles sends under high
    load: typing indicators are skipped silently when it is ``LIMITED_TRANSIENT`` or
    ``NO_TRANSIENT``, transient messages when it is ``NO_TRANSIENT``, and receipts raise
    ``RECEIPTS_TEMPORARILY_BLOCKED`` in both modes.

    A receipt is addressed to the message's sender in a one-to-one conversation and to the
    group in a group one. CometChat reads it as covering that message and the earlier ones
    of the conversation, so marking the latest message is enough.

    Not meant to be used on its own: the client supplies the session and the send.

    Raises:
        CometChatException: every send raises ``NO_WEBSOCKET_CONNECTION`` when the link is
            not connected (nothing is sent).
        NotLoggedInError: ``ERR_NOT_LOGGED_IN`` when no user is logged in.
    """

    _session: Optional[Session]
    _typing_lock: threading.Lock
    _typing: set[tuple[str, str]]

    def _socket_send(self, frame: dict[str, Any]) -> None:
        """Send one event frame over the link (the client adds the envelope)."""
        raise NotImplementedError

    def start_typing(self, indicator: TypingIndicator) -> None:
        """Tell a user or a group that the logged-in user started typing.

        Sends one ``typing_indicator`` frame (action ``started``); the receiver's message
        listeners hear ``on_typing_started``. As the official SDKs do, it is sent once per
        receiver until :meth:`end_typing`: repeated calls send nothing. If the link is not
        connected nothing is sent, and the next call tries again. Skipped silently under a
        throttling ``MODE`` (see :class:`LiveEventsAPI`).

        Wire: https://www.cometchat.com/docs/sdk/javascript/typing-indicators.

        Args:
            indicator: a :class:`~cometchat_sync.models.TypingIndicator` naming the
                receiver (uid or guid and ``"user"``/``"group"``), with optional
                ``metadata`` (a JSON object) for the receiver.

        Raises:
            CometChatException: ``ERR_INVALID_PARAMETER`` when ``indicator`` is not a
                :class:`~cometchat_sync.models.TypingIndicator`; and the errors of every
                socket send (see :class:`~cometchat_sync.events.outbound.LiveEventsAPI`).
        """
        self._typing_event(indicator, "started")

    def end_typing(self, indicator: TypingIndicator) -> None:
        """Tell a user or a group that the logged-in user stopped typing.

        Sends one ``typing_indicator`` frame (action ``ended``), only if :meth:`start_typing`
        sent a start to that receiver; otherwise it sends nothing. The receiver's message
        listeners hear ``on_typing_ended``. If the link is not connected the start is still
        considered sent, so a later call tries again. Skipped silently under a throttling
        ``MODE`` (see :class:`LiveEventsAPI`).

        Wire: https://www.cometchat.com/docs/sdk/javascript/typing-indicators.

        Args:
            indicator: a :class:`~cometchat_sync.models.TypingIndicator` naming the same
                receiver as the start.

        Raises:
            CometChatException: ``ERR_INVALID_PARAMETER`` for an ``indicator`` that
                :meth:`start_typing` would refuse; and the errors of every socket send (see
                :class:`~cometchat_sync.events.outbound.LiveEventsAPI`).
        """
        self._typing_event(indicator, "ended")

    def _typing_event(self, indicator: TypingIndicator, action: str) -> None:
        if not isinstance(indicator, TypingIndicator):
            raise CometChatException(ErrorCode.INVALID_PARAMETER, "Pass a TypingIndicator.")
        session = self._require_session()
        if _mode(session) in _THROTTLING_MODES:
            return
        key = (indicator.receiver_type, indicator.receiver_id)
        starting = action == "started"
        frame = indicator.to_send_json(action, _me(session))
        with self._typing_lock:
            if starting == (key in self._typing):
                return  # already started / nothing to end
            # Claim the change under the lock; the frame goes out with no lock held.
            self._mark_typing(key, starting)
        try:
            self._socket_send(frame)
        except BaseException:
            with self._typing_lock:  # not sent: the receiver's view did not change
                self._mark_typing(key, not starting)
            raise

    def _mark_typing(self, key: tuple[str, str], started: bool) -> None:
        if started:
            self._typing.add(key)
        else:
            self._typing.discard(key)

    def mark_as_delivered(self, message: BaseMessage) -> None:
        """Tell the sender of a received message that it was delivered.

        Sends one ``receipts`` frame (action ``delivered``); the sender's message listeners
        hear ``on_messages_delivered``. Typically called right from a listener such as
        ``on_text_message_received``.

        Wire: https://www.cometchat.com/docs/sdk/javascript/delivery-read-receipts.

        Args:
            message: a received message (one with a positive ``id``), as given to a
                listener or returned by :meth:`fetch_messages`.

        Raises:
            CometChatException: ``ERR_INVALID_PARAMETER`` when ``message`` is not a
                message with an id; ``RECEIPTS_TEMPORARILY_BLOCKED`` under a throttling
                ``MODE``; and the errors of every socket send (see
                :class:`~cometchat_sync.events.outbound.LiveEventsAPI`).
        """
        self._receipt(message, "delivered")

    def mark_as_read(self, message: BaseMessage) -> None:
        """Tell the sender of a received message that the logged-in user read it.

        Sends the receipt :meth:`mark_as_delivered` sends, with action ``read``; the
        sender's message listeners hear ``on_messages_read``.

        Wire: https://www.cometchat.com/docs/sdk/javascript/delivery-read-receipts.

        Args:
            message: the message read (a received one, with a positive ``id``).

        Raises:
            CometChatException: ``ERR_INVALID_PARAMETER`` and
                ``RECEIPTS_TEMPORARILY_BLOCKED`` as :meth:`mark_as_delivered` raises them;
                and the errors of every socket send (see
                :class:`~cometchat_sync.events.outbound.LiveEventsAPI`).
        """
        self._receipt(message, "read")

    def _receipt(self, message: BaseMessage, action: str) -> None:
        if not isinstance(message, BaseMessage) or message.id <= 0:
            raise CometChatException(
                ErrorCode.INVALID_PARAMETER, "Pass a received message (one with an id)."
            )
        session = self._require_session()
        if _mode(session) in _THROTTLING_MODES:
            raise CometChatException(
                ErrorCode.RECEIPTS_TEMPORARILY_BLOCKED,
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
        """Relay a message live to a user or a group; it is never stored.

        Sends one ``transient_message`` frame. Only receivers online at that moment get it,
        on their message listeners' ``on_transient_message_received``; it cannot be fetched
        later. Skipped silently when the app's ``MODE`` is ``NO_TRANSIENT``.

        Wire: https://www.cometchat.com/docs/sdk/javascript/transient-messages.

        Args:
            message: a :class:`~cometchat_sync.models.TransientMessage` naming the
                receiver (uid or guid and ``"user"``/``"group"``) and carrying ``data``
                (a JSON object, e.g. ``{"LIVE_REACTION": "heart"}``).

        Raises:
            CometChatException: ``ERR_INVALID_PARAMETER`` when ``message`` is not a
                :class:`~cometchat_sync.models.TransientMessage`; and the errors of every
                socket send (see :class:`~cometchat_sync.events.outbound.LiveEventsAPI`).
        """
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


def _me(session: Session) -> User:
    return User.from_json(session.user)


def _mode(session: Session) -> str:
    return str(session.settings.get("MODE", "DEFAULT")).upper()
