"""The filtered lists the request builders page through: users, groups, group members, banned
users, blocked users and a message's reactions; and blocking users.

Each list takes the parameters the official SDKs send (observed traffic of the official
JavaScript SDK; https://www.cometchat.com/docs/sdk/javascript/retrieve-users,
https://www.cometchat.com/docs/sdk/javascript/retrieve-groups,
https://www.cometchat.com/docs/sdk/javascript/retrieve-group-members,
https://www.cometchat.com/docs/sdk/javascript/block-users,
https://www.cometchat.com/docs/sdk/javascript/reactions) and pages by number
(:func:`~._params.paginate`), except reactions, which page by reaction id like history.
A user's status is ``available`` (online) or ``offline`` on the wire.
"""

from __future__ import annotations

from typing import Callable

from ._conversations import require_visible
from ._params import csv_param
from ._params import int_param
from ._params import opt_str_list
from ._params import paginate
from ._params import truthy
from ._records import JSON
from ._records import GroupRec
from ._records import Store
from ._records import bad_request
from ._records import membership_error
from ._records import no_access
from ._records import uid_not_found
from ._views import group_json
from ._views import member_json
from ._views import user_json

__all__ = ["Lists"]

_STATUS = {"available": "online", "online": "online", "offline": "offline"}
_RANK = {"participant": 0, "moderator": 1, "admin": 2}


def _matches(query: dict[str, str], fields: tuple[str, ...]) -> Callable[[JSON], bool]:
    """The ``searchKey`` test: the keyword (case-insensitive) in one of ``fields``."""
    key = (query.get("searchKey") or "").lower()
    return lambda item: not key or any(key in str(item.get(f, "")).lower() for f in fields)


