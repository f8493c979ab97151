"""Optional: the unmodified official JS SDK logs in, connects, receives, sends and logs out
against the emulator over TLS.

Skipped unless ``node`` and ``npm`` exist and ``@cometchat/chat-sdk-javascript`` can be
installed, or when ``COMETCHAT_SKIP_JS_SDK`` is set. The package is installed once into a
folder outside the repository (``$COMETCHAT_JS_SDK_DIR``, default
``<tmp>/cometchat_sync-js-sdk-<version>``) and reused.
Node only gets a few browser globals the SDK touches (``window``, storage, ``document``), and
``fetch`` drops the SDK's ``referrer: "no-referrer"``, which Node's fetch rejects; the SDK file
itself is not changed.
"""

from __future__ import annotations

import json
import os
import selectors
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest

from cometchat_sync.testing.emulator import Emulator

pytestmark = pytest.mark.slow

SDK_VERSION = "4.2.0"
SDK_PACKAGE = "@cometchat/chat-sdk-javascript"

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

CLIENT_JS = r"""
require("./shim.js");
const { CometChat } = require("@cometchat/chat-sdk-javascript");
const cfg = JSON.parse(process.argv[2]);
const out = (o) => console.log(JSON.stringify(o));
(async () => {
  const settings = new CometChat.AppSettingsBuilder()
    .setRegion(cfg.region).overrideClientHost(cfg.host).overrideAdminHost(cfg.host)
    .autoEstablishSocketConnection(true).subscribePresenceForAllUsers().build();
  await CometChat.init(cfg.appId, settings);
  const connected = new Promise((res) => CometChat.addConnectionListener(
    "c", new CometChat.ConnectionListener({ onConnected: res })));
  let gotMessage;
  const received = new Promise((res) => { gotMessage = res; });
  CometChat.addMessageListener("m", new CometChat.MessageListener({
    onTextMessageReceived: (m) => gotMessage(m) }));
  const user = await CometChat.login(cfg.uid, cfg.authKey);
  out({ event: "login", uid: user.getUid() });
  await connected;
  out({ event: "connected" });
  const m = await received;
  out({ event: "received", id: String(m.getId()), text: m.getText(),
        sender: m.getSender().getUid() });
  const sent = await CometChat.sendMessage(
    new CometChat.TextMessage(cfg.peer, "hello from js", CometChat.RECEIVER_TYPE.USER));
  out({ event: "sent", id: String(sent.getId()), text: sent.getText() });
  await CometChat.logout();
  out({ event: "logged_out" });
  process.exit(0);
})().catch((e) => {
  out({ event: "error", error: { code: e && e.code, message: e && e.message } });
  process.exit(1);
});
"""


def _sdk_dir() -> Path:
    default = Path(tempfile.gettempdir()) / f"cometchat_sync-js-sdk-{SDK_VERSION}"
    return Path(os.environ.get("COMETCHAT_JS_SDK_DIR", default))


@pytest.fixture(scope="session")
def js_sdk() -> tuple[Path, list[str]]:
    """(node_modules folder, node command) or skip."""
    if os.environ.get("COMETCHAT_SKIP_JS_SDK"):
        pytest.skip("COMETCHAT_SKIP_JS_SDK is set")
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip("node/npm not available")
    target = _sdk_dir()
    entry = target / "node_modules" / SDK_PACKAGE / "CometChat.js"
    if not entry.exists():
        staging = Path(tempfile.mkdtemp(prefix="cometchat-js-sdk-"))
        (staging / "package.json").write_text('{"private": true}')
        try:
            done = subprocess.run(
                [npm, "install", "--no-audit", "--no-fund", "--silent",
                 "--fetch-timeout=15000", "--fetch-retries=1", f"{SDK_PACKAGE}@{SDK_VERSION}"],
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


def _next_event(
    proc: subprocess.Popen[str], sel: selectors.BaseSelector, deadline: float
) -> dict[str, Any]:
    assert proc.stdout is not None
    left = deadline - time.monotonic()
    if left <= 0 or not sel.select(left):
        raise AssertionError("the JS client went silent")
    line = proc.stdout.readline()
    if not line:
        raise AssertionError(f"the JS client exited ({proc.wait(5)})")
    event: dict[str, Any] = json.loads(line)
    assert event["event"] != "error", event
    return event


def test_official_js_sdk_against_the_emulator(no_thread_leak, tls_files, js_sdk, tmp_path, popen):
    ca_file, chain, key = tls_files
    node_modules, node_cmd = js_sdk
    (tmp_path / "shim.js").write_text(SHIM_JS)
    (tmp_path / "client.js").write_text(CLIENT_JS)
    with Emulator(certfile=chain, keyfile=key) as emu:
        cfg = {
            "appId": emu.app_id,
            "region": emu.region,
            "authKey": emu.auth_key,
            "uid": "superhero1",
            "peer": "superhero2",
            "host": f"127.0.0.1:{emu.port}",  # the JS SDK prepends https:// itself
        }
        env = dict(os.environ, NODE_PATH=str(node_modules), NODE_EXTRA_CA_CERTS=ca_file)
        proc = popen([*node_cmd, "client.js", json.dumps(cfg)], cwd=tmp_path, env=env)
        sel = selectors.DefaultSelector()
        assert proc.stdout is not None
        sel.register(proc.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + 20
        try:
            assert _next_event(proc, sel, deadline) == {"event": "login", "uid": "superhero1"}
            assert _next_event(proc, sel, deadline) == {"event": "connected"}
            # JS reports "connected" on socket open; the auth frame follows
            assert emu.wait_for_sockets("superhero1", 1, timeout=10)
            auth = emu.frames_from("superhero1")[0]
            assert auth["type"] == "auth" and auth["body"]["presenceSubscription"] == "ALL_USERS"
            assert auth["deviceId"] == auth["body"]["deviceId"]

            incoming = emu.send_message("superhero2", "superhero1", "hi from python")
            assert _next_event(proc, sel, deadline) == {
                "event": "received",
                "id": incoming["id"],
                "text": "hi from python",
                "sender": "superhero2",
            }
            sent = _next_event(proc, sel, deadline)
            assert sent["event"] == "sent" and sent["text"] == "hello from js"
            stored = next(m for m in emu.messages() if m["id"] == sent["id"])
            assert (stored["sender"], stored["receiver"]) == ("superhero1", "superhero2")
            assert _next_event(proc, sel, deadline) == {"event": "logged_out"}
            assert proc.wait(10) == 0
            assert emu.wait_for_sockets("superhero1", 0, timeout=10)
            assert emu.token_of("superhero1") is None  # DELETE me revoked the token
            assert emu.auth_count("superhero1") == 1
        finally:
            sel.close()
