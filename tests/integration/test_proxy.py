"""Tests of the test kit's proxies (``FaultProxy``, ``ConnectProxy``) against a tiny loopback
echo server, and of the SDK through an HTTP proxy: one rule for REST and the socket (the
environment's ``HTTP(S)_PROXY``/``NO_PROXY``, or ``set_proxy``), ``CONNECT`` tunnels, 407, a
proxy that hangs, and a proxy password that never shows."""

from __future__ import annotations

import base64
import contextlib
import logging
import os
import socket
import threading
import time

import pytest

from cometchat_sync import AppSettingsBuilder
from cometchat_sync import CometChatClient
from cometchat_sync import CometChatException
from cometchat_sync._proxy_url import parse_proxy_url
from cometchat_sync.connection.dialler import WebSocketTransport
from cometchat_sync.connection.proxy import proxy_for
from cometchat_sync.connection.transport import Dial
from cometchat_sync.connection.transport import DialCancelled
from cometchat_sync.connection.transport import DialError
from cometchat_sync.testing import Emulator
from cometchat_sync.testing import MessageRecorder
from cometchat_sync.testing.proxy import ConnectProxy
from cometchat_sync.testing.proxy import FaultProxy

RECV_TIMEOUT = 2.0
WAIT = 5.0


class EchoServer:
    """Echoes every byte back; closes its side when the client closes."""

    def __init__(self) -> None:
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        self.accepted = 0
        self.cond = threading.Condition()
        self.conns: list[socket.socket] = []
        self.threads: list[threading.Thread] = []
        self.stopping = False
        self.thread = threading.Thread(target=self._accept, name="echo-accept", daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            with self.cond:
                if self.stopping:
                    conn.close()
                    return
                self.accepted += 1
                self.conns.append(conn)
                self.cond.notify_all()
            t = threading.Thread(target=self._echo, args=(conn,), name="echo-conn", daemon=True)
            self.threads.append(t)
            t.start()

    @staticmethod
    def _echo(conn: socket.socket) -> None:
        try:
            while True:
                data = conn.recv(65536)
                if not data:
                    break
                conn.sendall(data)
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
            conn.close()

    def stop(self) -> None:
        with self.cond:
            self.stopping = True
            conns = list(self.conns)
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)
        self.listener.close()
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        self.thread.join(2)
        for t in self.threads:
            t.join(2)


@pytest.fixture(autouse=True)
def no_thread_left():
    yield
    leftover = [
        t.name
        for t in threading.enumerate()
        if t.name.startswith(("faultproxy", "echo")) and t.is_alive()
    ]
    assert leftover == []


@pytest.fixture
def echo():
    server = EchoServer()
    yield server
    server.stop()


@pytest.fixture
def proxy(echo):
    with FaultProxy("127.0.0.1", echo.port) as p:
        yield p


def connect(proxy: FaultProxy, timeout: float = RECV_TIMEOUT) -> socket.socket:
    sock = socket.create_connection(proxy.address, timeout=timeout)
    sock.settimeout(timeout)
    return sock


def recv_exactly(sock: socket.socket, n: int) -> bytes:
    out = bytearray()
    while len(out) < n:
        chunk = sock.recv(n - len(out))
        if not chunk:
            raise EOFError(f"EOF after {len(out)} of {n} bytes")
        out += chunk
    return bytes(out)


def roundtrip(sock: socket.socket, payload: bytes = b"ping") -> bytes:
    sock.sendall(payload)
    return recv_exactly(sock, len(payload))


def test_pass_through_and_counters(proxy, echo):
    assert proxy.mode == "pass"
    assert proxy.host == "127.0.0.1" and proxy.port > 0
    assert proxy.address == (proxy.host, proxy.port)
    with connect(proxy) as sock:
        assert proxy.wait_for_connections(1, 2)
        assert roundtrip(sock, b"hello") == b"hello"
        big = bytes(range(256)) * 4096  # 1 MiB, both ways at once
        sender = threading.Thread(target=sock.sendall, args=(big,))
        sender.start()
        assert recv_exactly(sock, len(big)) == big
        sender.join(5)
        assert proxy.connections_accepted == 1
        assert proxy.live_connections == 1
        assert proxy.bytes_up == 5 + len(big)
        assert proxy.bytes_down == 5 + len(big)
        assert echo.accepted == 1
    assert proxy.wait_for_live_connections(0, 2)
    assert proxy.connections_refused == 0


