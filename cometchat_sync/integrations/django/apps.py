"""The Django app of the integration: reads ``settings.COMETCHAT`` in ``ready()``, makes no
client there (see the package docstring)."""

from __future__ import annotations

from typing import Any
from typing import Optional

from django.apps import AppConfig
from django.apps import apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from ...errors import CometChatException
from .._per_process import KEYS
from .._per_process import Config
from .._per_process import PerProcessClient

__all__ = ["CometChatConfig", "holder"]


class CometChatConfig(AppConfig):
    """``cometchat_sync.integrations.django``: checks ``COMETCHAT`` at start-up."""

    name = "cometchat_sync.integrations.django"
    label = "cometchat_sync"
    verbose_name = "CometChat"
    default = True

    def __init__(self, app_name: str, app_module: Any) -> None:
        super().__init__(app_name, app_module)
        self.clients: Optional[PerProcessClient] = None

    def ready(self) -> None:
        """Read and check ``COMETCHAT``; make no client (no I/O, no thread)."""
        values = getattr(settings, "COMETCHAT", None)
        if not isinstance(values, dict):
            raise ImproperlyConfigured(
                "COMETCHAT must be a dict in the settings, e.g. "
                '{"APP_ID": "...", "UID": "...", "AUTH_KEY": "..."}.'
            )
        unknown = sorted(set(values) - set(KEYS) - {"LISTENERS"})
        if unknown:
            raise ImproperlyConfigured(f"Unknown COMETCHAT keys: {', '.join(unknown)}.")
        try:
            self.clients = PerProcessClient(Config.from_mapping(values))
        except CometChatException as exc:
            raise ImproperlyConfigured(f"COMETCHAT: {exc.message}") from None


def holder() -> PerProcessClient:
    """The per-process client of the installed app.

    Raises:
        ImproperlyConfigured: the app is not installed (or not ready).
    """
    try:
        config = apps.get_app_config(CometChatConfig.label)
    except LookupError:
        raise ImproperlyConfigured(
            '"cometchat_sync.integrations.django" is not in INSTALLED_APPS.'
        ) from None
    clients = getattr(config, "clients", None)
    if not isinstance(clients, PerProcessClient):
        raise ImproperlyConfigured("The CometChat app is not ready yet.")
    return clients
