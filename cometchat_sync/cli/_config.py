"""The options every subcommand that talks to CometChat shares, and how they become an app
id, settings and credentials: an option wins over its environment variable; ``--emulator URL``
fills in the emulator's defaults."""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Optional

from ..client import CometChatClient
from ..errors import CometChatException
from ..models import User
from ..session import MemorySessionStore
from ..settings import AppSettings
from ..settings import AppSettingsBuilder

__all__ = ["Config", "UsageError", "add_connection_options", "config_of", "log_in"]

# The defaults of ``python -m cometchat_sync.testing.emulator`` (its --app-id, --region and
# --auth-key), used with --emulator when not given.
EMULATOR_APP_ID = "cometchat-emulator"
EMULATOR_REGION = "eu"
EMULATOR_AUTH_KEY = "emulator-auth-key"


class UsageError(Exception):
    """A value is missing or wrong: one line on stderr, exit code 2."""


@dataclass(frozen=True)
class Config:
    """What a subcommand needs to make a client and log in (tokens never in the repr)."""

    app_id: str
    settings: AppSettings
    uid: Optional[str]
    auth_key: Optional[str] = None
    auth_token: Optional[str] = None

    def settings_builder(self, auto: bool) -> AppSettingsBuilder:
        """A builder of these settings, in auto mode (the link opens at login) or manual mode
        (the subcommand connects itself, or never)."""
        return AppSettingsBuilder.from_settings(self.settings).auto_establish_socket_connection(
            auto
        )

    def __repr__(self) -> str:
        return f"Config(app_id={self.app_id!r}, uid={self.uid!r})"


def add_connection_options(parser: argparse.ArgumentParser) -> None:
    """Add the shared options to ``parser``."""
    group = parser.add_argument_group(
        "app and credentials",
        "Each option overrides the environment variable named in its help.",
    )
    group.add_argument("--app-id", help="the CometChat app id (COMETCHAT_APP_ID)")
    group.add_argument("--region", help='the app\'s region, e.g. "us", "eu" (COMETCHAT_REGION)')
    group.add_argument("--uid", help="the user to log in as, with the Auth Key (COMETCHAT_UID)")
    group.add_argument(
        "--auth-key",
        help="the app's Auth Key, to log in with --uid; for development (COMETCHAT_AUTH_KEY)",
    )
    group.add_argument(
        "--auth-token",
        help="an auth token your server created for the user (COMETCHAT_AUTH_TOKEN)",
    )
    group.add_argument(
        "--client-host",
        help="URL of the client API instead of the region's: https://host[:port], or "
        "http://host:port for a local emulator (COMETCHAT_CLIENT_HOST)",
    )
    group.add_argument(
        "--admin-host",
        help="URL of the admin API instead of the region's: https://host[:port], or "
        "http://host:port for a local emulator (COMETCHAT_ADMIN_HOST)",
    )
    group.add_argument(
        "--emulator",
        metavar="URL",
        help="a running emulator (python -m cometchat_sync.testing.emulator), e.g. "
        "http://127.0.0.1:8080: both hosts, and its app id, region and Auth Key unless given",
    )
    group.add_argument(
        "--session-dir",
        help="keep the session in this folder (default: the user data folder; with "
        "--emulator: in memory, nothing written)",
    )
    group.add_argument(
        "--timeout",
        type=float,
        default=10.0,
        help="seconds for connecting and for each request (default 10)",
    )


def config_of(args: argparse.Namespace, environ: Optional[Mapping[str, str]] = None) -> Config:
    """The :class:`Config` of the parsed ``args`` and ``environ`` (``os.environ`` by default).

    Raises:
        UsageError: a required value is missing or a value is wrong.
    """
    env = os.environ if environ is None else environ

    def pick(option: Optional[str], variable: str, default: Optional[str] = None) -> Optional[str]:
        if option:
            return option
        return env.get(variable, "").strip() or default

    emulator = args.emulator
    app_id = pick(args.app_id, "COMETCHAT_APP_ID", EMULATOR_APP_ID if emulator else None)
    if not app_id:
        raise UsageError("no app id: pass --app-id, set COMETCHAT_APP_ID, or use --emulator URL")
    builder = AppSettingsBuilder.from_env(env)
    region = args.region or (
        EMULATOR_REGION if emulator and not env.get("COMETCHAT_REGION") else None
    )
    if region:
        builder.set_region(region)
    client_host = args.client_host or emulator
    admin_host = args.admin_host or emulator
    if client_host:
        builder.override_client_host(client_host)
    if admin_host:
        builder.override_admin_host(admin_host)
    if args.session_dir:
        builder.set_session_dir(args.session_dir)
    elif emulator:
        builder.set_session_store(MemorySessionStore(app_id))
    if not args.timeout > 0:
        raise UsageError("--timeout must be a positive number of seconds")
    builder.set_connect_timeout(args.timeout).set_request_timeout(args.timeout)
    try:
        settings = builder.build()
    except CometChatException as exc:
        raise UsageError(exc.message) from None
    return Config(
        app_id=app_id,
        settings=settings,
        uid=pick(args.uid, "COMETCHAT_UID"),
        auth_key=pick(args.auth_key, "COMETCHAT_AUTH_KEY", EMULATOR_AUTH_KEY if emulator else None),
        auth_token=pick(args.auth_token, "COMETCHAT_AUTH_TOKEN"),
    )


def log_in(client: CometChatClient, config: Config) -> User:
    """Log in with the configured credentials, or use the stored session when none are given.

    Raises:
        UsageError: no credentials and no stored session.
        CometChatException: the service refused the login.
    """
    if config.auth_token:
        return client.login(auth_token=config.auth_token)
    if config.uid and config.auth_key:
        return client.login(config.uid, config.auth_key)
    stored = client.get_logged_in_user()
    if stored is not None and (config.uid is None or stored.uid == config.uid.lower()):
        return stored
    if config.uid:
        raise UsageError(
            f"no Auth Key to log {config.uid} in: pass --auth-key or set COMETCHAT_AUTH_KEY"
        )
    raise UsageError(
        "no user: pass --uid with --auth-key (or COMETCHAT_UID and COMETCHAT_AUTH_KEY), "
        "or --auth-token (COMETCHAT_AUTH_TOKEN)"
    )
