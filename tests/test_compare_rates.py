"""Two-arm response comparisons against base R (tests/reference/make_reference_2x2.R)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from reference_data import num
from scipy import optimize
from typer.testing import CliRunner

import survstat
from survstat.cli import app
from survstat.errors import OptionError
from survstat.estimators.compare_rates import (
    chi_square_p_value,
    exact_odds_ratio,
    fisher_p_value,
    miettinen_nurminen_interval,
    newcombe_interval,
    risk_ratio,
    woolf_odds_ratio,
)
from survstat.estimators.two_by_two import _restricted_p1

REFERENCE = json.loads((Path(__file__).parent / "reference" / "r_reference_2x2.json").read_text())
CASES = REFERENCE["cases"]


def counts(c):
    return int(c["x1"]), int(c["n1"]), int(c["x2"]), int(c["n2"])


@pytest.mark.parametrize(
    "c", CASES, ids=lambda c: f"{c['x1']}/{c['n1']}-{c['x2']}/{c['n2']}@{c['level']}"
)
def test_against_r(c):
    a = counts(c)
    np.testing.assert_allclose(newcombe_interval(*a, c["level"]), num(c["newcombe"]), rtol=1e-10)
    ref = num(c["exact_or"])
    got = np.array(exact_odds_ratio(*a, c["level"]))
    finite = np.isfinite(ref)
    np.testing.assert_array_equal(np.isfinite(got), finite)
    np.testing.assert_allclose(got[finite], ref[finite], rtol=1e-8, atol=1e-15)
    # and with fisher.test itself, which solves to about 1e-4
    fisher_ref = num(c["fisher_test_or"])
    np.testing.assert_allclose(got[finite], fisher_ref[finite], rtol=2e-3, atol=1e-4)
    assert fisher_p_value(*a) == pytest.approx(c["fisher_p"], rel=1e-10)
    assert fisher_p_value(*a, "greater") == pytest.approx(c["fisher_greater"], rel=1e-10)
    assert fisher_p_value(*a, "less") == pytest.approx(c["fisher_less"], rel=1e-10)
    assert chi_square_p_value(*a) == pytest.approx(c["chisq_correct"], rel=1e-10)
    assert chi_square_p_value(*a, correct=False) == pytest.approx(c["chisq"], rel=1e-10)


def test_newcombe_published_examples():
    # Newcombe (1998), Stat Med 17:873-890, table II, method 10
    lo, hi = newcombe_interval(56, 70, 48, 80, 0.95)
    assert (round(lo, 4), round(hi, 4)) == (0.0524, 0.3339)
    lo, hi = newcombe_interval(9, 10, 3, 10, 0.95)
    assert (round(lo, 4), round(hi, 4)) == (0.1705, 0.8090)


def test_miettinen_nurminen_published_example_and_definition():
    # Newcombe (1998), table II, method 6 (Miettinen-Nurminen score interval)
    lo, hi = miettinen_nurminen_interval(56, 70, 48, 80, 0.95)
    assert (round(lo, 4), round(hi, 4)) == (0.0528, 0.3382)
    # the limits are where the score statistic, with the restricted MLE found numerically,
    # equals z^2 (an independent check of the closed-form restricted MLE)
    x1, n1, x2, n2 = 13, 24, 5, 22

    def statistic(delta):
        def nll(p1):
            p2 = p1 - delta
            return -(
                x1 * np.log(p1)
                + (n1 - x1) * np.log(1 - p1)
                + x2 * np.log(p2)
                + (n2 - x2) * np.log(1 - p2)
            )

        r = optimize.minimize_scalar(
            nll,
            bounds=(max(0, delta) + 1e-12, min(1, 1 + delta) - 1e-12),
            method="bounded",
            options={"xatol": 1e-14},
        )
        p1, p2 = r.x, r.x - delta
        var = (p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2) * (n1 + n2) / (n1 + n2 - 1)
        return (x1 / n1 - x2 / n2 - delta) ** 2 / var

    for limit in miettinen_nurminen_interval(x1, n1, x2, n2, 0.95):
        assert statistic(limit) == pytest.approx(1.959963984540054**2, rel=1e-6)
    assert _restricted_p1(13 / 24, 5 / 22, 24, 22, 0.1) == pytest.approx(0.43380605, rel=1e-7)


def test_woolf_and_risk_ratio_formulas():
    or_, lo, hi = woolf_odds_ratio(13, 24, 5, 22, 0.95)
    assert or_ == pytest.approx((13 * 17) / (11 * 5))
    se = np.sqrt(1 / 13 + 1 / 11 + 1 / 5 + 1 / 17)
    assert lo == pytest.approx(or_ * np.exp(-1.959963984540054 * se))
    assert hi == pytest.approx(or_ * np.exp(1.959963984540054 * se))
    rr, rlo, _ = risk_ratio(13, 24, 5, 22, 0.95)
    assert rr == pytest.approx((13 / 24) / (5 / 22))
    assert rlo == pytest.approx(
        rr * np.exp(-1.959963984540054 * np.sqrt(1 / 13 - 1 / 24 + 1 / 5 - 1 / 22))
    )
    assert np.isnan(risk_ratio(0, 10, 0, 12, 0.95)[0])


def _arms(x1, n1, x2, n2):
    return pl.DataFrame(
        {
            "r": [1] * x1 + [0] * (n1 - x1) + [1] * x2 + [0] * (n2 - x2),
            "arm": ["new"] * n1 + ["ctl"] * n2,
        }
    )


def test_compare_proportions_table():
    c = CASES[0]
    x1, n1, x2, n2 = counts(c)
    res = survstat.compare_proportions(
        _arms(x1, n1, x2, n2), response="r", by="arm", reference="ctl"
    )
    t = res.table
    assert t.columns[:10] == [
        "arm",
        "reference",
        "difference",
        "difference_conf_low",
        "difference_conf_high",
        "odds_ratio",
        "odds_ratio_conf_low",
        "odds_ratio_conf_high",
        "p_value",
        "test",
    ]
    row = t.row(0, named=True)
    assert (row["arm"], row["reference"], row["test"]) == ("new", "ctl", "fisher")
    assert row["p_value"] == pytest.approx(c["fisher_p"], rel=1e-10)
    np.testing.assert_allclose(
        [row["difference_conf_low"], row["difference_conf_high"]], num(c["newcombe"]), rtol=1e-10
    )
    assert row["odds_ratio"] == pytest.approx(num(c["exact_or"])[0], rel=1e-8)
    mn = survstat.compare_proportions(
        _arms(x1, n1, x2, n2),
        response="r",
        by="arm",
        reference="ctl",
        difference_method="miettinen-nurminen",
        test="chi-square",
    ).table
    assert mn["p_value"].item() == pytest.approx(c["chisq_correct"], rel=1e-10)


def test_compare_errors():
    df = _arms(3, 10, 4, 10)
    with pytest.raises(OptionError, match="reference level 'x' not found in `arm`"):
        survstat.compare_proportions(df, response="r", by="arm", reference="x")
    with pytest.raises(OptionError, match="`arm` cannot be both the arm and a stratum"):
        survstat.compare_proportions(df, response="r", by="arm", strata="arm")
    with pytest.raises(OptionError, match="the CMH test needs `strata`"):
        survstat.compare_proportions(df, response="r", by="arm", test="cmh")
    with pytest.raises(survstat.SurvstatError, match="`arm` has a single group"):
        survstat.compare_proportions(df.filter(pl.col("arm") == "new"), response="r", by="arm")
    strat = df.with_columns(site=pl.lit("a"))
    with pytest.raises(OptionError, match="`difference_method` must be one of 'mh-sato'"):
        survstat.compare_proportions(
            strat, response="r", by="arm", strata="site", difference_method="newcombe"
        )
    with pytest.raises(OptionError, match="`difference_method` must be one of 'newcombe'"):
        survstat.compare_proportions(df, response="r", by="arm", difference_method="mh-sato")


def test_cli_compare_rates(tmp_path):
    data = tmp_path / "t.parquet"
    _arms(13, 24, 5, 22).write_parquet(data)
    out = tmp_path / "c.parquet"
    runner = CliRunner()
    r = runner.invoke(
        app,
        [
            "compare-rates",
            str(data),
            "--response",
            "r",
            "--by",
            "arm",
            "--reference",
            "ctl",
            "-o",
            str(out),
        ],
    )
    assert r.exit_code == 0, r.output
    df = pl.read_parquet(out)
    assert df.columns[:10] == [
        "arm",
        "reference",
        "difference",
        "difference_conf_low",
        "difference_conf_high",
        "odds_ratio",
        "odds_ratio_conf_low",
        "odds_ratio_conf_high",
        "p_value",
        "test",
    ]
    assert "Example:" in runner.invoke(app, ["compare-rates", "--help"]).output


def test_cli_compare_rates_stratified(tmp_path):
    c = next(c for c in STRATIFIED if c["name"] == "trial" and c["level"] == 0.95)
    data = tmp_path / "t.parquet"
    _stratified_frame(c["strata"]).write_parquet(data)
    out = tmp_path / "c.parquet"
    args = ["compare-rates", str(data), "--response", "r", "--by", "arm", "--reference", "ctl"]
    args += ["--strata", "site", "--difference-method", "mh-greenland-robins", "-o", str(out)]
    r = CliRunner().invoke(app, args)
    assert r.exit_code == 0, r.output
    row = pl.read_parquet(out).row(0, named=True)
    assert (row["test"], row["difference_method"]) == ("cmh", "mh-greenland-robins")
    np.testing.assert_allclose(
        [row["difference"], row["difference_conf_low"], row["difference_conf_high"]],
        num(c["mh_rd_greenland"]),
        rtol=1e-10,
    )


STRATIFIED = REFERENCE["stratified"]


def _stratified_frame(strata):
    parts = []
    for k, (x1, n1, x2, n2) in enumerate(strata):
        part = _arms(int(x1), int(n1), int(x2), int(n2)).with_columns(site=pl.lit(f"s{k}"))
        parts.append(part)
    return pl.concat(parts)


@pytest.mark.parametrize("c", STRATIFIED, ids=lambda c: f"{c['name']}@{c['level']}")
def test_stratified_matches_mantelhaen(c):
    from survstat.estimators.compare_rates import (
        cmh_test,
        mantel_haenszel_difference,
        mantel_haenszel_odds_ratio,
    )

    tables = [tuple(int(v) for v in s) for s in c["strata"]]
    stat, p = cmh_test(tables)
    assert stat == pytest.approx(c["statistic"], rel=1e-10)
    assert p == pytest.approx(c["p"], rel=1e-10)
    stat0, p0 = cmh_test(tables, correct=False)
    assert stat0 == pytest.approx(c["statistic_uncorrected"], rel=1e-10)
    assert p0 == pytest.approx(c["p_uncorrected"], rel=1e-10)
    odds, lo, hi = mantel_haenszel_odds_ratio(tables, c["level"])
    assert odds == pytest.approx(c["mh_or"], rel=1e-10)
    np.testing.assert_allclose([lo, hi], num(c["conf_int"]), rtol=1e-10)
    # through the data-level API
    t = survstat.compare_proportions(
        _stratified_frame(c["strata"]),
        response="r",
        by="arm",
        reference="ctl",
        strata="site",
        conf_level=c["level"],
    ).table
    row = t.row(0, named=True)
    assert row["test"] == "cmh"
    assert row["p_value"] == pytest.approx(c["p"], rel=1e-10)
    assert row["odds_ratio"] == pytest.approx(c["mh_or"], rel=1e-10)
    assert row["difference_method"] == "mh-sato"
    np.testing.assert_allclose(
        [row["difference"], row["difference_conf_low"], row["difference_conf_high"]],
        num(c["mh_rd_sato"]),
        rtol=1e-10,
    )
    for variance, key in (("sato", "mh_rd_sato"), ("greenland-robins", "mh_rd_greenland")):
        np.testing.assert_allclose(
            mantel_haenszel_difference(tables, c["level"], variance), num(c[key]), rtol=1e-10
        )
    gr = survstat.compare_proportions(
        _stratified_frame(c["strata"]),
        response="r",
        by="arm",
        reference="ctl",
        strata="site",
        conf_level=c["level"],
        difference_method="mh-greenland-robins",
    ).table
    np.testing.assert_allclose(
        gr.select("difference_conf_low", "difference_conf_high").row(0),
        num(c["mh_rd_greenland"])[1:],
        rtol=1e-10,
    )
    w = [(n1 * n2) / (n1 + n2) for _, n1, _, n2 in tables]
    expected = sum(
        wi * (x1 / n1 - x2 / n2) for wi, (x1, n1, x2, n2) in zip(w, tables, strict=True)
    ) / sum(w)
    assert row["difference"] == pytest.approx(expected, rel=1e-12)


def test_stratified_agrees_with_statsmodels():
    from statsmodels.stats.contingency_tables import StratifiedTable

    from survstat.estimators.compare_rates import cmh_test, mantel_haenszel_odds_ratio

    strata = [(13, 24, 5, 22), (10, 20, 8, 21), (7, 15, 4, 16)]
    tables = [np.array([[x1, n1 - x1], [x2, n2 - x2]]) for x1, n1, x2, n2 in strata]
    st = StratifiedTable(tables)
    odds, lo, hi = mantel_haenszel_odds_ratio(strata, 0.95)
    assert odds == pytest.approx(st.oddsratio_pooled, rel=1e-12)
    np.testing.assert_allclose([lo, hi], st.oddsratio_pooled_confint(), rtol=1e-10)
    assert cmh_test(strata, correct=True)[1] == pytest.approx(
        st.test_null_odds(correction=True).pvalue, rel=1e-10
    )
