"""``ConversationsRequestBuilder``: the logged-in user's conversations, the most recently
updated first, filtered and paged (the "recent chats" list, with unread counts).

Wire: ``GET conversations`` with ``per_page`` (at most 50), ``page``, ``conversationType``,
``searchKey``, ``tags``, ``withTags``, ``userTags``, ``groupTags``, ``withUserAndGroupTags``,
``unread``, ``includeBlockedUsers`` and ``withBlockedInfo``, from
https://www.cometchat.com/docs/sdk/javascript/retrieve-conversations and the observed traffic
of the official JavaScript SDK.
"""

from __future__ import annotations

from typing import Any

from ..models import Conversation
from .base import PagedRequest
from .base import RequestBuilder
from .base import choice

__all__ = ["ConversationsRequest", "ConversationsRequestBuilder"]

_FLAGS = (
    ("with_tags", "withTags"),
    ("with_user_and_group_tags", "withUserAndGroupTags"),
    ("unread", "unread"),
    ("include_blocked_users", "includeBlockedUsers"),
    ("with_blocked_info", "withBlockedInfo"),
)
_LISTS = (("tags", "tags"), ("user_tags", "userTags"), ("group_tags", "groupTags"))


class ConversationsRequest(PagedRequest[Conversation]):
    """Pages of :class:`~cometchat_sync.models.Conversation`, the most recently updated
    first (see :class:`~cometchat_sync.builders.base.PagedRequest`)."""


class ConversationsRequestBuilder(RequestBuilder):
    """Builds a :class:`ConversationsRequest`:
    ``ConversationsRequestBuilder(client).set_limit(30).build()``.

    Every setter returns the builder; ``build()`` checks the values. A page holds at most 50
    conversations.

    Wire: https://www.cometchat.com/docs/sdk/javascript/retrieve-conversations.

    Args:
        client: the client the request works for; ``None`` for the facade's default client.

    Raises:
        CometChatException: ``ERROR_INIT_NOT_CALLED`` with no client and no default client.
    """

    MAX_LIMIT = 50

    def set_conversation_type(self, conversation_type: str) -> ConversationsRequestBuilder:
        """Only one-to-one (``"user"``) or only group (``"group"``) conversations."""
        return self._set("type", conversation_type)

    def set_search_keyword(self, keyword: str) -> ConversationsRequestBuilder:
        """Only conversations whose user or group name contains ``keyword``."""
        return self._set("search", keyword)

    def set_tags(self, tags: list[str]) -> ConversationsRequestBuilder:
        """Only conversations the logged-in user tagged with one of these tags."""
        return self._set("tags", tags)

    def with_tags(self, with_tags: bool) -> ConversationsRequestBuilder:
        """Include each conversation's tags in the answer."""
        return self._set("with_tags", with_tags)

    def set_user_tags(self, tags: list[str]) -> ConversationsRequestBuilder:
        """Only conversations with users who have one of these tags."""
        return self._set("user_tags", tags)

    def set_group_tags(self, tags: list[str]) -> ConversationsRequestBuilder:
        """Only conversations of groups that have one of these tags."""
        return self._set("group_tags", tags)

    def with_user_and_group_tags(self, with_tags: bool) -> ConversationsRequestBuilder:
        """Include the tags of each conversation's user or group."""
        return self._set("with_user_and_group_tags", with_tags)

    def set_unread(self, unread: bool) -> ConversationsRequestBuilder:
        """Only conversations with unread messages."""
        return self._set("unread", unread)

    def include_blocked_users(self, include: bool) -> ConversationsRequestBuilder:
        """Include conversations with users the logged-in user has blocked."""
        return self._set("include_blocked_users", include)

    def with_blocked_info(self, with_info: bool) -> ConversationsRequestBuilder:
        """Include ``blockedByMe``/``hasBlockedMe`` in each conversation's user."""
        return self._set("with_blocked_info", with_info)

    def build(self) -> ConversationsRequest:
        """Check every filter and return the request (no network I/O).

        Returns:
            A :class:`ConversationsRequest` at its first page.

        Raises:
            CometChatException: ``ERR_INVALID_PARAMETER`` for a limit outside 1 to 50, a
                conversation type other than user/group, a keyword that is not a string,
                a tag list that is not a list of non-empty strings, or a flag that is not a
                bool.
        """
        f = self._filters
        params: dict[str, Any] = {}
        if "type" in f:
            params["conversationType"] = choice(f["type"], "conversation type", ("user", "group"))
        self._put_search(params)
        self._put_lists(params, _LISTS)
        self._put_flags(params, _FLAGS, "true")
        return ConversationsRequest(
            self._client, "conversations", params, self._checked_limit(), Conversation.from_json
        )
