"""``import survstat`` is quick: submodules and estimators load on first use (PEP 562)."""

from __future__ import annotations

import subprocess
import sys

import pytest

import survstat

HEAVY = ("polars", "numpy", "scipy", "pyarrow", "matplotlib", "survstat.estimators.cox")


def _modules_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", f"import sys\n{code}\nprint(' '.join(sys.modules))"],
        capture_output=True,
        text=True,
        check=True,
    )
    return set(out.stdout.split())


def test_import_survstat_loads_nothing_heavy():
    loaded = _modules_after("import survstat")
    assert not [m for m in HEAVY if m in loaded]


def test_using_one_estimator_loads_only_what_it_needs():
    loaded = _modules_after("import survstat\nsurvstat.kaplan_meier")
    assert "survstat.estimators.kaplan_meier" in loaded
    assert "survstat.estimators.cox" not in loaded
    assert "matplotlib" not in loaded


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("plot", "km_figure"),
        ("endpoints.recist", "best_overall_response"),
        ("endpoints.cml", "response_endpoints"),
        ("analyses.cml_response", "molecular_response"),
        ("batch", "run_job"),
        ("analyses", "ANALYSES"),
        ("datasets", "load"),
        ("estimators.cox", "cox"),
    ],
)
def test_submodules_are_attributes(path, name):
    obj = survstat
    for part in path.split("."):
        obj = getattr(obj, part)
    assert hasattr(obj, name)


def test_public_names_and_errors():
    assert set(survstat.__all__) <= set(dir(survstat))
    for name in survstat.__all__:
        assert getattr(survstat, name) is not None
    with pytest.raises(AttributeError, match="no attribute 'kaplan_meir'"):
        survstat.kaplan_meir  # noqa: B018
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        survstat.endpoints.nothing  # noqa: B018


def test_the_command_line_starts_without_the_estimators():
    loaded = _modules_after("import survstat.cli")
    assert not [m for m in ("scipy", "matplotlib", "pyarrow", "survstat.analyses") if m in loaded]


def test_choices_are_the_estimators_methods():
    from survstat import _choices
    from survstat.estimators._confint import CONF_TYPES
    from survstat.estimators.proportions import METHODS

    assert tuple(CONF_TYPES) == _choices.CONF_TYPES
    assert tuple(METHODS) == _choices.RATE_METHODS
    from survstat.cli._common import ConfType

    assert tuple(c.value for c in ConfType) == _choices.CONF_TYPES
