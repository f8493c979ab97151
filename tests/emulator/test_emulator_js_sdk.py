"""Optional: the unmodified official JS SDK logs in, connects, receives, sends and logs out
against the emulator over TLS.

Skipped unless ``node`` and ``npm`` exist and ``@cometchat/chat-sdk-javascript`` can be
installed, or when ``COMETCHAT_SKIP_JS_SDK`` is set: the harness (``js``, in conftest.py)
says how the package is installed and run.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow

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


def test_official_js_sdk_against_the_emulator(no_thread_leak, js):
    with js.emulator() as emu:
        cfg = js.config(emu, uid="superhero1", peer="superhero2")
        with js.start(CLIENT_JS, cfg, 20, name="client.js") as node:
            assert node.event() == {"event": "login", "uid": "superhero1"}
            assert node.event() == {"event": "connected"}
            # JS reports "connected" on socket open; the auth frame follows
            assert emu.wait_for_sockets("superhero1", 1, timeout=10)
            auth = emu.frames_from("superhero1")[0]
            assert auth["type"] == "auth" and auth["body"]["presenceSubscription"] == "ALL_USERS"
            assert auth["deviceId"] == auth["body"]["deviceId"]

            incoming = emu.send_message("superhero2", "superhero1", "hi from python")
            assert node.event() == {
                "event": "received",
                "id": incoming["id"],
                "text": "hi from python",
                "sender": "superhero2",
            }
            sent = node.event()
            assert sent["event"] == "sent" and sent["text"] == "hello from js"
            stored = next(m for m in emu.messages() if m["id"] == sent["id"])
            assert (stored["sender"], stored["receiver"]) == ("superhero1", "superhero2")
            assert node.event() == {"event": "logged_out"}
            assert node.proc.wait(10) == 0
            assert emu.wait_for_sockets("superhero1", 0, timeout=10)
            assert emu.token_of("superhero1") is None  # DELETE me revoked the token
            assert emu.auth_count("superhero1") == 1
