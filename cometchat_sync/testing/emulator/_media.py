"""Media uploads: a streamed ``multipart/form-data`` reader, the files on disk, and serving them.

``POST messages`` (and ``messages/{id}/thread``) with a ``multipart/form-data`` body is what
the official SDKs send for a media message with files: the fields ``type``,
``receiverType``, ``category``, ``data`` (a JSON string), ``receiver``, ``caption``,
``tags[]``, ``muid`` and the files as ``files[]`` (the JavaScript SDK 4.2.0) or ``file``
(https://www.cometchat.com/docs/sdk/javascript/send-message). :meth:`MediaStore.receive`
reads such a body in chunks, writes each file into a temporary folder the store owns
(removed by :meth:`MediaStore.close`, on ``Emulator.stop()``), and turns the form into the
JSON body ``POST messages`` takes, with ``data.attachments`` (``url``, ``name``,
``extension``, ``mimeType``, ``size``) and ``data.url``. ``GET /media/{id}/{name}`` on the
REST port serves a stored file back, byte for byte. A file larger than the store's limit
(100 MiB, the hosted service's documented per-file limit) is refused with 413
``ERR_FILE_SIZE_EXCEEDED`` (the emulator's choice of status) and nothing of it is kept.

Own code: the standard library has no streaming multipart reader (``email`` parses in
memory) and the emulator takes no dependency beyond ``websockets``.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import tempfile
import threading
import weakref
from http.server import BaseHTTPRequestHandler
from typing import Optional
from typing import Protocol
from urllib.parse import quote

from ._records import JSON
from ._records import ApiError
from ._records import Store
from ._records import bad_request

__all__ = [
    "DEFAULT_MAX_UPLOAD_SIZE",
    "MediaStore",
    "is_multipart",
    "media_of",
    "serve_media",
]

DEFAULT_MAX_UPLOAD_SIZE = 100 * 1024 * 1024
_CHUNK = 64 * 1024
_MAX_FIELD = 64 * 1024  # a non-file field (the ``data`` JSON included)
_MAX_HEADER = 8 * 1024
_FILE_FIELDS = ("files[]", "file")


def is_multipart(content_type: str) -> bool:
    return content_type.split(";", 1)[0].strip().lower() == "multipart/form-data"


def _boundary(content_type: str) -> bytes:
    for part in content_type.split(";")[1:]:
        key, _, value = part.strip().partition("=")
        if key.lower() == "boundary" and value:
            return value.strip('"').encode("latin-1")
    raise bad_request({"body": ["The multipart body has no boundary."]})


class _Readable(Protocol):
    def read(self, size: int, /) -> bytes: ...


class _Reader:
    """Reads exactly ``length`` bytes of a request body, a chunk at a time."""

    def __init__(self, rfile: _Readable, length: int) -> None:
        self.rfile = rfile
        self.left = length
        self.buf = b""

    def fill(self) -> bool:
        if self.left <= 0:
            return False
        chunk = self.rfile.read(min(_CHUNK, self.left))
        if not chunk:
            self.left = 0
            return False
        self.left -= len(chunk)
        self.buf += chunk
        return True

    def drain(self) -> None:
        """Read and drop what is left (so the connection can carry the answer)."""
        while self.left > 0:
            chunk = self.rfile.read(min(_CHUNK, self.left))
            if not chunk:
                break
            self.left -= len(chunk)


class _Part:
    def __init__(self, headers: dict[str, str]) -> None:
        disposition = headers.get("content-disposition", "")
        params: dict[str, str] = {}
        for item in disposition.split(";")[1:]:
            key, _, value = item.strip().partition("=")
            params[key.lower()] = value.strip('"')
        self.name = params.get("name", "")
        self.filename: Optional[str] = params.get("filename")
        self.content_type = headers.get("content-type", "application/octet-stream")


class MediaStore:
    """The uploaded files of one emulator, in a temporary folder it owns."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._dir: Optional[str] = None
        self.max_file_size = DEFAULT_MAX_UPLOAD_SIZE
        #: One entry per multipart request read: its field names in order and its files.
        self.uploads: list[JSON] = []

    def _folder(self) -> str:
        with self._lock:
            if self._dir is None:
                self._dir = tempfile.mkdtemp(prefix="cometchat-emulator-media-")
            return self._dir

    def close(self) -> None:
        """Remove every stored file (their URLs answer 404 from now on)."""
        with self._lock:
            folder, self._dir = self._dir, None
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)

    def path_of(self, target: str) -> Optional[str]:
        """The stored file a ``/media/{id}/{name}`` path names, or ``None``."""
        parts = target.split("?", 1)[0].split("/")
        if len(parts) != 4 or parts[1] != "media" or not parts[2].isalnum():
            return None
        with self._lock:
            folder = self._dir
        if folder is None:
            return None
        path = os.path.join(folder, parts[2])
        return path if os.path.isfile(path) else None

    # -- reading a multipart body ----------------------------------------------------------

    def receive(self, rfile: _Readable, length: int, content_type: str, base_url: str) -> JSON:
        """Read a multipart ``POST messages`` body; return the JSON body it stands for."""
        reader = _Reader(rfile, length)
        try:
            fields, files = self._parse(reader, _boundary(content_type))
        finally:
            reader.drain()
        with self._lock:
            self.uploads.append(
                {
                    "fields": [name for name, _ in fields],
                    "files": [dict(f) for f in files],
                }
            )
        return _as_message_body(fields, files, base_url)

    def _parse(self, reader: _Reader, boundary: bytes) -> tuple[list[tuple[str, str]], list[JSON]]:
        delimiter = b"--" + boundary
        # The preamble, up to the first delimiter line.
        while delimiter + b"\r\n" not in reader.buf:
            if len(reader.buf) > _MAX_HEADER or not reader.fill():
                raise bad_request({"body": ["The multipart body is malformed."]})
        reader.buf = reader.buf.split(delimiter + b"\r\n", 1)[1]
        fields: list[tuple[str, str]] = []
        files: list[JSON] = []
        while True:
            part = _Part(self._headers(reader))
            ended = self._body(reader, b"\r\n" + delimiter, part, fields, files)
            if ended:
                return fields, files

    @staticmethod
    def _headers(reader: _Reader) -> dict[str, str]:
        while b"\r\n\r\n" not in reader.buf:
            if len(reader.buf) > _MAX_HEADER or not reader.fill():
                raise bad_request({"body": ["The multipart body is malformed."]})
        raw, reader.buf = reader.buf.split(b"\r\n\r\n", 1)
        headers: dict[str, str] = {}
        for line in raw.decode("utf-8", "replace").split("\r\n"):
            key, _, value = line.partition(":")
            headers[key.strip().lower()] = value.strip()
        return headers

    def _body(
        self,
        reader: _Reader,
        delimiter: bytes,
        part: _Part,
        fields: list[tuple[str, str]],
        files: list[JSON],
    ) -> bool:
        """Read one part's body up to the next delimiter; True after the closing one."""
        is_file = part.filename is not None and part.name in _FILE_FIELDS
        out = None
        size = 0
        value = bytearray()
        file_id = secrets.token_hex(12)
        path = os.path.join(self._folder(), file_id) if is_file else ""
        if is_file:
            out = open(path, "wb")  # noqa: SIM115 (closed below, on every path)
        try:
            while True:
                at = reader.buf.find(delimiter)
                if at >= 0:
                    data, reader.buf = reader.buf[:at], reader.buf[at + len(delimiter) :]
                else:  # keep a tail that may hold the start of the delimiter
                    keep = len(delimiter)
                    data, reader.buf = reader.buf[:-keep], reader.buf[-keep:]
                size += len(data)
                if is_file:
                    if size > self.max_file_size:
                        raise ApiError(
                            413,
                            "ERR_FILE_SIZE_EXCEEDED",
                            f"The file {part.filename} exceeds the maximum allowed size of "
                            f"{self.max_file_size} bytes.",
                        )
                    assert out is not None
                    out.write(data)
                else:
                    if size > _MAX_FIELD:
                        raise bad_request({part.name: ["The field is too large."]})
                    value += data
                if at >= 0:
                    break
                if not reader.fill():
                    raise bad_request({"body": ["The multipart body ends too early."]})
        except BaseException:
            if out is not None:
                out.close()
                os.unlink(path)
            raise
        if out is not None:
            out.close()
            name = os.path.basename(part.filename or "") or "file"
            files.append({"id": file_id, "name": name, "mimeType": part.content_type, "size": size})
        else:
            fields.append((part.name, value.decode("utf-8", "replace")))
        while len(reader.buf) < 2 and reader.fill():
            pass
        ended = reader.buf.startswith(b"--")
        reader.buf = reader.buf[2:]
        return ended


