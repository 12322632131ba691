"""PFS / TTP / OS / DoR derivation: one hand-built subject per censoring rule."""

from __future__ import annotations

import polars as pl
import pytest

import survstat
from survstat.endpoints.recist_tte import time_to_event_endpoints
from survstat.errors import InvalidValueError

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
    "p10": (None, 250.0, None),  # progression 113 days after the last assessment
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
        "p10": (56.0, False, "missed assessments"),
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
    assert km.table["n_event"].sum() == 5  # p1, p2, p5, p8, p9


def test_rules_can_be_switched_off():
    loose = _pfs(
        time_to_event_endpoints(
            *_inputs(), censor_missed=False, censor_new_therapy=False, censor_no_baseline=False
        )
    )
    assert loose["p3"] == (300.0, True, "death")
    assert loose["p4"] == (112.0, True, "progression")
    assert loose["p6"] == (200.0, True, "death")
    assert loose["p10"] == (169.0, True, "progression")
    only_missed = _pfs(time_to_event_endpoints(*_inputs(), censor_no_baseline=False))
    assert only_missed["p6"] == (0.0, False, "missed assessments")
    two_missed = _pfs(time_to_event_endpoints(*_inputs(), max_missed=2))
    assert two_missed["p10"] == (169.0, True, "progression")


def test_bad_subject_tables():
    a, subj = _inputs()
    late = subj.with_columns(
        pl.when(pl.col("subject_id") == "p1")
        .then(100.0)
        .otherwise(pl.col("death_day"))
        .alias("death_day")
    )
    with pytest.raises(InvalidValueError, match=r"1 of 10 subjects have assessments after their"):
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
    with pytest.raises(InvalidValueError, match="1 subjects have assessments but no row"):
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
