"""Flask: ``CometChat(app)`` or ``CometChat().init_app(app)``, then ``cometchat.client`` in a
request (or any code with an app context).

::

    from flask import Flask
    from cometchat_sync.integrations.flask import CometChat

    cometchat = CometChat()

    def create_app():
        app = Flask(__name__)
        app.config.update(COMETCHAT_APP_ID="...", COMETCHAT_REGION="eu",
                          COMETCHAT_UID="bot", COMETCHAT_AUTH_KEY="...")
        cometchat.init_app(app)  # reads the config only: no client, no I/O
        return app

    @app.post("/notify")
    def notify():
        cometchat.client.send_message(TextMessage("superhero2", "Hi"))
        ...

``init_app`` only reads and checks the configuration and stores itself in
``app.extensions["cometchat"]``: it makes no client, so the app factory is safe in a
pre-fork server's master (gunicorn ``--preload``), in ``flask`` CLI commands and in tests.
Each process makes its client, logged in, on the first use of :attr:`CometChat.client`
(thread-safe; a forked child makes its own); the SDK closes it at exit. By default the
client is in manual mode and never connects: sending is REST only, so a worker holds no
socket and no SDK thread, and no worker receives events. Consume events in one listener
process (``cometchat-sync listen``, or a script with ``client.run_forever()``);
``docs/integrations.md`` explains why.

Configuration keys (each falls back to the environment variable of the same name):
``COMETCHAT_APP_ID`` (required), ``COMETCHAT_REGION``, ``COMETCHAT_UID`` with
``COMETCHAT_AUTH_KEY``, or ``COMETCHAT_AUTH_TOKEN`` (one of the two required),
``COMETCHAT_CLIENT_HOST``, ``COMETCHAT_ADMIN_HOST``, ``COMETCHAT_SESSION_DIR``,
``COMETCHAT_AUTO_CONNECT`` (``True``: auto mode, each worker opens its own socket),
``COMETCHAT_SETTINGS`` (an ``AppSettings`` to start from).
"""

from __future__ import annotations

from typing import Optional

from flask import Flask
from flask import current_app

from ..client import CometChatClient
from ._per_process import KEYS
from ._per_process import Config
from ._per_process import PerProcessClient

__all__ = ["CometChat"]

_EXTENSION = "cometchat"


class CometChat:
    """The Flask extension (see the module docstring). One object may serve several apps.

    Args:
        app: a Flask app to :meth:`init_app` at once, or ``None`` (the app-factory way).

    Raises:
        CometChatException: from :meth:`init_app`.
    """

    def __init__(self, app: Optional[Flask] = None) -> None:
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        """Read and check ``app``'s ``COMETCHAT_*`` configuration; make no client (no I/O).

        Args:
            app: the Flask app.

        Raises:
            CometChatException: ``MISSING_PARAMETERS`` without an app id or a user to log
                in as; ``ERR_INVALID_PARAMETER`` for a wrong value.
        """
        values = {key: app.config.get(f"COMETCHAT_{key}") for key in KEYS}
        app.extensions[_EXTENSION] = PerProcessClient(Config.from_mapping(values))

    @property
    def client(self) -> CometChatClient:
        """The current app's client in this process, logged in (made on the first use).

        Needs an app context (a request, ``app.app_context()``, a CLI command).

        Raises:
            RuntimeError: outside an app context, or the app was not given to
                :meth:`init_app`.
            CometChatException: the login failed (the next use tries again).
        """
        return self.client_for(current_app)

    def client_for(self, app: Flask) -> CometChatClient:
        """The client of ``app`` in this process (made and logged in on the first use).

        Args:
            app: a Flask app given to :meth:`init_app`.

        Raises:
            RuntimeError: ``app`` was not given to :meth:`init_app`.
            CometChatException: the login failed (the next use tries again).
        """
        holder = app.extensions.get(_EXTENSION)
        if not isinstance(holder, PerProcessClient):
            raise RuntimeError("CometChat.init_app(app) was not called for this app.")
        return holder.get()
