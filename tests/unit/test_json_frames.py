"""Parsing incoming text frames: the standard library's way and orjson's (the ``speedups``
extra) give the same value or the same error for every input class, checked with one table."""

from __future__ import annotations

import importlib
import json
import math
from typing import Any
from typing import Callable

import pytest

from cometchat_sync import _json

Parse = Callable[[_json.Payload], Any]

_DEEP_OK = 500  # both parsers take it
_TOO_DEEP = 100_000  # beyond both parsers' limits (about 1,000 and 1,024)

# (name, payload, the value, or the exception class both ways raise)
CASES: list[tuple[str, bytes, Any]] = [
    ("object", b'{"type":"message","body":{"id":"7"}}', {"type": "message", "body": {"id": "7"}}),
    ("whitespace around", b' \r\n\t{"a":1} \n', {"a": 1}),
    ("non-ASCII", '{"t":"héllo ✓ 😀"}'.encode(), {"t": "héllo ✓ 😀"}),
    ("escaped pair", b'{"t":"\\ud83d\\ude00"}', {"t": "😀"}),
    ("duplicate key: the last wins", b'{"a":1,"a":2}', {"a": 2}),
    # not objects: returned as parsed
    ("list", b"[1,2]", [1, 2]),
    ("string", b'"x"', "x"),
    ("null", b"null", None),
    ("true", b"true", True),
    ("number", b"-0", 0),
    ("float", b"1.5e2", 150.0),
    ("negative zero float", b"-0.0", -0.0),
    # lone surrogate escapes: valid JSON; json takes them, orjson refuses, both give the str
    ("lone high surrogate escape", b'{"t":"\\ud800"}', {"t": "\ud800"}),
    ("lone low surrogate escape", b'["\\udc00x"]', ["\udc00x"]),
    # not JSON, but json takes them: so do we, both ways
    ("NaN", b"[NaN]", [math.nan]),
    ("Infinity", b'{"a":Infinity,"b":-Infinity}', {"a": math.inf, "b": -math.inf}),
    ("float beyond double", b"[1e999,-1e999]", [math.inf, -math.inf]),
    # integers: int within [-2**63, 2**64), else the nearest float, else an error
    ("int64 max", b"9223372036854775807", 9223372036854775807),
    ("int64 min", b"-9223372036854775808", -9223372036854775808),
    ("uint64 max", b"18446744073709551615", 18446744073709551615),
    ("2**64", b"[18446744073709551616]", [1.8446744073709552e19]),
    ("below int64", b"-9223372036854775809", -9.223372036854776e18),
    ("25 digits", b"1" * 25, float("1" * 25)),
    ("int beyond double", b"1" + b"0" * 400, ValueError),
    ("int beyond str limit", b"1" * 5000, ValueError),
    # nesting
    ("deep but fine", b"[" * _DEEP_OK + b"]" * _DEEP_OK, "deep"),
    ("too deep", b"[" * _TOO_DEEP + b"]" * _TOO_DEEP, ValueError),
    ("too deep objects", b'{"a":' * _TOO_DEEP + b"1" + b"}" * _TOO_DEEP, ValueError),
    # UTF-8 but not JSON
    ("empty", b"", ValueError),
    ("blank", b"  ", ValueError),
    ("trailing data", b"{} x", ValueError),
    ("two values", b"{}{}", ValueError),
    ("truncated", b'{"a":', ValueError),
    ("single quotes", b"{'a':1}", ValueError),
    ("raw control character", b'"a\nb"', ValueError),
    ("NUL in string", b'"\x00"', ValueError),
    ("UTF-8 BOM", b'\xef\xbb\xbf{"a":1}', ValueError),
    ("nan lowercase", b"[nan]", ValueError),
    # not strict UTF-8: the link closes with 1007
    ("invalid byte", b'{"a":"\xff"}', UnicodeDecodeError),
    ("overlong slash", b'"\xc0\xaf"', UnicodeDecodeError),
    ("overlong NUL", b'"\xc0\x80"', UnicodeDecodeError),
    ("encoded surrogate", b'"\xed\xa0\x80"', UnicodeDecodeError),
    ("truncated sequence", b'"\xe2\x82"', UnicodeDecodeError),
    ("beyond U+10FFFF", b'"\xf4\x90\x80\x80"', UnicodeDecodeError),
    ("UTF-16 with BOM", '{"a":1}'.encode("utf-16"), UnicodeDecodeError),
    ("invalid UTF-8 and not JSON", b"\xff\xfe", UnicodeDecodeError),
]


def _deep(depth: int) -> Any:
    value: Any = []
    for _ in range(depth - 1):
        value = [value]
    return value


def _implementations() -> list[tuple[str, Parse]]:
    impls: list[tuple[str, Parse]] = [("json", _json._parse_stdlib)]
    try:
        import orjson  # type: ignore[import-not-found, unused-ignore]  # noqa: PLC0415
    except ImportError:
        return impls

    def with_orjson(payload: _json.Payload) -> Any:
        saved = getattr(_json, "_orjson_loads", None)
        _json._orjson_loads = orjson.loads  # whatever COMETCHAT_SYNC_NO_SPEEDUPS says
        try:
            return _json._parse_orjson(payload)
        finally:
            if saved is not None:
                _json._orjson_loads = saved

    return [*impls, ("orjson", with_orjson)]


