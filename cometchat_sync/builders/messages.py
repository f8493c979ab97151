"""``MessagesRequestBuilder``: a conversation's history, a thread's replies, or the messages
of every conversation, filtered and paged by message id in either direction.

Wire: ``GET users/{uid}/messages``, ``GET groups/{guid}/messages``,
``GET messages/{parent_id}/thread`` or ``GET messages``, with ``per_page``, ``affix``
(``prepend`` for older, ``append`` for newer) and ``id`` or ``sentAt`` as the cursor, and
the filters ``unread``, ``searchKey``, ``updatedAt``/``onlyUpdates``, ``categories``,
``types``, ``hideReplies``, ``hideDeleted``, ``hideMessagesFromBlockedUsers``,
``hasAttachments``, ``hasLinks``, ``hasMentions``, ``hasReactions``, ``tags`` and
``withTags``, from https://www.cometchat.com/docs/sdk/javascript/receive-message,
https://www.cometchat.com/docs/sdk/javascript/additional-message-filtering,
https://www.cometchat.com/docs/sdk/javascript/threaded-messages and the observed traffic of
the official JavaScript SDK.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from typing import Optional

from .. import _validate as check
from ..errors import CometChatException
from ..errors import ErrorCode
from ..models import BaseMessage
from ..rest.base import ResourceAPI
from .base import CursorRequest
from .base import RequestBuilder

__all__ = ["MessagesRequest", "MessagesRequestBuilder"]

_FLAGS = (
    ("unread", "unread"),
    ("hide_blocked", "hideMessagesFromBlockedUsers"),
    ("hide_deleted", "hideDeleted"),
    ("has_attachments", "hasAttachments"),
    ("has_links", "hasLinks"),
    ("has_mentions", "hasMentions"),
    ("has_reactions", "hasReactions"),
    ("with_tags", "withTags"),
    ("updates_only", "onlyUpdates"),
)
_LISTS = (
    ("categories", "categories"),
    ("types", "types"),
    ("tags", "tags"),
    ("mentioned_uids", "mentionedUids"),
)


def _epoch(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise CometChatException(
            ErrorCode.INVALID_PARAMETER, f"{name} must be a positive int (epoch seconds)."
        )
    return value


class MessagesRequest(CursorRequest[BaseMessage]):
    """Pages of messages, each typed by its category and type.

    ``fetch_previous()`` returns the page of older messages, ``fetch_next()`` the page of
    newer ones; each page is oldest first and ``[]`` once that end is reached. The first
    ``fetch_previous()`` without a message id or timestamp returns the newest messages.
    Iterating walks from the starting point: forwards, oldest first, when the builder set a
    message id, a timestamp or ``updated_after``; otherwise backwards from the newest
    message, newest first. Built by :meth:`MessagesRequestBuilder.build`; call it from one
    thread at a time.
    """

    def __init__(
        self,
        client: ResourceAPI,
        path: str,
        params: dict[str, Any],
        limit: int,
        *,
        message_id: Optional[int],
        timestamp: Optional[int],
        forward: bool,
    ) -> None:
        super().__init__(client, path, params, limit, BaseMessage.from_json, start=message_id)
        self._timestamp = timestamp
        self._forward = forward

    def fetch_previous(self) -> list[BaseMessage]:
        """Fetch the page of messages before the oldest one fetched so far (or before the
        starting message id or timestamp).

        Returns:
            Up to ``limit`` messages, oldest first; ``[]`` at the start of the history.

        Raises:
            CometChatException: the server's code when it refuses (for example a group the
                user has not joined), and the errors of every REST call (see
                :class:`~cometchat_sync.rest.base.ResourceAPI`).
        """
        return self._fetch("prepend", self._oldest)

    def fetch_next(self) -> list[BaseMessage]:
        """Fetch the page of messages after the newest one fetched so far (or after the
        starting message id or timestamp; from the first message without either).

        Returns:
            Up to ``limit`` messages, oldest first; ``[]`` at the end of the history.

        Raises:
            CometChatException: the server's code when it refuses, and the errors of every
                REST call (see :class:`~cometchat_sync.rest.base.ResourceAPI`).
        """
        cursor = self._newest
        if cursor is None and self._timestamp is None and "updatedAt" not in self._params:
            cursor = 0  # forwards from the very first message
        return self._fetch("append", cursor)

    def _uncursored(self) -> dict[str, Any]:
        return {} if self._timestamp is None else {"sentAt": self._timestamp}

    def __iter__(self) -> Iterator[BaseMessage]:
        """Every message from the starting point on (see the class docstring)."""
        while True:
            if self._forward:
                page = self.fetch_next()
            else:
                page = self.fetch_previous()
                page.reverse()
            if not page:
                return
            yield from page


class MessagesRequestBuilder(RequestBuilder):
    """Builds a :class:`MessagesRequest`:
    ``MessagesRequestBuilder(client).set_uid("bob").set_limit(30).build()``.

    Set at most one of :meth:`set_uid` and :meth:`set_guid` (neither: every conversation of
    the logged-in user); :meth:`set_parent_message_id` fetches a thread's replies. Every
    setter returns the builder; ``build()`` checks the values.

    Wire: https://www.cometchat.com/docs/sdk/javascript/receive-message and
    https://www.cometchat.com/docs/sdk/javascript/threaded-messages.

    Args:
        client: the client the request works for; ``None`` for the facade's default client.

    Raises:
        CometChatException: ``ERROR_INIT_NOT_CALLED`` with no client and no default client.
    """

    def set_uid(self, uid: str) -> MessagesRequestBuilder:
        """The one-to-one conversation with this user."""
        return self._set("uid", uid)

    def set_guid(self, guid: str) -> MessagesRequestBuilder:
        """The conversation of this group."""
        return self._set("guid", guid)

    def set_parent_message_id(self, parent_id: int) -> MessagesRequestBuilder:
        """The replies in the thread of this message (a positive int)."""
        return self._set("parent", parent_id)

    def set_message_id(self, message_id: int) -> MessagesRequestBuilder:
        """Start from this message (a positive int): ``fetch_previous`` returns the messages
        before it, ``fetch_next`` those after it."""
        return self._set("message_id", message_id)

    def set_timestamp(self, timestamp: int) -> MessagesRequestBuilder:
        """Start from this time (epoch seconds, a positive int) instead of a message id."""
        return self._set("timestamp", timestamp)

    def set_unread(self, unread: bool) -> MessagesRequestBuilder:
        """Only messages the logged-in user has not read."""
        return self._set("unread", unread)

    def hide_messages_from_blocked_users(self, hide: bool) -> MessagesRequestBuilder:
        """Leave out messages of users the logged-in user has blocked."""
        return self._set("hide_blocked", hide)

    def set_search_keyword(self, keyword: str) -> MessagesRequestBuilder:
        """Only messages whose text contains ``keyword``."""
        return self._set("search", keyword)

    def set_updated_after(self, timestamp: int) -> MessagesRequestBuilder:
        """Only messages sent, edited or deleted after this time (epoch seconds)."""
        return self._set("updated_after", timestamp)

    def updates_only(self, updates_only: bool) -> MessagesRequestBuilder:
        """With :meth:`set_updated_after`: only messages edited or deleted after it."""
        return self._set("updates_only", updates_only)

    def set_categories(self, categories: list[str]) -> MessagesRequestBuilder:
        """Only messages of these categories (``message``, ``custom``, ``action``, ``call``)."""
        return self._set("categories", categories)

    def set_category(self, category: str) -> MessagesRequestBuilder:
        """Only messages of this category (sent as a one-item ``categories``)."""
        return self._set("categories", [category])

    def set_type(self, type_: str) -> MessagesRequestBuilder:
        """Only messages of this type (sent as a one-item ``types``)."""
        return self._set("types", [type_])

    def set_types(self, types: list[str]) -> MessagesRequestBuilder:
        """Only messages of these types (``text``, ``image``, ...)."""
        return self._set("types", types)

    def hide_replies(self, hide: bool) -> MessagesRequestBuilder:
        """Leave out replies in threads."""
        return self._set("hide_replies", hide)

    def hide_deleted_messages(self, hide: bool) -> MessagesRequestBuilder:
        """Leave out deleted messages."""
        return self._set("hide_deleted", hide)

    def has_attachments(self, flag: bool) -> MessagesRequestBuilder:
        """Only messages with attachments."""
        return self._set("has_attachments", flag)

    def has_links(self, flag: bool) -> MessagesRequestBuilder:
        """Only messages with links."""
        return self._set("has_links", flag)

    def has_mentions(self, flag: bool) -> MessagesRequestBuilder:
        """Only messages that mention someone."""
        return self._set("has_mentions", flag)

    def set_mentioned_uids(self, uids: list[str]) -> MessagesRequestBuilder:
        """Only messages that mention one of these users (``mentionedUids``; the official
        ``setMentionedUIDs``, https://www.cometchat.com/docs/sdk/javascript/mentions); pass
        your own uid for the messages that mention you."""
        return self._set("mentioned_uids", uids)

    def has_reactions(self, flag: bool) -> MessagesRequestBuilder:
        """Only messages with reactions."""
        return self._set("has_reactions", flag)

    def set_tags(self, tags: list[str]) -> MessagesRequestBuilder:
        """Only messages with one of these tags."""
        return self._set("tags", tags)

    def with_tags(self, with_tags: bool) -> MessagesRequestBuilder:
        """Include each message's tags in the answer."""
        return self._set("with_tags", with_tags)

    def _path(self) -> str:
        f = self._filters
        if "uid" in f and "guid" in f:
            raise CometChatException(ErrorCode.INVALID_PARAMETER, "Set a uid or a guid, not both.")
        if "parent" in f:
            return f"messages/{check.message_id(f['parent'])}/thread"
        if "uid" in f:
            return f"users/{check.path_segment(f['uid'], 'uid')}/messages"
        if "guid" in f:
            return f"groups/{check.path_segment(f['guid'], 'guid')}/messages"
        return "messages"

    def build(self) -> MessagesRequest:
        """Check every filter and return the request (no network I/O).

        Returns:
            A :class:`MessagesRequest`.

        Raises:
            CometChatException: ``MISSING_PARAMETERS`` for an empty uid or guid, or
                ``updates_only`` without ``set_updated_after``; ``ERR_INVALID_PARAMETER``
                for both a uid and a guid, a malformed id, a limit outside 1 to 100, a
                message id or parent id that is not a positive int, a timestamp that is not
                a positive int, a list that is not a list of non-empty strings, a keyword
                that is not a string, or a flag that is not a bool.
        """
        f = self._filters
        path = self._path()
        params: dict[str, Any] = {}
        message_id = check.message_id(f["message_id"]) if "message_id" in f else None
        timestamp = _epoch(f["timestamp"], "timestamp") if "timestamp" in f else None
        self._put_search(params)
        if "updated_after" in f:
            params["updatedAt"] = _epoch(f["updated_after"], "updated_after")
        elif f.get("updates_only") is True:
            raise CometChatException(
                ErrorCode.MISSING_PARAMETERS, "updates_only needs set_updated_after()."
            )
        self._put_lists(params, _LISTS)
        self._put_flags(params, _FLAGS, 1)
        self._put_flags(params, (("hide_replies", "hideReplies"),), "true")
        forward = message_id is not None or timestamp is not None or "updatedAt" in params
        return MessagesRequest(
            self._client,
            path,
            params,
            self._checked_limit(),
            message_id=message_id,
            timestamp=timestamp,
            forward=forward,
        )
