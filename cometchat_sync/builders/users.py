"""``UsersRequestBuilder``: the app's users, filtered, sorted and paged.

Wire: ``GET users`` with the parameters the official SDKs send (``per_page``, ``page``,
``searchKey``, ``searchIn``, ``status``, ``roles``, ``tags``, ``uids``, ``friendsOnly``,
``hideBlockedUsers``, ``withTags``, ``sortBy``, ``sortOrder``), from
https://www.cometchat.com/docs/sdk/javascript/retrieve-users and the observed traffic of the
official JavaScript SDK.
"""

from __future__ import annotations

from typing import Any

from ..models import User
from .base import PagedRequest
from .base import RequestBuilder
from .base import choice
from .base import csv
from .base import id_list
from .base import string_list

__all__ = ["UsersRequest", "UsersRequestBuilder"]

USER_STATUSES = ("online", "offline")
_WIRE_STATUS = {"online": "available", "offline": "offline"}


class UsersRequest(PagedRequest[User]):
    """Pages of :class:`~cometchat_sync.models.User` (see
    :class:`~cometchat_sync.builders.base.PagedRequest`)."""


class UsersRequestBuilder(RequestBuilder):
    """Builds a :class:`UsersRequest`: ``UsersRequestBuilder(client).set_limit(30).build()``.

    Every setter returns the builder; ``build()`` checks the values. Without filters the
    request lists every user, in the server's order.

    Wire: https://www.cometchat.com/docs/sdk/javascript/retrieve-users.

    Args:
        client: the client the request works for; ``None`` for the facade's default client.

    Raises:
        CometChatException: ``ERROR_INIT_NOT_CALLED`` with no client and no default client.
    """

    def set_status(self, status: str) -> UsersRequestBuilder:
        """Only users whose status is ``"online"`` or ``"offline"``."""
        return self._set("status", status)

    def set_search_keyword(self, keyword: str) -> UsersRequestBuilder:
        """Only users whose name or uid contains ``keyword`` (see :meth:`search_in`)."""
        return self._set("search", keyword)

    def search_in(self, fields: list[str]) -> UsersRequestBuilder:
        """Where the search keyword is looked for: ``["name"]``, ``["uid"]`` or both (the
        default)."""
        return self._set("search_in", fields)

    def set_roles(self, roles: list[str]) -> UsersRequestBuilder:
        """Only users with one of these roles."""
        return self._set("roles", roles)

    def set_tags(self, tags: list[str]) -> UsersRequestBuilder:
        """Only users with one of these tags."""
        return self._set("tags", tags)

    def with_tags(self, with_tags: bool) -> UsersRequestBuilder:
        """Include each user's tags in the answer."""
        return self._set("with_tags", with_tags)

    def set_uids(self, uids: list[str]) -> UsersRequestBuilder:
        """Only these users (uids)."""
        return self._set("uids", uids)

    def friends_only(self, friends_only: bool) -> UsersRequestBuilder:
        """Only the logged-in user's friends."""
        return self._set("friends_only", friends_only)

    def hide_blocked_users(self, hide: bool) -> UsersRequestBuilder:
        """Leave out users the logged-in user has blocked."""
        return self._set("hide_blocked", hide)

    def sort_by(self, field: str) -> UsersRequestBuilder:
        """Sort by ``"status"`` (online first) or ``"name"``."""
        return self._set("sort_by", field)

    def sort_by_order(self, order: str) -> UsersRequestBuilder:
        """``"asc"`` (the default) or ``"desc"``."""
        return self._set("sort_order", order)

    def build(self) -> UsersRequest:
        """Check every filter and return the request (no network I/O).

        Returns:
            A :class:`UsersRequest` at its first page.

        Raises:
            CometChatException: ``ERR_INVALID_PARAMETER`` for a limit outside 1 to 100, a
                status other than online/offline, a sort field other than name/status, an
                order other than asc/desc, ``search_in`` fields other than name/uid, a list
                that is not a list of non-empty strings, or a flag that is not a bool.
        """
        f = self._filters
        params: dict[str, Any] = {}
        self._put_search(params)
        if "search_in" in f:
            params["searchIn"] = csv(string_list(f["search_in"], "search_in", ("name", "uid")))
        if "status" in f:
            params["status"] = _WIRE_STATUS[choice(f["status"], "status", USER_STATUSES)]
        self._put_lists(params, (("roles", "roles"), ("tags", "tags")))
        if "uids" in f:
            params["uids"] = csv(id_list(f["uids"], "uid"))
        flags = (
            ("friends_only", "friendsOnly"),
            ("hide_blocked", "hideBlockedUsers"),
            ("with_tags", "withTags"),
        )
        self._put_flags(params, flags, 1)
        if "sort_by" in f:
            params["sortBy"] = choice(f["sort_by"], "sort_by", ("status", "name"))
        if "sort_order" in f:
            params["sortOrder"] = choice(f["sort_order"], "sort_order", ("asc", "desc"))
        return UsersRequest(self._client, "users", params, self._checked_limit(), User.from_json)
