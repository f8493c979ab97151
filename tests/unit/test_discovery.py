"""The catch-up's conversation discovery over a fake message list: nothing is read until the
link was lost; then the conversations of the messages sent since (less the slack) that the
client does not follow are found, from just before their first such message, in order, and
offered until followed; a failed read is made again at the next catch-up."""

from __future__ import annotations

from typing import Any
from typing import Optional

import pytest

from cometchat_sync.errors import CometChatException
from cometchat_sync.rest import discovery
from cometchat_sync.rest.discovery import ConversationDiscovery
from cometchat_sync.rest.discovery import Discovered

ME = "me"


def msg(
    mid: int, sender: str, sent_at: int, receiver: str = ME, kind: str = "user"
) -> dict[str, Any]:
    conv = f"group_{receiver}" if kind == "group" else "_user_".join(sorted((sender, receiver)))
    return {
        "id": str(mid),
        "sender": sender,
        "receiver": receiver,
        "receiverType": kind,
        "conversationId": conv,
        "category": "message",
        "type": "text",
        "sentAt": sent_at,
    }


class Server:
    def __init__(self, *messages: dict[str, Any]) -> None:
        self.messages = list(messages)
        self.calls: list[tuple[int, Optional[int]]] = []
        self.fail = False

    def __call__(self, sent_at: int, after: Optional[int], per_page: int) -> Any:
        self.calls.append((sent_at, after))
        if self.fail:
            raise CometChatException("ERR_NO_INTERNET", "down")
        if after is None:
            chosen = [m for m in self.messages if m["sentAt"] >= sent_at]
        else:
            chosen = [m for m in self.messages if int(m["id"]) > after]
        return chosen[:per_page]


class Clock:
    """Stands in for the ``time`` module of the discovery: ``time()`` is ``now``."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def time(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr("cometchat_sync.rest.discovery.time", fake)
    return fake


def test_nothing_is_read_until_the_link_was_lost(clock):
    server = Server(msg(1, "a", 999_990))
    found = ConversationDiscovery(server, lambda: ME)
    assert found.discover(set()) == []
    assert server.calls == []
    found.link_lost()
    found.link_up()  # the link is back: the catch-up looks
    server.messages += [msg(2, "b", 1_000_005), msg(3, "a", 1_000_006), msg(4, "b", 1_000_007)]
    assert found.discover({"a_user_me"}) == [Discovered("user", "b", "b_user_me", 1)]
    assert server.calls == [(1_000_000 - discovery.SLACK, None)]
    assert found.discover(set()) == [Discovered("user", "b", "b_user_me", 1)]  # until followed
    assert len(server.calls) == 1  # no new loss: no new read
    assert found.discover({"b_user_me"}) == []
    found.link_lost()  # ids at or below the newest one seen are left out
    found.link_up()  # the link is back: the catch-up looks
    assert found.discover(set(), floor=4) == []


def test_own_messages_and_groups_name_their_conversation_and_pages_follow(clock, monkeypatch):
    monkeypatch.setattr(ConversationDiscovery, "PAGE", 2)
    server = Server(
        msg(5, ME, 1_000_001, receiver="x"),
        msg(6, "y", 1_000_002, receiver="g1", kind="group"),
        msg(7, "x", 1_000_003),
    )
    found = ConversationDiscovery(server, lambda: ME)
    found.link_lost()
    found.link_up()  # the link is back: the catch-up looks
    assert found.discover(set()) == [
        Discovered("user", "x", "me_user_x", 4),
        Discovered("group", "g1", "group_g1", 5),
    ]
    assert server.calls == [(1_000_000 - discovery.SLACK, None), (1_000_000 - discovery.SLACK, 6)]


def test_a_failed_read_is_made_again_and_reset_forgets(clock):
    server = Server(msg(9, "c", 1_000_001))
    found = ConversationDiscovery(server, lambda: ME)
    found.link_lost()
    clock.now += 50
    found.link_lost()  # a second loss before the look: the first one counts
    found.link_up()  # the link is back: the catch-up looks
    server.fail = True
    with pytest.raises(CometChatException):
        found.discover(set())
    server.fail = False
    assert found.discover(set()) == [Discovered("user", "c", "c_user_me", 8)]
    assert server.calls[-1] == (1_000_000 - discovery.SLACK, None)
    found.link_lost()
    found.link_up()  # the link is back: the catch-up looks
    found.reset()
    assert found.discover(set()) == []


def test_a_link_lost_during_a_look_is_looked_at_again(clock):
    """A link that drops (and comes back) while the previous catch-up's look is under way:
    the look must not clear that newer loss, or what was sent during it is never looked for."""
    server = Server()
    found = ConversationDiscovery(server, lambda: ME)
    found.link_lost()
    looked = server.__call__

    def look_and_lose_again(sent_at: int, after: Optional[int], per_page: int) -> Any:
        if len(server.calls) == 0:
            clock.now += 60
            found.link_lost()  # the link drops again while the first look reads
        return looked(sent_at, after, per_page)

    found._list_since = look_and_lose_again
    found.link_up()
    assert found.discover(set()) == []
    found.link_up()  # back again after the second loss
    server.messages.append(msg(5, "c", int(clock.now) + 1))
    assert found.discover(set()) == [Discovered("user", "c", "c_user_me", 4)]
    assert len(server.calls) == 2, "the loss during the first look was forgotten"


def test_the_floor_is_the_newest_id_seen_when_the_link_was_lost(clock):
    """A catch-up cut short delivers pages of followed conversations (ids sent while the
    link was down) before the look for new conversations: the look must not take those as
    "seen while the link was up", or a new sender's earlier message is skipped for good."""
    server = Server()
    found = ConversationDiscovery(server, lambda: ME)
    found.link_lost(newest_seen=1)  # id 1 was the newest delivered live
    found.link_up()  # the link is back: the catch-up looks
    server.messages += [msg(2, "b", 1_000_005), msg(3, "a", 1_000_006)]
    # the caller's later floor (pages of "a" delivered meanwhile) must not hide b's id 2
    assert found.discover({"a_user_me"}, floor=3) == [Discovered("user", "b", "b_user_me", 1)]


def test_a_look_made_while_no_link_is_up_does_not_cover_the_loss(clock):
    """A catch-up's look that runs after its link dropped again reads only up to its own
    time: what is sent after it, while no link is up, must be looked for at the next link
    (it was never looked for, and never came live: lost for good)."""
    server = Server()
    found = ConversationDiscovery(server, lambda: ME)
    found.link_lost(newest_seen=0)
    found.link_up()
    found.link_lost(newest_seen=0)  # the link drops again before its catch-up looks
    assert found.discover(set()) == []  # the look runs while no link is up
    server.messages.append(msg(9, "c", int(clock.now) + 5))  # sent while still down
    found.link_up()
    assert found.discover(set()) == [Discovered("user", "c", "c_user_me", 8)]
