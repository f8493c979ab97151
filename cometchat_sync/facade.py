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
from .dispatch import Executor
from .errors import CometChatException, ErrorCode
from .listeners import (
    CallListener,
    ConnectionListener,
    GroupListener,
    LoginListener,
    MessageListener,
    UserListener,
)
from .models import BaseMessage, User
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

    @staticmethod
    def close() -> None:
        """Close the default client (the stored session is kept) and forget it."""
        global _default
        with _lock:
            old, _default = _default, None
        if old is not None:
            old.close()
