"""Faults against the process-wide engine: dial steps that hang or time out on the dial
loop, and what the engine's threads do around them. Each test is a reproducer of a fault a
user would hit; every wait is bounded."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import os
import re
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any
from typing import Callable
from typing import Optional

import pytest

import cometchat_sync
from cometchat_sync import CometChatClient
from cometchat_sync import CometChatException
from cometchat_sync import ConnectionListener
from cometchat_sync import MemorySessionStore
from cometchat_sync import _resolve
from cometchat_sync._poll import wait_io
from cometchat_sync._timers import SharedTimer
from cometchat_sync.connection.dial_io import StepTimeout
from cometchat_sync.connection.dial_io import Wait
from cometchat_sync.connection.dial_loop import DialLoop
from cometchat_sync.connection.dial_loop import shared_dial_loop
from cometchat_sync.connection.dialler import WebSocketTransport
from cometchat_sync.connection.transport import Dial
from cometchat_sync.connection.transport import DialError
from cometchat_sync.connection.transport import Link
from cometchat_sync.rest import pool as rest_pool
from cometchat_sync.testing import ConnectionRecorder
from cometchat_sync.testing import ConnectProxy
from cometchat_sync.testing import Emulator
from cometchat_sync.testing import FaultProxy
from cometchat_sync.testing import FullBacklog
from cometchat_sync.testing import MessageRecorder
from cometchat_sync.testing.emulator import _rest as emulator_rest

WAIT = 5.0
TWO_ADDRESSES = "ws.two-blackholes.test"


class Outcome:
    """What a dial loop's ``done`` was called with, and when."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self.link: Optional[Link] = None
        self.error: Optional[BaseException] = None

    def __call__(self, link: Optional[Link], error: Optional[BaseException]) -> None:
        self.link, self.error = link, error
        self.event.set()


