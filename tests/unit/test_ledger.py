"""The message ledger: per-conversation watermarks that never forget, gaps that stay until
filled, holds, and a bounded number of conversations; and what a catch-up leaves in it."""

from __future__ import annotations

from typing import Any

import pytest

from cometchat_sync import CometChatException
from cometchat_sync import ErrorCode
from cometchat_sync import NotLoggedInError
from cometchat_sync import TextMessage
from cometchat_sync.events.catch_up import CatchUp
from cometchat_sync.events.catch_up import Outcome
from cometchat_sync.events.ledger import Conversation
from cometchat_sync.events.ledger import MessageLedger

ME = "me"


def text(mid: int, sender: str, receiver: str = ME, moderation: str = "") -> TextMessage:
    data: dict[str, Any] = {"text": f"t{mid}"}
    if moderation:
        data["moderation"] = {"status": moderation}
    return TextMessage.from_json(
        {
            "id": mid,
            "sender": sender,
            "receiver": receiver,
            "receiverType": "user",
            "category": "message",
            "type": "text",
            "data": data,
            "conversationId": "_user_".join(sorted((sender, receiver))),
        }
    )


def test_a_delivered_id_is_never_delivered_again_however_busy_others_are():
    ledger = MessageLedger(ME)
    assert ledger.admit(text(10, "c"))
    # 5 000 deliveries in another conversation (the old single window held 2 000 ids).
    for mid in range(100, 5_100):
        assert ledger.admit(text(mid, "a"), live=False)
    assert not ledger.admit(text(10, "c"))
    assert ledger.admit(text(6_000, "c"))
    assert not ledger.admit(text(6_000, "c"))
    for mid in range(100, 5_100, 499):
        assert not ledger.admit(text(mid, "a"))


def test_live_frames_out_of_id_order_are_each_delivered_once():
    """Several senders (or devices) in one conversation: the server's frames need not come
    in id order. Every id is delivered once, late ones included; the watermark (where a
    catch-up starts) is the highest id delivered."""
    ledger = MessageLedger(ME)
    order = [5, 3, 4, 9, 1, 2, 8, 6, 7]
    assert [ledger.admit(text(mid, "a")) for mid in order] == [True] * len(order)
    assert not any(ledger.admit(text(mid, "a")) for mid in order), "each only once"
    assert ledger.conversations()[0].watermark == 9


def test_an_id_more_than_the_window_late_counts_as_settled():
    ledger = MessageLedger(ME, max_above=4)
    assert ledger.admit(text(1, "a"))
    for mid in range(3, 10):  # 2 is skipped
        assert ledger.admit(text(mid, "a"))
    assert not ledger.admit(text(2, "a")), "more than 4 settled ids late: settled"
    assert not ledger.admit(text(5, "a")), "at or below the floor"
    assert not ledger.admit(text(9, "a"))


def test_a_message_approved_late_is_delivered_once_below_the_watermark():
    """Moderation holds a message from its receivers until its verdict: a later message of
    the conversation may be delivered first, so the approved one arrives below the
    watermark. It is delivered, once."""
    ledger = MessageLedger(ME)
    assert ledger.admit(text(10, "a"))
    assert ledger.admit(text(12, "a"))  # 11 is held by moderation
    assert ledger.admit(text(11, "a", moderation="approved"))
    assert not ledger.admit(text(11, "a", moderation="approved")), "delivered once"
    assert not ledger.admit(text(11, "a", moderation="approved"), live=False), "catch-up: once"
    assert not ledger.admit(text(12, "a", moderation="approved")), "12 was delivered"


def test_a_queued_message_of_a_conversation_gapped_at_the_bound_is_caught_up():
    """The queue bound is hit in a conversation not followed yet: m10 is queued (a hold),
    m11 comes at the bound (a gap). When the dispatcher reaches m10 it is held back (the
    conversation is gapped), so the catch-up that fills the gap must start below it."""
    ledger = MessageLedger(ME)
    m10, m11 = text(10, "c"), text(11, "c")
    ledger.hold([m10])
    assert ledger.mark_gap(m11)
    assert not ledger.admit(m10)
    (gap,) = ledger.gapped()
    assert gap.watermark < 10, "the catch-up would start above m10: m10 lost"


