"""Group administration against the emulator over real sockets: update (the password a
field of ``Group``), delete, hand over the ownership, create with members and bans, the ban
list of ``add_members_to_group``; who may do each, with the service's codes for the rest."""

from __future__ import annotations

from typing import Callable

import pytest

from cometchat_sync import BannedMembersRequestBuilder
from cometchat_sync import CometChatException
from cometchat_sync import Group
from cometchat_sync import GroupMember
from cometchat_sync import TextMessage
from cometchat_sync.testing import GroupRecorder

A, B, C, D = "superhero1", "superhero2", "superhero3", "superhero4"
WAIT = 5.0


def code_of(call: Callable[[], object]) -> str:
    with pytest.raises(CometChatException) as caught:
        call()
    return caught.value.code


def test_a_password_group_is_made_and_changed_with_group_password(login):
    a, b = login(A), login(B)
    made = a.create_group(Group("vault", "Vault", "password", password="s3cret"))
    assert made.type == "password" and made.password is None  # never returned
    assert code_of(lambda: b.join_group("vault", "password", "wrong")) == "ERR_WRONG_GROUP_PASS"

    changed = a.update_group(Group("vault", "Vault 2", "password", password="n3w"))
    assert changed.name == "Vault 2"
    assert code_of(lambda: b.join_group("vault", "password", "s3cret")) == "ERR_WRONG_GROUP_PASS"
    assert b.join_group("vault", "password", "n3w").has_joined
    assert "n3w" not in repr(Group("g", "G", "password", password="n3w"))
    assert "password" not in Group("g", "G", "password", password="n3w").to_json()


def test_update_group_changes_what_it_carries_for_the_scopes_allowed(login):
    a, b, c = login(A), login(B), login(C)
    a.create_group(Group("club", "Club", "public", description="old"))
    b.join_group("club")

    update = Group("club", "New club", "public", description="new", tags=["x"])
    update.metadata = {"floor": 2}
    # the service's codes: a non-member, then a participant
    assert code_of(lambda: c.update_group(update)) == "ERR_GROUP_NOT_JOINED"
    assert code_of(lambda: b.update_group(update)) == "AUTH_ERR_NO_ACCESS"
    a.update_group_member_scope("club", B, "moderator")
    got = b.update_group(update)  # a moderator may
    assert (got.name, got.description, got.tags, got.metadata) == (
        "New club",
        "new",
        ["x"],
        {"floor": 2},
    )
    assert c.get_group("club").name == "New club"
    assert code_of(lambda: a.update_group(Group("nope", "N"))) == "ERR_GUID_NOT_FOUND"


@pytest.mark.parametrize(
    "bad", [None, "club", Group("", "No guid"), Group("a b", "Space"), Group("x/y", "Slash")]
)
def test_update_group_refuses_bad_groups_before_any_request(login, emulator, bad):
    a = login(A)
    before = emulator.request_count()
    assert code_of(lambda: a.update_group(bad)) in ("MISSING_PARAMETERS", "ERR_INVALID_PARAMETER")
    assert emulator.request_count() == before


def test_delete_group_is_for_admins_and_the_group_is_gone(login):
    a, b = login(A), login(B)
    a.create_group(Group("temp", "Temp"))
    b.join_group("temp")
    said = b.send_message(TextMessage("temp", "before", "group"))
    assert code_of(lambda: b.delete_group("temp")) == "AUTH_ERR_NO_ACCESS"
    a.delete_group("temp")
    assert code_of(lambda: a.get_group("temp")) == "ERR_GUID_NOT_FOUND"
    assert code_of(lambda: a.delete_group("temp")) == "ERR_GUID_NOT_FOUND"
    assert code_of(lambda: a.delete_group("")) == "MISSING_PARAMETERS"
    # its messages went with it: a new group of the same guid starts empty
    assert code_of(lambda: b.get_message(said.id)) == "ERR_MESSAGE_ID_NOT_FOUND"
    a.create_group(Group("temp", "Temp again"))
    assert a.fetch_messages("temp", "group") == []
    assert a.get_unread_message_count_for_group("temp") == {}


def test_transfer_group_ownership_only_by_the_owner_to_a_member(login):
    a, b, c = login(A), login(B), login(C)
    a.create_group(Group("house", "House"))
    b.join_group("house")
    assert code_of(lambda: b.transfer_group_ownership("house", B)) == "AUTH_ERR_NO_ACCESS"
    assert code_of(lambda: a.transfer_group_ownership("house", C)) == "ERR_NOT_A_MEMBER"
    assert code_of(lambda: a.transfer_group_ownership("house", "ghost")) == "ERR_UID_NOT_FOUND"
    message = a.transfer_group_ownership("house", B)
    assert B in message
    group = c.get_group("house")
    assert group.owner == B
    scopes = {m.uid: m.scope for m in b.get_group_members("house")}
    assert scopes == {A: "admin", B: "admin"}
    # the new owner has the owner's rights; the old one no longer does
    assert code_of(lambda: a.transfer_group_ownership("house", A)) == "AUTH_ERR_NO_ACCESS"
    b.delete_group("house")


def test_create_group_with_members_adds_scopes_bans_and_reports_per_uid(login):
    a, b = login(A), login(B, auto=True)
    heard = GroupRecorder()
    b.add_group_listener("g", heard)
    members = [
        GroupMember(B, scope="admin"),
        GroupMember(C, scope="moderator"),
        GroupMember("ghost", scope="participant"),
    ]
    created = a.create_group_with_members(Group("team", "Team"), members, [D])
    assert created.group.guid == "team" and created.group.owner == A
    assert created.group.has_joined
    assert created.members[B] == "success" and created.members[C] == "success"
    assert created.members[D] == "success"
    assert created.members["ghost"] != "success" and "ghost" in created.members["ghost"]
    scopes = {m.uid: m.scope for m in a.get_group_members("team")}
    assert scopes == {A: "admin", B: "admin", C: "moderator"}
    banned = BannedMembersRequestBuilder(a, "team").build().fetch_next()
    assert [u.uid for u in banned] == [D]
    assert code_of(lambda: login(D).join_group("team")) == "ERR_BANNED_GROUPMEMBER"
    # B, added over the socket, heard it as the official listeners do
    assert heard.log.wait_for(
        lambda calls: any(
            n == "on_member_added_to_group" and args[1].uid == B for n, args in calls
        ),
        WAIT,
    )


def test_create_group_with_members_refuses_bad_members_before_any_request(login, emulator):
    a = login(A)
    before = emulator.request_count()
    bad_members: list[object] = [["superhero2"], [GroupMember(B, scope="owner")], "x"]
    for bad in bad_members:
        with pytest.raises(CometChatException) as caught:
            a.create_group_with_members(Group("g1", "G"), bad)
        assert caught.value.code == "ERR_INVALID_PARAMETER"
    with pytest.raises(CometChatException) as caught:
        a.create_group_with_members(Group("g1", "G"), None, "superhero4")
    assert caught.value.code == "ERR_INVALID_PARAMETER"
    assert emulator.request_count() == before
    # no member lists at all: a plain group
    assert a.create_group_with_members(Group("g1", "G")).members == {}


def test_add_members_to_group_bans_the_users_to_ban(login):
    a, c = login(A), login(C)
    a.create_group(Group("den", "Den"))
    c.join_group("den")
    results = a.add_members_to_group("den", [B], users_to_ban=[C])
    assert results == {B: "success", C: "success"}
    assert {m.uid for m in a.get_group_members("den")} == {A, B}
    assert code_of(lambda: c.join_group("den")) == "ERR_BANNED_GROUPMEMBER"
