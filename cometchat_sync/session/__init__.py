"""Where the logged-in session lives between runs.

A :class:`Session` is what ``login()`` produced: the uid, the auth token, the JWT, the user
JSON, the app settings and the per-run resource id. A :class:`SessionStore` keeps it, together
with a persistent *device id* that survives logouts and restarts.

Two stores ship with the SDK:

* :class:`FileSessionStore` (the default) keeps one JSON file per app id under
  ``platformdirs.user_data_dir("cometchat_sync")``. Writes are atomic (temp file in the same
  folder, ``fsync``, ``os.replace``), the file is mode 0600 in a 0700 folder, and a separate
  ``session.json.lock`` file serialises read-modify-write across threads and processes. A
  corrupt file reads as "logged out"; a read-only folder makes the store keep the session in
  memory. The store trusts only what this user owns: the folder must be a real folder of this
  user (made 0700), the files regular files of this user opened without following links; a
  planted link or another user's file is set aside, never followed or chmodded, and a folder
  of another user makes the store keep the session in memory (one warning).
* :class:`MemorySessionStore` keeps it in the process only (``persist_session=False``, tests).

Any object with the methods of :class:`SessionStore` can be used instead (a keyring, a
database row, ...).

Both stores renew their locks in a child made by ``os.fork()`` (through
:mod:`cometchat_sync._fork`), so a child can use the store a parent thread was holding.

Tokens never appear in ``repr()``, in log records or in exception text. Deleting the file does
not scrub the disk.

Modules: :mod:`.record` (the session, the store protocol, the ids), :mod:`.memory`,
:mod:`.file_store`, and behind it :mod:`._document` (the file's JSON) and :mod:`._disk`
(atomic writes, folder names, unwritable folders).
"""

from .file_store import FileSessionStore
from .memory import MemorySessionStore
from .record import Session
from .record import SessionStore
from .record import new_resource_id

__all__ = [
    "FileSessionStore",
    "MemorySessionStore",
    "Session",
    "SessionStore",
    "new_resource_id",
]
