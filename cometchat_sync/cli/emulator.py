"""``cometchat-sync emulator [options]``: run the local emulator until Ctrl-C; every option
is passed on to ``python -m cometchat_sync.testing.emulator``, which prints one JSON line with
its hosts when ready."""

from __future__ import annotations

import argparse

from ._config import UsageError

__all__ = ["add_parser", "run"]

HELP = "run the local CometChat emulator until Ctrl-C (needs the emulator extra)"


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "emulator",
        help=HELP,
        description=HELP + ". Prints one JSON line (app_id, region, auth_key, client_host, "
        "admin_host, ws_url) when ready; point the other commands at it with "
        "--emulator CLIENT_HOST. Its options (--host, --port, --ws-port, --app-id, "
        "--region, --auth-key, --tls-cert, --tls-key): 'cometchat-sync emulator --help'.",
        add_help=False,
    )
    # Every other argument is the emulator's own (main() hands them over unparsed).
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    try:
        from ..testing.emulator.__main__ import main  # noqa: PLC0415 (optional extra)
    except ImportError as exc:
        raise UsageError(
            f'the emulator needs the extra: pip install "cometchat-sync[emulator]" ({exc})'
        ) from None
    return main(list(args.extra), prog="cometchat-sync emulator")