def test_a_gapped_conversation_holds_live_messages_until_a_catch_up_fills_it():
    ledger = MessageLedger(ME)
    assert ledger.admit(text(1, "a"))
    key = ledger.conversations()[0].key
    ledger.mark_gapped(key)
    assert not ledger.admit(text(5, "a"))  # held: the catch-up brings it
    assert [c.watermark for c in ledger.gapped()] == [1]
    marks = ledger.gap_marks(key)
    for mid in (2, 3, 5):  # the catch-up, in order
        assert ledger.admit(text(mid, "a"), live=False)
    ledger.advance(ledger.gapped()[0], 5)
    ledger.filled(key, marks)
    assert ledger.gapped() == []
    assert not ledger.admit(text(5, "a"))  # its live copy
    assert ledger.admit(text(6, "a"))


def test_a_gap_marked_during_a_catch_up_survives_its_end():
    ledger = MessageLedger(ME)
    assert ledger.admit(text(1, "a"))
    key = ledger.conversations()[0].key
    ledger.mark_gapped(key)
    marks = ledger.gap_marks(key)
    assert ledger.mark_gap(text(9, "a"))  # the queue was full meanwhile
    ledger.filled(key, marks)
    assert [c.key for c in ledger.gapped()] == [key]


def test_a_new_conversation_deferred_at_the_bound_is_caught_up_from_before_it():
    ledger = MessageLedger(ME)
    assert ledger.mark_gap(text(42, "new"))
    assert [(c.receiver_id, c.watermark) for c in ledger.gapped()] == [("new", 41)]


def test_own_sends_are_not_delivered_back_and_do_not_hide_older_replies():
    ledger = MessageLedger(ME)
    assert ledger.admit(text(1, "a"))
    ledger.note_sent(text(5, ME, "a"))
    assert ledger.admit(text(4, "a"))  # a reply older than the send, arriving after it
    assert not ledger.admit(text(5, ME, "a"), live=False)  # the catch-up's copy of ours
    assert ledger.admit(text(6, "a"))


def test_conversations_are_bounded_but_gapped_and_held_ones_are_kept():
    ledger = MessageLedger(ME, max_conversations=3)
    gapped, held = text(1, "g"), text(2, "h")
    assert ledger.admit(gapped) and ledger.admit(held)
    ledger.mark_gapped(ledger.conversations()[0].key)
    ledger.hold([text(3, "h")])  # a live copy of h waits in the queue
    for n in range(10):
        assert ledger.admit(text(100 + n, f"other{n}"))
    assert len(ledger) == 3
    peers = {c.receiver_id for c in ledger.conversations()}
    assert {"g", "h"} <= peers
    assert not ledger.admit(held)  # h's watermark was not forgotten
    ledger.release([text(3, "h")])
    for n in range(10, 14):
        ledger.admit(text(200 + n, f"other{n}"))
    assert "h" not in {c.receiver_id for c in ledger.conversations()}  # now it may go


def test_advance_follows_a_conversation_the_ledger_did_not_know():
    ledger = MessageLedger(ME)
    ledger.advance(Conversation("user", "z", 0, "z_user_me"), 7)
    assert [(c.key, c.watermark) for c in ledger.conversations()] == [("z_user_me", 7)]


def test_own_sends_above_the_watermark_are_bounded_and_never_hide_a_reply():
    """Own sends are settled ids above the watermark, at most ``max_above`` of them. The
    floor never passes the watermark, so a reply sent meanwhile that never came live is
    still caught up; only the oldest own sends past the bound are forgotten."""
    ledger = MessageLedger(ME, max_above=4)
    assert ledger.admit(text(1, "a"))
    for mid in range(10, 20):  # ten sends, no reply heard
        ledger.note_sent(text(mid, ME, "a"))
    (conversation,) = ledger.conversations()
    assert conversation.watermark == 1, "the catch-up starts after the last delivery"
    assert ledger.admit(text(12, "a"), live=False), "a reply missed while offline comes"
    for mid in range(16, 20):
        assert not ledger.admit(text(mid, ME, "a"), live=False)  # these never come back


