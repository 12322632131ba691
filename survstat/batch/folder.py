"""The output folder of a job: one run at a time, no leftovers, no stale files.

A run holds an exclusive lock on ``.survstat.lock`` in the output folder while it writes (an
advisory ``flock``, which the kernel releases when the process ends, even by SIGKILL; the run
removes the file when it ends), so two runs never write into one folder together.

Once it holds the lock, a run removes the temporary files an interrupted run left behind.
Outputs are written to ``.<target>.<8 random characters>.tmp`` beside their target and renamed
over it (:func:`survstat.io.write_atomically`), so a run killed while writing leaves such a
file, and while the lock is held no other run can be writing one. Only files of the output
folder (and of the report's folder) with exactly that name, for a target survstat writes
(``.parquet``, ``.png``, ``.svg``, ``.pdf``, ``.html``), are removed: never sub-folders, never
any other file.

The files of a step are those the job file would make it write now (``<step>.parquet``, or
``<step>.<fmt>`` in every figure format) and those the previous manifest lists for it (extra
tables ``<step>.<table>.parquet``, formats since dropped); :func:`remove_step_files` deletes
them when the step fails or does not run.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from survstat.analyses.plots import FORMATS
from survstat.batch.job import OutputFolderError, Step

try:  # POSIX; elsewhere runs are not locked against each other
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

LOCK = ".survstat.lock"
#: ``.<target>.<random>.tmp``, the temporary files of survstat.io.write_atomically
#: (tempfile.mkstemp: 8 characters of ``a-z0-9_``).
TEMPORARY = re.compile(r"\.(?P<target>.+\.(?:parquet|png|svg|pdf|html))\.[a-z0-9_]{8}\.tmp")


@contextlib.contextmanager
def claim(folder: Path) -> Iterator[None]:
    """Create ``folder`` if needed and hold its lock while the block runs.

    Parameters
    ----------
    folder
        The job's output folder.

    Raises
    ------
    OutputFolderError
        When ``folder`` is a file, cannot be created or written, or another run holds it.
    """
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise OutputFolderError(
            f"output folder `{folder}` is a file; choose a folder (--output)"
        ) from None
    except OSError as exc:
        raise OutputFolderError(
            f"cannot create the output folder `{folder}`: {exc.strerror}"
        ) from None
    fd = _lock(folder / LOCK)
    try:
        _check_writable(folder)
        yield
    finally:
        # removed while still held, so that a run waiting on this file finds it gone
        with contextlib.suppress(OSError):
            os.unlink(folder / LOCK)
        os.close(fd)


def _lock(path: Path) -> int:
    """Open ``path`` and lock it exclusively; the descriptor holds the lock until closed."""
    while True:
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
        except OSError as exc:
            raise OutputFolderError(
                f"cannot write in the output folder `{path.parent}`: {exc.strerror}"
            ) from None
        if fcntl is None:  # pragma: no cover - Windows
            return fd
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise OutputFolderError(
                f"another survstat run is writing to `{path.parent}` (it holds {LOCK}); "
                "wait for it to finish"
            ) from None
        try:
            same = os.stat(path).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            same = False
        if same:
            return fd
        os.close(fd)  # the run that held it removed it meanwhile: lock the new one


def _check_writable(folder: Path) -> None:
    """Fail before any step runs if files cannot be created in ``folder`` (a read-only
    folder or file system), rather than after the first step's work."""
    try:
        fd, probe = tempfile.mkstemp(prefix=".manifest.parquet.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise OutputFolderError(
            f"cannot write in the output folder `{folder}`: {exc.strerror}"
        ) from None
    os.close(fd)
    os.unlink(probe)


def remove_temporary_files(folders: Iterable[Path]) -> list[str]:
    """Remove the temporary files interrupted runs left in ``folders``; return their names.

    Call it only while holding the folder's lock (:func:`claim`): then no run is writing
    them. Sub-folders and files of any other name are left alone.

    Parameters
    ----------
    folders
        The output folder and, if it differs, the folder the report is written to.
    """
    removed: list[str] = []
    for folder in dict.fromkeys(folders):
        if not folder.is_dir():
            continue
        for entry in sorted(os.scandir(folder), key=lambda e: e.name):
            if TEMPORARY.fullmatch(entry.name) and entry.is_file(follow_symlinks=False):
                try:
                    os.unlink(entry.path)
                except FileNotFoundError:
                    continue
                except OSError as exc:
                    raise OutputFolderError(
                        f"cannot remove `{entry.path}`, left by an interrupted run: {exc.strerror}"
                    ) from None
                removed.append(entry.name)
    return removed


def step_files(step: Step, previous: Mapping[str, Any] | None) -> set[str]:
    """Every file name the step owns in the output folder: what it would write now, every
    figure format of a plot step, and what the previous manifest lists for it."""
    names = set(step.outputs())
    if step.kind == "plot":
        names.update(f"{step.name}.{fmt}" for fmt in FORMATS)
    names.update(_listed(step, previous))
    return names


def _listed(step: Step, previous: Mapping[str, Any] | None) -> list[str]:
    """The files a previous manifest lists for ``step``: only plain names starting with the
    step's name, so a damaged or edited manifest cannot point outside the step's files."""
    listed = (previous or {}).get("outputs") or []
    return [
        name
        for name in listed
        if isinstance(name, str)
        and name == Path(name).name
        and name.startswith(f"{step.name}.")
        and name not in (".", "..")
    ]


def stale_files(step: Step, previous: Mapping[str, Any] | None, written: Iterable[str]) -> set[str]:
    """Files the previous run of a step wrote that this (successful) run did not: a figure
    format or an extra table the step no longer produces."""
    return set(_listed(step, previous)) - set(written)


def remove_step_files(folder: Path, names: Iterable[str]) -> None:
    """Delete ``names`` from ``folder`` (missing ones are fine).

    Raises
    ------
    OutputFolderError
        When a file cannot be removed: it would remain without the manifest vouching for it.
    """
    for name in sorted(names):
        try:
            (folder / name).unlink(missing_ok=True)
        except OSError as exc:
            raise OutputFolderError(
                f"cannot remove `{folder / name}`, an output of an earlier run: {exc.strerror}"
            ) from None
