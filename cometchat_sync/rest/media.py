"""Media messages with files: a streamed ``multipart/form-data`` upload to ``POST messages``.

The wire is what the official JavaScript SDK 4.2.0 sends for ``sendMediaMessage`` with a
``File`` (observed against the emulator): the fields ``type``, ``receiverType``,
``category`` (``message``), ``data`` (a JSON string: ``text`` for the caption,
``metadata``), one ``files[]`` part per file (its name and MIME type), ``caption``, one
``tags[]`` part per tag and ``receiver``; a reply goes to ``POST messages/{parent}/thread``.
The answer is the stored message, its ``data.attachments`` holding each file's ``url``,
``name``, ``extension``, ``mimeType`` and ``size``. Limits, checked before anything is sent
(the official SDKs' codes and defaults): at most ``file.count.max`` files (10) and
``file.size.max`` bytes each (the smaller of the app settings' value and
``AppSettingsBuilder.set_max_upload_size``, 100 MiB by default).
Docs: https://www.cometchat.com/docs/sdk/javascript/send-message and
https://www.cometchat.com/docs/rest-api/messages/send-message.

The body is streamed with ``requests_toolbelt``'s ``MultipartEncoder`` (a well-kept library
rather than our own multipart code): a file is read in small chunks as the socket takes
them, so a 200 MB file never sits in memory (``bench/upload_memory.py``).
"""

from __future__ import annotations

import contextlib
import io
import mimetypes
import os
from collections.abc import Iterator
from typing import IO
from typing import Any
from typing import Callable
from typing import Optional

from requests_toolbelt.multipart import encoder as multipart  # type: ignore[import-untyped]

from .. import _json
from ..errors import CometChatException
from ..errors import ErrorCode
from ..models import BaseMessage
from ..models import MediaMessage
from ..models.upload_sources import is_text_file
from ..settings import AppSettings
from .base import as_message
from .base import post_path
from .messages import MessagesAPI
from .transport import Upload

__all__ = ["DEFAULT_MAX_FILE_COUNT", "MediaAPI", "Progress"]

DEFAULT_MAX_FILE_COUNT = 10
"""The most files one message carries when the app's settings name no ``file.count.max``."""

Progress = Callable[[int, int], None]
"""``progress(bytes_sent, total)``: called on the uploading thread as the body is sent."""


class _Stream:
    """A file's next ``size`` bytes, as the encoder reads them: ``read(n)`` and ``len``,
    the bytes left (the encoder reads other file-likes from their start, or whole)."""

    def __init__(self, raw: Any, size: int) -> None:
        self._raw = raw
        self._left = size

    @property
    def len(self) -> int:
        return self._left

    def read(self, size: int = -1) -> bytes:
        want = self._left if size is None or size < 0 else min(size, self._left)
        data = self._raw.read(want) if want else b""
        if not isinstance(data, bytes):
            raise _invalid("a file object must give bytes (open it in 'rb' mode)")
        if len(data) < want and not data:
            raise _invalid("the file ended before its measured size (it changed)")
        self._left -= len(data)
        return data


class _File:
    """One file to upload: its part's name, MIME type, size and its stream."""

    __slots__ = ("mime", "name", "size", "stream")

    def __init__(self, name: str, size: int, raw: Any) -> None:
        self.name = name
        self.mime = mimetypes.guess_type(name)[0] or "application/octet-stream"
        self.size = size
        self.stream = _Stream(raw, size)


def _invalid(why: str) -> CometChatException:
    return CometChatException(
        ErrorCode.INVALID_FILE_OBJECT,
        f"The provided file is invalid or its size cannot be determined: {why}.",
    )


def _size_of(stream: Any) -> int:
    """Bytes left to read in a binary file object, or ``ERR_INVALID_FILE_OBJECT``."""
    try:
        return max(0, os.fstat(stream.fileno()).st_size - int(stream.tell()))
    except (AttributeError, OSError, ValueError):
        pass
    try:
        here = stream.tell()
        end = stream.seek(0, os.SEEK_END)
        stream.seek(here)
        return max(0, int(end) - int(here))
    except (AttributeError, OSError, ValueError, TypeError):
        raise _invalid("a file object must be seekable or have a file descriptor") from None


