"""JSON of the real-time link: the one place that parses incoming text frames and encodes
outgoing ones.

Parsing has two implementations that give the same result for every input:

* the standard library (always there): a strict UTF-8 decode, then :mod:`json`;
* `orjson <https://pypi.org/project/orjson/>`_, when installed (``pip install
  cometchat-sync[speedups]``): it parses the frame's bytes directly, about three times as fast
  as the standard library on a chat message. The few inputs it refuses that :mod:`json`
  accepts are parsed again by :mod:`json`, so the result does not depend on which one runs.

Set the environment variable ``COMETCHAT_SYNC_NO_SPEEDUPS=1`` (read at import) to use the
standard library even when orjson is installed; :data:`SPEEDUPS` says which one is in use.

What both give, input by input (``tests/unit/test_json_frames.py`` checks every row both
ways):

* Bytes that are not strict UTF-8 (invalid bytes, overlong encodings, UTF-8-encoded
  surrogates, a UTF-16 payload): :class:`UnicodeDecodeError` (the link closes with 1007).
  A UTF-8 byte-order mark is not JSON: :class:`ValueError`.
* ``\\ud800``-style escapes of a lone surrogate are valid JSON: :mod:`json` accepts them,
  orjson refuses them; both ways give a ``str`` holding the lone surrogate (as the SDK always
  did; such a string cannot be encoded to UTF-8 again).
* ``NaN``, ``Infinity``, ``-Infinity`` and float literals beyond the double range (``1e999``)
  are not JSON, but :mod:`json` accepts them and orjson refuses them; both ways give the
  float ``nan``/``inf``/``-inf`` (as the SDK always did: the models' converters treat them as
  missing values).
* Integers from -2**63 to 2**64 - 1 are ``int``; larger ones are the nearest ``float`` (what
  orjson gives, and what a JavaScript peer sees), and an integer beyond the double range is a
  :class:`ValueError`.
* Nesting deeper than the parser allows is a :class:`ValueError` (a :class:`RecursionError`
  of :mod:`json` is wrapped in one): about 1,000 levels with :mod:`json` (the interpreter's
  recursion limit, less the caller's stack), 1,024 with orjson. Real frames nest less than 10.
* Any other JSON value (a list, a string, ``null``) is returned as parsed: the caller decides
  what a frame that is not an object means.

Encoding (:func:`dumps`) always uses :mod:`json`, compact and ASCII-only, as the SDK always
sent: orjson writes ``NaN`` as ``null``, refuses non-``str`` keys and big integers, and the
outgoing path is not where the time goes.

Thread-safety: every function is safe to call from any thread.
"""

from __future__ import annotations

import json
import math
import os
from typing import Any
from typing import Callable
from typing import Union

__all__ = ["SPEEDUPS", "Payload", "dumps", "parse_text_frame"]

#: What :data:`parse_text_frame` takes: a text frame's payload.
Payload = Union[bytes, bytearray, memoryview]

_INT64_MIN = -(2**63)
_UINT64_END = 2**64


def _parse_int(text: str) -> Union[int, float]:
    """An integer literal as orjson reads it: an ``int`` within [-2**63, 2**64), else the
    nearest ``float``; ``ValueError`` beyond the double range."""
    if len(text) < 19:  # fewer than 19 characters: within 10**18, the common case
        return int(text)
    if len(text) <= 21:  # 20 digits and a sign at most: may still be in range
        value = int(text)
        if _INT64_MIN <= value < _UINT64_END:
            return value
    number = float(text)
    if math.isinf(number):
        raise ValueError("integer out of range")
    return number


_decode = json.JSONDecoder(parse_int=_parse_int).decode


def _parse_stdlib(payload: Payload) -> Any:
    """Strict UTF-8, then :mod:`json` (never ``json.loads(bytes)``: it guesses UTF-16/32)."""
    text = str(payload, "utf-8")
    try:
        return _decode(text)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None


def _parse_orjson(payload: Payload) -> Any:
    """orjson on the bytes; what it refuses is classified, or parsed by :mod:`json`."""
    try:
        return _orjson_loads(payload)
    except ValueError:  # orjson.JSONDecodeError
        # Invalid UTF-8 raises UnicodeDecodeError here; NaN, lone surrogates, ... parse.
        return _parse_stdlib(payload)


def _load_orjson() -> Callable[[Payload], Any]:
    if os.environ.get("COMETCHAT_SYNC_NO_SPEEDUPS", "") not in ("", "0"):
        raise ImportError("COMETCHAT_SYNC_NO_SPEEDUPS is set")
    import orjson  # type: ignore[import-not-found, unused-ignore]  # noqa: PLC0415 (optional)

    loads: Callable[[Payload], Any] = orjson.loads
    return loads


#: True when incoming frames are parsed with orjson (the ``speedups`` extra is installed and
#: ``COMETCHAT_SYNC_NO_SPEEDUPS`` is not set).
SPEEDUPS: bool
try:
    _orjson_loads = _load_orjson()
    SPEEDUPS = True
except ImportError:
    SPEEDUPS = False


parse_text_frame: Callable[[Payload], Any] = _parse_orjson if SPEEDUPS else _parse_stdlib
"""``parse_text_frame(payload)``: the JSON value of one text frame's payload (``bytes``,
``bytearray`` or ``memoryview``); orjson's parser or the standard library's (:data:`SPEEDUPS`),
bound once at import so the reader pays no extra call.

Raises:
    UnicodeDecodeError: ``payload`` is not strict UTF-8 (a WebSocket closes with 1007). It is
        a subclass of ValueError: catch it first.
    ValueError: ``payload`` is UTF-8 but not JSON, nests too deeply, or holds an integer
        beyond the double range (see the module docstring for every input class).
"""


def dumps(value: Any) -> str:
    """``value`` as compact JSON text (``,`` and ``:`` separators, non-ASCII as ``\\u``
    escapes), as the SDK sends it. Raises ``TypeError`` for values JSON cannot hold."""
    return json.dumps(value, separators=(",", ":"))
