"""Meta-analysis of two-arm binary outcomes: R metafor references
(tests/reference/make_reference_meta.R), hand-built cases, properties, errors and the command
line."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal
from typer.testing import CliRunner

import survstat
from survstat.cli import app
from survstat.errors import ColumnNotFoundError, InvalidValueError, OptionError
from survstat.estimators.meta_analysis import effect_sizes

REF = json.loads((Path(__file__).parent / "reference" / "r_reference_meta.json").read_text())
METHODS = {
    "MH": "Mantel-Haenszel",
    "EE z": "inverse variance",
    "DL z": "DerSimonian-Laird",
    "DL knha": "DerSimonian-Laird + Hartung-Knapp",
    "REML z": "REML",
    "REML knha": "REML + Hartung-Knapp",
}
ROLES = {"events_treatment": "ai", "n_treatment": "n1i", "events_control": "ci", "n_control": "n2i"}


def _fit(case, measure):
    return survstat.meta_analysis(
        pl.DataFrame(case["data"]), study="study", measure=measure, **ROLES
    )


@pytest.mark.parametrize("measure", ["OR", "RR", "RD"])
@pytest.mark.parametrize("case", REF, ids=lambda c: c["name"])
def test_matches_metafor(case, measure):
    ref = case["measures"][measure]
    res = _fit(case, measure)
    np.testing.assert_allclose(res.studies["yi"].to_numpy(), ref["yi"], rtol=1e-12)
    np.testing.assert_allclose(res.studies["vi"].to_numpy(), ref["vi"], rtol=1e-12)
    np.testing.assert_allclose(
        res.studies["weight_fixed"].to_numpy(), ref["weights_ee"], rtol=1e-10
    )
    # R's REML stops at its threshold (1e-13 on tau2 here): weights and tau2 agree to ~1e-8
    np.testing.assert_allclose(
        res.studies["weight_random"].to_numpy(), ref["weights_reml"], rtol=1e-7
    )
    scale = (lambda x: np.exp(x)) if measure != "RD" else (lambda x: x)
    for key, method in METHODS.items():
        want = ref["fits"][key]
        row = res.pooled.filter(pl.col("method") == method).row(0, named=True)
        rel = 1e-7 if "REML" in key else 1e-10
        pairs = [
            ("estimate", scale(want["estimate"])),
            ("conf_low", scale(want["ci_lb"])),
            ("conf_high", scale(want["ci_ub"])),
            ("statistic", want["stat"]),
            ("p_value", want["p"]),
            ("tau2", want["tau2"]),
            ("i2", want["I2"]),
            ("h2", want["H2"]),
            ("q", want["QE"]),
            ("q_p_value", want["QEp"]),
        ]
        if key not in ("MH", "EE z"):
            pairs += [("pi_low", scale(want["pi_lb"])), ("pi_high", scale(want["pi_ub"]))]
        for col, value in pairs:
            assert row[col] == pytest.approx(value, rel=rel, abs=1e-12), (key, col)


def test_effect_sizes_by_hand():
    # 12/40 against 8/38: OR = (12 * 30) / (28 * 8); a zero cell adds 1/2 to every cell
    y, v = effect_sizes(
        np.array([12.0, 0]), np.array([40.0, 10]), np.array([8.0, 3]), np.array([38.0, 10]), "OR"
    )
    assert y[0] == pytest.approx(np.log(12 * 30 / (28 * 8)))
    assert v[0] == pytest.approx(1 / 12 + 1 / 28 + 1 / 8 + 1 / 30)
    assert y[1] == pytest.approx(np.log(0.5 * 7.5 / (10.5 * 3.5)))
    y, v = effect_sizes(np.array([12.0]), np.array([40.0]), np.array([8.0]), np.array([38.0]), "RD")
    assert y[0] == pytest.approx(12 / 40 - 8 / 38)
    assert v[0] == pytest.approx(0.3 * 0.7 / 40 + (8 / 38) * (30 / 38) / 38)


@settings(max_examples=40, deadline=None)
@given(
    trials=st.lists(
        st.tuples(st.integers(1, 30), st.integers(1, 30), st.integers(1, 30), st.integers(1, 30)),
        min_size=2,
        max_size=8,
    ),
    measure=st.sampled_from(["OR", "RR", "RD"]),
)
def test_pooled_estimates_are_within_the_trials_and_random_effects_widen(trials, measure):
    frame = pl.DataFrame(
        {
            "ai": [t[0] for t in trials],
            "n1i": [t[0] + t[1] for t in trials],
            "ci": [t[2] for t in trials],
            "n2i": [t[2] + t[3] for t in trials],
        }
    )
    res = survstat.meta_analysis(frame, measure=measure, **ROLES)
    lo, hi = res.studies["estimate"].min(), res.studies["estimate"].max()
    pooled = {r["method"]: r for r in res.pooled.iter_rows(named=True)}
    for method in ("inverse variance", "DerSimonian-Laird", "REML"):
        assert lo - 1e-9 <= pooled[method]["estimate"] <= hi + 1e-9
    fixed, random = pooled["inverse variance"], pooled["DerSimonian-Laird"]
    assert random["conf_high"] - random["conf_low"] >= fixed["conf_high"] - fixed["conf_low"] - 1e-9
    assert 0 <= random["i2"] < 100
    assert random["tau2"] >= 0


@pytest.mark.parametrize(
    ("frame", "kwargs", "error", "message"),
    [
        (
            {"ai": [3, 5], "n1i": [2, 9], "ci": [1, 2], "n2i": [5, 8]},
            {},
            InvalidValueError,
            "must not exceed",
        ),
        (
            {"ai": [3, -1], "n1i": [4, 9], "ci": [1, 2], "n2i": [5, 8]},
            {},
            InvalidValueError,
            "whole non-negative",
        ),
        ({"ai": [3], "n1i": [4], "ci": [1], "n2i": [5]}, {}, OptionError, "at least two"),
        (
            {"ai": [3, 1], "n1i": [4, 5], "ci": [1, 2], "n2i": [5, 8]},
            {"measure": "HR"},
            OptionError,
            "measure",
        ),
        (
            {"ai": [3, 1], "n1i": [4, 5], "ci": [1, 2], "n2i": [5, 8]},
            {"study": "trial"},
            ColumnNotFoundError,
            "trial",
        ),
    ],
)
def test_errors(frame, kwargs, error, message):
    with pytest.raises(error, match=message):
        survstat.meta_analysis(pl.DataFrame(frame), **ROLES, **kwargs)


def test_cli_writes_both_tables(tmp_path):
    case = REF[0]
    data = tmp_path / "trials.parquet"
    pl.DataFrame(case["data"]).write_parquet(data)
    out = tmp_path / "ma.parquet"
    r = CliRunner().invoke(
        app,
        [
            "meta",
            str(data),
            "--study",
            "study",
            "--events-treatment",
            "ai",
            "--n-treatment",
            "n1i",
            "--events-control",
            "ci",
            "--n-control",
            "n2i",
            "--measure",
            "RR",
            "-o",
            str(out),
        ],
    )
    assert r.exit_code == 0, r.output
    want = _fit(case, "RR")
    assert_frame_equal(pl.read_parquet(out), want.pooled)
    assert_frame_equal(pl.read_parquet(tmp_path / "ma.studies.parquet"), want.studies)


def test_no_events_anywhere_gives_a_null_mantel_haenszel_row():
    frame = pl.DataFrame({"ai": [0, 0], "n1i": [10, 12], "ci": [0, 0], "n2i": [11, 9]})
    for measure in ("OR", "RR", "RD"):
        mh = survstat.meta_analysis(frame, measure=measure, **ROLES).pooled.row(0, named=True)
        assert mh["estimate"] is None
        assert mh["conf_low"] is None
        assert mh["q_df"] is None


def test_panel_default_times_lie_within_every_fold():
    small = survstat.datasets.load("gbsg2").head(60)
    res = survstat.panel_model(small, time="time", event="cens", markers=["tgrade"], folds=3)
    assert len(res.times) >= 1
    with pytest.raises(OptionError, match="within every fold's follow-up"):
        survstat.panel_model(
            survstat.datasets.load("gbsg2"),
            time="time",
            event="cens",
            markers=["age", "tsize", "pnodes"],
            times=[500, 1000, 2500],
        )


@pytest.mark.parametrize(
    ("column", "error", "message"),
    [
        (
            [1, None],
            "MissingValueError",
            r"`ai` \(events_treatment\) has 1 missing value \(first at row 1\)",
        ),
        (["x", "y"], "ColumnTypeError", r"`ai` \(events_treatment\) must hold numeric counts"),
    ],
)
def test_counts_that_are_missing_or_not_numbers_are_named(column, error, message):
    import survstat.errors as errors

    frame = pl.DataFrame({"ai": column, "n1i": [5, 5], "ci": [1, 2], "n2i": [5, 5]})
    with pytest.raises(getattr(errors, error), match=message):
        survstat.meta_analysis(frame, **ROLES)
