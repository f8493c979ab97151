"""Groups and their members over REST
(https://www.cometchat.com/docs/rest-api/groups/create)."""

from __future__ import annotations

from typing import Any, Optional

from .. import _validate as check
from ..errors import CometChatException, ErrorCode
from ..models import Group, GroupMember
from .base import ResourceAPI, as_object

__all__ = ["GroupsAPI"]


class GroupsAPI(ResourceAPI):
    """Group calls of the client (a mixin)."""

    def create_group(self, group: Group) -> Group:
        """Create a group; the logged-in user becomes its owner (scope ``admin``)."""
        if not isinstance(group, Group) or not group.guid:
            raise CometChatException(ErrorCode.MISSING_PARAMETERS, "The group needs a guid.")
        body: dict[str, Any] = {"guid": group.guid, "name": group.name, "type": group.type}
        password = group.raw.get("password") if isinstance(group.raw, dict) else None
        if password:
            body["password"] = password
        for key, value in (("description", group.description), ("icon", group.icon)):
            if value:
                body[key] = value
        if group.metadata:
            body["metadata"] = group.metadata
        data = self._client_call("POST", "groups", body=body).data
        return Group.from_json(as_object(data, "group"))

    def get_group(self, guid: str) -> Group:
        data = self._client_call("GET", _path(guid)).data
        return Group.from_json(as_object(data, "group"))

    def join_group(
        self, guid: str, group_type: str = "public", password: Optional[str] = None
    ) -> Group:
        """Join a public group, or a password group with its password."""
        body: dict[str, Any] = {"type": group_type}
        if password is not None:
            body["password"] = password
        data = self._client_call("POST", _path(guid, "members"), body=body).data
        return Group.from_json(as_object(data, "group"))

    def leave_group(self, guid: str) -> None:
        self._client_call("DELETE", _path(guid, "members"))

    def get_group_members(self, guid: str, limit: int = 100) -> list[GroupMember]:
        """The members of a group (at most ``limit``, up to 100), with their scopes."""
        params = {"per_page": check.limit(limit)}
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
    ) -> None:
        """Add users to a group with the scope their list names."""
        body = {
            "participants": list(participants or []),
            "moderators": list(moderators or []),
            "admins": list(admins or []),
        }
        self._client_call("PUT", _path(guid, "members"), body=body)

    def kick_group_member(self, guid: str, uid: str) -> None:
        self._client_call("DELETE", _path(guid, "members", uid))

    def ban_group_member(self, guid: str, uid: str) -> None:
        self._client_call("POST", _path(guid, "bannedusers", uid))

    def unban_group_member(self, guid: str, uid: str) -> None:
        self._client_call("DELETE", _path(guid, "bannedusers", uid))

    def update_group_member_scope(self, guid: str, uid: str, scope: str) -> None:
        """Change a member's scope to ``admin``, ``moderator`` or ``participant``."""
        if scope not in ("admin", "moderator", "participant"):
            raise CometChatException(
                ErrorCode.INVALID_PARAMETER, "scope must be admin, moderator or participant."
            )
        self._client_call(
            "PUT",
            _path(guid, "members", uid),
            body={"scope": scope},
        )


def _path(guid: str, part: str = "", uid: Optional[str] = None) -> str:
    """``groups/{guid}[/{part}[/{uid}]]``, each id checked and percent-encoded."""
    path = f"groups/{check.path_segment(guid, 'guid')}"
    if part:
        path += f"/{part}"
    if uid is not None:
        path += f"/{check.path_segment(uid, 'uid')}"
    return path
