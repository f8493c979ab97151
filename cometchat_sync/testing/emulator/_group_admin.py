"""Administering groups: creating one with its members, updating, deleting, and handing the
ownership to another member.

Who may do what follows https://www.cometchat.com/docs/rest-api/group-members (scopes: the
owner and admins update and delete a group, moderators update it) and
https://www.cometchat.com/docs/sdk/javascript/update-group,
https://www.cometchat.com/docs/sdk/javascript/delete-group and
https://www.cometchat.com/docs/sdk/javascript/transfer-group-ownership. A caller who is not a
member is refused with 403 ``ERR_GROUP_NOT_JOINED``, a member whose scope is too low with 403
``AUTH_ERR_NO_ACCESS``. The paths and bodies are the official JavaScript SDK's (observed
traffic): ``PUT groups/{guid}`` with the group's fields, ``DELETE groups/{guid}``, ``PATCH
groups/{guid}/owner`` with ``{"owner": uid}``, and ``POST groups`` with a ``members`` object
(``admins``, ``moderators``, ``participants``, ``usersToBan``), whose answer is the group plus
``members.data``: the per-uid results of ``PUT groups/{guid}/members`` (what the official
client reads).
"""

from __future__ import annotations

import copy
from typing import Optional

from ._conversations import conversation_id
from ._groups import Groups
from ._params import Errors
from ._params import opt_str_list
from ._params import read_fields
from ._peer import Outbox
from ._records import JSON
from ._records import ApiError
from ._records import GroupRec
from ._records import Store
from ._records import bad_request
from ._records import membership_error
from ._records import no_access
from ._views import group_json

__all__ = ["GroupAdmin"]

_RANK = {"participant": 0, "moderator": 1, "admin": 2}
_TYPES = ("public", "private", "password")
_LISTS = ("admins", "moderators", "participants", "usersToBan")


def _require(g: GroupRec, caller: str, minimum: str, what: str) -> None:
    """The caller is a member of at least ``minimum`` scope (the owner always is)."""
    if g.owner == caller:
        return
    member = g.members.get(caller)
    if member is None:
        raise membership_error(403, "ERR_GROUP_NOT_JOINED", caller, g.guid, "has not joined")
    if _RANK[member.scope] < _RANK[minimum]:
        raise no_access(f"{what} the group {g.guid}")


class GroupAdmin:
    """Group administration on one store, beside :class:`~._groups.Groups`."""

    def __init__(self, store: Store, groups: Groups) -> None:
        self.store = store
        self.groups = groups

    def create(self, caller: str, device_id: Optional[str], body: JSON) -> tuple[JSON, Outbox]:
        """``POST groups``; with ``members``, also adds and bans them, as ``PUT
        groups/{guid}/members`` would, and answers their results under ``members.data``."""
        members = body.get("members")
        if members is not None and not isinstance(members, dict):
            raise bad_request({"members": ["The members must be an object."]})
        errors: Errors = {}
        named = [opt_str_list(members or {}, key, errors) for key in _LISTS]
        if errors:  # checked before the group exists: a bad list creates nothing
            raise bad_request(errors)
        with self.store.lock:
            group = self.groups.create(caller, body)
            if members is None or not any(named):
                return group, []
            results, outbox = self.groups.add_members(caller, device_id, group["guid"], members)
            group = group_json(self.store.groups[group["guid"]], caller)
            group["members"] = {"data": results}
            return group, outbox

    def update(self, caller: str, guid: str, body: JSON) -> JSON:
        """``PUT groups/{guid}``: name, type (with password), description, icon, metadata and
        tags; only the fields given change."""
        errors: Errors = {}
        fields = read_fields(body, errors, ("name", "type", "password", "description", "icon"))
        if fields["type"] is not None and fields["type"] not in _TYPES:
            errors["type"] = ["The type must be one of public, private, password."]
        if errors:
            raise bad_request(errors)
        with self.store.lock:
            g = self.store.group(guid)
            _require(g, caller, "moderator", "update")
            new_type = fields["type"] or g.type
            password = fields["password"] or (g.password if new_type == g.type else None)
            if new_type == "password" and not password:
                raise bad_request(
                    {"password": ["The password field is required when type is password."]}
                )
            g.type = new_type
            g.password = password if new_type == "password" else None
            for key in ("name", "description", "icon"):
                if fields[key]:
                    setattr(g, key, fields[key])
            if fields["metadata"] is not None:
                g.metadata = copy.deepcopy(fields["metadata"])
            if fields["tags"] is not None:
                g.tags = list(fields["tags"])
            self.store.changed()
            return group_json(g, caller)

    def delete(self, caller: str, guid: str) -> JSON:
        """``DELETE groups/{guid}``: the owner or an admin; the group, its members and its
        messages go (a new group of the same guid starts with an empty history)."""
        store = self.store
        with store.lock:
            g = store.group(guid)
            _require(g, caller, "admin", "delete")
            del store.groups[g.guid]
            conversation = conversation_id("group", caller, g.guid)
            gone = {int(m["id"]) for m in store.messages if m["conversationId"] == conversation}
            store.messages[:] = [m for m in store.messages if int(m["id"]) not in gone]
            for mid in gone:
                store.msg_by_id.pop(mid, None)
                store.reactions.pop(mid, None)
                store.chat.receipts.pop(mid, None)
            chat = store.chat
            for marks in (chat.read, chat.delivered, chat.cleared, chat.tags):
                for key in [k for k in marks if k[1] == conversation]:
                    del marks[key]
            store.changed()
            return {"success": True, "message": f"Group {g.guid} deleted successfully."}

    def transfer_owner(self, caller: str, guid: str, body: JSON) -> JSON:
        """``PATCH groups/{guid}/owner`` with ``owner``: only the owner, to a member, who
        becomes an admin; the old owner stays an admin."""
        owner = body.get("owner")
        if not isinstance(owner, str) or not owner:
            raise bad_request({"owner": ["The owner field is required."]})
        with self.store.lock:
            g = self.store.group(guid)
            if g.owner != caller:
                _require(g, caller, "admin", "transfer the ownership of")  # members: 403
                raise no_access(f"transfer the ownership of the group {g.guid}")
            target = self.store.user(owner).uid
            member = g.members.get(target)
            if member is None:
                raise membership_error(
                    400, "ERR_NOT_A_MEMBER", target, g.guid, "is not a member of"
                )
            if target == caller:
                raise ApiError(400, "ERR_BAD_REQUEST", f"{target} already owns {g.guid}.")
            g.owner = target
            member.scope = "admin"
            self.store.changed()
            return {
                "success": True,
                "message": f"Ownership transferred to user {target} for the group with guid "
                f"{g.guid}.",
            }
