"""Django: add ``"cometchat_sync.integrations.django"`` to ``INSTALLED_APPS``, configure
``COMETCHAT = {...}`` in the settings, and call :func:`get_client` where you need the client.

::

    # settings.py
    INSTALLED_APPS = [..., "cometchat_sync.integrations.django"]
    COMETCHAT = {"APP_ID": "...", "REGION": "eu", "UID": "bot", "AUTH_KEY": "..."}

    # views.py
    from cometchat_sync import TextMessage
    from cometchat_sync.integrations.django import get_client

    def notify(request):
        get_client().send_message(TextMessage("superhero2", "Hi"))
        ...

The app's ``ready()`` only reads and checks ``COMETCHAT`` (it runs for every ``manage.py``
command, twice under ``runserver``, and in a pre-fork server's master): no client, no I/O.
:func:`get_client` makes this process's client and logs it in on its first call
(thread-safe; a forked child makes its own); the SDK closes it at exit. By default it is in
manual mode and never connects: sending is REST only, so a web worker holds no socket and no
SDK thread. Events are consumed by one listener process: ``python manage.py
cometchat_listen``.

``COMETCHAT`` keys (each falls back to the ``COMETCHAT_<KEY>`` environment variable):
``APP_ID`` (required), ``REGION``, ``UID`` with ``AUTH_KEY`` or ``AUTH_TOKEN`` (one of the two
required), ``CLIENT_HOST``, ``ADMIN_HOST``, ``SESSION_DIR``, ``AUTO_CONNECT`` (``True``: auto
mode, every worker opens its own socket), ``SETTINGS`` (an ``AppSettings`` to start from), and
for ``cometchat_listen`` ``LISTENERS``: the dotted path of a function ``setup(client)`` that
adds your listeners.
"""

from __future__ import annotations

from ...client import CometChatClient

__all__ = ["get_client"]


def get_client() -> CometChatClient:
    """This process's client of the ``COMETCHAT`` settings, logged in (made on first use).

    Returns:
        The shared client of this process (manual mode unless ``AUTO_CONNECT``).

    Raises:
        ImproperlyConfigured: the app is not in ``INSTALLED_APPS`` or ``COMETCHAT`` is
            wrong.
        CometChatException: the login failed (the next call tries again).
    """
    from .apps import holder  # noqa: PLC0415 (Django must be set up first)

    return holder().get()
