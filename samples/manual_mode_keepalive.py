"""Manual mode: stay connected in the background by pinging, as CometChat's docs describe.

In manual mode the SDK drops the socket 30 s after the app goes to the background unless the
app calls ``ping()`` within every 30 s window. This script connects, declares itself in the
background, and pings every 25 s, so the link stays up; it prints each round trip and every
connection change, and stops after ``--duration`` seconds, or on Ctrl-C or SIGTERM (waiting in
``client.run_forever(timeout=...)`` between pings, which closes the client cleanly then).

    python samples/manual_mode_keepalive.py                      # 25 s pings, 30 s deadline
    python samples/manual_mode_keepalive.py --interval 0.5 --deadline 1 --duration 5

Runs against an embedded emulator unless COMETCHAT_APP_ID and COMETCHAT_AUTH_KEY are set
(with COMETCHAT_REGION, and COMETCHAT_CLIENT_HOST/COMETCHAT_ADMIN_HOST for another host,
read by ``AppSettingsBuilder.from_env()``).
"""

from __future__ import annotations

import argparse
import os
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
        builder = AppSettingsBuilder.from_env()
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

    def on_change(change: ConnectionStateChange) -> None:
        if change.previous is change.current:  # the first call: the status as of now
            print(f"[connection] {change.current.value}")
            return
        reason = f" ({change.reason.value})" if change.reason else ""
        print(f"[connection] {change.previous.value} -> {change.current.value}{reason}")

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
                # Wait until the next ping; Ctrl-C or SIGTERM closes the client and ends it.
                if client.run_forever(
                    timeout=max(0.01, min(args.interval, end - time.monotonic()))
                ):
                    print("stopped")
                    return
            client.logout()
    finally:
        if emulator is not None:
            emulator.stop()


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:  # Ctrl-C outside the wait (during a ping, say)
        print("interrupted")
