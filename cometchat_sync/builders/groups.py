"""``GroupsRequestBuilder``: the groups the logged-in user can see, filtered and paged.

Wire: ``GET groups`` with ``per_page``, ``page``, ``searchKey``, ``hasJoined``, ``tags`` and
``withTags``, from https://www.cometchat.com/docs/sdk/javascript/retrieve-groups and the
observed traffic of the official JavaScript SDK.
"""

from __future__ import annotations

from typing import Any

from ..models import Group
from .base import PagedRequest
from .base import RequestBuilder

__all__ = ["GroupsRequest", "GroupsRequestBuilder"]


class GroupsRequest(PagedRequest[Group]):
    """Pages of :class:`~cometchat_sync.models.Group` (see
    :class:`~cometchat_sync.builders.base.PagedRequest`)."""


class GroupsRequestBuilder(RequestBuilder):
    """Builds a :class:`GroupsRequest`: public and password groups, and the private groups
    the logged-in user is a member of.

    Every setter returns the builder; ``build()`` checks the values.

    Wire: https://www.cometchat.com/docs/sdk/javascript/retrieve-groups.

    Args:
        client: the client the request works for; ``None`` for the facade's default client.

    Raises:
        CometChatException: ``ERROR_INIT_NOT_CALLED`` with no client and no default client.
    """

    def set_search_keyword(self, keyword: str) -> GroupsRequestBuilder:
        """Only groups whose name or guid contains ``keyword``."""
        return self._set("search", keyword)

    def joined_only(self, joined_only: bool) -> GroupsRequestBuilder:
        """Only groups the logged-in user has joined."""
        return self._set("joined_only", joined_only)

    def set_tags(self, tags: list[str]) -> GroupsRequestBuilder:
        """Only groups with one of these tags."""
        return self._set("tags", tags)

    def with_tags(self, with_tags: bool) -> GroupsRequestBuilder:
        """Include each group's tags in the answer."""
        return self._set("with_tags", with_tags)

    def build(self) -> GroupsRequest:
        """Check every filter and return the request (no network I/O).

        Returns:
            A :class:`GroupsRequest` at its first page.

        Raises:
            CometChatException: ``ERR_INVALID_PARAMETER`` for a limit outside 1 to 100, a
                keyword that is not a string, tags that are not non-empty strings, or a flag
                that is not a bool.
        """
        params: dict[str, Any] = {}
        self._put_search(params)
        self._put_flags(params, (("joined_only", "hasJoined"),), 1)
        self._put_lists(params, (("tags", "tags"),))
        self._put_flags(params, (("with_tags", "withTags"),), 1)
        return GroupsRequest(self._client, "groups", params, self._checked_limit(), Group.from_json)
