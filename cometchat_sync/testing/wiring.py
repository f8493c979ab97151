"""Point a client at an emulator: one in this process, or one running elsewhere by its URL.

Only the standard library and the SDK: works without the ``emulator`` extra, so a test
process can talk to an emulator that another process runs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from dataclasses import field
from typing import Optional
from typing import Protocol
from typing import Union
from urllib.parse import urlsplit

from ..errors import CometChatException
from ..errors import ErrorCode
from ..session import MemorySessionStore
from ..settings import AppSettingsBuilder

__all__ = [
    "DEFAULT_APP_ID",
    "DEFAULT_AUTH_KEY",
    "DEFAULT_REGION",
    "EmulatorAddress",
    "EmulatorTarget",
    "emulator_settings",
]

# The identity an emulator has unless it was given another (``Emulator()`` and
# ``python -m cometchat_sync.testing.emulator`` with no options); a test checks they match.
DEFAULT_APP_ID = "cometchat-emulator"
DEFAULT_REGION = "eu"
DEFAULT_AUTH_KEY = "emulator-auth-key"


class _Reachable(Protocol):
    """What a client needs to know of an emulator (an ``Emulator`` has these properties)."""

    @property
    def app_id(self) -> str: ...

    @property
    def region(self) -> str: ...

    @property
    def client_host(self) -> str: ...

    @property
    def admin_host(self) -> str: ...


@dataclass(frozen=True)
class EmulatorAddress:
    """Where a running emulator is and which app it serves, for a client in another process.

    Args:
        client_host: the emulator's REST URL, ``http://HOST:PORT`` (``https://`` when it
            serves TLS), as its ``client_host`` property or its command line's ready line
            print it. The WebSocket address comes from the emulator's settings at login.
        app_id: the emulator's app id (default ``"cometchat-emulator"``).
        region: its region (default ``"eu"``).
        auth_key: its Auth Key (default ``"emulator-auth-key"``); left out of the ``repr``.
        admin_host: its admin API URL; the same server as ``client_host`` when not given.

    Raises:
        CometChatException: ``ERR_INVALID_PARAMETER`` when a URL is not ``http(s)://HOST:PORT``
            or a name is empty.
    """

    client_host: str
    app_id: str = DEFAULT_APP_ID
    region: str = DEFAULT_REGION
    auth_key: str = field(default=DEFAULT_AUTH_KEY, repr=False)
    admin_host: str = ""

    def __post_init__(self) -> None:
        _check_url("client_host", self.client_host)
        if not self.admin_host:
            object.__setattr__(self, "admin_host", self.client_host)
        _check_url("admin_host", self.admin_host)
        for name in ("app_id", "region", "auth_key"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                raise CometChatException(
                    ErrorCode.INVALID_PARAMETER, f"EmulatorAddress.{name} must be a non-empty str"
                )

    @classmethod
    def from_json(cls, line: Union[str, bytes]) -> EmulatorAddress:
        """The address in the JSON line that ``python -m cometchat_sync.testing.emulator``
        prints when it is ready (keys ``client_host``, ``admin_host``, ``app_id``,
        ``region``, ``auth_key``).

        Args:
            line: that line, as text or bytes.

        Returns:
            The emulator's address.

        Raises:
            CometChatException: ``ERR_INVALID_PARAMETER`` when the line is not such a JSON
                object.
        """
        try:
            info = json.loads(line)
            return cls(
                client_host=info["client_host"],
                app_id=info.get("app_id", DEFAULT_APP_ID),
                region=info.get("region", DEFAULT_REGION),
                auth_key=info.get("auth_key", DEFAULT_AUTH_KEY),
                admin_host=info.get("admin_host", ""),
            )
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise CometChatException(
                ErrorCode.INVALID_PARAMETER,
                f"not an emulator's ready line ({type(exc).__name__})",
            ) from exc

    @classmethod
    def of(cls, emulator: _Reachable, auth_key: str = DEFAULT_AUTH_KEY) -> EmulatorAddress:
        """The address of ``emulator`` (an in-process ``Emulator``), to hand to another
        process or thread that should not hold the emulator object itself.

        Args:
            emulator: anything with ``client_host``, ``admin_host``, ``app_id`` and
                ``region``; its ``auth_key`` is taken when it has one.
            auth_key: the Auth Key when ``emulator`` has none.

        Returns:
            The emulator's address.
        """
        return cls(
            client_host=emulator.client_host,
            app_id=emulator.app_id,
            region=emulator.region,
            auth_key=getattr(emulator, "auth_key", auth_key),
            admin_host=emulator.admin_host,
        )


EmulatorTarget = Union[_Reachable, EmulatorAddress, str]
"""An ``Emulator``, an :class:`EmulatorAddress`, or an emulator's REST URL."""


def emulator_settings(target: EmulatorTarget) -> AppSettingsBuilder:
    """An :class:`AppSettingsBuilder` aimed at an emulator: its region, its client and admin
    hosts (plain http/ws unless the emulator serves TLS), and an in-memory session store.

    The session store is a new ``MemorySessionStore`` on every call, so a client never finds
    a session of an earlier run (or of an earlier emulator on the same port, whose tokens the
    new one would refuse) and a run leaves no session file behind. Add further settings and
    call ``build()``.

    Args:
        target: an in-process ``Emulator``; an :class:`EmulatorAddress`; or the REST URL of
            a running emulator with the default app (``"http://127.0.0.1:PORT"``, as
            ``python -m cometchat_sync.testing.emulator`` prints in ``client_host``).

    Returns:
        A builder; its app id is ``target``'s ``app_id`` (pass the same id to the client).

    Raises:
        CometChatException: ``ERR_INVALID_PARAMETER`` when ``target`` is a string that is
            not ``http(s)://HOST:PORT``.
    """
    address = EmulatorAddress(target) if isinstance(target, str) else target
    return (
        AppSettingsBuilder()
        .set_region(address.region)
        .override_client_host(address.client_host)
        .override_admin_host(address.admin_host)
        .set_session_store(MemorySessionStore(address.app_id))
    )


def _check_url(name: str, url: object) -> None:
    parts = urlsplit(url) if isinstance(url, str) else None
    port: Optional[int] = None
    try:
        port = parts.port if parts is not None else None
    except ValueError:
        port = None
    if (
        parts is None
        or parts.scheme not in ("http", "https")
        or not parts.hostname
        or port is None
        or parts.path not in ("", "/")
        or parts.query
        or parts.fragment
        or parts.username is not None
    ):
        # A URL with user info may carry a password: it is not repeated.
        shown = repr(url) if isinstance(url, str) and "@" not in url else "another value"
        raise CometChatException(
            ErrorCode.INVALID_PARAMETER,
            f"{name} must be an emulator's URL, http(s)://HOST:PORT; got {shown}",
        )
