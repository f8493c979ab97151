"""``CometChat``: the static facade of the official SDKs, over one default client.

::

    CometChat.init(APP_ID, AppSettingsBuilder().set_region("eu").build())
    CometChat.login("superhero1", AUTH_KEY)

Every method delegates to the :class:`~cometchat_sync.client.CometChatClient` that ``init``
created (``CometChat.client()`` returns it). Calling anything before ``init`` raises
``ERROR_INIT_NOT_CALLED``. Code that needs two apps, or tests, should use clients directly.

Each delegate spells out the client method's signature (so IDEs and type checkers see it)
and carries the client method's docstring, copied by :func:`_delegates_to`; the tests check
that the two signatures are identical. The docs are written once, on the client.
"""

from __future__ import annotations

import threading
from typing import Any
from typing import Callable
from typing import Optional
from typing import TypeVar
from typing import Union

from .client import CometChatClient
from .connection.state import AppState
from .connection.state import ConnectionStatus
from .errors import CometChatException
from .errors import ErrorCode
from .events.dispatcher import Executor
from .events.registry import ErrorHook
from .listeners import CallListener
from .listeners import ConnectionListener
from .listeners import GroupListener
from .listeners import LoginListener
from .listeners import MessageListener
from .listeners import UserListener
from .models import BaseMessage
from .models import Call
from .models import Conversation
from .models import FlagReason
from .models import Group
from .models import GroupMember
from .models import InteractiveMessage
from .models import MediaMessage
from .models import MessageReceipt
from .models import TransientMessage
from .models import TypingIndicator
from .models import User
from .rest.admin import CreatedGroup
from .rest.media import Progress
from .settings import AppSettings
from .stats import ClientStats

__all__ = ["CometChat"]

_lock = threading.Lock()
_default: Optional[CometChatClient] = None


_F = TypeVar("_F", bound=Callable[..., Any])


def _client() -> CometChatClient:
    client = _default
    if client is None:
        raise CometChatException(
            ErrorCode.INIT_NOT_CALLED, "Call CometChat.init(app_id, settings) first."
        )
    return client


def _delegates_to(method: Callable[..., Any]) -> Callable[[_F], _F]:
    """Mark the decorated function as the facade's delegate of the client ``method``: it gets
    ``method``'s docstring, and must have its name (checked here; that the signature is
    ``method``'s without ``self`` is checked by the tests, not at every import). Use it under
    ``@staticmethod``.
    """

    def decorate(delegate: _F) -> _F:
        if delegate.__name__ != method.__name__:
            raise TypeError(f"CometChat.{delegate.__name__} delegates to {method.__qualname__}")
        delegate.__doc__ = method.__doc__
        return delegate

    return decorate


