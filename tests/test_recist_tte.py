"""PFS / TTP / OS / DoR derivation: one hand-built subject per censoring rule."""

from __future__ import annotations

import polars as pl
import pytest

import survstat
from survstat.endpoints.recist_tte import (
    SubjectColumns,
    missed_visits,
    time_to_event_endpoints,
)
from survstat.errors import (
    ColumnNotFoundError,
    ColumnTypeError,
    EmptyDataError,
    InvalidValueError,
    MissingValueError,
    OptionError,
)

VISITS = {
    "p1": [(56, "SD"), (112, "PD")],
    "p2": [(56, "SD"), (112, "SD")],
    "p3": [(56, "SD")],
    "p4": [(56, "SD"), (112, "PD")],
    "p7": [(56, "NE")],
    "p8": [(56, "PR"), (112, "PR"), (168, "PD")],
    "p9": [(56, "SD"), (112, "NE"), (168, "PD")],
    "p10": [(56, "SD"), (169, "PD")],
}
# subject: (death day, last alive day, new therapy day)
SUBJECTS = {
    "p1": (None, 300.0, None),
    "p2": (150.0, None, None),
    "p3": (300.0, None, None),  # death after two or more missed assessments
    "p4": (None, 200.0, 100.0),  # new therapy before progression
    "p5": (90.0, None, None),  # no assessment, early death: an event
    "p6": (200.0, None, None),  # no assessment, late death
    "p7": (None, 120.0, None),  # only NE
    "p8": (None, 250.0, None),
    "p9": (None, 250.0, None),  # one NE between: progression still counts
    # progression 113 days after the last assessment: visit 2 (day 112 +- 7) missed, but the
    # day-169 scan lies in visit 3's window (168 +- 7): one missed visit, an event
    "p10": (None, 250.0, None),
}


def _inputs():
    a = pl.DataFrame(
        [(s, d, r) for s, v in VISITS.items() for d, r in v],
        schema=["subject_id", "day", "response"],
        orient="row",
    )
    subj = pl.DataFrame(
        [(s, *v) for s, v in SUBJECTS.items()],
        schema={
            "subject_id": pl.String,
            "death_day": pl.Float64,
            "last_alive_day": pl.Float64,
            "new_therapy_day": pl.Float64,
        },
        orient="row",
    )
    return a, subj


def _pfs(table, prefix="pfs"):
    return {
        r["subject_id"]: (r[f"{prefix}_time"], r[f"{prefix}_event"], r[f"{prefix}_censor_reason"])
        for r in table.iter_rows(named=True)
    }


def test_pfs_rules():
    got = _pfs(time_to_event_endpoints(*_inputs()))
    assert got == {
        "p1": (112.0, True, "progression"),
        "p2": (150.0, True, "death"),
        "p3": (56.0, False, "missed assessments"),
        "p4": (56.0, False, "new anticancer therapy"),
        "p5": (90.0, True, "death"),
        "p6": (0.0, False, "no post-baseline assessment"),
        "p7": (0.0, False, "no post-baseline assessment"),
        "p8": (168.0, True, "progression"),
        "p9": (168.0, True, "progression"),
        "p10": (169.0, True, "progression"),
    }


def test_ttp_os_dor():
    t = time_to_event_endpoints(*_inputs())
    ttp = _pfs(t, "ttp")
    assert ttp["p2"] == (112.0, False, "no progression")
    assert ttp["p5"] == (0.0, False, "no post-baseline assessment")
    os_ = {r["subject_id"]: (r["os_time"], r["os_event"]) for r in t.iter_rows(named=True)}
    assert os_["p1"] == (300.0, False)
    assert os_["p3"] == (300.0, True)
    dor = {r["subject_id"]: (r["dor_time"], r["dor_event"]) for r in t.iter_rows(named=True)}
    assert dor["p8"] == (112.0, True)
    assert dor["p1"] == (None, None)
    bor = dict(t.select("subject_id", pl.col("bor").cast(pl.String)).iter_rows())
    assert (bor["p8"], bor["p5"], bor["p7"]) == ("PR", "NE", "NE")
    # the derived table feeds the estimators directly
    km = survstat.kaplan_meier(t, time="pfs_time", event="pfs_event")
    assert km.table["n_event"].sum() == 6  # p1, p2, p5, p8, p9, p10


