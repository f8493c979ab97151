"""Users over REST: fetch a user by uid.

One request to the client API as the logged-in user; it blocks the calling thread until the
server answers or the request timeout of the settings (30 s by default) runs out.
Wire: https://www.cometchat.com/docs/rest-api/users/get.
"""

from __future__ import annotations

from .. import _validate as check
from ..models import User
from .base import ResourceAPI, as_object

__all__ = ["UsersAPI"]


class UsersAPI(ResourceAPI):
    """User calls of :class:`~cometchat_sync.client.CometChatClient` (a mixin).

    Not meant to be used on its own: the client supplies the authenticated call.
    """

    def get_user(self, uid: str) -> User:
        """Fetch a user by uid.

        ``GET users/{uid}`` (the uid percent-encoded).

        Callable from any thread, including a listener; there it blocks the dispatcher
        thread (delaying later events) until the server answers.

        Wire: https://www.cometchat.com/docs/rest-api/users/get.

        Args:
            uid: the user's id, a non-empty string without spaces or ``/?#%``.

        Returns:
            The user, with its name, avatar, status and metadata.

        Raises:
            CometChatException: ``MISSING_PARAMETERS`` for an empty ``uid``;
                ``ERR_INVALID_PARAMETER`` for one that is not a string or holds spaces or
                ``/?#%`` (both checked before any network I/O); the server's code for an
                unknown user (``ERR_UID_NOT_FOUND``); ``ERR_TOO_MANY_REQUESTS`` when
                rate-limited; ``AUTH_ERR_AUTH_TOKEN_NOT_FOUND`` when the server no longer
                knows the auth token (the user is then logged out locally);
                ``ERR_NO_INTERNET`` when the server cannot be reached; ``FAILED_TO_FETCH``
                for any other failed request or an answer that is not a user.
            NotLoggedInError: ``ERR_NOT_LOGGED_IN`` when no user is logged in.
            CometChatTimeoutError: ``ERR_TIMEOUT`` when the server does not answer within
                the request timeout of the settings (30 s by default).
        """
        data = self._client_call("GET", f"users/{check.path_segment(uid, 'uid')}").data
        return User.from_json(as_object(data, "user"))
