"""Layering: endpoints derive columns; they never estimate.

``survstat.endpoints`` turns raw longitudinal records into analysis-ready columns (best overall
response, PFS times and censoring, response levels, TFR eligibility). Composing those columns
with estimators into results is an analysis (``survstat.analyses``). So no endpoint module
imports an estimator, an analysis or anything above them, not even inside a function, and
not through the lazy names of the ``survstat`` package (``survstat.cox``).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import survstat

ENDPOINTS = Path(survstat.__file__).parent / "endpoints"
#: Packages above the endpoints, or the estimators they would compose.
FORBIDDEN = (
    "survstat.estimators",
    "survstat.analyses",
    "survstat.batch",
    "survstat.cli",
    "survstat.plot",
    "survstat.plot_curves",
)


def _forbidden(module: str) -> bool:
    return any(module == f or module.startswith(f"{f}.") for f in FORBIDDEN)


def _imports(tree: ast.AST) -> list[tuple[int, str]]:
    """Every module an AST imports, with its line: ``import a.b``, ``from a import b`` (as
    ``a`` and ``a.b``, since ``b`` may be a submodule), ``importlib.import_module("a")`` and
    ``__import__("a")``, at module level or inside a function."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.append((node.lineno, node.module))
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
        elif isinstance(node, ast.Call) and node.args:
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            first = node.args[0]
            if name in ("import_module", "__import__") and isinstance(first, ast.Constant):
                found.append((node.lineno, str(first.value)))
    return found


#: The estimators the ``survstat`` package exports lazily (``from survstat import cox``).
ESTIMATORS = {f"survstat.{name}" for name, module in survstat._NAMES.items() if _forbidden(module)}


def _reaches_above(tree: ast.AST) -> list[tuple[int, str]]:
    """The imports of ``tree`` above the endpoints, and its uses of the lazy estimators of
    the ``survstat`` package (``survstat.cox``), with their lines."""
    bad = [(line, m) for line, m in _imports(tree) if _forbidden(m) or m in ESTIMATORS]
    bad += [
        (node.lineno, f"survstat.{node.attr}")
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == "survstat"
        and f"survstat.{node.attr}" in ESTIMATORS
    ]
    return sorted(set(bad))


@pytest.mark.parametrize("path", sorted(ENDPOINTS.glob("*.py")), ids=lambda p: p.name)
def test_endpoints_import_no_estimator_and_no_analysis(path):
    bad = _reaches_above(ast.parse(path.read_text(), filename=str(path)))
    assert not bad, f"{path.name} reaches above the endpoints: {bad}"


def test_the_scan_sees_every_kind_of_import():
    code = (
        "import polars as pl\n"
        "import survstat\n"
        "from survstat.errors import OptionError\n"
        "from survstat import cox\n"
        "def f():\n"
        "    from survstat.estimators.kaplan_meier import kaplan_meier\n"
        "    import importlib\n"
        "    importlib.import_module('survstat.analyses.efficacy')\n"
        "    return survstat.logrank\n"
    )
    assert [m for _, m in _reaches_above(ast.parse(code))] == [
        "survstat.cox",
        "survstat.estimators.kaplan_meier",
        "survstat.estimators.kaplan_meier.kaplan_meier",
        "survstat.analyses.efficacy",
        "survstat.logrank",
    ]
