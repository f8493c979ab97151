"""The official JS SDK and our SDK run the same list, conversation, unread-count and receipt
calls against the emulator, as the same user, one after the other: both get the same
objects (the same ids, counts, tags and order).

Optional, like ``test_emulator_js_sdk.py``: skipped without node,
npm or the package. The official client is ``superhero2`` (b) in manual mode, REST only; our
``b`` is the same user. Our ``a`` and ``c`` make the data. The JS process runs one step, prints
its result and waits for a line on stdin, so that ours runs the same step in between.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests

from cometchat_sync import BlockedUsersRequestBuilder
from cometchat_sync import CometChatClient
from cometchat_sync import ConversationsRequestBuilder
from cometchat_sync import Group
from cometchat_sync import GroupMembersRequestBuilder
from cometchat_sync import GroupsRequestBuilder
from cometchat_sync import MessagesRequestBuilder
from cometchat_sync import ReactionsRequestBuilder
from cometchat_sync import TextMessage
from cometchat_sync import UsersRequestBuilder

pytestmark = pytest.mark.slow

A, B, C, E = "superhero1", "superhero2", "superhero3", "superhero5"

STEPS_JS = r"""
require("./shim.js");
const { CometChat } = require("@cometchat/chat-sdk-javascript");
const { cfg, lines, out, fail } = require("./kit.js");
const step = async (event, result) => {
  out({ event, result });
  await lines.next();  // ours runs the same step, then says go on
};
const id = (x) => String(x.getId());
const withId = (c) => {
  const w = c.getConversationWith();
  return w.getGuid ? w.getGuid() : w.getUid();
};
const conv = (c) => [withId(c), c.getConversationType(), c.getUnreadMessageCount(),
                     c.getLastMessage() ? id(c.getLastMessage()) : null, c.getTags() || []];
