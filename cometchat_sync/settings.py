"""``AppSettings`` and its fluent builder: region, presence, connection mode, hosts, timings.

Mirrors the official ``AppSettingsBuilder`` in snake_case::

    settings = (
        AppSettingsBuilder()
        .set_region("eu")
        .subscribe_presence_for_all_users()
        .auto_establish_socket_connection(True)
        .build()
    )

Every value is checked once, in :meth:`AppSettingsBuilder.build`; a bad value raises
:class:`~cometchat_sync.errors.CometChatException` with code ``MISSING_PARAMETERS`` (a value
that is required is empty) or ``ERR_INVALID_PARAMETER`` (a value is out of range).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from dataclasses import replace
from typing import TYPE_CHECKING
from typing import Optional
from typing import Union
from urllib.parse import urlsplit

from . import _validate as check
from ._proxy_url import parse_proxy_url
from .errors import CometChatException
from .errors import ErrorCode

if TYPE_CHECKING:
    from .session import SessionStore

__all__ = ["AppSettings", "AppSettingsBuilder", "HostOverride", "PresenceSubscription"]

# What a session store must offer (the SessionStore protocol), checked at build().
_STORE_METHODS = ("load", "save", "clear", "device_id", "update")


class PresenceSubscription:
    """Values of the ``presenceSubscription`` field of the socket's auth frame."""

    ALL_USERS = "ALL_USERS"
    ROLES = "ROLES"
    FRIENDS = "FRIENDS"


@dataclass(frozen=True)
class HostOverride:
    """A host given to ``override_client_host``/``override_admin_host``, parsed.

    ``scheme`` is ``"https"`` unless the caller wrote ``http://`` explicitly; ``netloc`` is
    ``host`` or ``host:port``.
    """

    scheme: str
    netloc: str

    @property
    def base_url(self) -> str:
        return f"{self.scheme}://{self.netloc}"

    @property
    def secure(self) -> bool:
        return self.scheme == "https"

    @classmethod
    def parse(cls, value: str, what: str) -> HostOverride:
        if not isinstance(value, str) or not value.strip():
            raise CometChatException(ErrorCode.MISSING_PARAMETERS, f"{what} cannot be empty.")
        text = value.strip()
        if "://" not in text:
            text = "https://" + text
        try:
            parts = urlsplit(text)
        except ValueError:  # "http://[bad": an unclosed IPv6 bracket
            raise CometChatException(
                ErrorCode.INVALID_PARAMETER,
                f"{what} must be a host with an optional scheme and port, like "
                f"'api.example.com' or 'http://127.0.0.1:8080'.",
            ) from None
        scheme = parts.scheme.lower()
        if scheme not in ("http", "https"):
            raise CometChatException(
                ErrorCode.INVALID_PARAMETER,
                f"{what} must use http:// or https://, not {parts.scheme}://.",
            )
        try:
            port = parts.port
        except ValueError:
            port = None
            valid_port = False
        else:
            valid_port = True
        if not parts.hostname or not valid_port or parts.path not in ("", "/"):
            raise CometChatException(
                ErrorCode.INVALID_PARAMETER,
                f"{what} must be a host with an optional scheme and port, like "
                f"'api.example.com' or 'http://127.0.0.1:8080'.",
            )
        if parts.username or parts.password or parts.query or parts.fragment:
            raise CometChatException(
                ErrorCode.INVALID_PARAMETER,
                f"{what} must not carry credentials, a query or a fragment.",
            )
        netloc = parts.hostname if port is None else f"{parts.hostname}:{port}"
        if ":" in parts.hostname and port is None:
            netloc = f"[{parts.hostname}]"
        elif ":" in parts.hostname:
            netloc = f"[{parts.hostname}]:{port}"
        return cls(scheme=scheme, netloc=netloc)


