"""The emulator's controls of media uploads, moderation and flags (a mixin of
:class:`~cometchat_sync.testing.emulator.Emulator`)."""

from __future__ import annotations

import copy
from typing import Optional

from ._backend import Backend
from ._media import media_of
from ._moderation import Policy
from ._moderation import moderation_of
from ._peer import deliver
from ._records import JSON

__all__ = ["ChatControls"]


class ChatControls:
    """Moderation, flags and uploads of the emulated app."""

    _backend: Backend

    def enable_moderation(self, on: bool = True, policy: Optional[Policy] = None) -> None:
        """While on, new text, image and video messages are held ``pending`` (only their
        sender's devices see them) until :meth:`moderate` gives the verdict, or at once
        ``policy(message_json)`` does (``True`` approves, ``False`` disapproves, ``None``
        leaves it pending)."""
        moderation_of(self._backend.store).enable(on, policy)

    def moderate(self, message_id: object, approved: bool) -> None:
        """The verdict on a pending message: its sender's devices get an
        ``on_moderation_status_changed`` frame; when approved, the receivers get the message.
        ``ApiError`` for an unknown message or one that is not pending."""
        deliver(moderation_of(self._backend.store).moderate(str(message_id), approved))

    def flagged(self) -> list[JSON]:
        """Every flag so far, oldest first: ``messageId``, ``uid``, ``reasonId``, ``remark``,
        ``flaggedAt``."""
        store = self._backend.store
        with store.lock:
            return copy.deepcopy(moderation_of(store).flags)

    def set_flag_reasons(self, reasons: list[JSON]) -> None:
        """The app's flag reasons (``id``, ``name``, ``description``): the settings'
        ``flagReasons`` from now on, and the only ids ``POST messages/{id}/flagged`` takes."""
        store = self._backend.store
        with store.lock:
            moderation_of(store).reasons = copy.deepcopy(list(reasons))

    def set_max_upload_size(self, size: int) -> None:
        """The largest file an upload may carry, in bytes (default 100 MiB)."""
        media_of(self._backend.store).max_file_size = int(size)

    def uploads(self) -> list[JSON]:
        """Every multipart request read so far: its field names in order (``fields``) and
        its files (``id``, ``name``, ``mimeType``, ``size``)."""
        return copy.deepcopy(media_of(self._backend.store).uploads)
