"""``CometChat``: the static facade of the official SDKs, over one default client.

::

    CometChat.init(APP_ID, AppSettingsBuilder().set_region("eu").build())
    CometChat.login("superhero1", AUTH_KEY)

Every method delegates to the :class:`~cometchat_sync.client.CometChatClient` that ``init``
created (``CometChat.client()`` returns it). Calling anything before ``init`` raises
``ERROR_INIT_NOT_CALLED``. Code that needs two apps, or tests, should use clients directly.
"""

from __future__ import annotations

import threading
from typing import Optional, Union

from .client import CometChatClient
from .connection.state import AppState, ConnectionStatus
from .errors import CometChatException, ErrorCode
from .events.dispatcher import Executor
from .events.registry import ErrorHook
from .listeners import (
    CallListener,
    ConnectionListener,
    GroupListener,
    LoginListener,
    MessageListener,
    UserListener,
)
from .models import (
    BaseMessage,
    Call,
    Group,
    GroupMember,
    TransientMessage,
    TypingIndicator,
    User,
)
from .settings import AppSettings

__all__ = ["CometChat"]

_lock = threading.Lock()
_default: Optional[CometChatClient] = None


def _client() -> CometChatClient:
    client = _default
    if client is None:
        raise CometChatException(
            ErrorCode.INIT_NOT_CALLED, "Call CometChat.init(app_id, settings) first."
        )
    return client


