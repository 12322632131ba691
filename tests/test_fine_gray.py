"""Fine-Gray models against R cmprsk::crr (tests/reference/make_reference_fg.R)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from reference_data import as_list, frame, num
from typer.testing import CliRunner

import survstat
from survstat.cli import app
from survstat.errors import OptionError

REFERENCE = json.loads((Path(__file__).parent / "reference" / "r_reference_fg.json").read_text())
CASES = {c["name"]: c for c in REFERENCE["cases"]}


def fit(c):
    return survstat.fine_gray(
        frame(c),
        time=c["time"],
        cause=c["cause"],
        covariates=as_list(c["covariates"]),
        failcode=c["failcode"],
    )


@pytest.mark.parametrize("name", list(CASES))
def test_matches_crr(name):
    c = CASES[name]
    f = fit(c)
    k = len(num(c["coef"]))
    np.testing.assert_allclose(f.table["coef"].to_numpy(), num(c["coef"]), rtol=1e-8)
    np.testing.assert_allclose(f.covariance, np.array(c["var"], float).reshape(k, k), rtol=1e-8)
    np.testing.assert_allclose(
        f.table["std_error"].to_numpy(),
        np.sqrt(np.diag(np.array(c["var"], float).reshape(k, k))),
        rtol=1e-8,
    )
    assert f.loglik == pytest.approx(c["loglik"], rel=1e-10)
    assert f.converged == c["converged"]
    pred = f.predict(num(c["profile"]))
    np.testing.assert_allclose(pred["time"].to_numpy(), num(c["pred_time"]))
    np.testing.assert_allclose(pred["cif"].to_numpy(), num(c["pred_cif"]), rtol=1e-8)


def test_term_names_follow_cox():
    f = fit(CASES["cgvhd"])
    assert f.table["term"].to_list() == ["dx[CML]", "tx[PB]", "age"]
    named = f.predict({"dx[CML]": 1.0, "tx[PB]": 0.0, "age": 40.0})
    positional = f.predict([1.0, 0.0, 40.0])
    assert named.equals(positional)
    assert (np.diff(named["cif"].to_numpy()) >= 0).all()


def test_bad_failcode_and_profile():
    c = CASES["bmt_dis"]
    with pytest.raises(OptionError, match=r"failcode 7 is not a cause; causes: \[1, 2\]"):
        survstat.fine_gray(frame(c), time="ftime", cause="status", covariates=["dis"], failcode=7)
    f = fit(c)
    with pytest.raises(OptionError, match=r"profile lacks term\(s\) \['dis'\]"):
        f.predict({"age": 1.0})


def test_cli_finegray(tmp_path):
    c = CASES["bmt_dis_trm"]
    data = tmp_path / "bmt.parquet"
    frame(c).write_parquet(data)
    out = tmp_path / "fg.parquet"
    r = CliRunner().invoke(
        app,
        [
            "finegray",
            str(data),
            "--time",
            "ftime",
            "--cause",
            "status",
            "--failcode",
            "2",
            "--covariates",
            "dis",
            "-o",
            str(out),
        ],
    )
    assert r.exit_code == 0, r.output
    df = pl.read_parquet(out)
    assert df.columns == [
        "term",
        "coef",
        "std_error",
        "hazard_ratio",
        "conf_low",
        "conf_high",
        "z",
        "p_value",
        "status",
    ]
    np.testing.assert_allclose(df["coef"].to_numpy(), num(c["coef"]), rtol=1e-8)
    assert "Example:" in CliRunner().invoke(app, ["finegray", "--help"]).output


@pytest.mark.parametrize("name", list(CASES))
def test_a_converged_fit_computes_one_information_per_newton_step(name, monkeypatch):
    """The information at 0 serves the aliasing check, crr's first step and nothing is
    recomputed: a converged fit with no aliased or infinite term evaluates the Hessian once
    per Newton step (crr's iterations + 1, the last one at the estimate, which also gives the
    sandwich variance); the continuation by coxph's rule does not run. (A count, not a
    timing: the Hessian is what a fit with many terms spends its time on.)"""
    import survstat.estimators.fine_gray as fg_module

    hessians = []
    objective = fg_module.objective

    def counted(beta, dat, derivatives=True):
        hessians.append(derivatives)
        return objective(beta, dat, derivatives)

    monkeypatch.setattr(fg_module, "objective", counted)
    f = fit(CASES[name])
    assert f.converged
    assert f.aliased == f.infinite == ()
    assert sum(hessians) == f.iterations + 1
