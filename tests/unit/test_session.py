"""Tests of cometchat_sync.session: the Session record and the memory and file stores."""

from __future__ import annotations

import dataclasses
import errno
import json
import logging
import multiprocessing
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import textwrap
import threading
from pathlib import Path
from typing import Optional

import platformdirs
import pytest
from filelock import FileLock

from cometchat_sync import _fork
from cometchat_sync._version import __version__
from cometchat_sync.errors import CometChatException
from cometchat_sync.session import FileSessionStore
from cometchat_sync.session import MemorySessionStore
from cometchat_sync.session import Session
from cometchat_sync.session import SessionStore
from cometchat_sync.session import new_resource_id

APP = "app1"
TOKEN = "u1_1700000000SECRETAUTHTOKENxxxxxxxxxxxxxxxxxxx"
JWT = "eyJhbGciOiJIUzI1NiJ9.SECRETJWTPAYLOAD.sig"
POSIX = sys.platform != "win32"


def make_session(uid: str = "u1", **settings: object) -> Session:
    return Session(
        uid=uid,
        auth_token=TOKEN,
        jwt=JWT,
        user={"uid": uid, "name": "User One", "status": "online"},
        settings=dict(settings),
        resource="PYTHON-0_1_0-abc-1",
    )


def session_warnings(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [
        r
        for r in caplog.records
        if r.name.startswith("cometchat_sync.session") and r.levelno >= logging.WARNING
    ]


def corrupt_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("session.json.corrupt-*"))


@pytest.fixture
def caplog_debug(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)
    return caplog


# -- Session ------------------------------------------------------------------------------


def test_session_round_trip():
    s = make_session(counter=3)
    data = s.to_json()
    assert json.loads(json.dumps(data)) == data
    assert Session.from_json(data) == s
    # resource is optional in the JSON
    data.pop("resource")
    assert Session.from_json(data).resource == ""


def test_session_repr_masks_tokens():
    s = make_session()
    text = repr(s)
    assert TOKEN not in text
    assert JWT not in text
    assert "auth_token='***'" in text
    assert "jwt='***'" in text
    assert "'u1'" in text
    assert TOKEN not in str(s)


def test_session_is_frozen():
    s = make_session()
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.uid = "other"  # type: ignore[misc]


@pytest.mark.parametrize(
    "data",
    [
        None,
        [],
        "text",
        {},
        {"uid": "u1", "jwt": "j", "user": {}, "settings": {}},
        {"uid": "", "auth_token": "t", "jwt": "j", "user": {}, "settings": {}},
        {"uid": 5, "auth_token": "t", "jwt": "j", "user": {}, "settings": {}},
        {"uid": "u1", "auth_token": "t", "user": {}, "settings": {}},
        {"uid": "u1", "auth_token": "t", "jwt": None, "user": {}, "settings": {}},
        {"uid": "u1", "auth_token": "t", "jwt": "j", "user": [], "settings": {}},
        {"uid": "u1", "auth_token": "t", "jwt": "j", "user": {}},
        {"uid": "u1", "auth_token": "t", "jwt": "j", "user": {}, "settings": {}, "resource": 1},
    ],
)
def test_session_from_json_rejects_wrong_shape(data):
    with pytest.raises(ValueError) as info:
        Session.from_json(data)
    assert "SECRET" not in str(info.value)


def test_new_resource_id_format():
    a, b = new_resource_id(), new_resource_id()
    assert a != b
    version = __version__.replace(".", "_")
    uuid4 = r"[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}"
    pattern = rf"PYTHON-{re.escape(version)}-{uuid4}-\d{{13}}"
    assert re.fullmatch(pattern, a), a


# -- stores: shared behaviour ---------------------------------------------------------------


@pytest.fixture(params=["memory", "file"])
def store(request, tmp_path) -> SessionStore:
    if request.param == "memory":
        return MemorySessionStore(APP)
    return FileSessionStore(APP, directory=tmp_path)


def test_store_satisfies_protocol(store):
    assert isinstance(store, SessionStore)


def test_store_round_trip(store):
    assert store.load() is None
    s = make_session(a=1)
    store.save(s)
    assert store.load() == s
    store.clear()
    assert store.load() is None


