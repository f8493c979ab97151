"""``ReactionsRequestBuilder``: who reacted to a message, with which reaction, paged.

Wire: ``GET messages/{id}/reactions`` (or ``.../reactions/{reaction}`` for one reaction) with
``limit``, ``affix`` and the id of the last reaction fetched as the cursor, from
https://www.cometchat.com/docs/sdk/javascript/reactions and the observed traffic of the
official JavaScript SDK.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Optional

from .. import _validate as check
from ..errors import CometChatException
from ..errors import ErrorCode
from ..models import Reaction
from ..rest.base import ResourceAPI
from .base import CursorRequest
from .base import RequestBuilder

__all__ = ["ReactionsRequest", "ReactionsRequestBuilder"]


class ReactionsRequest(CursorRequest[Reaction]):
    """Pages of :class:`~cometchat_sync.models.Reaction` on one message, oldest first:
    ``fetch_next()`` returns the next page, ``fetch_previous()`` the page before the first
    one fetched; ``[]`` at either end. Iterating yields every reaction, oldest first. Built by
    :meth:`ReactionsRequestBuilder.build`; call it from one thread at a time.
    """

    SIZE_PARAM = "limit"

    def __init__(self, client: ResourceAPI, path: str, limit: int) -> None:
        super().__init__(client, path, {}, limit, Reaction.from_json)

    def fetch_next(self) -> list[Reaction]:
        """Fetch the reactions after the last one fetched.

        Returns:
            Up to ``limit`` reactions, oldest first; ``[]`` past the last one.

        Raises:
            CometChatException: the server's code for an unknown message or one this user
                cannot see, and the errors of every REST call (see
                :class:`~cometchat_sync.rest.base.ResourceAPI`).
        """
        return self._fetch("append", self._newest)

    def fetch_previous(self) -> list[Reaction]:
        """Fetch the reactions before the first one fetched.

        Returns:
            Up to ``limit`` reactions, oldest first; ``[]`` before the first one.

        Raises:
            CometChatException: as :meth:`fetch_next`.
        """
        if self._oldest is None:
            return []  # nothing fetched yet: there is nothing before the start
        return self._fetch("prepend", self._oldest)

    def __iter__(self) -> Iterator[Reaction]:
        """Every remaining reaction, oldest first, one page at a time."""
        while True:
            page = self.fetch_next()
            if not page:
                return
            yield from page


class ReactionsRequestBuilder(RequestBuilder):
    """Builds a :class:`ReactionsRequest`:
    ``ReactionsRequestBuilder(client).set_message_id(42).set_limit(10).build()``.

    Every setter returns the builder; ``build()`` checks the values. A page holds 10
    reactions by default, at most 20, as in the official SDKs.

    Wire: https://www.cometchat.com/docs/sdk/javascript/reactions.

    Args:
        client: the client the request works for; ``None`` for the facade's default client.

    Raises:
        CometChatException: ``ERROR_INIT_NOT_CALLED`` with no client and no default client.
    """

    DEFAULT_LIMIT = 10
    MAX_LIMIT = 20  # the official SDKs' cap for reaction lists

    def __init__(self, client: Optional[ResourceAPI] = None) -> None:
        super().__init__(client)
        self._message_id: object = None
        self._reaction: object = None

    def set_message_id(self, message_id: int) -> ReactionsRequestBuilder:
        """The message whose reactions to list (a positive int)."""
        self._message_id = message_id
        return self

    def set_reaction(self, reaction: str) -> ReactionsRequestBuilder:
        """Only this reaction (e.g. an emoji)."""
        self._reaction = reaction
        return self

    def build(self) -> ReactionsRequest:
        """Check every filter and return the request (no network I/O).

        Returns:
            A :class:`ReactionsRequest`.

        Raises:
            CometChatException: ``MISSING_PARAMETERS`` with no message id;
                ``ERR_INVALID_PARAMETER`` for a message id that is not a positive int, a
                limit outside 1 to 20, or a reaction that is not a short non-empty string.
        """
        if self._message_id is None:
            raise CometChatException(ErrorCode.MISSING_PARAMETERS, "Set the message id.")
        path = f"messages/{check.message_id_segment(self._message_id)}/reactions"
        if self._reaction is not None:
            emoji = check.path_segment(self._reaction, "reaction", check.reaction)
            path += "/" + emoji
        return ReactionsRequest(self._client, path, self._checked_limit())
