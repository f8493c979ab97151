"""``python -m cometchat_sync.testing.emulator``: run the emulator until SIGINT/SIGTERM.

Prints one JSON line (flushed) when ready::

    {"app_id": ..., "region": ..., "auth_key": ..., "client_host": ..., "admin_host": ...,
     "ws_url": ...}

and exits 0 after a signal.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from types import FrameType
from typing import Optional

from . import Emulator


def _parser(prog: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=prog,
        description="Run a local CometChat emulator (REST + WebSocket) until Ctrl-C.",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=0, help="REST port (default: any free port)")
    p.add_argument("--ws-port", type=int, default=0, help="WebSocket port (default: any free)")
    p.add_argument("--app-id", default="cometchat-emulator")
    p.add_argument("--region", default="eu")
    p.add_argument("--auth-key", default="emulator-auth-key")
    p.add_argument("--tls-cert", default=None, help="PEM certificate chain: serve https/wss")
    p.add_argument("--tls-key", default=None, help="PEM private key (if not in --tls-cert)")
    return p


def main(
    argv: Optional[list[str]] = None, prog: str = "python -m cometchat_sync.testing.emulator"
) -> int:
    """Run the emulator with the options ``argv``; ``prog`` names the command in its help."""
    parser = _parser(prog)
    args = parser.parse_args(argv)
    if args.tls_key and not args.tls_cert:
        parser.error("--tls-key needs --tls-cert")
    stop = threading.Event()

    def on_signal(signum: int, frame: Optional[FrameType]) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)

    emulator = Emulator(
        host=args.host,
        port=args.port,
        ws_port=args.ws_port,
        app_id=args.app_id,
        region=args.region,
        auth_key=args.auth_key,
        certfile=args.tls_cert,
        keyfile=args.tls_key,
    )
    with emulator:
        info = {
            "app_id": emulator.app_id,
            "region": emulator.region,
            "auth_key": emulator.auth_key,
            "client_host": emulator.client_host,
            "admin_host": emulator.admin_host,
            "ws_url": emulator.ws_url,
        }
        sys.stdout.write(json.dumps(info) + "\n")
        sys.stdout.flush()
        while not stop.wait(0.5):  # short slices: signals are handled on every OS
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