def test_store_device_id_format_and_stable_across_clear(store):
    device = store.device_id()
    assert re.fullmatch(rf"{APP}_[0-9a-f]{{32}}_\d{{13}}", device), device
    store.save(make_session())
    assert store.device_id() == device
    store.clear()
    assert store.device_id() == device


def test_store_update(store):
    def bump(old: Optional[Session]) -> Optional[Session]:
        if old is None:
            return make_session(counter=1)
        return dataclasses.replace(old, settings={"counter": old.settings["counter"] + 1})

    assert store.update(bump).settings == {"counter": 1}
    assert store.update(bump).settings == {"counter": 2}
    assert store.load().settings == {"counter": 2}
    assert store.update(lambda old: None) is None
    assert store.load() is None


def test_store_update_exception_changes_nothing(store):
    s = make_session()
    store.save(s)

    def boom(old):
        raise KeyError("x")

    with pytest.raises(KeyError):
        store.update(boom)
    assert store.load() == s
    with pytest.raises(TypeError):
        store.update(lambda old: {"uid": "x"})  # type: ignore[arg-type,return-value,unused-ignore]
    assert store.load() == s


def test_store_thread_safe_counter(store, run_in_threads):
    def bump(old):
        n = 0 if old is None else old.settings["n"]
        return make_session(n=n + 1)

    def work():
        for _ in range(50):
            store.update(bump)

    run_in_threads([work] * 4, 30)
    assert store.load().settings == {"n": 200}


@pytest.mark.parametrize("bad", ["", "   "])
def test_empty_app_id_rejected(bad, tmp_path):
    with pytest.raises(ValueError, match="app_id"):
        MemorySessionStore(bad)
    with pytest.raises(ValueError, match="app_id"):
        FileSessionStore(bad, directory=tmp_path)


# -- FileSessionStore ------------------------------------------------------------------------


def test_file_layout_and_json(tmp_path):
    store = FileSessionStore(APP, directory=tmp_path)
    s = make_session(x=1)
    store.save(s)
    path = tmp_path / APP / "session.json"
    assert store.path == path
    doc = json.loads(path.read_text("utf-8"))
    assert doc == {"version": 1, "device_id": store.device_id(), "session": s.to_json()}
    assert (tmp_path / APP / "session.json.lock").exists()
    store.clear()
    doc = json.loads(path.read_text("utf-8"))
    assert doc["session"] is None
    assert doc["device_id"] == store.device_id()


def test_new_instance_sees_same_session_and_device_id(tmp_path):
    first = FileSessionStore(APP, directory=tmp_path)
    device = first.device_id()
    first.save(make_session())
    second = FileSessionStore(APP, directory=tmp_path)
    assert second.load() == make_session()
    assert second.device_id() == device
    second.clear()
    third = FileSessionStore(APP, directory=tmp_path)
    assert third.load() is None
    assert third.device_id() == device


def test_default_directory_uses_platformdirs(tmp_path, monkeypatch):
    calls = []

    def fake_user_data_dir(appname, appauthor=None, **kwargs):
        calls.append((appname, appauthor))
        return str(tmp_path / "data")

    monkeypatch.setattr(platformdirs, "user_data_dir", fake_user_data_dir)
    store = FileSessionStore(APP)
    assert calls == [("cometchat_sync", False)]
    assert store.path == tmp_path / "data" / APP / "session.json"


@pytest.mark.parametrize("app_id", ["..", ".", "../evil", "a/b", "a\\b", "/abs", "x\x00y", "é"])
def test_app_id_made_safe_for_a_folder(tmp_path, app_id):
    base = tmp_path / "base"
    store = FileSessionStore(app_id, directory=base)
    store.save(make_session())
    folder = store.path.parent
    assert folder.parent == base
    assert folder.name not in (".", "..")
    assert "/" not in folder.name and "\\" not in folder.name
    assert store.path.is_file()
    assert store.device_id().startswith(app_id + "_")
    # nothing escaped the base folder
    assert sorted(p.name for p in tmp_path.iterdir()) == ["base"]


