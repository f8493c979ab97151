"""pytest plugin of the test kit: an emulator, clients wired to it, a fault proxy, cleanup, and
an opt-in check that a test leaves no SDK thread running.

pytest loads it by itself once ``cometchat-sync`` is installed (entry point ``pytest11``,
name ``cometchat_sync``; ``-p no:cometchat_sync`` turns it off). Loading it imports nothing
but pytest: the SDK is imported by the fixtures, and the emulator fixtures need the extra
``cometchat-sync[emulator]`` (without it they fail with an ``ImportError`` naming the
install command). See ``docs/testing.md``.

Fixtures (each function-scoped; a test's own or a ``conftest.py`` fixture of the same name
wins):

* ``emulator``: a started :class:`~cometchat_sync.testing.Emulator`, stopped after the test.
* ``settings_for``: ``settings_for(emulator, **overrides)``, an ``AppSettingsBuilder`` on the
  emulator with small test timings (:data:`TEST_TIMINGS`).
* ``make_client``: ``make_client(**overrides)``, a ``CometChatClient`` on ``emulator``,
  closed after the test.
* ``fault_proxy``: a :class:`~cometchat_sync.testing.FaultProxy` on the emulator's WebSocket
  port, advertised by the emulator, so every client that logs in afterwards talks through it.
* ``closing``: ``closing(thing)`` returns ``thing`` and closes it after the test.

Thread check: with the ini option ``cometchat_thread_check = true``, or on a test marked
``@pytest.mark.cometchat_thread_check``, a test fails at teardown when an SDK thread
(``cometchat-*``) that started during it is still running 3 s after it ended.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING
from typing import Any
from typing import Callable
from typing import Protocol
from typing import TypeVar
from urllib.parse import urlsplit

import pytest

if TYPE_CHECKING:
    from .. import AppSettingsBuilder
    from .. import CometChatClient
    from . import Emulator
    from . import FaultProxy
    from .wiring import EmulatorTarget

__all__ = [
    "TEST_TIMINGS",
    "THREAD_CHECK",
    "Closing",
    "sdk_threads",
    "settings_for",
]

THREAD_CHECK = "cometchat_thread_check"
"""The name of the ini option and of the marker that turn the thread check on."""

THREAD_GRACE = 3.0
"""Seconds a test's SDK threads get to end after it before the thread check fails it."""

TEST_TIMINGS: dict[str, Any] = {
    "ping_interval": 2.0,
    "pong_timeout": 0.5,
    "connect_timeout": 3.0,
    "request_timeout": 5.0,
    "background_ping_deadline": 1.0,
    "backoff": (0.05, 0.5),
    "probe_interval": 0.2,
}
"""The timings of :func:`settings_for` (seconds): a lost link is noticed and restored well
within a second or two, and a hung call fails within 5 s."""


class _Closable(Protocol):
    def close(self) -> None: ...


_C = TypeVar("_C", bound=_Closable)


class Closing(Protocol):
    """The ``closing`` fixture: ``closing(thing)`` returns ``thing``, closed after the test."""

    def __call__(self, thing: _C, /) -> _C: ...


def live_clients() -> list[CometChatClient]:
    """The clients of this process that are not garbage yet."""
    from ..client import _CLIENTS  # noqa: PLC0415 (the plugin imports the SDK only when used)

    return list(_CLIENTS)


def sdk_threads() -> list[threading.Thread]:
    """The running threads of the SDK and the test kit (their names start ``cometchat-``)."""
    return [t for t in threading.enumerate() if t.name.startswith("cometchat-")]