def test_wait_for_connections_times_out(proxy):
    start = time.monotonic()
    assert not proxy.wait_for_connections(1, 0.1)
    assert 0.09 <= time.monotonic() - start < 1


def test_delay_each_direction(proxy):
    with connect(proxy) as sock:
        assert roundtrip(sock) == b"ping"
        proxy.delay(0.2)
        assert proxy.mode == "delay"
        start = time.monotonic()
        assert roundtrip(sock) == b"ping"
        elapsed = time.monotonic() - start
        assert elapsed >= 0.4  # 0.2 s up plus 0.2 s down
        assert elapsed < 2
        proxy.pass_through()
        start = time.monotonic()
        assert roundtrip(sock) == b"ping"
        assert time.monotonic() - start < 0.4


def test_delay_validates():
    proxy = FaultProxy("127.0.0.1", 9)
    with pytest.raises(ValueError):
        proxy.delay(-1)
    with pytest.raises(ValueError):
        proxy.delay(float("nan"))


def test_blackhole_live_and_new_connections(proxy, echo):
    with connect(proxy) as live:
        assert roundtrip(live) == b"ping"
        proxy.blackhole()
        assert proxy.mode == "blackhole"
        live.settimeout(0.3)
        live.sendall(b"lost?")  # the send succeeds ...
        with pytest.raises(socket.timeout):
            live.recv(100)  # ... and the client hears silence

        held = connect(proxy, timeout=0.3)  # a new connection is accepted and held silent
        held.sendall(b"anyone?")
        with pytest.raises(socket.timeout):
            held.recv(100)
        assert proxy.wait_for_connections(2, 2)
        assert echo.accepted == 1  # the server never heard of it
        assert proxy.bytes_up == 4 + 5 + 7  # everything the clients sent was read

        proxy.pass_through()
        # Nothing was lost: held bytes arrive once the path is back, on both connections.
        live.settimeout(RECV_TIMEOUT)
        held.settimeout(RECV_TIMEOUT)
        assert recv_exactly(live, 5) == b"lost?"
        assert recv_exactly(held, 7) == b"anyone?"
        assert echo.accepted == 2
        with connect(proxy) as fresh:
            assert roundtrip(fresh, b"back") == b"back"
        held.close()


def test_blackholed_connection_given_up_never_reaches_server(proxy, echo):
    proxy.blackhole()
    sock = connect(proxy)
    assert proxy.wait_for_connections(1, 2)
    sock.close()  # the client gives up while the path is dead
    proxy.pass_through()
    assert proxy.wait_for_live_connections(0, 2)
    with connect(proxy) as fresh:
        assert roundtrip(fresh) == b"ping"
    assert echo.accepted == 1


def test_refuse_resets_new_connections_only(proxy):
    with connect(proxy) as live:
        assert roundtrip(live) == b"ping"
        proxy.refuse()
        assert proxy.mode == "refuse"
        start = time.monotonic()
        try:
            sock = connect(proxy)
        except ConnectionError:
            pass  # reset before connect() returned: refused as well
        else:
            with sock, pytest.raises(ConnectionResetError):
                data = sock.recv(100)
                assert data == b""  # a closed socket is acceptable too
                raise ConnectionResetError
        assert time.monotonic() - start < 1
        assert proxy.connections_refused == 1
        assert proxy.connections_accepted == 2
        # the live connection keeps going
        assert roundtrip(live, b"still") == b"still"
        proxy.pass_through()
        with connect(proxy) as fresh:
            assert roundtrip(fresh) == b"ping"


def test_cut_with_fin(proxy):
    with connect(proxy) as a, connect(proxy) as b:
        assert roundtrip(a) == b"ping" and roundtrip(b) == b"ping"
        start = time.monotonic()
        proxy.cut()
        assert a.recv(100) == b""
        assert b.recv(100) == b""
        assert time.monotonic() - start < 1
        assert proxy.live_connections == 0
        assert proxy.mode == "pass"
        with connect(proxy) as fresh:
            assert roundtrip(fresh) == b"ping"


