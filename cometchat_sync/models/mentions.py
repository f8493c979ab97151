"""Mentions: the ``<@uid:…>`` tag written into a message's text, and the users a received
message mentions.

The format and the limit (10 distinct users a message) are the service's
(https://www.cometchat.com/docs/rest-api/messages/send-message); the service resolves the
tags of ``data.text`` into ``data.mentions``, an object keyed by uid whose values are the
users, which the official SDKs read as ``getMentionedUsers()`` and ``hasMentionedMe()``
(https://www.cometchat.com/docs/sdk/javascript/mentions).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from typing import Union

from .. import _validate as check
from ..errors import CometChatException
from ..errors import ErrorCode
from ._coerce import as_mapping
from .group import parse_user
from .user import User

__all__ = ["MAX_MENTIONS", "mention", "mentioned_uids", "mentioned_users"]

MAX_MENTIONS = 10


def mention(user: Union[str, User]) -> str:
    """The tag that mentions ``user`` in a message's text: ``"<@uid:superhero2>"``.

    Args:
        user: a uid (a non-empty string without spaces, ``/?#%`` or ``<>``) or a
            :class:`~cometchat_sync.models.User`.

    Raises:
        CometChatException: ``MISSING_PARAMETERS`` for an empty uid,
            ``ERR_INVALID_PARAMETER`` for a malformed one.
    """
    uid = check.identifier(user.uid if isinstance(user, User) else user, "uid")
    if "<" in uid or ">" in uid:
        raise CometChatException(ErrorCode.INVALID_PARAMETER, "A uid cannot hold '<' or '>'.")
    return f"<@uid:{uid}>"


def _mentions(raw: Mapping[str, Any]) -> Mapping[str, Any]:
    data = as_mapping(raw.get("data")) or {}
    return as_mapping(data.get("mentions")) or {}


def mentioned_users(raw: Mapping[str, Any]) -> list[User]:
    """The users the wire message ``raw`` mentions, in the order the service lists them."""
    users = []
    for uid, entity in _mentions(raw).items():
        found = as_mapping(entity)
        user = parse_user(found) if found is not None else User(uid)
        if not user.uid:
            user.uid = str(uid)
        users.append(user)
    return users


def mentioned_uids(raw: Mapping[str, Any]) -> frozenset[str]:
    """The uids the wire message ``raw`` mentions."""
    return frozenset(str(uid) for uid in _mentions(raw))
