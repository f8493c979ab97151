"""Mentions: ``<@uid:{uid}>`` in a message's text, resolved into ``data.mentions``.

The hosted service reads the mentions of a text message's ``data.text`` (at most 10
distinct users, in the format ``<@uid:{uid}>``:
https://www.cometchat.com/docs/rest-api/messages/send-message) and stores them in
``data.mentions``, an object keyed by uid whose values are the users; the official SDKs build
``getMentionedUsers()`` and ``hasMentionedMe()`` from it
(https://www.cometchat.com/docs/sdk/javascript/mentions). Unknown uids are left as text.
History requests may filter on ``mentionedUids`` (a comma-separated list).
"""

from __future__ import annotations

import re
from typing import Callable

from ._params import csv_param
from ._records import JSON
from ._records import Store
from ._views import user_json

__all__ = ["MAX_MENTIONS", "mentions_filter", "resolve_mentions"]

MAX_MENTIONS = 10
_MENTION = re.compile(r"<@uid:([^>\s]{1,100})>")


def resolve_mentions(store: Store, data: JSON) -> None:
    """Set ``data["mentions"]`` from ``data["text"]`` (caller holds the store lock)."""
    text = data.get("text")
    data.pop("mentions", None)
    if not isinstance(text, str):
        return
    mentions: JSON = {}
    for raw in _MENTION.findall(text):
        uid = raw.lower()
        rec = store.users.get(uid)
        if rec is None or uid in mentions:
            continue
        mentions[uid] = user_json(store, rec)
        if len(mentions) == MAX_MENTIONS:
            break
    if mentions:
        data["mentions"] = mentions


def mentions_filter(query: dict[str, str]) -> Callable[[JSON], bool]:
    """Whether a message mentions one of the query's ``mentionedUids`` (all pass without)."""
    wanted = csv_param(query, "mentionedUids")
    if wanted is None:
        return lambda m: True
    lowered = {uid.lower() for uid in wanted}

    def keep(m: JSON) -> bool:
        data = m.get("data")
        mentions = data.get("mentions") if isinstance(data, dict) else None
        return isinstance(mentions, dict) and bool(lowered.intersection(mentions))

    return keep
