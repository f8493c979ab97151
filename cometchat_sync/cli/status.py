"""``cometchat-sync status``: log in (or use the stored session), open the real-time link,
ping it once and print what that showed."""

from __future__ import annotations

import argparse
import json

from ..client import CometChatClient
from ._config import add_connection_options
from ._config import config_of
from ._config import log_in
from ._output import Printer

__all__ = ["add_parser", "run"]

HELP = "log in, connect, ping once and print the outcome"


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "status",
        help=HELP,
        description=HELP + " (exit code 0 when the link came up, 1 when it did not).",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    add_connection_options(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    config = config_of(args)
    # connect() and ping() are ours to call
    settings = config.settings_builder(auto=False).build()
    with CometChatClient(config.app_id, settings) as client:
        user = log_in(client, config)
        client.connect(args.timeout)
        rtt = client.ping(args.timeout)
        status = client.get_connection_status().value
        client.disconnect()
    facts = {
        "app_id": config.app_id,
        "region": settings.region,
        "uid": user.uid,
        "status": status,
        "ping_ms": round(rtt * 1000, 1),
    }
    printer = Printer(as_json=args.json)
    if args.json:
        printer.line(json.dumps(facts, separators=(",", ":")))
    else:
        for key, value in facts.items():
            printer.line(f"{key}: {value}")
    return 0
