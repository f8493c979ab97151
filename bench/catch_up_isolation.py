"""How long a long catch-up holds up the live messages of other conversations.

A client follows two conversations, BIG and SMALL. Its link drops (the emulator closes the
socket, a fault proxy keeps it out) while BIG's peer sends ``--missed`` messages (6,000 by
default: 60 catch-up pages). When the link is back, SMALL's peer sends a live message every
``--every`` ms until BIG's catch-up has been delivered. Measured, per run:

* the *live delay* of each SMALL message sent during BIG's catch-up: from the emulator
  storing it to the listener hearing it (p50, p95, max);
* the catch-up time: from the listener hearing ``on_connected`` to BIG's last missed
  message, and to the end of the whole catch-up (its log line; the look for conversations
  new to the client, one REST call per 100 messages missed in every conversation, included);
* that BIG's messages all came once, in order, and SMALL's too.

Two code paths, each in its own process, runs interleaved: ``ours`` (this tree: the
catch-up's REST calls on the worker pool, pages handed to the dispatcher) and ``old`` (the
same tree with ``events/delivery.py`` and ``events/catch_up.py`` of commit 7f514f6, where the
catch-up ran as one item on the dispatcher, extracted with ``git show`` into a temporary
copy). The emulator runs in the measuring process (in-process, as the tests run it).

    python bench/catch_up_isolation.py [--missed 6000] [--runs 3] [--every 20] [--wait-quiet 5]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any
from typing import Optional

ROOT = Path(__file__).resolve().parents[1]
OLD_COMMIT = "7f514f6"
OLD_FILES = ("cometchat_sync/events/delivery.py", "cometchat_sync/events/catch_up.py")
ME, BIG, SMALL = "superhero2", "superhero1", "superhero3"
WAIT = 10.0


# -- one run (a child process) -------------------------------------------------------------------


def run_once(missed: int, every: float) -> dict[str, Any]:
    """The scenario of the module docstring, once, in this process."""
    from cometchat_sync import CometChatClient  # noqa: PLC0415 (the tree chosen by the parent)
    from cometchat_sync import ConnectionListener  # noqa: PLC0415
    from cometchat_sync import MessageListener  # noqa: PLC0415
    from cometchat_sync import TextMessage  # noqa: PLC0415
    from cometchat_sync.testing import Emulator  # noqa: PLC0415
    from cometchat_sync.testing import FaultProxy  # noqa: PLC0415
    from cometchat_sync.testing.pytest_plugin import settings_for  # noqa: PLC0415

    heard: list[tuple[float, str]] = []
    heard_lock = threading.Condition()
    connects: list[float] = []
    ended: list[float] = []

    class CatchUpEnd(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.getMessage().startswith("catch-up fetched"):
                with heard_lock:
                    ended.append(time.monotonic())
                    heard_lock.notify_all()

    events_log = logging.getLogger("cometchat_sync.events")
    events_log.setLevel(logging.INFO)
    events_log.addHandler(CatchUpEnd())

    class Texts(MessageListener):
        def on_text_message_received(self, message: TextMessage) -> None:
            with heard_lock:
                heard.append((time.monotonic(), message.text))
                heard_lock.notify_all()

    class Links(ConnectionListener):
        def on_connected(self) -> None:
            with heard_lock:
                connects.append(time.monotonic())
                heard_lock.notify_all()

    def wait(predicate: Any, timeout: float) -> None:
        with heard_lock:
            if not heard_lock.wait_for(predicate, timeout):
                raise RuntimeError("timed out")

    with Emulator() as emulator, FaultProxy("127.0.0.1", emulator.ws_port) as proxy:
        emulator.advertise_ws(proxy.host, proxy.port)
        settings = settings_for(emulator, request_timeout=30.0).build()
        client = CometChatClient(emulator.app_id, settings)
        try:
            client.add_message_listener("texts", Texts())
            client.add_connection_listener("links", Links())
            client.login(ME, emulator.auth_key)
            client.wait_until_connected(WAIT)
            emulator.send_message(BIG, ME, "big-first")  # BIG: the first a catch-up reads
            wait(lambda: len(heard) == 1, WAIT)
            emulator.send_message(SMALL, ME, "small-first")
            wait(lambda: len(heard) == 2, WAIT)
            proxy.refuse()
            emulator.close_sockets(ME, 1011)
            wait(lambda: client.get_connection_status() != "connected", WAIT)
            texts = [f"big-{i:05d}" for i in range(missed)]
            for text in texts:
                emulator.send_message(BIG, ME, text)
            proxy.pass_through()
            wait(lambda: len(connects) == 2, WAIT)
            sent: dict[str, float] = {}
            n = 0
            while True:  # SMALL's live messages, until BIG's catch-up is delivered
                with heard_lock:
                    done = any(t == texts[-1] for _, t in heard)
                if done or n > 100_000:
                    break
                text = f"small-{n:05d}"
                sent[text] = time.monotonic()
                emulator.send_message(SMALL, ME, text)
                n += 1
                time.sleep(every)
            wait(lambda: sum(t.startswith("small-0") for _, t in heard) == n, WAIT * 3)
            wait(lambda: len(ended) == 1, WAIT * 6)
        finally:
            client.close()
    at = {t: when for when, t in heard}
    order = [t for _, t in heard]
    caught_up = at[texts[-1]]
    during = [at[t] - sent[t] for t in sent if sent[t] < caught_up]
    return {
        "big_s": caught_up - connects[1],
        "catch_up_s": ended[0] - connects[1],
        "delays_s": during,
        "big_in_order_once": [t for t in order if t.startswith("big-0")] == texts,
        "small_in_order_once": [t for t in order if t.startswith("small-0")] == sorted(sent),
    }


# -- the parent: the two trees, interleaved runs ---------------------------------------------------


def old_tree(into: Path) -> Path:
    """A copy of this tree's package with the catch-up of ``OLD_COMMIT``."""
    shutil.copytree(ROOT / "cometchat_sync", into / "cometchat_sync")
    (into / "cometchat_sync" / "events" / "catch_up_run.py").unlink(missing_ok=True)
    for name in OLD_FILES:
        old = subprocess.run(
            ["git", "-C", str(ROOT), "show", f"{OLD_COMMIT}:{name}"],
            capture_output=True,
            text=True,
            check=True,
            timeout=30,
        ).stdout
        (into / name).write_text(old)
    return into