def test_distinct_app_ids_get_distinct_folders(tmp_path):
    names = {FileSessionStore(a, directory=tmp_path).path for a in ["a/b", "a%2Fb", "a_b", ".."]}
    assert len(names) == 4


@pytest.mark.skipif(not POSIX, reason="POSIX modes")
def test_file_0600_in_folder_0700_even_with_open_umask(tmp_path):
    old = os.umask(0)
    try:
        store = FileSessionStore(APP, directory=tmp_path)
        store.save(make_session())
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(tmp_path / APP).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(store.path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(str(store.path) + ".lock").st_mode) & 0o077 == 0


@pytest.mark.skipif(not POSIX, reason="POSIX modes")
def test_existing_wide_folder_is_tightened(tmp_path):
    folder = tmp_path / APP
    folder.mkdir()
    folder.chmod(0o755)
    FileSessionStore(APP, directory=tmp_path).save(make_session())
    assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700


@pytest.mark.skipif(not POSIX, reason="POSIX modes")
def test_world_readable_file_is_fixed_with_one_warning(tmp_path, caplog_debug):
    FileSessionStore(APP, directory=tmp_path).save(make_session())
    path = tmp_path / APP / "session.json"
    path.chmod(0o644)
    store = FileSessionStore(APP, directory=tmp_path)
    assert store.load() == make_session()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    path.chmod(0o640)
    assert store.load() == make_session()
    store.device_id()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    warnings = session_warnings(caplog_debug)
    assert len(warnings) == 1
    assert "0600" in warnings[0].getMessage()


def test_stray_temp_files_removed(tmp_path):
    store = FileSessionStore(APP, directory=tmp_path)
    store.save(make_session())
    stray = tmp_path / APP / ".session.json.k3j4h5.tmp"
    stray.write_text("half a sess")
    other = tmp_path / APP / "keep.txt"
    other.write_text("mine")
    FileSessionStore(APP, directory=tmp_path).save(make_session("u2"))
    assert not stray.exists()
    assert other.exists()
    assert sorted(p.name for p in (tmp_path / APP).iterdir()) == [
        "keep.txt",
        "session.json",
        "session.json.lock",
    ]


def test_failed_write_leaves_no_temp_file_and_old_content(tmp_path, monkeypatch):
    store = FileSessionStore(APP, directory=tmp_path)
    store.save(make_session())

    def broken_fsync(fd):
        raise OSError(errno.EIO, "I/O error")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(OSError):
        store.save(make_session("u2"))
    monkeypatch.undo()
    assert FileSessionStore(APP, directory=tmp_path).load() == make_session()
    assert not list((tmp_path / APP).glob(".session.json.*.tmp"))


# -- corrupt files ---------------------------------------------------------------------------

GOOD_DEVICE = f"{APP}_{'a' * 32}_1700000000000"
VALID_SESSION = make_session().to_json()

CORRUPT = {
    "bad json": b'{"version": 1, "device_id": "SECRETCONTENT"',
    "empty": b"",
    "bad utf8": b'{"version": 1, "x": "\xff\xfe SECRETCONTENT"}',
    "deep nesting": b"[" * 200_000 + b"]" * 200_000,
    "not an object": b'["SECRETCONTENT"]',
    "no version": json.dumps({"device_id": GOOD_DEVICE, "session": None}).encode(),
    "string version": json.dumps({"version": "1", "device_id": GOOD_DEVICE}).encode(),
    "future version": json.dumps(
        {"version": 2, "device_id": GOOD_DEVICE, "session": VALID_SESSION}
    ).encode(),
    "no device id": json.dumps({"version": 1, "session": VALID_SESSION}).encode(),
    "session not object": json.dumps(
        {"version": 1, "device_id": GOOD_DEVICE, "session": "SECRETCONTENT"}
    ).encode(),
    "session wrong shape": json.dumps(
        {"version": 1, "device_id": GOOD_DEVICE, "session": {"uid": "u1", "jwt": "SECRETCONTENT"}}
    ).encode(),
}


