"""Users over REST: fetch a user by uid.

Wire: https://www.cometchat.com/docs/rest-api/users/get.
"""

from __future__ import annotations

from .. import _validate as check
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
