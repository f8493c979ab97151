"""Fixtures for the emulator tests: a running emulator, a REST helper, WebSocket clients;
and the official JavaScript SDK in node (``js``), for the tests that check the emulator
against it.

Everything waits with bounded timeouts; nothing sleeps and hopes.
"""

from __future__ import annotations

import json
import os
import selectors
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from typing import Callable
from typing import Optional

import pytest
import requests
import websocket

from cometchat_sync.testing.emulator import Emulator
from cometchat_sync.testing.emulator import _rest

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


# -- the official JavaScript SDK ---------------------------------------------------------------
# Optional: ``js_sdk`` skips unless ``node`` and ``npm`` exist and the package can be installed,
# or when ``COMETCHAT_SKIP_JS_SDK`` is set. The package is installed once into a folder outside
# the repository (``$COMETCHAT_JS_SDK_DIR``, default ``<tmp>/cometchat_sync-js-sdk-<version>``)
# and reused. Node only gets a few browser globals the SDK touches (``window``, storage,
# ``document``), and ``fetch`` drops the SDK's ``referrer: "no-referrer"``, which Node's fetch
# rejects; the SDK file itself is not changed.

JS_SDK_VERSION = "4.2.0"
JS_SDK_PACKAGE = "@cometchat/chat-sdk-javascript"

SHIM_JS = r"""
globalThis.window = globalThis;
function memoryStorage() {
  const m = new Map();
  return {
    getItem: (k) => (m.has(k) ? m.get(k) : null),
    setItem: (k, v) => { m.set(k, String(v)); },
    removeItem: (k) => { m.delete(k); },
    clear: () => m.clear(),
    key: (i) => [...m.keys()][i] ?? null,
    get length() { return m.size; },
  };
}
globalThis.localStorage = memoryStorage();
globalThis.sessionStorage = memoryStorage();
if (!globalThis.navigator) {
  globalThis.navigator = { userAgent: "node", onLine: true, language: "en" };
}
globalThis.document = {
  querySelector: () => null, addEventListener: () => {}, removeEventListener: () => {},
  referrer: "", hidden: false, visibilityState: "visible",
};
globalThis.matchMedia = () => ({ matches: false });
globalThis.screen = { width: 1024, height: 768 };
globalThis.location = { origin: "https://emulator.test", href: "https://emulator.test/",
                        hostname: "emulator.test", protocol: "https:" };
if (!globalThis.addEventListener) {
  globalThis.addEventListener = () => {};
  globalThis.removeEventListener = () => {};
}
const realFetch = globalThis.fetch;
globalThis.fetch = (url, opts) => {
  if (opts && opts.referrer === "no-referrer") {
    opts = { ...opts };
    delete opts.referrer;
    opts.referrerPolicy = "no-referrer";
  }
  return realFetch(url, opts);
};
"""

KIT_JS = r"""
// The helpers of the step scripts (require("./kit.js") after the shim): the test's config,
// a JSON line out, the lines the test writes to stdin, listeners heard and awaited, and the
// error line a failed step ends with.
const cfg = JSON.parse(process.argv[2]);
const out = (o) => console.log(JSON.stringify(o));
const lines = require("readline").createInterface({ input: process.stdin })[Symbol.asyncIterator]();
const next = async () => JSON.parse((await lines.next()).value);
const heard = {};  // listener name -> [args]
const waiters = [];
const hear = (name) => (...args) => {
  (heard[name] = heard[name] || []).push(args);
  waiters.filter((w) => w.name === name).forEach((w) => w.check());
};
const when = (name, count = 1) => new Promise((res) => {
  const w = { name, check: () => { if ((heard[name] || []).length >= count) res(heard[name]); } };
  waiters.push(w); w.check();
});
const fail = (e) => {
  out({ event: "error",
        error: { code: e && e.code, message: e && e.message, stack: String(e && e.stack) } });
  process.exit(1);
};
module.exports = { cfg, out, lines, next, heard, hear, when, fail };
"""


def _js_sdk_dir() -> Path:
    default = Path(tempfile.gettempdir()) / f"cometchat_sync-js-sdk-{JS_SDK_VERSION}"
    return Path(os.environ.get("COMETCHAT_JS_SDK_DIR", default))


@pytest.fixture(scope="session")
def js_sdk() -> tuple[Path, list[str]]:
    """(node_modules folder, node command) or skip."""
    if os.environ.get("COMETCHAT_SKIP_JS_SDK"):
        pytest.skip("COMETCHAT_SKIP_JS_SDK is set")
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip("node/npm not available")
    target = _js_sdk_dir()
    entry = target / "node_modules" / JS_SDK_PACKAGE / "CometChat.js"
    if not entry.exists():
        staging = Path(tempfile.mkdtemp(prefix="cometchat-js-sdk-"))
        (staging / "package.json").write_text('{"private": true}')
        try:
            done = subprocess.run(
                [npm, "install", "--no-audit", "--no-fund", "--silent",
                 "--fetch-timeout=15000", "--fetch-retries=1",
                 f"{JS_SDK_PACKAGE}@{JS_SDK_VERSION}"],
                cwd=staging, capture_output=True, text=True, timeout=90, check=False,
            )  # fmt: skip
        except (OSError, subprocess.TimeoutExpired) as exc:
            shutil.rmtree(staging, ignore_errors=True)
            pytest.skip(f"npm install failed: {exc!r}")
        if done.returncode != 0:
            shutil.rmtree(staging, ignore_errors=True)
            pytest.skip(f"npm install failed: {done.stderr[-300:]}")
        try:
            staging.replace(target)
        except OSError:  # someone else installed it meanwhile
            shutil.rmtree(staging, ignore_errors=True)
        if not entry.exists():
            pytest.skip("the JS SDK did not install where expected")
    cmd = [node]
    probe = "process.exit(typeof WebSocket === 'function' ? 0 : 1)"
    if subprocess.run([node, "-e", probe], check=False, timeout=30).returncode != 0:
        cmd.append("--experimental-websocket")  # Node 20/21
        if subprocess.run([*cmd, "-e", probe], check=False, timeout=30).returncode != 0:
            pytest.skip("this node has no WebSocket")
    return target / "node_modules", cmd