@pytest.mark.parametrize("kind", sorted(CORRUPT))
def test_corrupt_file_reads_as_logged_out(tmp_path, caplog_debug, kind):
    folder = tmp_path / APP
    folder.mkdir(mode=0o700)
    content = CORRUPT[kind]
    (folder / "session.json").write_bytes(content)
    store = FileSessionStore(APP, directory=tmp_path)

    assert store.load() is None
    assert store.load() is None
    warnings = session_warnings(caplog_debug)
    assert len(warnings) == 1, [w.getMessage() for w in warnings]
    assert "SECRETCONTENT" not in caplog_debug.text
    assert "corrupt" in warnings[0].getMessage() or "unusable" in warnings[0].getMessage()
    kept = corrupt_files(folder)
    assert len(kept) == 1
    assert kept[0].read_bytes() == content
    if (folder / "session.json").exists():
        # a valid device id found in the bad file was kept, nothing else
        doc = json.loads((folder / "session.json").read_bytes())
        assert doc == {"version": 1, "device_id": GOOD_DEVICE, "session": None}

    # The store works normally afterwards.
    store.save(make_session())
    assert FileSessionStore(APP, directory=tmp_path).load() == make_session()
    assert len(session_warnings(caplog_debug)) == 1


def test_corrupt_file_found_by_update_and_device_id(tmp_path, caplog_debug):
    folder = tmp_path / APP
    folder.mkdir()
    (folder / "session.json").write_bytes(b"\x00garbage")
    store = FileSessionStore(APP, directory=tmp_path)
    device = store.device_id()
    assert device.startswith(APP + "_")
    assert len(session_warnings(caplog_debug)) == 1
    (folder / "session.json").write_bytes(b"{{{")
    assert store.update(lambda old: make_session() if old is None else None) == make_session()
    assert len(session_warnings(caplog_debug)) == 2
    assert len(corrupt_files(folder)) == 2


def test_wrong_shape_keeps_a_valid_device_id(tmp_path, caplog_debug):
    folder = tmp_path / APP
    folder.mkdir()
    (folder / "session.json").write_bytes(CORRUPT["session wrong shape"])
    store = FileSessionStore(APP, directory=tmp_path)
    assert store.load() is None
    assert store.device_id() == GOOD_DEVICE


# -- read-only / unwritable folders ----------------------------------------------------------


def _raise_oserror(code):
    def fail(*args, **kwargs):
        raise OSError(code, os.strerror(code))

    return fail


@pytest.mark.parametrize("code", [errno.EROFS, errno.EACCES, errno.EPERM, errno.ENOSPC])
def test_unwritable_folder_keeps_session_in_memory(tmp_path, monkeypatch, caplog_debug, code):
    first = FileSessionStore(APP, directory=tmp_path)
    first.save(make_session("u0"))
    device = first.device_id()
    on_disk = (tmp_path / APP / "session.json").read_bytes()

    store = FileSessionStore(APP, directory=tmp_path)
    monkeypatch.setattr(tempfile, "mkstemp", _raise_oserror(code))
    assert store.load() == make_session("u0")  # reads still work
    store.save(make_session("u1"))
    assert store.in_memory
    assert store.load() == make_session("u1")
    assert store.device_id() == device
    store.clear()
    assert store.load() is None
    store.save(make_session("u2", n=1))
    updated = store.update(lambda old: old and dataclasses.replace(old, settings={"n": 2}))
    assert updated is not None and updated.settings == {"n": 2}
    loaded = store.load()
    assert loaded is not None and loaded.settings == {"n": 2}
    assert store.device_id() == device

    warnings = session_warnings(caplog_debug)
    assert len(warnings) == 1
    assert errno.errorcode[code] in warnings[0].getMessage()
    assert (tmp_path / APP / "session.json").read_bytes() == on_disk
    assert not list((tmp_path / APP).glob(".session.json.*"))
    assert TOKEN not in caplog_debug.text


def test_folder_cannot_be_created(tmp_path, monkeypatch, caplog_debug):
    store = FileSessionStore(APP, directory=tmp_path / "nope")
    monkeypatch.setattr(os, "makedirs", _raise_oserror(errno.EACCES))
    assert store.load() is None
    device = store.device_id()
    assert device.startswith(APP + "_")
    store.save(make_session())
    assert store.load() == make_session()
    assert store.device_id() == device
    assert store.in_memory
    assert len(session_warnings(caplog_debug)) == 1
    assert not (tmp_path / "nope").exists()


