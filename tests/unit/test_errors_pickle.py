"""Every SDK exception survives pickling (multiprocessing, ``ProcessPoolExecutor``, task
queues): same class, code, message, details and extra attributes; and one crosses a real
process boundary."""

from __future__ import annotations

import inspect
import multiprocessing
import pickle
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import pytest

from cometchat_sync.errors import CometChatException
from cometchat_sync.errors import CometChatTimeoutError
from cometchat_sync.errors import ErrorCode


def all_subclasses(cls: type[CometChatException]) -> list[type[CometChatException]]:
    found: list[type[CometChatException]] = []
    for sub in cls.__subclasses__():
        found.append(sub)
        found.extend(all_subclasses(sub))
    return found


EXCEPTION_CLASSES = [CometChatException, *all_subclasses(CometChatException)]


def build(cls: type[CometChatException]) -> CometChatException:
    """An instance made through the class's own constructor, with a message of its own
    when the constructor takes one."""
    params = inspect.signature(cls.__init__).parameters
    if "code" in params:
        exc = cls("ERR_SOMETHING", "Something failed.", {"status": 503, "field": ["bad"]})
    elif "message" in params:
        exc = cls("Something failed.")  # type: ignore[call-arg]
    else:
        exc = cls()  # type: ignore[call-arg]
    exc.details.setdefault("status", 503)
    return exc


def test_the_walk_finds_the_subclasses() -> None:
    assert CometChatTimeoutError in EXCEPTION_CLASSES
    assert len(EXCEPTION_CLASSES) >= 4


@pytest.mark.parametrize("cls", EXCEPTION_CLASSES, ids=lambda c: c.__name__)
@pytest.mark.parametrize("protocol", [0, pickle.DEFAULT_PROTOCOL, pickle.HIGHEST_PROTOCOL])
def test_every_exception_round_trips_through_pickle(
    cls: type[CometChatException], protocol: int
) -> None:
    original: Any = build(cls)
    original.attempt = 3  # an attribute set after creation

    copy: Any = pickle.loads(pickle.dumps(original, protocol=protocol))

    assert type(copy) is cls
    assert (copy.code, copy.message, copy.details) == (
        original.code,
        original.message,
        original.details,
    )
    assert str(copy) == str(original)
    assert repr(copy) == repr(original)
    assert vars(copy)["attempt"] == 3


def fail_in_worker() -> None:
    raise CometChatTimeoutError("The server did not answer within 1 s.")


def test_a_timeout_raised_in_a_worker_process_reaches_the_parent() -> None:
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        future = pool.submit(fail_in_worker)
        with pytest.raises(CometChatTimeoutError) as raised:
            future.result(timeout=60)
    assert raised.value.code == ErrorCode.TIMEOUT
    assert isinstance(raised.value, TimeoutError)
