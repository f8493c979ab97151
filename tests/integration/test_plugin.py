"""The test kit as a user meets it: importable without the ``emulator`` extra, its pytest
plugin used by a project that installs nothing else, and ``emulator_settings()`` aimed at an
emulator that another process runs."""

from __future__ import annotations

import inspect
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from cometchat_sync import CometChatClient
from cometchat_sync import CometChatException
from cometchat_sync import TextMessage
from cometchat_sync.testing import Emulator
from cometchat_sync.testing import EmulatorAddress
from cometchat_sync.testing import emulator_settings
from cometchat_sync.testing.wiring import DEFAULT_APP_ID
from cometchat_sync.testing.wiring import DEFAULT_AUTH_KEY
from cometchat_sync.testing.wiring import DEFAULT_REGION

WAIT = 5.0
PROJECT_TIMEOUT = 120


def run_python(code: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


# -- without the emulator extra -----------------------------------------------------------------

BLOCK_WEBSOCKETS = """
import sys
sys.modules["websockets"] = None  # as if the emulator extra were not installed
"""


def test_the_kit_works_without_websockets_and_the_emulator_names_the_extra():
    done = run_python(
        BLOCK_WEBSOCKETS
        + """
import socket
from cometchat_sync.testing import FaultProxy, MessageRecorder, ConnectionRecorder
from cometchat_sync.testing import emulator_settings, EmulatorAddress
import cometchat_sync.testing.pytest_plugin

server = socket.create_server(("127.0.0.1", 0))
with FaultProxy("127.0.0.1", server.getsockname()[1]) as proxy:
    with socket.create_connection((proxy.host, proxy.port), timeout=5) as conn:
        peer, _ = server.accept()
        conn.sendall(b"through")
        peer.settimeout(5)
        assert peer.recv(7) == b"through"
        peer.close()
server.close()
MessageRecorder(); ConnectionRecorder()
emulator_settings("http://127.0.0.1:1").build()
for how in ("attribute", "module"):
    try:
        if how == "attribute":
            from cometchat_sync.testing import Emulator
        else:
            import cometchat_sync.testing.emulator
    except ImportError as exc:
        print(how, "->", exc)
    else:
        raise SystemExit(how + " imported without websockets")
"""
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 2, done.stdout
    for line in lines:
        assert 'pip install "cometchat-sync[emulator]"' in line


# -- a user's project, with the plugin's fixtures only -----------------------------------------

BOT = '''
"""A bot that answers every text message with the same text in capitals."""

from cometchat_sync import CometChatClient, MessageListener, TextMessage


def start_shouting_bot(client: CometChatClient) -> None:
    def answer(message: TextMessage) -> None:
        client.send_message(TextMessage(message.sender_uid, message.text.upper()))

    client.add_message_listener("shout", MessageListener(on_text_message_received=answer))
'''

TEST_BOT = """
from cometchat_sync import TextMessage
from cometchat_sync.testing import ConnectionRecorder, MessageRecorder

from bot import start_shouting_bot


def logged_in(make_client, emulator, uid, **overrides):
    client = make_client(**overrides)
    client.login(uid, emulator.auth_key)
    client.wait_until_connected(5)
    return client


def test_the_bot_answers_in_capitals(emulator, make_client):
    bot = logged_in(make_client, emulator, "superhero1")
    start_shouting_bot(bot)
    user = logged_in(make_client, emulator, "superhero2")
    inbox = MessageRecorder()
    user.add_message_listener("inbox", inbox)
    user.send_message(TextMessage("superhero1", "hello"))
    assert inbox.log.wait_for_count("on_text_message_received", 1, 5)
    assert inbox.texts() == ["HELLO"]


def test_the_bot_survives_a_broken_network(emulator, make_client, fault_proxy):
    bot = logged_in(make_client, emulator, "superhero1")
    start_shouting_bot(bot)
    link = ConnectionRecorder()
    bot.add_connection_listener("link", link)
    assert fault_proxy.live_connections == 1
    fault_proxy.cut(rst=True)
    assert link.wait_for_status("connected", 5)
    user = logged_in(make_client, emulator, "superhero2", ping_interval=5)
    inbox = MessageRecorder()
    user.add_message_listener("inbox", inbox)
    user.send_message(TextMessage("superhero1", "still there?"))
    assert inbox.log.wait_for_count("on_text_message_received", 1, 5)
    assert inbox.texts() == ["STILL THERE?"]


def test_a_client_left_open_is_fine_without_the_thread_check(emulator, settings_for):
    from cometchat_sync import CometChatClient

    client = CometChatClient(emulator.app_id, settings_for(emulator).build())
    client.login("superhero3", emulator.auth_key)
    client.wait_until_connected(5)
"""

TEST_LEAK = """
import pytest
from cometchat_sync import CometChatClient


@pytest.mark.cometchat_thread_check
def test_leaves_a_client_open(emulator, settings_for):
    client = CometChatClient(emulator.app_id, settings_for(emulator).build())
    client.login("superhero4", emulator.auth_key)
    client.wait_until_connected(5)


@pytest.mark.cometchat_thread_check
def test_closes_its_client(emulator, make_client):
    client = make_client()
    client.login("superhero5", emulator.auth_key)
    client.wait_until_connected(5)
"""


def run_project(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """pytest on ``project`` in a new process, as its owner would run it: the plugin comes
    from the installed package's entry point, with no conftest or ini of this repository."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-rA", "-p", "no:cacheprovider", *args],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=PROJECT_TIMEOUT,
        check=False,
        env=env,
    )


@pytest.fixture
def user_project(tmp_path: Path) -> Path:
    (tmp_path / "bot.py").write_text(BOT)
    (tmp_path / "test_bot.py").write_text(TEST_BOT)
    (tmp_path / "test_leak.py").write_text(TEST_LEAK)
    return tmp_path


@pytest.mark.slow
def test_a_project_that_installs_nothing_else_tests_its_bot_with_the_plugin(user_project):
    done = run_project(user_project)
    out = done.stdout
    assert "PASSED test_bot.py::test_the_bot_answers_in_capitals" in out, out
    assert "PASSED test_bot.py::test_the_bot_survives_a_broken_network" in out, out
    assert "PASSED test_bot.py::test_a_client_left_open_is_fine_without_the_thread_check" in out
    # The marked test that leaves its client open fails at teardown, naming the threads.
    assert "ERROR at teardown of test_leaves_a_client_open" in out, out
    assert "SDK threads left running: ['cometchat-" in out, out
    assert "PASSED test_leak.py::test_closes_its_client" in out, out
    assert done.returncode == 1, out


@pytest.mark.slow
def test_the_ini_option_turns_the_thread_check_on_for_every_test(user_project):
    (user_project / "pytest.ini").write_text("[pytest]\ncometchat_thread_check = true\n")
    done = run_project(
        user_project, "test_bot.py::test_a_client_left_open_is_fine_without_the_thread_check"
    )
    assert "ERROR at teardown of test_a_client_left_open" in done.stdout, done.stdout
    assert "SDK threads left running" in done.stdout


def test_the_emulator_fixtures_without_the_extra_name_the_install_command(tmp_path):
    (tmp_path / "conftest.py").write_text(BLOCK_WEBSOCKETS)
    (tmp_path / "test_it.py").write_text("def test_it(make_client):\n    pass\n")
    done = run_project(tmp_path)
    assert "ERROR at setup of test_it" in done.stdout, done.stdout
    assert 'pip install "cometchat-sync[emulator]"' in done.stdout


# -- an emulator in another process --------------------------------------------------------


@pytest.fixture
def emulator_process():
    """``python -m cometchat_sync.testing.emulator`` with its own app id; (process, line)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "cometchat_sync.testing.emulator", "--app-id", "elsewhere"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()  # the ready line; the process was told nothing else
        assert line, "the emulator printed no ready line"
        yield proc, line
    finally:
        proc.terminate()
        proc.wait(10)
        if proc.stdout is not None:
            proc.stdout.close()


def test_a_client_reaches_an_emulator_of_another_process_by_its_address(emulator_process):
    _, line = emulator_process
    address = EmulatorAddress.from_json(line)
    assert address.app_id == "elsewhere"
    assert "auth_key" not in repr(address) and address.auth_key not in repr(address)
    settings = emulator_settings(address).set_request_timeout(WAIT).build()
    with CometChatClient(address.app_id, settings) as client:
        user = client.login("superhero1", address.auth_key)
        client.wait_until_connected(WAIT)
        sent = client.send_message(TextMessage("superhero2", "from afar"))
        assert user.uid == "superhero1" and sent.id
        client.logout()


def test_an_emulator_url_alone_means_the_default_app(tmp_path):
    with Emulator() as emu:
        settings = emulator_settings(emu.client_host).set_request_timeout(WAIT).build()
        with CometChatClient(DEFAULT_APP_ID, settings) as client:
            assert client.login("superhero1", DEFAULT_AUTH_KEY).uid == "superhero1"
            client.logout()


def test_a_new_emulator_on_the_same_port_never_sees_an_old_session():
    first = Emulator().start()
    try:
        with CometChatClient(
            first.app_id, emulator_settings(first.client_host).set_request_timeout(WAIT).build()
        ) as client:
            client.login("superhero1", first.auth_key)
            port, ws_port = first.port, first.ws_port
    finally:
        first.stop()
    # The same address, a new emulator: the old auth token would be refused here.
    with Emulator(port=port, ws_port=ws_port) as second:
        settings = emulator_settings(second.client_host).build()
        with CometChatClient(second.app_id, settings) as client:
            assert client.get_logged_in_user() is None


@pytest.mark.parametrize(
    "url",
    [
        "127.0.0.1:8080",
        "ws://127.0.0.1:1",
        "http://127.0.0.1",
        "http://h:1/v3",
        "http://u:p@h:1",
        "",
    ],
)
def test_an_address_that_is_not_an_emulator_url_is_refused(url):
    with pytest.raises(CometChatException) as info:
        emulator_settings(url)
    assert info.value.code == "ERR_INVALID_PARAMETER"
    assert "u:p" not in str(info.value)


def test_a_line_that_is_not_a_ready_line_is_refused():
    for line in ("", "[]", "{}", '{"client_host": 5}'):
        with pytest.raises(CometChatException) as info:
            EmulatorAddress.from_json(line)
        assert info.value.code == "ERR_INVALID_PARAMETER"


def test_the_defaults_of_an_address_are_those_of_an_emulator():
    params = inspect.signature(Emulator).parameters
    assert params["app_id"].default == DEFAULT_APP_ID
    assert params["region"].default == DEFAULT_REGION
    assert params["auth_key"].default == DEFAULT_AUTH_KEY
    with Emulator() as emu:
        ready = json.dumps({"client_host": emu.client_host})
        assert EmulatorAddress.from_json(ready) == EmulatorAddress.of(emu)
