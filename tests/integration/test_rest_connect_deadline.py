"""A REST call's total deadline covers the steps before its request too: name resolution,
TCP connect, the proxy's ``CONNECT`` tunnel and the TLS handshake (``rest/deadline.py``).
And a renewal of the credentials stuck in any of those steps is cancelled at once by
``close()`` and ``disconnect()``: the reader's ``on_socket`` hook has a socket to shut down
before the host name is even resolved.

Each step hangs on its own server or resolver: ``resolve`` (``getaddrinfo`` of
:data:`REST_HOST` blocks), ``connect`` (a listener with a full backlog: the SYN is dropped),
``proxy`` (a proxy that drips, or never sends, its answer to ``CONNECT``), ``tls`` (a server
that accepts and never answers the ClientHello). For the connect and TLS steps the name takes
a while to resolve first, so that only a deadline kept across the steps ends the call in
time (the step's own connect timeout would not).
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any
from typing import Callable
from typing import Optional

import pytest

from cometchat_sync import AppSettingsBuilder
from cometchat_sync import CometChatClient
from cometchat_sync.errors import CometChatException
from cometchat_sync.errors import ErrorCode
from cometchat_sync.session import MemorySessionStore
from cometchat_sync.session import Session
from cometchat_sync.testing import FullBacklog
from cometchat_sync.testing.listeners import ConnectionRecorder
from cometchat_sync.testing.proxy import ConnectProxy
from cometchat_sync.testing.proxy import FaultProxy

APP = "app-connect-deadline"
UID = "superhero1"
REST_HOST = "rest.phase-under-test.test"
GRACE = 1.5  # what a call may take past its deadline (a loaded machine), never more
PROMPT = 1.0  # close() and disconnect() with a renewal in flight
WAIT = 5.0


# -- what hangs ------------------------------------------------------------------------------


class Resolver:
    """``socket.getaddrinfo`` of :data:`REST_HOST` (the one the resolver thread calls):
    :meth:`point` answers at once with another address, :meth:`slow` after a while,
    :meth:`hang` never (until :meth:`release`, at teardown)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.asked = threading.Event()
        self.released = threading.Event()
        self._address: tuple[str, int] = ("127.0.0.1", 9)
        self._delay: Optional[float] = 0.0  # None: hang
        real = socket.getaddrinfo

        def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
            if host != REST_HOST:
                return real(host, port, *args, **kwargs)
            address, delay = self._address, self._delay
            self.asked.set()
            if delay != 0.0 and (self.released.wait(delay) or delay is None):
                raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure")
            return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", address)]

        # The socket module's own: what the resolver thread (cometchat_sync._resolve) calls.
        monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)

    def point(self, port: int, delay: float = 0.0) -> None:
        self._address, self._delay = ("127.0.0.1", port), delay
        self.asked.clear()

    def hang(self) -> None:
        self._delay = None
        self.asked.clear()

    def release(self) -> None:
        self.released.set()


class DrippingProxy:
    """An HTTP proxy that answers ``CONNECT`` one byte every 50 ms, for ever (a status line,
    then one endless header)."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.stop = threading.Event()
        self.asked = threading.Event()
        self.thread = threading.Thread(target=self._serve, name="dripping-proxy", daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        with contextlib.suppress(OSError):
            conn, _ = self.listener.accept()
            with conn:
                conn.recv(65536)
                self.asked.set()
                answer = b"HTTP/1.1 200 Connection established\r\nX-Drip: "
                for i in range(1_000_000):
                    if self.stop.wait(0.05):
                        return
                    conn.sendall(answer[i : i + 1] or b"a")

    def close(self) -> None:
        self.stop.set()
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)
        self.listener.close()
        self.thread.join(WAIT)


class Things:
    """What a test started, closed (and the resolver released) at teardown."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.resolver = Resolver(monkeypatch)
        self._closers: list[Callable[[], None]] = []

    def backlog(self) -> int:
        backlog = FullBacklog()
        self._closers.append(backlog.close)
        return backlog.port

    def silent(self) -> FaultProxy:
        """A server that accepts and never answers (a blackholed proxy to nowhere)."""
        silent = FaultProxy("127.0.0.1", 9).start()
        silent.blackhole()
        self._closers.append(silent.stop)
        return silent

    def dripping_proxy(self) -> DrippingProxy:
        proxy = DrippingProxy()
        self._closers.append(proxy.close)
        return proxy

    def later(self, close: Callable[[], None]) -> None:
        self._closers.append(close)

    def close(self) -> None:
        self.resolver.release()
        for close in reversed(self._closers):
            close()