def _as_message_body(fields: list[tuple[str, str]], files: list[JSON], base_url: str) -> JSON:
    """The JSON ``POST messages`` body a multipart form stands for."""
    body: JSON = {}
    tags: list[str] = []
    data: JSON = {}
    for name, value in fields:
        if name == "data":
            try:
                parsed = json.loads(value) if value.strip() else {}
            except ValueError:
                raise bad_request({"data": ["The data must be a JSON object."]}) from None
            if not isinstance(parsed, dict):
                raise bad_request({"data": ["The data must be a JSON object."]})
            data = parsed
        elif name in ("tags[]", "tags"):
            tags.append(value)
        elif name in ("receiver", "receiverType", "category", "type", "muid"):
            body[name] = value
    if not files and not data.get("url"):
        raise bad_request({"files": ["A media message needs a file or a url."]})
    attachments = []
    for f in files:
        extension = os.path.splitext(f["name"])[1].lstrip(".").lower()
        url = f"{base_url}/media/{f['id']}/{quote(f['name'])}"
        attachments.append(
            {
                "url": url,
                "name": f["name"],
                "extension": extension,
                "mimeType": f["mimeType"],
                "size": f["size"],
            }
        )
    if attachments:
        data["attachments"] = attachments
        data["url"] = attachments[0]["url"]
    caption = next((value for name, value in fields if name == "caption"), None)
    if caption and "text" not in data:
        data["text"] = caption
    body["data"] = data
    if tags:
        body["tags"] = tags
    return body


_BY_STORE: weakref.WeakKeyDictionary[Store, MediaStore] = weakref.WeakKeyDictionary()
_REGISTRY_LOCK = threading.Lock()


def media_of(store: Store) -> MediaStore:
    """The one :class:`MediaStore` of ``store`` (made on first use)."""
    with _REGISTRY_LOCK:
        found = _BY_STORE.get(store)
        if found is None:
            found = _BY_STORE[store] = MediaStore()
        return found


def serve_media(handler: BaseHTTPRequestHandler, path: Optional[str]) -> None:
    """Answer ``GET /media/...``: the stored file at ``path`` in chunks, or 404."""
    if path is None:
        body = json.dumps({"error": {"code": "ERR_NOT_FOUND", "message": "No such file."}}).encode(
            "utf-8"
        )
        handler.send_response(404)
        handler.send_header("Content-Type", "application/json; charset=utf-8")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)
        return
    size = os.path.getsize(path)
    handler.send_response(200)
    handler.send_header("Content-Type", "application/octet-stream")
    handler.send_header("Content-Length", str(size))
    handler.end_headers()
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            handler.wfile.write(chunk)
