"""Many clients in one process share one engine: a handful of threads, every client's
events delivered, and nothing left running once the last client closed."""

from __future__ import annotations

import threading

import cometchat_sync
from cometchat_sync import CometChatClient
from cometchat_sync import Group
from cometchat_sync import MemorySessionStore
from cometchat_sync import MessageListener
from cometchat_sync import TextMessage
from cometchat_sync.testing import Emulator

USERS = [f"superhero{i}" for i in range(1, 6)]
PER_USER = 10  # 50 clients: 150 threads with a reader, a timer and a dispatcher each
WAIT = 20.0


class Inbox(MessageListener):
    def __init__(self, heard: threading.Semaphore) -> None:
        super().__init__()
        self._heard = heard
        self.texts: list[str] = []

    def on_text_message_received(self, message: TextMessage) -> None:
        self.texts.append(message.text)
        self._heard.release()


def test_fifty_clients_run_on_a_handful_of_threads_and_all_hear_a_group_message(
    emulator: Emulator, settings_for, closing
) -> None:
    heard = threading.Semaphore(0)
    clients: list[CometChatClient] = []
    inboxes: list[Inbox] = []
    for uid in USERS:
        for _ in range(PER_USER):
            store = MemorySessionStore(emulator.app_id)
            settings = settings_for(emulator).set_session_store(store).build()
            client = closing(CometChatClient(emulator.app_id, settings))
            client.login(uid, emulator.auth_key)
            inbox = Inbox(heard)
            client.add_message_listener("inbox", inbox)
            clients.append(client)
            inboxes.append(inbox)
    for client in clients:
        client.wait_until_connected(WAIT)
    assert emulator.wait_until(
        lambda: sum(emulator.socket_count(uid) for uid in USERS) == len(clients), WAIT
    )
    threads = cometchat_sync.sdk_threads()
    assert len(threads) <= 8, f"{len(clients)} clients ran {len(threads)} SDK threads"

    guid = "g-engine"
    clients[0].create_group(Group(guid, "Engine", "public"))
    for i in range(1, len(USERS)):
        clients[i * PER_USER].join_group(guid)
    clients[0].send_message(TextMessage(guid, "to everyone", receiver_type="group"))
    for _ in range(len(clients) - 1):  # every socket of every member but the sender's own
        assert heard.acquire(timeout=WAIT), [len(i.texts) for i in inboxes]
    assert inboxes[0].texts == [], "the sending client does not hear its own message"
    assert all(inbox.texts == ["to everyone"] for inbox in inboxes[1:])

    for client in clients:
        client.close()
    assert all(client.threads() == [] for client in clients)
    assert cometchat_sync.sdk_threads() == [], "the last close() ends the engine's threads"