def test_cut_with_rst(proxy):
    with connect(proxy) as sock:
        assert roundtrip(sock) == b"ping"
        proxy.delay(0.05)
        start = time.monotonic()
        proxy.cut(rst=True)
        with pytest.raises(ConnectionResetError):
            sock.recv(100)
        assert time.monotonic() - start < 1
        assert proxy.mode == "delay"
        assert proxy.live_connections == 0


def test_cut_held_connection(proxy):
    proxy.blackhole()
    with connect(proxy) as sock:
        assert proxy.wait_for_connections(1, 2)
        proxy.cut()
        assert sock.recv(100) == b""
        assert proxy.live_connections == 0


def test_upstream_down_resets_client(echo):
    echo.stop()
    with FaultProxy("127.0.0.1", echo.port) as proxy, connect(proxy) as sock:
        with pytest.raises((ConnectionResetError, EOFError)):
            sock.sendall(b"x")
            if not sock.recv(1):
                raise EOFError
        assert proxy.wait_for_live_connections(0, 2)


def test_stop_with_live_connections_is_quick_and_leaves_no_thread(echo):
    proxy = FaultProxy("127.0.0.1", echo.port).start()
    socks = [connect(proxy) for _ in range(3)]
    for s in socks:
        assert roundtrip(s) == b"ping"
    proxy.blackhole()
    socks.append(connect(proxy))
    proxy.delay(0.5)
    socks[0].sendall(b"in flight")
    assert proxy.wait_for_connections(4, 2)
    start = time.monotonic()
    proxy.stop()
    assert time.monotonic() - start < 1
    assert not [t for t in threading.enumerate() if t.name.startswith("faultproxy")]
    for s in socks:
        with contextlib.suppress(ConnectionResetError):
            assert s.recv(100) == b""
        s.close()
    proxy.stop()  # idempotent
    with pytest.raises(OSError):
        socket.create_connection(proxy.address, timeout=0.5).close()


def test_not_started():
    proxy = FaultProxy("127.0.0.1", 9)
    with pytest.raises(RuntimeError):
        _ = proxy.port
    proxy.stop()  # harmless
    assert "not started" in repr(proxy)


def test_start_twice_rejected(echo):
    with FaultProxy("127.0.0.1", echo.port) as proxy:
        with pytest.raises(RuntimeError):
            proxy.start()
        assert f":{proxy.port}" in repr(proxy)


def test_client_close_ends_pair(proxy):
    for _ in range(5):
        with connect(proxy) as sock:
            assert roundtrip(sock) == b"ping"
    assert proxy.wait_for_live_connections(0, 2)
    assert proxy.connections_accepted == 5


# -- ConnectProxy: an HTTP forward proxy -------------------------------------------------------


@pytest.fixture
def http_proxy():
    with ConnectProxy() as p:
        yield p


def proxy_request(proxy: ConnectProxy, head: str) -> socket.socket:
    sock = connect(proxy)
    sock.sendall(head.encode())
    return sock


def answer_head(sock: socket.socket) -> bytes:
    head = b""
    while not head.endswith(b"\r\n\r\n"):
        chunk = sock.recv(1)
        if not chunk:
            break
        head += chunk
    return head


def test_connect_tunnels_to_the_named_host(http_proxy, echo):
    target = f"127.0.0.1:{echo.port}"
    with proxy_request(http_proxy, f"CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n") as sock:
        assert answer_head(sock).startswith(b"HTTP/1.1 200 ")
        assert roundtrip(sock, b"through the tunnel") == b"through the tunnel"
    assert http_proxy.requests == [f"CONNECT {target}"]
    assert echo.accepted == 1


def test_a_plain_request_is_forwarded_in_origin_form_with_connection_close(http_proxy, echo):
    head = (
        f"GET http://127.0.0.1:{echo.port}/v3.0/me?x=1 HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "Proxy-Connection: keep-alive\r\n\r\n"
    )
    with proxy_request(http_proxy, head) as sock:
        echoed = answer_head(sock)  # the echo server sends back what it got
    assert echoed.startswith(b"GET /v3.0/me?x=1 HTTP/1.1\r\n")
    assert b"Connection: close\r\n" in echoed and b"Proxy-Connection" not in echoed


