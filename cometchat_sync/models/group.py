"""The ``Group`` and ``GroupMember`` models (https://www.cometchat.com/docs/rest-api/groups)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from typing import Optional
from typing import cast

from ._coerce import as_bool
from ._coerce import as_dict
from ._coerce import as_int
from ._coerce import as_opt_int
from ._coerce import as_opt_str
from ._coerce import as_str
from ._coerce import as_str_list
from .user import User

__all__ = ["Group", "GroupMember", "parse_user"]


def parse_user(data: Mapping[str, Any]) -> User:
    """``User.from_json`` that never raises: on a hostile field it keeps uid, name and raw."""
    try:
        return User.from_json(data)
    except (ValueError, OverflowError, TypeError):
        return User(
            uid=as_str(data.get("uid")),
            name=as_str(data.get("name")),
            raw={k: v for k, v in data.items() if k not in ("authToken", "jwt")},
        )


class Group:
    """A CometChat group.

    Built from the wire JSON with :meth:`from_json`; known fields are typed attributes and the
    whole JSON object stays in :attr:`raw` (unknown fields included, the password never).

    :attr:`password` is what you set on a ``"password"`` group you create or update (the
    server never returns it): it is sent by those calls and kept out of :meth:`to_json`,
    ``raw`` and ``repr()``.
    """

    __slots__ = (
        "created_at",
        "description",
        "guid",
        "has_joined",
        "icon",
        "joined_at",
        "members_count",
        "metadata",
        "name",
        "owner",
        "password",
        "raw",
        "scope",
        "tags",
        "type",
        "updated_at",
    )

    def __init__(
        self,
        guid: str,
        name: str = "",
        type: str = "public",
        *,
        description: Optional[str] = None,
        icon: Optional[str] = None,
        owner: Optional[str] = None,
        members_count: int = 0,
        has_joined: bool = False,
        scope: Optional[str] = None,
        created_at: Optional[int] = None,
        joined_at: Optional[int] = None,
        updated_at: Optional[int] = None,
        metadata: Optional[Mapping[str, Any]] = None,
        tags: Optional[list[str]] = None,
        password: Optional[str] = None,
        raw: Optional[Mapping[str, Any]] = None,
    ) -> None:
        self.guid = guid
        self.password = password
        self.name = name
        self.type = type
        self.description = description
        self.icon = icon
        self.owner = owner
        self.members_count = members_count
        self.has_joined = has_joined
        self.scope = scope
        self.created_at = created_at
        self.joined_at = joined_at
        self.updated_at = updated_at
        self.metadata: dict[str, Any] = dict(metadata or {})
        self.tags: list[str] = list(tags or [])
        self.raw: dict[str, Any] = dict(raw or {})

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Group:
        """Build a group from its wire JSON. Missing or odd fields never raise."""
        raw = dict(data)
        raw.pop("password", None)
        return cls(
            guid=as_str(data.get("guid")),
            name=as_str(data.get("name")),
            type=as_str(data.get("type"), "public"),
            description=as_opt_str(data.get("description")),
            icon=as_opt_str(data.get("icon")),
            owner=as_opt_str(data.get("owner")),
            members_count=as_int(data.get("membersCount")),
            has_joined=as_bool(data.get("hasJoined")),
            scope=as_opt_str(data.get("scope")),
            created_at=as_opt_int(data.get("createdAt")),
            joined_at=as_opt_int(data.get("joinedAt")),
            updated_at=as_opt_int(data.get("updatedAt")),
            metadata=as_dict(data.get("metadata")),
            tags=as_str_list(data.get("tags")),
            raw=raw,
        )

    def to_json(self) -> dict[str, Any]:
        """The wire JSON of this group."""
        out = dict(self.raw)
        out.update(
            {
                "guid": self.guid,
                "name": self.name,
                "type": self.type,
                "membersCount": self.members_count,
                "hasJoined": self.has_joined,
                "metadata": dict(self.metadata),
                "tags": list(self.tags),
            }
        )
        for key, value in (
            ("description", self.description),
            ("icon", self.icon),
            ("owner", self.owner),
            ("scope", self.scope),
            ("createdAt", self.created_at),
            ("joinedAt", self.joined_at),
            ("updatedAt", self.updated_at),
        ):
            if value is not None:
                out[key] = value
        return out

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Group):
            return NotImplemented
        return self.to_json() == other.to_json()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return (
            f"Group(guid={self.guid!r}, name={self.name!r}, type={self.type!r}, "
            f"members_count={self.members_count})"
        )


class GroupMember(User):
    """A member of a group: a :class:`User` plus its ``scope`` and ``joined_at``.

    Scopes are ``"admin"``, ``"moderator"`` and ``"participant"`` (the default).
    """

    __slots__ = ("joined_at", "scope")

    def __init__(
        self,
        uid: str,
        name: str = "",
        *,
        scope: str = "participant",
        joined_at: Optional[int] = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(uid, name, **kwargs)
        self.scope = scope
        self.joined_at = joined_at

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> GroupMember:
        """Build a member from the user JSON plus ``scope`` and ``joinedAt``; never raises."""
        try:
            member = cast(GroupMember, super().from_json(data))
        except (ValueError, OverflowError, TypeError):
            member = cls(
                uid=as_str(data.get("uid")),
                name=as_str(data.get("name")),
                raw={k: v for k, v in data.items() if k not in ("authToken", "jwt")},
            )
        member.scope = as_str(data.get("scope"), "participant")
        member.joined_at = as_opt_int(data.get("joinedAt"))
        return member

    def to_json(self) -> dict[str, Any]:
        out = super().to_json()
        out["scope"] = self.scope
        if self.joined_at is not None:
            out["joinedAt"] = self.joined_at
        return out

    def __repr__(self) -> str:
        return f"GroupMember(uid={self.uid!r}, name={self.name!r}, scope={self.scope!r})"
