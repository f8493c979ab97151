"""One lazily made, logged-in client per process, for web frameworks (Flask, Django).

The client is made on the first :meth:`PerProcessClient.get` in a process: never at import,
in an app factory, in ``AppConfig.ready()`` or in a pre-fork server's master that never
serves a request. Threads of one process share it (a lock around its creation); a forked
child makes its own (the parent's is dropped unclosed, as the SDK's fork rule says). It is
closed at interpreter exit by the SDK's own exit hook.

Web workers default to manual mode and never connect: sending is REST only, so a worker has
no socket and no SDK thread, and events are left to one listener process (the ``listen``
command, or Django's ``cometchat_listen``). Workers that log in as the same user share the
stored session, and so one auth token: the first login of each process holds a
cross-process lock on the session folder (``filelock``, a runtime dependency) so that the
second worker finds the session the first one stored instead of creating another token.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from typing import Optional

from filelock import FileLock
from filelock import Timeout

from .. import _fork
from ..client import CometChatClient
from ..errors import CometChatException
from ..errors import ErrorCode
from ..session import FileSessionStore
from ..settings import AppSettings
from ..settings import AppSettingsBuilder

__all__ = ["Config", "PerProcessClient", "log_in"]

# The configuration names (Flask: with the COMETCHAT_ prefix; Django: keys of COMETCHAT).
KEYS = (
    "APP_ID",
    "REGION",
    "UID",
    "AUTH_KEY",
    "AUTH_TOKEN",
    "CLIENT_HOST",
    "ADMIN_HOST",
    "SESSION_DIR",
    "AUTO_CONNECT",
    "SETTINGS",
)


@dataclass(frozen=True)
class Config:
    """What a web app configured: the app id, the settings and who to log in as (tokens are
    kept out of the repr)."""

    app_id: str
    settings: AppSettings
    uid: Optional[str] = None
    auth_key: Optional[str] = None
    auth_token: Optional[str] = None

    def __repr__(self) -> str:
        return f"Config(app_id={self.app_id!r}, uid={self.uid!r})"

    @classmethod
    def from_mapping(
        cls, values: Mapping[str, Any], environ: Optional[Mapping[str, str]] = None
    ) -> Config:
        """Read the :data:`KEYS` from ``values``; a key that is missing or empty there falls
        back to the ``COMETCHAT_<KEY>`` environment variable. ``SETTINGS`` may be an
        :class:`AppSettings` to start from; ``AUTO_CONNECT`` (default ``False``: manual
        mode, REST only) turns auto mode on.

        Raises:
            CometChatException: ``MISSING_PARAMETERS`` without an app id, or without a way
                to log in (``UID`` with ``AUTH_KEY``, or ``AUTH_TOKEN``);
                ``ERR_INVALID_PARAMETER`` for a wrong value, as the settings builder says.
        """
        env = os.environ if environ is None else environ

        def get(key: str) -> Any:
            value = values.get(key)
            if value is None or value == "":
                value = env.get(f"COMETCHAT_{key}", "").strip() or None
            return value

        app_id = get("APP_ID")
        if not app_id:
            raise CometChatException(
                ErrorCode.MISSING_PARAMETERS,
                "CometChat needs an app id: the APP_ID setting or COMETCHAT_APP_ID.",
            )
        base = get("SETTINGS")
        if base is not None and not isinstance(base, AppSettings):
            raise CometChatException(
                ErrorCode.INVALID_PARAMETER, "SETTINGS must be built with AppSettingsBuilder."
            )
        builder = (
            AppSettingsBuilder.from_settings(base)
            if base is not None
            else AppSettingsBuilder.from_env(env)
        )
        for key, setter in (
            ("REGION", builder.set_region),
            ("CLIENT_HOST", builder.override_client_host),
            ("ADMIN_HOST", builder.override_admin_host),
            ("SESSION_DIR", builder.set_session_dir),
        ):
            value = get(key)
            if value:
                setter(value)
        auto = get("AUTO_CONNECT")
        if isinstance(auto, str):
            auto = auto.strip().lower() in ("1", "true", "yes", "on")
        builder.auto_establish_socket_connection(bool(auto))
        config = cls(
            app_id=str(app_id),
            settings=builder.build(),
            uid=get("UID"),
            auth_key=get("AUTH_KEY"),
            auth_token=get("AUTH_TOKEN"),
        )
        if not config.auth_token and not (config.uid and config.auth_key):
            raise CometChatException(
                ErrorCode.MISSING_PARAMETERS,
                "CometChat needs a user: UID with AUTH_KEY, or AUTH_TOKEN (or the "
                "COMETCHAT_UID, COMETCHAT_AUTH_KEY, COMETCHAT_AUTH_TOKEN variables).",
            )
        return config


class PerProcessClient:
    """The client of one :class:`Config`, made and logged in on first use in each process.

    Thread-safe; see the module docstring.
    """

    def __init__(self, config: Config) -> None:
        self.config = config
        self._lock = threading.Lock()
        self._client: Optional[CometChatClient] = None
        self._pid: Optional[int] = None
        _fork.register(self)

    def __repr__(self) -> str:
        return f"PerProcessClient({self.config!r}, made={self._client is not None})"

    @property
    def made(self) -> bool:
        """Whether this process has made its client yet (no I/O)."""
        return self._client is not None and self._pid == os.getpid()

    def get(self) -> CometChatClient:
        """This process's client, logged in; made (and logged in) on the first call.

        Raises:
            CometChatException: the login failed (the next call tries again), or
                ``ERR_SESSION_LOCKED`` when another process held the login lock too long.
        """
        pid = os.getpid()
        client = self._client
        if client is not None and self._pid == pid:
            return client
        with self._lock:
            if self._client is not None and self._pid == pid:
                return self._client
            client = CometChatClient(self.config.app_id, self.config.settings)
            try:
                self._log_in(client)
            except BaseException:
                client.close()
                raise
            self._client, self._pid = client, pid
            return client

    def close(self) -> None:
        """Close this process's client, if it made one (the stored session is kept)."""
        with self._lock:
            client, self._client = self._client, None
        if client is not None and self._pid == os.getpid():
            client.close()

    def after_fork_in_child(self) -> None:
        """In a forked child: a new lock; the parent's client is forgotten, not closed."""
        self._lock = threading.Lock()
        self._client = None
        self._pid = None

    def _log_in(self, client: CometChatClient) -> None:
        log_in(client, self.config)


def log_in(client: CometChatClient, config: Config) -> None:
    """Log ``client`` in as ``config`` says. With a session file (the default store), hold
    its folder's login lock across processes meanwhile, so that N processes logging in as
    the same user at once create one auth token: the first stores the session, the others
    find it (``login`` reuses a stored session of the same user).

    Raises:
        CometChatException: the login failed, or ``ERR_SESSION_LOCKED`` when another
            process held the login lock longer than twice the request timeout.
    """
    if client.settings.session_store is not None:  # a store of the app's own choosing
        _login_call(client, config)
        return
    path = FileSessionStore(config.app_id, directory=client.settings.session_dir).path
    os.makedirs(path.parent, mode=0o700, exist_ok=True)
    lock = FileLock(str(path) + ".login", timeout=config.settings.request_timeout * 2)
    try:
        with lock:
            _login_call(client, config)
    except Timeout:
        raise CometChatException(
            ErrorCode.SESSION_LOCKED, "Another process held the login lock too long."
        ) from None


def _login_call(client: CometChatClient, config: Config) -> None:
    if config.auth_token:
        client.login(auth_token=config.auth_token)
    else:
        client.login(config.uid, config.auth_key)