def test_credentials_are_required_when_set(echo):
    target = f"127.0.0.1:{echo.port}"
    with ConnectProxy(credentials=("user", "p@ss")) as proxy:
        assert proxy.url == f"http://user:p%40ss@127.0.0.1:{proxy.port}"
        assert "p@ss" not in repr(proxy)
        with proxy_request(proxy, f"CONNECT {target} HTTP/1.1\r\n\r\n") as sock:
            head = answer_head(sock)
            assert head.startswith(b"HTTP/1.1 407 ")
            assert b'Proxy-Authenticate: Basic realm="FaultProxy"' in head
        token = base64.b64encode(b"user:p@ss").decode()
        request = f"CONNECT {target} HTTP/1.1\r\nProxy-Authorization: Basic {token}\r\n\r\n"
        with proxy_request(proxy, request) as sock:
            assert answer_head(sock).startswith(b"HTTP/1.1 200 ")
            assert roundtrip(sock) == b"ping"
        assert proxy.requests == [f"CONNECT {target}"]


def test_an_unreachable_target_is_a_502(http_proxy):
    with socket.socket() as spare:
        spare.bind(("127.0.0.1", 0))
        dead = spare.getsockname()[1]
    with proxy_request(http_proxy, f"CONNECT 127.0.0.1:{dead} HTTP/1.1\r\n\r\n") as sock:
        assert answer_head(sock).startswith(b"HTTP/1.1 502 ")


def test_a_blackholed_proxy_never_answers_connect(http_proxy, echo):
    http_proxy.blackhole()
    with proxy_request(http_proxy, f"CONNECT 127.0.0.1:{echo.port} HTTP/1.1\r\n\r\n") as sock:
        sock.settimeout(0.3)
        with pytest.raises(socket.timeout):
            sock.recv(1)
    assert echo.accepted == 0


# -- the SDK through a proxy: REST and the socket, one rule -----------------------------------

UID = "superhero1"
PEER = "superhero2"


@pytest.fixture
def no_proxy_env(monkeypatch):
    """No proxy variable from the machine running the tests."""
    for name in list(os.environ):
        if name.lower().endswith("_proxy"):
            monkeypatch.delenv(name)
    return monkeypatch


def ws_tunnel(emulator) -> str:
    return f"CONNECT 127.0.0.1:{emulator.ws_port}"


def rest_calls(proxy: ConnectProxy, emulator) -> list[str]:
    return [r for r in proxy.requests if r.split(" ")[1].startswith(emulator.client_host)]


def chat_through(make_client, emulator, **overrides) -> list[str]:
    """Log in (auto mode), receive a message over the socket, log out; returns the texts."""
    client = make_client(**overrides)
    messages = MessageRecorder()
    client.add_message_listener("m", messages)
    client.login(UID, emulator.auth_key)
    client.wait_until_connected(WAIT)
    emulator.send_message(PEER, UID, "via the proxy")
    assert messages.log.wait_for_count("on_text_message_received", 1, WAIT)
    client.logout()
    return messages.texts()


def test_the_environment_proxy_carries_rest_and_the_socket(
    no_proxy_env, emulator, make_client, http_proxy
):
    no_proxy_env.setenv("HTTP_PROXY", http_proxy.url)  # plain emulator: http:// and ws://
    assert chat_through(make_client, emulator) == ["via the proxy"]
    assert ws_tunnel(emulator) in http_proxy.requests
    assert rest_calls(http_proxy, emulator)  # login went through it too


def test_set_proxy_with_credentials_carries_rest_and_the_socket(
    no_proxy_env, emulator, make_client
):
    with ConnectProxy(credentials=("chat", "s3cret!")) as proxy:
        assert chat_through(make_client, emulator, set_proxy=proxy.url) == ["via the proxy"]
        assert ws_tunnel(emulator) in proxy.requests
        assert rest_calls(proxy, emulator)


