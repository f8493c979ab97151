"""The ``cometchat-sync`` entry point: the parser, the subcommands, and the one place that
turns errors into exit codes (2: a missing or wrong value; 1: the service or the network
failed; 130: interrupted), always one line on stderr and never a traceback."""

from __future__ import annotations

import argparse
import sys
from typing import NoReturn
from typing import Optional

from .._version import __version__
from ..errors import CometChatException
from ..errors import ErrorCode
from . import emulator
from . import listen
from . import send
from . import status
from ._config import UsageError

__all__ = ["main", "parser"]

PROG = "cometchat-sync"


class _Parser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose errors are one line (the subparsers are of this class)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def parser() -> argparse.ArgumentParser:
    """The command's parser, with one subparser per subcommand."""
    top = _Parser(
        prog=PROG,
        description="Command line of cometchat_sync, the synchronous CometChat SDK. "
        "Credentials and hosts come from options or the environment: COMETCHAT_APP_ID, "
        "COMETCHAT_REGION, COMETCHAT_UID, COMETCHAT_AUTH_KEY, COMETCHAT_AUTH_TOKEN, "
        "COMETCHAT_CLIENT_HOST, COMETCHAT_ADMIN_HOST. 'cometchat-sync COMMAND --help' "
        "explains each command.",
    )
    top.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = top.add_subparsers(title="commands", dest="command", metavar="COMMAND")
    commands.required = True
    for module in (emulator, listen, send, status):
        module.add_parser(commands)
    return top


_VALUE_CODES = frozenset({ErrorCode.MISSING_PARAMETERS, ErrorCode.INVALID_PARAMETER})


def main(argv: Optional[list[str]] = None) -> int:
    """Run the command with ``argv`` (default ``sys.argv[1:]``); return its exit code."""
    top = parser()
    args, extra = top.parse_known_args(argv)
    if extra and args.command != "emulator":
        top.error(f"unrecognized arguments: {' '.join(extra)}")
    args.extra = extra  # the emulator's own options
    where = f"{PROG} {args.command}"
    try:
        code: int = args.run(args)
    except UsageError as exc:
        sys.stderr.write(f"{where}: error: {exc}\n")
        return 2
    except CometChatException as exc:
        sys.stderr.write(f"{where}: {exc.code}: {exc.message}\n")
        # A value the SDK refused before any request is a usage error; a server's is not.
        local = exc.code in _VALUE_CODES and "status" not in exc.details
        return 2 if local else 1
    except KeyboardInterrupt:
        sys.stderr.write(f"{where}: interrupted\n")
        return 130
    return code
