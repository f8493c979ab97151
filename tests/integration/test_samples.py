"""The console samples as a user runs them: the quickstart prints each listener event under
the step that caused it, no sample leaves a temporary folder behind, and Ctrl-C in the
middle of any of them ends it within seconds without a traceback."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
EXIT_BUDGET = 10.0
# Python installs its Ctrl-C handler only when SIGINT is not ignored at start, and a test
# runner started as a background job ignores it (and so would its children).
WITH_CTRL_C = (
    "import runpy, signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
    "sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name='__main__')"
)
# (sample, its arguments, a line printed while it is busy: Ctrl-C comes right after it)
CONSOLE_SAMPLES = [
    ("quickstart.py", [], "-> sending a message"),
    ("quickstart.py", [], "-> no more pings"),
    (
        "manual_mode_keepalive.py",
        ["--interval", "0.3", "--deadline", "1", "--duration", "60"],
        "ping ok",
    ),
]


def sample_env(tmp: Path) -> dict[str, str]:
    """This environment with an empty folder of its own as the temporary folder, and none of
    the variables that would send a sample to the hosted service."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMETCHAT_")}
    env.update(TMPDIR=str(tmp), PYTHONUNBUFFERED="1")
    return env


@pytest.fixture
def tmp_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "tmp"
    folder.mkdir()
    return folder


def test_the_quickstart_prints_each_event_under_its_step_and_leaves_no_folder(spawn, tmp_folder):
    proc = spawn(["python", str(SAMPLES / "quickstart.py")], env=sample_env(tmp_folder))
    assert proc.wait(60) == 0, proc.output()
    lines = [line.rstrip("\n") for line in proc.out]
    steps: dict[str, list[str]] = {}
    current = ""
    for line in lines:
        if line.startswith("-> "):
            current = line[3:]
            steps[current] = []
        else:
            steps.setdefault(current, []).append(line.strip())

    def under(prefix: str) -> list[str]:
        (step,) = [s for s in steps if s.startswith(prefix)]
        return steps[step]

    assert "[connection] disconnected" in under("adding a connection listener")
    assert under("logging in superhero1")[-1] == "[connection] connecting -> connected"
    assert not [e for e in under("sending a message") if e.startswith("[")]
    assert "[message] superhero2: Hi Iron Man, loud and clear." in under("superhero2 answers")
    assert under("the app goes to the background")[-1].startswith(
        "[connection] connected -> disconnected"
    )
    assert under("back to the foreground")[-1] == "[connection] connecting -> connected"
    assert under("no more pings")[-1] == (
        "[connection] connected -> disconnected (background_ping_deadline)"
    )
    assert not [line for line in lines if "no '" in line], proc.output()
    assert lines[-1] == "-> done"
    assert not list(tmp_folder.iterdir()), "the quickstart left files in its temporary folder"


@pytest.mark.parametrize(
    ("sample", "args", "busy"),
    CONSOLE_SAMPLES,
    ids=[f"{name}@{busy}" for name, _, busy in CONSOLE_SAMPLES],
)
def test_ctrl_c_ends_a_sample_cleanly(spawn, tmp_folder, sample, args, busy):
    proc = spawn(
        ["python", "-c", WITH_CTRL_C, str(SAMPLES / sample), *args], env=sample_env(tmp_folder)
    )
    proc.expect(lambda line: line.startswith(busy))
    proc.signal(signal.SIGINT)
    rc = proc.wait(EXIT_BUDGET)
    stderr = "".join(proc.err)
    assert "Traceback" not in stderr, proc.output()
    assert rc in (0, 130), proc.output()
    assert not list(tmp_folder.iterdir()), f"{sample} left files in its temporary folder"
