"""The ACTIM case study: imatinib plus pioglitazone in CML (Rousselot et al., Cancer 2017).

``examples/actim.toml`` runs on the bundled SYNTHETIC SDTM DM and LB of
:func:`survstat.datasets.synthetic_actim.actim_sdtm`; these tests check its tables against R
(``tests/reference/make_reference_actim.R``), that every number the README's case study
quotes is the one the job writes, the rule of the patients evaluable at month 48, and that the
bundled files are the generator's output (``python tests/reference/make_actim_inputs.py``
rewrites them, and the per-patient times R reads, after a deliberate change).
"""

from __future__ import annotations

import importlib.util
import json
import math
from pathlib import Path

import polars as pl
import pytest
from case_studies import ROOT, assert_quoted, readme_case_study, run_example

import survstat
from survstat.datasets.synthetic import SDTM_LABELS
from survstat.datasets.synthetic_actim import BUNDLED, actim_sdtm, write_bundled
from survstat.io import read_table_file

REFERENCE = ROOT / "tests" / "reference"
SECTION = readme_case_study("ACTIM")


def _inputs_script():
    """``tests/reference/make_actim_inputs.py``, the script that writes what R reads."""
    spec = importlib.util.spec_from_file_location(
        "make_actim_inputs", REFERENCE / "make_actim_inputs.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", list(BUNDLED))
def test_bundled_files_are_the_generator_output(tmp_path, name):
    write_bundled(tmp_path)
    assert (
        Path(survstat.datasets.path(name)).read_bytes() == (tmp_path / f"{name}.xpt").read_bytes()
    )
    frame = dict(zip(BUNDLED, actim_sdtm(), strict=True))[name]
    expected = frame.with_columns(
        [pl.col(c).fill_null("") for c, t in frame.schema.items() if t == pl.String]
        + [pl.col(c).cast(pl.Float64) for c, t in frame.schema.items() if t.is_integer()]
    )
    got, labels = read_table_file(survstat.datasets.path(name))
    assert got.equals(expected)
    assert labels == {c: SDTM_LABELS[c] for c in frame.columns}


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return run_example("actim", tmp_path_factory.mktemp("actim") / "results", report=True)


def _table(out: Path, name: str) -> pl.DataFrame:
    return pl.read_parquet(out / f"{name}.parquet")


def _row(table: pl.DataFrame, estimator: str, population: str = "all") -> dict:
    rows = table.filter((pl.col("estimator") == estimator) & (pl.col("population") == population))
    assert rows.height == 1
    return rows.row(0, named=True)


def _pct(x: float) -> str:
    return f"{100 * x:.1f}"


def _estimate(row: dict) -> str:
    """``56.5% (37.9–76.7)``, as the README quotes an estimate and its interval."""
    return f"{_pct(row['estimate'])}% ({_pct(row['conf_low'])}–{_pct(row['conf_high'])})"


def test_the_job_writes_every_table_figure_and_the_report(out):
    for name in ("labs", "patients", "mr45_by_12", "mr45_response_12", "mr45_by_48"):
        assert (out / f"{name}.parquet").is_file()
    for name in ("mr45_endpoints", "single_arm", "simon", "oc_as_run"):
        assert (out / f"{name}.parquet").is_file()
    for name in ("trajectories", "mr45_incidence"):
        assert (out / f"{name}.png").read_bytes()[:4] == b"\x89PNG"
    assert (out / "report.html").is_file()
    patients = _table(out, "patients")
    assert patients.columns == ["patient_id", "arm", "start_date", "last_follow_up", "death"]
    assert patients.height == 24
    labs = _table(out, "labs")
    assert labs.get_column("patient_id").n_unique() == 24
    assert labs.columns[:4] == ["patient_id", "sample_id", "sample_date", "time"]


@pytest.mark.parametrize("name", ["mr45_by_12", "mr45_by_48"])
def test_four_estimators_in_one_table(out, name):
    from survstat.analyses.cml_estimators import COLUMNS

    table = _table(out, name)
    assert table.columns == list(COLUMNS)
    assert table.select("estimator", "population").rows() == [
        ("one_minus_km", "all"),
        ("cumulative_incidence", "all"),
        ("rate", "all"),
        ("rate", "followed"),
    ]
    assert table.get_column("reason").null_count() == 4
    month = 12 if name.endswith("12") else 48
    assert table.get_column("evaluated_at").to_list() == [float(month)] * 4


