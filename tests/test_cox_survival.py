"""Survival curves after a Cox fit and the baseline cumulative hazard, against R
survfit.coxph and basehaz (tests/reference/make_reference_cox_survival.R)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest

import survstat
from survstat.errors import OptionError
from survstat.estimators.cox_survival import baseline_hazard, cox_survival

REF = {
    c["name"]: c
    for c in json.loads(
        (Path(__file__).parent / "reference" / "r_reference_cox_survival.json").read_text()
    )
}


def _gbsg() -> pl.DataFrame:
    g = survstat.datasets.load("gbsg2").with_row_index("row", offset=1)
    return g.with_columns(w=(1 + pl.col("row") % 3).cast(pl.Float64), id=(pl.col("row") - 1) // 2)


def _fits():
    g, m = _gbsg(), survstat.datasets.load("mgus2")
    return {
        "gbsg2 efron": (
            survstat.cox(g, time="time", event="cens", covariates=["horTh", "age"]),
            [{"horTh[yes]": 1.0, "age": 50.0}, {"horTh[yes]": 0.0, "age": 60.0}],
        ),
        "gbsg2 breslow strata weights": (
            survstat.cox(
                g,
                time="time",
                event="cens",
                covariates=["horTh", "pnodes"],
                strata="tgrade",
                weight="w",
                ties="breslow",
            ),
            [{"horTh[yes]": 0.0, "pnodes": 3.0}],
        ),
        "mgus2 efron": (
            survstat.cox(m, time="futime", event="death", covariates=["age", "sex"]),
            [{"age": 60.0, "sex[M]": 0.0}, {"age": 75.0, "sex[M]": 1.0}],
        ),
        "gbsg2 robust": (
            survstat.cox(g, time="time", event="cens", covariates=["age", "tsize"], cluster="id"),
            [{"age": 55.0, "tsize": 25.0}],
        ),
    }


FITS = _fits()


def _compare(table: pl.DataFrame, want: dict, strata: list[str]) -> None:
    if strata:
        got_strata = [", ".join(str(v) for v in row) for row in table.select(strata).rows()]
        assert got_strata == want["strata"]
    assert table["time"].to_list() == pytest.approx(want["time"], rel=1e-15)
    assert table["n_risk"].to_list() == pytest.approx(want["n_risk"], rel=1e-12)
    assert table["n_event"].to_list() == pytest.approx(want["n_event"], rel=1e-12)
    assert table["n_censor"].to_list() == pytest.approx(want["n_censor"], rel=1e-12)
    for ours, theirs in (
        ("survival", "surv"),
        ("cumhaz", "cumhaz"),
        ("cumhaz_std_error", "std_err"),
        ("conf_low", "lower"),
        ("conf_high", "upper"),
    ):
        got = np.array(table[ours].to_list(), dtype=float)
        expected = np.array([np.nan if v in (None, "NA") else v for v in want[theirs]], dtype=float)
        np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-14, err_msg=ours)


@pytest.mark.parametrize("name", list(REF))
def test_profiles_match_survfit_coxph(name):
    fit, profiles = FITS[name]
    ref = REF[name]
    curves = cox_survival(fit, profiles, conf_type=ref["conf_type"])
    strata = [
        c
        for c in curves.table.columns
        if c
        not in (
            "profile",
            "time",
            "n_risk",
            "n_event",
            "n_censor",
            "cumhaz",
            "cumhaz_std_error",
            "survival",
            "conf_low",
            "conf_high",
        )
    ]
    for i, want in enumerate(ref["profiles"]):
        _compare(curves.table.filter(profile=i), want, strata)


@pytest.mark.parametrize("name", list(REF))
def test_default_curve_and_basehaz_match_r(name):
    fit, _ = FITS[name]
    ref = REF[name]
    assert fit.basis is not None
    assert fit.basis.means.tolist() == pytest.approx(ref["means"], rel=1e-12)
    default = cox_survival(fit, conf_type=ref["conf_type"]).table
    strata = [c for c in default.columns if c in ("tgrade",)]
    _compare(default, ref["default"], strata)
    for centered, key in ((True, "basehaz_centered"), (False, "basehaz_uncentered")):
        table = baseline_hazard(fit, centered=centered)
        assert table["time"].to_list() == pytest.approx(ref[key]["time"], rel=1e-15)
        assert table["cumhaz"].to_list() == pytest.approx(ref[key]["hazard"], rel=1e-9)


def test_profiles_table_and_errors():
    fit, profiles = FITS["gbsg2 efron"]
    curves = cox_survival(fit, profiles)
    assert curves.profiles.columns == ["profile", "horTh[yes]", "age"]
    assert curves.profiles.rows() == [(0, 1.0, 50.0), (1, 0.0, 60.0)]
    with pytest.raises(
        OptionError, match=r"profile 0 must give a value for each model term .*missing: age"
    ):
        cox_survival(fit, {"horTh[yes]": 1.0})
    with pytest.raises(OptionError, match=r"unknown: sex"):
        cox_survival(fit, {"horTh[yes]": 1.0, "age": 50.0, "sex": 1.0})
    with pytest.raises(OptionError, match=r"not a finite number"):
        cox_survival(fit, {"horTh[yes]": 1.0, "age": float("nan")})


def test_profiles_by_covariate_as_r_newdata():
    fit, profiles = FITS["gbsg2 efron"]
    by_terms = cox_survival(fit, profiles).table
    by_covariates = cox_survival(fit, [{"horTh": "yes", "age": 50}, {"horTh": "no", "age": 60}])
    assert by_covariates.table.equals(by_terms)
    with pytest.raises(
        OptionError, match=r"profile 0: `horTh` = 'yess' is not a level of the model \(no, yes\)"
    ):
        cox_survival(fit, {"horTh": "yess", "age": 50})


def test_a_higher_risk_profile_has_lower_survival_everywhere():
    fit, _ = FITS["gbsg2 efron"]
    table = cox_survival(
        fit, [{"horTh[yes]": 0.0, "age": 50.0}, {"horTh[yes]": 1.0, "age": 50.0}]
    ).table
    no, yes = (table.filter(profile=i)["survival"].to_numpy() for i in (0, 1))
    hr = float(np.exp(fit.table.filter(term="horTh[yes]")["coef"].item()))
    assert hr < 1
    # proportional hazards: S_yes = S_no ** HR at every time
    np.testing.assert_allclose(yes, no**hr, rtol=1e-12)


def test_columns_of_minus_one_zero_one_are_not_centred_as_r():
    # R: coxph(Surv(time, cens) ~ b01 + age) with b01 = horTh == "yes" as an integer: R's
    # means leave b01 at 0 (nocenter = c(-1, 0, 1)), so survfit(fit) at 1807 gives S
    # 0.45364747917548082, std.err 0.06148482950278716 and basehaz 0.79043486014269893
    g = survstat.datasets.load("gbsg2").with_columns(b01=(pl.col("horTh") == "yes").cast(pl.Int64))
    fit = survstat.cox(g, time="time", event="cens", covariates=["b01", "age"])
    assert fit.basis is not None
    assert fit.basis.means.tolist() == pytest.approx([0.0, 53.05247813411079], rel=1e-12)
    row = fit.survival().table.filter(time=1807.0).row(0, named=True)
    assert row["survival"] == pytest.approx(0.45364747917548082, rel=1e-9)
    assert row["cumhaz_std_error"] == pytest.approx(0.06148482950278716, rel=1e-9)
    base = fit.baseline_hazard().filter(time=1807.0)["cumhaz"].item()
    assert base == pytest.approx(0.79043486014269893, rel=1e-9)
