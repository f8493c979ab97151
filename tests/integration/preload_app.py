"""A WSGI app that builds a plain ``CometChatClient`` at import time, as a script-minded
user would, for ``gunicorn --preload`` (``test_gunicorn.py``). The session folder holds a
stored session and auto mode is on: the client must still open nothing in the master.

Each request waits for this worker's link, then answers the worker's pid and SDK threads.
"""

from __future__ import annotations

import json
import os
import threading
from typing import Any
from typing import Callable

from cometchat_sync import AppSettingsBuilder
from cometchat_sync import CometChatClient

settings = AppSettingsBuilder.from_env().set_session_dir(os.environ["COMETCHAT_SESSION_DIR"])
client = CometChatClient(os.environ["COMETCHAT_APP_ID"], settings.build())


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    client.wait_until_connected(10)  # the first use in this worker opens its link
    names = [t.name for t in threading.enumerate() if t.name.startswith("cometchat-")]
    body = json.dumps({"pid": os.getpid(), "sdk_threads": names}).encode()
    start_response("200 OK", [("Content-Type", "application/json")])
    return [body]
