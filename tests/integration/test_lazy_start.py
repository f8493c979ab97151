"""A client starts nothing before its first use, and a connection listener added at any time
hears the current status first, then every change once (``docs/integrations.md``).

A stored session used to be logged in and connected by the constructor itself: a client
built at import time in a pre-fork server's master held a live socket and three threads
that every worker inherited, and a listener added right after the constructor missed the
start of the link."""

from __future__ import annotations

import threading
from typing import Any
from typing import Optional

import cometchat_sync
from cometchat_sync import CometChatClient
from cometchat_sync import ConnectionListener
from cometchat_sync import ConnectionStatus
from cometchat_sync import MemorySessionStore
from cometchat_sync import MessageListener
from cometchat_sync import Session
from cometchat_sync import TextMessage
from cometchat_sync.testing import ConnectionRecorder
from cometchat_sync.testing import Emulator

UID = "superhero1"
WAIT = 5.0


def sdk_threads() -> list[str]:
    """The SDK's own threads in this process (the emulator's are not counted)."""
    return [t.name for t in cometchat_sync.sdk_threads()]


class CountingStore(MemorySessionStore):
    """A memory store that counts its reads."""

    def __init__(self, app_id: str) -> None:
        super().__init__(app_id)
        self.loads = 0

    def load(self) -> Optional[Session]:
        self.loads += 1
        return super().load()


def stored_session(emulator: Emulator, settings_for: Any, closing: Any) -> CountingStore:
    """A store holding ``UID``'s session, as an earlier run leaves it."""
    store = CountingStore(emulator.app_id)
    settings = settings_for(emulator, auto=False).set_session_store(store).build()
    with CometChatClient(emulator.app_id, settings) as first:
        first.login(UID, emulator.auth_key)
    store.loads = 0
    return store


def client_on(emulator: Emulator, settings_for: Any, closing: Any, store: Any, **kw: Any) -> Any:
    settings = settings_for(emulator, **kw).set_session_store(store).build()
    client: CometChatClient = closing(CometChatClient(emulator.app_id, settings))
    return client


def test_the_constructor_does_no_io_and_starts_nothing_with_a_stored_session(
    emulator, settings_for, closing
):
    store = stored_session(emulator, settings_for, closing)
    requests, auths = emulator.request_count, emulator.auth_count(UID)
    client = client_on(emulator, settings_for, closing, store)  # auto mode
    assert client.threads() == [] and sdk_threads() == []
    assert store.loads == 0
    assert emulator.request_count == requests and emulator.socket_count(UID) == 0
    # The first use reads the session and opens the link.
    assert client.get_logged_in_user().uid == UID
    client.wait_until_connected(WAIT)
    assert store.loads == 1
    assert emulator.auth_count(UID) == auths + 1
    assert emulator.request_count == requests  # the stored session: no login call


def test_a_listener_added_after_the_constructor_hears_the_whole_start(
    emulator, settings_for, closing
):
    store = stored_session(emulator, settings_for, closing)
    client = client_on(emulator, settings_for, closing, store)
    rec = ConnectionRecorder()
    client.add_connection_listener("rec", rec)  # the first use: the link starts after this
    assert rec.wait_for_status("connected", WAIT)
    initial = rec.wait_for_initial(WAIT)
    assert initial is not None
    assert (initial.previous, initial.current) == (ConnectionStatus.DISCONNECTED,) * 2
    assert rec.initial_log.names() == ["on_state_change", "on_disconnected"]
    assert rec.statuses() == ["connecting", "connected"]
    assert rec.log.names() == [
        "on_state_change",
        "on_connecting",
        "on_state_change",
        "on_connected",
    ]


def test_a_message_listener_added_first_hears_a_message_sent_right_after(
    emulator, settings_for, closing
):
    store = stored_session(emulator, settings_for, closing)
    client = client_on(emulator, settings_for, closing, store)
    got = threading.Event()
    client.add_message_listener("m", MessageListener(on_text_message_received=lambda m: got.set()))
    client.wait_until_connected(WAIT)  # adding the listener started the link
    emulator.send_message("superhero2", UID, "hello")
    assert got.wait(WAIT)


def test_a_listener_added_while_connected_hears_connected_then_each_change_once(
    make_client, emulator
):
    client = make_client()
    client.login(UID, emulator.auth_key)
    client.wait_until_connected(WAIT)
    up = threading.Event()
    client.add_connection_listener("up", ConnectionListener(on_connected=up.set))
    rec = ConnectionRecorder()
    client.add_connection_listener("rec", rec)
    assert up.wait(WAIT), "a late on_connected listener never heard that the link is up"
    initial = rec.wait_for_initial(WAIT)
    assert initial is not None and initial.previous is initial.current is ConnectionStatus.CONNECTED
    assert rec.initial_log.names() == ["on_state_change", "on_connected"]
    client.disconnect()
    assert rec.wait_for_status("disconnected", WAIT)
    client.connect()
    assert rec.wait_for_status("connected", WAIT)
    assert rec.statuses() == ["disconnected", "connecting", "connected"]


def test_a_listener_removed_before_its_first_call_is_never_called(make_client, emulator):
    client = make_client(auto=False)
    gate, busy = threading.Event(), threading.Event()

    def hold(_change: Any) -> None:
        busy.set()
        gate.wait(WAIT)

    client.add_connection_listener("hold", ConnectionListener(on_state_change=hold))
    assert busy.wait(WAIT)  # the dispatcher is inside "hold" now
    late = ConnectionRecorder()
    client.add_connection_listener("late", late)
    client.remove_connection_listener("late")
    after = ConnectionRecorder()
    client.add_connection_listener("after", after)
    gate.set()
    assert after.wait_for_initial(WAIT) is not None  # everything queued before it ran
    assert late.initial is None and late.log.calls == []


def test_a_manual_mode_worker_sends_with_no_socket_and_no_thread(make_client, emulator):
    client = make_client(auto=False)
    client.login(UID, emulator.auth_key)
    sent = client.send_message(TextMessage("superhero2", "from a web worker"))
    assert sent.id > 0
    assert client.threads() == [] and sdk_threads() == []
    assert emulator.socket_count(UID) == 0


def test_login_reuses_a_session_another_process_stored_meanwhile(emulator, settings_for, tmp_path):
    # Two processes in effect (two clients on one session folder, as two web workers):
    # the second read the empty store before the first logged in.
    settings = settings_for(emulator, auto=False).set_session_dir(str(tmp_path)).build()
    with (
        CometChatClient(emulator.app_id, settings) as first,
        CometChatClient(emulator.app_id, settings) as second,
    ):
        assert second.get_logged_in_user() is None  # its first use: nothing stored yet
        first.login(UID, emulator.auth_key)
        user = second.login(UID, emulator.auth_key)
        assert user.uid == UID
        mine, theirs = second.get_logged_in_user(), first.get_logged_in_user()
        assert mine is not None and theirs is not None
        assert mine.auth_token == theirs.auth_token
    assert emulator.revoke_auth_token(UID) == 1  # one auth token between them
