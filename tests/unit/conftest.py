"""Fixtures shared by the unit tests: builders of CometChat's wire JSON."""

from __future__ import annotations

import copy
from typing import Any
from typing import Callable
from typing import Optional

import pytest


def action_data(
    action: str,
    by: dict[str, Any],
    on: dict[str, Any],
    on_type: str,
    for_: dict[str, Any],
    extras: Optional[dict[str, Any]] = None,
) -> dict[str, Any]:
    """The ``data`` of an action message: the user ``by`` did ``action`` on ``on`` (an entity
    of type ``on_type``: "user" or "message") in the group ``for_``; ``extras`` when given."""
    data: dict[str, Any] = {
        "action": action,
        "entities": {
            "by": {"entity": dict(by), "entityType": "user"},
            "on": {"entity": copy.deepcopy(on), "entityType": on_type},
            "for": {"entity": dict(for_), "entityType": "group"},
        },
    }
    if extras is not None:
        data["extras"] = extras
    return data


@pytest.fixture(name="action_data")
def action_data_fixture() -> Callable[..., dict[str, Any]]:
    """The :func:`action_data` function."""
    return action_data
