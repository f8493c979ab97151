"""A Flask app that sends CometChat messages from its views, ready for a pre-fork server.

The extension reads ``COMETCHAT_*`` from the app's config or the environment and makes no
client in ``create_app()``: each worker makes its own client, logged in, on its first request
that uses it, in manual mode (REST only: no socket, no SDK thread). Workers logging in as the
same user share the stored session and one auth token. Events are for one listener process
(``cometchat-sync listen``), not for the workers: see ``docs/integrations.md``.

    COMETCHAT_APP_ID=... COMETCHAT_REGION=eu COMETCHAT_UID=superhero1 COMETCHAT_AUTH_KEY=... \\
        gunicorn --preload -w 4 "samples.flask_app:create_app()"
    python samples/flask_app.py      # the Flask dev server on an embedded emulator

Routes: ``POST /send`` with ``to`` and ``text`` (form or JSON) sends a text message and answers
``{"id", "pid", "sdk_threads"}``; ``GET /debug/process`` answers this process's id, its SDK
threads and whether it made its client yet.
"""

from __future__ import annotations

import os
import tempfile
from typing import Any
from typing import Optional

from flask import Flask
from flask import request

import cometchat_sync
from cometchat_sync import TextMessage
from cometchat_sync.integrations.flask import CometChat

cometchat = CometChat()


def sdk_threads() -> list[str]:
    """The names of this process's SDK threads (none in a REST-only worker)."""
    return [t.name for t in cometchat_sync.sdk_threads()]


def create_app(config: Optional[dict[str, Any]] = None) -> Flask:
    """The app; ``config`` overrides ``COMETCHAT_*`` keys (the rest come from the environment)."""
    app = Flask(__name__)
    app.config.update(config or {})
    cometchat.init_app(app)  # reads the configuration only: no client, no I/O

    @app.post("/send")
    def send() -> dict[str, Any]:
        values = request.get_json(silent=True) or request.form
        sent = cometchat.client.send_message(TextMessage(values["to"], values["text"]))
        return {"id": sent.id, "pid": os.getpid(), "sdk_threads": sdk_threads()}

    @app.get("/debug/process")
    def process() -> dict[str, Any]:
        return {
            "pid": os.getpid(),
            "sdk_threads": sdk_threads(),
            "client_made": app.extensions["cometchat"].made,
        }

    return app


if __name__ == "__main__":
    if os.environ.get("COMETCHAT_APP_ID"):
        create_app().run()
    else:
        from cometchat_sync.testing import Emulator  # the emulator extra

        with Emulator() as emulator:
            create_app(
                {
                    "COMETCHAT_APP_ID": emulator.app_id,
                    "COMETCHAT_REGION": emulator.region,
                    "COMETCHAT_CLIENT_HOST": emulator.client_host,
                    "COMETCHAT_ADMIN_HOST": emulator.admin_host,
                    "COMETCHAT_UID": "superhero1",
                    "COMETCHAT_AUTH_KEY": emulator.auth_key,
                    "COMETCHAT_SESSION_DIR": tempfile.mkdtemp(prefix="cometchat-flask-"),
                }
            ).run()