def test_set_proxy_wins_over_the_environment(no_proxy_env, emulator, make_client, http_proxy):
    with ConnectProxy() as other:
        no_proxy_env.setenv("HTTP_PROXY", other.url)
        assert chat_through(make_client, emulator, set_proxy=http_proxy.url)
        assert ws_tunnel(emulator) in http_proxy.requests
        assert other.requests == []


def test_no_proxy_bypasses_the_environment_proxy(no_proxy_env, emulator, make_client, http_proxy):
    no_proxy_env.setenv("HTTP_PROXY", http_proxy.url)
    no_proxy_env.setenv("NO_PROXY", "127.0.0.1")
    assert chat_through(make_client, emulator) == ["via the proxy"]
    assert http_proxy.requests == [] and http_proxy.connections_accepted == 0


def open_via(proxy_url: str, url: str, dial: Dial, timeout: float = WAIT):
    transport = WebSocketTransport(proxy=parse_proxy_url(proxy_url))
    return transport.open(url, timeout=timeout, dial=dial)


@pytest.mark.parametrize("given", [None, ("chat", "wrong")])
def test_a_407_is_a_clear_error_that_shows_no_credentials(emulator, given):
    with ConnectProxy(credentials=("chat", "right")) as proxy:
        url = proxy.url.replace("chat:right@", "" if given is None else "chat:wrong@")
        dial = Dial()
        with pytest.raises(DialError) as info:
            open_via(url, emulator.ws_url, dial)
        dial.release()
    error = info.value
    assert error.code == "ERR_WEBSOCKET_ERROR" and not error.unreachable
    assert "407" in error.message and "credentials" in error.message
    assert "wrong" not in error.message and "right" not in error.message


def test_a_proxy_that_hangs_is_bounded_and_cancellable(emulator, http_proxy):
    http_proxy.blackhole()
    dial = Dial()
    started = time.monotonic()
    with pytest.raises(DialError) as info:
        open_via(http_proxy.url, emulator.ws_url, dial, timeout=0.5)
    assert time.monotonic() - started < 1.0
    assert "proxy tunnel" in info.value.message and "0.5 s" in info.value.message
    dial.release()

    dial = Dial()
    outcome: list[BaseException] = []

    def run() -> None:
        try:
            open_via(http_proxy.url, emulator.ws_url, dial, timeout=30)
        except BaseException as exc:
            outcome.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    assert http_proxy.wait_for_connections(2, WAIT)
    dial.cancel()
    thread.join(1.0)
    assert not thread.is_alive()
    assert len(outcome) == 1 and isinstance(outcome[0], DialCancelled)
    dial.release()


def test_the_proxy_password_never_reaches_a_repr_or_a_log(
    no_proxy_env, emulator, make_client, caplog, capfd
):
    caplog.set_level(logging.DEBUG)
    with ConnectProxy(credentials=("chat", "pa55word")) as proxy:
        client = make_client(set_proxy=proxy.url)
        assert "pa55word" not in repr(client.settings)
        client.login(UID, emulator.auth_key)
        client.wait_until_connected(WAIT)
        client.logout()
    token = base64.b64encode(b"chat:pa55word").decode()
    out, err = capfd.readouterr()
    for text in (caplog.text, out, err):
        assert "pa55word" not in text and token not in text


def test_https_proxy_tunnels_tls_end_to_end(no_proxy_env, tmp_path, settings_for, http_proxy):
    """A TLS emulator behind ``HTTPS_PROXY``: REST (https) and the socket (wss) are both
    ``CONNECT`` tunnels, and the certificate is checked for the emulator's name, not the
    proxy's."""
    trustme = pytest.importorskip("trustme")
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    certfile, keyfile, cafile = (str(tmp_path / n) for n in ("cert.pem", "key.pem", "ca.pem"))
    cert.cert_chain_pems[0].write_to_path(certfile)
    for pem in cert.cert_chain_pems[1:]:
        pem.write_to_path(certfile, append=True)
    cert.private_key_pem.write_to_path(keyfile)
    ca.cert_pem.write_to_path(cafile)
    no_proxy_env.setenv("HTTPS_PROXY", http_proxy.url)
    with Emulator(certfile=certfile, keyfile=keyfile) as emu:
        settings = settings_for(emu).set_ca_bundle(cafile).build()
        with CometChatClient(emu.app_id, settings) as client:
            client.login(UID, emu.auth_key)
            client.wait_until_connected(WAIT)
            assert emu.socket_count(UID) == 1
            client.logout()
        assert f"CONNECT 127.0.0.1:{emu.ws_port}" in http_proxy.requests
        assert f"CONNECT 127.0.0.1:{emu.port}" in http_proxy.requests


