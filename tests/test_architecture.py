"""The package's architecture, checked on its source.

Data flows one way: each layer imports only from the layers below it (``LAYERS``), module-level
imports form no cycle, and only the engines know which engine holds the rows: nothing above
them imports Spark, names it in code or compares a value with an engine's name. The import graph is read
with ``ast`` from every module of ``survstat`` (imports inside functions too), so the checks
cost no import and see code that a test run would not reach.
"""

from __future__ import annotations

import ast
import io
import tokenize
from dataclasses import dataclass
from pathlib import Path

import pytest

import survstat

ROOT = Path(survstat.__file__).parent

#: The layers from the bottom up; a module imports from its own layer or the ones below.
#: ``survstat`` (the package's lazy façade) and ``survstat.__main__`` sit on top of all.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("survstat.errors",),
    # helpers that know nothing of the data model
    (
        "survstat._version",
        "survstat._clock",
        "survstat._choices",
        "survstat._format",
        "survstat._segments",
        "survstat._exact",
        "survstat._lazy",
    ),
    ("survstat.io", "survstat.datasets"),
    # where rows live and are aggregated; below the data type that binds an input to one
    ("survstat.engines",),
    ("survstat.data", "survstat._validation", "survstat.adsl"),
    ("survstat.risk",),
    ("survstat.estimators", "survstat.design"),
    # figures drawn from the estimators' results, which the figure analyses call
    ("survstat.plot", "survstat.plot_curves", "survstat.plot_series", "survstat.plot_forest"),
    ("survstat.endpoints",),
    ("survstat.analyses",),
    # analysis results data (computed by the analyses) and the displays rendered from it
    ("survstat.tables",),
    ("survstat.batch",),
    ("survstat.cli",),
    ("survstat", "survstat.__main__"),
)

#: Imports against the layering that the code has today, each with its reason. Remove an
#: entry when its import goes; do not add one for new code.
KNOWN_UPWARD: dict[tuple[str, str], str] = {
    ("survstat.estimators", "survstat.plot"): "results' .plot() methods draw with survstat.plot",
}

#: Outside ``survstat/engines/`` a name in code (not in a string, comment or docstring) may
#: mention Spark only where a user chooses the engine by name: the CLI's ``--spark-master``
#: option (declared as ``_SPARK_MASTER``, read as ``spark_master``),
#: and a job file's ``spark_master``, which the batch runner passes on. The engine's name as a
#: string (``"spark"``) is data, a value the user types, and may appear anywhere; importing
#: pyspark or the Spark engine may not.
SPARK_NAMES_ALLOWED = {
    "survstat/cli": {"spark_master", "_SPARK_MASTER"},
    "survstat/batch": {"spark_master"},
}


@dataclass(frozen=True)
class Import:
    """One import of a survstat module by another."""

    source: str
    target: str
    line: int
    module_level: bool  # run when the module is imported (not in a function, nor typing-only)


