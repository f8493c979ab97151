"""The ``with`` block of the test kit's local services (the emulator, the fault proxy): it
starts the service on entry and stops it on exit, whatever happened inside."""

from __future__ import annotations

from types import TracebackType
from typing import Optional
from typing import TypeVar

__all__ = ["LocalService"]

_S = TypeVar("_S", bound="LocalService")


class LocalService:
    """Base of a service with ``start()`` (which returns the service) and ``stop()``."""

    def start(self: _S) -> _S:
        """Start serving; return the service."""
        raise NotImplementedError

    def stop(self) -> None:
        """Stop serving and release every socket and thread."""
        raise NotImplementedError

    def __enter__(self: _S) -> _S:
        return self.start()

    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self.stop()