def test_the_estimators_equal_r(out):
    """survfit log(-log), cuminc with the log(-log) interval, binom.test (to 1e-8)."""
    ref = json.loads((REFERENCE / "r_reference_actim.json").read_text())
    keys = {
        "one_minus_km": ("one_minus_km", "all"),
        "incidence": ("cumulative_incidence", "all"),
        "rate_all": ("rate", "all"),
        "rate_followed": ("rate", "followed"),
    }
    for month in (12, 48):
        table = _table(out, f"mr45_by_{month}")
        for key, (estimator, population) in keys.items():
            want, got = ref[f"by_{month}"][key], _row(table, estimator, population)
            for value in ("estimate", "conf_low", "conf_high"):
                assert got[value] == pytest.approx(want[value], rel=1e-8), (month, key, value)
            if key.startswith("rate"):
                assert (got["n"], got["n_responders"]) == (want["n"], want["x"])
            if key.startswith("rate") and month == 12:
                assert got["p_value"] == pytest.approx(want["p_value"], rel=1e-8)
            else:
                assert "p_value" not in want
                assert got["p_value"] is None


def test_month_48_is_not_tested_against_the_month_12_expectation(out):
    """23% is the month-12 rate expected on imatinib alone: no null rate by month 48."""
    table = _table(out, "mr45_by_48")
    assert table.get_column("null_rate").null_count() == 4
    assert table.get_column("p_value").null_count() == 4
    assert table.get_column("alternative").null_count() == 4
    by_12 = _table(out, "mr45_by_12").filter(pl.col("estimator") == "rate")
    assert by_12.get_column("null_rate").to_list() == [0.23, 0.23]
    assert_quoted(SECTION, "The month-48 rates carry no test")


def test_the_section_says_followed_in_the_study_not_on_treatment():
    """DM's RFPENDTC is the end of participation: it cannot say who was still on imatinib."""
    flat = " ".join(SECTION.split())
    assert "followed in the study to month 48" in flat
    assert "followed on" not in flat
    assert_quoted(SECTION, "DM records the end of participation, not the end of treatment")


def test_r_reads_the_times_of_the_bundled_cohort():
    script = _inputs_script()
    assert script.ENDPOINTS_CSV == REFERENCE / "data" / "actim_endpoints.csv"
    assert pl.read_csv(script.ENDPOINTS_CSV).equals(script.actim_endpoints())


def test_the_evaluable_patients_are_those_followed_to_month_48_in_dm(out):
    """By hand from DM: end of participation on or after the month-48 day (1,461 days = 48 x
    365.25 / 12) and no death: the patients the followed rate counts."""
    dm = survstat.datasets.load("actim_dm")
    days = (pl.col("RFPENDTC").str.to_date() - pl.col("RFSTDTC").str.to_date()).dt.total_days()
    assert (dm.get_column("DTHDTC") == "").all()
    by_hand = set(dm.filter(days >= 1461).get_column("USUBJID"))
    assert len(by_hand) == 17
    ends = _table(out, "mr45_endpoints")
    followed = _row(_table(out, "mr45_by_48"), "rate", "followed")
    assert followed["n"] == len(by_hand)
    in_mr45 = ends.filter(
        pl.col("patient_id").is_in(list(by_hand))
        & (pl.col("cause") == 1)
        & (pl.col("time") <= 48.0)
    )
    assert followed["n_responders"] == in_mr45.height == 15
    # the patient who stopped: one sample before the start, censored at 1.9 months
    stopped = _table(out, "patients").sort("last_follow_up").row(0, named=True)
    assert f"{stopped['last_follow_up']:.1f}" == "1.9"
    assert_quoted(SECTION, "stops at 1.9 months")


def test_every_number_of_the_month_12_table_is_quoted(out):
    table = _table(out, "mr45_by_12")
    km = _row(table, "one_minus_km")
    assert_quoted(SECTION, f"the stop censored) | {_estimate(km)} |")
    assert_quoted(
        SECTION, f"cmprsk variance, log(-log)) | {_estimate(_row(table, 'cumulative_incidence'))} |"
    )
    every = _row(table, "rate")
    assert (every["n"], every["n_responders"]) == (24, 13)
    p = f"{every['p_value']:.4f}"
    assert_quoted(
        SECTION, f"| exact rate of all 24 (Clopper–Pearson) | 13/24 = {_estimate(every)}, p = {p} |"
    )
    assert_quoted(SECTION, f"13 of 24 has a one-sided exact p of {p}")
    followed = _row(table, "rate", "followed")
    assert (followed["n"], followed["n_responders"]) == (23, 13)
    p = f"{followed['p_value']:.4f}"
    assert_quoted(
        SECTION,
        f"| exact rate of the 23 followed to month 12 | 13/23 = {_estimate(followed)}, p = {p} |",
    )
    # the published 56% (37-76) is 1 - Kaplan-Meier truncated; rounded it would be 57% (38-77)
    cut = [math.floor(100 * km[v]) for v in ("estimate", "conf_low", "conf_high")]
    assert cut == [56, 37, 76]
    assert_quoted(SECTION, f"**{cut[0]}% (95% CI {cut[1]}–{cut[2]})**")
    assert_quoted(SECTION, f"The paper's {cut[0]}% ({cut[1]}–{cut[2]}) is the first row truncated")
    shown = [_pct(km[v]) for v in ("estimate", "conf_low", "conf_high")]
    assert_quoted(
        SECTION, f"({shown[0]}, {shown[1]} and {shown[2]} cut to {cut[0]}, {cut[1]} and {cut[2]})"
    )
    rounded = [round(100 * km[v]) for v in ("estimate", "conf_low", "conf_high")]
    assert_quoted(SECTION, f"it would read {rounded[0]}% ({rounded[1]}–{rounded[2]})")