def test_a_message_without_an_id_takes_no_hold():
    ledger = MessageLedger(ME, max_conversations=1)
    assert ledger.admit(text(1, "a"))
    ledger.hold([text(0, "a")])  # admit() returns early for it and releases nothing
    assert ledger.admit(text(5, "b")) and ledger.admit(text(6, "c"))
    assert [c.receiver_id for c in ledger.conversations()] == ["c"]


# -- what a catch-up leaves in the ledger ---------------------------------------------------------


def follow(ledger: MessageLedger, *peers: str) -> None:
    for n, peer in enumerate(peers, start=1):
        assert ledger.admit(text(n, peer))


@pytest.mark.parametrize(
    ("error", "outcome", "gapped"),
    [
        (CometChatException(ErrorCode.TIMEOUT, "slow"), Outcome.RETRY, ["a", "b"]),
        (CometChatException("ERR_INTERNAL", "5xx", {"status": 503}), Outcome.RETRY, ["a", "b"]),
        (RuntimeError("bug"), Outcome.RETRY, ["a", "b"]),
        (CometChatException("ERR_GROUP_NOT_JOINED", "gone", {"status": 403}), Outcome.DONE, []),
        (CometChatException("ERR_GUID_NOT_FOUND", "gone", {"status": 404}), Outcome.DONE, []),
        # Not understood: the gap stays (giving up would lose it).
        (CometChatException("ERR_SOMETHING_NEW", "?", {"status": 400}), Outcome.RETRY, ["a", "b"]),
        (CometChatException(ErrorCode.RESPONSE_TOO_LARGE, "big"), Outcome.RETRY, ["a", "b"]),
        (NotLoggedInError(), Outcome.CANCELLED, []),
    ],
)
def test_a_failed_catch_up_keeps_the_gaps_it_could_not_fill(error, outcome, gapped):
    ledger = MessageLedger(ME)
    follow(ledger, "a", "b")

    def fetch(conversation: Conversation, after: int, per_page: int) -> Any:
        raise error

    result = CatchUp(ledger, fetch).run(ledger.conversations(), lambda: True, lambda e: None)
    assert result is outcome
    assert [c.receiver_id for c in ledger.gapped()] == gapped


def test_a_page_too_large_for_the_cap_is_asked_for_again_in_smaller_pages():
    """Large messages: a page of 100 is over ``max_response_size``, so the catch-up asks
    again at half the size until pages fit; every message comes, in order, and the gap is
    filled (it used to be given up, the messages lost)."""
    ledger = MessageLedger(ME)
    follow(ledger, "a")
    stored: list[dict[str, Any]] = [
        {
            "id": mid,
            "sender": "a",
            "receiver": ME,
            "receiverType": "user",
            "category": "message",
            "type": "text",
            "data": {"text": f"big {mid}"},
        }
        for mid in range(2, 40)
    ]
    asked: list[int] = []

    def fetch(conversation: Conversation, after: int, per_page: int) -> Any:
        asked.append(per_page)
        if per_page > 12:  # 13 messages or more are over the cap
            raise CometChatException(ErrorCode.RESPONSE_TOO_LARGE, "over the cap")
        return [m for m in stored if m["id"] > after][:per_page]

    ledger.mark_gapped(ledger.conversations()[0].key)
    delivered: list[Any] = []
    result = CatchUp(ledger, fetch).run(ledger.conversations(), lambda: True, delivered.append)
    assert result is Outcome.DONE
    assert [e.message.id for e in delivered] == list(range(2, 40))
    assert asked[:4] == [100, 50, 25, 12]
    assert ledger.gapped() == []


def test_a_catch_up_page_of_an_ended_session_is_dropped_unread():
    ledger = MessageLedger(ME)
    follow(ledger, "a")
    live = [True]
    delivered: list[Any] = []

    def fetch(conversation: Conversation, after: int, per_page: int) -> Any:
        live[0] = False  # the session ends while the page is in flight
        return [
            {
                "id": 9,
                "sender": "a",
                "receiver": ME,
                "receiverType": "user",
                "category": "message",
                "type": "text",
                "data": {"text": "late"},
            }
        ]

    result = CatchUp(ledger, fetch).run(ledger.conversations(), lambda: live[0], delivered.append)
    assert result is Outcome.CANCELLED
    assert delivered == []
    assert [c.watermark for c in ledger.conversations()] == [1]