class CometChat:
    """The static facade of the official SDKs over one default client.

    ``CometChat.init(app_id, settings)`` creates the default
    :class:`~cometchat_sync.client.CometChatClient`; every other static method calls the
    client method of the same name and signature on it, and carries that method's
    docstring. Before ``init`` (or after :meth:`close`) each of them raises
    ``ERROR_INIT_NOT_CALLED``. Not instantiable.
    """

    def __init__(self) -> None:
        raise TypeError("CometChat is a static facade; use CometChat.init(...)")

    @staticmethod
    def init(app_id: str, settings: Optional[AppSettings] = None) -> CometChatClient:
        """Create the default client (closing an earlier one) and return it.

        Like creating a :class:`~cometchat_sync.client.CometChatClient`: no I/O and no
        thread; the first call through the facade reads a session stored by an earlier run
        and, in auto mode, connects it. The earlier default client, if any, is closed (its
        stored session is kept). Call it once at startup; it is safe from any thread.

        Args:
            app_id: the CometChat app id, a non-empty string without spaces or slashes.
            settings: built with :class:`~cometchat_sync.settings.AppSettingsBuilder`;
                defaults to region ``eu``, auto mode, the platform's session folder.

        Returns:
            The new default client.

        Raises:
            CometChatException: ``MISSING_PARAMETERS`` for an empty ``app_id``;
                ``ERR_INVALID_PARAMETER`` for one with spaces or slashes, or ``settings``
                not built with ``AppSettingsBuilder``.
        """
        global _default
        client = CometChatClient(app_id, settings)
        with _lock:
            old, _default = _default, client
        if old is not None:
            old.close()
        return client

    @staticmethod
    def client() -> CometChatClient:
        """Return the default client created by ``init``.

        Raises:
            CometChatException: ``ERROR_INIT_NOT_CALLED`` before ``init`` or after
                :meth:`close`.
        """
        return _client()

    @staticmethod
    @_delegates_to(CometChatClient.login)
    def login(
        uid: Optional[str] = None,
        auth_key: Optional[str] = None,
        *,
        auth_token: Optional[str] = None,
    ) -> User:
        return _client().login(uid, auth_key, auth_token=auth_token)

    @staticmethod
    @_delegates_to(CometChatClient.logout)
    def logout() -> None:
        _client().logout()

    @staticmethod
    @_delegates_to(CometChatClient.get_logged_in_user)
    def get_logged_in_user() -> Optional[User]:
        return _client().get_logged_in_user()

    @staticmethod
    @_delegates_to(CometChatClient.get_connection_status)
    def get_connection_status() -> ConnectionStatus:
        return _client().get_connection_status()

    @staticmethod
    @_delegates_to(CometChatClient.stats)
    def stats() -> ClientStats:
        return _client().stats()

    @staticmethod
    @_delegates_to(CometChatClient.connect)
    def connect(timeout: Optional[float] = None) -> None:
        _client().connect(timeout)

    @staticmethod
    @_delegates_to(CometChatClient.disconnect)
    def disconnect(timeout: Optional[float] = None) -> None:
        _client().disconnect(timeout)

    @staticmethod
    @_delegates_to(CometChatClient.ping)
    def ping(timeout: Optional[float] = None) -> float:
        return _client().ping(timeout)

    @staticmethod
    @_delegates_to(CometChatClient.set_app_state)
    def set_app_state(state: Union[AppState, str]) -> None:
        _client().set_app_state(state)

    @staticmethod
    @_delegates_to(CometChatClient.send_message)
    def send_message(message: BaseMessage) -> BaseMessage:
        return _client().send_message(message)

    @staticmethod
    @_delegates_to(CometChatClient.send_media_message)
    def send_media_message(
        message: MediaMessage, *, progress: Optional[Progress] = None
    ) -> BaseMessage:
        return _client().send_media_message(message, progress=progress)

    @staticmethod
    @_delegates_to(CometChatClient.send_interactive_message)
    def send_interactive_message(message: InteractiveMessage) -> BaseMessage:
        return _client().send_interactive_message(message)

    @staticmethod
    @_delegates_to(CometChatClient.mark_as_interacted)
    def mark_as_interacted(message_id: int, element_id: str) -> str:
        return _client().mark_as_interacted(message_id, element_id)

    @staticmethod
    @_delegates_to(CometChatClient.get_flag_reasons)
    def get_flag_reasons() -> list[FlagReason]:
        return _client().get_flag_reasons()

    @staticmethod
    @_delegates_to(CometChatClient.flag_message)
    def flag_message(
        message_id: int, reason_id: str, remark: Optional[str] = None
    ) -> dict[str, Any]:
        return _client().flag_message(message_id, reason_id, remark)

    @staticmethod
    @_delegates_to(CometChatClient.get_user)
    def get_user(uid: str) -> User:
        return _client().get_user(uid)

    @staticmethod
    @_delegates_to(CometChatClient.add_connection_listener)
    def add_connection_listener(listener_id: str, listener: ConnectionListener) -> None:
        _client().add_connection_listener(listener_id, listener)

    @staticmethod
    @_delegates_to(CometChatClient.remove_connection_listener)
    def remove_connection_listener(listener_id: str) -> None:
        _client().remove_connection_listener(listener_id)

    @staticmethod
    @_delegates_to(CometChatClient.add_login_listener)
    def add_login_listener(listener_id: str, listener: LoginListener) -> None:
        _client().add_login_listener(listener_id, listener)

    @staticmethod
    @_delegates_to(CometChatClient.remove_login_listener)
    def remove_login_listener(listener_id: str) -> None:
        _client().remove_login_listener(listener_id)

    @staticmethod
    @_delegates_to(CometChatClient.add_message_listener)
    def add_message_listener(listener_id: str, listener: MessageListener) -> None:
        _client().add_message_listener(listener_id, listener)

    @staticmethod
    @_delegates_to(CometChatClient.remove_message_listener)
    def remove_message_listener(listener_id: str) -> None:
        _client().remove_message_listener(listener_id)

    @staticmethod
    @_delegates_to(CometChatClient.add_user_listener)
    def add_user_listener(listener_id: str, listener: UserListener) -> None:
        _client().add_user_listener(listener_id, listener)

    @staticmethod
    @_delegates_to(CometChatClient.remove_user_listener)
    def remove_user_listener(listener_id: str) -> None:
        _client().remove_user_listener(listener_id)

    @staticmethod
    @_delegates_to(CometChatClient.add_group_listener)
    def add_group_listener(listener_id: str, listener: GroupListener) -> None:
        _client().add_group_listener(listener_id, listener)

    @staticmethod
    @_delegates_to(CometChatClient.remove_group_listener)
    def remove_group_listener(listener_id: str) -> None:
        _client().remove_group_listener(listener_id)

    @staticmethod
    @_delegates_to(CometChatClient.add_call_listener)
    def add_call_listener(listener_id: str, listener: CallListener) -> None:
        _client().add_call_listener(listener_id, listener)

    @staticmethod
    @_delegates_to(CometChatClient.remove_call_listener)
    def remove_call_listener(listener_id: str) -> None:
        _client().remove_call_listener(listener_id)

    @staticmethod
    @_delegates_to(CometChatClient.set_callback_executor)
    def set_callback_executor(executor: Optional[Executor]) -> None:
        _client().set_callback_executor(executor)

    # -- the rest of the client, one delegate each (tests/integration/test_facade.py) --

    @staticmethod
    @_delegates_to(CometChatClient.wait_until_connected)
    def wait_until_connected(timeout: float) -> None:
        _client().wait_until_connected(timeout)

    @staticmethod
    @_delegates_to(CometChatClient.wait_until_disconnected)
    def wait_until_disconnected(timeout: float) -> None:
        _client().wait_until_disconnected(timeout)

    @staticmethod
    @_delegates_to(CometChatClient.run_forever)
    def run_forever(timeout: Optional[float] = None) -> bool:
        return _client().run_forever(timeout)

    @staticmethod
    @_delegates_to(CometChatClient.set_listener_error_hook)
    def set_listener_error_hook(hook: Optional[ErrorHook]) -> None:
        _client().set_listener_error_hook(hook)

    @staticmethod
    @_delegates_to(CometChatClient.edit_message)
    def edit_message(message: BaseMessage) -> BaseMessage:
        return _client().edit_message(message)

    @staticmethod
    @_delegates_to(CometChatClient.delete_message)
    def delete_message(message_id: int) -> BaseMessage:
        return _client().delete_message(message_id)

    @staticmethod
    @_delegates_to(CometChatClient.get_message)
    def get_message(message_id: int) -> BaseMessage:
        return _client().get_message(message_id)

    @staticmethod
    @_delegates_to(CometChatClient.fetch_messages)
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
    @_delegates_to(CometChatClient.create_group)
    def create_group(group: Group) -> Group:
        return _client().create_group(group)

    @staticmethod
    @_delegates_to(CometChatClient.get_group)
    def get_group(guid: str) -> Group:
        return _client().get_group(guid)

    @staticmethod
    @_delegates_to(CometChatClient.join_group)
    def join_group(guid: str, group_type: str = "public", password: Optional[str] = None) -> Group:
        return _client().join_group(guid, group_type, password)

    @staticmethod
    @_delegates_to(CometChatClient.leave_group)
    def leave_group(guid: str) -> None:
        _client().leave_group(guid)

    @staticmethod
    @_delegates_to(CometChatClient.get_group_members)
    def get_group_members(guid: str, limit: int = 100, page: int = 1) -> list[GroupMember]:
        return _client().get_group_members(guid, limit, page)

    @staticmethod
    @_delegates_to(CometChatClient.add_members_to_group)
    def add_members_to_group(
        guid: str,
        participants: Optional[list[str]] = None,
        *,
        moderators: Optional[list[str]] = None,
        admins: Optional[list[str]] = None,
        users_to_ban: Optional[list[str]] = None,
    ) -> dict[str, str]:
        return _client().add_members_to_group(
            guid, participants, moderators=moderators, admins=admins, users_to_ban=users_to_ban
        )

    @staticmethod
    @_delegates_to(CometChatClient.kick_group_member)
    def kick_group_member(guid: str, uid: str) -> None:
        _client().kick_group_member(guid, uid)

    @staticmethod
    @_delegates_to(CometChatClient.ban_group_member)
    def ban_group_member(guid: str, uid: str) -> None:
        _client().ban_group_member(guid, uid)

    @staticmethod
    @_delegates_to(CometChatClient.unban_group_member)
    def unban_group_member(guid: str, uid: str) -> None:
        _client().unban_group_member(guid, uid)

    @staticmethod
    @_delegates_to(CometChatClient.update_group_member_scope)
    def update_group_member_scope(guid: str, uid: str, scope: str) -> None:
        _client().update_group_member_scope(guid, uid, scope)

    @staticmethod
    @_delegates_to(CometChatClient.add_reaction)
    def add_reaction(message_id: int, reaction: str) -> BaseMessage:
        return _client().add_reaction(message_id, reaction)

    @staticmethod
    @_delegates_to(CometChatClient.remove_reaction)
    def remove_reaction(message_id: int, reaction: str) -> BaseMessage:
        return _client().remove_reaction(message_id, reaction)

    # -- blocking, administration, app settings -------------------------------------------------

    @staticmethod
    @_delegates_to(CometChatClient.block_users)
    def block_users(uids: list[str]) -> dict[str, str]:
        return _client().block_users(uids)

    @staticmethod
    @_delegates_to(CometChatClient.unblock_users)
    def unblock_users(uids: list[str]) -> dict[str, str]:
        return _client().unblock_users(uids)

    @staticmethod
    @_delegates_to(CometChatClient.update_group)
    def update_group(group: Group) -> Group:
        return _client().update_group(group)

    @staticmethod
    @_delegates_to(CometChatClient.delete_group)
    def delete_group(guid: str) -> None:
        _client().delete_group(guid)

    @staticmethod
    @_delegates_to(CometChatClient.transfer_group_ownership)
    def transfer_group_ownership(guid: str, uid: str) -> str:
        return _client().transfer_group_ownership(guid, uid)

    @staticmethod
    @_delegates_to(CometChatClient.create_group_with_members)
    def create_group_with_members(
        group: Group,
        members: Optional[list[GroupMember]] = None,
        banned_uids: Optional[list[str]] = None,
    ) -> CreatedGroup:
        return _client().create_group_with_members(group, members, banned_uids)

    @staticmethod
    @_delegates_to(CometChatClient.update_current_user_details)
    def update_current_user_details(user: User) -> User:
        return _client().update_current_user_details(user)

    @staticmethod
    @_delegates_to(CometChatClient.create_user)
    def create_user(user: User, api_key: str) -> User:
        return _client().create_user(user, api_key)

    @staticmethod
    @_delegates_to(CometChatClient.update_user)
    def update_user(user: User, api_key: str) -> User:
        return _client().update_user(user, api_key)

    @staticmethod
    @_delegates_to(CometChatClient.get_app_settings)
    def get_app_settings() -> dict[str, Any]:
        return _client().get_app_settings()

    @staticmethod
    @_delegates_to(CometChatClient.is_extension_enabled)
    def is_extension_enabled(extension_id: str) -> bool:
        return _client().is_extension_enabled(extension_id)

    @staticmethod
    @_delegates_to(CometChatClient.get_extension_details)
    def get_extension_details(extension_id: str) -> dict[str, Any]:
        return _client().get_extension_details(extension_id)

    @staticmethod
    @_delegates_to(CometChatClient.is_feature_enabled)
    def is_feature_enabled(feature: str) -> bool:
        return _client().is_feature_enabled(feature)

    @staticmethod
    @_delegates_to(CometChatClient.pin_message)
    def pin_message(message_id: int) -> BaseMessage:
        return _client().pin_message(message_id)

    @staticmethod
    @_delegates_to(CometChatClient.unpin_message)
    def unpin_message(message_id: int) -> BaseMessage:
        return _client().unpin_message(message_id)

    @staticmethod
    @_delegates_to(CometChatClient.save_message)
    def save_message(message_id: int) -> BaseMessage:
        return _client().save_message(message_id)

    @staticmethod
    @_delegates_to(CometChatClient.unsave_message)
    def unsave_message(message_id: int) -> BaseMessage:
        return _client().unsave_message(message_id)

    @staticmethod
    @_delegates_to(CometChatClient.call_extension)
    def call_extension(
        slug: str, method: str, endpoint: str, body: Optional[dict[str, Any]] = None
    ) -> Any:
        return _client().call_extension(slug, method, endpoint, body)

    @staticmethod
    @_delegates_to(CometChatClient.initiate_call)
    def initiate_call(
        receiver_id: str, call_type: str = "audio", receiver_type: str = "user"
    ) -> Call:
        return _client().initiate_call(receiver_id, call_type, receiver_type)

    @staticmethod
    @_delegates_to(CometChatClient.accept_call)
    def accept_call(session_id: str) -> Call:
        return _client().accept_call(session_id)

    @staticmethod
    @_delegates_to(CometChatClient.reject_call)
    def reject_call(session_id: str, status: str = "rejected") -> Call:
        return _client().reject_call(session_id, status)

    @staticmethod
    @_delegates_to(CometChatClient.end_call)
    def end_call(session_id: str) -> Call:
        return _client().end_call(session_id)

    @staticmethod
    @_delegates_to(CometChatClient.start_typing)
    def start_typing(indicator: TypingIndicator) -> None:
        _client().start_typing(indicator)

    @staticmethod
    @_delegates_to(CometChatClient.end_typing)
    def end_typing(indicator: TypingIndicator) -> None:
        _client().end_typing(indicator)

    @staticmethod
    @_delegates_to(CometChatClient.mark_as_delivered)
    def mark_as_delivered(message: BaseMessage) -> None:
        _client().mark_as_delivered(message)

    @staticmethod
    @_delegates_to(CometChatClient.mark_as_read)
    def mark_as_read(message: BaseMessage) -> None:
        _client().mark_as_read(message)

    @staticmethod
    @_delegates_to(CometChatClient.send_transient_message)
    def send_transient_message(message: TransientMessage) -> None:
        _client().send_transient_message(message)

    @staticmethod
    @_delegates_to(CometChatClient.get_conversation)
    def get_conversation(conversation_with: str, conversation_type: str) -> Conversation:
        return _client().get_conversation(conversation_with, conversation_type)

    @staticmethod
    @_delegates_to(CometChatClient.tag_conversation)
    def tag_conversation(
        conversation_with: str, conversation_type: str, tags: list[str]
    ) -> Conversation:
        return _client().tag_conversation(conversation_with, conversation_type, tags)

    @staticmethod
    @_delegates_to(CometChatClient.delete_conversation)
    def delete_conversation(conversation_with: str, conversation_type: str) -> None:
        _client().delete_conversation(conversation_with, conversation_type)

    @staticmethod
    @_delegates_to(CometChatClient.get_unread_message_count)
    def get_unread_message_count(
        hide_messages_from_blocked_users: bool = False,
    ) -> dict[str, dict[str, int]]:
        return _client().get_unread_message_count(hide_messages_from_blocked_users)

    @staticmethod
    @_delegates_to(CometChatClient.get_unread_message_count_for_all_users)
    def get_unread_message_count_for_all_users(
        hide_messages_from_blocked_users: bool = False,
    ) -> dict[str, int]:
        return _client().get_unread_message_count_for_all_users(hide_messages_from_blocked_users)

    @staticmethod
    @_delegates_to(CometChatClient.get_unread_message_count_for_all_groups)
    def get_unread_message_count_for_all_groups(
        hide_messages_from_blocked_users: bool = False,
    ) -> dict[str, int]:
        return _client().get_unread_message_count_for_all_groups(hide_messages_from_blocked_users)

    @staticmethod
    @_delegates_to(CometChatClient.get_unread_message_count_for_user)
    def get_unread_message_count_for_user(
        uid: str, hide_messages_from_blocked_users: bool = False
    ) -> dict[str, int]:
        return _client().get_unread_message_count_for_user(uid, hide_messages_from_blocked_users)

    @staticmethod
    @_delegates_to(CometChatClient.get_unread_message_count_for_group)
    def get_unread_message_count_for_group(
        guid: str, hide_messages_from_blocked_users: bool = False
    ) -> dict[str, int]:
        return _client().get_unread_message_count_for_group(guid, hide_messages_from_blocked_users)

    @staticmethod
    @_delegates_to(CometChatClient.mark_conversation_as_read)
    def mark_conversation_as_read(conversation_with: str, conversation_type: str) -> None:
        _client().mark_conversation_as_read(conversation_with, conversation_type)

    @staticmethod
    @_delegates_to(CometChatClient.mark_conversation_as_delivered)
    def mark_conversation_as_delivered(conversation_with: str, conversation_type: str) -> None:
        _client().mark_conversation_as_delivered(conversation_with, conversation_type)

    @staticmethod
    @_delegates_to(CometChatClient.mark_as_unread)
    def mark_as_unread(message: BaseMessage) -> Conversation:
        return _client().mark_as_unread(message)

    @staticmethod
    @_delegates_to(CometChatClient.get_message_receipts)
    def get_message_receipts(message_id: int) -> list[MessageReceipt]:
        return _client().get_message_receipts(message_id)

    @staticmethod
    def close() -> None:
        """Close the default client (the stored session is kept) and forget it.

        Calls :meth:`CometChatClient.close <cometchat_sync.client.CometChatClient.close>`
        with its default timeout (2 s). Afterwards every delegate raises
        ``ERROR_INIT_NOT_CALLED`` until the next ``init``. Idempotent; safe from any thread,
        including inside a listener.
        """
        global _default
        with _lock:
            old, _default = _default, None
        if old is not None:
            old.close()
