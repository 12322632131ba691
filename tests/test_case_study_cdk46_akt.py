"""The CDK4/6-AKT case study: its SYNTHETIC cohort, its job's tables against R, and every
number its README subsection quotes."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from case_studies import assert_quoted, readme_case_study, run_example

import survstat
from survstat.datasets.synthetic_cdk46_akt import (
    ARMS,
    MEDIAN_CDK_HIGH,
    MEDIAN_CDK_LOW,
    MEDIAN_ET,
    SYNTHETIC_NOTE,
    TRUE_CUT,
    cdk46_akt,
)

REFERENCE = json.loads(
    (Path(__file__).parent / "reference" / "r_reference_cdk46_akt.json").read_text()
)
SECTION = readme_case_study("CDK4/6 and AKT co-targeting")
RTOL = 1e-8


@pytest.fixture(scope="module")
def out(tmp_path_factory) -> Path:
    return run_example("cdk46_akt", tmp_path_factory.mktemp("cdk46") / "out", report=True)


def _read(out: Path, name: str) -> pl.DataFrame:
    return pl.read_parquet(out / f"{name}.parquet")


def _ci(row: dict, est: str = "median", low: str = "conf_low", high: str = "conf_high") -> str:
    return f"{row[est]:.1f} ({row[low]:.1f}–{row[high]:.1f})"


def _hr(value: float, low: float, high: float) -> str:
    return f"{value:.2f} ({low:.2f}–{high:.2f})"


# the cohort ---------------------------------------------------------------------------------


def test_bundled_file_is_the_generator_output():
    assert survstat.datasets.load("cdk46_akt_cohort").equals(cdk46_akt())


def test_bundled_file_says_it_is_synthetic():
    import pyarrow.parquet as pq

    meta = pq.read_schema(survstat.datasets.path("cdk46_akt_cohort")).metadata
    assert json.loads(meta[b"survstat"])["note"] == SYNTHETIC_NOTE
    assert "SYNTHETIC" in survstat.datasets.names()["cdk46_akt_cohort"]


def test_cohort_design():
    d = cdk46_akt()
    assert d.height == 150
    assert d.group_by("arm").len().sort("arm").rows() == [(ARMS[0], 100), (ARMS[1], 50)]
    assert (d["CDKFL"] == "Y").to_list() == (d["arm"] == ARMS[0]).to_list()
    assert d["pakt_hscore"].dtype == pl.Int64
    assert d["pakt_hscore"].min() >= 0  # type: ignore[operator]
    assert d["pakt_hscore"].max() <= 300  # type: ignore[operator]
    assert d["USUBJID"].n_unique() == 150
    assert set(d["pfs_event"].unique()) == {0, 1}
    assert d["pfs_months"].min() > 0  # type: ignore[operator]


def test_large_draw_has_the_designed_medians():
    """The model's medians, on a large draw: the Kaplan-Meier median of each arm x pAKT cell
    (patients without visceral metastases, whose hazard is not multiplied) is the designed
    one."""
    d = cdk46_akt(seed=11, n_cdk=20000, n_et=10000).filter(pl.col("visceral") == "no")
    for arm, high, median in [
        (ARMS[0], False, MEDIAN_CDK_LOW),
        (ARMS[0], True, MEDIAN_CDK_HIGH),
        (ARMS[1], False, MEDIAN_ET),
        (ARMS[1], True, MEDIAN_ET / 1.1),
    ]:
        cell = d.filter((pl.col("arm") == arm) & ((pl.col("pakt_hscore") > TRUE_CUT) == high))
        fit = survstat.kaplan_meier(cell, time="pfs_months", event="pfs_event")
        assert fit.median()["time"].item() == pytest.approx(median, rel=0.08), (arm, high)


# the job against R --------------------------------------------------------------------------


def test_cutpoint_equals_maxstat(out):
    row = _read(out, "pakt_cutpoint").row(0, named=True)
    ref = REFERENCE["cutpoint"]
    assert row["cutpoint"] == ref["estimate"]
    assert row["statistic"] == pytest.approx(ref["statistic"], rel=RTOL)
    assert row["p_value"] == pytest.approx(ref["p_value"], rel=RTOL)
    assert (row["n_low"], row["n_high"]) == (ref["n_low"], ref["n_high"])
    assert "validate" in row["note"]


def test_dichotomise_step_labels_every_patient_at_that_cut(out):
    groups = _read(out, "cohort_groups")
    assert groups.columns == [*cdk46_akt().columns, "pakt_group"]
    assert groups.schema["pakt_group"] == pl.Enum(["low", "high"])
    expected = np.where(
        groups["pakt_hscore"].to_numpy() <= REFERENCE["cutpoint"]["estimate"], "low", "high"
    )
    assert groups["pakt_group"].cast(pl.String).to_list() == expected.tolist()
    searched = _read(out, "cohort_groups.cutpoint")
    assert searched.equals(_read(out, "pakt_cutpoint"))


def test_medians_equal_survfit(out):
    ref = REFERENCE["medians"]
    table = _read(out, "pfs_by_pakt")
    assert table["pakt_group"].cast(pl.String).to_list() == ref["group"]
    assert table["n"].to_list() == ref["n"]
    assert table["n_event"].to_list() == ref["n_event"]
    for col in ("median", "conf_low", "conf_high"):
        np.testing.assert_allclose(table[col].to_numpy(), ref[col], rtol=RTOL)
    # the cut-point's own groups table says the same
    assert _read(out, "pakt_cutpoint.groups")["median"].to_list() == table["median"].to_list()


def test_logrank_equals_survdiff(out):
    row = _read(out, "pakt_logrank").row(0, named=True)
    assert row["statistic"] == pytest.approx(REFERENCE["logrank"]["statistic"], rel=RTOL)
    assert row["p_value"] == pytest.approx(REFERENCE["logrank"]["p_value"], rel=RTOL)


def test_adjusted_hazard_ratio_equals_coxph(out):
    ref = REFERENCE["cox"]
    table = _read(out, "pakt_cox")
    assert table["term"].to_list() == ["pakt_group[high]", "age", "visceral[yes]"]
    for col in ("hazard_ratio", "conf_low", "conf_high", "p_value"):
        np.testing.assert_allclose(table[col].to_numpy(), ref[col], rtol=1e-7)


def test_unadjusted_hazard_ratio_equals_coxph(out):
    row = _read(out, "pakt_cutpoint").row(0, named=True)
    # coxph(Surv ~ grp) on the CDK4/6 inhibitor patients: the hazard ratio of pakt_cutpoint
    groups = _read(out, "cohort_groups").filter(pl.col("CDKFL") == "Y")
    fit = survstat.cox(groups, time="pfs_months", event="pfs_event", covariates=["pakt_group"])
    assert fit.table["hazard_ratio"].item() == pytest.approx(row["hazard_ratio"], rel=1e-10)


def test_interactions_equal_anova(out):
    table = _read(out, "pakt_interaction")
    assert table["marker"].to_list() == ["pakt_hscore", "pakt_group"]
    for row, ref in zip(table.iter_rows(named=True), REFERENCE["interaction"], strict=True):
        assert row["df"] == ref["df"]
        for col in ("statistic", "p_value", "interaction_hr", "conf_low", "conf_high"):
            assert row[col] == pytest.approx(ref[col], rel=1e-7), (row["marker"], col)


def test_subgroup_hazard_ratios_equal_coxph(out):
    ard = _read(out, "pakt_subgroups").filter(
        (pl.col("statistic") == "hazard_ratio") & (pl.col("subgroup") == "pakt_group")
    )
    for ref in REFERENCE["subgroups"]:
        row = ard.filter(pl.col("level") == ref["level"]).row(0, named=True)
        for col, ref_col in (
            ("estimate", "hazard_ratio"),
            ("conf_low", "conf_low"),
            ("conf_high", "conf_high"),
        ):
            assert row[col] == pytest.approx(ref[ref_col], rel=1e-7)


def test_figures_and_report_are_written(out):
    for name in ("km_pakt", "km_arm_pakt", "pakt_forest"):
        assert (out / f"{name}.png").read_bytes()[:4] == b"\x89PNG"
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "validate it in independent data" in html


# every number the README quotes -------------------------------------------------------------


def test_readme_quotes_the_cutpoint(out):
    row = _read(out, "pakt_cutpoint").row(0, named=True)
    n_splits = _read(out, "pakt_cutpoint.statistics").height
    assert_quoted(SECTION, f"over the {n_splits} H-scores searched")
    assert_quoted(SECTION, f"({row['minprop']:.0%} to {row['maxprop']:.0%} of the patients")
    assert_quoted(SECTION, f"the best of {n_splits}")
    assert_quoted(SECTION, f"M = {row['statistic']:.2f} at an H-score of {row['cutpoint']:g}")
    assert_quoted(SECTION, f"{row['n_low']} patients low, {row['n_high']} high")
    assert_quoted(SECTION, f"is p = {row['p_value']:.2g}")
    assert_quoted(SECTION, f"H-score <= {row['cutpoint']:g}")
    assert_quoted(SECTION, f"H-score > {row['cutpoint']:g}")
    logrank = _read(out, "pakt_logrank").row(0, named=True)
    assert_quoted(SECTION, f"(p = {logrank['p_value']:.1g}, the one on the figure)")


def test_readme_quotes_the_medians(out):
    table = _read(out, "pfs_by_arm_pakt")
    label = {ARMS[0]: "ET + CDK4/6i", ARMS[1]: "ET alone"}
    for arm in ARMS:
        rows = {
            r["pakt_group"]: r for r in table.filter(pl.col("arm") == arm).iter_rows(named=True)
        }
        low, high = rows["low"], rows["high"]
        assert_quoted(
            SECTION,
            f"| {label[arm]} | {_ci(low)}, n = {low['n']} | {_ci(high)}, n = {high['n']} |",
        )
    # the CDK4/6 inhibitor rows are those of pfs_by_pakt
    cdk = _read(out, "pfs_by_pakt")
    assert cdk["median"].to_list() == table.filter(pl.col("arm") == ARMS[0])["median"].to_list()


def test_readme_quotes_the_hazard_ratios(out):
    row = _read(out, "pakt_cutpoint").row(0, named=True)
    assert_quoted(
        SECTION,
        f"high against -low is {row['hazard_ratio']:.2f} (95% CI {row['conf_low']:.2f}–"
        f"{row['conf_high']:.2f})",
    )
    assert_quoted(SECTION, f"the hazard ratio of {row['hazard_ratio']:.2f} at the chosen cut")
    cox = _read(out, "pakt_cox").row(0, named=True)
    assert_quoted(
        SECTION,
        f"and {_hr(cox['hazard_ratio'], cox['conf_low'], cox['conf_high'])} adjusted for age",
    )


def test_readme_quotes_the_interaction(out):
    rows = {r["marker"]: r for r in _read(out, "pakt_interaction").iter_rows(named=True)}
    assert_quoted(SECTION, f"p = {rows['pakt_hscore']['p_value']:.2g} on the continuous H-score")
    group = rows["pakt_group"]
    assert_quoted(SECTION, f"p = {group['p_value']:.2g} on the dichotomised one")
    assert_quoted(SECTION, f"high against low, {group['interaction_hr']:.2f})")
    ard = _read(out, "pakt_subgroups").filter(
        (pl.col("statistic") == "hazard_ratio") & (pl.col("subgroup") == "pakt_group")
    )
    hr = {r["level"]: r for r in ard.iter_rows(named=True)}
    low, high = hr["low"], hr["high"]
    assert_quoted(
        SECTION,
        f"endocrine therapy alone is {_hr(low['estimate'], low['conf_low'], low['conf_high'])}",
    )
    assert_quoted(
        SECTION,
        f"within pAKT-high patients {_hr(high['estimate'], high['conf_low'], high['conf_high'])}",
    )


def test_readme_describes_the_cohort_the_generator_makes():
    d = cdk46_akt()
    n_cdk = d.filter(pl.col("CDKFL") == "Y").height
    assert_quoted(SECTION, f"{d.height} patients with HR-positive advanced breast cancer, {n_cdk}")
    assert_quoted(SECTION, f"and {d.height - n_cdk} on endocrine therapy alone")
    assert_quoted(
        SECTION,
        f"true median PFS is {MEDIAN_CDK_LOW:g} months at an H-score of at most {TRUE_CUT} and "
        f"{MEDIAN_CDK_HIGH:g} months above it",
    )
    assert_quoted(SECTION, f"alone it is {MEDIAN_ET:g} months whatever the H-score")


def test_figure_footnote_gives_the_searched_cut_and_the_adjusted_p(out):
    """The km_pakt figure travels without the README: its footnote (the job's and the README
    commands') says that the cut was searched in these patients, with the adjusted p."""
    import tomllib

    job = tomllib.loads((Path(__file__).parent.parent / "examples" / "cdk46_akt.toml").read_text())
    footnote = next(s for s in job["step"] if s["name"] == "km_pakt")["footnote"]
    # the figure of both arms has the same groups, so the same footnote
    assert next(s for s in job["step"] if s["name"] == "km_arm_pakt")["footnote"] == footnote
    row = _read(out, "pakt_cutpoint").row(0, named=True)
    assert f"pAKT low: H-score <= {row['cutpoint']:g}, a cut-point chosen by maximally" in footnote
    assert "selected log-rank statistics in these patients" in footnote
    assert f"(adjusted p, {row['p_method']}: {row['p_value']:.2g})" in footnote
    # the case study's command and the gallery's draw the same footnote
    assert_quoted(SECTION, f'--footnote "{footnote}"')
    readme = " ".join((Path(__file__).parent.parent / "README.md").read_text().split())
    assert readme.count(f'--footnote "{footnote}"') == 2
    assert_quoted(SECTION, f"the p-value adjusted for that search is {row['p_value']:.2g}")
