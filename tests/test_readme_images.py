"""The README's gallery and the script that makes it, ``docs/make_images.py``, agree.

Without running the script (it needs Chromium for the tables): every image it writes is shown
in the README, under a bash block holding exactly the commands that make it, and is in
``docs/images`` as a PNG of modest size; every image the README shows exists; ``docs/images``
holds nothing else. The README's blocks themselves run in ``tests/test_readme.py``.
"""

from __future__ import annotations

import importlib.util
import re
import struct
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
README = ROOT / "README.md"
IMAGES_DIR = ROOT / "docs" / "images"
#: An image in Markdown: ![alt](path)
_IMAGE = re.compile(r"!\[[^\]]*\]\(([^)\s]+)\)")
_FENCE = re.compile(r"^```(\w*)\s*$")


def _script():
    spec = importlib.util.spec_from_file_location("make_images", ROOT / "docs" / "make_images.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["make_images"] = module
    spec.loader.exec_module(module)
    return module


SCRIPT = _script()


def _blocks() -> list[tuple[int, int, list[str]]]:
    """The README's bash blocks as (first line, last line, commands), continuation lines
    joined and runs of spaces collapsed."""
    lines = README.read_text(encoding="utf-8").splitlines()
    found, i = [], 0
    while i < len(lines):
        m = _FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        end = next(j for j in range(i + 1, len(lines)) if lines[j].startswith("```"))
        if m.group(1) == "bash":
            body = re.sub(r"\\\n\s*", " ", "\n".join(lines[i + 1 : end]))
            commands = [" ".join(c.split()) for c in body.splitlines() if c.strip()]
            found.append((i + 1, end + 1, commands))
        i = end + 1
    return found


def _references() -> dict[str, int]:
    """The images the README shows, with the line of each."""
    refs = {}
    for n, line in enumerate(README.read_text(encoding="utf-8").splitlines(), 1):
        for m in _IMAGE.finditer(line):
            refs[m.group(1)] = n
    return refs


def _same(command: str) -> str:
    return " ".join(command.split())


@pytest.mark.parametrize("name", list(SCRIPT.IMAGES))
def test_every_image_of_the_script_is_shown_under_its_commands(name):
    refs = _references()
    path = f"docs/images/{name}"
    assert path in refs, f"the README does not show {path}"
    # the last bash block before the image holds exactly the image's commands
    before = [b for b in _blocks() if b[1] < refs[path]]
    assert before, f"no commands above {path}"
    assert before[-1][2] == [_same(c) for c in SCRIPT.IMAGES[name].commands]


@pytest.mark.parametrize("name", list(SCRIPT.IMAGES))
def test_every_image_of_the_script_is_a_modest_png(name):
    data = (IMAGES_DIR / name).read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert 400 <= width <= 2400
    assert 300 <= height <= 2800
    assert len(data) <= 150 * 1024


def test_the_inputs_are_exported_in_the_readme():
    commands = [_same(c) for c in SCRIPT.PREPARE]
    assert any(block[2] == commands for block in _blocks())


def test_every_image_the_readme_shows_exists():
    for path, line in _references().items():
        assert not re.match(r"^[a-z]+://", path), f"README.md:{line}: {path} is not in the repo"
        assert (ROOT / path).is_file(), f"README.md:{line}: {path} does not exist"


def test_docs_images_holds_only_the_scripts_images():
    assert sorted(p.name for p in IMAGES_DIR.iterdir()) == sorted(SCRIPT.IMAGES)


def test_every_command_is_a_survstat_command_and_the_section_is_the_scripts():
    for image in SCRIPT.IMAGES.values():
        assert all(c.startswith("survstat ") for c in image.commands)
        assert image.output.endswith((".png", ".html"))
        assert image.commands[-1].endswith(f"-o {image.output}")
    assert SCRIPT.readme_section() in README.read_text(encoding="utf-8")
