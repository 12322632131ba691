"""The alpelisib case series: the job runs, writes its tables, and the README quotes them.

The bundled data are the seeded generator's output; every number the README's subsection
quotes is formatted from the job's tables and found in the subsection.
"""

from __future__ import annotations

import json

import polars as pl
import pytest
from case_studies import ROOT, assert_quoted, readme_case_study, run_example

import survstat
from survstat.datasets.synthetic_alpelisib import PLANNED_DOSE, alpelisib_series
from survstat.endpoints.change_from_baseline import SUMMARY_COLUMNS
from survstat.endpoints.dose_intensity import SUBJECT_COLUMNS

SECTION = readme_case_study("Alpelisib-induced hyperinsulinaemia")


@pytest.fixture(scope="module")
def out(tmp_path_factory):
    return run_example("alpelisib_series", tmp_path_factory.mktemp("alpelisib"), report=True)


def _read(out, name):
    return pl.read_parquet(out / f"{name}.parquet")


def test_bundled_files_are_the_generator_output():
    exposure, labs, patients = alpelisib_series()
    for name, table in (
        ("alpelisib_exposure", exposure),
        ("alpelisib_labs", labs),
        ("alpelisib_patients", patients),
    ):
        assert survstat.datasets.load(name).equals(table), name
        meta = survstat.io.read_metadata(survstat.datasets.path(name))
        assert "not real patients" in meta["note"]
        assert "SYNTHETIC" in survstat.datasets.names()[name]


def test_series_design():
    exposure, labs, patients = alpelisib_series()
    assert patients.height == 4
    assert exposure.get_column("planned_dose").unique().to_list() == [PLANNED_DOSE]
    assert set(labs.get_column("PARAMCD")) == {"GLUC", "INSULIN"}
    assert patients.get_column("dor_event").sum() == 1  # one progression: median not reached
    # two patients on pioglitazone before alpelisib, two after the glucose rose
    assert sorted(patients.get_column("pioglitazone_day").to_list()) == [-14, -10, 18, 22]


def test_the_job_writes_its_tables_figures_and_report(out):
    for name in ("rdi_figure", "labs_figure", "labs_change_figure", "swimmer", "dor_km_figure"):
        assert (out / f"{name}.png").stat().st_size > 10_000, name
    assert (out / "report.html").is_file()
    rdi = _read(out, "rdi")
    assert rdi.columns == ["subject_id", *SUBJECT_COLUMNS]
    assert _read(out, "rdi.over_time").columns == [
        "subject_id",
        "day",
        "dose",
        "cumulative_dose",
        "planned_cumulative_dose",
        "relative_dose_intensity",
    ]
    bds = _read(out, "labs_change")
    assert bds.columns[-5:] == ["ABLFL", "BASE", "CHG", "PCHG", "note"]
    # one baseline per patient and lab, on day 1 (the pre-dose sample)
    base = bds.filter(pl.col("ABLFL") == "Y")
    assert base.height == 8
    assert base.get_column("ADY").unique().to_list() == [1]
    assert bds.get_column("note").null_count() == bds.height
    summary = _read(out, "labs_change.summary")
    assert summary.columns == ["subject_id", "PARAMCD", *SUMMARY_COLUMNS]


def test_rdi_against_the_exposure_by_hand(out):
    rdi = {r["subject_id"]: r for r in _read(out, "rdi").iter_rows(named=True)}
    # P2: days 1-14 at 300, 15-21 interrupted, 22-84 at 250, 85-610 at 300
    delivered = 14 * 300 + 63 * 250 + 526 * 300
    assert rdi["P2"]["relative_dose_intensity"] == pytest.approx(delivered / (610 * 300), rel=1e-12)
    assert (rdi["P2"]["days_interrupted"], rdi["P2"]["n_reductions"]) == (7, 1)
    assert rdi["P3"]["relative_dose_intensity"] == 1.0


