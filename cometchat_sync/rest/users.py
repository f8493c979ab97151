"""Users over REST (https://www.cometchat.com/docs/rest-api/users/get)."""

from __future__ import annotations

from .. import _validate as check
from ..models import User
from .base import ResourceAPI, as_object

__all__ = ["UsersAPI"]


class UsersAPI(ResourceAPI):
    """User calls of the client (a mixin)."""

    def get_user(self, uid: str) -> User:
        """Fetch a user by uid."""
        data = self._client_call("GET", f"users/{check.path_segment(uid, 'uid')}").data
        return User.from_json(as_object(data, "user"))
