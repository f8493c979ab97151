"""The messages an app sends and receives: text, media (with attachments) and custom messages.

:class:`TextMessage`, :class:`MediaMessage` and its :class:`Attachment`, :class:`CustomMessage`.

Received messages are built with :meth:`BaseMessage.from_json`, which picks the subclass from
``category``/``type``. Messages you send are built with the subclass constructors, which
validate their arguments, and serialised with :meth:`~BaseMessage.to_send_json`.

This module also re-exports :class:`BaseMessage` (from :mod:`.base_message`), :class:`Action`
and :class:`Call` (from :mod:`.actions`), so every message class can be imported from here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from typing import Optional

from .._validate import RECEIVER_TYPES
from ..errors import CometChatException
from ..errors import ErrorCode
from ._coerce import as_dict
from ._coerce import as_mapping
from ._coerce import as_opt_int
from ._coerce import as_opt_str
from ._coerce import as_str
from .actions import Action
from .actions import Call
from .base_message import BaseMessage
from .base_message import register_message_classes
from .upload_sources import split_file_sources

__all__ = [
    "MEDIA_TYPES",
    "RECEIVER_TYPES",
    "Action",
    "Attachment",
    "BaseMessage",
    "Call",
    "CustomMessage",
    "MediaMessage",
    "TextMessage",
]

MEDIA_TYPES = ("image", "video", "audio", "file")


def _short(text: Optional[str], limit: int = 40) -> Optional[str]:
    if text is None or len(text) <= limit:
        return text
    return text[: limit - 1] + "…"


class Attachment:
    """One file of a media message (``data.attachments[i]``)."""

    __slots__ = ("extension", "mime_type", "name", "raw", "size", "url")

    def __init__(
        self,
        url: str,
        name: Optional[str] = None,
        *,
        extension: Optional[str] = None,
        mime_type: Optional[str] = None,
        size: Optional[int] = None,
        raw: Optional[Mapping[str, Any]] = None,
    ) -> None:
        self.url = url
        self.name = name
        self.extension = extension
        self.mime_type = mime_type
        self.size = size
        self.raw: dict[str, Any] = dict(raw or {})

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Attachment:
        return cls(
            url=as_str(data.get("url")),
            name=as_opt_str(data.get("name")),
            extension=as_opt_str(data.get("extension")),
            mime_type=as_opt_str(data.get("mimeType")),
            size=as_opt_int(data.get("size")),
            raw=data,
        )

    def to_json(self) -> dict[str, Any]:
        out = dict(self.raw)
        out["url"] = self.url
        for key, value in (
            ("name", self.name),
            ("extension", self.extension),
            ("mimeType", self.mime_type),
            ("size", self.size),
        ):
            if value is not None:
                out[key] = value
        return out

    def __repr__(self) -> str:
        return f"Attachment(name={self.name!r}, mime_type={self.mime_type!r}, size={self.size})"


class TextMessage(BaseMessage):
    """A text message (category ``message``, type ``text``)."""

    __slots__ = ("text",)

    def __init__(
        self,
        receiver_id: str,
        text: str,
        receiver_type: str = "user",
        metadata: Optional[Mapping[str, Any]] = None,
        tags: Optional[list[str]] = None,
        *,
        muid: Optional[str] = None,
        parent_id: Optional[int] = None,
    ) -> None:
        super().__init__(
            receiver_id,
            receiver_type,
            category="message",
            type="text",
            metadata=metadata,
            tags=tags,
            muid=muid,
            parent_id=parent_id,
        )
        if not isinstance(text, str):
            raise CometChatException(
                ErrorCode.INVALID_PARAMETER, f"text must be a string, not {type(text).__name__}."
            )
        if not text.strip():
            raise CometChatException(ErrorCode.MISSING_PARAMETERS, "text cannot be empty.")
        self.text = text

    def _load(self, d: Mapping[str, Any], depth: int) -> Mapping[str, Any]:
        data = BaseMessage._load(self, d, depth)  # not super(): one message per frame
        text = data.get("text")
        if type(text) is not str:
            text = as_str(d.get("text") if text is None else text)
        self.text = text
        return data

    def _send_data(self) -> dict[str, Any]:
        data = super()._send_data()
        data["text"] = self.text
        return data

    def to_send_json(self) -> dict[str, Any]:
        out = super().to_send_json()
        out["text"] = self.text
        return out

    def _repr_extra(self) -> str:
        return f", text={_short(self.text)!r}"


class MediaMessage(BaseMessage):
    """An image, video, audio or file message (category ``message``).

    ``url`` is ``data.url`` (or the first attachment's url); ``attachments`` the list of
    :class:`Attachment`; ``caption`` the optional ``data.text``.

    To send files, give ``url`` a file instead of a URL, as the official SDKs' ``file``
    argument (https://www.cometchat.com/docs/sdk/javascript/send-message): a path (a
    ``pathlib.Path``, or a ``str`` without a ``scheme://``), ``bytes``, a binary file object
    opened for reading, or a list of these (several attachments); they are kept in
    :attr:`files` and uploaded by ``send_media_message`` (nothing is read here).
    """

    __slots__ = ("attachments", "caption", "files", "url")

    def __init__(
        self,
        receiver_id: str,
        url: Any,
        message_type: str = "image",
        receiver_type: str = "user",
        *,
        caption: Optional[str] = None,
        attachments: Optional[list[Attachment]] = None,
        metadata: Optional[Mapping[str, Any]] = None,
        tags: Optional[list[str]] = None,
        muid: Optional[str] = None,
        parent_id: Optional[int] = None,
    ) -> None:
        super().__init__(
            receiver_id,
            receiver_type,
            category="message",
            type=message_type,
            metadata=metadata,
            tags=tags,
            muid=muid,
            parent_id=parent_id,
        )
        if message_type not in MEDIA_TYPES:
            raise CometChatException(
                ErrorCode.INVALID_PARAMETER,
                f"message_type must be one of {', '.join(MEDIA_TYPES)}, "
                f"not {str(message_type)[:40]!r}.",
            )
        self.files: list[Any] = split_file_sources(url)
        if not self.files and (not isinstance(url, str) or not url.strip()):
            raise CometChatException(ErrorCode.MISSING_PARAMETERS, "url cannot be empty.")
        self.url: Optional[str] = None if self.files else url
        self.caption = caption
        self.attachments: list[Attachment] = list(attachments or [])

    def _load(self, d: Mapping[str, Any], depth: int) -> Mapping[str, Any]:
        data = super()._load(d, depth)
        raw_atts = data.get("attachments")
        if isinstance(raw_atts, list):
            self.attachments = [Attachment.from_json(a) for a in raw_atts if isinstance(a, Mapping)]
        else:
            one = as_mapping(data.get("attachment"))
            self.attachments = [Attachment.from_json(one)] if one is not None else []
        self.url = as_opt_str(data.get("url"))
        if not self.url and self.attachments:
            self.url = self.attachments[0].url or None
        self.caption = as_opt_str(data.get("text"))
        self.files = []
        return data

    def _send_data(self) -> dict[str, Any]:
        data = super()._send_data()
        data["url"] = self.url
        data["attachments"] = (
            [a.to_json() for a in self.attachments] if self.attachments else [{"url": self.url}]
        )
        if self.caption:
            data["text"] = self.caption
        return data

    def _repr_extra(self) -> str:
        return f", type={self.type!r}, attachments={len(self.attachments)}"


class CustomMessage(BaseMessage):
    """A custom message: category ``custom``, ``type`` = :attr:`custom_type`.

    ``custom_data`` is ``data.customData``; ``sub_type`` the optional ``subType``.
    """

    __slots__ = ("custom_data", "sub_type")

    def __init__(
        self,
        receiver_id: str,
        custom_type: str,
        custom_data: Mapping[str, Any],
        receiver_type: str = "user",
        *,
        sub_type: Optional[str] = None,
        metadata: Optional[Mapping[str, Any]] = None,
        tags: Optional[list[str]] = None,
        muid: Optional[str] = None,
        parent_id: Optional[int] = None,
    ) -> None:
        super().__init__(
            receiver_id,
            receiver_type,
            category="custom",
            type=custom_type,
            metadata=metadata,
            tags=tags,
            muid=muid,
            parent_id=parent_id,
        )
        if not isinstance(custom_type, str) or not custom_type.strip():
            raise CometChatException(ErrorCode.MISSING_PARAMETERS, "custom_type cannot be empty.")
        if not isinstance(custom_data, Mapping):
            raise CometChatException(
                ErrorCode.INVALID_PARAMETER,
                f"custom_data must be a mapping, not {type(custom_data).__name__}.",
            )
        self.custom_data: dict[str, Any] = dict(custom_data)
        self.sub_type = sub_type

    @property
    def custom_type(self) -> str:
        """The app-defined type (the wire ``type``)."""
        return self.type

    def _load(self, d: Mapping[str, Any], depth: int) -> Mapping[str, Any]:
        data = super()._load(d, depth)
        self.custom_data = as_dict(data.get("customData"))
        sub = data.get("subType")
        self.sub_type = as_opt_str(d.get("subType") if sub is None else sub)
        return data

    def _send_data(self) -> dict[str, Any]:
        data = super()._send_data()
        data["customData"] = dict(self.custom_data)
        if self.sub_type:
            data["subType"] = self.sub_type
        return data

    def _repr_extra(self) -> str:
        sub = f", sub_type={self.sub_type!r}" if self.sub_type else ""
        return f", custom_type={self.type!r}{sub}"


register_message_classes(text=TextMessage, media=MediaMessage, custom=CustomMessage)
