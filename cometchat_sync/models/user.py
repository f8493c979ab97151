"""The ``User`` model (the user JSON of https://www.cometchat.com/docs/rest-api/users)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from typing import Optional

from ._coerce import as_bool
from ._coerce import as_dict
from ._coerce import as_opt_int
from ._coerce import as_opt_str
from ._coerce import as_str
from ._coerce import as_str_list

__all__ = ["User"]


class User:
    """A CometChat user.

    Built from the wire JSON with :meth:`from_json`; every field the SDK knows is a typed
    attribute, and the whole JSON object stays in :attr:`raw` (unknown fields included).

    The logged-in user returned by ``login()`` also carries :attr:`auth_token`; it is masked in
    ``repr()`` and never logged.
    """

    __slots__ = (
        "_auth_token",
        "avatar",
        "blocked_by_me",
        "created_at",
        "deactivated_at",
        "has_blocked_me",
        "last_active_at",
        "link",
        "metadata",
        "name",
        "raw",
        "role",
        "status",
        "status_message",
        "tags",
        "uid",
    )

    def __init__(
        self,
        uid: str,
        name: str = "",
        *,
        avatar: Optional[str] = None,
        link: Optional[str] = None,
        role: str = "default",
        metadata: Optional[Mapping[str, Any]] = None,
        status: str = "offline",
        status_message: Optional[str] = None,
        last_active_at: Optional[int] = None,
        created_at: Optional[int] = None,
        deactivated_at: Optional[int] = None,
        tags: Optional[list[str]] = None,
        has_blocked_me: bool = False,
        blocked_by_me: bool = False,
        auth_token: Optional[str] = None,
        raw: Optional[Mapping[str, Any]] = None,
    ) -> None:
        self.uid = uid
        self.name = name
        self.avatar = avatar
        self.link = link
        self.role = role
        self.metadata: dict[str, Any] = dict(metadata or {})
        self.status = status
        self.status_message = status_message
        self.last_active_at = last_active_at
        self.created_at = created_at
        self.deactivated_at = deactivated_at
        self.tags: list[str] = list(tags or [])
        self.has_blocked_me = has_blocked_me
        self.blocked_by_me = blocked_by_me
        self._auth_token = auth_token
        self.raw: dict[str, Any] = dict(raw or {})

    @property
    def auth_token(self) -> Optional[str]:
        """The auth token of the logged-in user; ``None`` on any other user object."""
        return self._auth_token

    @property
    def is_online(self) -> bool:
        """CometChat treats every status but ``"offline"`` as online."""
        return self.status != "offline"

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> User:
        """Build a user from its wire JSON. Missing optional fields never raise."""
        raw = dict(data)
        raw.pop("authToken", None)
        raw.pop("jwt", None)
        return cls(
            uid=as_str(data.get("uid")),
            name=as_str(data.get("name")),
            avatar=as_opt_str(data.get("avatar")),
            link=as_opt_str(data.get("link")),
            role=as_str(data.get("role"), "default"),
            metadata=as_dict(data.get("metadata")),
            status=as_str(data.get("status"), "offline"),
            status_message=as_opt_str(data.get("statusMessage")),
            last_active_at=as_opt_int(data.get("lastActiveAt")),
            created_at=as_opt_int(data.get("createdAt")),
            deactivated_at=as_opt_int(data.get("deactivatedAt")),
            tags=as_str_list(data.get("tags")),
            has_blocked_me=as_bool(data.get("hasBlockedMe")),
            blocked_by_me=as_bool(data.get("blockedByMe")),
            raw=raw,
        )

    def to_json(self) -> dict[str, Any]:
        """The wire JSON of this user, without the auth token."""
        out = dict(self.raw)
        out.update(
            {
                "uid": self.uid,
                "name": self.name,
                "role": self.role,
                "status": self.status,
                "metadata": dict(self.metadata),
                "tags": list(self.tags),
            }
        )
        for key, value in (
            ("avatar", self.avatar),
            ("link", self.link),
            ("statusMessage", self.status_message),
            ("lastActiveAt", self.last_active_at),
            ("createdAt", self.created_at),
            ("deactivatedAt", self.deactivated_at),
        ):
            if value is not None:
                out[key] = value
        return out

    def with_auth_token(self, auth_token: Optional[str]) -> User:
        """A copy of this user carrying ``auth_token`` (used for the logged-in user)."""
        copy = User.from_json(self.to_json())
        copy._auth_token = auth_token
        return copy

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, User):
            return NotImplemented
        return self.to_json() == other.to_json()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        token = ", auth_token='***'" if self._auth_token else ""
        return (
            f"User(uid={self.uid!r}, name={self.name!r}, status={self.status!r}, "
            f"role={self.role!r}{token})"
        )