def test_replace_fails_with_enospc(tmp_path, monkeypatch, caplog_debug):
    store = FileSessionStore(APP, directory=tmp_path)
    store.device_id()
    monkeypatch.setattr(os, "replace", _raise_oserror(errno.ENOSPC))
    store.save(make_session())
    assert store.in_memory
    assert store.load() == make_session()
    assert len(session_warnings(caplog_debug)) == 1
    assert not list((tmp_path / APP).glob(".session.json.*"))


def test_other_os_errors_propagate(tmp_path, monkeypatch):
    store = FileSessionStore(APP, directory=tmp_path)
    monkeypatch.setattr(tempfile, "mkstemp", _raise_oserror(errno.EIO))
    with pytest.raises(OSError):
        store.save(make_session())
    assert not store.in_memory


_RO_SCRIPT = textwrap.dedent(
    """
    import logging, sys
    from cometchat_sync.session import FileSessionStore, Session
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
    step, folder = sys.argv[1], sys.argv[2]
    store = FileSessionStore("app1", directory=folder)
    if step == "setup":
        store.save(Session("u0", "tok0", "jwt0", {}, {}))
        print("DEVICE", store.device_id())
    else:
        assert store.load().uid == "u0"
        print("DEVICE", store.device_id())
        store.save(Session("u1", "tok1", "jwt1", {}, {}))
        assert store.in_memory
        assert store.load().uid == "u1"
        store.clear()
        assert store.load() is None
        print("OK")
    """
)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux mount namespaces")
def test_real_read_only_filesystem(tmp_path):
    """A read-only tmpfs in a private mount namespace (skipped where that is not allowed)."""
    unshare = shutil.which("unshare")
    if unshare is None or os.geteuid() != 0:
        pytest.skip("needs unshare and root")
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    py = sys.executable
    script = tmp_path / "ro.py"
    script.write_text(_RO_SCRIPT)
    shell = (
        f'mount -t tmpfs -o size=1m tmpfs "{mnt}" || exit 77; '
        f'"{py}" "{script}" setup "{mnt}" || exit 1; '
        f'mount -o remount,ro "{mnt}" || exit 77; '
        f'"{py}" "{script}" check "{mnt}"'
    )
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    proc = subprocess.run(
        [unshare, "-m", "sh", "-c", shell],
        capture_output=True,
        text=True,
        timeout=30,
        env=env,
        check=False,
    )
    if proc.returncode == 77 or "unshare failed" in proc.stderr:
        pytest.skip(f"mount namespace not available: {proc.stderr.strip()}")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    devices = [line for line in proc.stdout.splitlines() if line.startswith("DEVICE")]
    assert len(devices) == 2 and devices[0] == devices[1]
    assert proc.stdout.strip().endswith("OK")
    warnings = [line for line in proc.stderr.splitlines() if line.startswith("WARNING")]
    assert len(warnings) == 1, proc.stderr
    assert "EROFS" in warnings[0]
    assert "tok" not in proc.stderr


# -- locking ----------------------------------------------------------------------------------


def test_lock_timeout_raises_session_locked(tmp_path):
    store = FileSessionStore(APP, directory=tmp_path, lock_timeout=0.2)
    store.save(make_session())
    holder = FileLock(str(store.path) + ".lock")
    with holder.acquire(timeout=5):
        with pytest.raises(CometChatException) as info:
            store.save(make_session("u2"))
        assert info.value.code == "ERR_SESSION_LOCKED"
        assert TOKEN not in str(info.value) and TOKEN not in repr(info.value)
        # reads need no lock
        assert store.load() == make_session()
        with pytest.raises(CometChatException):
            store.clear()
    store.save(make_session("u3"))
    assert store.load() == make_session("u3")


def test_lock_file_is_separate_from_data_file(tmp_path):
    store = FileSessionStore(APP, directory=tmp_path)
    store.save(make_session())
    inode_before = os.stat(store.path).st_ino
    store.save(make_session("u2"))
    assert os.stat(store.path).st_ino != inode_before  # replaced, so it can't be the lock
    assert Path(str(store.path) + ".lock").exists()


