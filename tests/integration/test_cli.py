"""The ``cometchat-sync`` command (run as ``python -m cometchat_sync.cli`` in a subprocess,
against the emulator of this test process): ``listen`` prints what another client sends and
exits 0 on SIGINT, ``send`` sends, ``status`` reports, ``emulator`` runs the emulator, and a
missing value is one line on stderr with exit code 2."""

from __future__ import annotations

import json
import signal
from importlib import metadata
from typing import Any

import pytest

from cometchat_sync import Group
from cometchat_sync import TextMessage

CLI = ["python", "-m", "cometchat_sync.cli"]
WAIT = 15.0


def run_cli(spawn, argv, env, timeout: float = WAIT) -> tuple[int, str, str]:
    proc = spawn([*CLI, *argv], env=env)
    rc = proc.wait(timeout)
    return rc, "".join(proc.out), "".join(proc.err)


def test_listen_prints_a_message_from_another_client_and_exits_0_on_sigint(
    spawn, emulator, emulator_env, make_client, tmp_path
):
    # Credentials and hosts from the environment, the user from an option.
    argv = [*CLI, "listen", "--json", "--uid", "superhero2", "--session-dir", str(tmp_path)]
    proc = spawn(argv, env=emulator_env())
    events: list[dict[str, Any]] = []

    def event(line: str) -> bool:
        events.append(json.loads(line))  # every stdout line is one JSON object
        return True

    def connected(line: str) -> bool:
        event(line)
        return bool(
            events[-1]["type"] == "connection" and events[-1]["data"]["current"] == "connected"
        )

    proc.expect(connected)
    first = events[0]
    assert first["event"] == "on_state_change" and first["data"]["previous"] == "disconnected"
    sender = make_client(auto=False)
    sender.login("superhero1", emulator.auth_key)
    sender.send_message(TextMessage("superhero2", "hello listener"))
    line = proc.expect(lambda text: event(text) and events[-1]["type"] == "message")
    got = json.loads(line)
    assert got["event"] == "on_text_message_received"
    assert got["data"]["data"]["text"] == "hello listener"  # the message's wire JSON
    assert got["data"]["sender"] == "superhero1"
    assert "authToken" not in "".join(proc.out)  # the login line names the user only
    proc.signal(signal.SIGINT)
    assert proc.wait(WAIT) == 0, proc.output()
    assert "Traceback" not in "".join(proc.err), proc.output()
    assert emulator.wait_for_sockets("superhero2", 0, 5.0)


def test_send_to_a_user_and_to_a_group_with_the_emulator_option(spawn, emulator, make_client):
    rc, out, err = run_cli(
        spawn,
        [
            "send",
            "--emulator",
            emulator.client_host,
            "--uid",
            "superhero1",
            "--to",
            "superhero2",
            "--json",
            "hi there",
        ],
        env={"PATH": "/usr/bin:/bin"},  # nothing from the environment: all from options
    )
    assert rc == 0, err
    sent = json.loads(out)["data"]
    assert sent["data"]["text"] == "hi there" and sent["receiver"] == "superhero2"
    assert any(m.get("data", {}).get("text") == "hi there" for m in emulator.messages())
    assert emulator.socket_count("superhero1") == 0  # sending is REST only

    owner = make_client(auto=False)
    owner.login("superhero1", emulator.auth_key)
    owner.create_group(Group("cli-room", "CLI room"))
    rc, out, err = run_cli(
        spawn,
        [
            "send",
            "--emulator",
            emulator.client_host,
            "--uid",
            "superhero1",
            "--group",
            "cli-room",
            "hello room",
        ],
        env={"PATH": "/usr/bin:/bin"},
    )
    assert rc == 0, err
    assert "-> group cli-room: hello room" in out


def test_status_logs_in_connects_and_pings(spawn, emulator, emulator_env, tmp_path):
    rc, out, err = run_cli(
        spawn,
        ["status", "--json", "--uid", "superhero3", "--session-dir", str(tmp_path)],
        env=emulator_env(),
    )
    assert rc == 0, err
    facts = json.loads(out)
    assert facts["uid"] == "superhero3" and facts["status"] == "connected"
    assert facts["ping_ms"] >= 0
    assert emulator.auth_count("superhero3") == 1


