"""Socket credentials and close codes against the emulator over real sockets
(``docs/connection.md``, "Close codes and credentials").

A refused socket auth renews the JWT with the auth token (``GET me``) and tries again; only a
refusal that persists after a renewal is permanent, and only a refused auth token logs the
user out. Every other close is retried with the backoff.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from cometchat_sync import CometChatClient
from cometchat_sync import DisconnectReason
from cometchat_sync import MemorySessionStore
from cometchat_sync.testing.listeners import ConnectionRecorder
from cometchat_sync.testing.listeners import LoginRecorder
from cometchat_sync.testing.proxy import FaultProxy

UID = "superhero1"


def logged_in(make_client: Any, emulator: Any, **overrides: Any):
    client = make_client(**overrides)
    rec = ConnectionRecorder()
    client.add_connection_listener("rec", rec)
    client.login(UID, emulator.auth_key)
    assert rec.wait_for_status("connected", 5)
    return client, rec


@pytest.mark.parametrize("code", [1008, 4000, 4001, 4999, 1011, 1001])
def test_every_close_after_auth_is_retried(make_client, emulator, code):
    client, rec = logged_in(make_client, emulator)
    emulator.close_sockets(UID, code, "bye")
    assert rec.wait_for_status("connected", 5, count=2), rec.statuses()
    lost = [c for c in rec.changes if c.reason is not None]
    assert lost[0].reason is DisconnectReason.LINK_LOST
    assert lost[0].error is not None and str(code) in lost[0].error.message
    assert client.get_connection_status() == "connected"


def test_an_expired_jwt_is_renewed_when_the_network_blips(make_client, emulator):
    client, rec = logged_in(make_client, emulator)
    emulator.expire_jwt(UID)
    emulator.close_sockets(UID, 1006)  # the blip: no close frame
    assert rec.wait_for_status("connected", 5, count=2), rec.statuses()
    assert emulator.auth_count(UID) == 2, "the expired JWT was refused; the renewed one not"
    assert rec.errors == [], "a renewal that works is no error for the app"
    assert client.get_logged_in_user() is not None


def test_a_restarted_process_with_an_expired_stored_jwt_connects(settings_for, emulator, closing):
    store = MemorySessionStore(emulator.app_id)
    first = closing(
        CometChatClient(emulator.app_id, settings_for(emulator, set_session_store=store).build())
    )
    first.login(UID, emulator.auth_key)
    first.close()
    emulator.expire_jwt(UID)
    tokens_before = emulator.token_of(UID)

    second = closing(
        CometChatClient(emulator.app_id, settings_for(emulator, set_session_store=store).build())
    )
    rec = ConnectionRecorder()
    second.add_connection_listener("rec", rec)
    assert second.get_logged_in_user() is not None  # resumed from the store, no login
    assert rec.wait_for_status("connected", 5), rec.statuses()
    assert emulator.token_of(UID) == tokens_before, "renewal uses the same auth token"
    # The renewed JWT was stored: a third run connects at its first try.
    second.close()
    auths = emulator.auth_count(UID)
    third = closing(
        CometChatClient(emulator.app_id, settings_for(emulator, set_session_store=store).build())
    )
    rec3 = ConnectionRecorder()
    third.add_connection_listener("rec", rec3)
    third.get_logged_in_user()
    assert rec3.wait_for_status("connected", 5)
    assert emulator.auth_count(UID) == auths + 1


def test_a_revoked_auth_token_logs_the_user_out_locally(make_client, emulator):
    client, rec = logged_in(make_client, emulator)
    logins = LoginRecorder()
    client.add_login_listener("logins", logins)
    emulator.revoke_auth_token(UID)
    emulator.close_sockets(UID, 1011)
    assert rec.wait_for_status("disconnected", 5, count=2)
    assert logins.log.wait_for_count("on_logout_success", 1, 5)
    assert rec.last_reason() is DisconnectReason.TOKEN_REVOKED
    assert client.get_logged_in_user() is None
    assert not rec.wait_for_status("connecting", 0.5, count=3), "no attempts without a user"

    # A login afterwards is a real one (a new token), and the link comes back.
    user = client.login(UID, emulator.auth_key)
    assert user.uid == UID
    assert rec.wait_for_status("connected", 5, count=2)


def test_a_refusal_that_persists_after_a_renewal_is_permanent(make_client, emulator):
    with FaultProxy("127.0.0.1", emulator.ws_port) as proxy:
        emulator.advertise_ws(proxy.host, proxy.port)
        emulator.reject_auth(True)
        client = make_client()
        rec = ConnectionRecorder()
        client.add_connection_listener("rec", rec)
        client.login(UID, emulator.auth_key)  # auto mode: login itself succeeds
        error = rec.wait_for_error(3)
        assert error is not None and error.code == "ERR_WEBSOCKET_ERROR"
        assert "renewed" in error.message
        assert rec.wait_for_status("disconnected", 3)
        assert rec.last_reason() is DisconnectReason.AUTH_REJECTED
        assert not rec.wait_for_status("connecting", 0.5, count=2)
        assert proxy.connections_accepted == 2, "one try, one renewal, one more try"
        assert client.get_logged_in_user() is not None, "the auth token was not refused"

        # login() as the same user after a permanent refusal is a real login, not the
        # stored session's shortcut, and connects once the server accepts again.
        emulator.reject_auth(False)
        token_before = emulator.token_of(UID)
        client.login(UID, emulator.auth_key)
        assert emulator.token_of(UID) != token_before
        assert rec.wait_for_status("connected", 5)
        client.close()


def test_a_connect_refused_for_good_fails_with_the_reason(make_client, emulator):
    emulator.reject_auth(True)
    client = make_client(auto=False)
    client.login(UID, emulator.auth_key)
    with pytest.raises(Exception) as info:
        client.connect()
    assert getattr(info.value, "code", None) == "ERR_WEBSOCKET_ERROR"
    assert "renewed" in str(info.value)
    assert emulator.auth_count(UID) == 0


@pytest.mark.parametrize("how", ["disconnect", "close"])
def test_a_renewal_in_flight_is_cancelled_at_once(make_client, emulator, how):
    client, _rec = logged_in(make_client, emulator)
    emulator.expire_jwt(UID)
    before = emulator.request_count()
    emulator.set_request_delay(5.0)  # the GET me of the renewal hangs
    emulator.close_sockets(UID, 1006)
    assert emulator.wait_until(lambda: emulator.request_count() > before, 5), "no renewal"
    started = time.monotonic()
    if how == "disconnect":
        client.disconnect()
    else:
        client.close()
        assert client.threads() == [], "an SDK thread outlived close()"
    assert time.monotonic() - started < 1.0
    assert client.get_connection_status() == "disconnected"
    emulator.set_request_delay(0.0)


def test_a_renewal_never_overwrites_a_session_another_process_stored(
    settings_for, emulator, closing
):
    store = MemorySessionStore(emulator.app_id)
    a = closing(
        CometChatClient(emulator.app_id, settings_for(emulator, set_session_store=store).build())
    )
    rec = ConnectionRecorder()
    a.add_connection_listener("rec", rec)
    a.login(UID, emulator.auth_key)
    assert rec.wait_for_status("connected", 5)
    # Another worker of the app (same store) logs in as someone else meanwhile.
    b = closing(
        CometChatClient(
            emulator.app_id, settings_for(emulator, auto=False, set_session_store=store).build()
        )
    )
    b.login("superhero2", emulator.auth_key)
    emulator.expire_jwt(UID)
    emulator.close_sockets(UID, 1006)
    assert rec.wait_for_status("connected", 5, count=2), "a renewed itself"
    stored = store.load()
    assert stored is not None and stored.uid == "superhero2", "a's renewal overwrote b's session"


def test_a_renewal_followed_by_a_cancelled_attempt_does_not_make_the_next_refusal_final(
    make_client, emulator
):
    """A renewal, then the attempt right after it is cancelled (the app disconnects while
    it hangs on a slow path). Later the JWT expires again: the next refusal is renewed
    again, not taken as "refused even after a renewal"."""
    with FaultProxy("127.0.0.1", emulator.ws_port) as proxy:
        emulator.advertise_ws(proxy.host, proxy.port)
        client = make_client(auto=False, connect_timeout=5.0)
        client.login(UID, emulator.auth_key)
        client.connect()
        emulator.expire_jwt(UID)
        before = emulator.request_count()
        emulator.set_request_delay(0.5)  # time to blackhole the path during the renewal
        emulator.close_sockets(UID, 1006)
        assert emulator.wait_until(lambda: emulator.request_count() > before, 5), "no renewal"
        proxy.blackhole()
        accepted = proxy.connections_accepted
        emulator.set_request_delay(0.0)
        assert emulator.wait_until(lambda: proxy.connections_accepted > accepted, 5)
        client.disconnect()  # the attempt after the renewal hangs: cancelled
        proxy.pass_through()
        emulator.expire_jwt(UID)
        client.connect()  # refused, renewed, connected
        assert client.get_connection_status() == "connected"
