"""Malformed input never gives a traceback or a silently wrong number, for every analysis.

Hypothesis starts from a small valid input of each named analysis (the library calls behind the
CLI and job files) and breaks it the ways real data break: missing, NaN, infinite, negative,
zero and huge values, numbers stored as text, markup and junk strings, booleans, constant or
dropped columns, duplicated, single and empty tables. Every outcome must be a result whose
tables hold no NaN or infinity, or a :class:`~survstat.SurvstatError` with a one-line message.
The same mutated inputs, written to Parquet, go through the command line: exit code 0, or 1
with one line on stderr starting with ``error:`` and no traceback.
"""

from __future__ import annotations

import os
import warnings
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import survstat
from survstat.analyses import ANALYSES, AnalysisOutput
from survstat.analyses.plots import PLOTS
from survstat.cli import app
from survstat.errors import SurvstatError, SurvstatWarning


@cache
def _base() -> dict[str, dict[str, pl.DataFrame]]:
    """Small valid inputs, by kind."""
    load = survstat.datasets.load
    gbsg = load("gbsg2").head(80)
    mgus = load("mgus2").head(120).select("id", "sex", "age", "etime", "event")
    labs = load("actim_like_labs")
    patients = load("actim_like_patients")
    visits = load("breast_trial_assessments")
    subjects = load("breast_trial_subjects")
    keep = subjects.get_column("subject_id").head(24)
    visits = visits.filter(pl.col("subject_id").is_in(keep.implode()))
    subjects = subjects.filter(pl.col("subject_id").is_in(keep.implode()))
    derived = ANALYSES["recist derive"].run(visits, subjects).table
    rates = pl.DataFrame(
        {
            "resp": ["CR", "PR", "SD", "PD", "PR", "NE", "CR", "SD"] * 4,
            "arm": ["A", "B"] * 16,
            "site": ["x"] * 16 + ["y"] * 16,
        }
    )
    cox = survstat.cox(gbsg, time="time", event="cens", covariates=["horTh", "age"]).table
    return {
        "surv": {"data": gbsg},
        "cr": {"data": mgus},
        "rates": {"data": rates},
        "cml": {"data": labs, "patients": patients},
        "recist": {"data": visits, "subjects": subjects},
        "derived": {"data": derived},
        "pathology": {"data": load("breast_trial_pathology")},
        "forest": {"data": cox},
        "trials": {"data": load("metformin_trials")},
        "rs": {"data": load("breast_trial_rs").head(60), "dm": load("breast_trial_dm").head(20)},
        "dm": {"data": load("breast_trial_dm").head(20)},
        "tr": {"data": load("breast_trial_tr").head(120), "dm": load("breast_trial_dm").head(20)},
        "lb": {"data": load("cml_two_arm_lb").head(200), "dm": load("cml_two_arm_dm").head(10)},
    }


#: analysis name -> (kind of base input, parameters)
CASES: dict[str, tuple[str, dict[str, Any]]] = {
    "km": ("surv", {"time": "time", "event": "cens", "by": ["horTh"], "at": [365.0, 730.0]}),
    "summary": ("surv", {"time": "time", "event": "cens", "by": ["horTh"], "tau": 1000.0}),
    "logrank": ("surv", {"time": "time", "event": "cens", "by": ["tgrade"], "trend": True}),
    "cox": ("surv", {"time": "time", "event": "cens", "covariates": ["horTh", "age", "tgrade"]}),
    "cif": ("cr", {"time": "etime", "cause": "event", "by": ["sex"], "at": [60.0, 120.0]}),
    "gray": ("cr", {"time": "etime", "cause": "event", "by": ["sex"]}),
    "finegray": ("cr", {"time": "etime", "cause": "event", "failcode": 1, "covariates": ["age"]}),
    "response": ("rates", {"response": "resp", "responder_values": ["CR", "PR"], "by": ["arm"]}),
    "compare-rates": (
        "rates",
        {"response": "resp", "responder_values": ["CR", "PR"], "by": "arm", "strata": ["site"]},
    ),
    "cml classify": ("cml", {}),
    "cml endpoints": ("cml", {"level": "MR4.5", "landmark": 12.0}),
    "cml response": ("cml", {"level": "MMR", "landmark": 12.0, "window": 1.0}),
    "cml estimators": ("cml", {"level": "MMR", "landmark": 12.0, "window": 1.0}),
    "cml milestones": ("cml", {}),
    "cml loss-of-mmr": ("cml", {}),
    "cml tfr": ("cml", {"min_treatment": 6.0, "min_deep_duration": 3.0}),
    "recist derive": ("recist", {}),
    "recist table": ("recist", {"by": "arm"}),
    "recist subgroups": ("derived", {"biomarker": "pakt_hscore", "by": "arm"}),
    "recist pcr": ("pathology", {}),
    "sdtm rs": ("rs", {}),
    "sdtm dm": ("dm", {"impute": "M", "date_imputation": "last"}),
    "sdtm tr": ("tr", {}),
    "sdtm lb": ("lb", {}),
    "sdtm cml-patients": ("dm", {}),
}
PLOT_CASES: dict[str, tuple[str, dict[str, Any]]] = {
    "km": ("surv", {"time": "time", "event": "cens", "by": ["horTh"]}),
    "cif": ("cr", {"time": "etime", "cause": "event", "by": ["sex"]}),
    "forest": ("forest", {"label": ["term"]}),
    "meta": (
        "trials",
        {
            "study": "trial",
            "events_treatment": "pcr_metformin",
            "n_treatment": "n_metformin",
            "events_control": "pcr_control",
            "n_control": "n_control",
            "measure": "RR",
        },
    ),
}