def test_rules_can_be_switched_off():
    loose = _pfs(
        time_to_event_endpoints(
            *_inputs(), censor_missed=False, censor_new_therapy=False, censor_no_post_baseline=False
        )
    )
    assert loose["p3"] == (300.0, True, "death")
    assert loose["p4"] == (112.0, True, "progression")
    assert loose["p6"] == (200.0, True, "death")
    assert loose["p10"] == (169.0, True, "progression")
    only_missed = _pfs(time_to_event_endpoints(*_inputs(), censor_no_post_baseline=False))
    assert only_missed["p6"] == (0.0, False, "missed assessments")
    # without a window the day-169 scan is off schedule: visits 2 and 3 were both missed
    no_window = _pfs(time_to_event_endpoints(*_inputs(), window_days=0))
    assert no_window["p10"] == (56.0, False, "missed assessments")
    two_missed = _pfs(time_to_event_endpoints(*_inputs(), window_days=0, max_missed=2))
    assert two_missed["p10"] == (169.0, True, "progression")


def test_bad_subject_tables():
    a, subj = _inputs()
    late = subj.with_columns(
        pl.when(pl.col("subject_id") == "p1")
        .then(100.0)
        .otherwise(pl.col("death_day"))
        .alias("death_day"),
        pl.when(pl.col("subject_id") == "p1")
        .then(None)
        .otherwise(pl.col("last_alive_day"))
        .alias("last_alive_day"),
    )
    with pytest.raises(InvalidValueError, match=r"1 of 10 subjects has assessments after their"):
        time_to_event_endpoints(a, late)
    with pytest.raises(InvalidValueError, match="`last_alive_day` is missing for 1 of 10"):
        time_to_event_endpoints(
            a,
            subj.with_columns(
                pl.when(pl.col("subject_id") == "p1")
                .then(None)
                .otherwise(pl.col("last_alive_day"))
                .alias("last_alive_day")
            ),
        )
    with pytest.raises(
        InvalidValueError,
        match=r"^1 subject has assessments but no row in the subject table \(first: 'p1'\)$",
    ):
        time_to_event_endpoints(a, subj.filter(pl.col("subject_id") != "p1"))


def test_cli_derive_and_table(tmp_path):
    from typer.testing import CliRunner

    from survstat.cli import app

    a, subj = _inputs()
    subj = subj.with_columns(arm=pl.Series(["A", "B"] * 5))
    visits, subjects = tmp_path / "visits.parquet", tmp_path / "subjects.parquet"
    a.write_parquet(visits)
    subj.write_parquet(subjects)
    derived = tmp_path / "derived.parquet"
    runner = CliRunner()
    r = runner.invoke(
        app, ["recist", "derive", str(visits), "--subjects", str(subjects), "-o", str(derived)]
    )
    assert r.exit_code == 0, r.output
    out = pl.read_parquet(derived)
    assert out.columns[:12] == [
        "subject_id",
        "bor",
        "confirmed",
        "objective_response",
        "clinical_benefit",
        "pfs_time",
        "pfs_event",
        "pfs_censor_reason",
        "dor_time",
        "dor_event",
        "os_time",
        "os_event",
    ]
    assert "arm" in out.columns
    assert _pfs(out) == _pfs(time_to_event_endpoints(a, subj))
    eff = tmp_path / "efficacy.parquet"
    r = runner.invoke(app, ["recist", "table", str(derived), "--by", "arm", "-o", str(eff)])
    assert r.exit_code == 0, r.output
    assert pl.read_parquet(eff)["arm"].to_list() == ["A", "B"]
    for cmd in ("derive", "table"):
        assert "Example:" in runner.invoke(app, ["recist", cmd, "--help"]).output


