"""REST and the socket dialler read a failed network call the same way."""

from __future__ import annotations

import errno
import socket
import time

import pytest

from cometchat_sync.connection.dialler import _tcp_connect
from cometchat_sync.connection.transport import Dial
from cometchat_sync.connection.transport import DialError
from cometchat_sync.errors import ErrorCode
from cometchat_sync.rest.transport import classify_network_error

UNREACHABLE = [
    errno.ENETUNREACH,
    errno.EHOSTUNREACH,
    errno.ENETDOWN,
    errno.ETIMEDOUT,
    errno.EADDRNOTAVAIL,
    errno.EHOSTDOWN,
]
REFUSED = [errno.ECONNREFUSED, errno.ECONNRESET]


def read_on_both_paths(monkeypatch: pytest.MonkeyPatch, err: int, no_internet: bool) -> DialError:
    """Check that REST reads the failure ``err`` as "no internet" exactly when ``no_internet``
    and that the dialler, failing its TCP connect with ``err`` at once, reports the matching
    code (NO_INTERNET, or WEBSOCKET_ERROR); return the dialler's error."""
    assert classify_network_error(OSError(err, "x")) is no_internet
    monkeypatch.setattr(socket.socket, "connect_ex", lambda _self, _address: err)
    dial = Dial()
    try:
        with pytest.raises(DialError) as caught:
            _tcp_connect("127.0.0.1", 9, time.monotonic() + 5.0, dial)
    finally:
        dial.release()
    failure = caught.value
    assert failure.code == (ErrorCode.NO_INTERNET if no_internet else ErrorCode.WEBSOCKET_ERROR)
    return failure


@pytest.mark.parametrize("err", UNREACHABLE, ids=errno.errorcode.get)
def test_unreachable_errnos_mean_no_internet_on_both_paths(
    monkeypatch: pytest.MonkeyPatch, err: int
) -> None:
    failure = read_on_both_paths(monkeypatch, err, no_internet=True)
    assert failure.unreachable is True


@pytest.mark.parametrize("err", REFUSED, ids=errno.errorcode.get)
def test_refused_means_the_server_may_be_down_not_no_internet(
    monkeypatch: pytest.MonkeyPatch, err: int
) -> None:
    failure = read_on_both_paths(monkeypatch, err, no_internet=False)
    assert "refused" in failure.message
