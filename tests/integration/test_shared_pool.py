"""The process's shared REST connection pool (``cometchat_sync/rest/pool.py``): clients share
keep-alive connections where they would make the same one (same host and trust setting); a
cancel of one client's call never ends a connection another client's call is using; a forked
child never sends on its parent's pooled connection.

The REST calls go through a :class:`~cometchat_sync.testing.FaultProxy` in front of the
emulator's REST port, which counts the TCP connections the SDK opens.
"""

from __future__ import annotations

import os
import queue
import threading
import time
import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from typing import Callable
from typing import Optional

import pytest

from cometchat_sync import AppSettingsBuilder
from cometchat_sync import CometChatClient
from cometchat_sync import _tls
from cometchat_sync._poll import wait_io
from cometchat_sync.errors import CometChatException
from cometchat_sync.errors import ErrorCode
from cometchat_sync.rest.inflight import InflightSockets
from cometchat_sync.rest.transport import RestClient
from cometchat_sync.testing import Emulator
from cometchat_sync.testing import FaultProxy
from cometchat_sync.testing.pytest_plugin import Closing

WAIT = 5.0


@pytest.fixture
def front(emulator: Emulator) -> Iterator[FaultProxy]:
    """A pass-through proxy in front of the emulator's REST port (it counts connections)."""
    with FaultProxy("127.0.0.1", emulator.port) as proxy:
        yield proxy


def rest_client(emulator: Emulator, ca_bundle: Optional[str] = None) -> RestClient:
    """The REST caller of one client (its own resource id), as a client makes it."""
    return RestClient(
        emulator.app_id,
        uuid.uuid4().hex,
        timeout=WAIT,
        connect_timeout=WAIT,
        ca_bundle=ca_bundle,
    )


def in_thread(call: Callable[[], Any]) -> queue.Queue[Any]:
    """Run ``call`` in a thread; its result (or exception) arrives in the queue."""
    out: queue.Queue[Any] = queue.Queue()

    def run() -> None:
        try:
            out.put(call())
        except BaseException as exc:
            out.put(exc)

    threading.Thread(target=run, daemon=True).start()
    return out


def test_clients_share_one_connection_for_their_sequential_calls(
    emulator: Emulator,
    front: FaultProxy,
    settings_for: Callable[..., AppSettingsBuilder],
    closing: Closing,
) -> None:
    host = f"http://127.0.0.1:{front.port}"
    clients = [
        closing(
            CometChatClient(
                emulator.app_id,
                settings_for(emulator, auto=False)
                .override_client_host(host)
                .override_admin_host(host)
                .build(),
            )
        )
        for _ in range(3)
    ]
    for number, client in enumerate(clients, start=1):
        client.login(f"superhero{number}", emulator.auth_key)
    for client in clients:
        assert client.get_user("superhero5").uid == "superhero5"
    assert emulator.request_count() >= 6
    assert front.connections_accepted == 1


def test_a_cancel_after_its_call_spares_the_connection_another_client_uses_now(
    emulator: Emulator, front: FaultProxy
) -> None:
    """Client A's catch-up call ended and its connection went back to the pool; client B's
    call is using that connection when A is closed (which cancels A's calls in flight)."""
    url = f"http://127.0.0.1:{front.port}/users/superhero2"
    token = emulator.create_auth_token("superhero1")
    a, b = rest_client(emulator), rest_client(emulator)
    a_calls = InflightSockets()
    b.call("GET", url, auth_token=token)
    a.call("GET", url, auth_token=token, on_socket=a_calls.track)  # the same connection
    assert front.connections_accepted == 1

    emulator.set_request_delay(1.0)
    seen = emulator.request_count()
    b_result = in_thread(lambda: b.call("GET", url, auth_token=token).data)
    assert emulator.wait_until(lambda: emulator.request_count() > seen, WAIT)
    a_calls.abort()  # A's call ended long ago: nothing of B's may end
    emulator.set_request_delay(0.0)

    data = b_result.get(timeout=WAIT + 2)
    assert isinstance(data, dict), repr(data)
    assert data["uid"] == "superhero2"
    assert b.call("GET", url, auth_token=token).data["uid"] == "superhero2"
    assert front.connections_accepted == 1  # B's connection lived through A's cancel


