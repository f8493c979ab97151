"""docs/troubleshooting.md explains every error code the SDK raises: a code added to
``ErrorCode`` without a section there fails here."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cometchat_sync.errors import ErrorCode

PAGE = Path(__file__).resolve().parents[2] / "docs" / "troubleshooting.md"
CODES = sorted(
    (name, value)
    for name, value in vars(ErrorCode).items()
    if name.isupper() and isinstance(value, str)
)


def sections() -> dict[tuple[str, str], str]:
    """Each ``### `CODE` (`ErrorCode.NAME`)`` heading of the page, keyed by (NAME, CODE),
    with the text up to the next heading."""
    text = PAGE.read_text(encoding="utf-8")
    parts = re.split(r"^### `([A-Z_]+)` \(`ErrorCode\.([A-Z_]+)`\)$", text, flags=re.MULTILINE)
    return {(name, code): body for code, name, body in zip(parts[1::3], parts[2::3], parts[3::3])}


def test_the_codes_were_found():
    assert len(CODES) >= 15


@pytest.mark.parametrize(("name", "code"), CODES, ids=[name for name, _ in CODES])
def test_every_error_code_has_a_section_saying_what_why_and_what_to_do(name, code):
    section = sections().get((name, code))
    assert section is not None, f"docs/troubleshooting.md has no section for {code} ({name})"
    for part in ("**You see**", "**Why**", "**Do**"):
        assert part in section, f"{code}: no {part} in its section"