def test_cli_derive_from_dates(tmp_path):
    import datetime as dt

    from typer.testing import CliRunner

    from survstat.cli import app

    a, subj = _inputs()
    start = dt.date(2021, 3, 1)
    dated = a.with_columns(
        (pl.lit(start) + pl.duration(days=pl.col("day"))).alias("assessment_date")
    )
    subj_dated = subj.with_columns(
        pl.lit(start).alias("start_date"),
        *[
            (pl.lit(start) + pl.duration(days=pl.col(f"{c}_day"))).alias(f"{c}_date")
            for c in ("death", "last_alive", "new_therapy")
        ],
    ).drop("death_day", "last_alive_day", "new_therapy_day")
    visits, subjects = tmp_path / "visits.parquet", tmp_path / "subjects.parquet"
    dated.drop("day").write_parquet(visits)
    subj_dated.write_parquet(subjects)
    out = tmp_path / "derived.parquet"
    args = ["recist", "derive", str(visits), "--subjects", str(subjects), "--from-dates"]
    r = CliRunner().invoke(app, [*args, "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert _pfs(pl.read_parquet(out)) == _pfs(time_to_event_endpoints(a, subj))
    # an assessment dated before the start is refused, naming the subject and both dates
    early = dated.drop("day").with_columns(
        pl.when(pl.col("subject_id") == "p1")
        .then(pl.lit(dt.date(2021, 2, 1)))
        .otherwise(pl.col("assessment_date"))
        .alias("assessment_date")
    )
    early.write_parquet(visits)
    r = CliRunner().invoke(app, args)
    assert r.exit_code == 1
    assert "'p1', 2021-02-01 before 2021-03-01" in " ".join(r.output.split())


def _derive(visits, subjects, **options):
    """Endpoints from {subject: [(day, response)]} and {subject: (death, alive, new therapy)}."""
    a = pl.DataFrame(
        [(s, d, r) for s, v in visits.items() for d, r in v],
        schema={"subject_id": pl.String, "day": pl.Float64, "response": pl.String},
        orient="row",
    )
    subj = pl.DataFrame(
        [(s, *v) for s, v in subjects.items()],
        schema={
            "subject_id": pl.String,
            "death_day": pl.Float64,
            "last_alive_day": pl.Float64,
            "new_therapy_day": pl.Float64,
        },
        orient="row",
    )
    return time_to_event_endpoints(a, subj, **options)


@pytest.mark.parametrize(
    ("last", "event", "window", "expected"),
    [
        # 8-weekly grid (56, 112, 168, ...), window +-7
        (56, 172, 7, 1),  # visit 112 missed; 172 is visit 168's scan, 4 days late
        (56, 175, 7, 1),  # 175 is the last day of visit 168's window
        (56, 176, 7, 2),  # visit 168's window closed on day 175: two missed
        (56, 180, 7, 2),
        (56, 119, 7, 0),  # the event falls in visit 112's window
        (56, 120, 7, 1),
        (50, 125, 7, 1),  # an early scan (50) still is visit 56
        (63, 285, 7, 3),  # visits 112, 168, 224 missed; 285 is in visit 280's window
        (63, 290, 7, 4),  # 280's window closed on day 287
        (0, 90, 7, 1),  # no assessment: visit 56 missed
        (56, 172, 0, 2),  # without a window the late scan is off schedule
        (56, 168, 0, 1),
    ],
)
def test_missed_visits(last, event, window, expected):
    assert missed_visits(last, event, 56.0, window) == expected


def test_missed_visits_with_a_window():
    # SD on day 56, then progression or death: two or more missed visits censor at day 56
    visits = {s: [(56, "SD")] for s in ("late4", "late12", "death170", "death176")}
    visits["late4"].append((172, "PD"))  # one missed (112), scan 4 days late for 168
    visits["late12"].append((180, "PD"))  # 168's window closed on 175: two missed
    subjects = {
        "late4": (None, 300.0, None),
        "late12": (None, 300.0, None),
        "death170": (170.0, None, None),  # death inside visit 168's window: one missed
        "death176": (176.0, None, None),  # after it: two missed
    }
    got = _pfs(_derive(visits, subjects))
    assert got == {
        "late4": (172.0, True, "progression"),
        "late12": (56.0, False, "missed assessments"),
        "death170": (170.0, True, "death"),
        "death176": (56.0, False, "missed assessments"),
    }
    # a scan on the day of death was done while the subject was alive: it is the last
    # adequate assessment, so nothing was missed (without it, visits 56 and 112 would be)
    same_day = _pfs(_derive({"scan": [(120, "SD")]}, {"scan": (120.0, None, None)}))
    assert same_day["scan"] == (120.0, True, "death")
    wide = _pfs(_derive(visits, subjects, window_days=14))
    assert wide["late12"] == (180.0, True, "progression")  # 180 is in 168 +- 14


def test_a_response_after_new_therapy_never_confirms():
    # PR on day 56 would be confirmed by the PR on day 112, but a new therapy started on day
    # 100: the best response is SD (the lone PR, >= 42 days), no responder, no DoR
    visits = {"nt": [(56, "PR"), (112, "PR"), (168, "PD")], "no_nt": [(56, "PR"), (112, "PR")]}
    subjects = {"nt": (None, 200.0, 100.0), "no_nt": (None, 200.0, None)}
    t = _derive(visits, subjects)
    row = {r["subject_id"]: r for r in t.iter_rows(named=True)}
    assert (row["nt"]["bor"], row["nt"]["objective_response"]) == ("SD", False)
    assert (row["nt"]["dor_time"], row["nt"]["n_assessments"]) == (None, 1)
    assert _pfs(t)["nt"] == (56.0, False, "new anticancer therapy")
    assert (row["no_nt"]["bor"], row["no_nt"]["dor_time"]) == ("PR", 56.0)
    # the cut holds whether or not PFS is censored at the new therapy
    loose = _derive(visits, subjects, censor_new_therapy=False)
    assert loose.filter(pl.col("subject_id") == "nt")["bor"].item() == "SD"
    assert _pfs(loose)["nt"] == (168.0, True, "progression")


def test_event_on_the_new_therapy_day():
    visits = {"pd": [(56, "SD"), (112, "PD")], "death": [(56, "SD")], "pr": [(56, "PR")]}
    visits["pr"].append((84, "PR"))
    subjects = {
        "pd": (None, 200.0, 112.0),  # progression scan on the day the new therapy starts
        "death": (100.0, None, 100.0),  # death on the day the new therapy starts
        "pr": (None, 200.0, 84.0),  # the confirming scan on the new-therapy day
    }
    before = _derive(visits, subjects)
    assert _pfs(before)["pd"] == (112.0, True, "progression on the new-therapy day")
    assert _pfs(before)["death"] == (100.0, True, "death on the new-therapy day")
    assert _pfs(before, "ttp")["pd"] == (112.0, True, "progression on the new-therapy day")
    pr = before.filter(pl.col("subject_id") == "pr").row(0, named=True)
    assert (pr["bor"], pr["dor_time"], pr["dor_censor_reason"]) == (
        "PR",
        28.0,
        "new anticancer therapy",
    )
    after = _derive(visits, subjects, new_therapy_same_day="after")
    assert _pfs(after)["pd"] == (
        56.0,
        False,
        "new anticancer therapy (progression on its first day)",
    )
    assert _pfs(after)["death"] == (56.0, False, "new anticancer therapy (death on its first day)")
    assert after.filter(pl.col("subject_id") == "pr")["bor"].item() == "SD"


def test_duration_of_response():
    visits = {
        # the response starts at the first PR (56), not at the confirmed CR (168)
        "pr_pr_cr_cr": [(56, "PR"), (112, "PR"), (168, "CR"), (224, "CR"), (280, "PD")],
        "pr_cr": [(56, "PR"), (112, "CR"), (168, "PD")],  # confirmed PR from day 56
        "cr_pr": [(56, "CR"), (90, "PR"), (150, "PD")],  # confirmed PR from the "CR"
        "censored": [(56, "PR"), (112, "PR"), (168, "SD")],  # no progression
        "death": [(56, "PR"), (112, "PR")],  # death without progression
    }
    subjects = {s: (None, 300.0, None) for s in visits} | {"death": (150.0, None, None)}
    t = _derive(visits, subjects)
    dor = {
        r["subject_id"]: (r["response_day"], r["dor_time"], r["dor_event"], r["dor_censor_reason"])
        for r in t.iter_rows(named=True)
    }
    assert dor == {
        "pr_pr_cr_cr": (56.0, 224.0, True, "progression"),
        "pr_cr": (56.0, 112.0, True, "progression"),
        "cr_pr": (56.0, 94.0, True, "progression"),
        "censored": (56.0, 112.0, False, "no progression"),
        "death": (56.0, 94.0, True, "death"),
    }
    # without confirmation a single PR is a response and its duration starts there
    single = _derive({"one": [(56, "PR"), (112, "SD"), (168, "PD")]}, {"one": (None, 200.0, None)})
    assert single["dor_time"].item() is None
    loose = _derive(
        {"one": [(56, "PR"), (112, "SD"), (168, "PD")]}, {"one": (None, 200.0, None)}, confirm=False
    )
    assert (loose["response_day"].item(), loose["dor_time"].item()) == (56.0, 112.0)


@pytest.mark.parametrize(
    ("change", "error", "message"),
    [
        (
            {"death_day": float("nan")},
            InvalidValueError,
            r"`death_day` must be finite; found 1 value NaN or infinite in the subject table "
            r"\(first: nan for subject 'p1'\)",
        ),
        (
            {"last_alive_day": float("inf")},
            InvalidValueError,
            r"`last_alive_day` must be finite; .*\(first: inf for subject 'p1'\)",
        ),
        (
            {"new_therapy_day": -1.0},
            InvalidValueError,
            r"`new_therapy_day` must be non-negative; found 1 value < 0 in the subject table "
            r"\(first: -1.0 for subject 'p1'\)",
        ),
        (
            {"last_alive_day": 100.0},
            InvalidValueError,
            r"`last_alive_day`: 1 of 10 subjects was last known alive before their last "
            r"assessment \(first: 'p1', last_alive_day 100.0, last assessment day 112.0\)",
        ),
        (
            {"death_day": 250.0},
            InvalidValueError,
            r"`last_alive_day`: 1 of 10 subjects was alive after their `death_day` \(first: "
            r"'p1', alive on day 300.0, death on day 250.0\)",
        ),
    ],
)
def test_bad_subject_days(change, error, message):
    a, subj = _inputs()
    bad = subj.with_columns(
        *[
            pl.when(pl.col("subject_id") == "p1").then(v).otherwise(pl.col(c)).alias(c)
            for c, v in change.items()
        ]
    )
    with pytest.raises(error, match=message):
        time_to_event_endpoints(a, bad)


def test_bad_subject_tables_and_options():
    a, subj = _inputs()
    with pytest.raises(ColumnTypeError, match="`death_day` in the subject table must hold"):
        time_to_event_endpoints(a, subj.with_columns(pl.col("death_day").cast(pl.String)))
    with pytest.raises(ColumnNotFoundError, match="`new_therapy_day`"):
        time_to_event_endpoints(a, subj.drop("new_therapy_day"))
    with pytest.raises(EmptyDataError, match="the subject table has no rows"):
        time_to_event_endpoints(a, subj.clear())
    with pytest.raises(ColumnTypeError, match="`subject_id` is Int64 in the assessment table"):
        time_to_event_endpoints(
            a.with_columns(pl.col("subject_id").str.slice(1).cast(pl.Int64)), subj
        )
    with pytest.raises(MissingValueError, match="`subject_id` is missing on 1 of 10 rows"):
        time_to_event_endpoints(
            a,
            subj.with_columns(
                pl.when(pl.col("subject_id") == "p1")
                .then(None)
                .otherwise(pl.col("subject_id"))
                .alias("subject_id")
            ),
        )
    with pytest.raises(OptionError, match=r"`window_days` must be >= 0 and less than half"):
        time_to_event_endpoints(a, subj, window_days=28)
    with pytest.raises(OptionError, match="`interval_days` must be a finite number > 0; got 0"):
        time_to_event_endpoints(a, subj, interval_days=0)
    with pytest.raises(OptionError, match="`max_missed` must be an integer >= 0"):
        time_to_event_endpoints(a, subj, max_missed=-1)
    with pytest.raises(OptionError, match=r"unknown best-response options \['confirm_dayz'\]"):
        time_to_event_endpoints(a, subj, confirm_dayz=28)


def test_subject_table_without_optional_columns():
    # a trial that records no new therapy and in which no one has died (yet)
    a, subj = _inputs()
    alive = subj.with_columns(pl.col("last_alive_day").fill_null(400.0)).drop(
        "death_day", "new_therapy_day"
    )
    scols = SubjectColumns(death=None, new_therapy=None)
    t = time_to_event_endpoints(a, alive, subject_columns=scols)
    assert not t["os_event"].any()
    assert _pfs(t)["p4"] == (112.0, True, "progression")  # no new therapy to censor at
    with pytest.raises(OptionError, match="cannot both be None"):
        time_to_event_endpoints(
            a, alive, subject_columns=SubjectColumns(death=None, last_alive=None)
        )


def test_cli_derivation_options(tmp_path):
    from typer.testing import CliRunner

    from survstat.cli import app

    a, subj = _inputs()
    visits, subjects = tmp_path / "visits.parquet", tmp_path / "subjects.parquet"
    a.write_parquet(visits)
    subj.with_columns(arm=pl.Series(["A", "B"] * 5)).write_parquet(subjects)
    out = tmp_path / "derived.parquet"
    args = ["recist", "derive", str(visits), "--subjects", str(subjects), "-o", str(out)]
    runner = CliRunner()
    r = runner.invoke(app, [*args, "--window-days", "0", "--new-therapy-same-day", "after"])
    assert r.exit_code == 0, r.output
    assert _pfs(pl.read_parquet(out))["p10"] == (56.0, False, "missed assessments")
    r = runner.invoke(app, [*args, "--window-days", "30"])
    assert r.exit_code == 1
    assert "`window_days` must be >= 0 and less than half" in " ".join(r.output.split())
    import typer

    command = typer.main.get_command(app).commands["recist"].commands["derive"]
    helps = {opt: p.help for p in command.params for opt in p.opts}
    assert "(7: the +-1 week most protocols allow" in helps["--window-days"]
    assert "FDA's 'more than one missed visit'" in helps["--max-missed"]
    assert "progression that day is an event" in helps["--new-therapy-same-day"]
    # the one-command table derives with the same options
    eff = tmp_path / "eff.parquet"
    r = runner.invoke(
        app,
        [
            "recist",
            "table",
            str(visits),
            "--subjects",
            str(subjects),
            "--window-days",
            "0",
            "-o",
            str(eff),
        ],
    )
    assert r.exit_code == 0, r.output
    derived = time_to_event_endpoints(
        a, subj.with_columns(arm=pl.Series(["A", "B"] * 5)), window_days=0
    )
    from survstat.analyses.efficacy import efficacy_table

    assert pl.read_parquet(eff).equals(efficacy_table(derived))


def test_job_file_derivation_options(tmp_path):
    from typer.testing import CliRunner

    from survstat.cli import app

    a, subj = _inputs()
    a.write_parquet(tmp_path / "visits.parquet")
    subj.write_parquet(tmp_path / "subjects.parquet")
    job = """[job]
title = "t"
output = "out"

[inputs]
visits = "visits.parquet"
subjects = "subjects.parquet"

[[step]]
name = "derived"
analysis = "recist derive"
input = "visits"
subjects = "subjects"
window_days = 0
max_missed = 1
new_therapy_same_day = "{same_day}"
"""
    path = tmp_path / "job.toml"
    path.write_text(job.format(same_day="after"))
    r = CliRunner().invoke(app, ["run", str(path), "-q"])
    assert r.exit_code == 0, r.output
    got = pl.read_parquet(tmp_path / "out" / "derived.parquet")
    assert _pfs(got) == _pfs(
        time_to_event_endpoints(a, subj, window_days=0, new_therapy_same_day="after")
    )
    path.write_text(job.format(same_day="later"))
    r = CliRunner().invoke(app, ["run", str(path), "--check"])
    assert r.exit_code != 0
    assert "new_therapy_same_day" in r.output
    assert "'before', 'after'" in r.output


def test_derive_from_dates_without_optional_dates():
    import datetime as dt

    from survstat.analyses import ANALYSES

    a, subj = _inputs()
    start = dt.date(2021, 3, 1)
    visits = a.with_columns(
        (pl.lit(start) + pl.duration(days=pl.col("day"))).alias("assessment_date")
    ).drop("day")
    # a data cut with no deaths and no new-therapy dates recorded
    dated = subj.select(
        "subject_id",
        pl.lit(start).alias("start_date"),
        pl.lit(dt.date(2022, 3, 1)).alias("last_alive_date"),
    )
    out = ANALYSES["recist derive"].run(visits, dated, from_dates=True)
    assert out.notes == (
        "the subject table has no `death_date`: no subject is known to have died",
        "the subject table has no `new_therapy_date`: no new anticancer therapy was "
        "recorded, so no assessment was left out",
        "the subject table has no `baseline_assessed`: the FDA (2018) rule 'no baseline tumor "
        "assessments: censored at randomization' cannot be applied, so every subject is taken "
        "to have had a baseline tumour assessment",
    )
    assert not out.table["os_event"].any()
    with pytest.raises(ColumnNotFoundError, match="`last_alive_date`"):
        ANALYSES["recist derive"].run(visits, dated.drop("last_alive_date"), from_dates=True)


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        # a string is truthy: confirmation would silently stay on, so it is an error
        ("confirm", "no", r"^`confirm` must be True or False; got 'no'$"),
        ("confirm", 0, r"^`confirm` must be True or False; got 0$"),
        ("sd_between_pr", "yes", r"^`sd_between_pr` must be True or False; got 'yes'$"),
        ("censor_missed", "no", r"^`censor_missed` must be True or False; got 'no'$"),
        ("censor_new_therapy", None, r"^`censor_new_therapy` must be True or False; got None$"),
        ("max_missed", 1.0, r"^`max_missed` must be an integer >= 0; got 1.0$"),
        ("max_missed", True, r"^`max_missed` must be an integer >= 0; got True$"),
        ("max_ne_between", 1.5, r"^`max_ne_between` must be an integer >= 0; got 1.5$"),
        ("interval_days", "56", r"^`interval_days` must be a finite number > 0; got '56'$"),
        ("window_days", float("nan"), r"^`window_days` must be a finite number >= 0; got nan$"),
        ("confirm_days", -1, r"^`confirm_days` must be a finite number >= 0; got -1$"),
    ],
)
def test_option_types(option, value, message):
    with pytest.raises(OptionError, match=message):
        time_to_event_endpoints(*_inputs(), **{option: value})