def test_every_number_of_month_48_is_quoted(out):
    table = _table(out, "mr45_by_48")
    followed = _row(table, "rate", "followed")
    n, x = followed["n"], followed["n_responders"]
    assert_quoted(
        SECTION, f"are {n}, and {x} of them are in MR4.5: **{x}/{n} = {_estimate(followed)}**"
    )
    assert_quoted(SECTION, f"the paper's {round(100 * followed['estimate'])}% of {n}")
    assert_quoted(SECTION, f"**88% of the {n} evaluable patients**")
    every = _row(table, "rate")
    assert_quoted(SECTION, f"{every['n_responders']}/{every['n']} = {_estimate(every)}")
    assert_quoted(SECTION, f"1 − Kaplan–Meier gives {_estimate(_row(table, 'one_minus_km'))}")
    leavers = every["n"] - n - 1  # all but the followed and the one who stopped
    assert_quoted(SECTION, f"{leavers}\nleave between months 12 and 48")


def test_the_designs_quoted_are_the_jobs(out):
    rows = {r["design"]: r for r in _table(out, "single_arm").iter_rows(named=True)}
    smallest, single = rows["smallest"], rows["stable"]
    # the job's first row is the smallest design; the stable one is ACTIM's size
    assert _table(out, "single_arm").get_column("design").to_list() == ["smallest", "stable"]
    assert (smallest["n"], single["n"]) == (21, 24)
    assert_quoted(
        SECTION,
        f"**{smallest['n']} patients, success with {smallest['critical_responders']} or more "
        f"responders** (the `smallest` row: alpha {smallest['alpha']:.3f}, power "
        f"{smallest['power']:.3f})",
    )
    assert_quoted(
        SECTION,
        f"**{single['n']} patients, success with {single['critical_responders']} or more "
        f"responders** (alpha {single['alpha']:.3f}, power {single['power']:.3f}), the size "
        "ACTIM enrolled",
    )
    # the stable n is the first after the last failing n (so n - 1 fails)
    assert single["n"] - 1 > smallest["n"]
    assert_quoted(SECTION, f"monotone in n and {single['n'] - 1} patients fall short")
    simon = {r["design"]: r for r in _table(out, "simon").iter_rows(named=True)}
    for design, text in (("optimal", "optimal design"), ("minimax", "minimax")):
        r = simon[design]
        assert_quoted(SECTION, f"{text} {r['r1']}/{r['n1']}, {r['r']}/{r['n']}")
    oc = dict(_table(out, "oc_as_run").select("true_rate", "p_success").iter_rows())
    assert_quoted(
        SECTION,
        f"the chance of {single['critical_responders']} or more responders is "
        f"{_pct(oc[0.23])}% if the true rate is 23% and {_pct(oc[0.5])}% if it is 50%; the "
        f"{_row(_table(out, 'mr45_by_12'), 'rate')['n_responders']} observed clear it",
    )


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_any_seed_gives_the_published_figures(seed):
    """The outcomes are fixed and only drawn onto patients: any seed gives 13/23 by month 12
    (3, 4, 3 and 3 first responses at the visits of months 3, 6, 9 and 12), the stop at 1.9
    months, and 15 of the 17 followed to month 48."""
    from survstat.analyses.cml_estimators import response_estimators
    from survstat.endpoints.cml_endpoints import response_endpoints
    from survstat.endpoints.sdtm_lb import dm_cml_patients, lb_labs

    dm, lb = actim_sdtm(seed)
    labs, patients = lb_labs(lb, dm), dm_cml_patients(dm)
    by_12 = response_estimators(labs, patients, landmark=12)
    km = _row(by_12, "one_minus_km")
    assert km["estimate"] == pytest.approx(13 / 23, abs=1e-12)
    assert (km["n"], km["n_responders"]) == (24, 13)
    followed = _row(response_estimators(labs, patients, landmark=48), "rate", "followed")
    assert (followed["n"], followed["n_responders"]) == (17, 15)
    assert f"{patients.get_column('last_follow_up').min():.1f}" == "1.9"
    ends = response_endpoints(labs, patients, level="MR4.5", landmark=12)
    visits = ends.filter(pl.col("responded_by_landmark")).select(
        (pl.col("first_response_time") / 3).round().cast(pl.Int64).alias("visit")
    )
    assert visits.get_column("visit").value_counts(sort=True).sort("visit").rows() == [
        (1, 3),
        (2, 4),
        (3, 3),
        (4, 3),
    ]
