"""Login, logout, the persisted session and the facade, against the emulator."""

from __future__ import annotations

import contextlib
import http.server
import json
import logging
import os
import stat
import threading
from collections.abc import Iterator

import pytest

from cometchat_sync import CometChat
from cometchat_sync import CometChatClient
from cometchat_sync import CometChatException
from cometchat_sync import DisconnectReason
from cometchat_sync import LoginListener
from cometchat_sync import TextMessage
from cometchat_sync import User
from cometchat_sync.testing import Emulator


def file_settings(emulator, settings_for, folder, **overrides):
    return settings_for(emulator, **overrides).set_session_dir(folder).build()


def session_file(emulator, folder) -> str:
    return os.path.join(folder, emulator.app_id, "session.json")


def failed_login(emu, settings, **credentials) -> CometChatException:
    """The error of a login on a new client with ``settings`` (closed after): with
    ``credentials``, or else as superhero1 with ``emu``'s auth key."""
    credentials = credentials or {"uid": "superhero1", "auth_key": emu.auth_key}
    with CometChatClient(emu.app_id, settings) as client, pytest.raises(CometChatException) as info:
        client.login(**credentials)
    return info.value


class Handler(http.server.BaseHTTPRequestHandler):
    """A quiet request handler for a stand-in server; :meth:`reply` sends a whole answer."""

    def reply(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@contextlib.contextmanager
def serving(handler: type[Handler]) -> Iterator[str]:
    """Serve ``handler`` on a free local port for the ``with`` block; yields its base URL."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(2)


def test_login_with_auth_key_returns_a_typed_user(make_client, emulator):
    client = make_client(auto=False)
    user = client.login("superhero1", emulator.auth_key)
    assert isinstance(user, User)
    assert (user.uid, user.name) == ("superhero1", "Iron Man")
    assert user.auth_token  # the logged-in user carries its token ...
    assert user.auth_token not in repr(user)  # ... masked in its repr
    assert "***" in repr(user)
    assert client.get_logged_in_user() == user


def test_login_with_auth_token(make_client, emulator):
    token = emulator.create_auth_token("superhero2")
    client = make_client(auto=False)
    user = client.login(auth_token=token)
    assert user.uid == "superhero2"
    assert user.auth_token == token


def test_server_error_codes_are_kept(make_client, emulator):
    client = make_client(auto=False)
    with pytest.raises(CometChatException) as info:
        client.login("superhero1", "wrong-key")
    assert info.value.code == "AUTH_ERR_APIKEY_NOT_FOUND"
    with pytest.raises(CometChatException) as info:
        client.login("nobody-here", emulator.auth_key)
    assert info.value.code == "ERR_UID_NOT_FOUND"
    assert info.value.details["status"] == 404
    with pytest.raises(CometChatException) as info:
        client.login(auth_token="superhero1_0000000000unknown")
    assert info.value.code == "AUTH_ERR_AUTH_TOKEN_NOT_FOUND"
    assert client.get_logged_in_user() is None


@pytest.mark.parametrize(
    ("args", "kwargs", "code"),
    [
        (("", "key"), {}, "MISSING_PARAMETERS"),
        (("super hero", "key"), {}, "ERR_INVALID_PARAMETER"),
        (("superhero1", ""), {}, "MISSING_PARAMETERS"),
        (("superhero1",), {}, "MISSING_PARAMETERS"),
        ((), {}, "MISSING_PARAMETERS"),
        ((), {"auth_token": ""}, "MISSING_PARAMETERS"),
        (("superhero1", "key"), {"auth_token": "t"}, "ERR_INVALID_PARAMETER"),
    ],
)
def test_bad_login_arguments(make_client, args, kwargs, code):
    client = make_client(auto=False)
    with pytest.raises(CometChatException) as info:
        client.login(*args, **kwargs)
    assert info.value.code == code


def test_same_user_again_needs_no_network(make_client, emulator):
    client = make_client(auto=False)
    first = client.login("superhero1", emulator.auth_key)
    emulator.fail_next_request("ERR_MISSION_FAILED", 500)  # any network call would fail
    assert client.login("superhero1", emulator.auth_key) == first
    assert client.login("SuperHero1", emulator.auth_key) == first  # uids are lower-case


def test_a_different_user_logs_the_first_out(make_client, emulator):
    client = make_client(auto=False)
    client.login("superhero1", emulator.auth_key)
    first_token = emulator.token_of("superhero1")
    client.login("superhero2", emulator.auth_key)
    assert client.get_logged_in_user().uid == "superhero2"
    # The first user's token was revoked on the server by the logout.
    other = make_client(auto=False)
    with pytest.raises(CometChatException) as info:
        other.login(auth_token=first_token)
    assert info.value.code == "AUTH_ERR_AUTH_TOKEN_NOT_FOUND"


def test_concurrent_login_is_refused(make_client, emulator):
    emulator.set_request_delay(0.3)
    client = make_client(auto=False)
    errors: list[str] = []
    started = threading.Event()

    def second() -> None:
        started.wait(2)
        try:
            client.login("superhero2", emulator.auth_key)
        except CometChatException as exc:
            errors.append(exc.code)

    thread = threading.Thread(target=second)
    thread.start()
    client.add_login_listener("go", LoginListener())
    started.set()
    try:
        client.login("superhero1", emulator.auth_key)
    except CometChatException as exc:
        errors.append(exc.code)
    thread.join(10)
    emulator.set_request_delay(0)
    assert errors == ["LOGIN_IN_PROGRESS"]


def test_logout_clears_the_file_and_a_new_client_sees_the_session(emulator, settings_for, tmp_path):
    folder = str(tmp_path / "sessions")
    settings = file_settings(emulator, settings_for, folder, auto=False)
    with CometChatClient(emulator.app_id, settings) as first:
        first.login("superhero1", emulator.auth_key)
        path = session_file(emulator, folder)
        assert os.path.exists(path)
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        assert stat.S_IMODE(os.stat(os.path.dirname(path)).st_mode) == 0o700
        with open(path, encoding="utf-8") as fh:
            assert "superhero1" in fh.read()
    # A restarted process: a new client on the same folder is logged in, with no network.
    with CometChatClient(emulator.app_id, settings) as second:
        user = second.get_logged_in_user()
        assert user is not None and user.uid == "superhero1"
        second.logout()
        assert second.get_logged_in_user() is None
    with open(path, encoding="utf-8") as fh:
        text = fh.read()
    assert "superhero1" not in text and "authToken" not in text
    with CometChatClient(emulator.app_id, settings) as third:
        assert third.get_logged_in_user() is None


def test_corrupt_session_file_means_logged_out(emulator, settings_for, tmp_path, caplog):
    folder = str(tmp_path / "sessions")
    settings = file_settings(emulator, settings_for, folder, auto=False)
    os.makedirs(os.path.join(folder, emulator.app_id), mode=0o700)
    with open(session_file(emulator, folder), "w", encoding="utf-8") as fh:
        fh.write('{"version": 1, "session": {"uid": ')  # torn
    with caplog.at_level(logging.WARNING), CometChatClient(emulator.app_id, settings) as client:
        assert client.get_logged_in_user() is None
        client.login("superhero1", emulator.auth_key)
    assert any("corrupt" in r.getMessage().lower() for r in caplog.records)


def test_logout_treats_an_unknown_token_as_success(make_client, emulator):
    client = make_client(auto=False)
    heard = threading.Event()
    client.add_login_listener("l", LoginListener(on_logout_success=heard.set))
    client.login("superhero1", emulator.auth_key)
    emulator.fail_next_request("AUTH_ERR_AUTH_TOKEN_NOT_FOUND", 401)
    client.logout()
    assert client.get_logged_in_user() is None
    assert heard.wait(2)


def test_logout_clears_locally_even_when_the_server_fails(make_client, emulator):
    client = make_client(auto=False)
    client.login("superhero1", emulator.auth_key)
    emulator.fail_next_request("ERR_MISSION_FAILED", 500)
    with pytest.raises(CometChatException) as info:
        client.logout()
    assert info.value.code == "ERR_MISSION_FAILED"
    assert client.get_logged_in_user() is None
    client.logout()  # idempotent


def test_send_message_returns_the_stored_message(make_client, emulator):
    client = make_client(auto=False)
    client.login("superhero1", emulator.auth_key)
    sent = client.send_message(TextMessage("superhero2", "hello", receiver_type="user"))
    assert isinstance(sent, TextMessage)
    assert sent.id > 0 and sent.text == "hello" and sent.sender_uid == "superhero1"
    assert emulator.messages()[-1]["data"]["text"] == "hello"


def test_rest_calls_need_a_user(make_client):
    client = make_client(auto=False)
    with pytest.raises(CometChatException) as info:
        client.send_message(TextMessage("superhero2", "hello"))
    assert info.value.code == "ERR_NOT_LOGGED_IN"


def test_the_token_reaches_no_log_record(make_client, emulator, caplog):
    caplog.set_level(logging.DEBUG)
    client = make_client()
    user = client.login("superhero1", emulator.auth_key)
    token = user.auth_token
    client.send_message(TextMessage("superhero2", "hello"))
    client.disconnect()
    client.connect()
    client.logout()
    assert token
    assert caplog.records, "DEBUG logging captured nothing"
    for record in caplog.records:
        text = record.getMessage() + repr(record.args) + str(record.exc_info or "")
        assert token not in text, f"token leaked in {record.name}: {record.getMessage()[:80]}"


def test_timeouts_and_unreachable_hosts_are_typed_errors(make_client, emulator):
    client = make_client(auto=False, request_timeout=0.3)
    emulator.set_request_delay(1.0)
    with pytest.raises(CometChatException) as info:
        client.login("superhero1", emulator.auth_key)
    assert info.value.code == "ERR_TIMEOUT"
    emulator.set_request_delay(0)
    emulator.stop()
    with pytest.raises(CometChatException) as info:
        client.login("superhero1", emulator.auth_key)
    assert info.value.code in ("FAILED_TO_FETCH", "ERR_NO_INTERNET")


def test_unresolvable_host_is_no_internet(emulator, settings_for, unresolvable_host):
    settings = settings_for(emulator).override_admin_host(f"http://{unresolvable_host}").build()
    assert failed_login(emulator, settings).code == "ERR_NO_INTERNET"


def test_a_body_that_is_not_an_envelope_is_a_clear_error(emulator, settings_for):
    class Broken(Handler):
        def do_POST(self):
            self.reply(200, b'{"data": {"uid": "superhero1", "authTo')  # truncated JSON

    with serving(Broken) as host:
        error = failed_login(emulator, settings_for(emulator).override_admin_host(host).build())
    assert error.code == "FAILED_TO_FETCH"
    assert "HTTP 200" in error.message


def test_rate_limit_keeps_retry_after(make_client, emulator):
    client = make_client(auto=False)
    client.login("superhero1", emulator.auth_key)
    emulator.fail_next_request("ERR_TOO_MANY_REQUESTS", 429)
    with pytest.raises(CometChatException) as info:
        client.send_message(TextMessage("superhero2", "hello"))
    assert info.value.code == "ERR_TOO_MANY_REQUESTS"
    assert info.value.details["status"] == 429


def test_facade_delegates_to_one_default_client(emulator, settings_for):
    CometChat.close()
    with pytest.raises(CometChatException) as info:
        CometChat.login("superhero1", emulator.auth_key)
    assert info.value.code == "ERROR_INIT_NOT_CALLED"
    client = CometChat.init(emulator.app_id, settings_for(emulator, auto=False).build())
    try:
        assert CometChat.client() is client
        user = CometChat.login("superhero1", emulator.auth_key)
        assert CometChat.get_logged_in_user() == user
        assert CometChat.get_connection_status() == "disconnected"
        CometChat.connect()
        assert CometChat.ping() >= 0
        CometChat.logout()
        assert client.get_logged_in_user() is None
    finally:
        CometChat.close()
    with pytest.raises(TypeError):
        CometChat()


def test_bad_app_id(emulator):
    for bad in ("", "  ", "has space", "a/b"):
        with pytest.raises(CometChatException):
            CometChatClient(bad)


def test_tls_emulator_with_a_ca_bundle(tmp_path, settings_for):
    trustme = pytest.importorskip("trustme")
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    certfile, keyfile, cafile = (str(tmp_path / n) for n in ("cert.pem", "key.pem", "ca.pem"))
    cert.cert_chain_pems[0].write_to_path(certfile)
    for pem in cert.cert_chain_pems[1:]:
        pem.write_to_path(certfile, append=True)
    cert.private_key_pem.write_to_path(keyfile)
    ca.cert_pem.write_to_path(cafile)
    with Emulator(certfile=certfile, keyfile=keyfile) as emu:
        assert emu.client_host.startswith("https://")
        settings = settings_for(emu).set_ca_bundle(cafile).build()
        with CometChatClient(emu.app_id, settings) as client:
            client.login("superhero1", emu.auth_key)  # auto mode: wss with the same CA
            client.wait_until_connected(3)
            assert emu.socket_count("superhero1") == 1
            client.logout()
        # Without the CA the certificate is not trusted: a clear error, no fallback.
        untrusted = failed_login(emu, settings_for(emu).build())
        assert untrusted.code == "FAILED_TO_FETCH" and "not trusted" in untrusted.message


def test_a_plain_http_server_given_as_https_is_named_as_such(emulator, settings_for):
    """A local server without TLS given as host:port (https by default): the error says the
    server does not speak TLS, not that its certificate is untrusted."""
    host = emulator.client_host.split("://", 1)[1]
    settings = settings_for(emulator).override_client_host(host).override_admin_host(host)
    error = failed_login(emulator, settings.build())
    assert error.code == "FAILED_TO_FETCH"
    assert "does not speak TLS" in error.message and "http://" in error.message


def test_a_server_message_quoting_the_token_never_reaches_the_exception(emulator, settings_for):
    class Quoting(Handler):
        """Answers like the hosted service does for an unknown token: it quotes it."""

        def do_PUT(self):
            token = self.headers.get("authToken", "")
            error = {
                "code": "AUTH_ERR_AUTH_TOKEN_NOT_FOUND",
                "message": f"The auth token {token} does not exist.",
                "details": {"authToken": [token], "hint": f"token={token}"},
            }
            self.reply(401, json.dumps({"error": error}).encode())

    token = "superhero1_1700000000abcdefabcdefabcdefabcdefabcd"
    with serving(Quoting) as host:
        settings = settings_for(emulator).override_client_host(host).build()
        exc = failed_login(emulator, settings, auth_token=token)
    assert exc.code == "AUTH_ERR_AUTH_TOKEN_NOT_FOUND"
    assert "***" in exc.message
    for text in (str(exc), repr(exc), exc.message, json.dumps(exc.details)):
        assert token not in text


def test_a_call_refused_while_logout_deletes_the_token_logs_out_once(
    make_client, emulator, monkeypatch
):
    """A call of the session on another thread (a catch-up page on a pool worker) that the
    server refuses because logout() just deleted the token: logout() reports the logout; the
    refused call must not log out a second time (a second on_logout_success, a session store
    touched after logout() returned)."""
    from cometchat_sync.rest import auth  # noqa: PLC0415

    client = make_client(auto=False)
    logouts: list[str] = []
    client.add_login_listener(
        "l", LoginListener(on_logout_success=lambda: logouts.append("success"))
    )
    client.login("superhero1", emulator.auth_key)
    real_log_out = auth.log_out
    refused: list[str] = []

    def log_out_then_a_call_races(*args: object, **kwargs: object) -> object:
        answer = real_log_out(*args, **kwargs)  # type: ignore[arg-type]
        try:  # what a pool worker's call does in this window
            client.get_user("superhero2")
        except CometChatException as exc:
            refused.append(exc.code)
        return answer

    monkeypatch.setattr(auth, "log_out", log_out_then_a_call_races)
    client.logout()
    assert refused == ["AUTH_ERR_AUTH_TOKEN_NOT_FOUND"]
    assert client.get_logged_in_user() is None
    assert client.last_disconnect_reason is not DisconnectReason.TOKEN_REVOKED
    client.close()  # delivers what is queued before it returns
    assert logouts == ["success"], "the refused call logged out a second time"
