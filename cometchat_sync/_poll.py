"""The one way the SDK and its test kit wait on sockets: ``selectors`` (``poll`` where the
platform has it), never ``select.select``.

``select.select`` raises ``ValueError`` for a descriptor numbered 1024 or more (FD_SETSIZE),
so a process that holds many files or sockets could not connect at all. ``poll`` has no such
limit and needs no descriptor of its own, which suits one short wait; Windows has no ``poll``
and gets ``selectors.DefaultSelector``, whose ``select`` there has no limit on descriptor
numbers. https://docs.python.org/3/library/selectors.html
"""

from __future__ import annotations

import selectors
from collections.abc import Sequence
from typing import Optional
from typing import Protocol
from typing import Union

__all__ = ["FileLike", "wait_io"]


class _HasFileno(Protocol):
    def fileno(self) -> int: ...


FileLike = Union[int, _HasFileno]
"""A socket (or anything with ``fileno()``) or a descriptor number."""

_Selector: type[selectors.BaseSelector] = getattr(
    selectors, "PollSelector", selectors.DefaultSelector
)


def wait_io(
    read: Sequence[FileLike], write: Sequence[FileLike], timeout: Optional[float]
) -> tuple[list[FileLike], list[FileLike]]:
    """Wait until one of ``read`` is readable or one of ``write`` is writable.

    Args:
        read: sockets or descriptors to watch for input (or EOF, or an error).
        write: sockets or descriptors to watch for room to write (or an error, as a failed
            non-blocking connect reports).
        timeout: the most to wait, in seconds; ``0`` polls, ``None`` waits for ever.

    Returns:
        ``(readable, writable)``: the objects of ``read`` and ``write`` that are ready, in
        the order given; both empty when the timeout passed.
    """
    events: dict[int, int] = {}
    for obj in read:
        events[_fd(obj)] = events.get(_fd(obj), 0) | selectors.EVENT_READ
    for obj in write:
        events[_fd(obj)] = events.get(_fd(obj), 0) | selectors.EVENT_WRITE
    with _Selector() as selector:
        for fd, mask in events.items():
            selector.register(fd, mask)
        ready = {key.fd: mask for key, mask in selector.select(timeout)}
    readable = [obj for obj in read if ready.get(_fd(obj), 0) & selectors.EVENT_READ]
    writable = [obj for obj in write if ready.get(_fd(obj), 0) & selectors.EVENT_WRITE]
    return readable, writable


def _fd(obj: FileLike) -> int:
    return obj if isinstance(obj, int) else obj.fileno()
