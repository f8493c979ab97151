"""``python manage.py cometchat_listen``: the one process that consumes CometChat events.

Web workers send over REST and never connect (see the package docstring); this command
connects once, as the ``COMETCHAT`` user, in auto mode (it reconnects on its own), and runs
until Ctrl-C or SIGTERM (``client.run_forever()``). ``COMETCHAT["LISTENERS"]`` names a
function ``setup(client)`` that adds your listeners; without it, or with ``--print``, every
connection change and event is printed, one line each (``--json``: one JSON object each).
"""

from __future__ import annotations

import sys
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.core.management.base import CommandError
from django.core.management.base import CommandParser
from django.utils.module_loading import import_string

from cometchat_sync.cli._output import Printer
from cometchat_sync.cli.listen import add_printing_listeners
from cometchat_sync.client import CometChatClient
from cometchat_sync.errors import CometChatException
from cometchat_sync.integrations._per_process import log_in
from cometchat_sync.integrations.django.apps import holder
from cometchat_sync.settings import AppSettingsBuilder

__all__ = ["Command"]


class Command(BaseCommand):
    """See the module docstring."""

    help = (
        "Listen to CometChat events until Ctrl-C or SIGTERM, as the COMETCHAT user: "
        'COMETCHAT["LISTENERS"] (a dotted path to setup(client)) adds the listeners; '
        "without it every event is printed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--print", action="store_true", help="print every event, also with LISTENERS"
        )
        parser.add_argument("--json", action="store_true", help="print one JSON object per line")

    def handle(self, *args: Any, **options: Any) -> None:
        config = holder().config
        auto = AppSettingsBuilder.from_settings(config.settings).auto_establish_socket_connection(
            True
        )
        setup_path = settings.COMETCHAT.get("LISTENERS")
        with CometChatClient(config.app_id, auto.build()) as client:
            # Listeners first: the link opens at the login, and nothing may come before them.
            if setup_path:
                import_string(setup_path)(client)
            if options["print"] or not setup_path:
                add_printing_listeners(client, Printer(as_json=options["json"], out=sys.stdout))
            try:
                log_in(client, config)
            except CometChatException as exc:
                raise CommandError(f"{exc.code}: {exc.message}") from None
            self.stderr.write(f"listening as {config.uid or 'the token user'}; Ctrl-C to stop")
            client.run_forever()
