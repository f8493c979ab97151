"""Groups and their members over REST: create, fetch, join, leave, list, add, kick, ban,
unban, change a member's scope.

Wire: https://www.cometchat.com/docs/rest-api/groups and
https://www.cometchat.com/docs/rest-api/group-members (REST API reference); the JavaScript
SDK pages linked from each method.
"""

from __future__ import annotations

from typing import Any
from typing import Optional

from .. import _validate as check
from ..errors import CometChatException
from ..errors import ErrorCode
from ..models import Action
from ..models import Group
from ..models import GroupMember
from .base import ResourceAPI
from .base import as_object

__all__ = ["GroupsAPI"]


class GroupsAPI(ResourceAPI):
    """Group calls of :class:`~cometchat_sync.client.CometChatClient` (a mixin).

    Threads and the errors every call raises: :class:`~cometchat_sync.rest.base.ResourceAPI`.
    """

    def create_group(self, group: Group) -> Group:
        """Create a group; the logged-in user becomes its owner (scope ``admin``).

        ``POST groups`` with ``guid``, ``name``, ``type`` and, when set, ``password``,
        ``description``, ``icon`` and ``metadata``.

        Wire: https://www.cometchat.com/docs/sdk/javascript/create-group and
        https://www.cometchat.com/docs/rest-api/groups.

        Args:
            group: a :class:`~cometchat_sync.models.Group` with a ``guid`` (letters,
                digits, ``-`` and ``_``), a ``name`` and a ``type`` (``"public"``,
                ``"password"`` or ``"private"``). For a password group set ``group.password``
                (``group.raw["password"]`` is read too); it is sent but never kept in the
                returned group.

        Returns:
            The created group as the server stored it (``owner``, ``created_at``, ...).

        Raises:
            CometChatException: ``MISSING_PARAMETERS`` when ``group`` is not a
                :class:`~cometchat_sync.models.Group` or has no ``guid``; the server's code
                when it refuses (for example a guid already in use, or a password group
                without a password); and the errors of every REST call (see
                :class:`~cometchat_sync.rest.base.ResourceAPI`).
        """
        if not isinstance(group, Group) or not group.guid:
            raise CometChatException(ErrorCode.MISSING_PARAMETERS, "The group needs a guid.")
        data = self._client_call("POST", "groups", body=group_body(group)).data
        return Group.from_json(as_object(data, "group"))

    def get_group(self, guid: str) -> Group:
        """Fetch a group by guid.

        ``GET groups/{guid}``. The answer tells whether the logged-in user has joined
        (``has_joined``) and with which ``scope``.

        Wire: https://www.cometchat.com/docs/rest-api/groups.

        Args:
            guid: the group's id, a non-empty string without spaces or ``/?#%``.

        Returns:
            The group (never its password).

        Raises:
            CometChatException: ``MISSING_PARAMETERS`` for an empty ``guid``;
                ``ERR_INVALID_PARAMETER`` for one that is not a string or holds spaces or
                ``/?#%``; the server's code for an unknown group or one this user may not
                see; and the errors of every REST call (see
                :class:`~cometchat_sync.rest.base.ResourceAPI`).
        """
        data = self._client_call("GET", _path(guid)).data
        return Group.from_json(as_object(data, "group"))

    def join_group(
        self, guid: str, group_type: str = "public", password: Optional[str] = None
    ) -> Group:
        """Join a public group, or a password group with its password.

        ``POST groups/{guid}/members`` with ``type`` (and ``password``). Private groups
        cannot be joined: an admin or moderator adds their members. The group's members
        hear ``on_group_member_joined`` on their group listeners.

        The service answers with the ``joined`` action message, whose
        ``data.entities.for.entity`` is the group (where the official SDKs read it); an answer
        that is the group itself is read as such.

        Wire: https://www.cometchat.com/docs/sdk/javascript/join-group.

        Args:
            guid: the group's id, a non-empty string without spaces or ``/?#%``.
            group_type: the group's type as the caller knows it: ``"public"`` (default),
                ``"password"`` or ``"private"``; sent as is.
            password: the group's password, for a ``"password"`` group.

        Returns:
            The joined group (``has_joined`` true, the user's ``scope``).

        Raises:
            CometChatException: ``MISSING_PARAMETERS`` for an empty ``guid``,
                ``ERR_INVALID_PARAMETER`` for a malformed one; the server's code when it
                refuses (already a member, banned, a private group, a missing or wrong
                password, an unknown group); and the errors of every REST call (see
                :class:`~cometchat_sync.rest.base.ResourceAPI`).
        """
        body: dict[str, Any] = {"type": group_type}
        if password is not None:
            body["password"] = password
        data = as_object(self._client_call("POST", _path(guid, "members"), body=body).data, "group")
        if data.get("category") != "action":
            return Group.from_json(data)
        group = Action.from_json(data).actioned_for
        if not isinstance(group, Group) or not group.guid:
            raise CometChatException(ErrorCode.FAILED_TO_FETCH, "The server returned no group.")
        group.has_joined = True  # the answer is the proof
        group.scope = group.scope or "participant"
        return group

    def leave_group(self, guid: str) -> None:
        """Leave a group the logged-in user has joined.

        ``DELETE groups/{guid}/members``. The user stops receiving the group's messages
        and events; the remaining members hear ``on_group_member_left``.

        Wire: https://www.cometchat.com/docs/sdk/javascript/leave-group.

        Args:
            guid: the group's id, a non-empty string without spaces or ``/?#%``.

        Raises:
            CometChatException: ``MISSING_PARAMETERS`` for an empty ``guid``,
                ``ERR_INVALID_PARAMETER`` for a malformed one; the server's code when it
                refuses (not a member, an unknown group); and the errors of every REST call
                (see :class:`~cometchat_sync.rest.base.ResourceAPI`).
        """
        self._client_call("DELETE", _path(guid, "members"))

    def get_group_members(self, guid: str, limit: int = 100, page: int = 1) -> list[GroupMember]:
        """Fetch one page of a group's members, with their scopes.

        ``GET groups/{guid}/members`` with ``per_page`` and ``page`` (as the official SDKs'
        member requests page). An answer that is not a list reads as no members; a page past
        the last one is empty.

        Wire: https://www.cometchat.com/docs/rest-api/group-members/list and
        https://www.cometchat.com/docs/sdk/javascript/retrieve-group-members.

        Args:
            guid: the group's id, a non-empty string without spaces or ``/?#%``.
            limit: the page size, an int from 1 to 100 (default 100).
            page: which page, an int from 1 (default 1): ``page=2`` holds members
                ``limit + 1`` to ``2 * limit``.

        Returns:
            Up to ``limit`` members, each a :class:`~cometchat_sync.models.GroupMember`
            (a user plus ``scope`` and ``joined_at``); fewer (or none) on the last page.

        Raises:
            CometChatException: ``MISSING_PARAMETERS`` for an empty ``guid``;
                ``ERR_INVALID_PARAMETER`` for a malformed one, a ``limit`` outside 1 to
                100 or a ``page`` that is not an int of at least 1; the server's code when
                it refuses (an unknown group, or one this user may not see); and the errors
                of every REST call (see :class:`~cometchat_sync.rest.base.ResourceAPI`).
        """
        if isinstance(page, bool) or not isinstance(page, int) or page < 1:
            raise CometChatException(ErrorCode.INVALID_PARAMETER, "page is an int from 1.")
        params = {"per_page": check.limit(limit), "page": page}
        data = self._client_call("GET", _path(guid, "members"), params=params).data
        items = data if isinstance(data, list) else []
        return [GroupMember.from_json(item) for item in items if isinstance(item, dict)]

    def add_members_to_group(
        self,
        guid: str,
        participants: Optional[list[str]] = None,
        *,
        moderators: Optional[list[str]] = None,
        admins: Optional[list[str]] = None,
        users_to_ban: Optional[list[str]] = None,
    ) -> dict[str, str]:
        """Add users to a group, each with the scope of the list that names them, and ban
        others; return what became of each user.

        ``PUT groups/{guid}/members`` with ``participants``, ``moderators``, ``admins`` and
        ``usersToBan``. Only an admin or moderator of the group may add members (an admin to
        add admins or moderators); the server takes at most 25 users per call in all, and a
        user named in two lists gets the higher scope. The group's members hear
        ``on_member_added_to_group`` (``on_group_member_banned`` for a ban).

        The server judges each user separately and does not fail the call because one
        user could not be added (for example one already a member): it answers, under each
        list, per uid, either success or the error that refused that user.

        Wire: https://www.cometchat.com/docs/sdk/javascript/group-add-members (the per-user
        result map: https://www.cometchat.com/docs/sdk/android/group-add-members) and
        https://www.cometchat.com/docs/rest-api/group-members.

        Args:
            guid: the group's id, a non-empty string without spaces or ``/?#%``.
            participants: uids (a list of strings) to add with scope ``participant``.
            moderators: uids to add with scope ``moderator``.
            admins: uids to add with scope ``admin``.
            users_to_ban: uids to ban from the group (see :meth:`ban_group_member`).

        Returns:
            A dict: each uid of the answer (lower-cased by the server) -> ``"success"``, or
            the server's message saying why that user was not added (or banned).

        Raises:
            CometChatException: ``MISSING_PARAMETERS`` for an empty ``guid``,
                ``ERR_INVALID_PARAMETER`` for a malformed one or a list that is not a list
                of strings (a bare string is refused: it is not split into characters); the
                server's code when it refuses the whole call (an unknown group, a caller
                without the right scope, too many users); and the errors of every REST call
                (see :class:`~cometchat_sync.rest.base.ResourceAPI`).
        """
        body = {
            "participants": _uid_list(participants, "participants"),
            "moderators": _uid_list(moderators, "moderators"),
            "admins": _uid_list(admins, "admins"),
            "usersToBan": _uid_list(users_to_ban, "users_to_ban"),
        }
        data = self._client_call("PUT", _path(guid, "members"), body=body).data
        return _per_uid_results(data)

    def kick_group_member(self, guid: str, uid: str) -> None:
        """Remove a member from a group; a kicked user may join again.

        ``DELETE groups/{guid}/members/{uid}``. Only an admin or moderator of the group
        may kick. The group's members hear ``on_group_member_kicked``.

        Wire: https://www.cometchat.com/docs/sdk/javascript/group-kick-ban-members.

        Args:
            guid: the group's id, a non-empty string without spaces or ``/?#%``.
            uid: the member's user id, same rules.

        Raises:
            CometChatException: ``MISSING_PARAMETERS`` for an empty ``guid`` or ``uid``,
                ``ERR_INVALID_PARAMETER`` for a malformed one; the server's code when it
                refuses (not a member, a caller without the right scope, an unknown group);
                and the errors of every REST call (see
                :class:`~cometchat_sync.rest.base.ResourceAPI`).
        """
        self._client_call("DELETE", _path(guid, "members", uid))

    def ban_group_member(self, guid: str, uid: str) -> None:
        """Ban a user from a group: removed, and unable to join again until unbanned.

        ``POST groups/{guid}/bannedusers/{uid}``. Only an admin or moderator of the group
        may ban. The group's members hear ``on_group_member_banned``.

        Wire: https://www.cometchat.com/docs/sdk/javascript/group-kick-ban-members and
        https://www.cometchat.com/docs/rest-api/banned-users.

        Args:
            guid: the group's id, a non-empty string without spaces or ``/?#%``.
            uid: the user's id, same rules.

        Raises:
            CometChatException: ``MISSING_PARAMETERS`` for an empty ``guid`` or ``uid``,
                ``ERR_INVALID_PARAMETER`` for a malformed one; the server's code when it
                refuses (a caller without the right scope, an unknown group or user); and
                the errors of every REST call (see
                :class:`~cometchat_sync.rest.base.ResourceAPI`).
        """
        self._client_call("POST", _path(guid, "bannedusers", uid))

    def unban_group_member(self, guid: str, uid: str) -> None:
        """Lift a ban, so that the user may join the group again (they are not re-added).

        ``DELETE groups/{guid}/bannedusers/{uid}``. Only an admin or moderator of the
        group may unban. Group listeners hear ``on_group_member_unbanned``.

        Wire: https://www.cometchat.com/docs/sdk/javascript/group-kick-ban-members and
        https://www.cometchat.com/docs/rest-api/banned-users.

        Args:
            guid: the group's id, a non-empty string without spaces or ``/?#%``.
            uid: the banned user's id, same rules.

        Raises:
            CometChatException: ``MISSING_PARAMETERS`` for an empty ``guid`` or ``uid``,
                ``ERR_INVALID_PARAMETER`` for a malformed one; the server's code when it
                refuses (a user who is not banned, a caller without the right scope, an
                unknown group); and the errors of every REST call (see
                :class:`~cometchat_sync.rest.base.ResourceAPI`).
        """
        self._client_call("DELETE", _path(guid, "bannedusers", uid))

    def update_group_member_scope(self, guid: str, uid: str, scope: str) -> None:
        """Change a member's scope to ``admin``, ``moderator`` or ``participant``.

        ``PUT groups/{guid}/members/{uid}`` with ``scope``. Admins may change any
        member's scope, moderators only participants'. The group's members hear
        ``on_group_member_scope_changed``.

        Wire: https://www.cometchat.com/docs/sdk/javascript/group-change-member-scope and
        https://www.cometchat.com/docs/rest-api/group-members.

        Args:
            guid: the group's id, a non-empty string without spaces or ``/?#%``.
            uid: the member's user id, same rules.
            scope: the new scope: ``"admin"``, ``"moderator"`` or ``"participant"``.

        Raises:
            CometChatException: ``ERR_INVALID_PARAMETER`` for another ``scope`` or a
                malformed id, ``MISSING_PARAMETERS`` for an empty one; the server's code
                when it refuses (the member already has that scope, not a member, a caller
                without the right scope); and the errors of every REST call (see
                :class:`~cometchat_sync.rest.base.ResourceAPI`).
        """
        if scope not in ("admin", "moderator", "participant"):
            raise CometChatException(
                ErrorCode.INVALID_PARAMETER, "scope must be admin, moderator or participant."
            )
        self._client_call(
            "PUT",
            _path(guid, "members", uid),
            body={"scope": scope},
        )


