"""What a :class:`~cometchat_sync.models.MediaMessage` may carry to upload: the accepted kinds
of file source, told apart from a URL without any I/O (the files are opened, measured and
read only when ``send_media_message`` uploads them).
"""

from __future__ import annotations

import io
import os
from typing import Any

from ..errors import CometChatException
from ..errors import ErrorCode

__all__ = ["is_file_source", "split_file_sources"]

_BYTES = (bytes, bytearray, memoryview)


def is_file_source(value: Any) -> bool:
    """Whether ``value`` is one file to upload: a path (``os.PathLike``, or a ``str`` that
    is not a ``scheme://`` URL), ``bytes``-like data, or a file object with ``read``
    (a text-mode file is refused when it is sent, not here)."""
    if isinstance(value, str):
        return bool(value.strip()) and "://" not in value
    return isinstance(value, (os.PathLike, *_BYTES)) or callable(getattr(value, "read", None))


def split_file_sources(value: Any) -> list[Any]:
    """The files ``value`` names (a list, in order), or ``[]`` when it is a URL (a ``str``
    with ``scheme://``) or empty.

    Raises:
        CometChatException: ``ERR_INVALID_FILE_OBJECT`` for a list holding anything but
            file sources, or a value that is neither a URL nor a file source.
    """
    if isinstance(value, str) and ("://" in value or not value.strip()):
        return []
    if isinstance(value, (list, tuple)):
        if not value or not all(is_file_source(item) for item in value):
            raise CometChatException(
                ErrorCode.INVALID_FILE_OBJECT,
                "Give a list of paths, bytes or binary file objects, at least one.",
            )
        return list(value)
    if is_file_source(value):
        return [value]
    raise CometChatException(
        ErrorCode.INVALID_FILE_OBJECT,
        f"A media message takes a URL, a path, bytes or a binary file object, not "
        f"{type(value).__name__}.",
    )


def is_text_file(value: Any) -> bool:
    """Whether ``value`` is a file object opened in text mode (its ``read`` gives str)."""
    return isinstance(value, io.TextIOBase)