# -- many processes ---------------------------------------------------------------------------

_UPDATES = 200
_WRITERS = 3


def _bump_counter(old: Optional[Session]) -> Session:
    if old is None:
        return make_session(counter=1)
    return dataclasses.replace(old, settings={"counter": old.settings["counter"] + 1})


def _writer(directory: str, go, errors) -> None:
    try:
        store = FileSessionStore(APP, directory=directory, lock_timeout=30)
        go.wait(30)
        for _ in range(_UPDATES):
            store.update(_bump_counter)
    except BaseException as exc:
        errors.put(f"writer: {exc!r}")


def _reader(directory: str, go, stop, errors, stats) -> None:
    try:
        store = FileSessionStore(APP, directory=directory, lock_timeout=30)
        path = os.path.join(directory, APP, "session.json")
        go.wait(30)
        last = 0
        reads = 0
        while True:
            done = stop.is_set()
            try:
                with open(path, "rb") as fh:
                    raw = fh.read()
            except FileNotFoundError:
                raw = None
            if raw is not None:
                doc = json.loads(raw)  # a torn read would raise here
                assert doc["version"] == 1
            s = store.load()
            value = 0 if s is None else s.settings["counter"]
            if value < last:
                errors.put(f"reader: counter went back from {last} to {value}")
            last = value
            reads += 1
            if done:
                break
        stats.put((reads, last))
    except BaseException as exc:
        errors.put(f"reader: {exc!r}")


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_processes_no_torn_read_no_lost_update(tmp_path, caplog):
    ctx = multiprocessing.get_context("spawn")
    go, stop = ctx.Event(), ctx.Event()
    errors, stats = ctx.Queue(), ctx.Queue()
    directory = str(tmp_path)
    writers = [ctx.Process(target=_writer, args=(directory, go, errors)) for _ in range(_WRITERS)]
    reader = ctx.Process(target=_reader, args=(directory, go, stop, errors, stats))
    for p in [*writers, reader]:
        p.start()
    go.set()
    for p in writers:
        p.join(90)
        assert p.exitcode == 0
    stop.set()
    reader.join(30)
    assert reader.exitcode == 0

    problems = []
    while not errors.empty():
        problems.append(errors.get(timeout=1))
    assert problems == []
    reads, last = stats.get(timeout=10)
    assert reads > 10
    assert last == _WRITERS * _UPDATES

    final = FileSessionStore(APP, directory=directory).load()
    assert final is not None
    assert final.settings["counter"] == _WRITERS * _UPDATES
    assert corrupt_files(tmp_path / APP) == []
    assert not list((tmp_path / APP).glob(".session.json.*"))


# -- secrets never leak -------------------------------------------------------------------------


def test_tokens_never_in_repr_or_logs(tmp_path, monkeypatch, caplog_debug):
    memory = MemorySessionStore(APP)
    memory.save(make_session())
    store = FileSessionStore(APP, directory=tmp_path, lock_timeout=0.1)
    store.save(make_session())
    texts = [repr(memory), repr(store), repr(store.load()), str(store.load())]

    path = tmp_path / APP / "session.json"
    if POSIX:
        path.chmod(0o666)
    assert FileSessionStore(APP, directory=tmp_path).load() == make_session()

    # corrupt file that still contains the tokens
    path.write_text(json.dumps({"version": 9, "session": make_session().to_json()}))
    assert FileSessionStore(APP, directory=tmp_path).load() is None

    with (
        FileLock(str(path) + ".lock").acquire(timeout=5),
        pytest.raises(CometChatException) as info,
    ):
        store.save(make_session())
    texts += [str(info.value), repr(info.value), repr(info.value.details)]

    monkeypatch.setattr(tempfile, "mkstemp", _raise_oserror(errno.EROFS))
    ro = FileSessionStore(APP, directory=tmp_path)
    ro.save(make_session())
    texts.append(repr(ro))

    assert len(session_warnings(caplog_debug)) == 3
    texts.append(caplog_debug.text)
    texts += [str(r.args) for r in caplog_debug.records]
    for text in texts:
        assert TOKEN not in text
        assert JWT not in text
        assert "SECRET" not in text


