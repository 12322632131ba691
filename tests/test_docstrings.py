"""The public API is documented in numpydoc form.

ruff's pydocstyle rules (numpy convention, configured in pyproject.toml) check that public
modules, classes and functions have docstrings in the right shape; they do not check that a
function's docstring says what it takes and returns. This test does, for the modules listed
below: every public function and method has a ``Parameters`` section naming each of its
parameters (several may share an entry, ``data, time, event``) and, when it returns a value,
a ``Returns`` section.

The engines implement the :class:`~survstat.engines._protocol.Engine` protocol, which documents
each of its methods once. A method of an engine class (``ENGINES``) that bears the name of a
protocol member takes the protocol's documentation when its own docstring has no sections or
points there (``See :meth:`Engine.<name>```); it must then take the protocol's parameters.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parent.parent / "survstat"
PUBLIC = (
    "estimators/*.py",
    "design/*.py",
    "io/*.py",
    "plot.py",
    "plot_curves/*.py",
    "plot_series/*.py",
    "errors.py",
    "data.py",
    "risk.py",
    "engines/*.py",
)
#: Private modules whose public names are API all the same.
PRIVATE = ("_validation.py", "engines/_protocol.py")
PROTOCOL = PACKAGE / "engines" / "_protocol.py"
#: The classes that implement the Engine protocol.
ENGINES = {"PolarsEngine", "SparkEngine"}
MODULES = sorted(
    {
        path
        for pattern in PUBLIC
        for path in PACKAGE.glob(pattern)
        if not path.name.startswith("_") or path.name == "__init__.py"
    }
    | {PACKAGE / name for name in PRIVATE}
)
UNDERLINE = re.compile(r"\s*-{3,}\s*")


def _sections(doc: str) -> dict[str, list[str]]:
    lines = doc.expandtabs().splitlines()
    out: dict[str, list[str]] = {}
    current = None
    for i, line in enumerate(lines):
        if line.strip() and i + 1 < len(lines) and UNDERLINE.fullmatch(lines[i + 1]):
            current = line.strip()
            out[current] = []
        elif current is not None and not UNDERLINE.fullmatch(line):
            out[current].append(line)
    return out


def _documented(lines: list[str]) -> set[str]:
    """Names of the entries of a Parameters section: the lines at its least indentation."""
    entries = [line for line in lines if line.strip()]
    if not entries:
        return set()
    indent = min(len(line) - len(line.lstrip()) for line in entries)
    names: set[str] = set()
    for line in entries:
        if len(line) - len(line.lstrip()) == indent:
            head = line.strip().split(" : ")[0]
            names |= {name.strip().lstrip("*") for name in head.split(",")}
    return names


def _returns_value(func: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    for node in ast.walk(func):
        value = node.value if isinstance(node, ast.Return) else None
        if value is not None and not (isinstance(value, ast.Constant) and value.value is None):
            return True
    return False


def _is_property(func: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    return any(
        (isinstance(d, ast.Name) and d.id in ("property", "cached_property"))
        or (isinstance(d, ast.Attribute) and d.attr in ("setter", "cached_property"))
        for d in func.decorator_list
    )


def _params(func: ast.FunctionDef | ast.AsyncFunctionDef) -> list[str]:
    args = func.args
    params = [a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)]
    params += [a.arg for a in (args.vararg, args.kwarg) if a is not None]
    return [p for p in params if p not in ("self", "cls")]


def _protocol_members() -> dict[str, list[str]]:
    """The Engine protocol's methods and their parameters."""
    tree = ast.parse(PROTOCOL.read_text(), filename=str(PROTOCOL))
    (engine,) = (n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Engine")
    return {n.name: _params(n) for n in engine.body if isinstance(n, ast.FunctionDef)}


def _problems(path: Path) -> list[str]:
    problems: list[str] = []
    protocol = _protocol_members()

    def by_protocol(cls: str, func: ast.FunctionDef | ast.AsyncFunctionDef, doc: str) -> bool:
        """Whether the protocol documents ``func``: an engine's member whose docstring defers."""
        if cls not in ENGINES or func.name not in protocol:
            return False
        if f":meth:`Engine.{func.name}`" not in doc and _sections(doc):
            return False
        if _params(func) != protocol[func.name]:
            problems.append(
                f"{cls}.{func.name}: parameters {_params(func)} differ from the protocol's "
                f"{protocol[func.name]}"
            )
        return True

    def visit(body: list[ast.stmt], prefix: str) -> None:
        for node in body:
            if isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
                visit(node.body, f"{prefix}{node.name}.")
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                if node.name.startswith("_") or _is_property(node):
                    continue
                name = prefix + node.name
                doc = ast.get_docstring(node) or ""
                if by_protocol(prefix.rstrip("."), node, doc):
                    continue
                sections = _sections(doc)
                params = _params(node)
                if params and "Parameters" not in sections:
                    problems.append(f"{name}: no Parameters section")
                elif params:
                    missing = set(params) - _documented(sections["Parameters"])
                    if missing:
                        problems.append(f"{name}: parameters not documented: {sorted(missing)}")
                if _returns_value(node) and not {"Returns", "Yields"} & set(sections):
                    problems.append(f"{name}: no Returns section")

    visit(ast.parse(path.read_text(), filename=str(path)).body, "")
    return problems


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.relative_to(PACKAGE).as_posix())
def test_public_functions_document_parameters_and_returns(path):
    problems = _problems(path)
    assert not problems, "\n".join(problems)


def test_engine_classes_exist():
    """``ENGINES`` names the classes that implement the protocol, and no stale ones."""
    found = {
        node.name
        for path in (PACKAGE / "engines").glob("*.py")
        for node in ast.parse(path.read_text()).body
        if isinstance(node, ast.ClassDef)
    }
    assert found >= ENGINES