def module_names(root: Path) -> dict[str, Path]:
    """Dotted module name -> file, for every module of the package at ``root``."""
    names = {}
    for path in sorted(root.rglob("*.py")):
        parts = [root.name, *path.relative_to(root).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        names[".".join(parts)] = path
    return names


def _resolve(name: str, modules: dict[str, Path]) -> str | None:
    """The module ``name`` refers to (a module, or the package holding a name)."""
    while name not in modules and "." in name:
        name = name.rsplit(".", 1)[0]
    return name if name in modules else None


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imports_of(name: str, path: Path, modules: dict[str, Path]) -> list[Import]:
    """The imports of package modules in ``path`` (module ``name``), including those inside
    functions; relative imports are resolved against ``name``."""
    package = name.split(".")[0]
    is_package = path.name == "__init__.py"
    found: list[Import] = []

    def visit(node: ast.AST, module_level: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                visit(child, False)
            elif isinstance(child, ast.If) and _is_type_checking(child):
                for stmt in child.body:
                    visit(ast.Module(body=[stmt], type_ignores=[]), False)
                for stmt in child.orelse:
                    visit(ast.Module(body=[stmt], type_ignores=[]), module_level)
            elif isinstance(child, ast.Import):
                for alias in child.names:
                    target = _resolve(alias.name, modules)
                    if alias.name.split(".")[0] == package and target:
                        found.append(Import(name, target, child.lineno, module_level))
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    anchor = name.split(".")
                    anchor = anchor if is_package else anchor[:-1]
                    anchor = anchor[: len(anchor) - child.level + 1]
                    base = ".".join([*anchor, *([base] if base else [])])
                if base.split(".")[0] != package:
                    continue
                for alias in child.names:
                    target = _resolve(f"{base}.{alias.name}", modules)
                    if target is not None:
                        found.append(Import(name, target, child.lineno, module_level))
            else:
                visit(child, module_level)

    visit(ast.parse(path.read_text(encoding="utf-8"), str(path)), True)
    return [i for i in found if i.target != name]


def import_graph(root: Path) -> list[Import]:
    """Every import between the modules of the package at ``root``."""
    modules = module_names(root)
    return [imp for name, path in modules.items() for imp in imports_of(name, path, modules)]


def cycles(imports: list[Import]) -> list[list[str]]:
    """The cycles among module-level imports (one list of modules per strongly connected
    component with more than one module; Tarjan's algorithm)."""
    graph: dict[str, set[str]] = {}
    for imp in imports:
        if imp.module_level:
            graph.setdefault(imp.source, set()).add(imp.target)
            graph.setdefault(imp.target, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                connect(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return found


def layer_of(module: str, layers: tuple[tuple[str, ...], ...] = LAYERS) -> int:
    """The index of the layer holding ``module`` (by its longest matching prefix)."""
    best, best_len = -1, -1
    for i, members in enumerate(layers):
        for prefix in members:
            if _holds(prefix, module) and len(prefix) > best_len:
                best, best_len = i, len(prefix)
    if best < 0:
        raise AssertionError(f"{module} is in no layer of LAYERS: add it where it belongs")
    return best


def upward_imports(
    imports: list[Import],
    layers: tuple[tuple[str, ...], ...] = LAYERS,
    known: dict[tuple[str, str], str] | None = None,
) -> list[str]:
    """Imports of a module from a higher layer than the importer's, as readable lines."""
    known = KNOWN_UPWARD if known is None else known
    bad = []
    for imp in imports:
        src, dst = layer_of(imp.source, layers), layer_of(imp.target, layers)
        if dst <= src:
            continue
        if (_member(imp.source, layers[src]), _member(imp.target, layers[dst])) in known:
            continue
        bad.append(f"{imp.source}:{imp.line} imports {imp.target} (a higher layer)")
    return bad


def _holds(prefix: str, module: str) -> bool:
    # the package itself ("survstat") holds only its own __init__: a new subpackage must be
    # placed in a layer, not fall into the top one
    return module == prefix or ("." in prefix and module.startswith(prefix + "."))


def _member(module: str, members: tuple[str, ...]) -> str:
    """The layer member (package or module prefix) that holds ``module``."""
    return max((p for p in members if _holds(p, module)), key=len)


def spark_names(root: Path, allowed: dict[str, set[str]] | None = None) -> list[str]:
    """Names in code (not strings, comments or docstrings) that mention Spark outside
    ``engines/`` and the allowed option names, as readable lines."""
    allowed = SPARK_NAMES_ALLOWED if allowed is None else allowed
    bad = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root.parent).as_posix()
        if rel.startswith(f"{root.name}/engines/"):
            continue
        ok = set().union(*(names for prefix, names in allowed.items() if rel.startswith(prefix)))
        tokens = tokenize.generate_tokens(io.StringIO(path.read_text(encoding="utf-8")).readline)
        for tok in tokens:
            if tok.type == tokenize.NAME and "spark" in tok.string.lower() and tok.string not in ok:
                bad.append(f"{rel}:{tok.start[0]} names `{tok.string}`")
    return bad


#: The engines' names, and where code may compare a value with one: the engines, and the CLI
#: and job files, which check the user's choice of engine.
ENGINE_NAMES = frozenset({"polars", "spark"})
ENGINE_TESTS_ALLOWED = ("survstat/engines/", "survstat/cli/", "survstat/batch/")


def engine_name_tests(root: Path, allowed: tuple[str, ...] = ENGINE_TESTS_ALLOWED) -> list[str]:
    """Comparisons with an engine's name (``x == "spark"``, ``x != "polars"``, ``x in
    ("polars", ...)``) outside ``allowed``: asking which engine holds the rows is the engine's
    business, as readable lines."""
    bad = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root.parent).as_posix()
        if rel.startswith(allowed):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Compare):
                continue
            named = [
                c.value
                for operand in (node.left, *node.comparators)
                for c in ast.walk(operand)
                if isinstance(c, ast.Constant) and c.value in ENGINE_NAMES
            ]
            if named:
                bad.append(f"{rel}:{node.lineno} compares with the engine name {named[0]!r}")
    return bad


def test_no_import_cycles():
    found = cycles(import_graph(ROOT))
    assert not found, "module-level imports form cycles: " + "; ".join(
        " <-> ".join(c) for c in found
    )


def test_each_layer_imports_only_from_the_layers_below():
    bad = upward_imports(import_graph(ROOT))
    assert not bad, "\n".join(bad)


def test_every_module_is_in_a_layer():
    for name in module_names(ROOT):
        layer_of(name)


def test_only_the_engines_name_spark():
    bad = spark_names(ROOT)
    assert not bad, "\n".join(bad)


def test_nothing_above_the_engines_asks_which_engine_it_has():
    bad = engine_name_tests(ROOT)
    assert not bad, "\n".join(bad)


def test_the_engine_is_chosen_in_one_place():
    # the layers above the data never import an engine module: they call the data or
    # survstat.engines' functions, which pick the engine
    engine_modules = {"survstat.engines.polars", "survstat.engines.spark"}
    outside = [
        f"{imp.source}:{imp.line} imports {imp.target}"
        for imp in import_graph(ROOT)
        if imp.target in engine_modules and not imp.source.startswith("survstat.engines")
    ]
    assert not outside, "\n".join(outside)


def _package(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "survstat"
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


FAKE_LAYERS = (("survstat.errors",), ("survstat.data",), ("survstat.risk",), ("survstat",))


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        pytest.param(
            {"data.py": "from survstat import risk\n", "risk.py": "import survstat.data\n"},
            [["survstat.data", "survstat.risk"]],
            id="cycle",
        ),
        pytest.param(
            {"data.py": "def f():\n    from survstat import risk\n", "risk.py": "import survstat.data\n"},
            [],
            id="function-local-import-is-no-cycle",
        ),
        pytest.param(
            {
                "data.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from survstat.risk import R\n",
                "risk.py": "from .data import D\n",
            },
            [],
            id="typing-only-import-is-no-cycle",
        ),
    ],
)  # fmt: skip
def test_cycles_are_found(tmp_path, files, expected):
    root = _package(tmp_path, {"__init__.py": "", **files})
    assert cycles(import_graph(root)) == expected