def child(tree: Optional[Path], missed: int, every_ms: float) -> dict[str, Any]:
    env = dict(os.environ)
    if tree is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(tree), env.get("PYTHONPATH", "")])
    cmd = [sys.executable, __file__, "--child", "--missed", str(missed), "--every", str(every_ms)]
    proc = subprocess.run(cmd, check=False, capture_output=True, text=True, env=env, timeout=600)
    if proc.returncode != 0:
        raise RuntimeError(f"the run failed:\n{proc.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--missed", type=int, default=6_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--every", type=float, default=20.0, help="ms between live messages")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from _common import add_wait_quiet  # noqa: PLC0415 (bench/ is put on the path first)
    from _common import machine_line  # noqa: PLC0415
    from _common import percentile  # noqa: PLC0415
    from _common import print_table  # noqa: PLC0415
    from _common import wait_quiet  # noqa: PLC0415

    add_wait_quiet(parser)
    args = parser.parse_args()
    every = args.every / 1000.0
    if args.child:
        print(json.dumps(run_once(args.missed, every)))
        return
    print(machine_line())
    rows: list[list[str]] = []
    with tempfile.TemporaryDirectory(prefix="catch-up-old-") as tmp:
        trees = {"ours": None, "old": old_tree(Path(tmp))}
        for run in range(1, args.runs + 1):
            for name, tree in trees.items():
                wait_quiet(args.wait_quiet)
                r = child(tree, args.missed, args.every)
                delays = r["delays_s"]
                rows.append(
                    [
                        name,
                        str(run),
                        f"{r['big_s']:.2f}",
                        f"{r['catch_up_s']:.2f}",
                        str(len(delays)),
                        f"{percentile(delays, 50) * 1000:.0f}",
                        f"{percentile(delays, 95) * 1000:.0f}",
                        f"{max(delays, default=0.0) * 1000:.0f}",
                        "yes" if r["big_in_order_once"] and r["small_in_order_once"] else "NO",
                    ]
                )
    print_table(
        f"SMALL's live messages during BIG's catch-up of {args.missed:,} messages",
        [
            "code",
            "run",
            "BIG s",
            "catch-up s",
            "live msgs",
            "p50 ms",
            "p95 ms",
            "max ms",
            "all once",
        ],
        rows,
    )


if __name__ == "__main__":
    main()