def test_numpy_numbers_and_booleans_are_accepted():
    # options read from a NumPy array or a pandas frame arrive as NumPy scalars: 56 as
    # np.int64, 7 as np.float32, 1 as np.int64, True as np.bool_ give the same derivation as
    # the Python values
    import numpy as np

    plain = time_to_event_endpoints(
        *_inputs(), interval_days=56, window_days=7.0, max_missed=1, confirm=True, confirm_days=28
    )
    numpy = time_to_event_endpoints(
        *_inputs(),
        interval_days=np.int64(56),
        window_days=np.float32(7.0),
        max_missed=np.int64(1),
        confirm=np.bool_(True),
        confirm_days=np.int64(28),
        max_ne_between=np.int32(1),
        censor_missed=np.bool_(True),
    )
    assert numpy.equals(plain)


@pytest.mark.parametrize(
    ("columns", "message"),
    [
        # columns named as derived ones used to be dropped silently (the derived value won);
        # now they are an error naming them, as the CML endpoints do
        (
            {"bor": "PR", "pfs_time": 1.0},
            r"^the subject table has columns named as output columns \(bor, pfs_time\); "
            r"rename them first$",
        ),
        ({"dor_censor_reason": "x"}, r"output columns \(dor_censor_reason\)"),
        (
            {"__death": 1.0},
            r"^the subject table has columns starting with `__`, which the derivation uses for "
            r"its own \(__death\); rename them first$",
        ),
    ],
)
def test_subject_columns_named_as_outputs_are_an_error(columns, message):
    a, subj = _inputs()
    with pytest.raises(InvalidValueError, match=message):
        time_to_event_endpoints(a, subj.with_columns(**{k: pl.lit(v) for k, v in columns.items()}))
    # the assessment table's subject id column is an output column too
    with pytest.raises(InvalidValueError, match=r"output columns \(usubjid\)"):
        time_to_event_endpoints(
            a.rename({"subject_id": "usubjid"}),
            subj.with_columns(pl.col("subject_id").alias("usubjid")),
            columns=survstat.endpoints.recist.RecistColumns(subject="usubjid"),
        )


