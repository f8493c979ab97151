"""The app's extensions and feature parameters, as its settings carry them, and the
emulator's stand-in for the extension hosts.

The settings (``GET settings``, and ``settings`` in the login answer) carry ``extensions`` (a
list of objects with at least ``id``) and ``parameters`` (feature name -> value); the official
SDKs' ``isExtensionEnabled``, ``getExtensionDetails`` and ``isFeatureEnabled`` read them from
there (https://www.cometchat.com/docs/sdk/javascript/extensions-overview and the
JavaScript SDK's type declarations). A test sets both with ``Emulator.set_extensions`` and
``Emulator.set_feature_parameters``.

The hosted service serves each extension on its own host,
``https://{slug}-{REGION}.{EXTENSION_DOMAIN}/{endpoint}`` (observed traffic of the official
JavaScript SDK). The emulator has one host, so it serves ``extensions/{slug}/{endpoint}`` on its
REST port, and a test decides what an extension answers with a handler
(``Emulator.handle_extension``); an extension that is not enabled, or has no handler, answers
404 ``ERR_API_NOT_FOUND``, as an unknown path does.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any
from typing import Callable

from ._records import JSON
from ._records import ApiError
from ._records import Store

__all__ = ["ExtensionCall", "ExtensionHandler", "Extensions"]


@dataclass(frozen=True)
class ExtensionCall:
    """One call to an extension, as its handler sees it."""

    uid: str  # the caller
    method: str
    endpoint: str  # the path after ``extensions/{slug}/``
    body: JSON
    query: dict[str, str]


ExtensionHandler = Callable[[ExtensionCall], Any]
"""What an extension answers: the ``data`` of its envelope (raise :class:`ApiError` to refuse)."""


class Extensions:
    """The extension list, the feature parameters and the extension handlers of one app."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._items: list[JSON] = []
        self._parameters: JSON = {}
        self._handlers: dict[str, ExtensionHandler] = {}

    def set_items(self, items: list[JSON]) -> None:
        """Replace the ``extensions`` list of the settings (each an object with ``id``)."""
        if not all(isinstance(item, dict) and isinstance(item.get("id"), str) for item in items):
            raise ValueError("each extension is a dict with a string 'id'")
        with self.store.lock:
            self._items = copy.deepcopy(items)
            self.store.changed()

    def set_parameters(self, parameters: JSON) -> None:
        """Replace the ``parameters`` (feature name -> value) of the settings."""
        with self.store.lock:
            self._parameters = copy.deepcopy(dict(parameters))
            self.store.changed()

    def set_handler(self, slug: str, handler: ExtensionHandler) -> None:
        with self.store.lock:
            self._handlers[slug] = handler

    def settings(self) -> JSON:
        """The ``extensions`` and ``parameters`` entries of the settings, as copies."""
        with self.store.lock:
            return {
                "extensions": copy.deepcopy(self._items),
                "parameters": copy.deepcopy(self._parameters),
            }

    def call(self, slug: str, call: ExtensionCall) -> Any:
        """Run the handler of the enabled extension ``slug`` (outside the store lock: a
        handler may use the emulator)."""
        with self.store.lock:
            enabled = any(item.get("id") == slug for item in self._items)
            handler = self._handlers.get(slug) if enabled else None
        if handler is None:
            raise ApiError(
                404,
                "ERR_API_NOT_FOUND",
                f"The API {call.method} /extensions/{slug}/{call.endpoint} does not exist.",
            )
        return handler(call)