@dataclass(frozen=True)
class AppSettings:
    """Immutable settings of a client. Build it with :class:`AppSettingsBuilder`.

    Times are in seconds. See the builder's setters for what each field means.
    """

    region: str = "eu"
    presence_subscription: Optional[str] = None
    presence_roles: tuple[str, ...] = ()
    auto_establish_socket_connection: bool = True
    client_host: Optional[HostOverride] = None
    admin_host: Optional[HostOverride] = None
    session_dir: Optional[str] = None
    session_store: Optional[SessionStore] = field(default=None, compare=False, repr=False)
    ca_bundle: Optional[str] = None
    ping_interval: float = 15.0
    pong_timeout: float = 3.0
    background_ping_deadline: float = 30.0
    connect_timeout: float = 10.0
    request_timeout: float = 30.0
    reconnect_backoff_base: float = 0.5
    reconnect_backoff_cap: float = 30.0
    probe_interval: float = 1.0
    max_frame_size: int = 1024 * 1024
    max_response_size: int = 4 * 1024 * 1024
    max_upload_size: int = 100 * 1024 * 1024
    upload_timeout: float = 300.0
    #: The HTTP proxy of ``set_proxy`` (it may carry a password: kept out of the repr).
    proxy: Optional[str] = field(default=None, repr=False)
    max_queued_events: int = 12_000

    @property
    def proxies(self) -> dict[str, str]:
        """The proxy of ``set_proxy`` as requests' ``proxies`` mapping, for every scheme
        (``{"http": url, "https": url}``); ``{}`` without one: then REST and the socket both
        follow ``HTTPS_PROXY``/``HTTP_PROXY``/``NO_PROXY`` as requests reads them. The URL
        may hold a password: never log it."""
        if self.proxy is None:
            return {}
        url = parse_proxy_url(self.proxy).url()
        return {"http": url, "https": url}

    @property
    def insecure_transport(self) -> bool:
        """True when the client host override says ``http://``: REST over http, socket over ws."""
        return self.client_host is not None and not self.client_host.secure


