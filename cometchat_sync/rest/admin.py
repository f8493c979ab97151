"""Administering groups and users over REST: update, delete and hand over a group, create one
with its members; create and update users with an API key.

Its own module rather than more of :mod:`.groups`: these calls change the group itself (or
users), where :mod:`.groups` joins and manages members, and :mod:`.groups` is already near the
size a module should stay under.

Wire (the official JavaScript SDK's observed traffic, and the pages linked from each method):
``PUT groups/{guid}`` with the group's fields; ``DELETE groups/{guid}``; ``PATCH
groups/{guid}/owner`` with ``{"owner": uid}``; ``POST groups`` with a ``members`` object
(``admins``, ``moderators``, ``participants``, ``usersToBan``), answered with the group and,
under ``members.data``, the per-uid results; ``POST users`` and ``PUT users/{uid}`` on the
admin API with the ``apiKey`` header.
"""

from __future__ import annotations

from typing import Any
from typing import NamedTuple
from typing import Optional

from .. import _validate as check
from ..errors import CometChatException
from ..errors import ErrorCode
from ..models import Group
from ..models import GroupMember
from ..models import User
from .base import ResourceAPI
from .base import as_object
from .groups import _path
from .groups import _per_uid_results
from .groups import _uid_list
from .groups import group_body
from .users import user_body

__all__ = ["AdminAPI", "CreatedGroup"]

_SCOPE_LISTS = {"admin": "admins", "moderator": "moderators", "participant": "participants"}


class CreatedGroup(NamedTuple):
    """What :meth:`AdminAPI.create_group_with_members` returns."""

    group: Group
    """The created group, as the server stored it (the caller its owner)."""
    members: dict[str, str]
    """Each uid of the answer -> ``"success"``, or the server's message saying why that user
    was not added (or banned)."""


