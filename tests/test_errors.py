"""survstat raises the most specific error of ``survstat/errors.py`` for bad input.

A bare ``SurvstatError`` or a plain ``ValueError`` tells a caller nothing about what went
wrong; the subclasses (``ColumnNotFoundError``, ``InvalidValueError``, ``OptionError``,
``EstimationError``, ...) do. This test reads the package's source and fails on any call that
builds one of the two, except where listed below with the reason.
"""

from __future__ import annotations

import ast
from collections import Counter
from pathlib import Path

import polars as pl
import pytest

PACKAGE = Path(__file__).parent.parent / "survstat"
GENERIC = {"SurvstatError", "ValueError"}
TEMPORARY = "temporary: module being restructured"

# (module path, enclosing function) -> (number of calls, why a generic error is right there)
ALLOWED: dict[tuple[str, str], tuple[int, str]] = {}


def _visit(node: ast.AST, scope: tuple[str, ...], module: str, found: Counter) -> None:
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            _visit(child, (*scope, child.name), module, found)
            continue
        if isinstance(child, ast.Call):
            func = child.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in GENERIC:
                found[(module, ".".join(scope) or "<module>")] += 1
        _visit(child, scope, module, found)


def _generic_calls() -> Counter[tuple[str, str]]:
    """Calls that build a SurvstatError or ValueError, by module and enclosing function."""
    found: Counter[tuple[str, str]] = Counter()
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        _visit(tree, (), path.relative_to(PACKAGE).as_posix(), found)
    return found


def test_no_generic_input_errors():
    found = _generic_calls()
    unexpected = {where: n for where, n in found.items() if n != ALLOWED.get(where, (0, ""))[0]}
    assert not unexpected, (
        "a bare SurvstatError or ValueError is raised for input: raise the most specific class "
        f"of survstat/errors.py instead (or list an internal invariant here): {unexpected}"
    )


def test_allow_list_is_current():
    found = _generic_calls()
    stale = sorted(
        where for where, (_, why) in ALLOWED.items() if where not in found and why != TEMPORARY
    )
    assert not stale, f"listed but no longer raising a generic error: {stale}"


def test_unknown_dataset_is_an_option_error():
    from survstat import datasets
    from survstat.errors import OptionError

    with pytest.raises(OptionError, match="unknown dataset 'nope'; available: "):
        datasets.path("nope")


def test_single_group_is_an_invalid_value():
    from survstat.errors import InvalidValueError
    from survstat.estimators.compare_rates import compare_proportions

    frame = pl.DataFrame({"arm": ["A", "A"], "resp": [1, 0]})
    with pytest.raises(InvalidValueError, match="`arm` has a single group; nothing to compare"):
        compare_proportions(frame, response="resp", by="arm")


def test_a_model_without_events_is_an_estimation_error():
    from survstat.errors import EstimationError
    from survstat.estimators.cox import cox

    frame = pl.DataFrame({"t": [1.0, 2.0, 3.0], "e": [0, 0, 0], "x": [0.0, 1.0, 2.0]})
    with pytest.raises(EstimationError, match="`e` records no event: all 3 rows are censored"):
        cox(frame, time="t", event="e", covariates=["x"])


@pytest.mark.parametrize(
    ("n", "noun", "plural", "expected"),
    [
        (0, "row", None, "0 rows"),
        (1, "row", None, "1 row"),
        (2, "row", None, "2 rows"),
        (1, "missing value", None, "1 missing value"),
        (3, "missing value", None, "3 missing values"),
        (1, "patient kept", "patients kept", "1 patient kept"),
        (4, "patient kept", "patients kept", "4 patients kept"),
    ],
)
def test_counted_is_singular_for_one_only(n, noun, plural, expected):
    from survstat.errors import counted

    assert counted(n, noun, plural) == expected


def test_validation_messages_count_in_the_singular_for_one():
    # one bad value among one row: "found 1 negative value of 1 row", not "1 ... values of 1 rows"
    import polars as pl

    import survstat
    from survstat.errors import InvalidValueError

    frame = pl.DataFrame({"t": [-1.0], "e": [1]})
    with pytest.raises(InvalidValueError, match=r"found 1 negative value of 1 row \("):
        survstat.SurvivalData.right_censored(frame, time="t", event="e")
