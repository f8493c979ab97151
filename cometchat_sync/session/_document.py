"""The session file's JSON document: ``{"version": 1, "device_id": ..., "session": {...} | null}``.

:func:`parse` turns the file's bytes into the store's content and raises :class:`CorruptFile`
for anything unusable; :func:`dump` gives the bytes to write. Neither ever puts the file's
contents (tokens) into an exception or a log record.
"""

from __future__ import annotations

import json
from typing import Optional

from .record import Session
from .record import State

__all__ = ["FILE_VERSION", "MAX_FILE_BYTES", "CorruptFile", "dump", "parse"]

#: Version of the on-disk JSON document this package writes and understands.
FILE_VERSION = 1
#: Largest session file read; anything bigger is treated as corrupt.
MAX_FILE_BYTES = 16 * 1024 * 1024


class CorruptFile(Exception):
    """The session file exists but can't be used. ``reason`` names the problem, no contents."""

    def __init__(self, reason: str, device_id: Optional[str] = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.device_id = device_id


def parse(raw: bytes) -> State:
    """Parse the file's bytes. Raises :class:`CorruptFile`; never leaks contents."""
    try:
        text = raw.decode("utf-8")
        doc = json.loads(text)
    except UnicodeDecodeError:
        raise CorruptFile("not UTF-8") from None
    except RecursionError:
        raise CorruptFile("nested too deeply") from None
    except ValueError:
        raise CorruptFile("not valid JSON") from None
    if not isinstance(doc, dict):
        raise CorruptFile("not a JSON object")
    version = doc.get("version")
    device_id = doc.get("device_id")
    if not isinstance(device_id, str) or not device_id:
        device_id = None
    if type(version) is not int:
        raise CorruptFile("no schema version", device_id)
    if version != FILE_VERSION:
        raise CorruptFile(f"unknown schema version {version}", device_id)
    if device_id is None:
        raise CorruptFile("no device id")
    session_json = doc.get("session")
    if session_json is None:
        return State(device_id, None)
    try:
        session = Session.from_json(session_json)
    except ValueError as exc:
        raise CorruptFile(str(exc), device_id) from None
    return State(device_id, session)


def dump(state: State) -> bytes:
    """The document for ``state``, as the UTF-8 bytes of compact JSON."""
    doc = {
        "version": FILE_VERSION,
        "device_id": state.device_id,
        "session": None if state.session is None else state.session.to_json(),
    }
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