def test_unknown_subjects_message_counts_in_words():
    # one subject (p1) or two (p1, p10) with assessments but no subject row
    a, subj = _inputs()
    with pytest.raises(
        InvalidValueError,
        match=r"^2 subjects have assessments but no row in the subject table \(first: 'p1'\)$",
    ):
        time_to_event_endpoints(a, subj.filter(~pl.col("subject_id").is_in(["p1", "p10"])))


# --- FDA (2018): no baseline tumour assessment -> censored at randomisation -----------------


def _without_baseline(subjects: set[str], dtype: pl.DataType = pl.Boolean) -> tuple:
    a, subj = _inputs()
    flag = ~pl.col("subject_id").is_in(sorted(subjects))
    return a, subj.with_columns(flag.cast(dtype).alias("baseline_assessed"))


@pytest.mark.parametrize("dtype", [pl.Boolean, pl.Int8])
def test_no_baseline_assessment_is_censored_at_randomisation(dtype):
    # p1 progressed on day 112, p5 died on day 90 without any assessment, p8 had a confirmed
    # PR then progressed: without a baseline tumour assessment each is censored at day 0
    # (FDA 2018: "no baseline tumor assessments: randomization, censored"), before any other
    # rule; no response can be measured without a baseline, so p8's best response is NE and
    # it has no duration of response. OS does not depend on tumour assessments: p5 still
    # died on day 90. Every other subject keeps the result of test_pfs_rules.
    t = time_to_event_endpoints(*_without_baseline({"p1", "p5", "p8"}, dtype))
    pfs, ttp = _pfs(t), _pfs(t, "ttp")
    for sid in ("p1", "p5", "p8"):
        assert pfs[sid] == ttp[sid] == (0.0, False, "no baseline assessment")
    assert (
        _pfs(time_to_event_endpoints(*_inputs()))
        | {sid: (0.0, False, "no baseline assessment") for sid in ("p1", "p5", "p8")}
        == pfs
    )
    row = {r["subject_id"]: r for r in t.iter_rows(named=True)}
    assert (row["p8"]["bor"], row["p8"]["objective_response"], row["p8"]["n_assessments"]) == (
        "NE",
        False,
        0,
    )
    assert (row["p8"]["dor_time"], row["p8"]["dor_event"]) == (None, None)
    assert (row["p5"]["os_time"], row["p5"]["os_event"]) == (90.0, True)
    assert row["p1"]["baseline_assessed"] == (False if dtype == pl.Boolean else 0)
    # with every subject assessed at baseline the rule changes nothing
    everyone = time_to_event_endpoints(*_without_baseline(set())).drop("baseline_assessed")
    assert everyone.equals(time_to_event_endpoints(*_inputs()))


