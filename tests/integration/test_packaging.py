"""The package as the index serves it: ``python -m build`` makes an sdist and a wheel with no
warning; the sdist carries what its tests need and they run from it; the wheel installs in a
fresh virtual environment where the README's quickstart works; the index's description has
no link that only works in a checkout.

The build and the fresh environment take about half a minute, shared by the tests here."""

from __future__ import annotations

import email
import os
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BUILD_TIMEOUT = 300
COPY_IGNORE = shutil.ignore_patterns(
    ".git", "__pycache__", "*.py[cod]", "*.egg-info", "build", "dist", "site", ".*_cache", ".venv"
)

pytestmark = pytest.mark.slow


def clean_env() -> dict[str, str]:
    """This environment less what changes a build's output (no-bytecode makes distutils warn)."""
    return {
        k: v
        for k, v in os.environ.items()
        if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPATH") and not k.startswith("PYTEST_")
    }


def run(args: list[str], cwd: Path, timeout: float = BUILD_TIMEOUT) -> str:
    done = subprocess.run(
        args,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env=clean_env(),
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-3000:]
    return output


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    """(sdist, wheel, the build's output), built from a copy of the source tree."""
    work = tmp_path_factory.mktemp("build")
    tree = work / "tree"
    shutil.copytree(ROOT, tree, ignore=COPY_IGNORE)
    output = run([sys.executable, "-m", "build", "--outdir", str(work / "dist"), "."], tree)
    (sdist,) = (work / "dist").glob("*.tar.gz")
    (wheel,) = (work / "dist").glob("*.whl")
    return sdist, wheel, output


def test_the_build_makes_an_sdist_and_a_wheel_with_no_warning(built):
    _, _, output = built
    warnings = [line for line in output.splitlines() if re.search(r"warn|deprecat", line, re.I)]
    assert not warnings, "\n".join(warnings)


def wheel_metadata(wheel: Path) -> email.message.Message:
    with zipfile.ZipFile(wheel) as archive:
        (name,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        return email.message_from_bytes(archive.read(name))


def test_the_metadata_has_a_license_expression_urls_an_author_and_the_plugin(built):
    _, wheel, _ = built
    meta = wheel_metadata(wheel)
    assert meta["License-Expression"] == "MIT"
    assert not [c for c in meta.get_all("Classifier", []) if c.startswith("License ::")]
    assert meta["Author"]
    urls = dict(u.split(", ", 1) for u in meta.get_all("Project-URL", []))
    assert {"Source", "Documentation", "Changelog", "Issues"} <= set(urls)
    assert "Programming Language :: Python :: 3.13" in meta.get_all("Classifier", [])
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        (entry_points,) = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
        assert (
            "cometchat_sync = cometchat_sync.testing.pytest_plugin"
            in archive.read(entry_points).decode()
        )
        assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
        assert "cometchat_sync/py.typed" in names


def test_the_index_description_has_only_absolute_links_and_no_checkout_commands(built):
    _, wheel, _ = built
    description = wheel_metadata(wheel).get_payload()
    assert isinstance(description, str)
    assert "## Quickstart" in description
    links = re.findall(r"\]\(([^)\s]+)\)", description)
    assert links
    relative = [link for link in links if not link.startswith(("https://", "http://"))]
    assert not relative, relative
    assert "checkout-only" not in description
    # No command in a code block that only a checkout can run.
    blocks = "\n".join(re.findall(r"```[a-z]*\n(.*?)```", description, re.S))
    assert "## Quickstart" in description and "pip install cometchat-sync" in blocks
    assert "pip install -e" not in blocks and "python samples/" not in blocks, blocks


def test_the_sdist_carries_the_tests_and_they_run_from_it(built, tmp_path):
    sdist, _, _ = built
    with tarfile.open(sdist) as archive:
        names = archive.getnames()
        top = names[0].split("/")[0]
        for needed in (
            "LICENSE",
            "tests/conftest.py",
            "tests/emulator/conftest.py",
            "tests/unit/conftest.py",
            "docs/troubleshooting.md",
            "samples/quickstart.py",
            "mkdocs.yml",
        ):
            assert f"{top}/{needed}" in names, needed
        if hasattr(tarfile, "data_filter"):  # 3.9.17+, 3.10.12+, 3.11.4+: refuse odd paths
            archive.extractall(tmp_path, filter="data")
        else:
            archive.extractall(tmp_path)
    unpacked = tmp_path / top
    quick = [
        "tests/unit/test_troubleshooting.py",
        "tests/unit/test_settings.py",
        "tests/emulator/test_emulator_ws.py",
        "tests/integration/test_login.py",
    ]
    output = run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *quick], unpacked)
    assert re.search(r"\d+ passed", output), output[-2000:]
    assert str(unpacked / "cometchat_sync") in run(
        [sys.executable, "-c", "import cometchat_sync; print(cometchat_sync.__file__)"], unpacked
    )


def test_the_wheel_installs_in_a_fresh_venv_and_the_readme_quickstart_runs(built, tmp_path):
    _, wheel, _ = built
    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", str(venv)], tmp_path)
    python = venv / ("Scripts" if os.name == "nt" else "bin") / "python"
    run([str(python), "-m", "pip", "install", "--quiet", f"{wheel}[emulator]"], tmp_path)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(r"^## Quickstart\n.*?```python\n(.*?)```", readme, re.S | re.M)
    assert match, "the README has no Quickstart code block"
    # Run from an empty folder: the installed wheel, not this source tree, is imported.
    script = tmp_path / "quickstart.py"
    script.write_text(match.group(1))
    output = run([str(python), str(script)], tmp_path, timeout=60)
    assert "superhero1: Hello!" in output
