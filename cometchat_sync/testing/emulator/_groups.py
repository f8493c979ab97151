"""Groups: creating them, joining and leaving, members, scopes and bans (the lists: _lists).

Scopes rank owner > admin > moderator > participant; too low a scope answers 403
``AUTH_ERR_NO_ACCESS``. Every membership change stores and fans out a ``groupMember`` action
message (``joined``, ``left``, ``added``, ``kicked``, ``banned``, ``unbanned``,
``scopeChanged``) to the members and to the user it affects. REST shapes follow
https://www.cometchat.com/docs/rest-api/groups and
https://www.cometchat.com/docs/rest-api/group-members; the action messages follow the observed
traffic of the official SDKs.
"""

from __future__ import annotations

import copy
from typing import Callable
from typing import Optional

from ._conversations import new_message
from ._conversations import post
from ._params import Errors
from ._params import choice
from ._params import opt_str_list
from ._params import read_fields
from ._peer import Outbox
from ._records import JSON
from ._records import ApiError
from ._records import GroupRec
from ._records import MemberRec
from ._records import Store
from ._records import bad_request
from ._records import membership_error
from ._records import new_key
from ._records import no_access
from ._records import now_s
from ._records import uid_not_found
from ._views import group_json
from ._views import user_entity

__all__ = ["Groups"]

_GROUP_TYPES = ("public", "private", "password")
# The string fields of a group body; ``metadata`` and ``tags`` come with them (see read_fields).
_GROUP_STRINGS = ("guid", "name", "type", "password", "description", "icon")
_SCOPES = ("admin", "moderator", "participant")
_SCOPE_RANK = {"participant": 0, "moderator": 1, "admin": 2}
_OWNER_RANK = 3
_ADD_SCOPES = {"admins": "admin", "moderators": "moderator", "participants": "participant"}
# The lists of ``PUT groups/{guid}/members``, in the order a uid named twice is taken from.
_ANSWER_KEYS = (*_ADD_SCOPES, "usersToBan")


def _rank(g: GroupRec, uid: str) -> int:
    """3 for the owner, then admin 2, moderator 1, participant 0; -1 for a non-member."""
    if g.owner == uid:
        return _OWNER_RANK
    m = g.members.get(uid)
    return _SCOPE_RANK[m.scope] if m is not None else -1


def _require_scope(g: GroupRec, caller: str, minimum: str, what: str) -> None:
    if _rank(g, caller) < _SCOPE_RANK[minimum]:
        raise no_access(f"{what} in the group {g.guid}")


def _require_outranks(g: GroupRec, caller: str, target: str, what: str) -> None:
    """A moderator or better acting on someone of a lower rank."""
    if _rank(g, caller) < _SCOPE_RANK["moderator"] or _rank(g, caller) <= _rank(g, target):
        raise no_access(f"{what} {target} from the group {g.guid}")


def _require_member(g: GroupRec, uid: str) -> MemberRec:
    m = g.members.get(uid)
    if m is None:
        raise membership_error(400, "ERR_GROUP_NOT_JOINED", uid, g.guid, "has not joined")
    return m


def _done(message: str) -> JSON:
    return {"success": True, "message": message}


