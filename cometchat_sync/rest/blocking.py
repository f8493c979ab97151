"""Blocking users over REST: block and unblock, with a result per user.

Who is blocked is listed by :class:`~cometchat_sync.builders.BlockedUsersRequestBuilder`;
whether a given user is blocked either way is on the user itself
(:attr:`~cometchat_sync.models.User.blocked_by_me`,
:attr:`~cometchat_sync.models.User.has_blocked_me`, as ``get_user`` and the users list
return them).

Wire: ``POST blockedusers`` and ``DELETE blockedusers`` with ``{"blockedUids": [...]}``,
answered per uid with ``{"success": true, "message": ...}`` or ``{"success": false, "error":
{...}}`` (https://www.cometchat.com/docs/sdk/javascript/block-users, and the observed traffic
of the official JavaScript SDK).
"""

from __future__ import annotations

from ..errors import CometChatException
from ..errors import ErrorCode
from .base import ResourceAPI
from .groups import _per_uid_results
from .groups import _uid_list

__all__ = ["BlockingAPI"]


class BlockingAPI(ResourceAPI):
    """Blocking calls of :class:`~cometchat_sync.client.CometChatClient` (a mixin).

    Threads and the errors every call raises: :class:`~cometchat_sync.rest.base.ResourceAPI`.
    """

    def block_users(self, uids: list[str]) -> dict[str, str]:
        """Block users: they can no longer message the logged-in user (nor it them), and
        neither hears the other's presence or typing.

        ``POST blockedusers`` with ``blockedUids``. The server judges each uid separately:
        an unknown uid does not fail the call, it gets its own error in the answer.

        Wire: https://www.cometchat.com/docs/sdk/javascript/block-users.

        Args:
            uids: the users to block, a non-empty list of uid strings.

        Returns:
            A dict: each uid of the answer -> ``"success"``, or the server's message saying
            why that user was not blocked (``"The UID x does not exist, ..."``).

        Raises:
            CometChatException: ``ERR_INVALID_PARAMETER`` when ``uids`` is not a list of
                non-empty strings (a bare string is refused); ``MISSING_PARAMETERS`` for an
                empty list; the server's code when it refuses the whole call; and the errors
                of every REST call (see :class:`~cometchat_sync.rest.base.ResourceAPI`).
        """
        body = {"blockedUids": _uids(uids)}
        data = self._client_call("POST", "blockedusers", body=body).data
        return _per_uid_results({"blockedUids": data})

    def unblock_users(self, uids: list[str]) -> dict[str, str]:
        """Lift blocks the logged-in user set; the reverse of :meth:`block_users`.

        ``DELETE blockedusers`` with ``blockedUids``, answered per uid.

        Wire: https://www.cometchat.com/docs/sdk/javascript/block-users.

        Args:
            uids: the users to unblock, a non-empty list of uid strings.

        Returns:
            A dict: each uid of the answer -> ``"success"``, or the server's message saying
            why that user was not unblocked.

        Raises:
            CometChatException: ``ERR_INVALID_PARAMETER`` when ``uids`` is not a list of
                non-empty strings; ``MISSING_PARAMETERS`` for an empty list; the server's
                code when it refuses the whole call; and the errors of every REST call (see
                :class:`~cometchat_sync.rest.base.ResourceAPI`).
        """
        body = {"blockedUids": _uids(uids)}
        data = self._client_call("DELETE", "blockedusers", body=body).data
        return _per_uid_results({"blockedUids": data})


def _uids(value: object) -> list[str]:
    uids = _uid_list(value, "uids")
    if not uids:
        raise CometChatException(ErrorCode.MISSING_PARAMETERS, "Give at least one uid.")
    return uids
