"""``cometchat-sync``: the command line of the SDK (also ``python -m cometchat_sync.cli``).

Subcommands: ``emulator`` (run the local emulator), ``listen`` (print connection changes and
events until Ctrl-C), ``send`` (send one text message), ``status`` (log in, connect and ping
once). Credentials and hosts come from options or from ``COMETCHAT_APP_ID``,
``COMETCHAT_REGION``, ``COMETCHAT_AUTH_KEY``, ``COMETCHAT_AUTH_TOKEN``, ``COMETCHAT_UID``,
``COMETCHAT_CLIENT_HOST`` and ``COMETCHAT_ADMIN_HOST``; ``--emulator URL`` points every
command at a running emulator. A missing value is one line on stderr and exit code 2; an
error of the service is one line and exit code 1; never a traceback.

Built on :mod:`argparse` from the standard library, which does all this needs.
"""

from __future__ import annotations

from .main import main

__all__ = ["main"]
