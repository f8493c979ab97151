"""Build script: the metadata lives in ``setup.cfg``; this file only makes the package index's
long description from ``README.md``, the one source of both.

On the index a link to ``docs/x.md`` leads nowhere and ``pip install -e .`` means nothing, so
the description is the README with every relative link made absolute (to the repository at
this version's tag) and the parts between ``<!-- checkout-only -->`` and
``<!-- /checkout-only -->`` left out.
"""

from __future__ import annotations

import configparser
import re
from pathlib import Path

from setuptools import setup

HERE = Path(__file__).resolve().parent
CHECKOUT_ONLY = re.compile(r"<!-- checkout-only -->.*?<!-- /checkout-only -->\n?", re.DOTALL)
# A Markdown link or image target that has no scheme and is not an anchor: ](docs/x.md)
RELATIVE_LINK = re.compile(r"\]\((?![a-zA-Z][a-zA-Z0-9+.-]*:|#|/)([^)\s]+)\)")


def version() -> str:
    text = (HERE / "cometchat_sync" / "_version.py").read_text(encoding="utf-8")
    match = re.search(r'^__version__ = "([^"]+)"$', text, re.MULTILINE)
    if match is None:
        raise RuntimeError("no __version__ in cometchat_sync/_version.py")
    return match.group(1)


IMAGE = re.compile(r"\.(png|jpe?g|gif|svg)(#.*)?$", re.IGNORECASE)


def pypi_description(readme: str, home: str, tag: str) -> str:
    """``readme`` without its checkout-only parts, its relative links made absolute (images
    to their raw file, so the index shows them)."""

    def absolute(match: re.Match[str]) -> str:
        target = match.group(1)
        kind = "raw" if IMAGE.search(target) else "blob"
        return f"]({home}/{kind}/{tag}/{target})"

    return RELATIVE_LINK.sub(absolute, CHECKOUT_ONLY.sub("", readme))


def main() -> None:
    config = configparser.ConfigParser()
    config.read(HERE / "setup.cfg", encoding="utf-8")
    home = config["metadata"]["url"].rstrip("/")
    readme = (HERE / "README.md").read_text(encoding="utf-8")
    setup(
        long_description=pypi_description(readme, home, f"v{version()}"),
        long_description_content_type="text/markdown",
    )


if __name__ == "__main__":
    main()
