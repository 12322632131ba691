"""The dependencies declared in pyproject.toml are exactly the ones the code imports.

A runtime dependency is a package ``survstat/`` imports; test-only and benchmark-only packages
live in the ``test`` and ``bench`` extras. A new import without a declaration, or a declaration
nothing imports any more, fails here.
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]

# import name -> distribution name, where the two differ
DISTRIBUTION = {
    "sksurv": "scikit-survival",
    "sklearn": "scikit-learn",
    "docx": "python-docx",
    "great_tables": "great-tables",
}
# extras that switch on a documented feature of the package (not a test or benchmark tool)
FEATURE_EXTRAS = ("spark",)


def _name(requirement: str) -> str:
    match = re.match(r"[A-Za-z0-9._-]+", requirement)
    assert match, requirement
    return re.sub(r"[-_.]+", "-", match.group()).lower()


def _declared(*extras: str) -> set[str]:
    names = {_name(r) for r in PROJECT["dependencies"]}
    for extra in extras:
        names |= {_name(r) for r in PROJECT["optional-dependencies"][extra]}
    return names


def _type_checking_only(tree: ast.Module) -> set[ast.AST]:
    """The nodes under ``if TYPE_CHECKING:``: imports for annotations, never run."""
    nodes: set[ast.AST] = set()
    for node in ast.walk(tree):
        test = node.test if isinstance(node, ast.If) else None
        name = test.id if isinstance(test, ast.Name) else getattr(test, "attr", None)
        if name == "TYPE_CHECKING":
            for child in node.body:
                nodes.update(ast.walk(child))
    return nodes


def _imported(folder: Path) -> set[str]:
    """Distribution names of the third-party packages imported anywhere under ``folder``."""
    local = {p.stem for p in folder.glob("*.py")} | {"survstat"}
    found: set[str] = set()
    for path in folder.rglob("*.py"):
        tree = ast.parse(path.read_text(), filename=str(path))
        annotations_only = _type_checking_only(tree)
        for node in ast.walk(tree):
            if node in annotations_only:
                continue
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules = [node.module]
            else:
                continue
            for module in modules:
                top = module.partition(".")[0]
                if top not in sys.stdlib_module_names and top not in local:
                    found.add(DISTRIBUTION.get(top, top).lower())
    return found


def test_runtime_dependencies_are_what_the_package_imports():
    imported = _imported(ROOT / "survstat")
    optional = _declared(*FEATURE_EXTRAS) - _declared()
    runtime = _declared()
    assert imported - runtime - optional == set(), "imported by survstat/ but not declared"
    assert runtime - imported == set(), "declared as runtime dependencies but never imported"


@pytest.mark.parametrize(("folder", "extra"), [("tests", "test"), ("benchmarks", "bench")])
def test_extras_hold_what_tests_and_benchmarks_import(folder, extra):
    missing = _imported(ROOT / folder) - _declared(extra)
    assert missing == set(), f"imported by {folder}/ but not in the `{extra}` extra"
