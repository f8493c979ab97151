"""Each step of a dial against a server or resolver that hangs: name resolution, TCP connect,
TLS handshake, HTTP upgrade. ``disconnect()`` and ``close()`` end every step at once, each
step ends within the connect timeout, and no SDK thread outlives ``close()``. Also: a process
with more than 1024 descriptors connects (no ``select.select`` anywhere), and an unexpected
exception inside the dial is reported as ``ERR_WEBSOCKET_ERROR``."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import logging
import os
import re
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from typing import Any
from typing import Callable

import pytest
import websocket

from cometchat_sync import CometChatClient
from cometchat_sync import CometChatException
from cometchat_sync import TextMessage
from cometchat_sync.connection import dialler
from cometchat_sync.connection.dialler import WebSocketTransport
from cometchat_sync.connection.transport import Dial
from cometchat_sync.connection.transport import DialCancelled
from cometchat_sync.connection.transport import DialError
from cometchat_sync.testing import ConnectionRecorder
from cometchat_sync.testing import Emulator
from cometchat_sync.testing import FullBacklog
from cometchat_sync.testing import MessageRecorder
from cometchat_sync.testing.proxy import FaultProxy

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
A = "superhero1"
B = "superhero2"
WAIT = 5.0
#: What ``disconnect()``/``close()`` may take while a step hangs (they cancel, never wait it out).
PROMPT = 1.0


def sdk_threads() -> list[threading.Thread]:
    """The SDK's threads alive (the emulator's are named ``cometchat-emulator-*``)."""
    return [
        t
        for t in threading.enumerate()
        if t.name.startswith("cometchat-") and not t.name.startswith("cometchat-emulator")
    ]


def logged_in(make_client: Callable[..., CometChatClient], emulator: Emulator, **kw: Any):
    client = make_client(auto=False, **kw)
    client.login(A, emulator.auth_key)
    return client


# -- descriptors numbered above 1024 ---------------------------------------------------------


@pytest.fixture
def many_descriptors() -> Iterator[Callable[[], None]]:
    """``fill()``: take every free descriptor up to number 1100 (raising the soft
    RLIMIT_NOFILE when it is lower), so the next sockets get numbers above 1024 (select()'s
    FD_SETSIZE). Call it right before the step under test: descriptors other threads free
    meanwhile (a closed keep-alive connection) would otherwise be numbered below."""
    resource = pytest.importorskip("resource")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = 1300
    if hard != resource.RLIM_INFINITY and hard < want:
        pytest.skip(f"the hard descriptor limit ({hard}) is below {want}")
    if soft != resource.RLIM_INFINITY and soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    held: list[int] = []

    def fill() -> None:
        while True:
            fd = os.open(os.devnull, os.O_RDONLY)
            held.append(fd)
            if fd >= 1100:
                return

    try:
        yield fill
    finally:
        for fd in held:
            os.close(fd)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_a_process_holding_over_1024_descriptors_connects_and_receives(
    emulator, make_client, closing, many_descriptors
):
    receiver = logged_in(make_client, emulator)
    messages = MessageRecorder()
    receiver.add_message_listener("m", messages)
    many_descriptors()
    receiver.connect(timeout=WAIT)  # raised ValueError inside select() before
    link = receiver._connection._lc.current.link  # the premise: the socket is numbered >1024
    assert link._raw.fileno() > 1024
    sender = make_client(auto=False)
    sender.login(B, emulator.auth_key)
    sender.send_message(TextMessage(A, "over the fence"))
    assert messages.log.wait_for_count("on_text_message_received", 1, WAIT)
    assert messages.texts() == ["over the fence"]
    receiver.disconnect()


# -- servers and a resolver that hang --------------------------------------------------------

HANGING_HOST = "ws.hanging-resolver.test"


class HangingResolver:
    """``socket.getaddrinfo`` blocks for :data:`HANGING_HOST` until :meth:`release`."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.entered = threading.Event()
        self.released = threading.Event()
        real = socket.getaddrinfo

        def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
            if host == HANGING_HOST:
                self.entered.set()
                self.released.wait(30)
                raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
            return real(host, *args, **kwargs)

        monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)

    def release(self) -> None:
        self.released.set()


def upgrade_answer(request: bytes) -> bytes:
    """A valid 101 answer to ``request`` (RFC 6455 section 4.2.2)."""
    key = re.search(rb"(?i)sec-websocket-key:\s*(\S+)", request)
    assert key is not None
    accept = base64.b64encode(hashlib.sha1(key.group(1) + GUID).digest()).decode()
    return (
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Accept: {accept}\r\n\r\n"
    ).encode()


