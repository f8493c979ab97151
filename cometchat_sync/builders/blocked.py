"""``BlockedUsersRequestBuilder``: the users the logged-in user has blocked, or who have
blocked them, paged.

Wire: ``GET blockedusers`` with ``per_page``, ``page``, ``searchKey`` and ``direction``
(``blockedByMe``, ``hasBlockedMe`` or ``both``), from
https://www.cometchat.com/docs/sdk/javascript/block-users and the observed traffic of the
official JavaScript SDK.
"""

from __future__ import annotations

from typing import Any

from ..models import User
from .base import PagedRequest
from .base import RequestBuilder
from .base import choice

__all__ = ["DIRECTIONS", "BlockedUsersRequest", "BlockedUsersRequestBuilder"]

DIRECTIONS = ("blockedByMe", "hasBlockedMe", "both")
"""The values of :meth:`BlockedUsersRequestBuilder.set_direction` (the official constants
``BLOCKED_BY_ME``, ``HAS_BLOCKED_ME`` and ``BOTH``)."""


class BlockedUsersRequest(PagedRequest[User]):
    """Pages of blocked :class:`~cometchat_sync.models.User` (``blocked_by_me`` and
    ``has_blocked_me`` tell which way; see :class:`~cometchat_sync.builders.base.PagedRequest`)."""


class BlockedUsersRequestBuilder(RequestBuilder):
    """Builds a :class:`BlockedUsersRequest`; by default the users the logged-in user has
    blocked.

    Every setter returns the builder; ``build()`` checks the values.

    Wire: https://www.cometchat.com/docs/sdk/javascript/block-users.

    Args:
        client: the client the request works for; ``None`` for the facade's default client.

    Raises:
        CometChatException: ``ERROR_INIT_NOT_CALLED`` with no client and no default client.
    """

    def set_search_keyword(self, keyword: str) -> BlockedUsersRequestBuilder:
        """Only users whose name or uid contains ``keyword``."""
        return self._set("search", keyword)

    def set_direction(self, direction: str) -> BlockedUsersRequestBuilder:
        """``"blockedByMe"`` (users the logged-in user blocked), ``"hasBlockedMe"`` (users who
        blocked them) or ``"both"``."""
        return self._set("direction", direction)

    def build(self) -> BlockedUsersRequest:
        """Check every filter and return the request (no network I/O).

        Returns:
            A :class:`BlockedUsersRequest` at its first page.

        Raises:
            CometChatException: ``ERR_INVALID_PARAMETER`` for a limit outside 1 to 100,
                another direction, or a keyword that is not a string.
        """
        params: dict[str, Any] = {}
        if self._filters.get("direction") is not None:
            params["direction"] = choice(self._filters["direction"], "direction", DIRECTIONS)
        self._put_search(params)
        return BlockedUsersRequest(
            self._client, "blockedusers", params, self._checked_limit(), User.from_json
        )