@pytest.fixture
def things(monkeypatch: pytest.MonkeyPatch) -> Iterator[Things]:
    for name in list(os.environ):
        if name.lower().endswith("_proxy"):
            monkeypatch.delenv(name)
    made = Things(monkeypatch)
    try:
        yield made
    finally:
        made.close()


def bounded(call: Callable[[], Any], limit: float) -> BaseException:
    """Run ``call`` in a thread; what it raised, once it ended within ``limit`` seconds (the
    test fails if it is still running then: the thread ends at teardown)."""
    outcome: list[BaseException] = []

    def run() -> None:
        try:
            call()
        except BaseException as exc:
            outcome.append(exc)

    thread = threading.Thread(target=run, name="rest-call", daemon=True)
    started = time.monotonic()
    thread.start()
    thread.join(limit)
    took = time.monotonic() - started
    assert not thread.is_alive(), f"the call was still running after {took:.1f} s"
    assert outcome, "the call succeeded"
    return outcome[0]


# -- one call ends by its deadline, whatever step hangs ---------------------------------------


def client_for(url: str, closing: Any, timeout: float, proxy: Optional[str] = None) -> Any:
    """A manual-mode client aimed at ``url`` whose store already holds a session."""
    store = MemorySessionStore(APP)
    store.save(Session(UID, "auth-token", "jwt", {"uid": UID}, {}))
    builder = (
        AppSettingsBuilder()
        .override_client_host(url)
        .override_admin_host(url)
        .set_session_store(store)
        .auto_establish_socket_connection(False)
        .set_request_timeout(timeout)
        .set_connect_timeout(timeout)
    )
    if proxy is not None:
        builder.set_proxy(proxy)
    return closing(CometChatClient(APP, builder.build()))


@pytest.mark.parametrize("step", ["resolve", "connect", "proxy", "tls"])
def test_a_call_ends_by_its_deadline_whatever_step_hangs(things, closing, step):
    """resolve: the name never resolves (1 s call); connect: the name takes 2 s, then the
    TCP connect hangs (3 s call: 1 s is left for the connect, not a fresh 3 s); proxy: the
    proxy drips its ``CONNECT`` answer (1 s call: each read is quick, the whole is endless);
    tls: the name takes 2 s, then the server never answers the ClientHello (3 s call)."""
    timeout, proxy = 1.0, None
    url = f"http://{REST_HOST}:80"
    if step == "resolve":
        things.resolver.hang()
    elif step == "connect":
        timeout = 3.0
        things.resolver.point(things.backlog(), delay=2.0)
    elif step == "proxy":
        url = "https://api.dripping-proxy.test"
        proxy = things.dripping_proxy().url
    else:
        timeout = 3.0
        url = f"https://{REST_HOST}:443"
        things.resolver.point(things.silent().port, delay=2.0)
    client = client_for(url, closing, timeout, proxy)

    error = bounded(lambda: client.get_user("superhero2"), timeout + GRACE)

    assert isinstance(error, CometChatException), repr(error)
    assert error.code == ErrorCode.TIMEOUT, error


# -- a renewal stuck in any step is cancelled at once -----------------------------------------