class AdminAPI(ResourceAPI):
    """Group and user administration calls of :class:`~cometchat_sync.client.CometChatClient`
    (a mixin).

    The group calls act as the logged-in user, whose scope in the group decides what the
    server allows. The user calls (:meth:`create_user`, :meth:`update_user`) use the admin
    API with an API key instead and need no logged-in user: they are for server-side code
    (provisioning hooks, back offices), never for an app in users' hands, which must not hold
    a key that can change every user.

    Threads and the errors every call raises: :class:`~cometchat_sync.rest.base.ResourceAPI`.
    """

    # -- groups --------------------------------------------------------------------------------

    def update_group(self, group: Group) -> Group:
        """Change a group's name, type (and password), description, icon, metadata or tags.

        ``PUT groups/{guid}`` with the fields ``group`` carries. Only the group's owner,
        admins and moderators may update it. The type is always sent (a new ``Group`` is
        ``"public"``): to change only the name of a password or private group, start from
        :meth:`~cometchat_sync.rest.groups.GroupsAPI.get_group` (and, for a password group,
        set ``password`` again).

        Wire: https://www.cometchat.com/docs/sdk/javascript/update-group.

        Args:
            group: a :class:`~cometchat_sync.models.Group` with the ``guid`` of the group to
                change and its new ``name``, ``type`` (``"public"``, ``"password"`` with
                ``group.password``, or ``"private"``) and, when set, ``description``,
                ``icon``, ``metadata`` and ``tags``.

        Returns:
            The group as the server stored it.

        Raises:
            CometChatException: ``MISSING_PARAMETERS`` when ``group`` is not a
                :class:`~cometchat_sync.models.Group` or has no ``guid``;
                ``ERR_INVALID_PARAMETER`` for a malformed guid; the server's code when it
                refuses: ``ERR_GROUP_NOT_JOINED`` for a caller who is not a member,
                ``AUTH_ERR_NO_ACCESS`` for a participant, ``ERR_GUID_NOT_FOUND``, a password
                group without a password; and the errors of every REST call (see
                :class:`~cometchat_sync.rest.base.ResourceAPI`).
        """
        _check_group(group)
        data = self._client_call("PUT", _path(group.guid), body=group_body(group)).data
        return Group.from_json(as_object(data, "group"))

    def delete_group(self, guid: str) -> None:
        """Delete a group, its members and its conversation.

        ``DELETE groups/{guid}``. Only the group's owner and admins may delete it.

        Wire: https://www.cometchat.com/docs/sdk/javascript/delete-group.

        Args:
            guid: the group's id, a non-empty string without spaces or ``/?#%``.

        Raises:
            CometChatException: ``MISSING_PARAMETERS`` for an empty ``guid``,
                ``ERR_INVALID_PARAMETER`` for a malformed one; the server's code when it
                refuses (``ERR_GROUP_NOT_JOINED``, ``AUTH_ERR_NO_ACCESS``,
                ``ERR_GUID_NOT_FOUND``); and the errors of every REST call (see
                :class:`~cometchat_sync.rest.base.ResourceAPI`).
        """
        self._client_call("DELETE", _path(guid))

    def transfer_group_ownership(self, guid: str, uid: str) -> str:
        """Make another member the group's owner (the caller stays an admin).

        ``PATCH groups/{guid}/owner`` with ``{"owner": uid}``. Only the owner may hand the
        group over, and only to a member. An owner must do this before leaving the group.

        Wire: https://www.cometchat.com/docs/sdk/javascript/transfer-group-ownership.

        Args:
            guid: the group's id, a non-empty string without spaces or ``/?#%``.
            uid: the member who becomes the owner, same rules.

        Returns:
            The server's message (``"Ownership transferred to user ..."``).

        Raises:
            CometChatException: ``MISSING_PARAMETERS`` for an empty ``guid`` or ``uid``,
                ``ERR_INVALID_PARAMETER`` for a malformed one; the server's code when it
                refuses (``AUTH_ERR_NO_ACCESS`` for a caller who is not the owner,
                ``ERR_NOT_A_MEMBER`` for a ``uid`` who is not a member,
                ``ERR_UID_NOT_FOUND``); and the errors of every REST call (see
                :class:`~cometchat_sync.rest.base.ResourceAPI`).
        """
        path = _path(guid, "owner")
        body = {"owner": check.identifier(uid, "uid")}
        data = self._client_call("PATCH", path, body=body).data
        message = data.get("message") if isinstance(data, dict) else None
        if isinstance(message, str) and message:
            return message
        return f"Ownership transferred to user {uid} for the group with guid {guid}."

    def create_group_with_members(
        self,
        group: Group,
        members: Optional[list[GroupMember]] = None,
        banned_uids: Optional[list[str]] = None,
    ) -> CreatedGroup:
        """Create a group, add members with their scopes and ban users, in one call.

        ``POST groups`` with the group's fields and a ``members`` object (``admins``,
        ``moderators``, ``participants``, ``usersToBan``: each present only when not
        empty). Like :meth:`~cometchat_sync.rest.groups.GroupsAPI.add_members_to_group`,
        the server judges each user separately.

        Wire: https://www.cometchat.com/docs/sdk/javascript/create-group (Add members while
        creating a group).

        Args:
            group: the group to create, as for
                :meth:`~cometchat_sync.rest.groups.GroupsAPI.create_group`.
            members: :class:`~cometchat_sync.models.GroupMember` objects, each added with
                its ``scope`` (``"admin"``, ``"moderator"`` or ``"participant"``).
            banned_uids: uids (a list of strings) banned from the group at once.

        Returns:
            A :class:`CreatedGroup`: the group, and per uid ``"success"`` or the server's
            message saying why that user was not added (or banned).

        Raises:
            CometChatException: ``MISSING_PARAMETERS`` when ``group`` is not a
                :class:`~cometchat_sync.models.Group` or has no ``guid``;
                ``ERR_INVALID_PARAMETER`` when ``members`` is not a list of
                :class:`~cometchat_sync.models.GroupMember` with a known scope, or
                ``banned_uids`` not a list of uid strings; the server's code when it refuses
                the group (a guid in use, a password group without a password); and the
                errors of every REST call (see :class:`~cometchat_sync.rest.base.ResourceAPI`).
        """
        _check_group(group)
        lists = _member_lists(members)
        banned = _uid_list(banned_uids, "banned_uids")
        if banned:
            lists["usersToBan"] = banned
        body = group_body(group)
        if lists:
            body["members"] = lists
        data = as_object(self._client_call("POST", "groups", body=body).data, "group")
        results = data.pop("members", None)
        if isinstance(results, dict) and isinstance(results.get("data"), dict):
            results = results["data"]  # where the official SDKs read the results
        created = Group.from_json(data)
        created.has_joined = True  # the creator is its owner
        return CreatedGroup(created, _per_uid_results(results))

    # -- users (admin API, API key) --------------------------------------------------------------

    def create_user(self, user: User, api_key: str) -> User:
        """Create a user (server-side only: needs an API key with full access).

        ``POST users`` on the admin API, with the ``apiKey`` header and the user's ``uid``,
        ``name`` and, when set, ``avatar``, ``link``, ``role``, ``metadata``,
        ``statusMessage`` and ``tags``. No user needs to be logged in.

        Wire: https://www.cometchat.com/docs/sdk/javascript/user-management and
        https://www.cometchat.com/docs/rest-api/users/create.

        Args:
            user: a :class:`~cometchat_sync.models.User` with a ``uid`` (letters, digits,
                ``-`` and ``_``) and a ``name``.
            api_key: an API key of the app (a non-empty string); never logged.

        Returns:
            The created user, as the server stored it (the uid lower-cased).

        Raises:
            CometChatException: ``MISSING_PARAMETERS`` for a ``user`` that is not a
                :class:`~cometchat_sync.models.User` or lacks its ``uid`` or ``name``, or an
                empty ``api_key``; ``ERR_INVALID_PARAMETER`` for a malformed uid; the
                server's code when it refuses (``ERR_UID_ALREADY_EXISTS``,
                ``AUTH_ERR_APIKEY_NOT_FOUND``, ``ERR_BAD_REQUEST``); and the errors of every
                REST call (see :class:`~cometchat_sync.rest.base.ResourceAPI`).
        """
        _check_user(user)
        if not user.name:
            raise CometChatException(ErrorCode.MISSING_PARAMETERS, "The user needs a name.")
        data = self._admin_call("POST", "users", _key(api_key), user_body(user))
        return User.from_json(as_object(data, "user"))

    def update_user(self, user: User, api_key: str) -> User:
        """Change a user's profile (server-side only: needs an API key with full access).

        ``PUT users/{uid}`` on the admin API, with the ``apiKey`` header and the fields
        ``user`` carries (``name``, ``avatar``, ``link``, ``role``, ``metadata``,
        ``statusMessage``, ``tags``); fields left empty are not changed.

        Wire: https://www.cometchat.com/docs/sdk/javascript/user-management and
        https://www.cometchat.com/docs/rest-api/users/update.

        Args:
            user: a :class:`~cometchat_sync.models.User` with the ``uid`` of the user to
                change and the new values.
            api_key: an API key of the app (a non-empty string); never logged.

        Returns:
            The user as the server stored it.

        Raises:
            CometChatException: ``MISSING_PARAMETERS`` for a ``user`` that is not a
                :class:`~cometchat_sync.models.User` or has no ``uid``, or an empty
                ``api_key``; ``ERR_INVALID_PARAMETER`` for a malformed uid; the server's
                code when it refuses (``ERR_UID_NOT_FOUND``, ``AUTH_ERR_APIKEY_NOT_FOUND``);
                and the errors of every REST call (see
                :class:`~cometchat_sync.rest.base.ResourceAPI`).
        """
        _check_user(user)
        path = f"users/{check.path_segment(user.uid, 'uid')}"
        body = user_body(user)
        body.pop("uid")
        data = self._admin_call("PUT", path, _key(api_key), body)
        return User.from_json(as_object(data, "user"))

    def _admin_call(self, method: str, path: str, api_key: str, body: dict[str, Any]) -> Any:
        """One call to the admin API with ``api_key`` (no auth token, no login needed)."""
        self._check_fork()
        session = self._session
        base = self._endpoints.admin_base(session.settings if session is not None else None)
        return self._rest.call(method, base + path, api_key=api_key, body=body).data


