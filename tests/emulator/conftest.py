"""Fixtures for the emulator tests: a running emulator, a REST helper, WebSocket clients.

Everything waits with bounded timeouts; nothing sleeps and hopes.
"""

from __future__ import annotations

import json
import subprocess
import threading
import time
from collections.abc import Iterator
from typing import Any
from typing import Callable
from typing import Optional

import pytest
import requests
import websocket

from cometchat_sync.testing.emulator import Emulator

WAIT = 5.0  # generous upper bound for anything that should happen "at once"


class WS:
    """A plain websocket-client socket plus JSON helpers."""

    def __init__(self, sock: websocket.WebSocket, uid: str, resource: Optional[str]) -> None:
        self.sock = sock
        self.uid = uid
        self.resource = resource

    def send(self, frame: dict[str, Any]) -> None:
        self.sock.send(json.dumps(frame))

    def recv(self, timeout: float = WAIT) -> dict[str, Any]:
        self.sock.settimeout(timeout)
        raw = self.sock.recv()
        frame = json.loads(raw)
        assert isinstance(frame, dict)
        return frame

    def recv_until(
        self, pred: Callable[[dict[str, Any]], bool], timeout: float = WAIT
    ) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("expected frame did not arrive")
            frame = self.recv(left)
            if pred(frame):
                return frame

    def recv_close(self, timeout: float = WAIT) -> tuple[int, str]:
        """Read until the server's close frame; returns (code, reason)."""
        self.sock.settimeout(timeout)
        while True:
            opcode, frame = self.sock.recv_data_frame(True)
            if opcode == websocket.ABNF.OPCODE_CLOSE:
                data = frame.data
                code = int.from_bytes(data[:2], "big") if len(data) >= 2 else 1005
                return code, data[2:].decode("utf-8")

    def close(self) -> None:
        try:
            self.sock.close(timeout=0.2)
        except Exception:
            self.sock.shutdown()  # type: ignore[no-untyped-call]


class Kit:
    """One emulator plus helpers to drive it like a client would."""

    def __init__(self, emu: Emulator, verify: Any = True, sslopt: Optional[dict[str, Any]] = None):
        self.emu = emu
        self.http = requests.Session()
        self.verify = verify  # per request: a session-level verify loses to REQUESTS_CA_BUNDLE
        self.sslopt = sslopt
        self.sockets: list[WS] = []
        self.tokens: dict[str, str] = {}

    # REST -----------------------------------------------------------------

    def call(
        self,
        method: str,
        path: str,
        *,
        uid: Optional[str] = None,
        token: Optional[str] = None,
        admin: bool = False,
        resource: Optional[str] = None,
        body: Any = None,
        headers: Optional[dict[str, str]] = None,
        params: Optional[dict[str, Any]] = None,
    ) -> requests.Response:
        h = {"appId": self.emu.app_id}
        if admin:
            h["apiKey"] = self.emu.auth_key
        if uid is not None and token is None:
            token = self.token(uid)
        if token is not None:
            h["authToken"] = token
        if resource is not None:
            h["resource"] = resource
        if headers:
            h.update(headers)
        return self.http.request(
            method,
            f"{self.emu.client_host}/v3.0/{path}",
            headers=h,
            json=body,
            params=params,
            timeout=WAIT,
            verify=self.verify,
        )

    def ok(self, method: str, path: str, **kw: Any) -> Any:
        r = self.call(method, path, **kw)
        assert r.status_code == 200, r.text
        return r.json()["data"]

    def token(self, uid: str) -> str:
        if uid not in self.tokens:
            self.tokens[uid] = self.ok("POST", f"users/{uid}/auth_tokens", admin=True)["authToken"]
        return self.tokens[uid]

    def login(self, uid: str, resource: Optional[str] = None) -> dict[str, Any]:
        me: dict[str, Any] = self.ok(
            "PUT",
            "me",
            uid=uid,
            resource=resource,
            body={"platform": "python", "deviceId": "dev-1", "appInfo": {"version": "test"}},
        )
        return me

    # WebSocket ------------------------------------------------------------

    def raw_ws(self) -> websocket.WebSocket:
        return websocket.create_connection(self.emu.ws_url, timeout=WAIT, sslopt=self.sslopt)

    def ws(
        self,
        uid: str,
        resource: Optional[str] = None,
        *,
        subscription: Optional[str] = None,
        roles: Optional[list[str]] = None,
        jwt: Optional[str] = None,
    ) -> WS:
        """Log in (unless a jwt is given), open a socket, authenticate, expect auth OK."""
        if resource is None:
            resource = f"PY-{uid}-{len(self.sockets)}"
        if jwt is None:
            jwt = self.login(uid, resource)["jwt"]
        ws = WS(self.raw_ws(), uid, resource)
        self.sockets.append(ws)
        body: dict[str, Any] = {"auth": jwt, "deviceId": resource}
        if subscription is not None:
            body["presenceSubscription"] = subscription
        if roles is not None:
            body["roles"] = roles
        ws.send(
            {
                "appId": self.emu.app_id,
                "deviceId": resource,
                "type": "auth",
                "sender": uid,
                "body": body,
            }
        )
        assert ws.recv() == {"type": "auth", "body": {"code": "200", "status": "OK"}}
        return ws

    def wrap(self, sock: websocket.WebSocket, uid: str = "", resource: Optional[str] = None) -> WS:
        ws = WS(sock, uid, resource)
        self.sockets.append(ws)
        return ws

    def marker(self, ws: WS, text: str = "marker") -> None:
        """Push a raw marker frame and expect it to be the very next frame on ``ws``.

        Frames are delivered in order per socket, so this proves nothing else was queued.
        """
        self.emu.push_raw(ws.uid, json.dumps({"type": "test-marker", "text": text}), ws.resource)
        frame = ws.recv()
        assert frame == {"type": "test-marker", "text": text}, frame

    def close(self) -> None:
        for ws in self.sockets:
            ws.close()
        self.http.close()


