"""``cometchat-sync listen``: log in and print every connection change and real-time event,
one line each, until Ctrl-C or SIGTERM (``--json``: one JSON object per line)."""

from __future__ import annotations

import argparse
import sys
from typing import Any
from typing import Callable

from ..client import CometChatClient
from ..listeners import CallListener
from ..listeners import ConnectionListener
from ..listeners import GroupListener
from ..listeners import LoginListener
from ..listeners import MessageListener
from ..listeners import UserListener
from ._config import add_connection_options
from ._config import config_of
from ._config import log_in
from ._output import Printer

__all__ = ["add_parser", "add_printing_listeners", "run"]

HELP = "print connection changes and events until Ctrl-C"


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "listen",
        help=HELP,
        description=HELP + ": messages, typing, receipts, reactions, presence, group and "
        "call events of the logged-in user. Each line is 'event: details' on stdout, or "
        "with --json one object {type, event, data}; the first connection line is the "
        "status when listening began. Exits 0 on Ctrl-C or SIGTERM.",
    )
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    parser.add_argument(
        "--presence",
        action="store_true",
        help="also hear every user's online/offline events (presence for all users)",
    )
    add_connection_options(parser)
    parser.set_defaults(run=run)


# Connection events printed: the change (with its cause) and errors; on_connected and the
# like would repeat the change's line.
_CONNECTION_EVENTS = ("on_state_change", "on_connection_error")


def _printing(family: type[Any], name: str, printer: Printer) -> Any:
    """A listener of ``family`` whose every event prints one line."""

    def printing(event: str) -> Callable[..., None]:
        return lambda *args: printer.event(name, event, args)

    events = _CONNECTION_EVENTS if family is ConnectionListener else family.EVENTS
    return family(**{event: printing(event) for event in events})


def add_printing_listeners(client: CometChatClient, printer: Printer) -> None:
    """Add listeners (id ``"cli"``) that print every connection change and event."""
    client.add_connection_listener("cli", _printing(ConnectionListener, "connection", printer))
    client.add_login_listener("cli", _printing(LoginListener, "login", printer))
    client.add_message_listener("cli", _printing(MessageListener, "message", printer))
    client.add_user_listener("cli", _printing(UserListener, "user", printer))
    client.add_group_listener("cli", _printing(GroupListener, "group", printer))
    client.add_call_listener("cli", _printing(CallListener, "call", printer))


def run(args: argparse.Namespace) -> int:
    config = config_of(args)
    builder = config.settings_builder(auto=True)
    if args.presence:
        builder.subscribe_presence_for_all_users()
    printer = Printer(as_json=args.json)
    with CometChatClient(config.app_id, builder.build()) as client:
        add_printing_listeners(client, printer)
        user = log_in(client, config)
        sys.stderr.write(f"listening as {user.uid}; Ctrl-C to stop\n")
        sys.stderr.flush()
        client.run_forever()
    return 0
