"""Media messages with files: a streamed multipart upload to the emulator over real sockets,
the bytes served back identical, the official SDKs' limits and error codes."""

from __future__ import annotations

import io
import os

import pytest
import requests

from cometchat_sync import CometChatException
from cometchat_sync import MediaMessage
from cometchat_sync.testing import MessageRecorder

A, B = "superhero1", "superhero2"
WAIT = 5.0


def _download(url: str) -> bytes:
    answer = requests.get(url, timeout=5)
    assert answer.status_code == 200
    return answer.content


def test_a_path_bytes_and_a_file_object_round_trip_byte_identical(connected, emulator, tmp_path):
    a, b = connected(A), connected(B)
    heard = MessageRecorder()
    b.add_message_listener("m", heard)
    photo = tmp_path / "cat.png"
    photo.write_bytes(os.urandom(300_000) + b"\r\n--not-a-boundary\r\n")
    data = bytes(range(256)) * 40
    stream = io.BytesIO(b"skipped" + b"report body")
    stream.seek(7)  # read from the current position, as documented
    message = MediaMessage(B, [photo, data, stream], "file", caption="three files")
    message.tags = ["t1"]
    sent = a.send_media_message(message)

    assert isinstance(sent, MediaMessage) and sent.caption == "three files"
    names = [(x.name, x.mime_type, x.size) for x in sent.attachments]
    assert names == [
        ("cat.png", "image/png", photo.stat().st_size),
        ("file", "application/octet-stream", len(data)),
        ("file", "application/octet-stream", len(b"report body")),
    ]
    assert [_download(x.url) for x in sent.attachments] == [
        photo.read_bytes(),
        data,
        b"report body",
    ]
    assert sent.url == sent.attachments[0].url and sent.tags == ["t1"]
    assert not stream.closed  # the caller's file object stays open
    # the receiver hears it as a media message with the same attachments
    assert heard.log.wait_for_count("on_media_message_received", 1, WAIT)
    (got,) = heard.log.args_of("on_media_message_received")[0]
    assert [x.url for x in got.attachments] == [x.url for x in sent.attachments]
    # the wire: the official SDK's fields, in its order
    (upload,) = emulator.uploads()
    assert upload["fields"] == ["type", "receiverType", "category", "data", "caption", "tags[]",
                                "receiver"]  # fmt: skip
    assert [f["name"] for f in upload["files"]] == ["cat.png", "file", "file"]


def test_progress_is_reported_up_to_the_total(connected, tmp_path):
    a, _ = connected(A), connected(B)
    path = tmp_path / "clip.mp4"
    path.write_bytes(os.urandom(3 * 1024 * 1024))
    seen: list[tuple[int, int]] = []
    sent = a.send_media_message(
        MediaMessage(B, str(path), "video"), progress=lambda done, total: seen.append((done, total))
    )
    assert sent.attachments[0].mime_type == "video/mp4"
    assert len(seen) > 3  # streamed in chunks, not in one piece
    totals = {total for _, total in seen}
    assert len(totals) == 1 and totals.pop() > path.stat().st_size
    done = [d for d, _ in seen]
    assert done == sorted(done) and done[-1] == seen[-1][1]
    assert len(set(done)) == len(done), "each amount is reported once (the total too)"


def test_a_missing_file_is_refused_before_anything_is_sent(connected, emulator, tmp_path):
    a = connected(A)
    before = emulator.request_count()
    with pytest.raises(CometChatException) as err:
        a.send_media_message(MediaMessage(B, tmp_path / "nope.jpg", "image"))
    assert err.value.code == "ERR_INVALID_FILE_OBJECT"
    assert "nope.jpg" in err.value.message
    with pytest.raises(CometChatException) as err:
        a.send_media_message(MediaMessage(B, open(__file__, encoding="utf-8"), "file"))  # noqa: SIM115
    assert err.value.code == "ERR_INVALID_FILE_OBJECT"
    assert emulator.request_count() == before
    assert emulator.uploads() == []


def test_an_oversize_file_is_refused_with_the_official_code(connected, emulator, tmp_path):
    a = connected(A, set_max_upload_size=1000)
    big = tmp_path / "big.bin"
    big.write_bytes(b"x" * 1001)
    with pytest.raises(CometChatException) as err:
        a.send_media_message(MediaMessage(B, big, "file"))
    assert err.value.code == "ERR_FILE_SIZE_EXCEEDED" and err.value.details["limit"] == 1000
    assert emulator.uploads() == []
    # at the limit it goes
    big.write_bytes(b"x" * 1000)
    assert a.send_media_message(MediaMessage(B, big, "file")).attachments[0].size == 1000


def test_the_emulator_refuses_a_file_over_its_own_limit(connected, emulator, tmp_path):
    a = connected(A)
    emulator.set_max_upload_size(10_000)
    with pytest.raises(CometChatException) as err:
        a.send_media_message(MediaMessage(B, b"y" * 10_001, "file"))
    assert err.value.code == "ERR_FILE_SIZE_EXCEEDED" and err.value.details["status"] == 413
    # the connection still works for the next call
    assert a.send_media_message(MediaMessage(B, b"y" * 100, "file")).attachments[0].size == 100


def test_too_many_files_and_bad_sources(connected):
    a = connected(A)
    with pytest.raises(CometChatException) as err:
        a.send_media_message(MediaMessage(B, [b"1"] * 11, "file"))
    assert err.value.code == "ERR_FILE_COUNT_EXCEEDED" and err.value.details["limit"] == 10
    with pytest.raises(CometChatException) as err:
        MediaMessage(B, [b"1", 42], "file")
    assert err.value.code == "ERR_INVALID_FILE_OBJECT"


def test_a_url_is_still_sent_as_json_and_files_are_gone_after_stop(connected, emulator):
    a = connected(A)
    sent = a.send_media_message(MediaMessage(B, "https://example.com/cat.png", "image"))
    assert sent.url == "https://example.com/cat.png"
    assert emulator.uploads() == []
    up = a.send_media_message(MediaMessage(B, b"kept until stop", "file"))
    url = up.attachments[0].url
    assert _download(url) == b"kept until stop"
    emulator.stop()
    emulator.start()
    assert requests.get(url, timeout=5).status_code == 404


def test_send_message_uploads_a_media_message_with_files(connected):
    # as the official SDKs' sendMessage does (before: a JSON body with "url": null)
    a = connected(A)
    sent = a.send_message(MediaMessage(B, b"via send_message", "file"))
    assert isinstance(sent, MediaMessage)
    assert [_download(x.url) for x in sent.attachments] == [b"via send_message"]
