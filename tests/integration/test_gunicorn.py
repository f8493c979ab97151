"""The Flask and Django samples under a real gunicorn with ``--preload`` and two workers,
against the emulator of this test process (its address through the environment): the master
holds no SDK thread and no socket to CometChat, both workers send, REST only, and the two
workers create one auth token between them.

One worker is held on a half-sent request while the other serves one, so both workers serve
a request whatever the kernel's choice of acceptor."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import time
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("gunicorn")
if not hasattr(os, "fork"):  # pragma: no cover
    pytest.skip("gunicorn needs fork()", allow_module_level=True)

UID = "superhero1"
REPO = Path(__file__).resolve().parents[2]
WAIT = 15.0


class UnixHTTPConnection(http.client.HTTPConnection):
    """HTTP over a Unix socket (gunicorn's ``-b unix:PATH``)."""

    def __init__(self, path: str) -> None:
        super().__init__("localhost", timeout=WAIT)
        self.unix_path = path

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(WAIT)
        self.sock.connect(self.unix_path)


def call(path: str, method: str, url: str, body: Any = None) -> dict[str, Any]:
    connection = UnixHTTPConnection(path)
    try:
        payload = json.dumps(body) if body is not None else None
        headers = {"Content-Type": "application/json"} if body is not None else {}
        connection.request(method, url, body=payload, headers=headers)
        answer = connection.getresponse()
        data = answer.read()
        assert answer.status == 200, data
        result: dict[str, Any] = json.loads(data)
        return result
    finally:
        connection.close()


def wait_until_serving(proc: Any, path: str) -> None:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        assert proc.popen.poll() is None, proc.output()
        if os.path.exists(path):
            try:
                call(path, "GET", "/debug/process")
                return
            except OSError:
                pass
        time.sleep(0.05)
    pytest.fail(f"gunicorn did not serve within {WAIT} s\n{proc.output()}")


def sockets_to(pid: int, ports: set[int]) -> list[str]:
    """The TCP sockets of process ``pid`` whose remote port is one of ``ports``."""
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[len("socket:[") : -1])
    found = []
    for table in ("tcp", "tcp6"):
        with open(f"/proc/{pid}/net/{table}", encoding="ascii") as fh:
            for line in fh.readlines()[1:]:
                fields = line.split()
                remote_port = int(fields[2].rsplit(":", 1)[1], 16)
                if fields[9] in inodes and remote_port in ports:
                    found.append(line.strip())
    return found


PROBE = Path(__file__).resolve().parent / "gunicorn_probe.py"


def master_records(path: Path) -> list[dict[str, Any]]:
    """What ``gunicorn_probe.py`` wrote in the master: its pid and thread names."""
    return [json.loads(line) for line in path.read_text().splitlines()]


def start_gunicorn(
    spawn, emulator_env, tmp_path: Path, chdir: Path, app: str
) -> tuple[Any, str, Path]:
    """gunicorn --preload with two workers on a Unix socket; returns (process, socket, probe)."""
    path = str(tmp_path / "gunicorn.sock")
    probe = tmp_path / "master.jsonl"
    env = emulator_env(
        COMETCHAT_UID=UID,
        COMETCHAT_SESSION_DIR=str(tmp_path / "sessions"),
        PROBE_FILE=str(probe),
        XDG_RUNTIME_DIR=str(tmp_path),  # gunicorn's control socket, if it has one, goes here
    )
    argv = ["python", "-m", "gunicorn", "--preload", "-w", "2", "-b", f"unix:{path}"]
    argv += ["-c", str(PROBE), "--graceful-timeout", "5", "--log-level", "warning"]
    argv += ["--chdir", str(chdir), app]
    proc = spawn(argv, env=env)
    wait_until_serving(proc, path)
    return proc, path, probe


