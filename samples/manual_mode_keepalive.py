"""Manual mode: stay connected in the background by pinging, as CometChat's docs describe.

In manual mode the SDK drops the socket 30 s after the app goes to the background unless the
app calls ``ping()`` within every 30 s window. This script connects, declares itself in the
background, and pings every 25 s, so the link stays up; it prints each round trip and every
connection change, and stops after ``--duration`` seconds (or Ctrl-C).

    python samples/manual_mode_keepalive.py                      # 25 s pings, 30 s deadline
    python samples/manual_mode_keepalive.py --interval 0.5 --deadline 1 --duration 5

Runs against an embedded emulator unless COMETCHAT_APP_ID, COMETCHAT_REGION and
COMETCHAT_AUTH_KEY are set.
"""

from __future__ import annotations

import argparse
import os
import threading
import time

from cometchat_sync import AppSettingsBuilder
from cometchat_sync import AppState
from cometchat_sync import CometChatClient
from cometchat_sync import CometChatException
from cometchat_sync import ConnectionListener
from cometchat_sync import ConnectionStateChange


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--interval", type=float, default=25.0, help="seconds between pings")
    parser.add_argument("--deadline", type=float, default=30.0, help="background deadline")
    parser.add_argument("--duration", type=float, default=120.0, help="seconds to run")
    args = parser.parse_args()
    if args.interval >= args.deadline:
        parser.error("--interval must be below --deadline, or the link will drop")

    app_id = os.environ.get("COMETCHAT_APP_ID")
    emulator = None
    if app_id:
        builder = AppSettingsBuilder().set_region(os.environ.get("COMETCHAT_REGION", "eu"))
        auth_key = os.environ["COMETCHAT_AUTH_KEY"]
    else:
        from cometchat_sync.testing import Emulator  # noqa: PLC0415
        from cometchat_sync.testing import emulator_settings  # noqa: PLC0415

        emulator = Emulator().start()
        app_id, auth_key, builder = emulator.app_id, emulator.auth_key, emulator_settings(emulator)

    settings = (
        builder.auto_establish_socket_connection(False)
        .set_background_ping_deadline(args.deadline)
        .set_pong_timeout(min(3.0, args.interval / 2))
        .set_ping_interval(max(15.0, args.interval))
        .build()
    )
    dropped = threading.Event()

    def on_change(change: ConnectionStateChange) -> None:
        reason = f" ({change.reason.value})" if change.reason else ""
        print(f"[connection] {change.previous.value} -> {change.current.value}{reason}")
        if change.current.value == "disconnected":
            dropped.set()

    try:
        with CometChatClient(app_id, settings) as client:
            client.add_connection_listener("log", ConnectionListener(on_state_change=on_change))
            client.login("superhero1", auth_key)
            client.connect()
            client.set_app_state(AppState.BACKGROUND)
            print(
                f"in the background; pinging every {args.interval:g} s "
                f"(deadline {args.deadline:g} s) for {args.duration:g} s"
            )
            end = time.monotonic() + args.duration
            while time.monotonic() < end:
                try:
                    rtt = client.ping()
                    print(f"ping ok: {rtt * 1000:.1f} ms; still {client.get_connection_status()}")
                except CometChatException as exc:
                    print(f"ping failed: {exc}")
                    break
                if dropped.wait(min(args.interval, max(0.0, end - time.monotonic()))):
                    break
            client.logout()
    finally:
        if emulator is not None:
            emulator.stop()


if __name__ == "__main__":
    main()
