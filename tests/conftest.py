"""Fixtures of this repository's tests beyond the test kit's pytest plugin.

The plugin (``cometchat_sync.testing.pytest_plugin``, loaded by pytest through its entry
point) gives ``emulator``, ``settings_for``, ``make_client``, ``fault_proxy``, ``closing`` and
the thread check, which ``pyproject.toml`` turns on for every test here
(``cometchat_thread_check = true``). This file adds a host name that does not resolve and a
runner of threads.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterable
from typing import Any
from typing import Callable

import pytest

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
