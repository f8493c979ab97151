"""The official JS SDK 4.2.0 and ours exchange a media message, an interactive message and
a mention, both ways, through the emulator (one node process runs every JS step).

Optional, like ``test_emulator_js_sdk.py``: skipped without node,
npm or the package. The official client is ``superhero2``; ours is ``superhero1``. Each step
proves a wire fact both clients share: the multipart fields of an upload, the bytes served back,
the interactive message's data and goal event, and the mentions the service resolves.
"""

from __future__ import annotations

import os

import pytest
import requests

from cometchat_sync import CometChatClient
from cometchat_sync import InteractionGoal
from cometchat_sync import InteractiveMessage
from cometchat_sync import MediaMessage
from cometchat_sync import TextMessage
from cometchat_sync import mention
from cometchat_sync.testing import MessageRecorder

pytestmark = pytest.mark.slow

A, B = "superhero1", "superhero2"
WAIT = 10.0
JS_BYTES = "bytes from the official SDK \u00e9"

STEPS_JS = r"""
require("./shim.js");
const { CometChat } = require("@cometchat/chat-sdk-javascript");
const { cfg, out, next, heard, hear, when, fail } = require("./kit.js");
(async () => {
  const settings = new CometChat.AppSettingsBuilder()
    .setRegion(cfg.region).overrideClientHost(cfg.host).overrideAdminHost(cfg.host)
    .autoEstablishSocketConnection(true).build();
  await CometChat.init(cfg.appId, settings);
  const connected = new Promise((res) => CometChat.addConnectionListener(
    "c", new CometChat.ConnectionListener({ onConnected: res })));
  const ml = {};
  ["onMediaMessageReceived", "onTextMessageReceived", "onInteractiveMessageReceived",
   "onInteractionGoalCompleted"].forEach((n) => { ml[n] = hear(n); });
  CometChat.addMessageListener("m", new CometChat.MessageListener(ml));
  await CometChat.login(cfg.uid, cfg.authKey);
  await connected;
  out({ event: "ready" });

  // media, JS -> ours
  const file = new File([Buffer.from(cfg.jsBytes, "utf8")], "from-js.txt", { type: "text/plain" });
  const media = new CometChat.MediaMessage(cfg.peer, file, "file", "user");
  media.setCaption("from js");
  const sentMedia = await CometChat.sendMediaMessage(media);
  const att = sentMedia.getAttachment();
  out({ event: "media_sent", id: String(sentMedia.getId()), url: att.getUrl(),
        name: att.getName(), size: att.getSize(), mime: att.getMimeType() });

  // media, ours -> JS
  const [[ourMedia]] = await when("onMediaMessageReceived");
  out({ event: "media_heard", id: String(ourMedia.getId()), caption: ourMedia.getCaption(),
        files: ourMedia.getAttachments().map((a) => ({ url: a.getUrl(), name: a.getName(),
          size: a.getSize(), mime: a.getMimeType() })) });

  // interactive, JS -> ours, then ours meets its goal
  const form = new CometChat.InteractiveMessage(cfg.peer, "user", "form",
    { title: "Lunch?", formFields: [{ elementId: "dish" }] });
  form.setInteractionGoal(new CometChat.InteractionGoal("anyOf", ["submit"]));
  const sentForm = await CometChat.sendInteractiveMessage(form);
  out({ event: "form_sent", id: String(sentForm.getId()) });
  const [[done]] = await when("onInteractionGoalCompleted");
  out({ event: "goal_heard", id: String(done.getMessageId()), by: done.getSender().getUid(),
        elements: done.getInteractions().map((i) => i.getElementId()) });

  // interactive, ours -> JS; JS meets the goal
  const [[card]] = await when("onInteractiveMessageReceived");
  const goal = card.getInteractionGoal();
  out({ event: "card_heard", id: String(card.getId()), type: card.getType(),
        data: card.getInteractiveData(), goal: [goal.getType(), goal.getElementIds()] });
  const answer = await CometChat.markAsInteracted(card.getId(), "ok");
  out({ event: "interacted", answer });

  // mentions, both ways
  const tm = await CometChat.sendMessage(
    new CometChat.TextMessage(cfg.peer, `hey <@uid:${cfg.peer}>`, "user"));
  out({ event: "mention_sent", id: String(tm.getId()) });
  const [[text]] = await when("onTextMessageReceived");
  out({ event: "mention_heard", me: text.hasMentionedMe(),
        users: text.getMentionedUsers().map((u) => u.getUid()) });

  await next();
  await CometChat.logout();
  out({ event: "logged_out" });
  process.exit(0);
})().catch(fail);
"""