JUNK = ["", " ", "[bold]x[/bold]", "[red]", "NaN", "inf", "-1", "1e400", "Ω", "a\nb", "NA"]
VALUE_MUTATIONS = ("null", "nan", "inf", "negative", "zero", "huge", "tiny")
COLUMN_MUTATIONS = (
    "as_string",
    "junk",
    "as_bool",
    "drop",
    "constant",
    "zeros",
    "shuffle",
    "float32",
)
ROW_MUTATIONS = ("empty", "one_row", "duplicate_rows")


def _mutate_column(frame: pl.DataFrame, col: str, how: str, rows: list[int]) -> pl.DataFrame:
    n = frame.height
    mask = pl.Series(np.isin(np.arange(n), rows))
    s = frame.get_column(col)
    numeric = s.dtype.is_numeric()
    if how in VALUE_MUTATIONS:
        if how == "null":
            return frame.with_columns(pl.when(mask).then(None).otherwise(pl.col(col)).alias(col))
        if not numeric:
            return frame
        value = {
            "nan": float("nan"),
            "inf": float("inf"),
            "negative": -1.0,
            "zero": 0.0,
            "huge": 1e300,
            "tiny": 1e-300,
        }[how]
        return frame.with_columns(
            pl.when(mask).then(pl.lit(value)).otherwise(pl.col(col).cast(pl.Float64)).alias(col)
        )
    if how == "as_string":
        return frame.with_columns(pl.col(col).cast(pl.String))
    if how == "junk":
        junk = [JUNK[i % len(JUNK)] for i in range(n)]
        return frame.with_columns(pl.Series(col, junk, dtype=pl.String))
    if how == "as_bool":
        return frame.with_columns(pl.Series(col, [i % 2 == 0 for i in range(n)]))
    if how == "drop":
        return frame.drop(col)
    if how == "constant":
        return frame.with_columns(pl.col(col).first().alias(col)) if n else frame
    if how == "zeros":  # e.g. an event or cause column with no event at all
        return frame.with_columns(pl.lit(0, dtype=s.dtype).alias(col)) if numeric else frame
    if how == "shuffle":
        return frame.with_columns(pl.col(col).shuffle(seed=n))
    if how == "float32":
        return frame.with_columns(pl.col(col).cast(pl.Float32)) if numeric else frame
    raise AssertionError(how)


@st.composite
def _mutated(draw: st.DrawFn, kind: str) -> dict[str, pl.DataFrame]:
    frames = dict(_base()[kind])
    for _ in range(draw(st.integers(1, 3))):
        name = draw(st.sampled_from(sorted(frames)))
        frame = frames[name]
        how = draw(st.sampled_from(VALUE_MUTATIONS + COLUMN_MUTATIONS + ROW_MUTATIONS))
        if how == "empty":
            frame = frame.head(0)
        elif how == "one_row":
            frame = frame.head(1)
        elif how == "duplicate_rows":
            frame = pl.concat([frame, frame.head(draw(st.integers(1, 3)))])
        elif frame.width:
            col = draw(st.sampled_from(frame.columns))
            rows = draw(st.lists(st.integers(0, max(frame.height - 1, 0)), max_size=4))
            frame = _mutate_column(frame, col, how, rows)
        frames[name] = frame
    return frames


