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


#: What the command line must not load before a command runs: the declarations of the analyses
#: (survstat.analyses) are light, the estimators, endpoints and the data layer are not.
NOT_AT_START = (
    "scipy",
    "matplotlib",
    "pyarrow",
    "survstat.estimators",
    "survstat.endpoints",
    "survstat.data",
    "survstat.plot",
    "survstat.plot_curves",
    "survstat.batch",
)


def _heavy(loaded: set[str]) -> list[str]:
    return [m for m in loaded if m in NOT_AT_START or m.startswith(("scipy.", "matplotlib."))]


def _modules_after_command(*args: str) -> set[str]:
    """The modules loaded once ``survstat ARGS`` has printed (its output is swallowed)."""
    return _modules_after(
        "import contextlib, io\n"
        "from survstat.cli import app\n"
        "with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
        f"    app({list(args)!r})"
    )


def test_the_command_line_starts_without_the_estimators():
    loaded = _modules_after("import survstat.cli")
    assert not _heavy(loaded)
    assert "survstat.analyses" in loaded  # the declarations the commands are generated from


@pytest.mark.parametrize(
    "command",
    [["--version"], ["km", "--help"], ["cml", "response", "--help"], ["plot", "km", "--help"]],
)
def test_help_loads_no_estimator(command):
    assert not _heavy(_modules_after_command(*command))


def test_choices_are_the_estimators_methods():
    from survstat import _choices
    from survstat.estimators._confint import CONF_TYPES
    from survstat.estimators.proportions import METHODS

    assert tuple(CONF_TYPES) == _choices.CONF_TYPES
    assert tuple(METHODS) == _choices.RATE_METHODS
    from survstat.estimators import compare_rates

    difference = (*compare_rates.DIFFERENCE_METHODS, *compare_rates.STRATIFIED_DIFFERENCE_METHODS)
    assert difference == _choices.DIFFERENCE_METHODS
    mh_variances = tuple(compare_rates.STRATIFIED_DIFFERENCE_METHODS.values())
    assert mh_variances == _choices.MH_VARIANCES
    assert tuple(compare_rates.ODDS_RATIO_METHODS) == _choices.ODDS_RATIO_METHODS
    assert tuple(compare_rates.TESTS) == _choices.RATE_TESTS
    from survstat.endpoints.dates import DAYS_PER_UNIT
    from survstat.endpoints.pcr import DEFINITIONS
    from survstat.endpoints.recist import SAME_DAY

    assert tuple(DAYS_PER_UNIT) == _choices.TIME_UNITS
    assert tuple(DEFINITIONS) == _choices.PCR_DEFINITIONS
    assert tuple(SAME_DAY) == _choices.SAME_DAY
    # the command line offers the same: --conf-type is generated from the ConfType Literal
    import typer

    from survstat.cli import app

    km = typer.main.get_command(app).commands["km"]
    (conf_type,) = [p for p in km.params if p.name == "conf_type"]
    assert tuple(conf_type.type_descriptor.choices) == _choices.CONF_TYPES
