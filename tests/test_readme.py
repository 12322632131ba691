"""The README runs: every Python block, every shell command (fenced or inline) and every TOML job
in README.md is executed here, in document order, in one folder, as a reader following it would.

A block that cannot run on a test machine says why in an HTML comment on the line before its
fence (``<!-- not run in tests: needs R -->``); the test checks that each such reason is one of
a short list. Synopses (placeholders such as ``DATA`` or ``COL``) are fenced as ``text``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl
import pytest

ROOT = Path(__file__).parent.parent
README = ROOT / "README.md"

#: The only reasons a README block may give for not running in the tests.
REASONS = {
    "it is this test suite's own command",
    "needs R and rewrites the committed reference values",
    "needs a Spark cluster",
}
_FENCE = re.compile(r"^```(\w*)\s*$")
_MARK = re.compile(r"^<!-- not run in tests: (.+) -->$")
_INLINE = re.compile(r"`(survstat [^`]+)`")
#: A synopsis placeholder, e.g. DATA, COL, JOB.toml, OUT.
_PLACEHOLDER = re.compile(r"\b[A-Z][A-Z_]{1,}\b")


@dataclass(frozen=True)
class Unit:
    """One runnable piece of the README."""

    line: int
    kind: str  # python | bash | toml | inline
    text: str
    skip: str | None = None

    @property
    def id(self) -> str:
        return f"README.md:{self.line}:{self.kind}"


def _units() -> list[Unit]:
    lines = README.read_text().splitlines()
    units: list[Unit] = []
    prose: list[tuple[int, str]] = []
    i = 0
    while i < len(lines):
        m = _FENCE.match(lines[i])
        if not m:
            prose.append((i + 1, lines[i]))
            i += 1
            continue
        kind, start = m.group(1), i + 1
        mark = _MARK.match(lines[i - 1]) if i else None
        end = next(j for j in range(i + 1, len(lines)) if lines[j].startswith("```"))
        body = "\n".join(lines[i + 1 : end])
        units.extend(_inline(prose))
        prose = []
        if kind in ("python", "bash", "toml"):
            units.append(Unit(start, kind, body, mark.group(1) if mark else None))
        i = end + 1
    units.extend(_inline(prose))
    return sorted(units, key=lambda u: u.line)


def _inline(prose: list[tuple[int, str]]) -> list[Unit]:
    """Inline `survstat ...` commands of a stretch of prose (they may wrap across lines)."""
    if not prose:
        return []
    text = "\n".join(t for _, t in prose)
    out = []
    for m in _INLINE.finditer(text):
        command = " ".join(m.group(1).split())
        args = command.split()[1:]
        if _PLACEHOLDER.search(command) or command.endswith("--help"):
            continue  # a synopsis, not a command to run
        if not any("." in a or "/" in a for a in args):
            continue  # a command or option named in a sentence ("`survstat report -o`")
        line = prose[0][0] + text.count("\n", 0, m.start())
        out.append(Unit(line, "inline", command))
    return out


UNITS = _units()


def _commands(script: str) -> list[str]:
    """The commands of a shell block: continuation lines joined, comments and blanks dropped,
    and a leading ``python3 -m pip install ... &&`` removed (this environment is installed)."""
    joined = re.sub(r"\\\n\s*", " ", script)
    out = []
    for line in joined.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        line = re.sub(r"^python3 -m pip install [^&]*&&\s*", "", line)
        out.append(line)
    return out


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """The reader's working folder: a copy of examples/ and a registry-like Hive dataset."""
    root = tmp_path_factory.mktemp("readme")
    shutil.copytree(ROOT / "examples", root / "examples")
    rng = np.random.default_rng(2026)
    for region in (1, 2, 3):
        n = 4000
        days = rng.exponential(900.0, n).round() + 1
        cause = rng.choice([0, 1, 2], n, p=[0.5, 0.3, 0.2])
        part = root / "registry" / f"region={region}"
        part.mkdir(parents=True)
        pl.DataFrame(
            {
                "days": days,
                "death": (cause > 0).astype(np.int64),
                "cause": cause,
                "arm": rng.choice(["A", "B"], n),
            }
        ).write_parquet(part / "part-0.parquet")
    return root


def _run_shell(command: str, cwd: Path) -> None:
    env = {**os.environ, "MPLBACKEND": "Agg"}
    # the commands call `survstat`; make sure it is the one of this Python
    scripts = Path(sys.executable).parent
    env["PATH"] = f"{scripts}{os.pathsep}{env.get('PATH', '')}"
    r = subprocess.run(
        ["bash", "-c", command], cwd=cwd, env=env, capture_output=True, text=True, timeout=600
    )
    assert r.returncode == 0, f"`{command}` exited {r.returncode}:\n{r.stdout}\n{r.stderr}"
    assert "Traceback" not in r.stderr, r.stderr


def test_every_skip_gives_an_allowed_reason():
    skipped = [u for u in UNITS if u.skip]
    assert {u.skip for u in skipped} <= REASONS, [u.skip for u in skipped]
    assert len(skipped) <= 3
    assert sum(u.kind == "python" for u in UNITS) >= 4
    assert sum(u.kind in ("bash", "inline") for u in UNITS) >= 10


@pytest.mark.parametrize("unit", UNITS, ids=[u.id for u in UNITS])
def test_readme_unit_runs(unit: Unit, folder: Path, monkeypatch):
    if unit.skip:
        pytest.skip(unit.skip)
    if unit.kind == "toml":
        # the job-file example: a job beside the examples, run as a reader would
        (folder / "examples" / "readme_job.toml").write_text(unit.text)
        _run_shell("survstat run examples/readme_job.toml --output readme_job -q", folder)
        return
    if unit.kind == "python":
        if "survstat.engines.spark" in unit.text and shutil.which("java") is None:
            pytest.skip("the Spark engine needs Java, which is not installed")
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        monkeypatch.chdir(folder)
        try:
            exec(compile(unit.text, unit.id, "exec"), {"__name__": "__readme__"})
        finally:
            plt.close("all")
        return
    commands = [unit.text] if unit.kind == "inline" else _commands(unit.text)
    for command in commands:
        _run_shell(command, folder)