def test_temp_dir_sanity():
    # mkstemp itself creates 0600 files: the store relies on it.
    fd, name = tempfile.mkstemp()
    try:
        if POSIX:
            assert stat.S_IMODE(os.fstat(fd).st_mode) == 0o600
    finally:
        os.close(fd)
        os.unlink(name)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
@pytest.mark.parametrize("kind", ["memory", "file"])
def test_store_usable_in_forked_child_while_parent_thread_holds_lock(tmp_path, kind):
    store: MemorySessionStore | FileSessionStore
    if kind == "memory":
        memory = MemorySessionStore(APP)
        store, lock = memory, memory._lock
    else:
        on_disk = FileSessionStore(APP, directory=tmp_path, lock_timeout=5)
        store, lock = on_disk, on_disk._tlock
    store.save(make_session())
    held, release = threading.Event(), threading.Event()

    def hold():
        with lock:
            held.set()
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    assert held.wait(5)
    try:
        pid = os.fork()
        if pid == 0:  # child: must not deadlock on the lock the parent's thread holds
            code = 1
            try:
                signal.alarm(10)
                store.save(make_session("child"))
                code = 0 if store.load() == make_session("child") else 2
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
    finally:
        release.set()
        holder.join(5)
    assert os.waitstatus_to_exitcode(status) == 0
    if kind == "file":
        assert FileSessionStore(APP, directory=tmp_path).load() == make_session("child")


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_forked_child_gets_fresh_store_locks_through_the_fork_registry(tmp_path):
    memory = MemorySessionStore(APP)
    files = FileSessionStore(APP, directory=tmp_path, lock_timeout=5)
    files.save(make_session())  # makes the file lock object a child must not reuse
    assert memory in _fork._live
    assert files in _fork._live
    parent_locks = (memory._lock, files._tlock, files._file_lock)
    assert parent_locks[2] is not None

    pid = os.fork()
    if pid == 0:  # child: the registry has already run every store's after_fork_in_child
        code = 1
        try:
            fresh = (
                memory._lock is not parent_locks[0],
                files._tlock is not parent_locks[1],
                files._file_lock is None,
            )
            code = 0 if all(fresh) else 2
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert (memory._lock, files._tlock, files._file_lock) == parent_locks  # parent untouched


# -- links and files the store does not own ----------------------------------------------------

OTHER_UID = 4321