def _check_group(group: object) -> None:
    if not isinstance(group, Group) or not group.guid:
        raise CometChatException(ErrorCode.MISSING_PARAMETERS, "The group needs a guid.")
    check.path_segment(group.guid, "guid")


def _check_user(user: object) -> None:
    if not isinstance(user, User) or not user.uid:
        raise CometChatException(ErrorCode.MISSING_PARAMETERS, "The user needs a uid.")
    check.path_segment(user.uid, "uid")


def _key(api_key: object) -> str:
    if not isinstance(api_key, str) or not api_key:
        raise CometChatException(ErrorCode.MISSING_PARAMETERS, "An API key is required.")
    return api_key


def _member_lists(members: object) -> dict[str, list[str]]:
    """``{"admins": [...], ...}`` from GroupMember objects, only the non-empty lists."""
    if members is None:
        return {}
    if not isinstance(members, (list, tuple)) or not all(
        isinstance(m, GroupMember) and m.uid and m.scope in _SCOPE_LISTS for m in members
    ):
        raise CometChatException(
            ErrorCode.INVALID_PARAMETER,
            "members must be a list of GroupMember with scope admin, moderator or participant.",
        )
    lists: dict[str, list[str]] = {}
    for member in members:
        lists.setdefault(_SCOPE_LISTS[member.scope], []).append(member.uid)
    return lists