class Groups:
    """The groups of one store and everything about their members."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def _member_action(
        self,
        g: GroupRec,
        *,
        by: str,
        on: str,
        action: str,
        device_id: Optional[str],
        extras: Optional[JSON] = None,
        affected: tuple[str, ...] = (),
    ) -> tuple[JSON, Outbox]:
        """Post the ``groupMember`` action ``action`` of ``by`` on ``on`` to the group;
        returns the action message (a copy, its group seen by ``by``) and its fan-out."""
        data: JSON = {
            "action": action,
            "entities": {
                "by": user_entity(self.store, by),
                "on": user_entity(self.store, on),
                "for": {"entity": group_json(g), "entityType": "group"},
            },
        }
        if extras is not None:
            data["extras"] = extras
        act = new_message(
            self.store, by, g.guid, "group", category="action", type_="groupMember", data=data
        )
        outbox = post(self.store, act, device_id, extra_uids=affected)
        answer = copy.deepcopy(act)
        answer["data"]["entities"]["for"]["entity"] = group_json(g, by)
        return answer, outbox

    # ----------------------------------------------------------------- groups

    def create(self, caller: str, body: JSON) -> JSON:
        """``POST groups``: the caller becomes owner and admin."""
        errors: Errors = {}
        fields = read_fields(body, errors, _GROUP_STRINGS, new_id="guid")
        type_ = fields["type"] or "public"
        if type_ not in _GROUP_TYPES:
            errors["type"] = ["The type must be one of public, private, password."]
        elif type_ == "password" and not fields["password"]:
            errors["password"] = ["The password field is required when type is password."]
        if errors:
            raise bad_request(errors)
        with self.store.lock:
            key = new_key(self.store.groups, "GUID", fields["guid"])
            t = now_s()
            g = GroupRec(
                guid=key,
                name=fields["name"],
                type=type_,
                owner=caller,
                created_at=t,
                password=fields["password"] if type_ == "password" else None,
                description=fields["description"],
                icon=fields["icon"],
                metadata=copy.deepcopy(fields["metadata"]),
                tags=fields["tags"] or [],
            )
            g.members[caller] = MemberRec("admin", t)
            self.store.groups[key] = g
            return group_json(g, caller)

    def get(self, caller: str, guid: str) -> JSON:
        with self.store.lock:
            return group_json(self.store.group(guid), caller)

    # ----------------------------------------------------------------- joining, leaving

    def join(
        self, caller: str, device_id: Optional[str], guid: str, body: JSON
    ) -> tuple[JSON, Outbox]:
        """``POST groups/{guid}/members``: public groups, or password groups with it."""
        with self.store.lock:
            g = self.store.group(guid)
            if caller in g.members:
                raise membership_error(
                    400, "ERR_ALREADY_JOINED", caller, g.guid, "has already joined"
                )
            if caller in g.banned:
                raise membership_error(
                    403, "ERR_BANNED_GROUPMEMBER", caller, g.guid, "is banned from"
                )
            if g.type == "private":
                raise ApiError(
                    403,
                    "ERR_GROUP_JOIN_NOT_ALLOWED",
                    f"The group with GUID {g.guid} is private; members must be added.",
                )
            if g.type == "password":
                password = body.get("password")
                if not password:
                    raise ApiError(
                        400,
                        "ERR_EMPTY_GROUP_PASS",
                        f"The password is required to join the group with GUID {g.guid}.",
                    )
                if password != g.password:
                    raise ApiError(
                        403,
                        "ERR_WRONG_GROUP_PASS",
                        f"The password for the group with GUID {g.guid} is incorrect.",
                    )
            g.members[caller] = MemberRec("participant", now_s())
            # The answer is the ``joined`` action; the group is its ``for`` entity.
            return self._member_action(
                g, by=caller, on=caller, action="joined", device_id=device_id
            )

    def leave(self, caller: str, device_id: Optional[str], guid: str) -> tuple[JSON, Outbox]:
        """``DELETE groups/{guid}/members``."""
        with self.store.lock:
            g = self.store.group(guid)
            _require_member(g, caller)
            del g.members[caller]
            _, outbox = self._member_action(
                g, by=caller, on=caller, action="left", device_id=device_id, affected=(caller,)
            )
            return _done(f"{caller} left the group {g.guid}."), outbox

    # ----------------------------------------------------------------- members

    def add_members(
        self, caller: str, device_id: Optional[str], guid: str, body: JSON
    ) -> tuple[JSON, Outbox]:
        """``PUT groups/{guid}/members``: ``admins``, ``moderators``, ``participants`` and
        ``usersToBan`` lists, answered per uid under each of the four keys (every key present,
        maybe empty): ``{"success": true, "data": <the action message>}`` or ``{"success":
        false, "error": {...}}``. A uid named twice counts once, in the first list naming it
        (admins, moderators, participants, then usersToBan), as
        https://www.cometchat.com/docs/rest-api/group-members describes."""
        errors: Errors = {}
        lists = {key: opt_str_list(body, key, errors) or [] for key in _ANSWER_KEYS}
        if errors:
            raise bad_request(errors)
        if not any(lists.values()):
            raise bad_request({"participants": ["At least one member is required."]})
        with self.store.lock:
            g = self.store.group(guid)
            _require_scope(g, caller, "moderator", "add members")
            result: JSON = {key: {} for key in _ANSWER_KEYS}
            outbox: Outbox = []
            done: set[str] = set()
            for key in _ANSWER_KEYS:
                for raw in lists[key]:
                    uid = raw.lower()
                    if uid in done:
                        continue
                    done.add(uid)
                    try:
                        act, fan_out = self._add_one(g, caller, device_id, raw, key)
                    except ApiError as error:
                        result[key][uid] = {"success": False, "error": error.to_json()["error"]}
                        continue
                    outbox += fan_out
                    result[key][uid] = {"success": True, "data": act}
            return result, outbox

    def _add_one(
        self, g: GroupRec, caller: str, device_id: Optional[str], raw: str, key: str
    ) -> tuple[JSON, Outbox]:
        """Add ``raw`` with the scope of the list ``key`` (or ban it, for ``usersToBan``);
        raises the :class:`ApiError` that refuses it."""
        uid = raw.lower()
        if uid not in self.store.users:
            raise uid_not_found(raw)
        if key == "usersToBan":
            if uid in g.banned:
                raise bad_request({"uid": [f"The user {uid} is already banned."]})
            _require_outranks(g, caller, uid, "ban")
            g.members.pop(uid, None)
            g.banned[uid] = now_s()
            return self._member_action(
                g, by=caller, on=uid, action="banned", device_id=device_id, affected=(uid,)
            )
        scope = _ADD_SCOPES[key]
        if uid in g.members:
            raise membership_error(400, "ERR_ALREADY_JOINED", uid, g.guid, "has already joined")
        if scope != "participant" and _rank(g, caller) < _SCOPE_RANK["admin"]:
            raise no_access(f"add {scope}s to the group {g.guid}")
        g.banned.pop(uid, None)
        g.members[uid] = MemberRec(scope, now_s())
        return self._member_action(g, by=caller, on=uid, action="added", device_id=device_id)

    def _moderate(
        self,
        caller: str,
        device_id: Optional[str],
        guid: str,
        uid: str,
        *,
        action: str,
        apply: Callable[[GroupRec, str], None],
    ) -> tuple[JSON, Outbox]:
        """Kick, ban or unban: ``apply(group, target)`` checks and changes, then the action."""
        with self.store.lock:
            g = self.store.group(guid)
            target = self.store.user(uid).uid
            apply(g, target)
            _, outbox = self._member_action(
                g, by=caller, on=target, action=action, device_id=device_id, affected=(target,)
            )
            return _done(f"{target} {action} from {g.guid}."), outbox

    def kick(
        self, caller: str, device_id: Optional[str], guid: str, uid: str
    ) -> tuple[JSON, Outbox]:
        """``DELETE groups/{guid}/members/{uid}``."""

        def apply(g: GroupRec, target: str) -> None:
            _require_member(g, target)
            _require_outranks(g, caller, target, "kick")
            del g.members[target]

        return self._moderate(caller, device_id, guid, uid, action="kicked", apply=apply)

    def ban(
        self, caller: str, device_id: Optional[str], guid: str, uid: str
    ) -> tuple[JSON, Outbox]:
        """``POST groups/{guid}/bannedusers/{uid}``: also removes the member."""

        def apply(g: GroupRec, target: str) -> None:
            if target in g.banned:
                raise bad_request({"uid": [f"The user {target} is already banned."]})
            _require_outranks(g, caller, target, "ban")
            g.members.pop(target, None)
            g.banned[target] = now_s()

        return self._moderate(caller, device_id, guid, uid, action="banned", apply=apply)

    def unban(
        self, caller: str, device_id: Optional[str], guid: str, uid: str
    ) -> tuple[JSON, Outbox]:
        """``DELETE groups/{guid}/bannedusers/{uid}``."""

        def apply(g: GroupRec, target: str) -> None:
            if target not in g.banned:
                raise ApiError(
                    400,
                    "ERR_NOT_A_BANNED_USER",
                    f"The user with UID {target} is not banned from the group {g.guid}.",
                )
            _require_scope(g, caller, "moderator", "unban members")
            del g.banned[target]

        return self._moderate(caller, device_id, guid, uid, action="unbanned", apply=apply)

    def change_scope(
        self, caller: str, device_id: Optional[str], guid: str, uid: str, body: JSON
    ) -> tuple[JSON, Outbox]:
        """``PUT groups/{guid}/members/{uid}`` with ``scope``: admins only, not the owner."""
        scope = choice(body, "scope", _SCOPES)
        with self.store.lock:
            g = self.store.group(guid)
            target = self.store.user(uid).uid
            member = _require_member(g, target)
            _require_scope(g, caller, "admin", "change scopes")
            if target == g.owner:
                raise no_access(f"change the scope of the owner of the group {g.guid}")
            if member.scope == scope:
                raise ApiError(
                    400, "ERR_SAME_SCOPE", f"The user {target} already has the scope {scope}."
                )
            old = member.scope
            member.scope = scope
            _, outbox = self._member_action(
                g,
                by=caller,
                on=target,
                action="scopeChanged",
                device_id=device_id,
                extras={"scope": {"new": scope, "old": old}},
            )
            return _done(f"{target} is now {scope}."), outbox
