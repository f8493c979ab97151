"""The dispatcher: a bound counted in events, SDK items past it, any exception survived, a
cancellable scheduled item; and how delivery uses it across status changes."""

from __future__ import annotations

import threading

import pytest

from cometchat_sync import ConnectionStateChange
from cometchat_sync import ConnectionStatus as S
from cometchat_sync import TextMessage
from cometchat_sync.events.delivery import Delivery
from cometchat_sync.events.dispatcher import Dispatcher

WAIT = 5.0


@pytest.fixture
def dispatcher():
    d = Dispatcher(lambda: "cometchat-dispatch-test", max_events=10)
    yield d
    d.stop(WAIT)


def block(d: Dispatcher) -> threading.Event:
    """Occupy the thread until the returned event is set."""
    entered, release = threading.Event(), threading.Event()

    def wait() -> None:
        entered.set()
        release.wait(WAIT)

    d.submit(wait)
    assert entered.wait(WAIT)
    return release


def test_offer_refuses_past_the_bound_without_blocking_and_submit_never_does(dispatcher):
    release = block(dispatcher)
    ran: list[str] = []
    assert dispatcher.offer(lambda: ran.append("a"), 6)
    assert dispatcher.offer(lambda: ran.append("b"), 4)
    assert not dispatcher.offer(lambda: ran.append("c"), 1)  # 11 > 10
    dispatcher.submit(lambda: ran.append("status"))  # the SDK's own: always queued
    assert dispatcher.figures() == (10, 10)
    done = threading.Event()
    dispatcher.submit(done.set)
    release.set()
    assert done.wait(WAIT)
    assert ran == ["a", "b", "status"]
    assert dispatcher.figures().depth == 0
    assert dispatcher.offer(lambda: None, 10)  # room again


@pytest.mark.parametrize("raised", [ValueError, SystemExit, KeyboardInterrupt, BaseException])
def test_any_exception_of_an_item_leaves_the_thread_running(dispatcher, raised):
    def boom() -> None:
        raise raised("bug")

    done = threading.Event()
    dispatcher.submit(boom)
    dispatcher.submit(done.set)
    assert done.wait(WAIT)
    assert dispatcher.thread is not None and dispatcher.thread.is_alive()


def test_a_scheduled_item_runs_on_the_thread_unless_cancelled(dispatcher):
    ran = threading.Event()
    dispatcher.schedule(ran.set, 0.05)
    assert ran.wait(WAIT)
    assert dispatcher.thread is not None
    cancelled = threading.Event()
    dispatcher.schedule(cancelled.set, 0.3)
    dispatcher.cancel_scheduled()
    later = threading.Event()
    dispatcher.schedule(later.set, 0.5)  # replaces: only the last one is kept
    assert later.wait(WAIT)
    assert not cancelled.is_set()


def test_stop_drops_a_scheduled_item():
    d = Dispatcher(lambda: "cometchat-dispatch-test")
    ran = threading.Event()
    d.schedule(ran.set, 0.2)
    d.stop(WAIT)
    assert d.thread is None
    assert not ran.wait(0.4)


# -- delivery's use of it -------------------------------------------------------------------------


def test_feature_throttling_is_the_same_link_so_no_second_catch_up():
    fetched: list[str] = []

    def fetch(conversation, after, per_page):
        fetched.append(conversation.receiver_id)
        return []

    delivery = Delivery(lambda: "cometchat-dispatch-test", "me", fetch=fetch)
    message = TextMessage.from_json(
        {
            "id": 1,
            "sender": "a",
            "receiver": "me",
            "receiverType": "user",
            "type": "text",
            "category": "message",
            "data": {"text": "hi"},
        }
    )
    assert delivery.ledger.admit(message)
    steps = [
        (S.DISCONNECTED, S.CONNECTING),
        (S.CONNECTING, S.CONNECTED),  # a new socket: one catch-up
        (S.CONNECTED, S.FEATURE_THROTTLED),
        (S.FEATURE_THROTTLED, S.CONNECTED),  # the same socket: none
    ]
    for previous, current in steps:
        delivery.state_change(ConnectionStateChange(previous, current))
    done = threading.Event()
    delivery.dispatcher.submit(done.set)
    assert done.wait(WAIT)
    assert fetched == ["a"]
    delivery.end_session(WAIT)