def test_upward_imports_are_found_inside_functions_too(tmp_path):
    root = _package(
        tmp_path,
        {
            "__init__.py": "",
            "errors.py": "",
            "data.py": "def f():\n    from survstat.risk import g\n",
            "risk.py": "from survstat.data import f\nfrom survstat import errors\n",
        },
    )
    assert upward_imports(import_graph(root), FAKE_LAYERS, known={}) == [
        "survstat.data:2 imports survstat.risk (a higher layer)"
    ]


def test_spark_names_are_found_in_code_only(tmp_path):
    root = _package(
        tmp_path,
        {
            "__init__.py": "",
            "engines/spark.py": "import pyspark\n",
            "risk.py": '"""Spark docs."""\n# spark comment\nENGINE = "spark"\nif ENGINE:\n'
            "    from survstat.engines.spark import session\n",
            "cli/app.py": "spark_master = None\nuse_spark = True\n",
        },
    )
    assert spark_names(root, {"survstat/cli": {"spark_master"}}) == [
        "survstat/cli/app.py:2 names `use_spark`",
        "survstat/risk.py:5 names `spark`",
    ]


def test_engine_name_tests_are_found(tmp_path):
    root = _package(
        tmp_path,
        {
            "__init__.py": "",
            "engines/__init__.py": 'OK = "spark" == "spark"\n',
            "risk.py": 'def f(d):\n    if d.engine == "spark":\n        return 1\n'
            'ENGINE = "spark"  # a name as data: fine\n',
            "data.py": 'def g(d):\n    return d.engine not in ("polars",)\n',
        },
    )
    assert engine_name_tests(root, ("survstat/engines/",)) == [
        "survstat/data.py:2 compares with the engine name 'polars'",
        "survstat/risk.py:2 compares with the engine name 'spark'",
    ]
