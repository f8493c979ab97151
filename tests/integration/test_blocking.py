"""Blocking users against the emulator over real sockets: per-uid results (an unknown uid
gets its own error), ``blocked_by_me``/``has_blocked_me`` on users, the blocked-users list,
messages refused with the service's code either way across a block, and presence and typing
that stop crossing it (synchronised on a transient message the blocked user sends after
them, over the same socket: no sleeping)."""

from __future__ import annotations

import pytest

from cometchat_sync import BlockedUsersRequestBuilder
from cometchat_sync import CometChatException
from cometchat_sync import TextMessage
from cometchat_sync import TransientMessage
from cometchat_sync import TypingIndicator
from cometchat_sync.testing import MessageRecorder
from cometchat_sync.testing import UserRecorder

A, B, C = "superhero1", "superhero2", "superhero3"
WAIT = 5.0


def test_block_users_answers_per_uid_and_an_unknown_uid_does_not_fail_the_call(login):
    a = login(A)
    results = a.block_users([B, "nobody-here"])
    assert results[B] == "success"
    assert "nobody-here" in results["nobody-here"]  # the service's ERR_UID_NOT_FOUND text
    assert results["nobody-here"] != "success"
    # the block is real: the user and the list say so, from both sides
    assert a.get_user(B).blocked_by_me is True
    assert a.get_user(B).has_blocked_me is False
    b = login(B)
    assert b.get_user(A).has_blocked_me is True
    assert [u.uid for u in BlockedUsersRequestBuilder(a).build().fetch_next()] == [B]
    mine = BlockedUsersRequestBuilder(b).set_direction("hasBlockedMe").build().fetch_next()
    assert [(u.uid, u.has_blocked_me) for u in mine] == [(A, True)]

    assert a.unblock_users([B]) == {B: "success"}
    assert a.get_user(B).blocked_by_me is False
    assert BlockedUsersRequestBuilder(a).build().fetch_next() == []


@pytest.mark.parametrize("bad", [[], "superhero2", [""], [None], None])
def test_block_users_refuses_bad_lists_before_any_request(login, emulator, bad):
    a = login(A)
    before = emulator.request_count()
    with pytest.raises(CometChatException) as caught:
        a.block_users(bad)
    assert caught.value.code in ("MISSING_PARAMETERS", "ERR_INVALID_PARAMETER")
    with pytest.raises(CometChatException):
        a.unblock_users(bad)
    assert emulator.request_count() == before


def test_a_message_across_a_block_gets_the_service_error_both_ways(login):
    a, b = login(A), login(B)
    assert a.send_message(TextMessage(B, "before")).text == "before"
    a.block_users([B])
    for sender, receiver in ((b, A), (a, B)):
        with pytest.raises(CometChatException) as caught:
            sender.send_message(TextMessage(receiver, "blocked"))
        assert caught.value.code == "ERR_BLOCKED_RECEIVER"
        assert caught.value.details["status"] == 403
    a.unblock_users([B])
    assert b.send_message(TextMessage(A, "after")).text == "after"


def test_presence_and_typing_of_a_blocked_user_stop_reaching_the_blocker(login, emulator):
    a = login(A, auto=True, subscribe_presence_for_all_users=())
    assert emulator.wait_for_sockets(A, 1, WAIT)
    users, messages = UserRecorder(), MessageRecorder()
    a.add_user_listener("u", users)
    a.add_message_listener("m", messages)
    a.block_users([B])

    b = login(B, auto=True)  # online: A hears nothing of it
    b.start_typing(TypingIndicator(A))
    b.send_transient_message(TransientMessage(A, data={"barrier": 1}))
    # The transient frame travels after B's presence and typing over the same sockets.
    assert messages.log.wait_for_count("on_transient_message_received", 1, WAIT)
    assert users.log.args_of("on_user_online") == []
    assert messages.log.args_of("on_typing_started") == []

    c = login(C, auto=True)  # not blocked: heard
    assert users.log.wait_for_count("on_user_online", 1, WAIT)
    assert [u.uid for (u,) in users.log.args_of("on_user_online")] == [C]
    c.close()

    a.unblock_users([B])  # the same steps now reach A: the test above could fail
    b.end_typing(TypingIndicator(A))
    b.start_typing(TypingIndicator(A))
    assert messages.log.wait_for_count("on_typing_started", 1, WAIT)
    b.close()
    assert users.log.wait_for(
        lambda calls: any(n == "on_user_offline" and args[0].uid == B for n, args in calls), WAIT
    )