IMPLEMENTATIONS = _implementations()


def _same(got: Any, want: Any) -> bool:
    """Equal, with the same types throughout (1 is not 1.0) and nan equal to nan."""
    if type(got) is not type(want):
        return False
    if isinstance(want, float):
        return (math.isnan(got) and math.isnan(want)) or (
            got == want and math.copysign(1, got) == math.copysign(1, want)
        )
    if isinstance(want, dict):
        return got.keys() == want.keys() and all(_same(got[k], want[k]) for k in want)
    if isinstance(want, list):
        return len(got) == len(want) and all(map(_same, got, want))
    return bool(got == want)


@pytest.mark.parametrize("impl", [name for name, _ in IMPLEMENTATIONS])
@pytest.mark.parametrize(("name", "payload", "expected"), CASES, ids=[c[0] for c in CASES])
def test_each_input_class(impl: str, name: str, payload: bytes, expected: Any) -> None:
    parse = dict(IMPLEMENTATIONS)[impl]
    if isinstance(expected, type) and issubclass(expected, BaseException):
        with pytest.raises(ValueError) as caught:  # UnicodeDecodeError is a ValueError too
            parse(payload)
        assert type(caught.value) is expected or (
            expected is ValueError and not isinstance(caught.value, UnicodeDecodeError)
        ), f"{name}: {type(caught.value).__name__}"
        return
    got = parse(payload)
    if expected == "deep":
        expected = _deep(_DEEP_OK)
        assert got == expected
        return
    assert _same(got, expected), f"{name}: {got!r}"


@pytest.mark.parametrize("impl", [name for name, _ in IMPLEMENTATIONS])
def test_bytearray_and_memoryview_payloads(impl: str) -> None:
    parse = dict(IMPLEMENTATIONS)[impl]
    assert parse(bytearray(b'{"a":[1]}')) == {"a": [1]}
    assert parse(memoryview(b'xx{"a":[1]}')[2:]) == {"a": [1]}
    with pytest.raises(UnicodeDecodeError):
        parse(memoryview(b'"\xff"'))


def test_both_ways_agree_on_a_fuzzed_corpus() -> None:
    """Random mutations of real frames: the same value or the same error class both ways."""
    if len(IMPLEMENTATIONS) < 2:
        pytest.skip("orjson is not installed (the speedups extra)")
    import random  # noqa: PLC0415

    rng = random.Random(1007)
    seeds = [payload for _, payload, expected in CASES if not isinstance(expected, type)]
    seeds = [s for s in seeds if len(s) < 1000]
    seeds.append(json.dumps({"type": "message", "body": {"id": "1", "data": {"t": "é"}}}).encode())
    alphabet = b'{}[]":,\\u0123456789eE+-.ntrufalsNIy \xff\xc0\xed\xa0\x80\xe2'
    for _ in range(3000):
        data = bytearray(rng.choice(seeds))
        for _ in range(rng.randint(1, 4)):
            at = rng.randint(0, len(data))
            op = rng.random()
            if op < 0.4:
                data[at:at] = bytes([rng.choice(alphabet)])
            elif op < 0.7 and data:
                del data[min(at, len(data) - 1)]
            elif data:
                data[min(at, len(data) - 1)] = rng.choice(alphabet)
        payload = bytes(data)
        outcomes = []
        for _, parse in IMPLEMENTATIONS:
            try:
                outcomes.append(("value", parse(payload)))
            except UnicodeDecodeError:
                outcomes.append(("UnicodeDecodeError", None))
            except ValueError:
                outcomes.append(("ValueError", None))
        (kind_a, a), (kind_b, b) = outcomes
        assert kind_a == kind_b, payload
        assert kind_a != "value" or _same(a, b), payload


def test_the_environment_variable_forces_the_standard_library(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("COMETCHAT_SYNC_NO_SPEEDUPS", "1")
    try:
        reloaded = importlib.reload(_json)
        assert reloaded.SPEEDUPS is False
        assert reloaded.parse_text_frame is reloaded._parse_stdlib
    finally:
        monkeypatch.delenv("COMETCHAT_SYNC_NO_SPEEDUPS")
        importlib.reload(_json)


def test_speedups_is_on_when_orjson_is_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COMETCHAT_SYNC_NO_SPEEDUPS", raising=False)
    reloaded = importlib.reload(_json)
    expected = len(IMPLEMENTATIONS) == 2
    assert reloaded.SPEEDUPS is expected
    assert reloaded.parse_text_frame is (
        reloaded._parse_orjson if expected else reloaded._parse_stdlib
    )


def test_dumps_is_compact_and_ascii_as_sent_before() -> None:
    value = {"a": [1, 2.5, None, True], "t": "é😀", "n": {"x": "y"}}
    assert _json.dumps(value) == json.dumps(value, separators=(",", ":"))
    assert _json.dumps(value) == '{"a":[1,2.5,null,true],"t":"\\u00e9\\ud83d\\ude00","n":{"x":"y"}}'
    with pytest.raises(TypeError):
        _json.dumps({"a": object()})