class CometChat:
    """Static facade; see the module docstring."""

    def __init__(self) -> None:
        raise TypeError("CometChat is a static facade; use CometChat.init(...)")

    @staticmethod
    def init(app_id: str, settings: Optional[AppSettings] = None) -> CometChatClient:
        """Create the default client (closing an earlier one) and return it."""
        global _default
        client = CometChatClient(app_id, settings)
        with _lock:
            old, _default = _default, client
        if old is not None:
            old.close()
        return client

    @staticmethod
    def client() -> CometChatClient:
        """The default client created by ``init``."""
        return _client()

    @staticmethod
    def login(
        uid: Optional[str] = None,
        auth_key: Optional[str] = None,
        *,
        auth_token: Optional[str] = None,
    ) -> User:
        return _client().login(uid, auth_key, auth_token=auth_token)

    @staticmethod
    def logout() -> None:
        _client().logout()

    @staticmethod
    def get_logged_in_user() -> Optional[User]:
        return _client().get_logged_in_user()

    @staticmethod
    def get_connection_status() -> ConnectionStatus:
        return _client().get_connection_status()

    @staticmethod
    def connect(timeout: Optional[float] = None) -> None:
        _client().connect(timeout)

    @staticmethod
    def disconnect(timeout: Optional[float] = None) -> None:
        _client().disconnect(timeout)

    @staticmethod
    def ping(timeout: Optional[float] = None) -> float:
        return _client().ping(timeout)

    @staticmethod
    def set_app_state(state: Union[AppState, str]) -> None:
        _client().set_app_state(state)

    @staticmethod
    def send_message(message: BaseMessage) -> BaseMessage:
        return _client().send_message(message)

    @staticmethod
    def get_user(uid: str) -> User:
        return _client().get_user(uid)

    @staticmethod
    def add_connection_listener(listener_id: str, listener: ConnectionListener) -> None:
        _client().add_connection_listener(listener_id, listener)

    @staticmethod
    def remove_connection_listener(listener_id: str) -> None:
        _client().remove_connection_listener(listener_id)

    @staticmethod
    def add_login_listener(listener_id: str, listener: LoginListener) -> None:
        _client().add_login_listener(listener_id, listener)

    @staticmethod
    def remove_login_listener(listener_id: str) -> None:
        _client().remove_login_listener(listener_id)

    @staticmethod
    def add_message_listener(listener_id: str, listener: MessageListener) -> None:
        _client().add_message_listener(listener_id, listener)

    @staticmethod
    def remove_message_listener(listener_id: str) -> None:
        _client().remove_message_listener(listener_id)

    @staticmethod
    def add_user_listener(listener_id: str, listener: UserListener) -> None:
        _client().add_user_listener(listener_id, listener)

    @staticmethod
    def remove_user_listener(listener_id: str) -> None:
        _client().remove_user_listener(listener_id)

    @staticmethod
    def add_group_listener(listener_id: str, listener: GroupListener) -> None:
        _client().add_group_listener(listener_id, listener)

    @staticmethod
    def remove_group_listener(listener_id: str) -> None:
        _client().remove_group_listener(listener_id)

    @staticmethod
    def add_call_listener(listener_id: str, listener: CallListener) -> None:
        _client().add_call_listener(listener_id, listener)

    @staticmethod
    def remove_call_listener(listener_id: str) -> None:
        _client().remove_call_listener(listener_id)

    @staticmethod
    def set_callback_executor(executor: Optional[Executor]) -> None:
        _client().set_callback_executor(executor)

    # -- the rest of the client, one delegate each (tests/test_facade.py keeps it complete) --

    @staticmethod
    def wait_until_connected(timeout: float) -> None:
        _client().wait_until_connected(timeout)

    @staticmethod
    def wait_until_disconnected(timeout: float) -> None:
        _client().wait_until_disconnected(timeout)

    @staticmethod
    def set_listener_error_hook(hook: Optional[ErrorHook]) -> None:
        _client().set_listener_error_hook(hook)

    @staticmethod
    def edit_message(message: BaseMessage) -> BaseMessage:
        return _client().edit_message(message)

    @staticmethod
    def delete_message(message_id: int) -> BaseMessage:
        return _client().delete_message(message_id)

    @staticmethod
    def get_message(message_id: int) -> BaseMessage:
        return _client().get_message(message_id)

    @staticmethod
    def fetch_messages(
        receiver_id: str,
        receiver_type: str = "user",
        *,
        before_id: Optional[int] = None,
        after_id: Optional[int] = None,
        limit: int = 30,
    ) -> list[BaseMessage]:
        return _client().fetch_messages(
            receiver_id, receiver_type, before_id=before_id, after_id=after_id, limit=limit
        )

    @staticmethod
    def create_group(group: Group) -> Group:
        return _client().create_group(group)

    @staticmethod
    def get_group(guid: str) -> Group:
        return _client().get_group(guid)

    @staticmethod
    def join_group(guid: str, group_type: str = "public", password: Optional[str] = None) -> Group:
        return _client().join_group(guid, group_type, password)

    @staticmethod
    def leave_group(guid: str) -> None:
        _client().leave_group(guid)

    @staticmethod
    def get_group_members(guid: str, limit: int = 100) -> list[GroupMember]:
        return _client().get_group_members(guid, limit)

    @staticmethod
    def add_members_to_group(
        guid: str,
        participants: Optional[list[str]] = None,
        *,
        moderators: Optional[list[str]] = None,
        admins: Optional[list[str]] = None,
    ) -> None:
        _client().add_members_to_group(guid, participants, moderators=moderators, admins=admins)

    @staticmethod
    def kick_group_member(guid: str, uid: str) -> None:
        _client().kick_group_member(guid, uid)

    @staticmethod
    def ban_group_member(guid: str, uid: str) -> None:
        _client().ban_group_member(guid, uid)

    @staticmethod
    def unban_group_member(guid: str, uid: str) -> None:
        _client().unban_group_member(guid, uid)

    @staticmethod
    def update_group_member_scope(guid: str, uid: str, scope: str) -> None:
        _client().update_group_member_scope(guid, uid, scope)

    @staticmethod
    def add_reaction(message_id: int, reaction: str) -> None:
        _client().add_reaction(message_id, reaction)

    @staticmethod
    def remove_reaction(message_id: int, reaction: str) -> None:
        _client().remove_reaction(message_id, reaction)

    @staticmethod
    def initiate_call(
        receiver_id: str, call_type: str = "audio", receiver_type: str = "user"
    ) -> Call:
        return _client().initiate_call(receiver_id, call_type, receiver_type)

    @staticmethod
    def accept_call(session_id: str) -> Call:
        return _client().accept_call(session_id)

    @staticmethod
    def reject_call(session_id: str, status: str = "rejected") -> Call:
        return _client().reject_call(session_id, status)

    @staticmethod
    def end_call(session_id: str) -> Call:
        return _client().end_call(session_id)

    @staticmethod
    def start_typing(indicator: TypingIndicator) -> None:
        _client().start_typing(indicator)

    @staticmethod
    def end_typing(indicator: TypingIndicator) -> None:
        _client().end_typing(indicator)

    @staticmethod
    def mark_as_delivered(message: BaseMessage) -> None:
        _client().mark_as_delivered(message)

    @staticmethod
    def mark_as_read(message: BaseMessage) -> None:
        _client().mark_as_read(message)

    @staticmethod
    def send_transient_message(message: TransientMessage) -> None:
        _client().send_transient_message(message)

    @staticmethod
    def close() -> None:
        """Close the default client (the stored session is kept) and forget it."""
        global _default
        with _lock:
            old, _default = _default, None
        if old is not None:
            old.close()