class Lists:
    """The filtered lists of one store, and blocking."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def _blocked_info(self, caller: str, item: JSON) -> JSON:
        chat = self.store.chat
        item["blockedByMe"] = item["uid"] in chat.blocked.get(caller, ())
        item["hasBlockedMe"] = caller in chat.blocked.get(item["uid"], ())
        return item

    def users(self, caller: str, query: dict[str, str]) -> tuple[list[JSON], JSON]:
        """``GET users``: search (in ``searchIn``), status, roles, tags, uids, friends only,
        hidden blocked users; sorted by ``sortBy`` (``status``: online first, then name; or
        ``name``) and ``sortOrder`` when given, else in the order the users were made."""
        store = self.store
        with store.lock:
            fields = tuple(csv_param(query, "searchIn") or ("name", "uid"))
            search = _matches(query, fields)
            status = _STATUS.get(query.get("status", ""))
            roles, tags, uids = (csv_param(query, k) for k in ("roles", "tags", "uids"))
            blocked = store.chat.blocked.get(caller, set())
            hide_blocked = truthy(query.get("hideBlockedUsers"))
            items = []
            for rec in store.users.values():
                item = self._blocked_info(caller, user_json(store, rec))
                if (
                    search(item)
                    and (status is None or item["status"] == status)
                    and (roles is None or rec.role in roles)
                    and (tags is None or tags.intersection(rec.tags))
                    and (uids is None or rec.uid in {u.lower() for u in uids})
                    and not (hide_blocked and rec.uid in blocked)
                    and not truthy(query.get("friendsOnly"))  # the emulator has no friends
                ):
                    items.append(item)
            sort_by = query.get("sortBy")
            if sort_by in ("name", "status"):  # without it: in the order users were made
                items.sort(
                    key=lambda u: (
                        (u["name"].lower(), u["uid"])
                        if sort_by == "name"
                        else (u["status"] != "online", u["name"].lower(), u["uid"])
                    ),
                    reverse=query.get("sortOrder") == "desc",
                )
            return paginate(items, query, 100)

    def groups(self, caller: str, query: dict[str, str]) -> tuple[list[JSON], JSON]:
        """``GET groups``: private groups only for their members; search, joined only, tags."""
        store = self.store
        with store.lock:
            search = _matches(query, ("name", "guid"))
            tags = csv_param(query, "tags")
            joined_only = truthy(query.get("hasJoined"))
            items = [
                group_json(g, caller)
                for g in store.groups.values()
                if (g.type != "private" or caller in g.members)
                and (not joined_only or caller in g.members)
                and (tags is None or tags.intersection(g.tags))
            ]
            return paginate([g for g in items if search(g)], query, 100)

    def _visible_group(self, caller: str, guid: str) -> GroupRec:
        g = self.store.group(guid)
        if g.type == "private" and caller not in g.members:
            raise membership_error(403, "ERR_GROUP_NOT_JOINED", caller, g.guid, "has not joined")
        return g

    def members(self, caller: str, guid: str, query: dict[str, str]) -> tuple[list[JSON], JSON]:
        """``GET groups/{guid}/members``: search, ``scopes`` and ``status``."""
        store = self.store
        with store.lock:
            g = self._visible_group(caller, guid)
            search = _matches(query, ("name", "uid"))
            scopes = csv_param(query, "scopes")
            status = _STATUS.get(query.get("status", ""))
            items = [
                member_json(store, g, uid)
                for uid in g.members
                if scopes is None or g.members[uid].scope in scopes
            ]
            items = [m for m in items if search(m) and (status is None or m["status"] == status)]
            return paginate(items, query, 100)

    def banned(self, caller: str, guid: str, query: dict[str, str]) -> tuple[list[JSON], JSON]:
        """``GET groups/{guid}/bannedusers``: for the group's moderators and admins."""
        store = self.store
        with store.lock:
            g = store.group(guid)
            member = g.members.get(caller)
            if g.owner != caller and (member is None or _RANK[member.scope] < 1):
                raise no_access(f"list the banned users of the group {g.guid}")
            search = _matches(query, ("name", "uid"))
            scopes = csv_param(query, "scopes")
            items = []
            for uid in g.banned:
                item = user_json(store, store.users[uid])
                item["scope"] = "participant"
                if search(item) and (scopes is None or item["scope"] in scopes):
                    items.append(item)
            return paginate(items, query, 100)

    # ----------------------------------------------------------------- blocking

    def blocked(self, caller: str, query: dict[str, str]) -> tuple[list[JSON], JSON]:
        """``GET blockedusers``: ``direction`` ``blockedByMe`` (default), ``hasBlockedMe``
        or ``both``; search."""
        store = self.store
        with store.lock:
            direction = query.get("direction") or "blockedByMe"
            if direction not in ("blockedByMe", "hasBlockedMe", "both"):
                raise bad_request(
                    {"direction": ["The direction must be blockedByMe, hasBlockedMe or both."]}
                )
            chat = store.chat
            by_me = chat.blocked.get(caller, set())
            me_by = {u for u, theirs in chat.blocked.items() if caller in theirs}
            chosen = {"blockedByMe": by_me, "hasBlockedMe": me_by, "both": by_me | me_by}
            search = _matches(query, ("name", "uid"))
            items = [
                self._blocked_info(caller, user_json(store, store.users[uid]))
                for uid in sorted(chosen[direction])
                if uid in store.users
            ]
            return paginate([u for u in items if search(u)], query, 100)

    def block(self, caller: str, body: JSON, add: bool) -> JSON:
        """``POST``/``DELETE blockedusers`` with ``blockedUids``: per uid, the outcome."""
        errors: dict[str, list[str]] = {}
        uids = opt_str_list(body, "blockedUids", errors)
        if errors or not uids:
            raise bad_request(errors or {"blockedUids": ["The blockedUids field is required."]})
        store = self.store
        with store.lock:
            mine = store.chat.blocked.setdefault(caller, set())
            out: JSON = {}
            for raw in uids:
                uid = raw.lower()
                if uid not in store.users:
                    out[raw] = {"success": False, "error": uid_not_found(raw).to_json()["error"]}
                    continue
                (mine.add if add else mine.discard)(uid)
                verb = "blocked" if add else "unblocked"
                out[uid] = {"success": True, "message": f"{uid} has been {verb} successfully."}
            store.changed()
            return out

    # ----------------------------------------------------------------- reactions

    def reactions(
        self, caller: str, mid: str, reaction: str, query: dict[str, str]
    ) -> tuple[list[JSON], JSON]:
        """``GET messages/{id}/reactions[/{reaction}]``: oldest first, ``limit`` (1 to 20),
        ``affix`` ``append`` (after ``id``) or ``prepend`` (before it)."""
        store = self.store
        with store.lock:
            msg = store.message(mid)
            require_visible(store, caller, msg)
            limit = int_param(query, "limit", 10, 1, 20)
            recs = [
                r
                for r in store.reactions.get(int(msg["id"]), [])
                if not reaction or r.reaction == reaction
            ]
            recs.sort(key=lambda r: r.rid)
            pivot = int_param(query, "id", 0, 0, 2**62)
            if query.get("affix") == "prepend" and pivot:
                chunk = [r for r in recs if r.rid < pivot][-limit:]
            else:
                chunk = [r for r in recs if r.rid > pivot][:limit]
            items = [
                {
                    "id": str(r.rid),
                    "messageId": msg["id"],
                    "reaction": r.reaction,
                    "uid": r.uid,
                    "reactedAt": r.reacted_at,
                    "reactedBy": user_json(store, store.users[r.uid]),
                }
                for r in chunk
            ]
            meta: JSON = {"current": {"limit": limit, "count": len(items)}}
            if items:
                meta["previous"] = {"id": items[0]["id"], "affix": "prepend"}
                meta["next"] = {"id": items[-1]["id"], "affix": "append"}
            return items, meta
