"""Point a client at an emulator."""

from __future__ import annotations

from ..session import MemorySessionStore
from ..settings import AppSettingsBuilder
from .emulator import Emulator

__all__ = ["emulator_settings"]


def emulator_settings(emulator: Emulator) -> AppSettingsBuilder:
    """An :class:`AppSettingsBuilder` aimed at ``emulator``: its region, its client and admin
    hosts (plain http/ws unless the emulator runs TLS), and an in-memory session store so a
    run leaves no session file behind. Add further settings and call ``build()``."""
    return (
        AppSettingsBuilder()
        .set_region(emulator.region)
        .override_client_host(emulator.client_host)
        .override_admin_host(emulator.admin_host)
        .set_session_store(MemorySessionStore(emulator.app_id))
    )
