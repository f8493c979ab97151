"""Where requests and the socket go: the REST base URLs and the WebSocket URL
(``docs/protocol.md``; https://www.cometchat.com/docs/rest-api/).

Before login the client and admin APIs live at the region defaults
(``https://{appId}.apiclient-{region}.cometchat.io/v3.0/``) or at the overrides. After login
the server's ``settings`` name the hosts (``CLIENT_API_HOST``, ``ADMIN_API_HOST``,
``CHAT_HOST``, ``CHAT_WSS_PORT``), as the official SDKs use them, except that an override
given in :class:`~cometchat_sync.settings.AppSettings` always wins.

An override URL carries no version segment (``{scheme}://{host}/{endpoint}``), as in the
official JavaScript SDK; the emulator serves both forms.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from typing import Optional

from .. import _validate as check
from .._version import API_VERSION
from ..settings import AppSettings
from ..settings import HostOverride

__all__ = ["Endpoints", "conversation_path"]


class Endpoints:
    """Builds URLs from the app id, the settings and (after login) the server's settings."""

    def __init__(self, app_id: str, settings: AppSettings) -> None:
        self._app_id = app_id
        self._settings = settings

    def client_base(self, server_settings: Optional[Mapping[str, Any]] = None) -> str:
        """Base URL (ending in ``/``) of the client API."""
        return self._base(
            self._settings.client_host, server_settings, "CLIENT_API_HOST", "apiclient"
        )

    def admin_base(self, server_settings: Optional[Mapping[str, Any]] = None) -> str:
        """Base URL (ending in ``/``) of the admin API (used for auth-token creation)."""
        return self._base(self._settings.admin_host, server_settings, "ADMIN_API_HOST", "api")

    def _base(
        self,
        override: Optional[HostOverride],
        server_settings: Optional[Mapping[str, Any]],
        host_key: str,
        default_prefix: str,
    ) -> str:
        if override is not None:
            return override.base_url + "/"
        host = _setting(server_settings, host_key)
        if host:
            version = _setting(server_settings, "CHAT_API_VERSION") or API_VERSION
            return f"https://{host}/{version}/"
        region = self._settings.region
        return f"https://{self._app_id}.{default_prefix}-{region}.cometchat.io/{API_VERSION}/"

    def origin(self) -> str:
        """The server a session made here belongs to: the app id, the region and the base
        URLs of the client and admin APIs (overrides included), as one string. A stored
        session of another origin is not used (another app, region, host or port)."""
        return " ".join(
            (self._app_id, self._settings.region, self.client_base(), self.admin_base())
        )

    def websocket_url(self, server_settings: Optional[Mapping[str, Any]] = None) -> str:
        """``wss://{host}:{CHAT_WSS_PORT}`` from the server's settings (``ws://`` when the
        client host override is plain ``http://``)."""
        scheme = "ws" if self._settings.insecure_transport else "wss"
        host = (
            _setting(server_settings, "CHAT_HOST_OVERRIDE")
            or _setting(server_settings, "CHAT_HOST_APP_SPECIFIC")
            or _setting(server_settings, "CHAT_HOST")
            or f"{self._app_id}.websocket-{self._settings.region}.cometchat.io"
        )
        port = _setting(server_settings, "CHAT_WSS_PORT") or "443"
        if ":" in host and not host.startswith("["):
            host = f"[{host}]"
        return f"{scheme}://{host}:{port}"


def _setting(server_settings: Optional[Mapping[str, Any]], key: str) -> str:
    if not server_settings:
        return ""
    value = server_settings.get(key)
    if value is None or isinstance(value, (dict, list)):
        return ""
    return str(value).strip()


def conversation_path(receiver_id: str, receiver_type: str) -> str:
    """The history path of a conversation: ``users/{uid}/messages`` or
    ``groups/{guid}/messages`` (ids checked and percent-encoded)."""
    kind = "groups" if check.receiver_type(receiver_type) == "group" else "users"
    return f"{kind}/{check.path_segment(receiver_id, 'receiver id')}/messages"
