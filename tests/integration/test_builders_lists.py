"""The request builders of the app's lists (users, groups, members, banned and blocked
users) against the emulator: their filters, paging to the end, iteration, and bad filters
refused at ``build()`` before any request."""

from __future__ import annotations

from typing import Any
from typing import Callable

import pytest
import requests

from cometchat_sync import BannedMembersRequestBuilder
from cometchat_sync import BlockedUsersRequestBuilder
from cometchat_sync import CometChat
from cometchat_sync import CometChatClient
from cometchat_sync import CometChatException
from cometchat_sync import Group
from cometchat_sync import GroupMembersRequestBuilder
from cometchat_sync import GroupsRequestBuilder
from cometchat_sync import UsersRequestBuilder
from cometchat_sync.testing import Emulator

A, B, C, D, E = (f"superhero{i}" for i in range(1, 6))
WAIT = 5.0


@pytest.fixture
def a(login) -> CometChatClient:
    return login(A)  # type: ignore[no-any-return]


def rest(emulator: Emulator, uid: str, method: str, path: str, body: Any = None) -> Any:
    """One client-API call as ``uid`` (for what the SDK has no call for); its ``data``."""
    token = emulator.token_of(uid) or emulator.create_auth_token(uid)
    answer = requests.request(
        method,
        f"{emulator.client_host}/v3.0/{path}",
        headers={"appId": emulator.app_id, "authToken": token},
        json=body,
        timeout=WAIT,
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["data"]


def block(emulator: Emulator, uid: str, *blocked: str) -> None:
    """``uid`` blocks ``blocked`` over REST, as ``blockUsers`` of the official SDKs does."""
    rest(emulator, uid, "POST", "blockedusers", {"blockedUids": list(blocked)})


def uids(items: Any) -> list[str]:
    return [item.uid for item in items]


# -- users ----------------------------------------------------------------------------------


def test_users_page_to_the_end_with_fetch_next_and_iteration(a):
    request = UsersRequestBuilder(a).set_limit(2).sort_by("name").build()
    pages = [request.fetch_next(), request.fetch_next(), request.fetch_next()]
    assert [len(p) for p in pages] == [2, 2, 1]
    assert request.fetch_next() == []  # past the end: no request, nothing
    names = [u.name for page in pages for u in page]
    assert names == sorted(names, key=str.lower)
    assert len(set(uids(p for page in pages for p in page))) == 5
    # iteration pages lazily over the same list
    assert uids(UsersRequestBuilder(a).set_limit(2).sort_by("name").build()) == [
        u.uid for page in pages for u in page
    ]


def test_users_filters(a, login, emulator):
    emulator.create_user("tagged1", "Tagged One", role="vip", tags=["gold"])
    emulator.create_user("tagged2", "Tagged Two", role="vip")
    login(B)  # B logs in too; online means a socket, so status filters on offline here
    assert uids(UsersRequestBuilder(a).set_roles(["vip"]).build()) == ["tagged1", "tagged2"]
    assert uids(UsersRequestBuilder(a).set_tags(["gold"]).build()) == ["tagged1"]
    assert uids(UsersRequestBuilder(a).set_uids([C, D]).sort_by("name").build()) == [C, D]
    found = UsersRequestBuilder(a).set_search_keyword("tagged").search_in(["uid"]).build()
    assert sorted(uids(found)) == ["tagged1", "tagged2"]
    by_name = UsersRequestBuilder(a).set_search_keyword("tagged").search_in(["name"]).build()
    assert sorted(uids(by_name)) == ["tagged1", "tagged2"]
    assert uids(UsersRequestBuilder(a).set_search_keyword("one").search_in(["uid"]).build()) == []
    desc = UsersRequestBuilder(a).set_roles(["vip"]).sort_by("name").sort_by_order("desc")
    assert uids(desc.build()) == ["tagged2", "tagged1"]
    assert len(uids(UsersRequestBuilder(a).set_status("offline").build())) == 7
    assert uids(UsersRequestBuilder(a).set_status("online").build()) == []
    block(emulator, A, C)
    assert C not in uids(UsersRequestBuilder(a).hide_blocked_users(True).build())
    assert C in uids(UsersRequestBuilder(a).build())


def test_users_online_status_follows_the_socket(make_client, a, emulator):
    online = make_client()  # auto mode: logging in opens the socket
    online.login(B, emulator.auth_key)
    online.wait_until_connected(WAIT)
    assert uids(UsersRequestBuilder(a).set_status("online").build()) == [B]


# -- groups and members -----------------------------------------------------------------------


@pytest.fixture
def groups(a, login, emulator) -> Any:
    """a owns g1 (public, tag "team"), g2 (public) and p1 (private); b joined g1."""
    rest(emulator, A, "POST", "groups", {"guid": "g1", "name": "Group One", "tags": ["team"]})
    a.create_group(Group("g2", "Group Two", "public"))
    a.create_group(Group("p1", "Private", "private"))
    a.add_members_to_group("g1", [B, C], moderators=[D])
    return login(B)


def test_groups_filters_and_paging(a, groups):
    b = groups
    assert sorted(g.guid for g in GroupsRequestBuilder(a).build()) == ["g1", "g2", "p1"]
    assert sorted(g.guid for g in GroupsRequestBuilder(b).build()) == ["g1", "g2"]  # no private
    assert [g.guid for g in GroupsRequestBuilder(b).joined_only(True).build()] == ["g1"]
    assert [g.guid for g in GroupsRequestBuilder(a).set_tags(["team"]).build()] == ["g1"]
    assert [g.guid for g in GroupsRequestBuilder(a).set_search_keyword("two").build()] == ["g2"]
    request = GroupsRequestBuilder(a).set_limit(2).build()
    assert [len(request.fetch_next()), len(request.fetch_next())] == [2, 1]
    assert request.fetch_next() == []


def test_group_members_filters(a, groups):
    every = GroupMembersRequestBuilder(a, "g1").build()
    assert sorted(uids(every)) == [A, B, C, D]
    admins = GroupMembersRequestBuilder(a).set_guid("g1").set_scopes(["admin"]).build()
    assert uids(admins) == [A]
    staff = GroupMembersRequestBuilder(a, "g1").set_scopes(["admin", "moderator"]).build()
    assert sorted((m.uid, m.scope) for m in staff) == [(A, "admin"), (D, "moderator")]
    assert uids(GroupMembersRequestBuilder(a, "g1").set_search_keyword("spider").build()) == [C]
    online = GroupMembersRequestBuilder(a, "g1").set_status("online").build()
    assert uids(online) == []  # manual-mode clients hold no socket
    paged = GroupMembersRequestBuilder(a, "g1").set_limit(3).build()
    assert [len(paged.fetch_next()), len(paged.fetch_next()), paged.fetch_next()] == [3, 1, []]


def test_banned_members(a, groups):
    a.ban_group_member("g1", C)
    a.ban_group_member("g1", E)
    assert sorted(uids(BannedMembersRequestBuilder(a, "g1").build())) == [C, E]
    found = BannedMembersRequestBuilder(a, "g1").set_search_keyword("cyclops").build()
    assert uids(found) == [E]
    with pytest.raises(CometChatException) as info:  # a participant may not list them
        BannedMembersRequestBuilder(groups, "g1").build().fetch_next()
    assert info.value.code == "AUTH_ERR_NO_ACCESS"


def test_blocked_users_by_direction(a, login, emulator):
    b = login(B)
    block(emulator, A, C, D)
    block(emulator, B, A)
    assert sorted(uids(BlockedUsersRequestBuilder(a).build())) == [C, D]
    blocked_me = BlockedUsersRequestBuilder(a).set_direction("hasBlockedMe").build()
    assert [(u.uid, u.has_blocked_me) for u in blocked_me] == [(B, True)]
    both = BlockedUsersRequestBuilder(a).set_direction("both").build()
    assert sorted(uids(both)) == [B, C, D]
    found = BlockedUsersRequestBuilder(a).set_search_keyword("wolverine").build()
    assert [(u.uid, u.blocked_by_me) for u in found] == [(D, True)]
    assert uids(BlockedUsersRequestBuilder(b).set_limit(1).build()) == [A]


# -- bad filters: refused at build(), before any request ---------------------------------------

BAD: list[tuple[str, Callable[[CometChatClient], Any], str]] = [
    ("limit 0", lambda c: UsersRequestBuilder(c).set_limit(0), "ERR_INVALID_PARAMETER"),
    ("limit 101", lambda c: UsersRequestBuilder(c).set_limit(101), "ERR_INVALID_PARAMETER"),
    ("limit str", lambda c: GroupsRequestBuilder(c).set_limit("30"), "ERR_INVALID_PARAMETER"),  # type: ignore[arg-type]
    ("status", lambda c: UsersRequestBuilder(c).set_status("away"), "ERR_INVALID_PARAMETER"),
    ("search_in", lambda c: UsersRequestBuilder(c).search_in(["email"]), "ERR_INVALID_PARAMETER"),
    ("sort", lambda c: UsersRequestBuilder(c).sort_by("age"), "ERR_INVALID_PARAMETER"),
    ("order", lambda c: UsersRequestBuilder(c).sort_by_order("up"), "ERR_INVALID_PARAMETER"),
    ("uids", lambda c: UsersRequestBuilder(c).set_uids(["a b"]), "ERR_INVALID_PARAMETER"),
    ("roles", lambda c: UsersRequestBuilder(c).set_roles("vip"), "ERR_INVALID_PARAMETER"),  # type: ignore[arg-type]
    ("flag", lambda c: UsersRequestBuilder(c).friends_only(1), "ERR_INVALID_PARAMETER"),  # type: ignore[arg-type]
    ("joined", lambda c: GroupsRequestBuilder(c).joined_only("yes"), "ERR_INVALID_PARAMETER"),  # type: ignore[arg-type]
    ("no guid", GroupMembersRequestBuilder, "MISSING_PARAMETERS"),
    ("empty guid", lambda c: BannedMembersRequestBuilder(c, ""), "MISSING_PARAMETERS"),
    ("guid /", lambda c: GroupMembersRequestBuilder(c, "a/b"), "ERR_INVALID_PARAMETER"),
    (
        "scope",
        lambda c: GroupMembersRequestBuilder(c, "g1").set_scopes(["owner"]),
        "ERR_INVALID_PARAMETER",
    ),
    (
        "member status",
        lambda c: GroupMembersRequestBuilder(c, "g1").set_status("busy"),
        "ERR_INVALID_PARAMETER",
    ),
    (
        "direction",
        lambda c: BlockedUsersRequestBuilder(c).set_direction("mine"),
        "ERR_INVALID_PARAMETER",
    ),
    (
        "keyword",
        lambda c: BlockedUsersRequestBuilder(c).set_search_keyword(3),  # type: ignore[arg-type]
        "ERR_INVALID_PARAMETER",
    ),
]


@pytest.mark.parametrize(("name", "make", "code"), BAD, ids=[b[0] for b in BAD])
def test_bad_filters_are_refused_at_build_before_any_request(a, emulator, name, make, code):
    builder = make(a)  # setters never raise: they collect
    before = emulator.request_count()
    with pytest.raises(CometChatException) as info:
        builder.build()
    assert info.value.code == code, name
    assert emulator.request_count() == before


def test_a_builder_without_a_client_uses_the_facade_default(emulator, settings_for):
    with pytest.raises(CometChatException) as info:
        UsersRequestBuilder()
    assert info.value.code == "ERROR_INIT_NOT_CALLED"
    CometChat.init(emulator.app_id, settings_for(emulator, auto=False).build())
    try:
        CometChat.login(A, emulator.auth_key)
        assert len(list(UsersRequestBuilder().set_limit(2).build())) == 5
    finally:
        CometChat.close()
    with pytest.raises(CometChatException) as info:
        UsersRequestBuilder("not a client")  # type: ignore[arg-type]
    assert info.value.code == "ERR_INVALID_PARAMETER"