@pytest.fixture
def two_blackholes(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """:data:`TWO_ADDRESSES` resolves to two addresses, both with a full backlog (a TCP
    connect to either hangs), as a name with an IPv6 and an IPv4 address on a network that
    drops both."""
    holes = [FullBacklog(), FullBacklog()]
    real = socket.getaddrinfo

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host == TWO_ADDRESSES:
            return [
                (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", hole.port))
                for hole in holes
            ]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    try:
        yield TWO_ADDRESSES
    finally:
        for hole in holes:
            hole.close()


def test_the_dial_loop_ends_an_attempt_whose_first_address_timed_out_at_its_deadline(
    two_blackholes: str,
) -> None:
    """The deadline was thrown in once: the connect to the first address ended with
    StepTimeout, the dialler went on to the second address, and nothing ended that wait
    (the attempt lasted until the kernel gave up the SYNs, about two minutes)."""
    loop = DialLoop("cometchat-dial-test")
    dial = Dial()
    outcome = Outcome()
    deadline = time.monotonic() + 0.3
    steps = WebSocketTransport().open_steps(
        f"ws://{two_blackholes}:80/", deadline=deadline, dial=dial
    )
    loop.start(steps, deadline=deadline, dial=dial, done=outcome)
    try:
        assert outcome.event.wait(WAIT), "the attempt outlived its deadline"
        assert isinstance(outcome.error, DialError)
        assert "did not answer the TCP connect in time" in outcome.error.message
    finally:
        dial.cancel()
        outcome.event.wait(WAIT)
        dial.release()
        loop.stop_idle(WAIT)
    assert loop.threads() == []


def test_the_dial_loop_throws_the_deadline_in_again_at_a_later_wait() -> None:
    """Steps that go on after a StepTimeout (as a dialler trying a name's next address)
    get it again at their next wait, at once: the deadline is the attempt's, not one wait's."""
    loop = DialLoop("cometchat-dial-test")
    dial = Dial()
    outcome = Outcome()
    quiet_a, quiet_b = socket.socketpair()  # never readable: only the deadline ends a wait
    timeouts: list[str] = []

    def steps() -> Any:
        for _ in range(3):
            try:
                yield Wait(quiet_a, False)
            except StepTimeout:
                timeouts.append("timeout")
        return None

    deadline = time.monotonic() + 0.2
    loop.start(steps(), deadline=deadline, dial=dial, done=outcome)
    try:
        assert outcome.event.wait(WAIT), f"the steps waited on after {timeouts}"
        assert timeouts == ["timeout"] * 3 and outcome.error is None
    finally:
        dial.cancel()
        outcome.event.wait(WAIT)
        dial.release()
        loop.stop_idle(WAIT)
        quiet_a.close()
        quiet_b.close()


# -- many clients at once -------------------------------------------------------------------


def socket_inodes() -> set[int]:
    """The inodes of this process's open socket descriptors."""
    found = set()
    for fd in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):
            target = os.readlink(f"/proc/self/fd/{fd}")
            if target.startswith("socket:["):
                found.add(int(target[8:-1]))
    return found


def describe(inodes: set[int]) -> list[str]:
    """The lines of /proc/self/net/{tcp,tcp6,unix} of ``inodes``."""
    found = []
    for table, column in (("tcp", 9), ("tcp6", 9), ("unix", 6)):
        with contextlib.suppress(OSError), open(f"/proc/self/net/{table}") as lines:
            found += [
                f"{table}: {line.strip()}"
                for line in list(lines)[1:]
                if int(line.split()[column]) in inodes
            ]
    return found


def close_idle_rest_connections() -> None:
    """The process's shared REST pool keeps idle connections while any client of the process
    holds it (a client an earlier test left unclosed may): these tests are about the dial's
    sockets, so the pool's idle ones are closed before counting."""
    adapter = rest_pool._pool._adapter
    if adapter is not None:
        adapter.close()


def dialled_sockets(*ports: int) -> set[int]:
    """The inodes of our open sockets that dials to ``ports`` may have left: TCP sockets
    whose remote port is one of ``ports`` (not the servers' ends, which run in this process
    too) and Unix socket pairs (wake-up pairs, a resolver's answer pair)."""
    ours = socket_inodes()
    found = set()
    for table in ("tcp", "tcp6"):
        with contextlib.suppress(OSError), open(f"/proc/self/net/{table}") as lines:
            for line in list(lines)[1:]:
                fields = line.split()
                if int(fields[2].rsplit(":", 1)[1], 16) in ports and int(fields[9]) in ours:
                    found.add(int(fields[9]))
    with contextlib.suppress(OSError), open("/proc/self/net/unix") as lines:
        for line in list(lines)[1:]:
            fields = line.split()
            if int(fields[6]) in ours:
                found.add(int(fields[6]))
    return found


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="no /proc/self/fd")
def test_sixty_clients_connecting_and_closing_from_many_threads_leave_nothing(
    emulator: Emulator, settings_for: Callable[..., Any]
) -> None:
    """Sixty clients, each logged in, connected and closed on its own thread at once (some
    closed mid-dial): every thread of the engine ends after the last close(), no more than
    eight ran, and no descriptor is left."""
    ports = (emulator.ws_port, emulator.port)
    before = dialled_sockets(*ports)
    users = [f"superhero{i}" for i in range(1, 6)]
    errors: list[BaseException] = []
    peak: list[int] = []
    go = threading.Barrier(12)

    def one(n: int) -> None:
        try:
            go.wait(WAIT)
            for k in range(5):
                store = MemorySessionStore(emulator.app_id)
                settings = settings_for(emulator).set_session_store(store).build()
                with CometChatClient(emulator.app_id, settings) as client:
                    client.login(users[(n + k) % len(users)], emulator.auth_key)
                    if k % 2:
                        continue  # closed while its first attempt may be in flight
                    client.wait_until_connected(WAIT)
                    peak.append(len(cometchat_sync.sdk_threads()))
        except BaseException as exc:
            errors.append(exc)

    workers = [threading.Thread(target=one, args=(n,), name=f"app-{n}") for n in range(12)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join(60)
    assert not any(thread.is_alive() for thread in workers), "a client call hung"
    assert errors == []
    assert max(peak) <= 8
    assert emulator.wait_until(lambda: cometchat_sync.sdk_threads() == [], WAIT), [
        t.name for t in cometchat_sync.sdk_threads()
    ]
    close_idle_rest_connections()
    assert emulator.wait_until(lambda: dialled_sockets(*ports) <= before, WAIT), describe(
        dialled_sockets(*ports) - before
    )


# -- a stalled step of a client's dial, through the engine -----------------------------------

HANGING_HOST = "ws.hanging-resolver-engine.test"


class Stalls:
    """``start(step)`` sets up a server (or resolver) that stalls at ``step`` and returns
    ``(host, port, overrides)`` for the client's settings: ``resolve``, ``connect`` (a full
    backlog), ``proxy`` (a CONNECT proxy that never answers), ``tls`` (a TLS emulator behind
    a proxy that accepts and never answers the ClientHello), ``upgrade`` (the 101 withheld),
    ``auth`` (upgraded, the auth answer withheld)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
        self.released = threading.Event()
        self.tmp_path = tmp_path
        self.closers: list[Callable[[], None]] = []
        self.proxy: Optional[FaultProxy] = None
        real = socket.getaddrinfo

        def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
            if host == HANGING_HOST:
                self.released.wait(30)
                raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
            return real(host, *args, **kwargs)

        monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)

    def start(self, step: str, emulator: Emulator) -> tuple[str, int, dict[str, Any]]:
        if step == "resolve":
            return HANGING_HOST, 443, {}
        if step == "connect":
            hole = FullBacklog()
            self.closers.append(hole.close)
            return "127.0.0.1", hole.port, {}
        if step in ("proxy", "tls"):
            if step == "proxy":  # blackholed once logged in: the REST calls use it too
                tunnel = ConnectProxy()
                tunnel.start()
                self.closers.append(tunnel.stop)
                self.proxy = tunnel
                return "127.0.0.1", emulator.ws_port, {"set_proxy": tunnel.url}
            silent = FaultProxy("127.0.0.1", 9).start()
            self.closers.append(silent.stop)
            self.proxy = silent
            silent.blackhole()
            return silent.host, silent.port, {}
        server = Withholder(answer_upgrade=step == "auth")
        self.closers.append(server.close)
        return "127.0.0.1", server.port, {}

    def close(self) -> None:
        self.released.set()
        closers, self.closers = self.closers, []
        for close in reversed(closers):
            close()


class Withholder:
    """Reads the upgrade request; answers it with a valid 101 (``answer_upgrade``) or not at
    all; then says nothing until closed."""

    def __init__(self, answer_upgrade: bool) -> None:
        self.answer_upgrade = answer_upgrade
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, name="withholder", daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        with contextlib.suppress(OSError):
            conn, _ = self.listener.accept()
            with conn:
                request = b""
                while b"\r\n\r\n" not in request:
                    chunk = conn.recv(4096)
                    if not chunk:
                        return
                    request += chunk
                if self.answer_upgrade:
                    conn.sendall(upgrade_answer(request))
                self.stop.wait(30)

    def close(self) -> None:
        self.stop.set()
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)
        self.listener.close()
        self.thread.join(WAIT)


def upgrade_answer(request: bytes) -> bytes:
    """A valid 101 answer to ``request`` (RFC 6455 section 4.2.2)."""
    key = re.search(rb"(?i)sec-websocket-key:\s*(\S+)", request)
    assert key is not None
    guid = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
    accept = base64.b64encode(hashlib.sha1(key.group(1) + guid).digest()).decode()
    return (
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Accept: {accept}\r\n\r\n"
    ).encode()


@pytest.fixture
def stalls(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> Iterator[Stalls]:
    found = Stalls(monkeypatch, tmp_path)
    yield found
    found.close()


@pytest.fixture
def tls_emulator(tmp_path: Any) -> Iterator[tuple[Emulator, str]]:
    """An emulator serving TLS, and the CA file that trusts it."""
    trustme = pytest.importorskip("trustme")
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    certfile, keyfile, cafile = (str(tmp_path / n) for n in ("cert.pem", "key.pem", "ca.pem"))
    for pem in cert.cert_chain_pems:
        pem.write_to_path(certfile, append=True)
    cert.private_key_pem.write_to_path(keyfile)
    ca.cert_pem.write_to_path(cafile)
    with Emulator(certfile=certfile, keyfile=keyfile) as emu:
        yield emu, cafile


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="no /proc/self/fd")
@pytest.mark.parametrize("step", ["resolve", "connect", "proxy", "tls", "upgrade", "auth"])
def test_disconnect_and_close_end_a_stalled_step_on_the_dial_loop_leaving_nothing(
    tls_emulator: tuple[Emulator, str],
    settings_for: Callable[..., Any],
    stalls: Stalls,
    step: str,
) -> None:
    """A client's attempt stalled at each step: ``disconnect()`` and ``close()`` return at
    once, the blocked ``connect()`` fails, and once closed no descriptor and no SDK thread
    (but the resolver's, while the system resolver hangs) is left."""
    emulator, cafile = tls_emulator
    host, port, overrides = stalls.start(step, emulator)
    emulator.advertise_ws(host, port)
    dialled = stalls.proxy.port if stalls.proxy is not None else port
    before = dialled_sockets(dialled)
    settings = settings_for(emulator, auto=False, connect_timeout=30.0, set_ca_bundle=cafile)
    for name, value in overrides.items():
        getattr(settings, name)(value)
    client = CometChatClient(emulator.app_id, settings.build())
    try:
        client.login("superhero1", emulator.auth_key)
        if stalls.proxy is not None and step == "proxy":
            stalls.proxy.blackhole()
        failures: list[BaseException] = []

        def connect() -> None:
            try:
                client.connect(timeout=30)
            except CometChatException as exc:
                failures.append(exc)

        thread = threading.Thread(target=connect, name="app-connect")
        thread.start()
        thread.join(0.5)
        assert thread.is_alive(), failures
        client.disconnect()
        thread.join(WAIT)
        assert not thread.is_alive() and len(failures) == 1
    finally:
        client.close()
    # The one documented exception: a resolver thread stuck in getaddrinfo ends when the
    # system resolver returns (it holds no socket and no lock).
    left = [
        t.name for t in cometchat_sync.sdk_threads() if not t.name.startswith("cometchat-resolve-")
    ]
    assert left == [], left
    stalls.close()  # the stalling servers' ends (in this process too) are not the client's
    close_idle_rest_connections()
    assert emulator.wait_until(lambda: dialled_sockets(dialled) <= before, WAIT), describe(
        dialled_sockets(dialled) - before
    )


# -- one client's listener and another client's close() ---------------------------------------


class BlockingOnDisconnected(ConnectionListener):
    """``on_disconnected`` blocks until :attr:`release` is set (at most ``hold`` s)."""

    def __init__(self, hold: float) -> None:
        super().__init__()
        self.hold = hold
        self.entered = threading.Event()
        self.release = threading.Event()
        self.left = threading.Event()

    def on_disconnected(self) -> None:
        self.entered.set()
        self.release.wait(self.hold)
        self.left.set()


def test_a_clients_close_does_not_wait_for_another_clients_blocked_listener(
    make_client: Callable[..., CometChatClient], emulator: Emulator
) -> None:
    """B's listener blocks (B has no socket and no deadline left). A's close() found the
    engine idle and joined every dispatch worker, B's busy one included: it waited for B's
    listener (up to its whole budget)."""
    a = make_client(auto=False)
    b = make_client(auto=False)
    # Held for less than A's budget, so a close() that waits for it outlasts it.
    listener = BlockingOnDisconnected(hold=2.0)
    b.add_connection_listener("blocks", listener)
    a.login("superhero1", emulator.auth_key)
    b.login("superhero2", emulator.auth_key)
    a.connect(timeout=WAIT)
    b.connect(timeout=WAIT)
    b.disconnect()
    assert listener.entered.wait(WAIT)
    try:
        a.close(timeout=2 * WAIT)  # the budget is A's to use, not B's listener's
        assert not listener.left.is_set(), "A's close() waited for B's listener"
    finally:
        listener.release.set()
    assert listener.left.wait(WAIT)


# -- a resolver thread that could not start ---------------------------------------------------


def test_a_resolver_thread_that_could_not_start_does_not_hold_up_later_resolutions(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``Thread.start()`` can fail (``RuntimeError: can't start new thread`` when the
    process is at its thread limit). The resolution was left registered as under way, so
    every later resolution of that name joined a thread that never ran and timed out."""

    host = "flaky-thread.test"
    real_start = threading.Thread.start
    failed: list[str] = []

    def start(self: threading.Thread) -> None:
        if self.name == f"cometchat-resolve-{host}" and not failed:
            failed.append(self.name)
            raise RuntimeError("can't start new thread")
        real_start(self)

    real_getaddrinfo = socket.getaddrinfo

    def getaddrinfo(name: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if name == host:
            return real_getaddrinfo("127.0.0.1", port, *args, **kwargs)
        return real_getaddrinfo(name, port, *args, **kwargs)

    monkeypatch.setattr(threading.Thread, "start", start)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    first = Dial()
    with contextlib.suppress(RuntimeError):
        _resolve.resolve(host, 80, time.monotonic() + 0.2, first)
    first.release()
    assert failed, "the premise: the first resolver thread did not start"
    second = Dial()
    try:
        infos = _resolve.resolve(host, 80, time.monotonic() + WAIT, second)
    finally:
        second.release()
    assert infos and infos[0][4][0] == "127.0.0.1"


# -- fork while a name is being resolved --------------------------------------------------------


@pytest.mark.skipif(not hasattr(os, "fork"), reason="the platform has no fork()")
def test_a_forked_child_resolves_a_name_the_parent_was_resolving(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The parent forks while a name's resolution hangs (a dial of its client in flight,
    as in a pre-fork server's master). The child inherited the parent's resolution as
    under way, though its thread does not exist there: every resolution of that name in
    the child joined it and ran out of time, so the child could never connect."""
    host = "slow-in-the-parent.test"
    parent = os.getpid()
    entered = threading.Event()
    released = threading.Event()
    real_getaddrinfo = socket.getaddrinfo

    def getaddrinfo(name: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if name == host:
            if os.getpid() == parent:
                entered.set()
                released.wait(WAIT)
            return real_getaddrinfo("127.0.0.1", port, *args, **kwargs)
        return real_getaddrinfo(name, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    job = _resolve.start(host, 80, lambda: None)
    try:
        assert entered.wait(WAIT)
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: resolve the name, say how it went, leave at once
            code = b"?"
            try:
                dial = Dial()
                infos = _resolve.resolve(host, 80, time.monotonic() + 1.0, dial)
                code = b"ok" if infos else b"empty"
            except BaseException as exc:
                code = type(exc).__name__.encode()
            finally:
                os.write(write_end, code)
                os._exit(0)
        os.close(write_end)
        try:
            assert wait_io([read_end], [], 3 * WAIT)[0], "the child said nothing"
            said = os.read(read_end, 100)
        finally:
            os.close(read_end)
            os.waitpid(pid, 0)
        assert said == b"ok", said
    finally:
        released.set()
        _resolve.forget(job, lambda: None)


# -- a TLS link on the read loop ----------------------------------------------------------------


def test_a_tls_link_on_the_read_loop_delivers_large_and_small_messages_in_order(
    tls_emulator: tuple[Emulator, str], settings_for: Callable[..., Any]
) -> None:
    """Over TLS a frame spans several records and a record several frames: the read loop's
    read of what is ready (want-read in the middle of a frame, records left in the TLS
    object) delivers every message, in order, with no wait for more bytes to arrive."""
    emulator, cafile = tls_emulator
    settings = settings_for(emulator, auto=False, set_ca_bundle=cafile).build()
    with CometChatClient(emulator.app_id, settings) as client:
        messages = MessageRecorder()
        client.add_message_listener("m", messages)
        client.login("superhero1", emulator.auth_key)
        client.connect(timeout=WAIT)
        sent = [("x" * 50_000 + str(n)) if n % 3 == 0 else f"small {n}" for n in range(60)]
        for text in sent:
            emulator.send_message("superhero2", "superhero1", text)
        assert messages.log.wait_for_count("on_text_message_received", len(sent), WAIT), len(
            messages.texts()
        )
        assert messages.texts() == sent


# -- client.threads() ---------------------------------------------------------------------------


def test_client_threads_names_the_timer_while_it_holds_the_clients_reconnect_wait(
    make_client: Callable[..., CometChatClient], emulator: Emulator
) -> None:
    """Between two attempts the client's next attempt is a deadline in the engine's timer
    (docs: ``threads()`` names "the timer while it holds a deadline of this client"); it
    named no thread then."""
    closed = socket.create_server(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()  # nothing listens there: every connect is refused at once
    emulator.advertise_ws("127.0.0.1", port)
    client = make_client(auto=True, backoff=(30.0, 60.0), probe_interval=30.0)
    connection = ConnectionRecorder()
    client.add_connection_listener("c", connection)
    client.login("superhero1", emulator.auth_key)
    assert connection.wait_for_error(WAIT) is not None
    assert emulator.wait_until(lambda: client._connection._reader.busy, WAIT)
    engine = [t.name for t in cometchat_sync.sdk_threads()]
    assert "cometchat-timer" in engine, engine  # the premise: the wait is in the timer
    names = [t.name for t in client.threads()]
    assert "cometchat-timer" in names, names


# -- renewals of refused credentials on the dispatch pool ---------------------------------------


class HeldRequests:
    """Holds the emulator's answers to ``GET`` requests whose path ends with ``suffix``
    until :meth:`release` (at most ``hold`` s); counts the held ones."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, suffix: str, hold: float) -> None:
        self.gate = threading.Event()
        self.held = 0
        self._lock = threading.Lock()
        real = emulator_rest.RestApp.handle

        def handle(app: Any, method: str, target: str, *args: Any) -> Any:
            if method == "GET" and target.partition("?")[0].endswith(suffix):
                with self._lock:
                    self.held += 1
                self.gate.wait(hold)
            return real(app, method, target, *args)

        monkeypatch.setattr(emulator_rest.RestApp, "handle", handle)

    def release(self) -> None:
        self.gate.set()


def test_renewals_held_by_a_slow_server_leave_workers_for_other_clients_listeners(
    make_client: Callable[..., CometChatClient],
    emulator: Emulator,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Four clients' socket credentials are refused at once (their JWTs expired) and the
    server is slow to renew them: each renewal (a REST call) held a dispatch worker, so
    the four workers were all held and a fifth client's messages waited for the server's
    answers to other clients' renewals. The catch-up's REST jobs are bounded to two
    workers for that very reason; the renewals were not."""
    held = HeldRequests(monkeypatch, "/me", hold=3 * WAIT)
    renewing = [f"superhero{i}" for i in range(1, 5)]
    # A renewal may take the whole request timeout: longer than this test waits.
    clients = [
        make_client(auto=False, connect_timeout=30.0, request_timeout=30.0) for _ in renewing
    ]
    for uid, client in zip(renewing, clients):
        client.login(uid, emulator.auth_key)
        client.connect(timeout=WAIT)
    listening = make_client(auto=False)
    messages = MessageRecorder()
    listening.add_message_listener("m", messages)
    listening.login("superhero5", emulator.auth_key)
    listening.connect(timeout=WAIT)
    try:
        for uid in renewing:
            emulator.expire_jwt(uid)
            emulator.close_sockets(uid, 1011)  # the reconnect's auth is refused: a renewal

        # Every refusal was read (no attempt left on the dial loop: each ended by asking
        # for its renewal) and two renewals at least are held by the server (all four when
        # nothing bounds them).
        dials = shared_dial_loop()
        assert emulator.wait_until(lambda: held.held >= 2 and dials.idle(), WAIT)
        emulator.send_message("superhero1", "superhero5", "still heard")
        assert messages.log.wait_for_count("on_text_message_received", 1, WAIT), (
            f"{held.held} renewals held every dispatch worker"
        )
    finally:
        held.release()
    assert messages.texts() == ["still heard"]


# -- deadlines far away -------------------------------------------------------------------------

#: A finite number of seconds the settings accept (a keepalive "turned off", a connect
#: timeout "with no limit") beyond what one wait of the platform can take.
FAR = 1e10


def test_a_deadline_far_away_does_not_end_the_timer_for_every_client() -> None:
    """``Condition.wait(1e10)`` raises OverflowError: the timer thread died at its first
    wait for that deadline, and every deadline of every client scheduled afterwards never
    fired (its thread handle stayed set, so none was started again)."""
    waiting = threading.Event()  # the timer thread read the clock: it waits next

    def clock() -> float:
        if threading.current_thread().name == "cometchat-timer-test":
            waiting.set()
        return time.monotonic()

    timer = SharedTimer("cometchat-timer-test", clock=clock)
    far = timer.call_later(FAR, lambda: None)
    assert waiting.wait(WAIT)  # from now on it waits for the far deadline
    soon = threading.Event()
    near = timer.call_later(0.05, soon.set)
    try:
        assert soon.wait(WAIT), "the timer no longer runs deadlines"
    finally:
        far.cancel()
        near.cancel()
        timer.stop_idle(WAIT)
    assert timer.thread is None


def test_a_connect_timeout_far_away_does_not_end_the_dial_loop() -> None:
    """``selector.select(1e10)`` raises OverflowError: the dial loop failed at once and
    cancelled every attempt in flight, each new attempt alike."""
    loop = DialLoop("cometchat-dial-test")
    dial = Dial()
    outcome = Outcome()
    ready_a, ready_b = socket.socketpair()

    def steps() -> Any:
        yield Wait(ready_a, False)
        return None

    loop.start(steps(), deadline=time.monotonic() + FAR, dial=dial, done=outcome)
    try:
        ready_b.send(b"x")
        assert outcome.event.wait(WAIT)
        assert outcome.error is None, repr(outcome.error)
    finally:
        dial.cancel()
        outcome.event.wait(WAIT)
        dial.release()
        loop.stop_idle(WAIT)
        ready_a.close()
        ready_b.close()


# -- fork while a dial is in flight -------------------------------------------------------------


@pytest.mark.skipif(not hasattr(os, "fork"), reason="the platform has no fork()")
def test_a_child_forked_while_its_parents_dial_is_in_flight_connects_on_its_own(
    make_client: Callable[..., CometChatClient],
    emulator: Emulator,
    fault_proxy: FaultProxy,
) -> None:
    """The parent forks while its client's attempt waits on the dial loop (the upgrade is
    not answered). The child has no dial loop thread and no attempt: its client must dial
    afresh on its first call and connect, and the parent's attempt goes on."""
    fault_proxy.blackhole()  # the first attempt hangs at the upgrade
    client = make_client(auto=False, connect_timeout=30.0)
    client.login("superhero1", emulator.auth_key)
    failures: list[BaseException] = []

    def connect() -> None:
        try:
            client.connect(timeout=30.0)
        except CometChatException as exc:
            failures.append(exc)

    connecting = threading.Thread(target=connect, name="app-connect")
    connecting.start()
    assert fault_proxy.wait_for_connections(1, WAIT)
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: say whether its client connects
        answer = b"?"
        try:
            client.connect(timeout=WAIT)
            answer = b"connected"
        except BaseException as exc:
            answer = f"{type(exc).__name__} {client.get_connection_status().value}".encode()
        finally:
            os.write(write_end, answer)
            os._exit(0)
    os.close(write_end)
    try:
        fault_proxy.pass_through()  # from now on the child's dial gets through
        assert wait_io([read_end], [], 3 * WAIT)[0], "the child said nothing"
        said = os.read(read_end, 1000).decode()
    finally:
        os.close(read_end)
        os.waitpid(pid, 0)
    assert said == "connected", said
    # The parent's attempt went on: it connected once the proxy let its upgrade through,
    # or it is still in flight; either way disconnect() ends it.
    client.disconnect()
    connecting.join(WAIT)
    assert not connecting.is_alive() and len(failures) <= 1
    assert client.get_connection_status().value == "disconnected"