def test_readme_quotes_the_rdi_table(out):
    for r in _read(out, "rdi").iter_rows(named=True):
        assert_quoted(
            SECTION,
            f"| {r['subject_id']} | {r['days_on_treatment']} | {r['days_interrupted']} | "
            f"{r['n_reductions']} | {100 * r['relative_dose_intensity']:.1f}% |",
        )
    low = _read(out, "rdi").get_column("relative_dose_intensity").min()
    assert isinstance(low, float)
    assert_quoted(SECTION, f"RDI of {100 * low:.1f}% or more")


def _cell(r, fmt):
    return (
        f"{r['BASE']:{fmt}} → {r['peak']:{fmt}} (day {r['peak_day']}, {r['peak_pchg']:+.0f}%) "
        f"→ {r['last']:{fmt}} ({r['last_pchg']:+.0f}%)"
    )


def test_readme_quotes_the_change_from_baseline_table(out):
    summary = _read(out, "labs_change.summary")
    patients = survstat.datasets.load("alpelisib_patients")
    for subject in patients.get_column("subject_id"):
        one = summary.filter(pl.col("subject_id") == subject)
        glucose = one.filter(pl.col("PARAMCD") == "GLUC").row(0, named=True)
        insulin = one.filter(pl.col("PARAMCD") == "INSULIN").row(0, named=True)
        one_patient = patients.filter(pl.col("subject_id") == subject).row(0, named=True)
        metformin = one_patient["metformin_day"]
        assert_quoted(
            SECTION,
            f"| {subject} | {one_patient['pioglitazone_day']} | "
            f"{'—' if metformin is None else metformin} | {_cell(glucose, 'g')} | "
            f"{_cell(insulin, '.1f')} |",
        )
    insulin = summary.filter(pl.col("PARAMCD") == "INSULIN")
    last, peak = insulin.get_column("last_pchg"), insulin.get_column("peak_pchg")
    assert_quoted(
        SECTION,
        f"insulin between {last.min():+.0f}% and {last.max():+.0f}% of its baseline after "
        f"peaks of {peak.min():+.0f}% to {peak.max():+.0f}%",
    )
    glucose = summary.filter(pl.col("PARAMCD") == "GLUC")
    # the claims around the table: every last glucose under 160, pre-treated peaks under 250
    assert glucose.get_column("last").max() < 160
    pre = glucose.filter(pl.col("subject_id").is_in(["P1", "P2"])).get_column("peak")
    assert pre.max() < 250
    # ... and those who started pioglitazone after the rise peak at grade 3 (>250) or near it
    post = glucose.filter(pl.col("subject_id").is_in(["P3", "P4"])).get_column("peak")
    assert post.max() > 250
    assert post.min() > 240


def _series(summary, code):
    return {
        r["subject_id"]: r for r in summary.filter(pl.col("PARAMCD") == code).iter_rows(named=True)
    }


