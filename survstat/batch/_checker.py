"""Collecting the problems of a job file, each with the line of the file it concerns."""

from __future__ import annotations

import difflib
import re
import tomllib
from pathlib import Path
from typing import Any

from survstat.errors import SurvstatError


class JobError(SurvstatError):
    """A job file is invalid; ``problems`` lists every problem found, each with its line."""

    def __init__(self, path: Path, problems: list[str]) -> None:
        self.problems = problems
        head = f"{path}: {len(problems)} problem{'s' if len(problems) != 1 else ''}"
        super().__init__(head + "\n" + "\n".join(f"  {p}" for p in problems))


class Lines:
    """Line numbers of the tables and keys of a TOML text, for error locations."""

    _HEADER = re.compile(r"^\s*(\[\[?)\s*([A-Za-z0-9_.\"' -]+?)\s*\]\]?\s*(#.*)?$")
    _KEY = re.compile(r"^\s*([A-Za-z0-9_\"'.-]+)\s*=")

    def __init__(self, text: str) -> None:
        self.tables: dict[tuple[str, int], int] = {}
        self.keys: dict[tuple[str, int, str], int] = {}
        counts: dict[str, int] = {}
        section: tuple[str, int] = ("", 0)
        for no, line in enumerate(text.splitlines(), start=1):
            if m := self._HEADER.match(line):
                name = m.group(2).strip("\"'")
                index = counts.get(name, 0)
                counts[name] = index + 1
                section = (name, index)
                self.tables[section] = no
            elif m := self._KEY.match(line):
                key = m.group(1).strip("\"'").split(".")[0]
                self.keys.setdefault((section[0], section[1], key), no)

    def of(self, table: str, index: int = 0, key: str | None = None) -> int:
        """The line of ``key`` in the ``index``-th ``[table]`` (its header if not found)."""
        if key is not None and (table, index, key) in self.keys:
            return self.keys[(table, index, key)]
        return self.tables.get((table, index), 1)


def suggest(value: str, choices: list[str]) -> str:
    if not choices:
        return ""
    close = difflib.get_close_matches(value, choices, n=2, cutoff=0.5)
    if close:
        return "; did you mean " + " or ".join(f"`{c}`" for c in close) + "?"
    return "; expected one of " + ", ".join(f"`{c}`" for c in choices) if len(choices) <= 20 else ""


class Checker:
    """Collects problems, each prefixed with the file and line it concerns."""

    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.lines = Lines(text)
        self.problems: list[str] = []

    def add(self, line: int, where: str, message: str) -> None:
        self.problems.append(f"{self.path.name}:{line}: {where}{message}")


def read_toml(path: Path) -> tuple[bytes, str, dict[str, Any]]:
    """The job file's bytes, text and parsed TOML; a file that cannot be read, is not UTF-8
    or is not TOML is one problem."""
    try:
        raw_bytes = path.read_bytes()
    except OSError as exc:
        raise JobError(path, [f"cannot read the job file: {exc.strerror}"]) from None
    try:
        text = raw_bytes.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw_bytes[: exc.start].count(b"\n") + 1
        raise JobError(
            path,
            [
                f"{path.name}:{line}: not UTF-8 text (byte 0x{raw_bytes[exc.start]:02x}); "
                "TOML files are UTF-8"
            ],
        ) from None
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise JobError(path, [f"not valid TOML: {exc}"]) from None
    return raw_bytes, text, doc