def settings_for(target: EmulatorTarget, **overrides: Any) -> AppSettingsBuilder:
    """An ``AppSettingsBuilder`` on an emulator with the small :data:`TEST_TIMINGS`.

    Args:
        target: an ``Emulator``, an ``EmulatorAddress`` or an emulator's REST URL.
        **overrides: a timing of :data:`TEST_TIMINGS` by name (``ping_interval=1``); ``auto``
            (bool) for ``auto_establish_socket_connection``; or any builder setter by name
            with its argument (a tuple for several), e.g. ``set_session_dir=path``.

    Returns:
        The builder; call ``build()``.

    Raises:
        AttributeError: an override names no builder setter.
        CometChatException: ``ERR_INVALID_PARAMETER`` for a value the builder refuses.
    """
    from .wiring import emulator_settings  # noqa: PLC0415 (the plugin imports only pytest)

    timings = {name: overrides.pop(name, value) for name, value in TEST_TIMINGS.items()}
    builder = (
        emulator_settings(target)
        .set_ping_interval(timings["ping_interval"])
        .set_pong_timeout(timings["pong_timeout"])
        .set_connect_timeout(timings["connect_timeout"])
        .set_request_timeout(timings["request_timeout"])
        .set_background_ping_deadline(timings["background_ping_deadline"])
        .set_reconnect_backoff(*timings["backoff"])
        .set_probe_interval(timings["probe_interval"])
    )
    if "auto" in overrides:
        builder.auto_establish_socket_connection(overrides.pop("auto"))
    for name, value in overrides.items():
        setter = getattr(builder, name)
        setter(*value) if isinstance(value, tuple) else setter(value)
    return builder


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(
        THREAD_CHECK,
        "fail a test that leaves an SDK thread (cometchat-*) running (cometchat_sync plugin)",
        type="bool",
        default=False,
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{THREAD_CHECK}: fail the test if it leaves an SDK thread (cometchat-*) running",
    )


@pytest.fixture(autouse=True)
def _cometchat_thread_check(request: pytest.FixtureRequest) -> Iterator[None]:
    """The opt-in thread check; does nothing unless the ini option or the marker is set."""
    wanted = request.config.getini(THREAD_CHECK) or (
        request.node.get_closest_marker(THREAD_CHECK) is not None
    )
    if not wanted:
        yield
        return
    # The engine's threads are shared by every client of the process: what counts is any
    # thread still serving a client made during the test and, when no client made before it
    # is served any more, any SDK thread that started during the test. (A client kept open
    # across tests, in a module fixture, keeps the engine's threads; its idle workers may
    # outlive a test by a few seconds without being that test's.)
    before = set(sdk_threads())
    clients_before = set(live_clients())
    yield
    deadline = time.monotonic() + THREAD_GRACE

    def left() -> list[threading.Thread]:
        found: list[threading.Thread] = []
        for client in live_clients():
            if client not in clients_before:
                found += [t for t in client.threads() if t not in found]
        if not any(client.threads() for client in clients_before):
            found += [t for t in sdk_threads() if t not in before and t not in found]
        return found

    while left() and time.monotonic() < deadline:
        for thread in left():
            thread.join(0.1)
    leaked = left()
    assert not leaked, f"SDK threads left running: {[t.name for t in leaked]}"


@pytest.fixture
def closing() -> Iterator[Closing]:
    """``closing(thing)`` returns ``thing`` and closes it at teardown; every thing is closed
    (the last first), even when closing an earlier one raised."""
    with contextlib.ExitStack() as stack:

        def close_later(thing: _C) -> _C:
            stack.callback(thing.close)
            return thing

        yield close_later


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    """A started emulator (default app, users ``superhero1`` … ``superhero5``), stopped after
    the test. Needs the ``emulator`` extra."""
    from . import Emulator  # noqa: PLC0415 (the optional extra, on first use)

    with Emulator() as emu:
        yield emu


@pytest.fixture(name="settings_for")
def settings_for_fixture() -> Callable[..., AppSettingsBuilder]:
    """The :func:`settings_for` function, for tests that build clients themselves."""
    return settings_for


@pytest.fixture
def make_client(emulator: Emulator, closing: Closing) -> Callable[..., CometChatClient]:
    """``make_client(**overrides)``: a ``CometChatClient`` on ``emulator`` built with
    :func:`settings_for` and ``overrides``; every client is closed after the test."""
    from .. import CometChatClient  # noqa: PLC0415 (the plugin imports only pytest)

    def make(**overrides: Any) -> CometChatClient:
        settings = settings_for(emulator, **overrides).build()
        return closing(CometChatClient(emulator.app_id, settings))

    return make


@pytest.fixture
def fault_proxy(emulator: Emulator) -> Iterator[FaultProxy]:
    """A started fault proxy in front of ``emulator``'s WebSocket port; the emulator hands its
    address to every client that logs in from now on, so their sockets run through it
    (REST calls do not). Stopped, and the emulator's own address restored, after the test."""
    from . import FaultProxy  # noqa: PLC0415 (the plugin imports only pytest)

    host = urlsplit(emulator.client_host).hostname or "127.0.0.1"
    with FaultProxy(host, emulator.ws_port, host=host) as proxy:
        emulator.advertise_ws(proxy.host, proxy.port)
        try:
            yield proxy
        finally:
            emulator.advertise_ws(None)
