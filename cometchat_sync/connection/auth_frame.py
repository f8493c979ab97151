"""The socket's first frame: the JWT, this run's resource, the presence subscription, and who
is speaking (``docs/protocol.md``; the shape of the official SDKs' observed traffic)."""

from __future__ import annotations

import platform
import sys
import time

from .. import _json
from .._version import API_VERSION
from .._version import __version__
from ..session import Session
from ..settings import AppSettings
from ..settings import PresenceSubscription

__all__ = ["USER_AGENT", "build_auth_frame"]

USER_AGENT = (
    f"cometchat_sync/{__version__} (Python {sys.version_info[0]}.{sys.version_info[1]}; "
    f"{platform.system() or 'unknown'})"
)


def build_auth_frame(
    app_id: str, session: Session, settings: AppSettings, resource: str, device_id: str
) -> str:
    """The JSON text of the ``auth`` frame for ``session``."""
    body: dict[str, object] = {
        "auth": session.jwt,
        "deviceId": resource,
        "params": {
            "appInfo": {
                "version": __version__,
                "apiVersion": API_VERSION,
                "origin": "python",
                "uts": int(time.time() * 1000),
            },
            "userAgent": USER_AGENT,
            "deviceId": device_id,
            "platform": "python",
        },
    }
    if settings.presence_subscription is not None:
        body["presenceSubscription"] = settings.presence_subscription
        if settings.presence_subscription == PresenceSubscription.ROLES:
            body["roles"] = list(settings.presence_roles)
    frame = {
        "appId": app_id,
        "deviceId": resource,
        "type": "auth",
        "sender": session.uid,
        "body": body,
    }
    return _json.dumps(frame)
