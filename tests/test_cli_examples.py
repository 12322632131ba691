"""Every `Example:` in every command's --help runs as printed on the bundled datasets, and gives
the same bytes when run again.

The examples name their inputs after the bundled datasets (``gbsg2.parquet`` is what
``survstat datasets export gbsg2 -o gbsg2.parquet`` writes), the repository's job files
(``examples/gbsg2.toml``) or the output of another example (``cox.parquet`` from the ``cox``
example feeds ``plot forest``); they run in an order where each input exists.
"""

from __future__ import annotations

import contextlib
import re
import shlex
import shutil
from pathlib import Path

import pytest
import typer.main
from typer.testing import CliRunner

from survstat import datasets
from survstat.cli import app

runner = CliRunner()
REPO = Path(__file__).resolve().parents[1]
#: The options whose value is a file or folder an example writes.
OUTPUT_OPTIONS = {"-o", "--output", "--report"}


#: What a job writes about the run itself: the manifest and the HTML report record when and
#: how long each step ran, so they are not the same bytes twice (the steps' outputs are).
def is_run_record(path: Path) -> bool:
    return path.name == "manifest.parquet" or path.suffix == ".html"


def _leaf_commands(group, prefix=()):
    for name, cmd in group.commands.items():
        if hasattr(cmd, "commands"):
            yield from _leaf_commands(cmd, (*prefix, name))
        else:
            yield (*prefix, name)


def example_of(command: tuple[str, ...]) -> list[str]:
    """The arguments of the example printed by ``survstat COMMAND --help``: the paragraph
    after `Example:`, without its backticks, a closing remark in parentheses and the leading
    `survstat`."""
    # at the documented 100 columns, whatever the terminal of the test run: a narrower one
    # wraps long option names at their hyphens
    r = runner.invoke(app, [*command, "--help"], terminal_width=100)
    assert r.exit_code == 0, r.output
    found = re.search(r"Example:(.*?)(?:\n\s*\n|\Z)", r.output, re.S)
    assert found, f"`survstat {' '.join(command)} --help` shows no Example:"
    # plain-text help shows the example as written in the docstring, between backticks
    text = " ".join(found.group(1).replace("`", "").split())
    text = re.sub(r"\s+\([^()]*\)$", "", text)
    words = shlex.split(text)
    assert words[: 1 + len(command)] == ["survstat", *command], text
    return words[1:]


def inputs_of(args: list[str]) -> list[str]:
    """The files an example reads: its .parquet and .toml arguments that are not outputs."""
    return [
        a
        for i, a in enumerate(args)
        if a.endswith((".parquet", ".toml")) and (i == 0 or args[i - 1] not in OUTPUT_OPTIONS)
    ]


def all_examples() -> dict[tuple[str, ...], list[str]]:
    return {c: example_of(c) for c in _leaf_commands(typer.main.get_command(app))}


def run_examples(folder: Path, examples: dict[tuple[str, ...], list[str]], *, write_all: bool):
    """Export the bundled datasets and copy the job files into ``folder``, then run every
    example there once its inputs exist; return each example's result. With ``write_all``,
    examples that only print get ``-o`` so that their tables are written too."""
    examples_dir = folder / "examples"
    examples_dir.mkdir(parents=True)
    for job in (REPO / "examples").glob("*.toml"):
        shutil.copy(job, examples_dir / job.name)
    results = {}
    with contextlib.chdir(folder):
        for name in datasets.names():
            r = runner.invoke(app, ["datasets", "export", name, "-o", f"{name}.parquet"])
            assert r.exit_code == 0, r.output
        pending = dict(examples)
        while pending:
            ready = [c for c, a in pending.items() if all(Path(f).exists() for f in inputs_of(a))]
            assert ready, f"no example, bundled dataset or job file provides: {pending}"
            for command in ready:
                args = pending.pop(command)
                if write_all and not OUTPUT_OPTIONS & set(args) and command[-1] != "list":
                    args = [*args, "-o", "_".join(command) + ".parquet"]
                results[command] = runner.invoke(app, args)
    return results


@pytest.fixture(scope="module")
def twice(tmp_path_factory):
    """Every example run in two fresh folders."""
    examples = all_examples()
    root = tmp_path_factory.mktemp("examples")
    first = run_examples(root / "first", examples, write_all=True)
    second = run_examples(root / "second", examples, write_all=True)
    return examples, root / "first", first, root / "second", second


def test_every_command_has_an_example_on_bundled_data():
    examples = all_examples()
    assert ("plot", "forest") in examples
    bundled = {f"{n}.parquet" for n in datasets.names()}
    written = {a[i + 1] for a in examples.values() for i, w in enumerate(a) if w in OUTPUT_OPTIONS}
    for command, args in examples.items():
        for f in inputs_of(args):
            assert f in bundled | written or f.startswith("examples/"), (command, f)


def test_every_example_runs(tmp_path):
    examples = all_examples()
    results = run_examples(tmp_path, examples, write_all=False)
    assert set(results) == set(examples)
    for command, result in results.items():
        assert result.exit_code == 0, (command, examples[command], result.output)
        assert "Traceback" not in result.output


def test_every_example_gives_the_same_bytes_twice(twice):
    """Each analysis's Parquet output, each figure (PNG, PDF, SVG) and each job step's output
    is byte-identical on a second run (a job's manifest and report record run times)."""
    _, first_dir, first, second_dir, second = twice
    for command in first:
        assert first[command].exit_code == 0, (command, first[command].output)
        assert second[command].exit_code == 0, (command, second[command].output)
    files = sorted(
        p.relative_to(first_dir)
        for p in first_dir.rglob("*")
        if p.is_file() and not is_run_record(p)
    )
    suffixes = {p.suffix for p in files}
    assert {".parquet", ".png", ".pdf", ".svg"} <= suffixes
    assert len(files) > 40
    for rel in files:
        assert (first_dir / rel).read_bytes() == (second_dir / rel).read_bytes(), rel