@pytest.mark.parametrize(
    ("argv", "env_names", "says"),
    [
        (["listen", "--uid", "superhero1"], [], "no app id"),
        (["send", "--to", "superhero2", "hi"], ["COMETCHAT_APP_ID"], "no user"),
        (
            ["send", "--uid", "superhero1", "--to", "superhero2", "hi"],
            ["COMETCHAT_APP_ID"],
            "no Auth Key",
        ),
        (["send", "hi"], ["COMETCHAT_APP_ID"], "one of the arguments --to --group is required"),
        (["status", "--client-host", "ftp://x"], ["COMETCHAT_APP_ID"], "http:// or https://"),
        (["status", "--client-host", "http://[bad"], ["COMETCHAT_APP_ID"], "must be a host"),
        (
            ["send", "--uid", "superhero1", "--to", "superhero2", ""],
            [
                "COMETCHAT_APP_ID",
                "COMETCHAT_REGION",
                "COMETCHAT_AUTH_KEY",
                "COMETCHAT_CLIENT_HOST",
                "COMETCHAT_ADMIN_HOST",
            ],
            "MISSING_PARAMETERS",
        ),
    ],
    ids=["no-app-id", "no-user", "no-auth-key", "no-receiver", "bad-host", "bad-url", "no-text"],
)
def test_a_missing_or_wrong_value_is_one_line_and_exit_code_2(
    spawn, emulator_env, tmp_path, argv, env_names, says
):
    full = emulator_env()
    env = {k: v for k, v in full.items() if not k.startswith("COMETCHAT_") or k in env_names}
    rc, out, err = run_cli(spawn, [*argv, "--session-dir", str(tmp_path)], env=env)
    assert rc == 2, (out, err)
    assert len(err.splitlines()) == 1, err
    assert says in err and "Traceback" not in err


def test_a_refused_login_is_one_line_with_the_server_code_and_exit_code_1(
    spawn, emulator, tmp_path
):
    rc, _out, err = run_cli(
        spawn,
        [
            "send",
            "--emulator",
            emulator.client_host,
            "--uid",
            "superhero1",
            "--auth-key",
            "wrong",
            "--to",
            "superhero2",
            "hi",
        ],
        env={"PATH": "/usr/bin:/bin"},
    )
    assert rc == 1
    assert err.splitlines() == [err.strip()] and "AUTH_ERR_APIKEY_NOT_FOUND" in err


def test_help_explains_each_command_and_its_variables(spawn):
    rc, out, _ = run_cli(spawn, ["--help"], env=None)
    assert rc == 0
    for command in ("emulator", "listen", "send", "status"):
        assert command in out
    rc, out, _ = run_cli(spawn, ["listen", "--help"], env=None)
    assert rc == 0
    for text in (
        "--json",
        "--emulator",
        "COMETCHAT_APP_ID",
        "COMETCHAT_AUTH_TOKEN",
        "COMETCHAT_CLIENT_HOST",
        "COMETCHAT_ADMIN_HOST",
        "COMETCHAT_REGION",
    ):
        assert text in out, text


def test_the_emulator_command_serves_until_sigint(spawn):
    proc = spawn([*CLI, "emulator", "--app-id", "cli-app"], env=None)
    info = json.loads(proc.expect(lambda line: line.startswith("{")))
    assert info["app_id"] == "cli-app" and info["client_host"].startswith("http://127.0.0.1:")
    proc.signal(signal.SIGINT)
    assert proc.wait(WAIT) == 0, proc.output()


def test_the_console_script_is_declared():
    points = metadata.entry_points()
    if hasattr(points, "select"):  # Python 3.10+
        scripts = list(points.select(group="console_scripts"))
    else:  # Python 3.9: a dict of groups
        scripts = list(points.get("console_scripts", ()))
    found = [ep.value for ep in scripts if ep.name == "cometchat-sync"]
    assert set(found) == {"cometchat_sync.cli:main"}  # listed once per metadata copy


def test_from_env_reads_the_region_and_hosts_the_command_reads():
    from cometchat_sync import AppSettingsBuilder  # noqa: PLC0415

    env = {
        "COMETCHAT_REGION": " US ",
        "COMETCHAT_CLIENT_HOST": "http://127.0.0.1:9",
        "COMETCHAT_ADMIN_HOST": "",  # empty: the default stays
    }
    settings = AppSettingsBuilder.from_env(env).build()
    assert settings.region == "us"
    assert (
        settings.client_host is not None and settings.client_host.base_url == "http://127.0.0.1:9"
    )
    assert settings.admin_host is None
    defaults = AppSettingsBuilder.from_env({}).build()
    assert defaults == AppSettingsBuilder().build()