def test_the_official_js_sdk_and_ours_exchange_media_interactive_and_mentions(
    no_thread_leak, js, settings_for, closing
):
    with js.emulator() as emu:
        settings = settings_for(emu).set_ca_bundle(js.ca_file).build()
        a = closing(CometChatClient(emu.app_id, settings))
        a.login(A, emu.auth_key)
        a.wait_until_connected(5)
        heard = MessageRecorder()
        a.add_message_listener("m", heard)
        cfg = js.config(emu, uid=B, peer=A, jsBytes=JS_BYTES)
        with js.start(STEPS_JS, cfg, 40, stdin=True) as node:
            _run_steps(emu, js.ca_file, a, heard, node, js.folder)


def _run_steps(emu, ca_file, a, heard, node, tmp_path) -> None:
    step = node.step

    def download(url: str) -> bytes:
        answer = requests.get(url, timeout=5, verify=ca_file)
        assert answer.status_code == 200
        return answer.content

    step("ready")
    # media, JS -> ours: same bytes back, our listener hears the same attachment
    js_media = step("media_sent")
    assert (js_media["name"], js_media["mime"]) == ("from-js.txt", "text/plain")
    assert download(js_media["url"]) == JS_BYTES.encode("utf-8")
    assert heard.log.wait_for_count("on_media_message_received", 1, WAIT)
    (got,) = heard.log.args_of("on_media_message_received")[0]
    assert (got.id, got.caption, got.attachments[0].url) == (
        int(js_media["id"]),
        "from js",
        js_media["url"],
    )

    # media, ours -> JS: two files; the JS SDK reads each attachment as we sent it
    path = tmp_path / "report.pdf"
    path.write_bytes(os.urandom(50_000))
    ours = a.send_media_message(MediaMessage(B, [path, b"raw"], "file", caption="from python"))
    js_heard = step("media_heard")
    assert (js_heard["id"], js_heard["caption"]) == (str(ours.id), "from python")
    assert [(f["name"], f["size"], f["mime"]) for f in js_heard["files"]] == [
        ("report.pdf", 50_000, "application/pdf"),
        ("file", 3, "application/octet-stream"),
    ]
    assert [download(f["url"]) for f in js_heard["files"]] == [path.read_bytes(), b"raw"]
    # both uploads sent the same form fields, in the same order, and a part per file
    js_upload, our_upload = emu.uploads()
    assert our_upload["fields"] == js_upload["fields"] == [
        "type", "receiverType", "category", "data", "caption", "receiver"
    ]  # fmt: skip
    assert [len(js_upload["files"]), len(our_upload["files"])] == [1, 2]

    # interactive, JS -> ours; ours meets the goal and the JS SDK hears it
    form_id = int(step("form_sent")["id"])
    assert heard.log.wait_for_count("on_interactive_message_received", 1, WAIT)
    (form,) = heard.log.args_of("on_interactive_message_received")[0]
    assert (form.id, form.type, form.interaction_goal) == (
        form_id,
        "form",
        InteractionGoal("anyOf", ("submit",)),
    )
    assert form.interactive_data["title"] == "Lunch?"
    a.mark_as_interacted(form_id, "submit")
    assert step("goal_heard") == {"event": "goal_heard", "id": str(form_id), "by": A,
                                  "elements": ["submit"]}  # fmt: skip

    # interactive, ours -> JS; the JS SDK meets the goal and ours hears it
    card = a.send_interactive_message(
        InteractiveMessage(
            B, "user", "card", {"text": "Ready?"}, interaction_goal=InteractionGoal("anyAction")
        )
    )
    card_heard = step("card_heard")
    assert (card_heard["id"], card_heard["type"], card_heard["data"], card_heard["goal"]) == (
        str(card.id),
        "card",
        {"text": "Ready?"},
        ["anyAction", []],
    )
    assert step("interacted")["answer"]
    assert heard.log.wait_for_count("on_interaction_goal_completed", 1, WAIT)
    (receipt,) = heard.log.args_of("on_interaction_goal_completed")[0]
    assert (receipt.message_id, receipt.sender.uid) == (card.id, B)

    # mentions, both ways
    step("mention_sent")
    assert heard.log.wait_for_count("on_text_message_received", 1, WAIT)
    (text,) = heard.log.args_of("on_text_message_received")[0]
    assert text.has_mentioned_me and [u.uid for u in text.mentioned_users] == [A]
    a.send_message(TextMessage(B, f"and you {mention(B)}"))
    assert step("mention_heard") == {"event": "mention_heard", "me": True, "users": [B]}

    node.send("{}\n")
    assert step("logged_out")["event"] == "logged_out"
    assert node.proc.wait(10) == 0
