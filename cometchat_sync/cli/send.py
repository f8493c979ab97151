"""``cometchat-sync send --to UID TEXT`` (or ``--group GUID``): log in and send one text
message over REST (no socket is opened), then print it."""

from __future__ import annotations

import argparse

from ..client import CometChatClient
from ..models import TextMessage
from ._config import add_connection_options
from ._config import config_of
from ._config import log_in
from ._output import Printer

__all__ = ["add_parser", "run"]

HELP = "send one text message to a user or a group"


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "send",
        help=HELP,
        description=HELP + " over REST, as the logged-in user; prints the message sent.",
    )
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--to", metavar="UID", help="the user who receives it")
    target.add_argument("--group", metavar="GUID", help="the group that receives it")
    parser.add_argument("text", help="the message text")
    parser.add_argument("--json", action="store_true", help="print the message as JSON")
    add_connection_options(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    config = config_of(args)
    # REST only: manual mode, and no connect().
    settings = config.settings_builder(auto=False).build()
    with CometChatClient(config.app_id, settings) as client:
        log_in(client, config)
        if args.group:
            message = TextMessage(args.group, args.text, "group")
        else:
            message = TextMessage(args.to, args.text)
        sent = client.send_message(message)
    Printer(as_json=args.json).event("message", "sent", (sent,))
    return 0
