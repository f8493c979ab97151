"""The official JS SDK reads the emulator's answers to blocking, group and user
administration, app settings, reactions, pins and saves as it reads the hosted service's:
each promise settles with the values the call should give.

Optional, like ``test_emulator_js_sdk.py``: skipped without node,
npm or the package. One node process runs every step as ``superhero1`` and prints one JSON
line per step; the asserts are here.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

pytestmark = pytest.mark.slow

STEPS_JS = r"""
require("./shim.js");
const { CometChat } = require("@cometchat/chat-sdk-javascript");
const cfg = JSON.parse(process.argv[2]);
const out = (name, value) => console.log(JSON.stringify({ name, value }));
const step = async (name, f) => {
  try { out(name, JSON.parse(JSON.stringify((await f()) ?? null))); }
  catch (e) { out(name, { error: e && e.code }); }
};
(async () => {
  const settings = new CometChat.AppSettingsBuilder().setRegion(cfg.region)
    .overrideClientHost(cfg.host).overrideAdminHost(cfg.host)
    .autoEstablishSocketConnection(false).build();
  await CometChat.init(cfg.appId, settings);
  await CometChat.login("superhero1", cfg.authKey);
  await step("block", () => CometChat.blockUsers(["superhero3", "nobody"]));
  await step("blocked", async () => (await CometChat.getUser("superhero3")).getBlockedByMe());
  await step("unblock", () => CometChat.unblockUsers(["superhero3"]));
  const S = CometChat.GROUP_MEMBER_SCOPE;
  await step("createWithMembers", async () => {
    const r = await CometChat.createGroupWithMembers(
      new CometChat.Group("hq", "HQ", CometChat.GROUP_TYPE.PUBLIC),
      [new CometChat.GroupMember("superhero2", S.ADMIN),
       new CometChat.GroupMember("superhero3", S.PARTICIPANT),
       new CometChat.GroupMember("ghost", S.PARTICIPANT)], ["superhero4"]);
    return { members: r.members, guid: r.group.getGuid(), joined: r.group.getHasJoined(),
             count: r.group.getMembersCount() };
  });
  await step("update", async () => {
    const g = await CometChat.updateGroup(
      new CometChat.Group("hq", "HQ 2", CometChat.GROUP_TYPE.PASSWORD, "pw"));
    return { name: g.getName(), type: g.getType() };
  });
  await step("transfer", () => CometChat.transferGroupOwnership("hq", "superhero2"));
  await step("delete", () => CometChat.deleteGroup("hq"));
  await step("me", async () => {
    const u = new CometChat.User("superhero1"); u.setName("Tony"); u.setStatusMessage("lab");
    const me = await CometChat.updateCurrentUserDetails(u);
    return { name: me.getName(), statusMessage: me.getStatusMessage() };
  });
  await step("createUser", async () => {
    const u = new CometChat.User("newbie"); u.setName("Newbie"); u.setRole("bot");
    const made = await CometChat.createUser(u, cfg.authKey);
    return { uid: made.getUid(), role: made.getRole() };
  });
  await step("updateUser", async () => {
    const u = new CometChat.User("newbie"); u.setName("Newbie 2");
    return (await CometChat.updateUser(u, cfg.authKey)).getName();
  });
  await step("extension", async () => (await CometChat.getExtensionDetails("polls")).id
    ?? JSON.parse(JSON.stringify(await CometChat.getExtensionDetails("polls"))).id);
  await step("feature", () => CometChat.isFeatureEnabled("core.messaging.reactions.enabled"));
  const m = await CometChat.sendMessage(new CometChat.TextMessage("superhero2", "hi", "user"));
  await step("react", async () => (await CometChat.addReaction(m.getId(), "ok")).getReactions()
    .map((r) => [r.getReaction(), r.getCount(), r.getReactedByMe()]));
  await step("pin", async () => {
    const p = JSON.parse(JSON.stringify(await CometChat.pinMessage(m.getId())));
    return [String(p.id), p.pinnedBy];
  });
  await step("save", async () => {
    const s = JSON.parse(JSON.stringify(await CometChat.saveMessage(m.getId())));
    return [String(s.id), typeof s.savedAt];
  });
  process.exit(0);
})().catch((e) => { out("fatal", String(e && (e.code || e.message || e))); process.exit(1); });
"""


def test_the_official_js_sdk_reads_the_emulators_admin_answers(no_thread_leak, js):
    with js.emulator() as emu:
        emu.set_extensions([{"id": "polls", "name": "Polls", "version": "v2"}])
        emu.set_feature_parameters({"core.messaging.reactions.enabled": True})
        done = js.run(STEPS_JS, js.config(emu), timeout=60)
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
        got: dict[str, Any] = {}
        for line in done.stdout.splitlines():
            if line.startswith("{"):
                item = json.loads(line)
                got[item["name"]] = item["value"]

    assert got["block"]["superhero3"]["success"] is True
    assert got["block"]["nobody"]["error"]["code"] == "ERR_UID_NOT_FOUND"
    assert got["blocked"] is True
    assert got["unblock"] == {"superhero3": {"success": True, "message": got["unblock"]
                                             ["superhero3"]["message"]}}  # fmt: skip
    made = got["createWithMembers"]
    assert (made["guid"], made["joined"], made["count"]) == ("hq", True, 3)
    assert made["members"]["superhero2"] == made["members"]["superhero3"] == "success"
    assert made["members"]["superhero4"] == "success"
    assert "ghost" in made["members"]["ghost"]
    assert got["update"] == {"name": "HQ 2", "type": "password"}
    assert "superhero2" in got["transfer"]
    assert got["delete"] is True  # superhero1 stayed an admin after the hand-over
    assert got["me"] == {"name": "Tony", "statusMessage": "lab"}
    assert got["createUser"] == {"uid": "newbie", "role": "bot"}
    assert got["updateUser"] == "Newbie 2"
    assert got["extension"] == "polls"
    assert got["feature"] is True
    assert got["react"] == [["ok", 1, True]]
    assert got["pin"][1] == "superhero1"
    assert got["save"][1] == "number"