@pytest.mark.parametrize(
    ("env", "url", "expected"),
    [
        ({"HTTPS_PROXY": "http://p:1"}, "wss://chat.test:443", "p:1"),
        ({"HTTPS_PROXY": "http://p:1"}, "ws://chat.test:80", None),  # ws:// is http://
        ({"HTTP_PROXY": "http://p:2"}, "ws://chat.test:80", "p:2"),
        ({"ALL_PROXY": "http://p:3"}, "wss://chat.test", "p:3"),
        ({"https_proxy": "p:4"}, "wss://chat.test", "p:4"),  # no scheme: http://
        ({"HTTPS_PROXY": "http://p:1", "NO_PROXY": ".example.com"}, "wss://a.example.com", None),
        ({"HTTPS_PROXY": "http://p:1", "NO_PROXY": "example.com"}, "wss://chat.test", "p:1"),
        ({"HTTPS_PROXY": "http://p:1", "NO_PROXY": "*"}, "wss://chat.test", None),
        ({}, "wss://chat.test", None),
    ],
)
def test_the_socket_reads_the_environment_as_requests_does(no_proxy_env, env, url, expected):
    for name, value in env.items():
        no_proxy_env.setenv(name, value)
    chosen = proxy_for(url, None)
    assert (chosen.address if chosen else None) == expected


def test_set_proxy_wins_for_every_host_and_an_unusable_environment_proxy_is_named(no_proxy_env):
    explicit = parse_proxy_url("http://u:p@explicit:8080")
    no_proxy_env.setenv("HTTPS_PROXY", "http://env:1")
    no_proxy_env.setenv("NO_PROXY", "*")
    assert proxy_for("wss://chat.test", explicit) == explicit
    no_proxy_env.setenv("NO_PROXY", "")
    no_proxy_env.setenv("HTTPS_PROXY", "socks5://u:secret@env:1080")
    with pytest.raises(ValueError, match="socks5") as info:
        proxy_for("wss://chat.test", None)
    assert "secret" not in str(info.value)


@pytest.mark.parametrize(
    "bad",
    ["socks5://u:secret@h:1080", "https://u:secret@h:3128", "http://u:secret@h:99999", "", "  "],
)
def test_set_proxy_refuses_what_it_cannot_use_without_repeating_it(bad):
    with pytest.raises(CometChatException) as info:
        AppSettingsBuilder().set_proxy(bad).build()
    assert info.value.code == "ERR_INVALID_PARAMETER"
    assert "secret" not in str(info.value)


def test_set_proxy_gives_rest_its_mapping_and_keeps_the_password_out_of_the_repr():
    settings = AppSettingsBuilder().set_proxy("http://chat:p%40ss@proxy.test:3128").build()
    url = "http://chat:p%40ss@proxy.test:3128"
    assert settings.proxies == {"http": url, "https": url}
    assert "p%40ss" not in repr(settings) and "p@ss" not in repr(settings)
    assert parse_proxy_url(settings.proxy or "").password == "p@ss"
    assert "p@ss" not in repr(parse_proxy_url(settings.proxy or ""))
    assert AppSettingsBuilder().build().proxies == {}


def test_a_proxy_that_is_down_is_named_in_the_error(emulator):
    with socket.socket() as spare:
        spare.bind(("127.0.0.1", 0))
        dead = spare.getsockname()[1]
    dial = Dial()
    with pytest.raises(DialError) as info:
        open_via(f"http://127.0.0.1:{dead}", emulator.ws_url, dial)
    dial.release()
    assert info.value.code == "ERR_WEBSOCKET_ERROR" and info.value.unreachable
    assert f"The proxy 127.0.0.1:{dead} refused the connection" in info.value.message
