"""Interactive messages (forms, cards, schedulers, ...), their goal and the interactions on them.

An :class:`InteractiveMessage` is category ``interactive``; its ``type`` names the kind
(``form``, ``card``, ``scheduler``, ``customInteractive``, ...). Its ``data`` holds
``interactiveData`` (the element definitions, app-defined JSON), ``interactionGoal``
(``{"type": "anyAction"|"anyOf"|"allOf"|"none", "elementIds": [...]}``), ``interactions``
(``[{"elementId", "interactedAt"}]``) and ``allowSenderInteraction``, as the official
JavaScript SDK 4.2.0 sends and reads them (its type declarations and observed traffic;
https://www.cometchat.com/docs/sdk/javascript/interactive-messages). When a message's goal is
met the participants get an ``interaction_completed`` frame, read as an
:class:`InteractionReceipt`.
"""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from typing import Optional

from ..errors import CometChatException
from ..errors import ErrorCode
from ._coerce import as_bool
from ._coerce import as_dict
from ._coerce import as_int
from ._coerce import as_mapping
from ._coerce import as_str
from ._coerce import as_str_list
from .base_message import BaseMessage
from .base_message import register_message_classes
from .group import parse_user
from .user import User

__all__ = [
    "GOAL_TYPES",
    "Interaction",
    "InteractionGoal",
    "InteractionReceipt",
    "InteractiveMessage",
]

GOAL_TYPES = ("anyAction", "anyOf", "allOf", "none")
"""The goal kinds: any interaction, any of the elements, all of them, or never met."""


@dataclass(frozen=True)
class Interaction:
    """One interaction: the element interacted with and when (epoch seconds)."""

    element_id: str
    interacted_at: int = 0

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Interaction:
        return cls(as_str(data.get("elementId")), as_int(data.get("interactedAt")))


@dataclass(frozen=True)
class InteractionGoal:
    """When an interactive message's purpose is met: ``type`` (one of :data:`GOAL_TYPES`)
    over ``element_ids``."""

    type: str = "none"
    element_ids: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.type not in GOAL_TYPES:
            raise CometChatException(
                ErrorCode.INVALID_PARAMETER,
                f"The goal type must be one of {', '.join(GOAL_TYPES)}.",
            )
        if not all(isinstance(e, str) and e for e in self.element_ids):
            raise CometChatException(
                ErrorCode.INVALID_PARAMETER, "The goal's element ids must be non-empty strings."
            )

    @classmethod
    def from_json(cls, data: Optional[Mapping[str, Any]]) -> InteractionGoal:
        data = data or {}
        kind = as_str(data.get("type"), "none")
        return cls(
            kind if kind in GOAL_TYPES else "none",
            tuple(e for e in as_str_list(data.get("elementIds")) if e),
        )

    def to_json(self) -> dict[str, Any]:
        return {"type": self.type, "elementIds": list(self.element_ids)}


class InteractiveMessage(BaseMessage):
    """A message the receiver acts on (category ``interactive``).

    Args:
        receiver_id: the user's uid or the group's guid.
        receiver_type: ``"user"`` or ``"group"``.
        message_type: the kind, e.g. ``"form"``, ``"card"``, ``"scheduler"``.
        interactive_data: the elements, as a JSON object (app- and kind-defined).
        interaction_goal: when the purpose is met (default: never, ``none``).
        allow_sender_interaction: whether the sender may interact too (default False).
        metadata, tags, muid, parent_id: as for every message.

    Raises:
        CometChatException: ``MISSING_PARAMETERS`` for an empty receiver or type;
            ``ERR_INVALID_PARAMETER`` for a malformed receiver, ``interactive_data`` that is
            not a mapping, or a goal that is not an :class:`InteractionGoal`.
    """

    __slots__ = ("allow_sender_interaction", "interaction_goal", "interactions", "interactive_data")

    def __init__(
        self,
        receiver_id: str,
        receiver_type: str,
        message_type: str,
        interactive_data: Mapping[str, Any],
        *,
        interaction_goal: Optional[InteractionGoal] = None,
        allow_sender_interaction: bool = False,
        metadata: Optional[Mapping[str, Any]] = None,
        tags: Optional[list[str]] = None,
        muid: Optional[str] = None,
        parent_id: Optional[int] = None,
    ) -> None:
        super().__init__(
            receiver_id,
            receiver_type,
            category="interactive",
            type=message_type,
            metadata=metadata,
            tags=tags,
            muid=muid,
            parent_id=parent_id,
        )
        if not isinstance(message_type, str) or not message_type.strip():
            raise CometChatException(ErrorCode.MISSING_PARAMETERS, "message_type cannot be empty.")
        if not isinstance(interactive_data, Mapping):
            raise CometChatException(
                ErrorCode.INVALID_PARAMETER, "interactive_data must be a mapping (JSON object)."
            )
        if interaction_goal is not None and not isinstance(interaction_goal, InteractionGoal):
            raise CometChatException(
                ErrorCode.INVALID_PARAMETER, "interaction_goal must be an InteractionGoal."
            )
        self.interactive_data: dict[str, Any] = dict(interactive_data)
        self.interaction_goal = interaction_goal or InteractionGoal()
        self.allow_sender_interaction = bool(allow_sender_interaction)
        self.interactions: list[Interaction] = []

    def _load(self, d: Mapping[str, Any], depth: int) -> Mapping[str, Any]:
        data = super()._load(d, depth)
        self.interactive_data = as_dict(data.get("interactiveData"))
        self.interaction_goal = InteractionGoal.from_json(as_mapping(data.get("interactionGoal")))
        raw = data.get("interactions")
        self.interactions = [
            Interaction.from_json(i)
            for i in (raw if isinstance(raw, list) else [])
            if isinstance(i, Mapping)
        ]
        self.allow_sender_interaction = as_bool(data.get("allowSenderInteraction"))
        return data

    def _send_data(self) -> dict[str, Any]:
        data = super()._send_data()
        data["interactiveData"] = dict(self.interactive_data)
        data["interactionGoal"] = self.interaction_goal.to_json()
        data["allowSenderInteraction"] = self.allow_sender_interaction
        return data

    def _repr_extra(self) -> str:
        return f", type={self.type!r}, goal={self.interaction_goal.type!r}"


@dataclass
class InteractionReceipt:
    """An ``interaction_completed`` event: ``sender`` met the goal of ``message_id``.

    Attributes:
        message_id: the interactive message's id (an int).
        sender: the user whose interaction met the goal.
        receiver_id, receiver_type: the conversation, as on the message.
        interactions: every interaction on the message so far.
    """

    message_id: int
    sender: User
    receiver_id: str
    receiver_type: str
    interactions: Sequence[Interaction]

    @classmethod
    def from_frame(cls, frame: Mapping[str, Any]) -> InteractionReceipt:
        body = as_mapping(frame.get("body")) or {}
        raw = body.get("interactions")
        return cls(
            message_id=as_int(body.get("messageId")),
            sender=parse_user(as_mapping(body.get("user")) or {"uid": frame.get("sender")}),
            receiver_id=as_str(frame.get("receiver")),
            receiver_type=as_str(frame.get("receiverType"), "user"),
            interactions=[
                Interaction.from_json(i)
                for i in (raw if isinstance(raw, list) else [])
                if isinstance(i, Mapping)
            ],
        )


register_message_classes(interactive=InteractiveMessage)