def test_no_baseline_column_options_and_errors():
    a, subj = _without_baseline({"p1"})
    # None switches the rule off: p1's progression on day 112 is an event again
    off = time_to_event_endpoints(a, subj, subject_columns=SubjectColumns(baseline=None))
    assert _pfs(off)["p1"] == (112.0, True, "progression")
    # a column named otherwise must exist
    with pytest.raises(ColumnNotFoundError, match=r"column `bl` \(given as baseline\)"):
        time_to_event_endpoints(a, subj, subject_columns=SubjectColumns(baseline="bl"))
    renamed = time_to_event_endpoints(
        a, subj.rename({"baseline_assessed": "bl"}), subject_columns=SubjectColumns(baseline="bl")
    )
    assert _pfs(renamed)["p1"] == (0.0, False, "no baseline assessment")
    with pytest.raises(
        InvalidValueError,
        match=r"^`baseline_assessed` is missing for 1 of 10 subjects \(first: 'p1'\); "
        r"give True when the subject had a baseline tumour assessment, False when not$",
    ):
        time_to_event_endpoints(
            a,
            subj.with_columns(
                pl.when(pl.col("baseline_assessed")).then(True).alias("baseline_assessed")
            ),
        )
    with pytest.raises(
        InvalidValueError, match=r"is neither 0 nor 1 for 1 of 10 subjects \(first: 'p1', 2\)"
    ):
        time_to_event_endpoints(
            a, subj.with_columns(pl.col("baseline_assessed").cast(pl.Int64).replace(0, 2))
        )
    with pytest.raises(
        ColumnTypeError, match=r"`baseline_assessed` in the subject table must be boolean"
    ):
        time_to_event_endpoints(a, subj.with_columns(pl.lit("Y").alias("baseline_assessed")))
    # the former name of the post-baseline switch is refused, not taken for the FDA rule
    with pytest.raises(
        OptionError, match=r"^`censor_no_baseline` is now `censor_no_post_baseline`"
    ):
        time_to_event_endpoints(a, subj, censor_no_baseline=False)


