"""The session record and the store contract: :class:`Session`, :class:`SessionStore`, the ids.

A :class:`Session` is what ``login()`` produced; a :class:`SessionStore` keeps it, together with
a persistent *device id* that survives logouts and restarts. :func:`new_resource_id` names one
run of the app. The shared pieces of the stores (their content, the argument checks) live here
too.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from typing import Callable
from typing import Optional
from typing import Protocol
from typing import runtime_checkable

from .._version import __version__

__all__ = ["Session", "SessionStore", "new_resource_id"]


def epoch_ms() -> int:
    return time.time_ns() // 1_000_000


def new_resource_id() -> str:
    """A new per-run resource id, ``PYTHON-<version with _>-<uuid4>-<epoch ms>``.

    The resource id names one run of the app (the REST ``resource`` header and the socket's
    ``deviceId``), in the shape the official SDKs use (observed traffic). It is never written
    to disk by the stores; make one per run.
    """
    return f"PYTHON-{__version__.replace('.', '_')}-{uuid.uuid4()}-{epoch_ms()}"


def new_device_id(app_id: str) -> str:
    return f"{app_id}_{uuid.uuid4().hex}_{epoch_ms()}"


def check_app_id(app_id: str) -> str:
    if not isinstance(app_id, str):
        raise TypeError(f"app_id must be a str, not {type(app_id).__name__}")
    if not app_id.strip():
        raise ValueError("app_id must be a non-empty string")
    return app_id


@dataclass(frozen=True, repr=False)
class Session:
    """One logged-in session.

    Attributes:
        uid: the logged-in user's uid.
        auth_token: the user's auth token (masked in ``repr()``).
        jwt: the JWT the socket authenticates with (masked in ``repr()``).
        user: the user's wire JSON, as the login call returned it.
        settings: the app settings fetched at login.
        resource: the per-run resource id the session was made with (see
            :func:`new_resource_id`), or ``""``.
        origin: the server the session was made for (the app id, region and API base
            URLs, as one string), or ``""`` in a session stored by an older version. A
            client pointed at another server does not use it.
    """

    uid: str
    auth_token: str
    jwt: str
    user: dict[str, Any]
    settings: dict[str, Any]
    resource: str = ""
    origin: str = ""

    def to_json(self) -> dict[str, Any]:
        """This session as a JSON-ready dict (tokens included: store it with care)."""
        return {
            "uid": self.uid,
            "auth_token": self.auth_token,
            "jwt": self.jwt,
            "user": dict(self.user),
            "settings": dict(self.settings),
            "resource": self.resource,
            "origin": self.origin,
        }

    @classmethod
    def from_json(cls, data: Any) -> Session:
        """Build a session from :meth:`to_json`'s output.

        Raises:
            ValueError: ``data`` is not a dict of the expected shape. The message names the
                field, never its value.
        """
        if not isinstance(data, Mapping):
            raise ValueError("session must be a JSON object")
        for name in ("uid", "auth_token"):
            value = data.get(name)
            if not isinstance(value, str) or not value:
                raise ValueError(f"session field {name!r} must be a non-empty string")
        if not isinstance(data.get("jwt"), str):
            raise ValueError("session field 'jwt' must be a string")
        for name in ("resource", "origin"):
            if not isinstance(data.get(name, ""), str):
                raise ValueError(f"session field {name!r} must be a string")
        for name in ("user", "settings"):
            if not isinstance(data.get(name), dict):
                raise ValueError(f"session field {name!r} must be a JSON object")
        return cls(
            uid=data["uid"],
            auth_token=data["auth_token"],
            jwt=data["jwt"],
            user=dict(data["user"]),
            settings=dict(data["settings"]),
            resource=data.get("resource", ""),
            origin=data.get("origin", ""),
        )

    def __repr__(self) -> str:
        return f"Session(uid={self.uid!r}, auth_token='***', jwt='***', resource={self.resource!r})"


@runtime_checkable
class SessionStore(Protocol):
    """What the client needs from a session store.

    Every method is safe to call from any thread. Implementations must never log or raise
    with a token in the text.
    """

    def load(self) -> Optional[Session]:
        """The stored session, or ``None`` when logged out."""
        ...

    def save(self, session: Session) -> None:
        """Store ``session``, replacing any previous one."""
        ...

    def clear(self) -> None:
        """Forget the session (logout). The device id is kept."""
        ...

    def device_id(self) -> str:
        """The persistent device id, created on first use and kept across logouts."""
        ...

    def update(self, fn: Callable[[Optional[Session]], Optional[Session]]) -> Optional[Session]:
        """Atomically replace the session with ``fn(current)``; ``None`` clears it.

        ``fn`` runs while the store is locked (across processes for a file store), so it must
        be quick and must not wait on other processes. Returns what ``fn`` returned.
        """
        ...


class State:
    """The content of a store: the device id and the session."""

    __slots__ = ("device_id", "session")

    def __init__(self, device_id: Optional[str] = None, session: Optional[Session] = None) -> None:
        self.device_id = device_id
        self.session = session


def check_session(value: object) -> None:
    if value is not None and not isinstance(value, Session):
        raise TypeError(f"a session store holds Session objects, not {type(value).__name__}")
