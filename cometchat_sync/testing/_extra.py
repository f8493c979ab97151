"""The one message for a missing ``emulator`` extra: what is missing and how to install it."""

from __future__ import annotations

__all__ = ["EMULATOR_EXTRA_HINT", "missing_emulator_extra"]

EMULATOR_EXTRA_HINT = 'pip install "cometchat-sync[emulator]"'


def missing_emulator_extra(exc: ImportError) -> ImportError:
    """An ``ImportError`` saying that the emulator needs the ``emulator`` extra, naming the
    command that installs it; raise it ``from exc`` so the original error stays visible."""
    return ImportError(
        "The CometChat emulator needs the 'emulator' extra (the websockets package, "
        f"{exc}): {EMULATOR_EXTRA_HINT}",
        name=exc.name,
    )