def test_readme_says_what_the_baselines_and_the_co_medication_are(out):
    """The interpretation: P1 and P2's day-1 baselines are on pioglitazone, P2-P4 take
    metformin too, and the change from screening is quoted from the job's second step."""
    patients = {
        r["subject_id"]: r
        for r in survstat.datasets.load("alpelisib_patients").iter_rows(named=True)
    }
    pre = [s for s, r in patients.items() if r["pioglitazone_day"] < 1]
    assert pre == ["P1", "P2"]
    assert_quoted(
        SECTION,
        f"P1 and P2 started pioglitazone {-patients['P1']['pioglitazone_day']} and "
        f"{-patients['P2']['pioglitazone_day']} days before alpelisib",
    )
    met = [s for s, r in patients.items() if r["metformin_day"] is not None]
    assert met == ["P2", "P3", "P4"]
    days = [patients[s]["metformin_day"] for s in met]
    assert_quoted(
        SECTION,
        f"P2, P3 and P4 also took metformin (from days {days[0]}, {days[1]} and {days[2]}; "
        f"P3 from {patients['P3']['pioglitazone_day'] - patients['P3']['metformin_day']} days "
        "before pioglitazone)",
    )
    assert_quoted(SECTION, "only P1 had pioglitazone alone")
    # the screening sample is before any pioglitazone, and the baseline of the second step
    labs = survstat.datasets.load("alpelisib_labs")
    screening = labs.get_column("ADY").min()
    assert screening == -21
    assert all(r["pioglitazone_day"] > screening for r in patients.values())
    assert_quoted(SECTION, f"(day −{-screening}, before any pioglitazone")
    day1 = _series(_read(out, "labs_change.summary"), "INSULIN")
    scr = _read(out, "labs_change_screening.summary")
    assert scr.get_column("base_day").unique().to_list() == [screening]
    glucose, insulin = _series(scr, "GLUC"), _series(scr, "INSULIN")
    assert_quoted(
        SECTION,
        f"their insulin on day 1 ({day1['P1']['BASE']:.1f} and {day1['P2']['BASE']:.1f} "
        f"µU/mL) was below its screening value ({insulin['P1']['BASE']:.1f} and "
        f"{insulin['P2']['BASE']:.1f})",
    )
    for s in pre:
        assert day1[s]["BASE"] < insulin[s]["BASE"]
        assert abs(insulin[s]["last_pchg"]) < 5  # "back at its pre-pioglitazone level"
    for s in patients:
        g, i = glucose[s], insulin[s]
        assert_quoted(
            SECTION,
            f"| {s} | {g['BASE']:g} → {g['last']:g} ({g['last_pchg']:+.0f}%) | "
            f"{i['BASE']:.1f} → {i['last']:.1f} ({i['last_pchg']:+.0f}%) |",
        )
    assert_quoted(
        SECTION,
        f"so P1's and P2's last insulin, {day1['P1']['last_pchg']:+.0f}% and "
        f"{day1['P2']['last_pchg']:+.0f}% of their day-1 baselines, is back at its "
        f"pre-pioglitazone level ({insulin['P1']['last_pchg']:+.0f}% and "
        f"{insulin['P2']['last_pchg']:+.0f}%)",
    )


def test_readme_quotes_the_duration_of_response(out):
    km = _read(out, "dor_km")
    event = km.filter(pl.col("n_event") > 0).row(0, named=True)
    assert_quoted(SECTION, f"P4 progressed {event['time']:.2f} months")
    assert_quoted(
        SECTION,
        f"stays at {event['survival']:.2f} (95% CI {event['conf_low']:.2f}–"
        f"{event['conf_high']:.2f}, log(−log)",
    )
    censored = km.filter(pl.col("n_censor") > 0).get_column("time")
    assert_quoted(
        SECTION,
        f"still responding at {', '.join(f'{t:.2f}' for t in censored[:-1])} and "
        f"{censored[-1]:.2f} months",
    )
    summary = _read(out, "dor_summary").row(0, named=True)
    assert summary["median"] is None
    assert summary["conf_high"] is None
    assert_quoted(SECTION, f"the lower limit ({summary['conf_low']:.2f} months")
    notes = survstat.io.read_metadata(out / "dor_summary.parquet")["notes"]
    assert notes == [
        "median not reached: the survival estimate stays above 0.5 (lowest 0.75); the median "
        "and the upper limit of its interval are null (NE)"
    ]
    assert (summary["n"], summary["n_event"]) == (4, 1)


def test_duration_of_response_equals_r_survfit(out):
    """The job's Kaplan-Meier table and median against R survfit / quantile
    (tests/reference/make_reference_alpelisib.R)."""
    ref = json.loads((ROOT / "tests" / "reference" / "r_reference_alpelisib.json").read_text())
    km = _read(out, "dor_km")
    for column, values in ref["km"].items():
        assert km.get_column(column).to_list() == pytest.approx(values, rel=1e-8), column
    summary = _read(out, "dor_summary").row(0, named=True)
    for key in ("median", "conf_low", "conf_high"):
        if ref["median"][key] is None:
            assert summary[key] is None, key
        else:
            assert summary[key] == pytest.approx(ref["median"][key], rel=1e-8), key
    # the reference data are the bundled dataset's
    data = pl.read_csv(ROOT / "tests" / "reference" / "data" / "alpelisib_dor.csv")
    bundled = survstat.datasets.load("alpelisib_patients").select(data.columns)
    assert data.equals(bundled)
