"""Shared fixtures: a fresh emulator per test, clients wired to it with small timings, a
guard that fails any test leaving an SDK thread alive, things closed at teardown, a host name
that does not resolve, and a runner of threads."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterable
from collections.abc import Iterator
from typing import Any
from typing import Callable
from typing import Protocol
from typing import TypeVar

import pytest

from cometchat_sync import AppSettingsBuilder
from cometchat_sync import CometChatClient
from cometchat_sync.testing import Emulator
from cometchat_sync.testing import emulator_settings


def sdk_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("cometchat-")]


@pytest.fixture(autouse=True)
def no_leaked_sdk_threads() -> Iterator[None]:
    """Fail a test that leaves any SDK thread (cometchat-*) running after it."""
    yield
    deadline = time.monotonic() + 3.0
    while sdk_threads() and time.monotonic() < deadline:
        for thread in sdk_threads():
            thread.join(0.1)
    leaked = sdk_threads()
    assert not leaked, f"SDK threads left running: {[t.name for t in leaked]}"


class Closable(Protocol):
    def close(self) -> None: ...


C = TypeVar("C", bound=Closable)


class Closing(Protocol):
    def __call__(self, thing: C, /) -> C: ...


@pytest.fixture
def closing() -> Iterator[Closing]:
    """``closing(thing)`` returns ``thing`` and closes it at teardown; every thing is closed
    (the last first), even when closing an earlier one raised."""
    with contextlib.ExitStack() as stack:

        def close_later(thing: C) -> C:
            stack.callback(thing.close)
            return thing

        yield close_later


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    emu = Emulator()
    emu.start()
    try:
        yield emu
    finally:
        emu.stop()


def settings_for(emu: Emulator, **overrides: Any) -> AppSettingsBuilder:
    """A builder pointed at ``emu`` with test timings; ``overrides`` call setters by name,
    e.g. ``auto=False, ping_interval=1``."""
    builder = (
        emulator_settings(emu)
        .set_ping_interval(overrides.pop("ping_interval", 2.0))
        .set_pong_timeout(overrides.pop("pong_timeout", 0.5))
        .set_connect_timeout(overrides.pop("connect_timeout", 3.0))
        .set_request_timeout(overrides.pop("request_timeout", 5.0))
        .set_background_ping_deadline(overrides.pop("background_ping_deadline", 1.0))
        .set_reconnect_backoff(*overrides.pop("backoff", (0.05, 0.5)))
        .set_probe_interval(overrides.pop("probe_interval", 0.2))
    )
    if "auto" in overrides:
        builder.auto_establish_socket_connection(overrides.pop("auto"))
    for name, value in overrides.items():
        setter = getattr(builder, name)
        setter(*value) if isinstance(value, tuple) else setter(value)
    return builder


@pytest.fixture(name="settings_for")
def settings_for_fixture() -> Callable[..., AppSettingsBuilder]:
    """The :func:`settings_for` function, for tests that build clients themselves."""
    return settings_for


@pytest.fixture
def make_client(emulator: Emulator, closing: Closing) -> Callable[..., CometChatClient]:
    """``make_client(**overrides)`` builds a client on the emulator; all are closed after."""

    def make(**overrides: Any) -> CometChatClient:
        settings = settings_for(emulator, **overrides).build()
        return closing(CometChatClient(emulator.app_id, settings))

    return make


UNRESOLVABLE_HOST = "nowhere.unreachable.test"


@pytest.fixture
def unresolvable_host(monkeypatch: pytest.MonkeyPatch) -> str:
    """A host name that ``socket.getaddrinfo`` fails to resolve, as it does an unknown name
    (EAI_NONAME), for the rest of the test; other names resolve as usual."""
    real = socket.getaddrinfo

    def resolve(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host == UNRESOLVABLE_HOST:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    return UNRESOLVABLE_HOST


def run_in_threads(targets: Iterable[Callable[[], object]], timeout: float) -> None:
    """Start one thread per target, then join them all; fail if one is still running after
    ``timeout`` seconds of waiting for it."""
    threads = [threading.Thread(target=target) for target in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
        assert not thread.is_alive(), f"{thread.name} still running after {timeout} s"


@pytest.fixture(name="run_in_threads")
def run_in_threads_fixture() -> Callable[[Iterable[Callable[[], object]], float], None]:
    """The :func:`run_in_threads` function."""
    return run_in_threads