@contextlib.contextmanager
def _opened(sources: list[Any]) -> Iterator[list[_File]]:
    """The files of ``sources``, opened for reading (paths opened here are closed after)."""
    files: list[_File] = []
    with contextlib.ExitStack() as stack:
        for source in sources:
            if isinstance(source, (str, os.PathLike)):
                path = os.fspath(source)
                try:
                    stream: IO[bytes] = stack.enter_context(open(path, "rb"))
                except OSError as exc:
                    name = os.path.basename(str(path))
                    raise _invalid(f"{name!r} cannot be opened ({type(exc).__name__})") from None
                files.append(_File(os.path.basename(str(path)), _size_of(stream), stream))
            elif isinstance(source, (bytes, bytearray, memoryview)):
                data = bytes(source)
                files.append(_File("file", len(data), io.BytesIO(data)))
            else:
                if is_text_file(source):
                    raise _invalid("a file object must be opened in binary mode ('rb')")
                raw_name = getattr(source, "name", None)
                name = os.path.basename(raw_name) if isinstance(raw_name, str) else "file"
                files.append(_File(name or "file", _size_of(source), source))
        yield files


class MediaAPI(MessagesAPI):
    """The media upload of :class:`~cometchat_sync.client.CometChatClient` (a mixin over the
    message calls: ``send_message`` uploads a media message's files too).

    Threads and the errors every REST call raises: :class:`~cometchat_sync.rest.base.ResourceAPI`.
    """

    _settings: AppSettings

    def send_message(self, message: BaseMessage) -> BaseMessage:
        """Send a message to a user or a group and return it as the server stored it.

        As :meth:`~cometchat_sync.rest.messages.MessagesAPI.send_message`; a
        :class:`~cometchat_sync.models.MediaMessage` that carries files (not a URL) is
        uploaded as :meth:`send_media_message` uploads it (without progress), as the official
        SDKs' ``sendMessage`` does.

        Wire: https://www.cometchat.com/docs/rest-api/messages/send-message and
        https://www.cometchat.com/docs/sdk/javascript/send-message.

        Args:
            message: a :class:`~cometchat_sync.models.TextMessage`, a
                :class:`~cometchat_sync.models.MediaMessage` (a URL or files) or a
                :class:`~cometchat_sync.models.CustomMessage`, addressed with its receiver
                id (a uid or guid string) and ``receiver_type`` (``"user"`` or ``"group"``).

        Returns:
            The stored message, typed by its category and type (a new object; ``message``
            is not changed).

        Raises:
            CometChatException: ``ERR_INVALID_PARAMETER`` when ``message`` is not a
                message with a category; for files, the codes of
                :meth:`send_media_message`; the server's code when it refuses the message;
                and the errors of every REST call (see
                :class:`~cometchat_sync.rest.base.ResourceAPI`).

        May be called from a listener (it blocks the dispatcher for the request).
        """
        if isinstance(message, MediaMessage) and message.files:
            return self.send_media_message(message)
        return super().send_message(message)

    def send_media_message(
        self, message: MediaMessage, *, progress: Optional[Progress] = None
    ) -> BaseMessage:
        """Send a media message; upload its files first when it carries files, not a URL.

        A message built with a URL is sent as :meth:`send_message` sends it (JSON). A
        message built with files (``MediaMessage(uid, "photo.jpg", "image")``, bytes, a
        binary file object, or a list of them: see
        :class:`~cometchat_sync.models.MediaMessage`) is posted as ``multipart/form-data``
        to ``POST messages`` (``POST messages/{parent_id}/thread`` for a reply): one
        ``files[]`` part per file, named after the file (``"file"`` for bytes), its MIME
        type guessed from the name (``mimetypes``; ``application/octet-stream`` when
        unknown), and the caption, metadata and tags as the official SDKs send them. Files
        are streamed from disk in small chunks: memory stays flat whatever their size.
        The whole upload has the upload timeout of the settings (300 s by default); a file
        object is read from its current position and left open. This client's own
        real-time echo of the message is not delivered to its message listeners.

        Wire: https://www.cometchat.com/docs/sdk/javascript/send-message (and the
        observed traffic of the official JavaScript SDK) and
        https://www.cometchat.com/docs/rest-api/messages/send-message (100 MB a file).

        Args:
            message: a :class:`~cometchat_sync.models.MediaMessage` (its ``type`` is
                ``image``, ``video``, ``audio`` or ``file``).
            progress: an optional ``progress(bytes_sent, total)`` callable, both ints in
                bytes of the request body; called on this thread as the body is sent, last
                with ``bytes_sent == total``. An exception it raises ends the upload and
                propagates. Not called for a URL.

        Returns:
            The stored message, a :class:`~cometchat_sync.models.MediaMessage` whose
            ``attachments`` hold each file's ``url``, ``name``, ``mime_type`` and ``size``.

        Raises:
            CometChatException: ``ERR_INVALID_PARAMETER`` when ``message`` is not a
                ``MediaMessage`` or ``progress`` is not callable;
                ``ERR_INVALID_FILE_OBJECT`` when a file cannot be opened (a missing path),
                is a text-mode file, or its size cannot be found;
                ``ERR_FILE_SIZE_EXCEEDED`` when a file is larger than the limit
                (``details["limit"]``, bytes); ``ERR_FILE_COUNT_EXCEEDED`` for more files
                than the app allows (``details["limit"]``); the server's code when it
                refuses the message; and the errors of every REST call (see
                :class:`~cometchat_sync.rest.base.ResourceAPI`; ``ERR_TIMEOUT`` after the
                upload timeout).

        May be called from a listener: it then blocks the dispatcher for the upload.
        """
        if not isinstance(message, MediaMessage):
            raise CometChatException(
                ErrorCode.INVALID_PARAMETER, "send_media_message() takes a MediaMessage."
            )
        if progress is not None and not callable(progress):
            raise CometChatException(ErrorCode.INVALID_PARAMETER, "progress must be callable.")
        if not message.files:
            return super().send_message(message)
        size_limit, count_limit = self._upload_limits()
        if len(message.files) > count_limit:
            raise CometChatException(
                ErrorCode.FILE_COUNT_EXCEEDED,
                f"The number of attachments exceeds the allowed limit of {count_limit}.",
                {"limit": count_limit},
            )
        path = post_path(message)
        with _opened(message.files) as files:
            for item in files:
                if item.size > size_limit:
                    raise CometChatException(
                        ErrorCode.FILE_SIZE_EXCEEDED,
                        f"The file {item.name!r} exceeds the maximum allowed size of "
                        f"{size_limit} bytes.",
                        {"limit": size_limit, "size": item.size},
                    )
            encoder = multipart.MultipartEncoder(fields=_fields(message, files))
            body: Any = encoder
            if progress is not None:
                report, last = progress, [-1]

                def on_read(monitor: multipart.MultipartEncoderMonitor) -> None:
                    if monitor.bytes_read != last[0]:  # the read at the end adds nothing
                        last[0] = monitor.bytes_read
                        report(monitor.bytes_read, monitor.len)

                body = multipart.MultipartEncoderMonitor(encoder, on_read)
            upload = Upload(body, encoder.content_type, self._settings.upload_timeout)
            sent = as_message(self._client_call("POST", path, upload=upload))
        self._note_sent(sent)
        return sent

    def _upload_limits(self) -> tuple[int, int]:
        """(bytes a file, files a message): the settings' and the app's, the smaller."""
        size = self._settings.max_upload_size
        count = DEFAULT_MAX_FILE_COUNT
        session = self._session
        app = session.settings if session is not None else {}
        server_size = _positive_int(app.get("file.size.max"))
        if server_size is not None:
            size = min(size, server_size)
        server_count = _positive_int(app.get("file.count.max"))
        if server_count is not None:
            count = server_count
        return size, count


def _positive_int(value: Any) -> Optional[int]:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


def _fields(message: MediaMessage, files: list[_File]) -> list[tuple[str, Any]]:
    """The form's parts, in the official SDK's order."""
    data = {k: v for k, v in message.to_send_json()["data"].items() if k not in ("url",)}
    data.pop("attachments", None)
    fields: list[tuple[str, Any]] = [
        ("type", message.type),
        ("receiverType", message.receiver_type),
        ("category", message.category),
        ("data", _json.dumps(data)),
    ]
    fields += [("files[]", (item.name, item.stream, item.mime)) for item in files]
    if message.caption:
        fields.append(("caption", message.caption))
    fields += [("tags[]", tag) for tag in message.tags]
    if message.muid:
        fields.append(("muid", message.muid))
    fields.append(("receiver", message.receiver_uid))
    return fields
