"""Shared pieces of the case-study tests: run an example job, read its README section.

Each case study in the README quotes numbers that its job in ``examples/`` writes; a test of
each study runs the job once (module fixture) and checks every quoted number against the
written tables with :func:`assert_quoted`.
"""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from survstat.cli import app

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def readme_case_study(title_start: str) -> str:
    """The text of the README's case study whose heading starts with ``title_start``."""
    part = README.split("\n## Case studies\n", 1)[1].split("\n## ", 1)[0]
    head = f"\n### {title_start}"
    assert head in part, f"no case study headed {title_start!r}"
    return part.split(head, 1)[1].split("\n### ", 1)[0]


def run_example(name: str, out: Path, *, report: bool = False) -> Path:
    """Run ``examples/<name>.toml`` into ``out`` as a reader would (``survstat run``, or
    ``survstat report`` with ``report=True``); the folder of outputs."""
    command = "report" if report else "run"
    job = ROOT / "examples" / f"{name}.toml"
    r = CliRunner().invoke(app, [command, str(job), "--output", str(out), "-q"])
    assert r.exit_code == 0, r.output
    return out


def assert_quoted(section: str, text: str) -> None:
    """Fail unless ``text`` (a number as the job's output formats to) is quoted in ``section``."""
    flat = " ".join(section.split())
    assert " ".join(text.split()) in flat, f"{text!r} is not quoted in the README section"
