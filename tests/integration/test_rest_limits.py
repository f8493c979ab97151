"""REST calls against misbehaving servers: each call ends by its total deadline, reads no more
than the response size cap, follows no redirect with its credentials, and no exception it
raises holds or chains to a secret.

The servers are tiny raw HTTP servers (one thread per connection) that script the bytes of
the answer: dripped a byte at a time, endless, announcing a huge body, redirecting to a
second server that records what it receives.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import tracemalloc
from collections.abc import Iterator
from typing import Any
from typing import Callable
from typing import Optional

import pytest
import requests

from cometchat_sync import AppSettingsBuilder
from cometchat_sync import CometChatClient
from cometchat_sync.errors import CometChatException
from cometchat_sync.errors import ErrorCode
from cometchat_sync.session import MemorySessionStore
from cometchat_sync.session import Session

APP = "app-limits"
TOKEN = "SECRET-AUTH-TOKEN-0123456789abcdef"
AUTH_KEY = "SECRET-AUTH-KEY-fedcba9876543210"
ENVELOPE = b'{"data":{"uid":"superhero2","name":"Two"}}'
CAP = 64 * 1024

Handler = Callable[["Connection"], None]


class Connection:
    """One accepted connection, for a handler: what was asked and a way to answer."""

    def __init__(self, sock: socket.socket, server: RawHttpServer) -> None:
        self.sock = sock
        self.server = server

    def read_request(self) -> bytes:
        """The request's line and headers (the body of our calls is small and ignored)."""
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = self.sock.recv(65536)
            if not chunk:
                break
            data += chunk
        self.server.requests.append(data)
        return data

    def send(self, data: bytes) -> bool:
        """Send ``data``; False once the client has gone."""
        try:
            self.sock.sendall(data)
        except OSError:
            return False
        with self.server.lock:
            self.server.sent += len(data)
        return True

    def pause(self, seconds: float) -> bool:
        """Wait; False when the server stops."""
        return not self.server.stopping.wait(seconds)


class RawHttpServer:
    """A loopback server that runs ``handler`` on every connection it accepts."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.requests: list[bytes] = []
        self.connections = 0
        self.sent = 0
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._threads: list[threading.Thread] = []
        self._accepter = threading.Thread(target=self._accept, name="raw-http-accept")
        self._accepter.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _accept(self) -> None:
        while not self.stopping.is_set():
            try:
                sock, _ = self._listener.accept()
            except OSError:
                return
            self.connections += 1
            thread = threading.Thread(target=self._serve, args=(sock,), name="raw-http-conn")
            self._threads.append(thread)
            thread.start()

    def _serve(self, sock: socket.socket) -> None:
        with sock, contextlib.suppress(OSError):
            self.handler(Connection(sock, self))

    def close(self) -> None:
        self.stopping.set()
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept()
        self._listener.close()
        self._accepter.join(5)
        assert not self._accepter.is_alive()
        for thread in self._threads:
            thread.join(5)
            assert not thread.is_alive()


@pytest.fixture
def serve() -> Iterator[Callable[[Handler], RawHttpServer]]:
    servers: list[RawHttpServer] = []

    def start(handler: Handler) -> RawHttpServer:
        server = RawHttpServer(handler)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


def head(status: str = "200 OK", **headers: object) -> bytes:
    lines = [f"HTTP/1.1 {status}", "Content-Type: application/json"]
    lines += [f"{name.replace('_', '-')}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def client_for(url: str, closing: Any, **settings: Any) -> CometChatClient:
    """A manual-mode client aimed at ``url`` whose store already holds a session (its auth
    token is :data:`TOKEN`), with a 0.5 s request timeout and a 64 KiB response cap."""
    store = MemorySessionStore(APP)
    store.save(Session("superhero1", TOKEN, "jwt", {"uid": "superhero1"}, {}))
    builder = (
        AppSettingsBuilder()
        .override_client_host(url)
        .override_admin_host(url)
        .set_session_store(store)
        .auto_establish_socket_connection(False)
        .set_request_timeout(settings.pop("request_timeout", 0.5))
        .set_connect_timeout(0.5)
        .set_max_response_size(CAP)
    )
    client: CometChatClient = closing(CometChatClient(APP, builder.build()))
    return client


# -- a total deadline per call ------------------------------------------------------------

DRIPPED = 300  # bytes, one every 20 ms: 6 s for the whole answer


def drip(part: str) -> Handler:
    """A server that drips its answer's ``part`` ("headers" or "body") a byte at a time."""

    def handler(conn: Connection) -> None:
        conn.read_request()
        body = ENVELOPE + b" " * (DRIPPED - len(ENVELOPE))
        header = head(Content_Length=len(body))
        slow, fast = (header, body) if part == "headers" else (body, header)
        if part == "body" and not conn.send(fast):
            return
        for i in range(len(slow)):
            if not conn.send(slow[i : i + 1]) or not conn.pause(0.02):
                return
        if part == "headers":
            conn.send(fast)

    return handler


