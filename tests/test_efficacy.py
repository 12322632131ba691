"""The per-arm efficacy table composes the estimators exactly."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest

import survstat
from survstat.endpoints.efficacy import biomarker_subgroups, efficacy_table
from survstat.errors import OptionError, SurvstatError


def _trial(seed: int = 1, n: int = 90) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    return pl.DataFrame(
        {
            "arm": np.repeat(["A", "B", "C"], n // 3),
            "pfs_time": rng.exponential(300, n).round(),
            "pfs_event": rng.uniform(size=n) < 0.8,
            "objective_response": rng.uniform(size=n) < 0.3,
            "clinical_benefit": rng.uniform(size=n) < 0.5,
            "site": rng.choice(["x", "y"], n),
        }
    )


def test_matches_the_estimators():
    df = _trial()
    t = efficacy_table(df, reference="B")
    assert t["arm"].to_list() == ["B", "A", "C"]
    row = {r["arm"]: r for r in t.iter_rows(named=True)}
    orr = survstat.proportion(df, response="objective_response", by="arm").table
    for r in orr.iter_rows(named=True):
        got = row[r["arm"]]
        assert (got["n"], got["n_responders"]) == (r["n"], r["n_responders"])
        assert got["orr_conf_low"] == pytest.approx(r["conf_low"], rel=1e-12)
    km = survstat.kaplan_meier(df, time="pfs_time", event="pfs_event", by="arm")
    med = dict(km.median().select("arm", "time").iter_rows())
    assert row["A"]["pfs_median"] == med["A"]
    at = km.at([182.625]).filter(pl.col("arm") == "C")
    assert row["C"]["pfs_rate_6m"] == pytest.approx(at["survival"].item(), rel=1e-12)
    fit = survstat.cox(
        df, time="pfs_time", event="pfs_event", covariates=["arm"], reference={"arm": "B"}
    )
    hr = dict(fit.table.select("term", "hazard_ratio").iter_rows())
    assert row["C"]["hazard_ratio"] == pytest.approx(hr["arm[C]"], rel=1e-12)
    assert row["B"]["hazard_ratio"] is None
    pair = df.filter(pl.col("arm").is_in(["A", "B"]))
    lr = survstat.logrank(pair, time="pfs_time", event="pfs_event", by="arm")
    assert row["A"]["logrank_p_value"] == pytest.approx(lr.table["p_value"].item(), rel=1e-12)
    assert row["A"]["pfs_events"] == df.filter(pl.col("arm") == "A")["pfs_event"].sum()


def test_stratified_and_custom_rates():
    df = _trial(2)
    t = efficacy_table(df, strata="site", rate_times={"3m": 91.3})
    assert "pfs_rate_3m_conf_high" in t.columns
    fit = survstat.cox(df, time="pfs_time", event="pfs_event", covariates=["arm"], strata="site")
    hr = dict(fit.table.select("term", "hazard_ratio").iter_rows())
    assert t.filter(pl.col("arm") == "B")["hazard_ratio"].item() == pytest.approx(
        hr["arm[B]"], rel=1e-12
    )


def test_errors():
    df = _trial()
    with pytest.raises(OptionError, match="reference arm 'Z' not found"):
        efficacy_table(df, reference="Z")
    with pytest.raises(SurvstatError, match="needs at least two arms"):
        efficacy_table(df.filter(pl.col("arm") == "A"))
    with pytest.raises(survstat.errors.ColumnNotFoundError, match="`clinical_benefit`"):
        efficacy_table(df.drop("clinical_benefit"))


SUBGROUP_REFERENCE = json.loads(
    (Path(__file__).parent / "reference" / "r_reference_subgroups.json").read_text()
)


@pytest.mark.parametrize("strata", [None, "site"])
def test_biomarker_subgroups_match_coxph(strata):
    df = pl.read_csv(Path(__file__).parent / "reference" / "data" / "subgroups.csv")
    res = biomarker_subgroups(df, biomarker="pakt", reference="A", strata=strata)
    ref = SUBGROUP_REFERENCE["site" if strata else "none"]
    assert res.cutpoint == pytest.approx(SUBGROUP_REFERENCE["cutpoint"], rel=1e-12)
    inter = res.interaction.row(0, named=True)
    assert inter["statistic"] == pytest.approx(ref["statistic"], rel=1e-8)
    assert inter["p_value"] == pytest.approx(ref["p_value"], rel=1e-8)
    assert inter["df"] == 2
    for sub in ("low", "high"):
        got = res.table.filter((pl.col("subgroup") == sub) & (pl.col("arm") != "A")).sort("arm")
        for col in ("hazard_ratio", "conf_low", "conf_high"):
            name = col if col == "hazard_ratio" else f"hr_{col}"
            np.testing.assert_allclose(got[name].to_numpy(), ref["hr"][sub][col], rtol=1e-8)
    # the subgroup sizes add up and the reference rows carry no hazard ratio
    assert res.table["n"].sum() == df.height
    assert res.table.filter(pl.col("arm") == "A")["hazard_ratio"].null_count() == 2


def test_biomarker_subgroup_errors():
    df = pl.read_csv(Path(__file__).parent / "reference" / "data" / "subgroups.csv")
    with pytest.raises(OptionError, match="`site` must be numeric"):
        biomarker_subgroups(df, biomarker="site")
    with pytest.raises(SurvstatError, match=r"biomarker-high subgroup \(0 patients"):
        biomarker_subgroups(df, biomarker="pakt", cutpoint=99.0)
    missing = df.with_columns(
        pl.when(pl.int_range(pl.len()) < 5).then(None).otherwise(pl.col("pakt")).alias("pakt")
    )
    assert biomarker_subgroups(missing, biomarker="pakt").n_excluded == 5
