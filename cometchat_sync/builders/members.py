"""``GroupMembersRequestBuilder`` and ``BannedMembersRequestBuilder``: a group's members and
its banned users, filtered by scope (and members by status) and paged.

Wire: ``GET groups/{guid}/members`` and ``GET groups/{guid}/bannedusers`` with ``per_page``,
``page``, ``searchKey``, ``scopes`` (and ``status`` for members), from
https://www.cometchat.com/docs/sdk/javascript/retrieve-group-members,
https://www.cometchat.com/docs/sdk/javascript/group-kick-ban-members and the observed traffic
of the official JavaScript SDK.
"""

from __future__ import annotations

from typing import Any
from typing import Optional

from .. import _validate as check
from ..errors import CometChatException
from ..errors import ErrorCode
from ..models import GroupMember
from ..rest.base import ResourceAPI
from .base import PagedRequest
from .base import RequestBuilder
from .base import choice
from .base import csv
from .base import string_list

__all__ = [
    "BannedMembersRequest",
    "BannedMembersRequestBuilder",
    "GroupMembersRequest",
    "GroupMembersRequestBuilder",
]

SCOPES = ("admin", "moderator", "participant")
_WIRE_STATUS = {"online": "available", "offline": "offline"}


class GroupMembersRequest(PagedRequest[GroupMember]):
    """Pages of :class:`~cometchat_sync.models.GroupMember` (see
    :class:`~cometchat_sync.builders.base.PagedRequest`)."""


class BannedMembersRequest(PagedRequest[GroupMember]):
    """Pages of banned users, each a :class:`~cometchat_sync.models.GroupMember` (see
    :class:`~cometchat_sync.builders.base.PagedRequest`)."""


class _MembersBuilder(RequestBuilder):
    def __init__(self, client: Optional[ResourceAPI] = None, guid: Optional[str] = None) -> None:
        super().__init__(client)
        self._guid = guid

    def _params(self) -> tuple[str, dict[str, Any]]:
        if self._guid is None:
            raise CometChatException(ErrorCode.MISSING_PARAMETERS, "Set the group's guid.")
        guid = check.path_segment(self._guid, "guid")
        f = self._filters
        params: dict[str, Any] = {}
        self._put_search(params)
        if "scopes" in f:
            params["scopes"] = csv(string_list(f["scopes"], "scopes", SCOPES))
        return guid, params


class GroupMembersRequestBuilder(_MembersBuilder):
    """Builds a :class:`GroupMembersRequest` over the members of one group, with their
    scopes: ``GroupMembersRequestBuilder(client, "g1").set_scopes(["admin"]).build()``.

    Every setter returns the builder; ``build()`` checks the values. The logged-in user must
    be able to see the group.

    Wire: https://www.cometchat.com/docs/sdk/javascript/retrieve-group-members.

    Args:
        client: the client the request works for; ``None`` for the facade's default client.
        guid: the group's guid (or set it with :meth:`set_guid`).

    Raises:
        CometChatException: ``ERROR_INIT_NOT_CALLED`` with no client and no default client.
    """

    def set_guid(self, guid: str) -> GroupMembersRequestBuilder:
        """The group whose members to list."""
        self._guid = guid
        return self

    def set_search_keyword(self, keyword: str) -> GroupMembersRequestBuilder:
        """Only members whose name or uid contains ``keyword``."""
        return self._set("search", keyword)

    def set_scopes(self, scopes: list[str]) -> GroupMembersRequestBuilder:
        """Only members with one of these scopes: ``admin``, ``moderator``, ``participant``."""
        return self._set("scopes", scopes)

    def set_status(self, status: str) -> GroupMembersRequestBuilder:
        """Only members who are ``"online"`` or ``"offline"``."""
        return self._set("status", status)

    def build(self) -> GroupMembersRequest:
        """Check every filter and return the request (no network I/O).

        Returns:
            A :class:`GroupMembersRequest` at its first page.

        Raises:
            CometChatException: ``MISSING_PARAMETERS`` with no guid or an empty one;
                ``ERR_INVALID_PARAMETER`` for a malformed guid, a limit outside 1 to 100,
                another scope or status, or a keyword that is not a string.
        """
        guid, params = self._params()
        if "status" in self._filters:
            status = choice(self._filters["status"], "status", ("online", "offline"))
            params["status"] = _WIRE_STATUS[status]
        return GroupMembersRequest(
            self._client,
            f"groups/{guid}/members",
            params,
            self._checked_limit(),
            GroupMember.from_json,
        )


class BannedMembersRequestBuilder(_MembersBuilder):
    """Builds a :class:`BannedMembersRequest` over the users banned from one group (only its
    admins and moderators may list them).

    Every setter returns the builder; ``build()`` checks the values.

    Wire: https://www.cometchat.com/docs/sdk/javascript/group-kick-ban-members.

    Args:
        client: the client the request works for; ``None`` for the facade's default client.
        guid: the group's guid (or set it with :meth:`set_guid`).

    Raises:
        CometChatException: ``ERROR_INIT_NOT_CALLED`` with no client and no default client.
    """

    def set_guid(self, guid: str) -> BannedMembersRequestBuilder:
        """The group whose banned users to list."""
        self._guid = guid
        return self

    def set_search_keyword(self, keyword: str) -> BannedMembersRequestBuilder:
        """Only banned users whose name or uid contains ``keyword``."""
        return self._set("search", keyword)

    def set_scopes(self, scopes: list[str]) -> BannedMembersRequestBuilder:
        """Only banned users who had one of these scopes."""
        return self._set("scopes", scopes)

    def build(self) -> BannedMembersRequest:
        """Check every filter and return the request (no network I/O).

        Returns:
            A :class:`BannedMembersRequest` at its first page.

        Raises:
            CometChatException: ``MISSING_PARAMETERS`` with no guid or an empty one;
                ``ERR_INVALID_PARAMETER`` for a malformed guid, a limit outside 1 to 100,
                another scope, or a keyword that is not a string.
        """
        guid, params = self._params()
        return BannedMembersRequest(
            self._client,
            f"groups/{guid}/bannedusers",
            params,
            self._checked_limit(),
            GroupMember.from_json,
        )