def group_body(group: Group) -> dict[str, Any]:
    """The body of ``POST groups`` (and ``PUT groups/{guid}``): ``guid``, ``name``, ``type``
    and, when set, ``password`` (``group.password``, else ``group.raw["password"]``),
    ``description``, ``icon``, ``metadata`` and ``tags``."""
    body: dict[str, Any] = {"guid": group.guid, "name": group.name, "type": group.type}
    password = group.password
    if not password and isinstance(group.raw, dict):
        password = group.raw.get("password")
    if password:
        body["password"] = password
    for key, value in (("description", group.description), ("icon", group.icon)):
        if value:
            body[key] = value
    if group.metadata:
        body["metadata"] = group.metadata
    if group.tags:
        body["tags"] = list(group.tags)
    return body


def _uid_list(value: object, name: str) -> list[str]:
    """``value`` as a list of uid strings (``None`` is none); refuses anything else, a bare
    string included (``list("ab")`` would be two uids)."""
    if value is None:
        return []
    if not isinstance(value, (list, tuple)):
        raise CometChatException(
            ErrorCode.INVALID_PARAMETER, f"{name} must be a list of uids, not a single value."
        )
    if not all(isinstance(uid, str) and uid for uid in value):
        raise CometChatException(ErrorCode.INVALID_PARAMETER, f"{name} must hold uid strings.")
    return list(value)