class AppSettingsBuilder:
    """Fluent builder of :class:`AppSettings`; every setter returns the builder."""

    def __init__(self) -> None:
        self._settings = AppSettings()
        self._errors: list[CometChatException] = []
        self._client_host: Optional[str] = None
        self._admin_host: Optional[str] = None

    @classmethod
    def from_settings(cls, settings: AppSettings) -> AppSettingsBuilder:
        """A builder that starts from ``settings`` (to derive a variant of them)."""
        builder = cls()
        builder._settings = replace(settings, client_host=None, admin_host=None)
        if settings.client_host is not None:
            builder._client_host = settings.client_host.base_url
        if settings.admin_host is not None:
            builder._admin_host = settings.admin_host.base_url
        return builder

    @classmethod
    def from_env(cls, environ: Optional[Mapping[str, str]] = None) -> AppSettingsBuilder:
        """A builder with the settings the environment names (``os.environ`` by default).

        Reads ``COMETCHAT_REGION`` (:meth:`set_region`), ``COMETCHAT_CLIENT_HOST``
        (:meth:`override_client_host`) and ``COMETCHAT_ADMIN_HOST``
        (:meth:`override_admin_host`); an unset or empty variable leaves the default. The
        app id and the credentials (``COMETCHAT_APP_ID``, ``COMETCHAT_AUTH_KEY``,
        ``COMETCHAT_AUTH_TOKEN``) are not settings: the caller reads them (the
        ``cometchat-sync`` command and the samples use these same names). Values are
        checked by :meth:`build`, as for the setters.

        Args:
            environ: a mapping of variable names to values; ``None`` means ``os.environ``.

        Returns:
            A new builder; chain further setters, then :meth:`build`.
        """
        env = os.environ if environ is None else environ
        builder = cls()
        region = env.get("COMETCHAT_REGION", "").strip()
        if region:
            builder.set_region(region)
        client_host = env.get("COMETCHAT_CLIENT_HOST", "").strip()
        if client_host:
            builder.override_client_host(client_host)
        admin_host = env.get("COMETCHAT_ADMIN_HOST", "").strip()
        if admin_host:
            builder.override_admin_host(admin_host)
        return builder

    def _set(self, **changes: object) -> AppSettingsBuilder:
        self._settings = replace(self._settings, **changes)  # type: ignore[arg-type]
        return self

    # -- service -------------------------------------------------------------------------

    def set_region(self, region: str) -> AppSettingsBuilder:
        """The app's region (``"us"``, ``"eu"``, ``"in"``, ...). Default ``"eu"``."""
        return self._set(region=region.strip().lower() if isinstance(region, str) else region)

    def subscribe_presence_for_all_users(self) -> AppSettingsBuilder:
        """Receive online/offline events for every user of the app."""
        return self._set(presence_subscription=PresenceSubscription.ALL_USERS, presence_roles=())

    def subscribe_presence_for_roles(self, roles: list[str]) -> AppSettingsBuilder:
        """Receive online/offline events for users having one of ``roles``."""
        return self._set(
            presence_subscription=PresenceSubscription.ROLES,
            presence_roles=tuple(roles) if isinstance(roles, (list, tuple)) else roles,
        )

    def subscribe_presence_for_friends(self) -> AppSettingsBuilder:
        """Receive online/offline events for the logged-in user's friends."""
        return self._set(presence_subscription=PresenceSubscription.FRIENDS, presence_roles=())

    def auto_establish_socket_connection(self, enabled: bool) -> AppSettingsBuilder:
        """``True`` (default): auto mode. ``False``: manual mode (``connect()``/``ping()``)."""
        return self._set(auto_establish_socket_connection=enabled)

    def override_client_host(self, host: str) -> AppSettingsBuilder:
        """Send client-API calls to ``host`` (``"host[:port]"``, scheme https unless given).

        With ``http://`` the client talks plain HTTP and plain WebSocket (``ws://``): meant
        for the local emulator only.
        """
        self._client_host = host
        return self

    def override_admin_host(self, host: str) -> AppSettingsBuilder:
        """Send admin-API calls (auth-token creation) to ``host``."""
        self._admin_host = host
        return self

    def set_ca_bundle(self, path: str) -> AppSettingsBuilder:
        """A CA bundle (PEM file) trusted for both REST (https) and the socket (wss)."""
        return self._set(ca_bundle=path)

    # -- session -------------------------------------------------------------------------

    def set_session_dir(self, path: Union[str, os.PathLike[str]]) -> AppSettingsBuilder:
        """Keep the session file under ``path`` instead of the platform's user data folder
        (replaces an earlier ``set_session_store``)."""
        try:
            folder = os.fspath(path)
        except TypeError:
            folder = None
        if not isinstance(folder, str):
            raise CometChatException(
                ErrorCode.INVALID_PARAMETER, "The session folder must be a str or os.PathLike path."
            )
        return self._set(session_dir=folder, session_store=None)

    def set_session_store(self, store: SessionStore) -> AppSettingsBuilder:
        """Use ``store`` (e.g. ``MemorySessionStore``) to keep the logged-in session
        (replaces an earlier ``set_session_dir``)."""
        return self._set(session_store=store, session_dir=None)

    # -- timings (seconds) -----------------------------------------------------------------

    def set_ping_interval(self, seconds: float) -> AppSettingsBuilder:
        """Keepalive ping period while connected in the foreground. Default 15."""
        return self._set(ping_interval=seconds)

    def set_pong_timeout(self, seconds: float) -> AppSettingsBuilder:
        """How long to wait for any frame after a ping before the link counts as dead. Default 3."""
        return self._set(pong_timeout=seconds)

    def set_background_ping_deadline(self, seconds: float) -> AppSettingsBuilder:
        """Manual mode: disconnect this long after going to background or the last ``ping()``."""
        return self._set(background_ping_deadline=seconds)

    def set_connect_timeout(self, seconds: float) -> AppSettingsBuilder:
        """Budget for opening and authenticating the socket. Default 10."""
        return self._set(connect_timeout=seconds)

    def set_request_timeout(self, seconds: float) -> AppSettingsBuilder:
        """Budget for one REST call (connect + response). Default 30."""
        return self._set(request_timeout=seconds)

    def set_reconnect_backoff(self, base: float, cap: float) -> AppSettingsBuilder:
        """Reconnect waits: full jitter between 0 and ``min(cap, base * 2**attempt)``."""
        return self._set(reconnect_backoff_base=base, reconnect_backoff_cap=cap)

    def set_probe_interval(self, seconds: float) -> AppSettingsBuilder:
        """While the host is unreachable, try a TCP connect about this often. Default 1."""
        return self._set(probe_interval=seconds)

    def set_max_frame_size(self, size: int) -> AppSettingsBuilder:
        """Largest inbound socket frame accepted, in bytes. Default 1 MiB."""
        return self._set(max_frame_size=size)

    def set_max_response_size(self, size: int) -> AppSettingsBuilder:
        """Largest REST answer body read, in bytes (at least 1024). Default 4 MiB. A larger
        answer is ``ERR_RESPONSE_TOO_LARGE``, found without reading it all."""
        return self._set(max_response_size=size)

    def set_max_upload_size(self, size: int) -> AppSettingsBuilder:
        """Largest file :meth:`~cometchat_sync.CometChatClient.send_media_message` uploads,
        in bytes (an int of at least 1). Default 100 MiB, the official SDKs' default; a
        smaller ``file.size.max`` in the app's settings wins. A larger file is
        ``ERR_FILE_SIZE_EXCEEDED``, found before anything is sent."""
        return self._set(max_upload_size=size)

    def set_upload_timeout(self, seconds: float) -> AppSettingsBuilder:
        """Longest one media upload (the whole request, answer included) may take, in
        seconds. Default 300. Other REST calls keep the request timeout."""
        return self._set(upload_timeout=seconds)

    def set_proxy(self, url: str) -> AppSettingsBuilder:
        """Send REST calls and the socket through the HTTP proxy ``url``
        (``"http://[user:password@]host[:port]"``; the socket is tunnelled with ``CONNECT``),
        for every host. Without it both follow ``HTTPS_PROXY``/``HTTP_PROXY``/``NO_PROXY``.
        The credentials never appear in a repr, a log line or an error."""
        return self._set(proxy=url)

    def set_max_queued_events(self, count: int) -> AppSettingsBuilder:
        """Most events (listener calls) waiting for the dispatcher thread; an int of at
        least 1. Default 12 000 (about 52 MiB of typical messages, ``docs/benchmarks.md``).
        Past it, message events are not queued: their conversations are fetched over REST
        once the queue drained (nothing lost, order kept per conversation); typing,
        receipts and presence are dropped; status changes and login outcomes are always
        queued. The socket is never held up. ``client.stats()`` counts both."""
        return self._set(max_queued_events=count)

    # -- build -----------------------------------------------------------------------------

    def build(self) -> AppSettings:
        """Check every value and return the frozen :class:`AppSettings`."""
        s = self._settings
        if not isinstance(s.region, str) or not s.region:
            raise CometChatException(ErrorCode.MISSING_PARAMETERS, "The region cannot be empty.")
        if not s.region.replace("-", "").isalnum():
            raise CometChatException(
                ErrorCode.INVALID_PARAMETER, f"The region {s.region!r} is not a valid region."
            )
        if s.presence_subscription == PresenceSubscription.ROLES and (
            not isinstance(s.presence_roles, tuple)
            or not s.presence_roles
            or not all(isinstance(r, str) and r for r in s.presence_roles)
        ):
            raise CometChatException(
                ErrorCode.MISSING_PARAMETERS,
                "subscribe_presence_for_roles() needs a non-empty list of role names.",
            )
        if not isinstance(s.auto_establish_socket_connection, bool):
            raise CometChatException(
                ErrorCode.INVALID_PARAMETER, "auto_establish_socket_connection() takes a bool."
            )
        for name in (
            "ping_interval",
            "pong_timeout",
            "background_ping_deadline",
            "connect_timeout",
            "request_timeout",
            "upload_timeout",
            "reconnect_backoff_base",
            "reconnect_backoff_cap",
            "probe_interval",
        ):
            check.seconds(getattr(s, name), name)
        if s.pong_timeout >= s.ping_interval:
            raise CometChatException(
                ErrorCode.INVALID_PARAMETER,
                f"The pong timeout ({s.pong_timeout} s) must be below the ping interval "
                f"({s.ping_interval} s).",
            )
        if s.reconnect_backoff_cap < s.reconnect_backoff_base:
            raise CometChatException(
                ErrorCode.INVALID_PARAMETER,
                "The reconnect backoff cap must not be below its base.",
            )
        if (
            isinstance(s.max_frame_size, bool)
            or not isinstance(s.max_frame_size, int)
            or (s.max_frame_size < 1024)
        ):
            raise CometChatException(
                ErrorCode.INVALID_PARAMETER, "The max frame size must be an int of at least 1024."
            )
        if (
            isinstance(s.max_response_size, bool)
            or not isinstance(s.max_response_size, int)
            or s.max_response_size < 1024
        ):
            raise CometChatException(
                ErrorCode.INVALID_PARAMETER,
                "The max response size must be an int of at least 1024.",
            )
        if (
            isinstance(s.max_upload_size, bool)
            or not isinstance(s.max_upload_size, int)
            or s.max_upload_size < 1
        ):
            raise CometChatException(
                ErrorCode.INVALID_PARAMETER, "The max upload size must be an int of at least 1."
            )
        if (
            isinstance(s.max_queued_events, bool)
            or not isinstance(s.max_queued_events, int)
            or s.max_queued_events < 1
        ):
            raise CometChatException(
                ErrorCode.INVALID_PARAMETER, "The max queued events must be an int of at least 1."
            )
        if s.session_dir is not None and not s.session_dir:
            raise CometChatException(
                ErrorCode.MISSING_PARAMETERS, "The session folder cannot be empty."
            )
        if s.session_store is not None and not all(
            callable(getattr(s.session_store, name, None)) for name in _STORE_METHODS
        ):
            raise CometChatException(
                ErrorCode.INVALID_PARAMETER,
                "The session store must be a SessionStore (MemorySessionStore, "
                "FileSessionStore, or an object with "
                f"{', '.join(f'{name}()' for name in _STORE_METHODS)}).",
            )
        if s.proxy is not None:
            try:
                parse_proxy_url(s.proxy)
            except ValueError as exc:
                raise CometChatException(ErrorCode.INVALID_PARAMETER, str(exc)) from None
        if s.ca_bundle is not None and not os.path.isfile(s.ca_bundle):
            raise CometChatException(
                ErrorCode.INVALID_PARAMETER, f"The CA bundle {s.ca_bundle!r} is not a file."
            )
        client_host = (
            HostOverride.parse(self._client_host, "The client host")
            if self._client_host is not None
            else None
        )
        admin_host = (
            HostOverride.parse(self._admin_host, "The admin host")
            if self._admin_host is not None
            else None
        )
        return replace(s, client_host=client_host, admin_host=admin_host)