(async () => {
  const settings = new CometChat.AppSettingsBuilder()
    .setRegion(cfg.region).overrideClientHost(cfg.host).overrideAdminHost(cfg.host)
    .autoEstablishSocketConnection(false).build();
  await CometChat.init(cfg.appId, settings);
  await CometChat.login(cfg.uid, cfg.authKey);

  const users = new CometChat.UsersRequestBuilder().setLimit(2).sortBy("name").build();
  const pages = [];
  for (let i = 0; i < 4; i++) pages.push((await users.fetchNext()).map((u) => u.getUid()));
  await step("users", pages);
  const groups = await new CometChat.GroupsRequestBuilder().setLimit(10).joinedOnly(true)
    .build().fetchNext();
  await step("groups", groups.map((g) => g.getGuid()));
  const members = await new CometChat.GroupMembersRequestBuilder(cfg.group).setLimit(10)
    .setScopes(["admin", "moderator"]).build().fetchNext();
  await step("members", members.map((m) => [m.getUid(), m.getScope()]));
  const blocked = await new CometChat.BlockedUsersRequestBuilder().setLimit(10).build().fetchNext();
  await step("blocked", blocked.map((u) => u.getUid()));
  const history = new CometChat.MessagesRequestBuilder().setUID(cfg.peer).setLimit(2).build();
  const older = (await history.fetchPrevious()).map(id);
  await step("history", [older, (await history.fetchPrevious()).map(id)]);
  const thread = await new CometChat.MessagesRequestBuilder().setParentMessageId(cfg.parent)
    .setLimit(10).build().fetchPrevious();
  await step("thread", thread.map(id));
  const reactions = new CometChat.ReactionsRequestBuilder().setMessageId(cfg.reacted)
    .setLimit(1).build();
  const r = [...(await reactions.fetchNext()), ...(await reactions.fetchNext())];
  await step("reactions", r.map((x) => [x.getUid(), x.getReaction()]));
  const convs = await new CometChat.ConversationsRequestBuilder().setLimit(10).build().fetchNext();
  await step("conversations", convs.map(conv));
  await step("unread", [await CometChat.getUnreadMessageCount(),
    await CometChat.getUnreadMessageCountForAllUsers(),
    await CometChat.getUnreadMessageCountForAllGroups(),
    await CometChat.getUnreadMessageCountForUser(cfg.peer),
    await CometChat.getUnreadMessageCountForGroup(cfg.group)]);
  await step("conversation", conv(await CometChat.getConversation(cfg.peer, "user")));
  await step("tagged", conv(await CometChat.tagConversation(cfg.peer, "user", ["work"])));
  await CometChat.markConversationAsDelivered(cfg.peer, "user");
  await CometChat.markConversationAsRead(cfg.peer, "user");
  await step("read", await CometChat.getUnreadMessageCountForUser(cfg.peer));
  const message = await CometChat.getMessageDetails(cfg.unread);
  await step("unread_again", conv(await CometChat.markMessageAsUnread(message)));
  const mine = await CometChat.sendMessage(new CometChat.TextMessage(cfg.peer, "b1", "user"));
  await step("sent", id(mine));  // ours (as a) marks the conversation read meanwhile
  const receipts = await CometChat.getMessageReceipts(id(mine));
  await step("receipts", receipts.map((x) => [x.getReceiptType(), x.getSender().getUid()]).sort());
  await CometChat.deleteConversation(cfg.third, "user");
  const after = await new CometChat.ConversationsRequestBuilder().setLimit(10).build().fetchNext();
  await step("deleted", after.map(withId));
  process.exit(0);
})().catch(fail);
"""


def conv(c: Any) -> list[Any]:
    last = str(c.last_message.id) if c.last_message is not None else None
    return [c.conversation_with_id, c.conversation_type, c.unread_message_count, last, c.tags]


def test_the_official_js_sdk_and_ours_list_the_same(
    no_thread_leak, js, settings_for, closing, rest_traffic
):
    ca_file = js.ca_file
    with js.emulator() as emu:

        def client(uid: str) -> CometChatClient:
            settings = settings_for(emu, auto=False).set_ca_bundle(ca_file).build()
            made: CometChatClient = closing(CometChatClient(emu.app_id, settings))
            made.login(uid, emu.auth_key)
            return made

        a, b, c = client(A), client(B), client(C)
        a.create_group(Group("g1", "Team"))
        a.add_members_to_group("g1", [B, C], moderators=["superhero4"])
        first, second, _ = (a.send_message(TextMessage(B, t)).id for t in ("a1", "a2", "a3"))
        for reply in ("t1", "t2"):
            a.send_message(TextMessage(B, reply, parent_id=first))
        c.send_message(TextMessage(B, "c1"))
        reacted = a.send_message(TextMessage("g1", "team", "group")).id
        a.add_reaction(reacted, "🎉")
        c.add_reaction(reacted, "👍")
        token = emu.token_of(B)
        assert token is not None
        blocked = requests.post(
            f"{emu.client_host}/v3.0/blockedusers",
            headers={"appId": emu.app_id, "authToken": token},
            json={"blockedUids": [E]},
            verify=ca_file,
            timeout=5,
        )
        assert blocked.status_code == 200, blocked.text

        cfg = js.config(
            emu,
            uid=B,
            peer=A,
            third=C,
            group="g1",
            parent=first,
            reacted=reacted,
            unread=second,
        )
        with js.start(STEPS_JS, cfg, 40, stdin=True) as node:
            _compare(a, b, node, rest_traffic, cfg)
            assert node.proc.wait(10) == 0


def _compare(a, b, node, traffic, cfg) -> None:
    def js(name: str) -> Any:
        return node.step(name)["result"]

    def go_on() -> None:
        node.send("go\n")

    def same(name: str, ours: Any) -> Any:
        theirs = js(name)
        assert theirs == ours, name
        go_on()
        return theirs

    users = UsersRequestBuilder(b).set_limit(2).sort_by("name").build()
    same("users", [[u.uid for u in users.fetch_next()] for _ in range(4)])
    js_users = [t for m, t, _ in traffic if t.startswith("/v3.0/users?")]
    assert "page=1" in js_users[0] and "per_page=2" in js_users[0] and "sortBy=name" in js_users[0]
    same(
        "groups", [g.guid for g in GroupsRequestBuilder(b).set_limit(10).joined_only(True).build()]
    )
    staff = GroupMembersRequestBuilder(b, "g1").set_scopes(["admin", "moderator"]).build()
    same("members", [[m.uid, m.scope] for m in staff.fetch_next()])
    same("blocked", [u.uid for u in BlockedUsersRequestBuilder(b).build().fetch_next()])
    history = MessagesRequestBuilder(b).set_uid(A).set_limit(2).build()
    same("history", [[str(m.id) for m in history.fetch_previous()] for _ in range(2)])
    thread = MessagesRequestBuilder(b).set_parent_message_id(cfg["parent"]).build()
    same("thread", [str(m.id) for m in thread.fetch_previous()])
    reactions = ReactionsRequestBuilder(b).set_message_id(cfg["reacted"]).set_limit(1).build()
    same(
        "reactions",
        [[r.uid, r.reaction] for r in [*reactions.fetch_next(), *reactions.fetch_next()]],
    )
    same(
        "conversations",
        [conv(x) for x in ConversationsRequestBuilder(b).set_limit(10).build().fetch_next()],
    )
    same(
        "unread",
        [
            b.get_unread_message_count(),
            b.get_unread_message_count_for_all_users(),
            b.get_unread_message_count_for_all_groups(),
            b.get_unread_message_count_for_user(A),
            b.get_unread_message_count_for_group("g1"),
        ],
    )
    same("conversation", conv(b.get_conversation(A, "user")))
    same("tagged", conv(b.tag_conversation(A, "user", ["work"])))
    b.mark_conversation_as_delivered(A, "user")
    b.mark_conversation_as_read(A, "user")
    same("read", b.get_unread_message_count_for_user(A))
    same("unread_again", conv(b.mark_as_unread(b.get_message(cfg["unread"]))))
    sent = int(js("sent"))
    a.mark_conversation_as_read(B, "user")
    go_on()
    same("receipts", sorted([[r.receipt_type, r.sender.uid] for r in b.get_message_receipts(sent)]))
    theirs = js("deleted")
    assert C not in theirs
    assert [x.conversation_with_id for x in ConversationsRequestBuilder(b).build()] == theirs
    go_on()