def owned_by_another_user(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make ``path`` belong to someone else: chown it when running as root, else make this
    process look like another user to the store's owner check."""
    if os.geteuid() == 0:
        os.chown(path, OTHER_UID, OTHER_UID, follow_symlinks=False)
    else:  # pragma: no cover - CI runs as root
        real = os.geteuid()
        monkeypatch.setattr(os, "geteuid", lambda: real + 1)


def session_document(uid: str = "attacker") -> str:
    return json.dumps(
        {"version": 1, "device_id": "app1_dev", "session": make_session(uid).to_json()}
    )


@pytest.mark.skipif(not POSIX, reason="POSIX links and owners")
def test_a_planted_session_link_is_neither_followed_nor_chmodded(tmp_path, caplog_debug):
    (tmp_path / APP).mkdir(mode=0o700)
    victim = tmp_path / "victim.json"
    victim.write_text(session_document())
    victim.chmod(0o644)
    (tmp_path / APP / "session.json").symlink_to(victim)

    store = FileSessionStore(APP, directory=tmp_path)

    assert store.load() is None
    assert stat.S_IMODE(os.stat(victim).st_mode) == 0o644
    assert victim.read_text() == session_document()
    store.save(make_session())
    assert store.load() == make_session()
    assert not (tmp_path / APP / "session.json").is_symlink()
    assert victim.read_text() == session_document()
    assert any("link" in r.getMessage() for r in session_warnings(caplog_debug))


@pytest.mark.skipif(not POSIX, reason="POSIX links")
def test_a_planted_lock_link_creates_nothing_and_raises_no_os_error(tmp_path, caplog_debug):
    folder = tmp_path / APP
    folder.mkdir(mode=0o700)
    target = tmp_path / "elsewhere" / "made-by-the-sdk"
    target.parent.mkdir()
    (folder / "session.json.lock").symlink_to(target)

    store = FileSessionStore(APP, directory=tmp_path)
    store.save(make_session())

    assert not target.exists()
    assert store.in_memory
    assert store.load() == make_session()
    warnings = session_warnings(caplog_debug)
    assert len(warnings) == 1
    assert "memory" in warnings[0].getMessage()


@pytest.mark.skipif(not POSIX, reason="POSIX owners")
def test_a_session_file_of_another_user_is_not_loaded(tmp_path, monkeypatch, caplog_debug):
    folder = tmp_path / APP
    folder.mkdir(mode=0o700)
    planted = folder / "session.json"
    planted.write_text(session_document())
    planted.chmod(0o644)
    owned_by_another_user(planted, monkeypatch)

    store = FileSessionStore(APP, directory=tmp_path)

    assert store.load() is None
    (moved,) = corrupt_files(folder)  # set aside, as it was
    assert stat.S_IMODE(os.stat(moved).st_mode) == 0o644
    assert json.loads(moved.read_text())["session"]["uid"] == "attacker"
    assert "another user" in session_warnings(caplog_debug)[0].getMessage()


@pytest.mark.skipif(not POSIX, reason="POSIX owners")
def test_a_world_writable_folder_of_another_user_is_refused(tmp_path, monkeypatch, caplog_debug):
    folder = tmp_path / APP
    folder.mkdir()
    folder.chmod(0o777)
    planted = folder / "session.json"
    planted.write_text(session_document())
    owned_by_another_user(planted, monkeypatch)
    owned_by_another_user(folder, monkeypatch)

    store = FileSessionStore(APP, directory=tmp_path)

    assert store.load() is None
    store.save(make_session())
    assert store.in_memory
    assert store.load() == make_session()
    assert json.loads(planted.read_text())["session"]["uid"] == "attacker"  # untouched
    assert stat.S_IMODE(os.stat(folder).st_mode) == 0o777  # not ours to change
    warnings = session_warnings(caplog_debug)
    assert len(warnings) == 1
    assert "another user" in warnings[0].getMessage()


@pytest.mark.skipif(not POSIX, reason="POSIX links")
def test_a_planted_folder_link_is_refused(tmp_path, caplog_debug):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    elsewhere.chmod(0o755)
    (tmp_path / APP).symlink_to(elsewhere)

    store = FileSessionStore(APP, directory=tmp_path)
    store.save(make_session())

    assert store.in_memory
    assert list(elsewhere.iterdir()) == []
    assert stat.S_IMODE(os.stat(elsewhere).st_mode) == 0o755
    assert len(session_warnings(caplog_debug)) == 1


@pytest.mark.skipif(not POSIX, reason="POSIX files")
def test_a_planted_fifo_does_not_block_the_store(tmp_path, caplog_debug):
    folder = tmp_path / APP
    folder.mkdir(mode=0o700)
    os.mkfifo(folder / "session.json")

    store = FileSessionStore(APP, directory=tmp_path)

    assert store.load() is None  # returns: a FIFO opened for reading would block for ever
    store.save(make_session())
    assert store.load() == make_session()


@pytest.mark.skipif(not POSIX, reason="POSIX modes")
def test_a_parent_folder_anyone_may_rename_in_is_refused(tmp_path, caplog_debug):
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)  # no sticky bit: anyone may swap the app's folder for theirs

    store = FileSessionStore(APP, directory=shared)
    store.save(make_session())

    assert store.in_memory
    assert not (shared / APP / "session.json").exists()
    assert "others" in session_warnings(caplog_debug)[0].getMessage()


@pytest.mark.skipif(not POSIX, reason="POSIX modes")
def test_a_sticky_world_writable_parent_is_fine(tmp_path):
    shared = tmp_path / "tmp-like"
    shared.mkdir()
    shared.chmod(0o1777)  # like /tmp: others may add, not rename ours

    store = FileSessionStore(APP, directory=shared)
    store.save(make_session())

    assert not store.in_memory
    assert FileSessionStore(APP, directory=shared).load() == make_session()