class NodeRun:
    """A node process running a script that prints one JSON object a line; every read waits
    no later than ``seconds`` after the start."""

    def __init__(self, proc: subprocess.Popen[str], seconds: float) -> None:
        assert proc.stdout is not None
        self.proc = proc
        self._deadline = time.monotonic() + seconds
        self._sel = selectors.DefaultSelector()
        self._sel.register(proc.stdout, selectors.EVENT_READ)

    def event(self) -> dict[str, Any]:
        """The next line's object; fails on silence, an exit or an ``{"event": "error"}``."""
        assert self.proc.stdout is not None
        left = self._deadline - time.monotonic()
        if left <= 0 or not self._sel.select(left):
            raise AssertionError("the JS client went silent")
        line = self.proc.stdout.readline()
        if not line:
            raise AssertionError(f"the JS client exited ({self.proc.wait(5)})")
        event: dict[str, Any] = json.loads(line)
        assert event["event"] != "error", event
        return event

    def step(self, name: str) -> dict[str, Any]:
        """The next line's object, which must be the event ``name``."""
        event = self.event()
        assert event["event"] == name, event
        return event

    def send(self, line: str) -> None:
        """Write ``line`` to the script's stdin (started with ``stdin=True``)."""
        assert self.proc.stdin is not None
        self.proc.stdin.write(line)
        self.proc.stdin.flush()

    def close(self) -> None:
        self._sel.close()
        if self.proc.stdin is not None:
            self.proc.stdin.close()

    def __enter__(self) -> NodeRun:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class JsSdk:
    """The official JS SDK ready to run scripts in ``folder`` against an emulator over TLS;
    the folder holds ``shim.js``, for a script to ``require`` first, and ``kit.js``, the
    helpers of step scripts."""

    def __init__(
        self,
        tls_files: tuple[str, str, str],
        js_sdk: tuple[Path, list[str]],
        folder: Path,
        popen: Callable[..., subprocess.Popen[str]],
    ) -> None:
        self.ca_file, self._chain, self._key = tls_files
        self._node_modules, self._node_cmd = js_sdk
        self.folder = folder
        self._popen = popen
        (folder / "shim.js").write_text(SHIM_JS)
        (folder / "kit.js").write_text(KIT_JS)

    def emulator(self) -> Emulator:
        """A new emulator (not started) serving TLS with the certificate node trusts."""
        return Emulator(certfile=self._chain, keyfile=self._key)

    @staticmethod
    def config(emu: Emulator, **extra: Any) -> dict[str, Any]:
        """What a script needs to reach ``emu`` (the JS SDK prepends https:// to the host),
        and ``extra``."""
        host = f"127.0.0.1:{emu.port}"
        cfg: dict[str, Any] = {
            "appId": emu.app_id,
            "region": emu.region,
            "authKey": emu.auth_key,
            "host": host,
        }
        cfg.update(extra)
        return cfg

    def _command(
        self, script: str, name: str, cfg: dict[str, Any]
    ) -> tuple[list[str], dict[str, str]]:
        (self.folder / name).write_text(script)
        env = dict(os.environ, NODE_PATH=str(self._node_modules), NODE_EXTRA_CA_CERTS=self.ca_file)
        return [*self._node_cmd, name, json.dumps(cfg)], env

    def start(
        self,
        script: str,
        cfg: dict[str, Any],
        seconds: float,
        *,
        name: str = "steps.js",
        stdin: bool = False,
    ) -> NodeRun:
        """Start ``script`` (saved as ``name``) with ``cfg`` as its argument; with ``stdin``
        the run can :meth:`NodeRun.send` it lines."""
        argv, env = self._command(script, name, cfg)
        extra = {"stdin": subprocess.PIPE} if stdin else {}
        return NodeRun(self._popen(argv, cwd=self.folder, env=env, **extra), seconds)

    def run(
        self, script: str, cfg: dict[str, Any], timeout: float
    ) -> subprocess.CompletedProcess[str]:
        """Run ``script`` (as ``steps.js``) to its end; its output is captured."""
        argv, env = self._command(script, "steps.js", cfg)
        return subprocess.run(
            argv,
            cwd=self.folder,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )


@pytest.fixture
def js(
    tls_files: tuple[str, str, str],
    js_sdk: tuple[Path, list[str]],
    tmp_path: Path,
    popen: Callable[..., subprocess.Popen[str]],
) -> JsSdk:
    """The official JS SDK (skips without it), running scripts in ``tmp_path``."""
    return JsSdk(tls_files, js_sdk, tmp_path, popen)


@pytest.fixture
def rest_traffic(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str, Any]]:
    """Every REST request the emulators of the test answer: (method, target, JSON body or
    ``None``)."""
    seen: list[tuple[str, str, Any]] = []
    real = _rest.RestApp.handle

    def handle(self: Any, method: str, target: str, headers: Any, raw: bytes) -> Any:
        seen.append((method, target, json.loads(raw) if raw.strip() else None))
        return real(self, method, target, headers, raw)

    monkeypatch.setattr(_rest.RestApp, "handle", handle)
    return seen