@pytest.fixture
def tls_emulator(tmp_path: Any) -> Iterator[tuple[Any, str]]:
    """An emulator serving TLS (its certificate names :data:`REST_HOST` too) and the CA file
    that trusts it."""
    trustme = pytest.importorskip("trustme")
    from cometchat_sync.testing import Emulator  # noqa: PLC0415 (the optional extra)

    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost", REST_HOST)
    certfile, keyfile, cafile = (str(tmp_path / n) for n in ("cert.pem", "key.pem", "ca.pem"))
    cert.cert_chain_pems[0].write_to_path(certfile)
    for pem in cert.cert_chain_pems[1:]:
        pem.write_to_path(certfile, append=True)
    cert.private_key_pem.write_to_path(keyfile)
    ca.cert_pem.write_to_path(cafile)
    with Emulator(certfile=certfile, keyfile=keyfile) as emu:
        yield emu, cafile


@pytest.mark.parametrize(
    ("step", "how"),
    # close() in every step; disconnect() ends the attempt through the same cancel, so one
    # step shows it (each case costs about 5 s of setup).
    [
        ("resolve", "close"),
        ("connect", "close"),
        ("proxy", "close"),
        ("tls", "close"),
        ("tls", "disconnect"),
    ],
)
def test_a_renewal_stuck_before_its_request_is_cancelled_at_once(
    things, tls_emulator, settings_for, closing, step, how
):
    """The REST host is :data:`REST_HOST` (through a pass-through proxy, so that its pooled
    connection can be cut); after the JWT expired and the link dropped, the renewal's
    ``GET me`` needs a new connection, and that hangs at ``step``."""
    emu, cafile = tls_emulator
    front = FaultProxy("127.0.0.1", emu.port).start()
    things.later(front.stop)
    things.resolver.point(front.port)
    builder = (
        settings_for(emu, request_timeout=30.0, connect_timeout=30.0)
        .override_client_host(f"https://{REST_HOST}:{emu.port}")
        .set_ca_bundle(cafile)
    )
    tunnel: Optional[ConnectProxy] = None
    if step == "proxy":  # REST only (the socket's host is in NO_PROXY)
        tunnel = ConnectProxy()
        tunnel.start()
        things.later(tunnel.stop)
        monkeypatch = pytest.MonkeyPatch()
        things.later(monkeypatch.undo)
        monkeypatch.setenv("HTTPS_PROXY", tunnel.url)
        monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    client = closing(CometChatClient(emu.app_id, builder.build()))
    rec = ConnectionRecorder()
    client.add_connection_listener("rec", rec)
    client.login(UID, emu.auth_key)
    assert rec.wait_for_status("connected", WAIT)

    emu.expire_jwt(UID)
    front.cut()  # the pooled REST connection is gone: the renewal opens a new one
    stuck: Callable[[], bool]
    if step == "resolve":
        things.resolver.hang()
        stuck = things.resolver.asked.is_set
    elif step == "connect":
        things.resolver.point(things.backlog())
        stuck = things.resolver.asked.is_set
    elif step == "proxy":
        assert tunnel is not None
        tunnel.cut()
        tunnel.blackhole()
        accepted = tunnel.connections_accepted
        stuck = lambda: tunnel.connections_accepted > accepted  # noqa: E731
    else:
        silent = things.silent()
        things.resolver.point(silent.port)
        stuck = lambda: silent.connections_accepted > 0  # noqa: E731
    emu.close_sockets(UID, 1006)
    # Polled: emulator.wait_until re-checks only on the emulator's own state changes, and
    # a hanging resolver or proxy is none (it waited out its whole timeout).
    deadline = time.monotonic() + WAIT
    while not stuck():
        assert time.monotonic() < deadline, f"the renewal never reached the {step} step"
        time.sleep(0.01)
    time.sleep(0.3)  # well inside the step

    started = time.monotonic()
    if how == "disconnect":
        client.disconnect()
    else:
        client.close()
        assert client.threads() == [], "an SDK thread outlived close()"
    assert time.monotonic() - started < PROMPT
    assert client.get_connection_status() == "disconnected"
