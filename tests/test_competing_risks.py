"""Competing risks against R cmprsk (cuminc, timepoints, Tests), invariants and bad input."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal
from reference_data import as_list, frame, num, to_array
from typer.testing import CliRunner

import survstat
from survstat.cli import app
from survstat.errors import ColumnTypeError, InvalidValueError, OptionError, SurvstatWarning

REFERENCE = json.loads((Path(__file__).parent / "reference" / "r_reference_cr.json").read_text())
CASES = {c["name"]: c for c in REFERENCE["cases"]}
TESTED = [n for n, c in CASES.items() if "tests" in c]


def select(table, c, curve):
    sel = table.filter(pl.col("cause").cast(pl.String) == curve["cause"])
    if c["by"]:
        sel = sel.filter(pl.col(c["by"]).cast(pl.String) == curve["group"])
    return sel


def close(ours, theirs, rtol=1e-8):
    a, b = to_array(ours), num(theirs)
    np.testing.assert_array_equal(np.isnan(a), np.isnan(b))
    ok = ~np.isnan(b)
    np.testing.assert_allclose(a[ok], b[ok], rtol=rtol, atol=1e-15)


@pytest.mark.parametrize("name", list(CASES))
def test_cumulative_incidence_matches_cuminc(name):
    c = CASES[name]
    res = survstat.cumulative_incidence(frame(c), time=c["time"], cause=c["cause"], by=c["by"])
    assert res.table.columns[-8:] == [
        "cause",
        "time",
        "n_risk",
        "n_event",
        "cif",
        "std_error",
        "conf_low",
        "conf_high",
    ]
    for curve in c["curves"]:
        sel = select(res.table, c, curve)
        close(sel["time"], curve["time"])
        close(sel["cif"], curve["est"])
        close(sel["std_error"] ** 2, curve["var"])
        if "at_time" in curve:
            at = select(res.at(num(curve["at_time"])), c, curve)
            close(at["cif"], curve["at_est"])
            close(at["std_error"] ** 2, curve["at_var"])


@pytest.mark.parametrize("rho", ["0", "1"])
@pytest.mark.parametrize("name", TESTED)
def test_gray_matches_cuminc_tests(name, rho):
    c = CASES[name]
    ref = c["tests"][rho]
    res = survstat.gray_test(
        frame(c), time=c["time"], cause=c["cause"], by=c["by"], strata=c["strata"], rho=float(rho)
    )
    assert [str(x) for x in res.table["cause"]] == as_list(ref["cause"])
    close(res.table["statistic"], ref["stat"])
    close(res.table["p_value"], ref["p"], rtol=1e-6)
    assert res.table["df"].to_list() == [int(x) for x in as_list(ref["df"])]


def test_confidence_interval_is_tidycmprsk_loglog():
    c = CASES["bmt_dis"]
    res = survstat.cumulative_incidence(
        frame(c), time="ftime", cause="status", by="dis", conf_level=0.9
    )
    t = res.table.filter((pl.col("cif") > 0) & (pl.col("cif") < 1))
    f, se = t["cif"].to_numpy(), t["std_error"].to_numpy()
    z = 1.6448536269514722
    np.testing.assert_allclose(
        t["conf_low"].to_numpy(), f ** np.exp(-z * se / (f * np.log(f))), rtol=1e-12
    )
    np.testing.assert_allclose(
        t["conf_high"].to_numpy(), f ** np.exp(z * se / (f * np.log(f))), rtol=1e-12
    )


@pytest.mark.parametrize("name", list(CASES))
def test_cifs_sum_to_one_minus_kaplan_meier(name):
    c = CASES[name]
    df = frame(c)
    res = survstat.cumulative_incidence(df, time=c["time"], cause=c["cause"], by=c["by"])
    any_event = df.with_columns((pl.col(c["cause"]) != 0).cast(pl.Int8).alias("__any"))
    km = survstat.kaplan_meier(any_event, time=c["time"], event="__any", by=c["by"])
    np.testing.assert_allclose(res.cif.sum(axis=1), 1 - km.surv, atol=1e-13)


def test_text_causes_and_integer_codes_agree():
    c = CASES["bmt_dis"]
    df = frame(c)
    labels = df.with_columns(
        pl.col("status").replace_strict(
            {0: "censored", 1: "relapse", 2: "trm"}, return_dtype=pl.String
        )
    )
    a = survstat.cumulative_incidence(df, time="ftime", cause="status", by="dis")
    b = survstat.cumulative_incidence(
        labels, time="ftime", cause="status", by="dis", censor_value="censored"
    )
    assert b.causes == ("relapse", "trm")
    assert a.table.drop("cause").equals(b.table.drop("cause"))


def test_declared_causes_set_the_order_and_catch_unknown_codes():
    df = pl.DataFrame({"t": [1.0, 2, 3, 4, 5], "c": [2, 1, 0, 1, 3]})
    with pytest.raises(
        InvalidValueError,
        match=r"`c` must be 0 \(censored\) or one of the declared causes \[2, 1\]; found 1 row of 5 with other codes: 3",
    ):
        survstat.cumulative_incidence(df, time="t", cause="c", causes=[2, 1])
    res = survstat.cumulative_incidence(
        df.filter(pl.col("c") != 3), time="t", cause="c", causes=[2, 1]
    )
    assert res.causes == (2, 1)
    assert res.table["cause"].unique(maintain_order=True).to_list() == [2, 1]


def test_warnings_for_absent_censoring_and_unseen_cause():
    df = pl.DataFrame({"t": [1.0, 2, 3], "c": [1, 2, 1]})
    with pytest.warns(SurvstatWarning, match="censoring value 0 does not occur in `c`"):
        survstat.cumulative_incidence(df, time="t", cause="c")
    censored = pl.concat([df, pl.DataFrame({"t": [4.0], "c": [0]})])
    with pytest.warns(SurvstatWarning, match=r"declared cause\(s\) \[3\] never occur in `c`"):
        survstat.cumulative_incidence(censored, time="t", cause="c", causes=[1, 2, 3])


def test_cause_input_errors():
    df = pl.DataFrame(
        {"t": [1.0, 2, 3], "c": ["a", "b", "cens"], "x": [0.5, 1.5, 2.5], "w": [1.0, 1, 1]}
    )
    with pytest.raises(
        survstat.SurvstatError,
        match="`c` holds text labels: say which one means censored with censor_value=",
    ):
        survstat.cumulative_incidence(df, time="t", cause="c")
    with pytest.raises(
        ColumnTypeError,
        match=r"`x` \(cause\) must hold integer codes or text labels; found dtype Float64",
    ):
        survstat.cumulative_incidence(df, time="t", cause="x")
    missing = df.with_columns(c=pl.Series(["a", None, "cens"]))
    with pytest.raises(
        survstat.SurvstatError, match="`c` must not be missing; found 1 missing value"
    ):
        survstat.cumulative_incidence(missing, time="t", cause="c", censor_value="cens")


def test_gray_needs_groups():
    df = pl.DataFrame({"t": [1.0, 2, 3], "c": [1, 2, 0]})
    with pytest.raises(OptionError, match="Gray's test needs a `by` column"):
        survstat.gray_test(df, time="t", cause="c")


runner = CliRunner()


def test_cli_cif_and_gray(tmp_path):
    c = CASES["bmt_dis"]
    data = tmp_path / "bmt.parquet"
    frame(c).write_parquet(data)
    out = tmp_path / "cif.parquet"
    r = runner.invoke(
        app,
        ["cif", str(data), "--time", "ftime", "--cause", "status", "--by", "dis", "-o", str(out)],
    )
    assert r.exit_code == 0, r.output
    assert pl.read_parquet(out).columns == [
        "dis",
        "cause",
        "time",
        "n_risk",
        "n_event",
        "cif",
        "std_error",
        "conf_low",
        "conf_high",
    ]
    r = runner.invoke(
        app,
        ["cif", str(data), "--time", "ftime", "--cause", "status", "--at", "12,24", "-o", str(out)],
    )
    assert r.exit_code == 0, r.output
    assert pl.read_parquet(out).columns == [
        "cause",
        "time",
        "cif",
        "std_error",
        "conf_low",
        "conf_high",
    ]
    r = runner.invoke(
        app,
        ["gray", str(data), "--time", "ftime", "--cause", "status", "--by", "dis", "-o", str(out)],
    )
    assert r.exit_code == 0, r.output
    df = pl.read_parquet(out)
    assert df.columns == ["cause", "statistic", "df", "p_value"]
    close(df["statistic"], c["tests"]["0"]["stat"])
    r = runner.invoke(app, ["cif", str(data), "--time", "ftime", "--cause", "stat"])
    assert r.exit_code == 1
    assert "did you mean `status`" in r.output
    for command in ("cif", "gray"):
        help_text = runner.invoke(app, [command, "--help"]).output
        assert "Example:" in help_text


def test_warnings_do_not_leak_into_normal_use():
    c = CASES["pbc_trt"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        survstat.cumulative_incidence(frame(c), time="time", cause="status", by="trt")


MULTISTATE = REFERENCE["multistate"]
MS_OPTIONS = {
    "plain": {"variance": "robust"},
    "weights": {"weight": "w"},
    "weights_entry": {"weight": "w", "entry": "entry"},
    "by_dis_entry": {"entry": "entry", "by": "dis"},
}


@pytest.mark.parametrize("fit", MULTISTATE["fits"], ids=lambda f: f["label"])
def test_weights_and_delayed_entry_match_survfit_multistate(fit):
    df = frame({"data": MULTISTATE["data"]}).with_columns(pl.col("entry").cast(pl.Float64))
    res = survstat.cumulative_incidence(
        df, time="ftime", cause="status", **MS_OPTIONS[fit["label"]]
    )
    assert res.variance == "robust"
    n = len(as_list(fit["time"]))
    pstate = (
        np.array(fit["pstate"], float).reshape(n, -1, order="F")
        if not isinstance(fit["pstate"][0], list)
        else np.array(fit["pstate"], float)
    )
    stderr = (
        np.array(fit["std_err"], float).reshape(pstate.shape, order="F")
        if not isinstance(fit["std_err"][0], list)
        else np.array(fit["std_err"], float)
    )
    for k, cause in enumerate(res.causes, start=1):
        sel = res.table.filter(pl.col("cause") == cause)
        np.testing.assert_allclose(sel["time"].to_numpy(), num(fit["time"]))
        np.testing.assert_allclose(sel["cif"].to_numpy(), pstate[:, k], rtol=1e-10, atol=1e-15)
        np.testing.assert_allclose(sel["std_error"].to_numpy(), stderr[:, k], rtol=1e-8, atol=1e-15)


@pytest.mark.parametrize("iv", MULTISTATE["intervals"], ids=lambda iv: iv["conf_type"])
def test_interval_transforms_match_survfit_multistate(iv):
    df = frame({"data": MULTISTATE["data"]})
    conf_type = {"arcsin": "arcsine"}.get(iv["conf_type"], iv["conf_type"])
    res = survstat.cumulative_incidence(
        df,
        time="ftime",
        cause="status",
        variance="robust",
        conf_type=conf_type,
        conf_level=iv["level"],
    )
    assert res.conf_type == conf_type
    lower, upper = (np.array(num(np.ravel(iv[key])), float) for key in ("lower", "upper"))
    n = res.table.filter(pl.col("cause") == res.causes[0]).height
    lower, upper = (
        (m.reshape(n, -1) if np.ndim(iv["lower"][0]) else m.reshape(n, -1, order="F"))
        for m in (lower, upper)
    )
    for k, cause in enumerate(res.causes, start=1):
        sel = res.table.filter(pl.col("cause") == cause)
        got_lo = sel["conf_low"].cast(pl.Float64).fill_null(np.nan).to_numpy()
        got_hi = sel["conf_high"].cast(pl.Float64).fill_null(np.nan).to_numpy()
        np.testing.assert_allclose(got_lo, lower[:, k], rtol=1e-8, atol=1e-14)
        np.testing.assert_allclose(got_hi, upper[:, k], rtol=1e-8, atol=1e-14)
    at = res.at([5.0]).filter(pl.col("cause") == res.causes[0])
    row = res.table.filter((pl.col("cause") == res.causes[0]) & (pl.col("time") <= 5.0)).tail(1)
    assert at.select("conf_low", "conf_high").row(0) == row.select("conf_low", "conf_high").row(0)


def test_cuminc_variance_refused_with_weights():
    df = frame({"data": MULTISTATE["data"]})
    with pytest.raises(OptionError, match="the cuminc variance assumes unweighted data"):
        survstat.cumulative_incidence(
            df, time="ftime", cause="status", weight="w", variance="cuminc"
        )


def test_cli_cif_with_weights_and_entry(tmp_path):
    data = tmp_path / "ms.parquet"
    df = frame({"data": MULTISTATE["data"]})
    df.write_parquet(data)
    out = tmp_path / "o.parquet"
    r = runner.invoke(
        app,
        [
            "cif",
            str(data),
            "--time",
            "ftime",
            "--cause",
            "status",
            "--weight",
            "w",
            "--entry",
            "entry",
            "-o",
            str(out),
        ],
    )
    assert r.exit_code == 0, r.output
    assert "robust variance" in r.output
    api = survstat.cumulative_incidence(
        str(data), time="ftime", cause="status", weight="w", entry="entry"
    )
    assert pl.read_parquet(out).equals(api.table)
    # the file is aggregated out of core (weights summed exactly); in memory, per record
    mem = survstat.cumulative_incidence(df, time="ftime", cause="status", weight="w", entry="entry")
    assert_frame_equal(api.table, mem.table, check_exact=False, rel_tol=1e-13, abs_tol=1e-15)


def _numerical_delta_variance(times, causes, cause, t_eval):
    """Independent oracle: F_k(t) as a function of the cause-specific hazard increments,
    differentiated numerically, with their multinomial covariance at each time."""
    ut = np.unique(times)
    y = np.array([(times >= u).sum() for u in ut], float)
    dk = np.array([((times == u) & (causes == cause)).sum() for u in ut], float)
    do = np.array([((times == u) & (causes != cause) & (causes != 0)).sum() for u in ut], float)
    lam = np.concatenate([dk / y, do / y])
    m = len(ut)

    def f(v):
        lk, lo = v[:m], v[m:]
        s = np.cumprod(np.concatenate([[1.0], 1 - lk - lo]))[:-1]
        return np.sum((s * lk)[ut <= t_eval])

    grad = np.array([(f(lam + h) - f(lam - h)) / 2e-7 for h in np.eye(2 * m) * 1e-7])
    cov = np.zeros((2 * m, 2 * m))
    for j in range(m):
        p = np.array([dk[j], do[j]]) / y[j]
        block = (np.diag(p) - np.outer(p, p)) / y[j]
        idx = [j, m + j]
        cov[np.ix_(idx, idx)] = block
    return grad @ cov @ grad


def test_delta_method_variance_equals_numerical_delta_method():
    c = CASES["bmt_dis"]
    df = frame(c).filter(pl.col("dis") == 0)
    res = survstat.cumulative_incidence(df, time="ftime", cause="status", variance="delta")
    assert res.variance == "delta"
    times, causes = df["ftime"].to_numpy(), df["status"].to_numpy()
    for cause in (1, 2):
        sel = res.table.filter(pl.col("cause") == cause)
        for t, se in zip(sel["time"].to_list()[:-1], sel["std_error"].to_list()[:-1], strict=True):
            assert se**2 == pytest.approx(
                _numerical_delta_variance(times, causes, cause, t), rel=1e-5, abs=1e-12
            )


def test_delta_and_cuminc_variances_agree_without_ties():
    # with no tied events the Greenwood-type delta method and Aalen's variance differ only by
    # the n / (n - 1) tie corrections, so they are close but not equal
    c = CASES["pbc_all"]
    a = survstat.cumulative_incidence(frame(c), time="time", cause="status", variance="delta")
    b = survstat.cumulative_incidence(frame(c), time="time", cause="status")
    se_a, se_b = a.table["std_error"].to_numpy(), b.table["std_error"].to_numpy()
    positive = se_b > 0
    assert positive.sum() > 100
    assert np.max(np.abs(se_a[positive] / se_b[positive] - 1)) < 0.05
    assert not np.allclose(se_a[positive], se_b[positive], rtol=1e-6)
