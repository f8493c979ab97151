"""No SDK lock is held while a frame goes out: a send stuck on a slow path blocks only its
own caller."""

from __future__ import annotations

import threading

from cometchat_sync import TypingIndicator

A, B, C = "superhero1", "superhero2", "superhero3"
WAIT = 5.0


def test_a_typing_send_stuck_on_the_socket_does_not_block_another_typing_call(
    make_client, emulator
):
    client = make_client()
    client.login(A, emulator.auth_key)
    client.wait_until_connected(WAIT)

    stuck, release = threading.Event(), threading.Event()
    real_send = client._connection.send

    def slow_send(frame):
        if frame.get("receiver") == B:  # the first conversation's send hangs on the wire
            stuck.set()
            assert release.wait(WAIT)
        real_send(frame)

    client._connection.send = slow_send
    first = threading.Thread(target=client.start_typing, args=(TypingIndicator(B),))
    first.start()
    try:
        assert stuck.wait(WAIT)
        second = threading.Thread(target=client.start_typing, args=(TypingIndicator(C),))
        second.start()
        second.join(2.0)
        assert not second.is_alive(), "start_typing waited for another conversation's send"
    finally:
        release.set()
        first.join(WAIT)
    sent = emulator.wait_for_frame(
        A, lambda f: f.get("type") == "typing_indicator" and f.get("receiver") == C
    )
    assert sent is not None, "the second conversation's frame went out"