def _per_uid_results(data: Any) -> dict[str, str]:
    """uid -> ``"success"`` or the error message, from the per-list answer of
    ``PUT groups/{guid}/members`` (``{"participants": {uid: {"success": true, ...}}}``,
    or, from older servers, a bare ``"success"`` per uid)."""
    results: dict[str, str] = {}
    lists = data if isinstance(data, dict) else {}
    for entries in lists.values():
        if not isinstance(entries, dict):
            continue
        for uid, entry in entries.items():
            if isinstance(entry, str):
                results[uid] = entry
            elif isinstance(entry, dict):
                results[uid] = "success" if entry.get("success") is True else _why(entry)
    return results


def _why(entry: dict[str, Any]) -> str:
    """The message of a failed per-uid entry (its ``error``'s message, else its code)."""
    error = entry.get("error")
    if isinstance(error, dict):
        for key in ("message", "code"):
            if isinstance(error.get(key), str) and error[key]:
                return str(error[key])
    if isinstance(error, str) and error:
        return error
    return "failed"


def _path(guid: str, part: str = "", uid: Optional[str] = None) -> str:
    """``groups/{guid}[/{part}[/{uid}]]``, each id checked and percent-encoded."""
    path = f"groups/{check.path_segment(guid, 'guid')}"
    if part:
        path += f"/{part}"
    if uid is not None:
        path += f"/{check.path_segment(uid, 'uid')}"
    return path
