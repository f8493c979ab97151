"""The echo bot of ``manage.py cometchat_listen``: it answers every text message it gets.

It runs in one listener process only; web workers never connect, so the bot answers once,
however many workers serve the site.
"""

from __future__ import annotations

from cometchat_sync import CometChatClient
from cometchat_sync import MessageListener
from cometchat_sync import TextMessage


def setup(client: CometChatClient) -> None:
    """Add the bot's listener to ``client`` (called before the login)."""

    def answer(message: TextMessage) -> None:
        if message.receiver_type == "user":  # a direct message: answer its sender
            client.send_message(TextMessage(message.sender_uid, f"echo: {message.text}"))

    client.add_message_listener("echo-bot", MessageListener(on_text_message_received=answer))