def _not_finite(frame: pl.DataFrame, col: str) -> bool:
    values = frame.get_column(col)
    return bool(values.dtype.is_float() and (values.is_nan().any() or values.is_infinite().any()))


def _check_tables(out: AnalysisOutput, inputs: dict[str, pl.DataFrame]) -> None:
    """No NaN or infinity in any table, except in a column carried over from an input that
    held them (a subject table's biomarker, say, passed through as the user gave it)."""
    carried = {c for f in inputs.values() for c in f.columns if _not_finite(f, c)}
    for table in (out.table, *(e.table for e in out.written_extras())):
        for col in table.columns:
            if col not in carried:
                assert not _not_finite(table, col), f"`{col}` holds NaN or infinity:\n{table}"


def _outcome(call) -> Any:
    """Run ``call``; a SurvstatError must be one line. Returns the result or None."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SurvstatWarning)
            result = call()
    except SurvstatError as exc:
        message = str(exc)
    else:
        return result
    assert message, "an error without a message"
    assert "\n" not in message, repr(message)
    return None


def _inputs(spec, frames: dict[str, pl.DataFrame]) -> list[pl.DataFrame | None]:
    return [frames.get(r) for r in spec.inputs]


#: Examples per analysis; raise it (e.g. SURVSTAT_FUZZ_EXAMPLES=500) for a long search.
EXAMPLES = int(os.environ.get("SURVSTAT_FUZZ_EXAMPLES", "12"))
_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.mark.parametrize("name", sorted(CASES))
def test_analysis_on_malformed_input(name):
    kind, params = CASES[name]
    spec = ANALYSES[name]

    @_SETTINGS
    @given(frames=_mutated(kind))
    def check(frames):
        out = _outcome(lambda: spec.run(*_inputs(spec, frames), **params))
        if out is not None:
            _check_tables(out, frames)

    check()


@pytest.mark.parametrize("name", sorted(PLOT_CASES))
def test_plot_on_malformed_input(name):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    kind, params = PLOT_CASES[name]
    spec = PLOTS[name]

    @_SETTINGS
    @given(frames=_mutated(kind))
    def check(frames):
        fig = _outcome(lambda: spec.run(*_inputs(spec, frames), **params))
        if fig is not None:
            plt.close(fig)

    check()


def _cli_args(name: str, params: dict[str, Any], files: dict[str, Path]) -> list[str]:
    args = [*name.split(), str(files["data"])]
    for role in ("patients", "subjects"):
        if role in files:
            args += [f"--{role}", str(files[role])]
    for key, value in params.items():
        option = "--" + key.replace("_", "-")
        if isinstance(value, bool):
            args.append(option if value else f"--no-{key.replace('_', '-')}")
        elif isinstance(value, list):
            args += [option, ",".join(str(v) for v in value)]
        else:
            args += [option, str(value)]
    return args


CLI_CASES = ["km", "logrank", "cox", "cif", "finegray", "cml response", "recist derive"]


@pytest.mark.parametrize("name", CLI_CASES)
def test_cli_on_malformed_files(name, tmp_path_factory):
    kind, params = CASES[name]
    runner = CliRunner()
    folder = tmp_path_factory.mktemp("fuzz")

    @settings(
        max_examples=max(EXAMPLES // 2, 1),
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(frames=_mutated(kind))
    def check(frames):
        files = {}
        for role, frame in frames.items():
            files[role] = folder / f"{role}.parquet"
            frame.write_parquet(files[role])
        out = folder / "out.parquet"
        r = runner.invoke(app, [*_cli_args(name, params, files), "-o", str(out)])
        assert r.exception is None or isinstance(r.exception, SystemExit), r.exception
        assert r.exit_code in (0, 1), r.output
        assert "Traceback" not in r.output
        if r.exit_code == 1:
            # warnings (one line each), then the error on one line
            *warned, last = r.stderr.strip().splitlines()
            assert last.startswith("error: "), r.stderr
            assert all(line.startswith("warning: ") for line in warned), r.stderr

    check()
