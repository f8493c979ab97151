"""Memory of a media upload: RSS of the client process while a large file is sent.

The emulator runs in a child process (its upload limit raised above the file size), so only
the client is measured. A file of ``--size`` MiB (default 200) of random bytes is written to
a temporary folder; then one ``send_media_message()`` uploads it, and the progress callback
samples this process's RSS (``/proc/self/statm``) about every 4 MiB sent. The figure that
matters is the peak RSS during the upload minus the RSS just before it, beside the file size:
it should be a small constant (chunks of the multipart stream), not the file's size. The
uploaded size is checked against the emulator's answer.

    python bench/upload_memory.py [--size 200] [--runs 3]
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import select
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from typing import Any

from _common import emulator_builder
from _common import machine_line
from _common import median
from _common import print_table
from _common import rss_bytes
from _common import verdict

from cometchat_sync import CometChatClient
from cometchat_sync import MediaMessage

MIB = 1024 * 1024
SAMPLE_EVERY = 4 * MIB

# An emulator whose upload limit is raised; it prints its addresses as the CLI does and stops
# when its stdin reaches EOF (so it never outlives this script).
_LAUNCHER = """
import json, sys
from cometchat_sync.testing.emulator import Emulator
with Emulator(host="127.0.0.1") as emu:
    emu.set_max_upload_size(int(sys.argv[1]))
    print(json.dumps({"app_id": emu.app_id, "region": emu.region, "auth_key": emu.auth_key,
                      "client_host": emu.client_host, "admin_host": emu.admin_host}),
          flush=True)
    sys.stdin.read()
"""


@contextlib.contextmanager
def upload_emulator(limit: int) -> Iterator[dict[str, Any]]:
    proc = subprocess.Popen(
        [sys.executable, "-c", _LAUNCHER, str(limit)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        ready, _, _ = select.select([proc.stdout], [], [], 15)
        line = proc.stdout.readline() if ready else ""
        if not line:
            raise RuntimeError("the emulator did not start within 15 s")
        yield json.loads(line)
    finally:
        if proc.stdin is not None:
            proc.stdin.close()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        if proc.stdout is not None:
            proc.stdout.close()


def write_file(path: str, size: int) -> None:
    chunk = os.urandom(MIB)
    with open(path, "wb") as f:
        for _ in range(size // MIB):
            f.write(chunk)


def one_run(info: dict[str, Any], path: str, size: int) -> tuple[int, int, float]:
    """(RSS before, peak RSS during, seconds) of one upload of ``path``."""
    settings = emulator_builder(info).set_max_upload_size(size).set_upload_timeout(600).build()
    with CometChatClient(info["app_id"], settings) as client:
        client.login("superhero1", info["auth_key"])
        gc.collect()
        before = rss_bytes()
        peak = before
        next_sample = 0

        def progress(done: int, total: int) -> None:
            nonlocal peak, next_sample
            if done >= next_sample or done == total:
                peak = max(peak, rss_bytes())
                next_sample = done + SAMPLE_EVERY

        started = time.monotonic()
        sent = client.send_media_message(
            MediaMessage("superhero2", path, "file"), progress=progress
        )
        elapsed = time.monotonic() - started
        peak = max(peak, rss_bytes())
        stored = sent.attachments[0].size if isinstance(sent, MediaMessage) else None
        if stored != size:
            raise RuntimeError(f"the emulator stored {stored} of {size} bytes")
        client.logout()
    return before, peak, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=200, help="file size in MiB")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    size = args.size * MIB
    print(machine_line())
    with tempfile.TemporaryDirectory(prefix="upload-bench-") as folder:
        path = os.path.join(folder, "big.bin")
        write_file(path, size)
        growths: list[float] = []
        rates: list[float] = []
        with upload_emulator(size + MIB) as info:
            for _ in range(args.runs):
                before, peak, elapsed = one_run(info, path, size)
                growths.append((peak - before) / MIB)
                rates.append(args.size / elapsed)
    growth = median(growths)
    print_table(
        f"Upload of a {args.size} MiB file ({args.runs} runs)",
        ["What", "Measured", "Target", "Verdict"],
        [
            ["file size", f"{args.size} MiB", "—", "—"],
            [
                "peak RSS growth during the upload (median / max)",
                f"{growth:.1f} / {max(growths):.1f} MiB",
                "< 16 MiB (flat)",
                verdict(max(growths) < 16),
            ],
            ["upload rate to the local emulator (median)", f"{median(rates):.0f} MiB/s", "—", "—"],
        ],
    )


if __name__ == "__main__":
    main()