@pytest.fixture
def no_thread_leak() -> Iterator[None]:
    before = set(threading.enumerate())
    yield
    left = [t for t in threading.enumerate() if t not in before and t.is_alive()]
    assert not left, f"threads left running: {[t.name for t in left]}"


@pytest.fixture
def emu(no_thread_leak: None) -> Iterator[Emulator]:
    emulator = Emulator().start()
    try:
        yield emulator
    finally:
        emulator.stop()


@pytest.fixture
def kit(emu: Emulator) -> Iterator[Kit]:
    k = Kit(emu)
    try:
        yield k
    finally:
        k.close()


@pytest.fixture
def make_kit(closing: Callable[[Kit], Kit]) -> Callable[..., Kit]:
    """``make_kit(emulator)`` -> a Kit closed at teardown (for tests that run their own)."""

    def make(emulator: Emulator, **kw: Any) -> Kit:
        return closing(Kit(emulator, **kw))

    return make


@pytest.fixture
def popen() -> Iterator[Callable[..., subprocess.Popen[str]]]:
    """``popen(args, **kw)``: a child with text stdout/stderr pipes, killed (if still running)
    and its pipes closed at teardown."""
    procs: list[subprocess.Popen[str]] = []

    def start(args: list[str], **kw: Any) -> subprocess.Popen[str]:
        proc = subprocess.Popen(
            args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw
        )
        procs.append(proc)
        return proc

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str, str]:
    """(ca.pem, chain.pem, key.pem) from a trustme CA, for 127.0.0.1 and localhost."""
    trustme = pytest.importorskip("trustme")
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    folder = tmp_path_factory.mktemp("tls")
    ca_file = folder / "ca.pem"
    chain = folder / "chain.pem"
    key = folder / "key.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    cert.private_key_pem.write_to_path(str(key))
    with open(chain, "wb") as f:
        for blob in cert.cert_chain_pems:
            f.write(blob.bytes())
    return str(ca_file), str(chain), str(key)