class Dripper:
    """Answers the upgrade with a valid 101, one byte every 50 ms (about 7 s in all); with
    ``drip=False``, at once, and then says nothing more (no answer to the ``auth`` frame)."""

    def __init__(self, drip: bool = True) -> None:
        self.drip = drip
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, name="dripper", daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        with contextlib.suppress(OSError):
            conn, _ = self.listener.accept()
            with conn:
                request = b""
                while b"\r\n\r\n" not in request:
                    request += conn.recv(4096)
                answer = upgrade_answer(request)
                if not self.drip:
                    conn.sendall(answer)
                    self.stop.wait(30)
                    return
                for byte in answer:
                    if self.stop.wait(0.05):
                        return
                    conn.sendall(bytes([byte]))

    def close(self) -> None:
        self.stop.set()
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)
        self.listener.close()
        self.thread.join(WAIT)


class Hangs:
    """``start(step)`` starts something that hangs at ``step`` and returns the (host, port)
    to dial: ``resolve`` (the resolver never answers), ``connect`` (a full backlog), ``tls``
    (a server that never answers the ClientHello), ``upgrade`` (a 101 dripped byte by
    byte), ``auth`` (upgraded, then no answer to the ``auth`` frame). :meth:`close` releases
    and closes everything."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.resolver = HangingResolver(monkeypatch)
        self.things: list[Any] = []

    def start(self, step: str) -> tuple[str, int]:
        if step == "resolve":
            return HANGING_HOST, 443
        if step == "connect":
            backlog = FullBacklog()
            self.things.append(backlog.close)
            return "127.0.0.1", backlog.port
        if step == "tls":
            silent = FaultProxy("127.0.0.1", 9).start()  # blackholed: accepts, never answers
            silent.blackhole()
            self.things.append(silent.stop)
            return silent.host, silent.port
        dripper = Dripper(drip=step == "upgrade")  # "auth": upgraded, then silent
        self.things.append(dripper.close)
        return "127.0.0.1", dripper.port

    def close(self) -> None:
        self.resolver.release()
        for close in reversed(self.things):
            close()


@pytest.fixture
def hang(monkeypatch: pytest.MonkeyPatch) -> Iterator[Hangs]:
    hangs = Hangs(monkeypatch)
    yield hangs
    hangs.close()


STEPS = ["resolve", "connect", "tls", "upgrade"]
#: What each step's failure says when it runs out of time.
TIMEOUT_TEXT = {
    "resolve": ("ERR_NO_INTERNET", "not resolved within"),
    "connect": ("ERR_NO_INTERNET", "did not answer the TCP connect in time"),
    "tls": ("ERR_WEBSOCKET_ERROR", "TLS handshake"),
    "upgrade": ("ERR_WEBSOCKET_ERROR", "WebSocket upgrade"),
}


def transport_for(step: str) -> tuple[WebSocketTransport, str]:
    scheme = "wss" if step == "tls" else "ws"
    return WebSocketTransport(ssl_context=ssl.create_default_context()), scheme


@pytest.mark.parametrize("step", STEPS)
def test_each_step_ends_at_the_attempts_deadline(hang, step):
    host, port = hang.start(step)
    transport, scheme = transport_for(step)
    dial = Dial()
    started = time.monotonic()
    with pytest.raises(DialError) as info:
        transport.open(f"{scheme}://{host}:{port}/", timeout=0.5, dial=dial)
    elapsed = time.monotonic() - started
    dial.release()
    assert 0.45 <= elapsed < 1.5, elapsed  # a total deadline: not per recv(), not per step
    code, text = TIMEOUT_TEXT[step]
    assert info.value.code == code
    assert text in info.value.message


@pytest.mark.parametrize("step", STEPS)
def test_dial_cancel_ends_each_step_at_once(hang, step):
    host, port = hang.start(step)
    transport, scheme = transport_for(step)
    dial = Dial()
    outcome: list[BaseException] = []

    def run() -> None:
        try:
            transport.open(f"{scheme}://{host}:{port}/", timeout=30, dial=dial)
        except BaseException as exc:
            outcome.append(exc)

    thread = threading.Thread(target=run, name="dialling")
    thread.start()
    thread.join(0.3)
    assert thread.is_alive()  # it hangs in the step
    started = time.monotonic()
    dial.cancel()
    thread.join(PROMPT)
    assert not thread.is_alive()
    assert time.monotonic() - started < 0.5
    dial.release()
    assert len(outcome) == 1 and isinstance(outcome[0], DialCancelled)


@pytest.mark.parametrize("step", ["resolve", "connect", "upgrade", "auth"])
def test_disconnect_and_close_end_a_hanging_step_and_leave_no_thread(
    emulator, make_client, hang, step
):
    host, port = hang.start(step)
    emulator.advertise_ws(host, port)
    client = logged_in(make_client, emulator, connect_timeout=30.0)
    failures: list[BaseException] = []

    def connect() -> None:
        try:
            client.connect(timeout=30)
        except CometChatException as exc:
            failures.append(exc)

    thread = threading.Thread(target=connect, name="app-connect")
    thread.start()
    thread.join(0.3)
    assert thread.is_alive()
    started = time.monotonic()
    client.disconnect()
    assert time.monotonic() - started < PROMPT
    thread.join(PROMPT)
    assert not thread.is_alive() and len(failures) == 1
    started = time.monotonic()
    client.close()
    assert time.monotonic() - started < PROMPT
    alive = [t.name for t in sdk_threads()]
    if step == "resolve":
        # Only the resolver may outlive close(), while the system resolver hangs.
        assert alive == [f"cometchat-resolve-{HANGING_HOST}"]
    else:
        assert alive == []


def test_an_abandoned_resolver_thread_ends_when_the_resolver_returns(emulator, make_client, hang):
    host, port = hang.start("resolve")
    emulator.advertise_ws(host, port)
    client = logged_in(make_client, emulator, connect_timeout=0.3)
    for _ in range(3):  # retries wait for the one resolver still running: one thread
        with pytest.raises(CometChatException) as info:
            client.connect(timeout=5)
        assert info.value.code == "ERR_NO_INTERNET"
    resolvers = [t for t in sdk_threads() if t.name.startswith("cometchat-resolve-")]
    assert len(resolvers) == 1
    client.close()
    hang.resolver.release()
    resolvers[0].join(WAIT)
    assert not resolvers[0].is_alive()


# -- an unexpected exception inside the dial --------------------------------------------------


def test_an_unexpected_exception_in_the_dial_is_a_dial_error_and_closes_the_socket(
    emulator, monkeypatch, caplog
):
    handed: list[socket.socket] = []

    def broken_link(ws: Any, raw: socket.socket, *args: Any, **kwargs: Any) -> Any:
        handed.append(raw)
        raise RuntimeError("a bug")

    monkeypatch.setattr(dialler, "WebSocketLink", broken_link)
    caplog.set_level(logging.DEBUG, logger="cometchat_sync")
    dial = Dial()
    with pytest.raises(DialError) as info:
        WebSocketTransport().open(emulator.ws_url, timeout=WAIT, dial=dial)
    dial.release()
    assert info.value.code == "ERR_WEBSOCKET_ERROR"
    assert "RuntimeError" in info.value.message and not info.value.unreachable
    assert handed and handed[0].fileno() == -1  # its socket is closed
    tracebacks = [r for r in caplog.records if r.exc_info and r.levelno == logging.DEBUG]
    assert len(tracebacks) == 1


# -- secrets and websocket-client's trace ------------------------------------------------------


@pytest.fixture
def websocket_trace() -> Iterator[None]:
    """``websocket.enableTrace(True)``, as users turn it on to debug; undone after."""
    logger = logging.getLogger("websocket")
    handlers, level = list(logger.handlers), logger.level
    websocket.enableTrace(True)
    try:
        yield
    finally:
        websocket.enableTrace(False)
        logger.handlers[:] = handlers
        logger.setLevel(level)


def test_websocket_trace_never_shows_a_secret(
    emulator, make_client, websocket_trace, caplog, capfd
):
    caplog.set_level(logging.DEBUG)  # every library's loggers, the SDK's wire trace included
    client = make_client()
    connection = ConnectionRecorder()
    client.add_connection_listener("c", connection)
    client.login(A, emulator.auth_key)
    client.wait_until_connected(WAIT)
    session = client.settings.session_store.load()
    assert session is not None
    secrets = [emulator.auth_key, session.auth_token, session.jwt]
    client.send_message(TextMessage(B, "hello"))
    assert emulator.close_sockets(A, 1011) == 1  # reconnect: a second auth frame
    assert connection.wait_for_status("connected", WAIT, count=2)
    client.logout()
    websocket._logging.trace("probe: the trace is on and captured")
    out, err = capfd.readouterr()
    printed = out + err + caplog.text
    assert "probe: the trace is on and captured" in printed
    for secret in secrets:
        assert secret not in printed