@pytest.mark.parametrize("part", ["headers", "body"])
def test_a_dripping_server_cannot_stretch_a_call_past_its_deadline(
    serve: Callable[[Handler], RawHttpServer], closing: Any, part: str
) -> None:
    server = serve(drip(part))
    client = client_for(server.url, closing)

    with pytest.raises(CometChatException) as raised:
        client.get_user("superhero2")

    assert raised.value.code == ErrorCode.TIMEOUT
    # The client hung up long before the answer was complete (0.5 s of 6 s of dripping).
    assert server.sent < DRIPPED


def test_login_against_a_dripping_server_ends_by_its_deadline(
    serve: Callable[[Handler], RawHttpServer], closing: Any
) -> None:
    server = serve(drip("body"))
    client = closing(
        CometChatClient(
            APP,
            AppSettingsBuilder()
            .override_client_host(server.url)
            .override_admin_host(server.url)
            .set_session_store(MemorySessionStore(APP))
            .auto_establish_socket_connection(False)
            .set_request_timeout(0.5)
            .build(),
        )
    )

    with pytest.raises(CometChatException) as raised:
        client.login("superhero2", AUTH_KEY)

    assert raised.value.code == ErrorCode.TIMEOUT
    assert server.sent < DRIPPED


# -- a cap on the body ----------------------------------------------------------------------


# Made before the memory is traced: only the client's memory counts.
CHUNK = b"10000\r\n" + b" " * 0x10000 + b"\r\n"
BLOCK = b" " * (1 << 20)


def endless(conn: Connection) -> None:
    """A chunked answer that never ends (it stops at 64 MiB so that a test of the old,
    uncapped reader ends too)."""
    conn.read_request()
    if not conn.send(head(Transfer_Encoding="chunked")):
        return
    for _ in range(1024):
        if not conn.send(CHUNK):
            return


