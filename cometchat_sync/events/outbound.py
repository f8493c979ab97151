"""Events the client sends over the socket: typing indicators, receipts, transient messages.

Sends raise ``NO_WEBSOCKET_CONNECTION`` when the link is not connected, and
``ERR_NOT_LOGGED_IN`` with no user. As in the official SDKs, typing indicators are skipped
silently when the app's ``MODE`` setting is ``LIMITED_TRANSIENT`` or ``NO_TRANSIENT``,
transient messages when it is ``NO_TRANSIENT``, and receipts raise
``RECEIPTS_TEMPORARILY_BLOCKED`` (https://www.cometchat.com/docs/sdk/javascript/typing-indicators,
https://www.cometchat.com/docs/sdk/javascript/delivery-read-receipts).
"""

from __future__ import annotations

import threading
from typing import Any, Optional

from ..errors import CometChatException, ErrorCode, NotLoggedInError
from ..models import BaseMessage, TransientMessage, TypingIndicator, User
from ..session import Session

__all__ = ["LiveEventsAPI"]

_THROTTLING_MODES = frozenset({"LIMITED_TRANSIENT", "NO_TRANSIENT"})


class LiveEventsAPI:
    """Socket sends of the client (a mixin); the client supplies the session and the send."""

    _session: Optional[Session]
    _typing_lock: threading.Lock
    _typing: set[tuple[str, str]]

    def _socket_send(self, frame: dict[str, Any]) -> None:
        """Send one event frame over the link (the client adds the envelope)."""
        raise NotImplementedError

    def start_typing(self, indicator: TypingIndicator) -> None:
        """Tell the receiver this user started typing. Sent once per receiver until
        :meth:`end_typing`, as the official SDKs do."""
        self._typing_event(indicator, "started")

    def end_typing(self, indicator: TypingIndicator) -> None:
        """Tell the receiver this user stopped typing (only if a start was sent)."""
        self._typing_event(indicator, "ended")

    def _typing_event(self, indicator: TypingIndicator, action: str) -> None:
        if not isinstance(indicator, TypingIndicator):
            raise CometChatException(ErrorCode.INVALID_PARAMETER, "Pass a TypingIndicator.")
        session = self._require_session()
        if _mode(session) in _THROTTLING_MODES:
            return
        key = (indicator.receiver_type, indicator.receiver_id)
        with self._typing_lock:
            started = key in self._typing
            if (action == "started") == started:
                return  # already started / nothing to end
            frame = indicator.to_send_json(action, _me(session))
            self._socket_send(frame)
            if action == "started":
                self._typing.add(key)
            else:
                self._typing.discard(key)

    def mark_as_delivered(self, message: BaseMessage) -> None:
        """Send a delivery receipt for a received ``message``."""
        self._receipt(message, "delivered")

    def mark_as_read(self, message: BaseMessage) -> None:
        """Send a read receipt for a received ``message``."""
        self._receipt(message, "read")

    def _receipt(self, message: BaseMessage, action: str) -> None:
        if not isinstance(message, BaseMessage) or message.id <= 0:
            raise CometChatException(
                ErrorCode.INVALID_PARAMETER, "Pass a received message (one with an id)."
            )
        session = self._require_session()
        if _mode(session) in _THROTTLING_MODES:
            raise CometChatException(
                "RECEIPTS_TEMPORARILY_BLOCKED",
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
        """Relay ``message`` live to the receiver; it is never stored."""
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
