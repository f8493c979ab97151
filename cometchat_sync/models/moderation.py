"""Moderation vocabulary: a message's :class:`ModerationStatus` and the app's
:class:`FlagReason` list.

A moderated message carries ``data.moderation.status``: ``pending`` when sent, then
``approved`` or ``disapproved``; an app without moderation sends none, read as
``unmoderated`` (https://www.cometchat.com/docs/sdk/javascript/ai-moderation). Flag reasons
come from the app settings' ``flagReasons`` (``id``, ``name``, ``description``, ``default``,
``createdAt``, ``updatedAt``; https://www.cometchat.com/docs/sdk/javascript/flag-message).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ._coerce import as_bool
from ._coerce import as_int
from ._coerce import as_mapping
from ._coerce import as_str

__all__ = ["FlagReason", "ModerationStatus", "moderation_status"]


class ModerationStatus(str, enum.Enum):
    """Where a message stands in moderation (the official ``ModerationStatus`` values)."""

    PENDING = "pending"
    APPROVED = "approved"
    DISAPPROVED = "disapproved"
    UNMODERATED = "unmoderated"


def moderation_status(raw: Mapping[str, Any]) -> ModerationStatus:
    """The status of the wire message ``raw``; ``UNMODERATED`` without a known one."""
    data = as_mapping(raw.get("data")) or {}
    moderation = as_mapping(data.get("moderation")) or {}
    try:
        return ModerationStatus(as_str(moderation.get("status")))
    except ValueError:
        return ModerationStatus.UNMODERATED


@dataclass(frozen=True)
class FlagReason:
    """One reason a message may be flagged for (``id`` goes to ``flag_message``)."""

    id: str
    name: str
    description: str = ""
    default: bool = False
    created_at: int = 0
    updated_at: int = 0

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> FlagReason:
        return cls(
            id=as_str(data.get("id")),
            name=as_str(data.get("name")),
            description=as_str(data.get("description")),
            default=as_bool(data.get("default")),
            created_at=as_int(data.get("createdAt")),
            updated_at=as_int(data.get("updatedAt")),
        )