def test_a_cancel_ends_only_its_own_call(emulator: Emulator, front: FaultProxy) -> None:
    """A's and B's calls are in flight at once (two pooled connections); cancelling A's
    ends A's alone, and the pool keeps serving B."""
    url = f"http://127.0.0.1:{front.port}/users/superhero2"
    token = emulator.create_auth_token("superhero1")
    a, b = rest_client(emulator), rest_client(emulator)
    a_calls = InflightSockets()
    emulator.set_request_delay(1.0)
    seen = emulator.request_count()
    a_result = in_thread(lambda: a.call("GET", url, auth_token=token, on_socket=a_calls.track))
    b_result = in_thread(lambda: b.call("GET", url, auth_token=token).data)
    assert emulator.wait_until(lambda: emulator.request_count() >= seen + 2, WAIT)
    a_calls.abort()
    emulator.set_request_delay(0.0)

    error = a_result.get(timeout=WAIT + 2)
    assert isinstance(error, CometChatException), repr(error)
    assert error.code == ErrorCode.FAILED_TO_FETCH
    assert "cancelled" in str(error)
    data = b_result.get(timeout=WAIT + 2)
    assert isinstance(data, dict), repr(data)
    assert data["uid"] == "superhero2"
    accepted = front.connections_accepted
    assert accepted == 2
    # B's connection went back to the pool; A's (shut down) did not.
    for client in (a, b):
        assert client.call("GET", url, auth_token=token).data["uid"] == "superhero2"
    assert front.connections_accepted == accepted


@pytest.mark.skipif(not hasattr(os, "fork"), reason="the platform has no fork()")
def test_a_forked_child_never_uses_the_parents_pooled_connection(
    emulator: Emulator, front: FaultProxy
) -> None:
    url = f"http://127.0.0.1:{front.port}/users/superhero2"
    token = emulator.create_auth_token("superhero1")
    client = rest_client(emulator)
    client.call("GET", url, auth_token=token)
    assert front.connections_accepted == 1  # now pooled

    read_end, write_end = os.pipe()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # fork() with threads, 3.12+
        pid = os.fork()
    if pid == 0:  # the child: one call, its outcome through the pipe, and out
        code = 1
        try:
            os.close(read_end)
            uid = client.call("GET", url, auth_token=token).data["uid"]
            os.write(write_end, f"{uid}\n".encode())
            code = 0
        finally:
            os._exit(code)
    os.close(write_end)
    try:
        readable, _ = wait_io([read_end], [], WAIT + 2)  # select.select fails past fd 1023
        said = os.read(read_end, 100).decode() if readable else "(nothing)"
    finally:
        os.close(read_end)
        status = _reap(pid, WAIT)
    assert said == "superhero2\n", said
    assert status == 0
    assert front.connections_accepted == 2  # the child opened its own

    assert client.call("GET", url, auth_token=token).data["uid"] == "superhero2"
    assert front.connections_accepted == 2  # the parent's connection is still its own


def _reap(pid: int, timeout: float) -> Optional[int]:
    """The child's exit code, waited for up to ``timeout`` s (then it is killed)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.02)
    os.kill(pid, 9)
    os.waitpid(pid, 0)
    return None


# -- TLS: one pool and one context per trust setting --------------------------------------------


@pytest.fixture
def tls_emulator(tmp_path: Path) -> Iterator[tuple[Emulator, str]]:
    """An emulator serving TLS and the CA file that trusts it."""
    trustme = pytest.importorskip("trustme")
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    certfile, keyfile, cafile = (str(tmp_path / n) for n in ("cert.pem", "key.pem", "ca.pem"))
    for pem in cert.cert_chain_pems:
        pem.write_to_path(certfile, append=True)
    cert.private_key_pem.write_to_path(keyfile)
    ca.cert_pem.write_to_path(cafile)
    with Emulator(certfile=certfile, keyfile=keyfile) as emu:
        yield emu, cafile


def test_clients_share_connections_and_contexts_per_ca_bundle(
    tls_emulator: tuple[Emulator, str], tmp_path: Path
) -> None:
    emu, cafile = tls_emulator
    copy = tmp_path / "copy.pem"  # the same CA under another path: another trust setting
    copy.write_bytes(Path(cafile).read_bytes())
    with FaultProxy("127.0.0.1", emu.port) as proxy:
        url = f"https://127.0.0.1:{proxy.port}/users/superhero2"
        token = emu.create_auth_token("superhero1")
        builds = _tls.builds()
        same = [rest_client(emu, cafile) for _ in range(3)]
        for client in same:
            assert client.call("GET", url, auth_token=token).data["uid"] == "superhero2"
        assert proxy.connections_accepted == 1
        assert _tls.builds() - builds == 1

        other = rest_client(emu, str(copy))
        assert other.call("GET", url, auth_token=token).data["uid"] == "superhero2"
        assert proxy.connections_accepted == 2
        assert _tls.builds() - builds == 2
        for client in same:
            client.close()
        other.close()


def test_a_ca_bundle_that_cannot_be_read_fails_the_call(tmp_path: Path) -> None:
    client = RestClient(
        "app", "resource", timeout=WAIT, connect_timeout=WAIT, ca_bundle=str(tmp_path / "gone")
    )
    with pytest.raises(CometChatException) as caught:
        client.call("GET", "https://127.0.0.1:9/users/superhero2")  # no connection is made
    assert caught.value.code == ErrorCode.FAILED_TO_FETCH
    assert "CA bundle" in str(caught.value)
    assert "set_ca_bundle" in str(caught.value)
