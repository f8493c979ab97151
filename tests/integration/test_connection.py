"""The connection lifecycle against the emulator over real sockets (``docs/connection.md``).

Timings are small (see ``conftest.settings_for``): ping 2 s unless a test sets it, pong 0.5 s,
background deadline 1 s, backoff 0.05-0.5 s, probe 0.2 s.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from typing import Any
from typing import Callable

import pytest

from cometchat_sync import AlreadyConnectedError
from cometchat_sync import AppState
from cometchat_sync import CometChatClient
from cometchat_sync import CometChatException
from cometchat_sync import CometChatTimeoutError
from cometchat_sync import ConnectionListener
from cometchat_sync import ConnectionStatus
from cometchat_sync import DisconnectReason
from cometchat_sync import MemorySessionStore
from cometchat_sync import NotLoggedInError
from cometchat_sync import sdk_threads
from cometchat_sync.testing.listeners import ConnectionRecorder
from cometchat_sync.testing.proxy import FaultProxy

UID = "superhero1"


def login(client, emulator, uid: str = UID):
    return client.login(uid, emulator.auth_key)


def recorded(client) -> ConnectionRecorder:
    recorder = ConnectionRecorder()
    client.add_connection_listener("recorder", recorder)
    return recorder


@pytest.fixture
def logged_in(make_client, emulator) -> Callable[..., tuple[CometChatClient, ConnectionRecorder]]:
    """``logged_in(**overrides)``: a client from ``make_client(**overrides)``, with a
    connection recorder added before it logs in as ``UID``; returns (client, recorder)."""

    def make(**overrides: Any) -> tuple[CometChatClient, ConnectionRecorder]:
        client = make_client(**overrides)
        rec = recorded(client)
        login(client, emulator)
        return client, rec

    return make


@pytest.fixture
def manually_connected(logged_in) -> Callable[..., tuple[CometChatClient, ConnectionRecorder]]:
    """``manually_connected(**overrides)``: like ``logged_in``, in manual mode, then connected."""

    def make(**overrides: Any) -> tuple[CometChatClient, ConnectionRecorder]:
        client, rec = logged_in(auto=False, **overrides)
        client.connect()
        return client, rec

    return make


def pings_from(emulator, uid: str = UID) -> int:
    return sum(1 for f in emulator.frames_from(uid) if f.get("action") == "ping")


# -- auto mode -------------------------------------------------------------------------------


def test_auto_mode_login_connects_and_reports_in_order(logged_in, emulator):
    client, rec = logged_in()
    assert client.get_connection_status() == "connected"
    assert client.get_connection_status() is ConnectionStatus.CONNECTED
    assert emulator.socket_count(UID) == 1
    assert rec.wait_for_status("connected", 2)
    assert rec.log.names()[:4] == [
        "on_state_change",
        "on_connecting",
        "on_state_change",
        "on_connected",
    ]


def test_auto_mode_ping_is_not_available(make_client, emulator):
    client = make_client()
    with pytest.raises(CometChatException) as info:
        client.ping()
    assert info.value.code == "ERROR_PING_NOT_AVAILABLE"
    login(client, emulator)
    with pytest.raises(CometChatException) as info:
        client.ping()
    assert info.value.code == "ERROR_PING_NOT_AVAILABLE"


def test_auto_mode_background_disconnects_at_once_and_foreground_reconnects(logged_in, emulator):
    client, rec = logged_in()
    client.set_app_state(AppState.BACKGROUND)
    assert client.get_connection_status() == "disconnected"
    assert client.last_disconnect_reason is DisconnectReason.BACKGROUND
    assert emulator.wait_until(lambda: emulator.socket_count(UID) == 0, 2)
    client.set_app_state("foreground")
    assert rec.wait_for_status("connected", 3, count=2)
    assert emulator.wait_for_sockets(UID, 1, 2)


def test_auto_mode_link_lost_in_background_waits_for_foreground(logged_in):
    client, rec = logged_in()
    client.set_app_state(AppState.BACKGROUND)
    # Nothing reconnects while in the background.
    assert not rec.wait_for_status("connecting", 0.5, count=2)
    client.set_app_state(AppState.FOREGROUND)
    assert rec.wait_for_status("connected", 3, count=2)


def test_stored_session_connects_a_new_client_in_auto_mode(emulator, settings_for):

    store = MemorySessionStore(emulator.app_id)
    settings = settings_for(emulator).set_session_store(store).build()
    first = CometChatClient(emulator.app_id, settings)
    login(first, emulator)
    first.close()
    assert emulator.wait_until(lambda: emulator.socket_count(UID) == 0, 2)
    second = CometChatClient(
        emulator.app_id, settings_for(emulator).set_session_store(store).build()
    )
    try:
        user = second.get_logged_in_user()
        assert user is not None and user.uid == UID
        assert emulator.wait_for_sockets(UID, 1, 3)
    finally:
        second.close()


# -- manual mode -----------------------------------------------------------------------------


def test_manual_mode_login_does_not_connect(make_client, emulator):
    client = make_client(auto=False)
    login(client, emulator)
    assert client.get_connection_status() == "disconnected"
    assert emulator.socket_count(UID) == 0
    assert client.threads() == [] or all("dispatch" in t.name for t in client.threads())


def test_manual_connect_ping_disconnect(manually_connected, emulator):
    client, rec = manually_connected()
    assert client.get_connection_status() == "connected"
    assert emulator.socket_count(UID) == 1
    with pytest.raises(AlreadyConnectedError) as info:
        client.connect()
    assert info.value.code == "ERROR_WEBSOCKETS_ALLREADY_IN_CONNECTED_STATE"
    rtt = client.ping()
    assert 0 <= rtt < 0.5
    assert pings_from(emulator) >= 1
    client.disconnect()
    assert client.get_connection_status() == "disconnected"
    assert client.last_disconnect_reason is DisconnectReason.USER
    assert emulator.wait_until(lambda: emulator.socket_count(UID) == 0, 2)
    client.disconnect()  # idempotent
    assert rec.wait_for_status("disconnected", 2)
    assert rec.statuses() == ["connecting", "connected", "disconnected"]


def test_manual_errors_when_not_logged_in_or_not_connected(make_client, emulator):
    client = make_client(auto=False)
    with pytest.raises(NotLoggedInError) as info:
        client.connect()
    assert info.value.code == "ERR_NOT_LOGGED_IN"
    with pytest.raises(NotLoggedInError):
        client.ping()
    login(client, emulator)
    with pytest.raises(CometChatException) as info2:
        client.ping()
    assert info2.value.code == "NO_WEBSOCKET_CONNECTION"


def test_connect_reports_websocket_error_when_auth_is_rejected(logged_in, emulator):
    client, rec = logged_in(auto=False)
    emulator.reject_auth(True)
    with pytest.raises(CometChatException) as info:
        client.connect()
    assert info.value.code == "ERR_WEBSOCKET_ERROR"
    assert client.get_connection_status() == "disconnected"
    error = rec.wait_for_error(2)
    assert error is not None and error.code == "ERR_WEBSOCKET_ERROR"


def test_connect_reports_websocket_error_when_the_server_is_down(make_client, emulator):
    with socket.socket() as spare:
        spare.bind(("127.0.0.1", 0))
        dead_port = spare.getsockname()[1]
    emulator.advertise_ws("127.0.0.1", dead_port)
    client = make_client(auto=False)
    login(client, emulator)
    with pytest.raises(CometChatException) as info:
        client.connect()
    assert info.value.code == "ERR_WEBSOCKET_ERROR"
    assert client.get_connection_status() == "disconnected"


def test_connect_reports_no_internet_when_the_name_does_not_resolve(
    make_client, emulator, unresolvable_host
):
    emulator.advertise_ws(unresolvable_host, 443)
    client = make_client(auto=False)
    login(client, emulator)
    with pytest.raises(CometChatException) as info:
        client.connect()
    assert info.value.code == "ERR_NO_INTERNET"


def test_connect_times_out_on_a_silent_path_and_leaves_nothing_behind(make_client, emulator):
    with FaultProxy("127.0.0.1", emulator.ws_port) as proxy:
        proxy.blackhole()
        emulator.advertise_ws(proxy.host, proxy.port)
        client = make_client(auto=False, connect_timeout=5.0)
        login(client, emulator)
        started = time.monotonic()
        with pytest.raises(CometChatTimeoutError) as info:
            client.connect(timeout=0.5)
        assert info.value.code == "ERR_TIMEOUT"
        assert isinstance(info.value, TimeoutError)
        assert time.monotonic() - started < 2.0
        assert client.get_connection_status() == "disconnected"
        client.close()


def test_eight_concurrent_connects_open_one_socket(make_client, emulator, run_in_threads):
    client = make_client(auto=False)
    login(client, emulator)
    errors: list[BaseException] = []
    barrier = threading.Barrier(8)

    def connect() -> None:
        barrier.wait()
        try:
            client.connect()
        except AlreadyConnectedError:
            pass  # a thread that arrives after the link is up is told so
        except BaseException as exc:
            errors.append(exc)

    run_in_threads([connect] * 8, 10)
    assert errors == []
    assert client.get_connection_status() == "connected"
    assert emulator.auth_count(UID) == 1
    assert emulator.socket_count(UID) == 1


# -- app state in manual mode ----------------------------------------------------------------


def test_manual_background_keeps_the_link_then_the_deadline_drops_it(manually_connected, emulator):
    client, rec = manually_connected(ping_interval=0.3, pong_timeout=0.2)
    assert emulator.wait_until(lambda: pings_from(emulator) >= 1, 2)  # keepalive runs
    client.set_app_state(AppState.BACKGROUND)
    entered = time.monotonic()
    assert client.get_connection_status() == "connected"
    pings_at_background = pings_from(emulator)
    assert rec.wait_for_status("disconnected", 3)
    waited = time.monotonic() - entered
    assert 0.9 <= waited < 2.0  # the 1 s deadline, not earlier
    assert rec.last_reason() is DisconnectReason.BACKGROUND_PING_DEADLINE
    assert pings_from(emulator) == pings_at_background  # the SDK's own pings stopped
    assert emulator.wait_until(lambda: emulator.socket_count(UID) == 0, 2)
    # No reconnection in the background, nor on returning to the foreground.
    client.set_app_state(AppState.FOREGROUND)
    assert not rec.wait_for_status("connecting", 0.5, count=2)
    client.connect()
    assert client.get_connection_status() == "connected"


def test_manual_background_pings_keep_the_link(manually_connected):
    client, rec = manually_connected()
    client.set_app_state(AppState.BACKGROUND)
    # Ping every 0.4 s for 2.4 s: more than twice the 1 s deadline.
    for _ in range(6):
        client.ping()
        assert not rec.wait_for_status("disconnected", 0.4)
    assert client.get_connection_status() == "connected"
    # Stop pinging: the deadline runs out about 1 s after the last ping.
    assert rec.wait_for_status("disconnected", 2.5)
    assert rec.last_reason() is DisconnectReason.BACKGROUND_PING_DEADLINE


def test_manual_foreground_cancels_the_deadline(manually_connected):
    client, rec = manually_connected()
    client.set_app_state(AppState.BACKGROUND)
    client.set_app_state(AppState.FOREGROUND)
    assert not rec.wait_for_status("disconnected", 1.6)
    assert client.get_connection_status() == "connected"


def test_manual_link_lost_in_foreground_reconnects(manually_connected, emulator):
    _client, rec = manually_connected()
    emulator.close_sockets(UID, 1011)
    assert rec.wait_for_status("connected", 5, count=2)
    assert emulator.auth_count(UID) == 2
    assert rec.statuses() == ["connecting", "connected", "disconnected", "connecting", "connected"]
    assert rec.changes[2].reason is DisconnectReason.LINK_LOST


def test_manual_link_lost_in_background_stays_down_until_connect(manually_connected, emulator):
    client, rec = manually_connected(background_ping_deadline=30)
    client.set_app_state(AppState.BACKGROUND)
    emulator.close_sockets(UID, 1011)
    assert rec.wait_for_status("disconnected", 3)
    assert not rec.wait_for_status("connecting", 0.5, count=2)
    assert emulator.auth_count(UID) == 1
    client.connect()
    assert client.get_connection_status() == "connected"


# -- listeners, threads, safety ---------------------------------------------------------------


def test_listener_order_connect_drop_reconnect_disconnect(manually_connected, emulator):
    client, rec = manually_connected()
    emulator.close_sockets(UID, 1001)
    assert rec.wait_for_status("connected", 5, count=2)
    client.disconnect()
    assert rec.wait_for_status("disconnected", 2, count=2)
    assert rec.statuses() == [
        "connecting",
        "connected",
        "disconnected",
        "connecting",
        "connected",
        "disconnected",
    ]
    specific = [n for n in rec.log.names() if n not in ("on_state_change", "on_connection_error")]
    assert specific == [
        "on_connecting",
        "on_connected",
        "on_disconnected",
        "on_connecting",
        "on_connected",
        "on_disconnected",
    ]
    assert [c.reason for c in rec.changes if c.current is ConnectionStatus.DISCONNECTED] == [
        DisconnectReason.LINK_LOST,
        DisconnectReason.USER,
    ]


def test_disconnect_from_inside_on_connected_does_not_deadlock(make_client, emulator):
    client = make_client(auto=False)
    done = threading.Event()

    def on_connected() -> None:
        client.disconnect()
        done.set()

    client.add_connection_listener("d", ConnectionListener(on_connected=on_connected))
    login(client, emulator)
    client.connect()
    assert done.wait(3)
    assert client.get_connection_status() == "disconnected"


def test_logout_and_close_from_inside_a_listener(make_client, emulator):
    client = make_client()
    done = threading.Event()

    def on_connected() -> None:
        client.logout()
        client.close()
        done.set()

    client.add_connection_listener("d", ConnectionListener(on_connected=on_connected))
    login(client, emulator)
    assert done.wait(3)
    assert client.get_logged_in_user() is None
    assert emulator.wait_until(lambda: emulator.socket_count(UID) == 0, 2)


def test_a_raising_listener_does_not_stop_the_next(make_client, emulator):
    client = make_client()
    rec = recorded(client)
    seen: list[tuple[str, str]] = []

    def boom() -> None:
        raise RuntimeError("listener bug")

    client.add_connection_listener("a-bad", ConnectionListener(on_connected=boom))
    client.set_listener_error_hook(lambda exc, listener, method: seen.append((str(exc), method)))
    client.add_connection_listener("recorder", rec)  # re-added: now after the bad one
    login(client, emulator)
    assert rec.log.wait_for_count("on_connected", 1, 3)  # runs after the raising one
    assert seen == [("listener bug", "on_connected")]


def test_same_listener_id_replaces_and_remove_stops_calls(make_client, emulator):
    client = make_client(auto=False)
    first, second = ConnectionRecorder(), ConnectionRecorder()
    client.add_connection_listener("x", first)
    client.add_connection_listener("x", second)
    login(client, emulator)
    client.connect()
    assert second.wait_for_status("connected", 2)
    client.remove_connection_listener("x")
    client.disconnect()
    assert first.log.calls == []
    assert not second.wait_for_status("disconnected", 0.3)


def test_close_ends_every_thread_and_keeps_the_session(make_client, emulator):
    client = make_client()
    login(client, emulator)
    # The engine's threads serve it: the one read loop and the one timer of the process.
    engine = {"cometchat-reader", "cometchat-timer"}
    assert emulator.wait_until(lambda: {t.name for t in client.threads()} >= engine, 2), (
        client.threads()
    )
    client.close()
    assert client.threads() == []
    assert sdk_threads() == [], "the last client's close() ends every engine thread"
    assert client.get_logged_in_user().uid == UID
    assert emulator.wait_until(lambda: emulator.socket_count(UID) == 0, 2)


def test_logout_ends_threads_and_the_link(logged_in, emulator):
    client, rec = logged_in()
    client.logout()
    assert client.threads() == []
    assert client.get_connection_status() == "disconnected"
    assert rec.last_reason() is DisconnectReason.LOGOUT
    assert emulator.wait_until(lambda: emulator.socket_count(UID) == 0, 2)


# -- liveness and reconnection -----------------------------------------------------------------


def test_server_close_reconnects(logged_in, emulator):
    _client, rec = logged_in()
    emulator.close_sockets(UID, 1011)
    assert rec.wait_for_status("connected", 5, count=2)
    assert emulator.socket_count(UID) == 1


def test_emulator_restart_on_the_same_port_reconnects_quickly(logged_in, emulator):
    _client, rec = logged_in(probe_interval=1.0, backoff=(0.5, 30))
    emulator.stop()
    assert rec.wait_for_status("disconnected", 3)
    # Let several failed attempts grow the backoff while the server is away.
    assert not rec.wait_for_status("connected", 1.5, count=2)
    emulator.start()
    restarted = time.monotonic()
    assert rec.wait_for_status("connected", 3, count=2)
    assert time.monotonic() - restarted < 1.5
    assert emulator.socket_count(UID) == 1


def test_withheld_pongs_are_detected_and_the_link_is_replaced(logged_in, emulator):
    _client, rec = logged_in(ping_interval=0.3, pong_timeout=0.2)
    emulator.drop_pongs(True)
    assert rec.wait_for_status("disconnected", 2)
    change = next(c for c in rec.changes if c.current is ConnectionStatus.DISCONNECTED)
    assert change.reason is DisconnectReason.LINK_LOST
    assert change.error is not None and "ping" in change.error.message
    emulator.drop_pongs(False)
    assert rec.wait_for_status("connected", 3, count=2)


def test_a_blackholed_link_is_detected_and_disconnect_is_immediate(logged_in, emulator):
    with FaultProxy("127.0.0.1", emulator.ws_port) as proxy:
        emulator.advertise_ws(proxy.host, proxy.port)
        client, rec = logged_in(ping_interval=0.4, pong_timeout=0.2)
        proxy.blackhole()
        assert rec.wait_for_status("disconnected", 2)
        assert rec.last_reason() is DisconnectReason.LINK_LOST
        # Reconnection is attempted through the silent path; disconnect cancels it at once.
        assert rec.wait_for_status("connecting", 2, count=2)
        started = time.monotonic()
        client.disconnect()
        assert time.monotonic() - started < 0.5
        assert client.get_connection_status() == "disconnected"
        proxy.pass_through()
        client.connect()
        assert client.get_connection_status() == "connected"
        client.close()


def test_an_app_pinging_in_a_loop_cannot_hide_a_dead_link(manually_connected, emulator):
    """Each ping() arms the pong deadline; a later one must not postpone an earlier one, or
    an app calling ping() in a loop keeps a link that answers nothing "connected"."""
    client, rec = manually_connected(ping_interval=1.0, pong_timeout=0.5)
    emulator.drop_pongs(True)
    stop = threading.Event()

    def pinger() -> None:
        while not stop.is_set():
            with contextlib.suppress(CometChatException):
                client.ping(timeout=0.2)
            stop.wait(0.1)

    thread = threading.Thread(target=pinger, name="test-pinger")
    thread.start()
    try:
        assert rec.wait_for_status("disconnected", 1.0 + 0.5 + 1.5), rec.statuses()
    finally:
        stop.set()
        thread.join(5)
