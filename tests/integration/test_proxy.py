"""Tests of cometchat_sync.testing.proxy.FaultProxy against a tiny loopback echo server."""

from __future__ import annotations

import contextlib
import socket
import threading
import time

import pytest

from cometchat_sync.testing.proxy import FaultProxy

RECV_TIMEOUT = 2.0


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
