"""``BlockedUsersRequestBuilder``: the users the logged-in user has blocked, or who have
blocked them, paged.

Wire: ``GET blockedusers`` with ``per_page``, ``page``, ``searchKey`` and ``direction``
(``blockedByMe``, ``hasBlockedMe`` or ``both``), from
https://www.cometchat.com/docs/sdk/javascript/block-users and the observed traffic of the
official JavaScript SDK.
"""

from __future__ import annotations

from typing import Any
from typing import Optional

from ..models import User
from ..rest.base import ResourceAPI
from .base import PagedRequest
from .base import RequestBuilder
from .base import choice
from .base import text

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

    def __init__(self, client: Optional[ResourceAPI] = None) -> None:
        super().__init__(client)
        self._search: object = ""
        self._direction: object = None

    def set_search_keyword(self, keyword: str) -> BlockedUsersRequestBuilder:
        """Only users whose name or uid contains ``keyword``."""
        self._search = keyword
        return self

    def set_direction(self, direction: str) -> BlockedUsersRequestBuilder:
        """``"blockedByMe"`` (users the logged-in user blocked), ``"hasBlockedMe"`` (users who
        blocked them) or ``"both"``."""
        self._direction = direction
        return self

    def build(self) -> BlockedUsersRequest:
        """Check every filter and return the request (no network I/O).

        Returns:
            A :class:`BlockedUsersRequest` at its first page.

        Raises:
            CometChatException: ``ERR_INVALID_PARAMETER`` for a limit outside 1 to 100,
                another direction, or a keyword that is not a string.
        """
        params: dict[str, Any] = {}
        if self._direction is not None:
            params["direction"] = choice(self._direction, "direction", DIRECTIONS)
        if text(self._search, "search keyword"):
            params["searchKey"] = self._search
        return BlockedUsersRequest(
            self._client, "blockedusers", params, self._checked_limit(), User.from_json
        )
