"""Users over REST: fetch a user by uid; update the logged-in user's own profile.

Wire: https://www.cometchat.com/docs/rest-api/users/get and
https://www.cometchat.com/docs/sdk/javascript/user-management.
"""

from __future__ import annotations

from typing import Any

from .. import _validate as check
from ..errors import CometChatException
from ..errors import ErrorCode
from ..models import User
from .base import ResourceAPI
from .base import as_object

__all__ = ["UsersAPI"]


class UsersAPI(ResourceAPI):
    """User calls of :class:`~cometchat_sync.client.CometChatClient` (a mixin).

    Threads and the errors every call raises: :class:`~cometchat_sync.rest.base.ResourceAPI`.
    """

    def get_user(self, uid: str) -> User:
        """Fetch a user by uid.

        ``GET users/{uid}``.

        Wire: https://www.cometchat.com/docs/rest-api/users/get.

        Args:
            uid: the user's id, a non-empty string without spaces or ``/?#%``.

        Returns:
            The user, with its name, avatar, status and metadata.

        Raises:
            CometChatException: ``MISSING_PARAMETERS`` for an empty ``uid``;
                ``ERR_INVALID_PARAMETER`` for one that is not a string or holds spaces or
                ``/?#%``; the server's code for an unknown user (``ERR_UID_NOT_FOUND``);
                and the errors of every REST call (see
                :class:`~cometchat_sync.rest.base.ResourceAPI`).
        """
        data = self._client_call("GET", f"users/{check.path_segment(uid, 'uid')}").data
        return User.from_json(as_object(data, "user"))

    def update_current_user_details(self, user: User) -> User:
        """Change the logged-in user's own profile: name, avatar, link, status message,
        metadata, tags.

        ``PUT me`` with the fields ``user`` carries (its ``uid`` is ignored: the call always
        changes the logged-in user). Fields left empty are not changed. The stored session
        keeps the new profile, so :meth:`~cometchat_sync.client.CometChatClient.get_logged_in_user`
        returns it. No API key needed: to change other users, see
        :meth:`~cometchat_sync.rest.admin.AdminAPI.update_user`.

        Wire: https://www.cometchat.com/docs/sdk/javascript/user-management.

        Args:
            user: a :class:`~cometchat_sync.models.User` carrying the new values (its
                ``name``, ``avatar``, ``link``, ``status_message``, ``metadata``, ``tags``).

        Returns:
            The logged-in user as the server stored it.

        Raises:
            CometChatException: ``MISSING_PARAMETERS`` when ``user`` is not a
                :class:`~cometchat_sync.models.User`; the server's code when it refuses (a
                field of the wrong type); and the errors of every REST call (see
                :class:`~cometchat_sync.rest.base.ResourceAPI`).
        """
        if not isinstance(user, User):
            raise CometChatException(ErrorCode.MISSING_PARAMETERS, "Give a User to update.")
        body = user_body(user)
        del body["uid"]  # the logged-in user's own
        body.pop("role", None)  # a user cannot change its own role
        data = dict(as_object(self._client_call("PUT", "me", body=body).data, "user"))
        data.pop("settings", None)  # a login answer's extra (with the tokens, never kept)
        updated = User.from_json(data)
        self._note_current_user(updated)
        return updated


def user_body(user: User) -> dict[str, Any]:
    """A user's profile as ``POST users`` and ``PUT users/{uid}`` take it: ``uid`` and the
    fields that are set (``PUT me`` takes it without ``uid`` and ``role``)."""
    body: dict[str, Any] = {"uid": user.uid}
    for key, value in (
        ("name", user.name),
        ("avatar", user.avatar),
        ("link", user.link),
        ("statusMessage", user.status_message),
    ):
        if value:
            body[key] = value
    if user.role and user.role != "default":
        body["role"] = user.role
    if user.metadata:
        body["metadata"] = dict(user.metadata)
    if user.tags:
        body["tags"] = list(user.tags)
    return body
