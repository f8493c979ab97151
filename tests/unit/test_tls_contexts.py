"""The process's TLS contexts (``cometchat_sync._tls``): one per trust setting, built on the
first use and shared; a CA bundle replaced on disk is read again."""

from __future__ import annotations

import os
import ssl
import threading
from pathlib import Path
from typing import Optional

import pytest

from cometchat_sync import _tls
from cometchat_sync._tls import context_for

trustme = pytest.importorskip("trustme")


def write_ca(path: Path) -> str:
    """A new CA's certificate written to ``path``; returns its serial number."""
    trustme.CA().cert_pem.write_to_path(str(path))
    [serial] = trusted_serials(ssl.create_default_context(cafile=str(path)))
    return serial


def trusted_serials(context: Optional[ssl.SSLContext]) -> list[str]:
    """The serial numbers of the CAs ``context`` trusts."""
    assert context is not None
    return [str(cert["serialNumber"]) for cert in context.get_ca_certs()]


def test_one_bundle_gives_one_context_two_bundles_two(tmp_path: Path) -> None:
    first, second = tmp_path / "first.pem", tmp_path / "second.pem"
    first_serial, second_serial = write_ca(first), write_ca(second)
    before = _tls.builds()

    a = context_for(str(first), False)
    assert context_for(str(first), False) is a
    assert context_for(str(first), True) is a  # a bundle is TLS even with plain hosts
    b = context_for(str(second), False)

    assert b is not a
    assert trusted_serials(a) == [first_serial]
    assert trusted_serials(b) == [second_serial]
    assert _tls.builds() - before == 2
    for context in (a, b):
        assert context is not None
        assert context.verify_mode == ssl.CERT_REQUIRED
        assert context.check_hostname


def test_the_same_file_under_two_paths_gives_two_contexts(tmp_path: Path) -> None:
    """The key is the path (and the file there): a copy is another trust setting."""
    first = tmp_path / "ca.pem"
    write_ca(first)
    copy = tmp_path / "copy.pem"
    copy.write_bytes(first.read_bytes())
    assert context_for(str(first), False) is not context_for(str(copy), False)


def test_a_replaced_bundle_is_read_again(tmp_path: Path) -> None:
    path = tmp_path / "ca.pem"
    old_serial = write_ca(path)
    old = context_for(str(path), False)

    fresh = tmp_path / "fresh.pem"
    new_serial = write_ca(fresh)
    os.replace(fresh, path)  # how a renewed CA file is put in place

    new = context_for(str(path), False)
    assert new is not old
    assert trusted_serials(new) == [new_serial]
    assert trusted_serials(old) == [old_serial]  # what connections made before still use
    assert context_for(str(path), False) is new


def test_a_bundle_gone_after_its_first_use_keeps_its_context(tmp_path: Path) -> None:
    path = tmp_path / "ca.pem"
    write_ca(path)
    context = context_for(str(path), False)
    path.unlink()
    assert context_for(str(path), False) is context


def test_an_unreadable_bundle_raises_and_is_tried_again(tmp_path: Path) -> None:
    missing = tmp_path / "missing.pem"
    with pytest.raises(FileNotFoundError):
        context_for(str(missing), False)
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a certificate\n")
    with pytest.raises(ssl.SSLError):
        context_for(str(garbage), False)
    write_ca(garbage)  # fixed in place: the next use reads it
    assert trusted_serials(context_for(str(garbage), False))


def test_the_system_store_is_one_context_and_plain_hosts_need_none() -> None:
    system = context_for(None, False)
    assert system is not None
    assert context_for(None, False) is system
    assert context_for(None, True) is None


def test_concurrent_first_uses_build_one_context(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "ca.pem"
    write_ca(path)
    system = context_for(None, False)  # built before the build below is held up
    entered = threading.Event()
    release = threading.Event()
    built: list[Optional[str]] = []
    real_build = _tls._build

    def slow_build(where: Optional[str]) -> ssl.SSLContext:
        built.append(where)
        entered.set()
        assert release.wait(5.0)  # the other threads pile up meanwhile
        return real_build(where)

    monkeypatch.setattr(_tls, "_build", slow_build)
    got: list[Optional[ssl.SSLContext]] = []
    lock = threading.Lock()

    def use() -> None:
        context = context_for(str(path), False)
        with lock:
            got.append(context)

    threads = [threading.Thread(target=use) for _ in range(8)]
    for thread in threads:
        thread.start()
    assert entered.wait(5.0)
    # Another trust setting is not held up by the build under way.
    assert context_for(None, False) is system
    release.set()
    for thread in threads:
        thread.join(5.0)
    assert not any(thread.is_alive() for thread in threads)
    assert built == [str(path)]
    assert len(got) == 8
    assert all(context is got[0] for context in got)


def test_after_fork_the_contexts_are_kept_and_the_locks_renewed(tmp_path: Path) -> None:
    path = tmp_path / "ca.pem"
    write_ca(path)
    context = context_for(str(path), False)
    registry = _tls._contexts
    old_lock = registry._lock
    before = _tls.builds()

    registry.after_fork_in_child()  # what a forked child runs

    assert registry._lock is not old_lock
    assert context_for(str(path), False) is context
    assert _tls.builds() == before