def huge(conn: Connection) -> None:
    """An answer announcing 100 MB, and sending them."""
    conn.read_request()
    size = 100 * 1000 * 1000
    if not conn.send(head(Content_Length=size)):
        return
    for _ in range(size // len(BLOCK)):
        if not conn.send(BLOCK):
            return


@pytest.mark.parametrize("handler", [endless, huge], ids=["endless", "huge Content-Length"])
def test_an_over_long_answer_is_refused_without_reading_it_all(
    serve: Callable[[Handler], RawHttpServer], closing: Any, handler: Handler
) -> None:
    server = serve(handler)
    client = client_for(server.url, closing, request_timeout=10.0)

    tracemalloc.start()
    try:
        with pytest.raises(CometChatException) as raised:
            client.get_user("superhero2")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert raised.value.code == ErrorCode.RESPONSE_TOO_LARGE
    assert raised.value.details["limit"] == CAP
    # Memory grew by about the cap (64 KiB), not by the answer (64 MiB or 100 MB).
    assert peak < 16 * CAP


def test_an_answer_within_the_cap_is_read(
    serve: Callable[[Handler], RawHttpServer], closing: Any
) -> None:
    padding = b" " * (CAP - len(ENVELOPE) - 10)

    def handler(conn: Connection) -> None:
        conn.read_request()
        body = ENVELOPE + padding
        conn.send(head(Content_Length=len(body)) + body)

    client = client_for(serve(handler).url, closing)

    assert client.get_user("superhero2").uid == "superhero2"


# -- no redirect carries the credentials ----------------------------------------------------


def answer(body: bytes) -> Handler:
    def handler(conn: Connection) -> None:
        conn.read_request()
        conn.send(head(Content_Length=len(body)) + body)

    return handler


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_to_another_host_gets_no_credentials(
    serve: Callable[[Handler], RawHttpServer], closing: Any, status: int
) -> None:
    elsewhere = serve(answer(ENVELOPE))
    target = f"http://localhost:{elsewhere.port}/v3.0/users/superhero2?secret=query"

    def redirect(conn: Connection) -> None:
        conn.read_request()
        conn.send(head(f"{status} Moved", Location=target, Content_Length=0))

    client = client_for(serve(redirect).url, closing)

    with pytest.raises(CometChatException) as raised:
        client.get_user("superhero2")

    assert raised.value.code == ErrorCode.FAILED_TO_FETCH
    assert raised.value.details["status"] == status
    assert str(status) in raised.value.message
    assert "secret=query" not in str(raised.value)
    assert elsewhere.connections == 0
    assert elsewhere.requests == []


# -- no secret reachable from a raised exception --------------------------------------------


def secrets_reachable(root: object, secrets: tuple[str, ...]) -> list[str]:
    """Paths from ``root`` to any string holding a secret, walking exception chains, args,
    attributes (``vars`` and slots), mappings and sequences."""
    found: list[str] = []
    seen: set[int] = set()
    queue: list[tuple[object, str, int]] = [(root, "exc", 0)]
    while queue and len(seen) < 50_000:
        obj, path, depth = queue.pop()
        if id(obj) in seen or depth > 12:
            continue
        seen.add(id(obj))
        if isinstance(obj, (str, bytes)):
            text = obj if isinstance(obj, str) else obj.decode("latin-1")
            found += [path for secret in secrets if secret in text]
            continue
        if isinstance(obj, (int, float, bool, type(None), type, type(len))):
            continue
        children: list[tuple[object, str]] = []
        if isinstance(obj, BaseException):
            children += [(obj.__cause__, ".__cause__"), (obj.__context__, ".__context__")]
            children += [(arg, f".args[{i}]") for i, arg in enumerate(obj.args)]
        if isinstance(obj, dict):
            children += [(key, "[key]") for key in obj]
            children += [(value, f"[{key!r}]") for key, value in obj.items()]
        elif isinstance(obj, (list, tuple, set, frozenset)):
            children += [(item, f"[{i}]") for i, item in enumerate(obj)]
        if hasattr(obj, "__dict__"):
            children += [(value, f".{name}") for name, value in vars(obj).items()]
        for cls in type(obj).__mro__:
            for name in getattr(cls, "__slots__", ()):
                if isinstance(name, str) and hasattr(obj, name):
                    children.append((getattr(obj, name), f".{name}"))
        queue += [(child, path + step, depth + 1) for child, step in children]
    return found


def refused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def greet_with_plain_http(conn: Connection) -> None:
    conn.send(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")


FAILURES: dict[str, tuple[Optional[Handler], str, str]] = {
    # name: (server handler or None, URL form, expected code)
    "timeout": (drip("body"), "http://127.0.0.1:{port}", ErrorCode.TIMEOUT),
    "connection refused": (None, "http://127.0.0.1:{refused}", ErrorCode.FAILED_TO_FETCH),
    "DNS failure": (None, "http://{unresolvable}:80", ErrorCode.NO_INTERNET),
    "TLS failure": (greet_with_plain_http, "https://127.0.0.1:{port}", ErrorCode.FAILED_TO_FETCH),
    "bad JSON": (answer(b'{"data": [1, 2'), "http://127.0.0.1:{port}", ErrorCode.FAILED_TO_FETCH),
    "oversize": (endless, "http://127.0.0.1:{port}", ErrorCode.RESPONSE_TOO_LARGE),
}


@pytest.mark.parametrize("case", list(FAILURES))
def test_no_secret_is_reachable_from_a_raised_exception(
    serve: Callable[[Handler], RawHttpServer],
    closing: Any,
    unresolvable_host: str,
    case: str,
) -> None:
    handler, form, code = FAILURES[case]
    port = serve(handler).port if handler is not None else 0
    url = form.format(port=port, refused=refused_port(), unresolvable=unresolvable_host)
    client = client_for(url, closing)

    with pytest.raises(CometChatException) as raised:
        client.get_user("superhero2")

    assert raised.value.code == code
    assert secrets_reachable(raised.value, (TOKEN,)) == []


def test_no_auth_key_is_reachable_from_a_failed_login(
    serve: Callable[[Handler], RawHttpServer], closing: Any
) -> None:
    url = f"http://127.0.0.1:{refused_port()}"
    client = closing(
        CometChatClient(
            APP,
            AppSettingsBuilder()
            .override_client_host(url)
            .override_admin_host(url)
            .set_session_store(MemorySessionStore(APP))
            .auto_establish_socket_connection(False)
            .build(),
        )
    )

    with pytest.raises(CometChatException) as raised:
        client.login("superhero2", AUTH_KEY)

    assert secrets_reachable(raised.value, (AUTH_KEY,)) == []


def test_the_walk_finds_a_secret_in_a_chained_request() -> None:
    """The walk is able to fail: a requests error chained the way the old code did."""
    request = requests.Request("GET", "http://x/", headers={"authToken": TOKEN}).prepare()
    cause = requests.exceptions.ReadTimeout("read timed out", request=request)
    try:
        raise CometChatException(ErrorCode.TIMEOUT, "timed out") from cause
    except CometChatException as exc:
        assert secrets_reachable(exc, (TOKEN,)) != []