def test_derive_notes_whether_the_baseline_rule_was_applied(tmp_path):
    from typer.testing import CliRunner

    from survstat.analyses import ANALYSES
    from survstat.cli import app

    a, subj = _without_baseline({"p1"})
    with_column = ANALYSES["recist derive"].run(a, subj)
    assert not any("baseline" in note for note in with_column.notes)
    assert _pfs(with_column.table)["p1"] == (0.0, False, "no baseline assessment")
    without = ANALYSES["recist derive"].run(a, subj.drop("baseline_assessed"))
    assert [n for n in without.notes if "baseline" in n] == [
        "the subject table has no `baseline_assessed`: the FDA (2018) rule 'no baseline tumor "
        "assessments: censored at randomization' cannot be applied, so every subject is taken "
        "to have had a baseline tumour assessment"
    ]
    a.write_parquet(tmp_path / "visits.parquet")
    subj.write_parquet(tmp_path / "subjects.parquet")
    out = tmp_path / "derived.parquet"
    r = CliRunner().invoke(
        app,
        ["recist", "derive", str(tmp_path / "visits.parquet"), "--subjects",
         str(tmp_path / "subjects.parquet"), "-o", str(out)],
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    assert _pfs(pl.read_parquet(out))["p1"] == (0.0, False, "no baseline assessment")