def one_request_per_worker(path: str, method: str, url: str, body: Any) -> list[dict[str, Any]]:
    """Two requests that two different workers serve: the first is held half-sent, so the
    worker that accepted it (the backlog is FIFO) is busy while the other serves the second."""
    held = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    held.settimeout(WAIT)
    held.connect(path)
    payload = json.dumps(body).encode()
    head = (
        f"{method} {url} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(payload)}\r\nConnection: close\r\n\r\n"
    ).encode()
    held.sendall(head[:10])
    free = call(path, method, url, body)
    held.sendall(head[10:] + payload)
    answer = http.client.HTTPResponse(held)
    answer.begin()
    assert answer.status == 200
    first: dict[str, Any] = json.loads(answer.read())
    answer.close()
    held.close()
    assert first["pid"] != free["pid"], "both requests went to one worker"
    return [first, free]


def stop_and_check_master(proc: Any, probe: Path, emulator_ports: set[int]) -> None:
    """The master holds no socket to CometChat now, exits 0 on SIGTERM, and had no SDK
    thread when it was ready nor when it exited."""
    master = proc.popen.pid
    assert sockets_to(master, emulator_ports) == []
    proc.signal(signal.SIGTERM)
    assert proc.wait(WAIT) == 0, proc.output()
    records = master_records(probe)
    assert [r["event"] for r in records] == ["ready", "exit"], records
    assert {r["pid"] for r in records} == {master}
    for record in records:
        assert not [n for n in record["threads"] if n.startswith("cometchat-")], record


@pytest.mark.parametrize("site", ["flask", "django"])
def test_preload_with_two_workers_master_holds_nothing_and_both_workers_send(
    spawn, emulator, emulator_env, tmp_path, site
):
    if site == "flask":
        chdir, app = REPO, "samples.flask_app:create_app()"
    else:
        chdir, app = REPO / "samples" / "django_site", "chat_site.wsgi"
    proc, path, probe = start_gunicorn(spawn, emulator_env, tmp_path, chdir, app)
    emulator_ports = {emulator.port, emulator.ws_port}
    # The master imported the app (--preload) but made no client: no socket to CometChat.
    assert sockets_to(proc.popen.pid, emulator_ports) == []

    answers = one_request_per_worker(path, "POST", "/send", {"to": "superhero2", "text": "hi"})
    assert [a["sdk_threads"] for a in answers] == [[], []]  # REST only: no SDK thread
    assert emulator.socket_count(UID) == 0
    texts = [m.get("data", {}).get("text") for m in emulator.messages()]
    assert texts.count("hi") == 2
    assert emulator.revoke_auth_token(UID) == 1  # one auth token for both workers
    stop_and_check_master(proc, probe, emulator_ports)


def test_a_client_built_at_import_with_a_stored_session_opens_nothing_in_the_master(
    spawn, emulator, emulator_env, settings_for, tmp_path
):
    from cometchat_sync import CometChatClient  # noqa: PLC0415

    stored = settings_for(emulator, auto=False).set_session_dir(str(tmp_path / "sessions"))
    with CometChatClient(emulator.app_id, stored.build()) as earlier_run:
        earlier_run.login(UID, emulator.auth_key)
    here = Path(__file__).resolve().parent
    proc, path, probe = start_gunicorn(spawn, emulator_env, tmp_path, here, "preload_app:app")
    emulator_ports = {emulator.port, emulator.ws_port}
    assert sockets_to(proc.popen.pid, emulator_ports) == []

    answers = one_request_per_worker(path, "GET", "/", {})
    # Each worker opened its own link on its first use (auto mode), with the stored session.
    # (The engine's threads, by kind: the link may still be dialling when the answer is made.)
    for answer in answers:
        kinds = {n.split("-")[1] for n in answer["sdk_threads"]}
        assert kinds and kinds <= {"reader", "timer", "dial", "dispatch"}
    assert emulator.wait_for_sockets(UID, 2, WAIT)
    assert emulator.revoke_auth_token(UID) == 1  # the stored session's: none created
    stop_and_check_master(proc, probe, emulator_ports)
