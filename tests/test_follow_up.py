"""Median follow-up, landmark analysis, conditional survival, milestone rates and RMST ratios:
R references (tests/reference/make_reference_follow_up.R), hand-built cases and properties."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal
from typer.testing import CliRunner

import survstat
from survstat.batch import load_job, run_job
from survstat.cli import app
from survstat.errors import ColumnNotFoundError, InvalidValueError, OptionError

REF = json.loads((Path(__file__).parent / "reference" / "r_reference_follow_up.json").read_text())
DATA = {"gbsg2": survstat.datasets.load("gbsg2"), "mgus2": survstat.datasets.load("mgus2")}


def flat(values):
    return np.array(values, dtype=float).reshape(-1)


@pytest.mark.parametrize("ref", REF["follow_up"], ids=lambda r: f"{r['data']}-{r['conf_type']}")
def test_reverse_km_median_follow_up_matches_r(ref):
    fu = survstat.follow_up(
        DATA[ref["data"]],
        time=ref["time"],
        event=ref["event"],
        by=ref["by"],
        conf_type=ref["conf_type"],
    )
    t = fu.table
    for ours, theirs in (
        ("median_follow_up", "median"),
        ("conf_low", "conf_low"),
        ("conf_high", "conf_high"),
        ("median_observation", "median_observation"),
        ("median_censored", "median_censored"),
    ):
        np.testing.assert_allclose(t[ours].to_numpy(), flat(ref[theirs]), rtol=1e-12)


def test_follow_up_by_hand():
    # deaths at 1 and 4 stop follow-up of those patients early; the reverse KM treats them as
    # censored: censorings (the "events") at 2, 3, 5 with 4, 3, 1 at risk:
    # G = 1 - 1/4 = 0.75 at 2, 0.75 * 2/3 = 0.5 at 3 until the next censoring at 5: exactly
    # one half over [3, 5), so the median is the midpoint 4 (R quantile.survfit's rule)
    frame = pl.DataFrame({"t": [1.0, 2, 3, 4, 5], "d": [1, 0, 0, 1, 0]})
    row = survstat.follow_up(frame, time="t", event="d").table.row(0, named=True)
    assert row["median_follow_up"] == 4.0
    assert (row["n"], row["n_event"], row["n_censor"]) == (5, 2, 3)
    assert row["median_observation"] == 3.0  # all five times
    assert row["median_censored"] == 3.0  # 2, 3, 5
    assert (row["min_time"], row["max_time"]) == (1.0, 5.0)


def test_follow_up_without_censoring_is_null_not_nan():
    frame = pl.DataFrame({"t": [1.0, 2, 3], "d": [1, 1, 1]})
    row = survstat.follow_up(frame, time="t", event="d").table.row(0, named=True)
    assert row["median_follow_up"] is None
    assert row["median_censored"] is None


@pytest.mark.parametrize("ref", REF["landmark"], ids=lambda r: f"s={r['landmark']}")
def test_landmark_matches_r(ref):
    lm = survstat.landmark(
        DATA["mgus2"],
        time="futime",
        event="death",
        landmark=ref["landmark"],
        status_time="ptime",
        status_event="pstat",
    )
    assert lm.excluded["n"].to_list() == [ref["excluded_event"], ref["excluded_censored"]]
    t = lm.table
    assert t["status_at_landmark"].to_list() == ["not reached", "reached"]
    assert t["n"].to_list() == [ref["n"]["not reached"], ref["n"]["reached"]]
    assert t["n_event"].to_list() == [ref["n_event"]["not reached"], ref["n_event"]["reached"]]
    for col, key in (("median", "median"), ("conf_low", "conf_low"), ("conf_high", "conf_high")):
        np.testing.assert_allclose(t[col].to_numpy(), flat(ref[key]), rtol=1e-12)
    c = lm.comparison.row(0, named=True)
    assert (c["group"], c["reference"]) == ("reached", "not reached")
    assert c["hazard_ratio"] == pytest.approx(ref["hazard_ratio"], rel=1e-8)
    assert c["conf_low"] == pytest.approx(ref["hr_low"], rel=1e-8)
    assert c["conf_high"] == pytest.approx(ref["hr_high"], rel=1e-8)
    assert c["cox_p_value"] == pytest.approx(ref["cox_p"], rel=1e-6)
    assert c["logrank_statistic"] == pytest.approx(ref["logrank"], rel=1e-10)


def test_landmark_by_hand():
    # landmark 2: patient a (event at 1) and b (censored at 2) are out; c reached the status
    # at 1.5 (before), d at 3 (after: not reached at the landmark), e never
    frame = pl.DataFrame(
        {
            "t": [1.0, 2.0, 5.0, 6.0, 4.0],
            "d": [1, 0, 1, 0, 1],
            "resp": [None, 0.5, 1.5, 3.0, None],
        }
    )
    lm = survstat.landmark(frame, time="t", event="d", landmark=2, status_time="resp")
    assert lm.excluded.rows() == [
        ("event at or before the landmark", 1),
        ("censored at or before the landmark", 1),
    ]
    kept = lm.data.sort("t")
    assert kept["status_at_landmark"].to_list() == ["not reached", "reached", "not reached"]
    assert kept["time_from_landmark"].to_list() == [2.0, 3.0, 4.0]
    assert lm.table["n"].to_list() == [2, 1]


def test_landmark_with_a_status_column_and_numeric_levels():
    g = DATA["gbsg2"].with_columns((pl.col("pnodes") > 3).cast(pl.Int64).alias("nodes4"))
    lm = survstat.landmark(g, time="time", event="cens", landmark=365, status="nodes4")
    kept = g.filter(pl.col("time") > 365).with_columns(
        (pl.col("time") - 365).alias("t2"), pl.col("nodes4").cast(pl.String)
    )
    cox = survstat.cox(kept, time="t2", event="cens", covariates=["nodes4"])
    assert lm.comparison["hazard_ratio"].item() == pytest.approx(
        cox.table["hazard_ratio"].item(), rel=1e-12
    )
    assert lm.comparison["reference"].item() == "0"


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"landmark": 12}, OptionError, "give one of `status`"),
        ({"landmark": 12, "status": "sex", "status_time": "ptime"}, OptionError, "give one of"),
        ({"landmark": 0, "status": "sex"}, OptionError, "positive, finite"),
        ({"landmark": 12, "status": "sex", "status_event": "pstat"}, OptionError, "goes with"),
        ({"landmark": 12, "status": "nope"}, ColumnNotFoundError, "nope"),
        ({"landmark": 12, "status": "sex", "reference": "X"}, OptionError, "not a level"),
        ({"landmark": 1e6, "status": "sex"}, InvalidValueError, "no patient is under"),
        ({"landmark": 12, "status_time": "sex"}, InvalidValueError, "must be numeric"),
        (
            {"landmark": 12, "status_time": "ptime", "status_event": "death2"},
            InvalidValueError,
            "must be 0 or 1",
        ),
    ],
)
def test_landmark_errors(kwargs, error, message):
    m = DATA["mgus2"].with_columns((pl.col("death") * 2).alias("death2"))
    with pytest.raises(error, match=message):
        survstat.landmark(m, time="futime", event="death", **kwargs)


@pytest.mark.parametrize("ref", REF["conditional"], ids=lambda r: f"given={r['given']}")
def test_conditional_survival_matches_r(ref):
    got = survstat.conditional_survival(
        DATA["gbsg2"],
        time="time",
        event="cens",
        given=ref["given"],
        times=ref["times"],
        by="horTh",
    )
    assert got["time"].to_list() == pytest.approx(ref["time"])
    for col in ("n_risk", "survival", "std_error", "conf_low", "conf_high"):
        np.testing.assert_allclose(got[col].to_numpy(), flat(ref[col]), rtol=1e-10, atol=1e-14)


@settings(max_examples=40, deadline=None)
@given(
    rows=st.lists(st.tuples(st.integers(1, 20), st.booleans()), min_size=3, max_size=40),
    s=st.integers(1, 10),
    t=st.integers(0, 12),
)
def test_conditional_survival_is_the_ratio_of_the_curve(rows, s, t):
    frame = pl.DataFrame({"t": [float(r[0]) for r in rows], "d": [int(r[1]) for r in rows]})
    if frame.filter(pl.col("t") > s).height == 0:
        return
    full = survstat.kaplan_meier(frame, time="t", event="d").at([s, s + t])
    cs = survstat.conditional_survival(frame, time="t", event="d", given=s, times=[s + t])
    s_s, s_t = full["survival"].to_list()
    if cs["status"].item() == "beyond follow-up":  # past the last time, the curve above 0
        assert cs["survival"].item() is None
        assert s + t > frame["t"].max()
        return
    assert cs["survival"].item() == pytest.approx(s_t / s_s, rel=1e-12)


def test_conditional_survival_rejects_times_before_given():
    with pytest.raises(OptionError, match="not before `given` = 365"):
        survstat.conditional_survival(
            DATA["gbsg2"], time="time", event="cens", given=365, times=[100]
        )


def test_milestone_matches_r():
    ref = REF["milestone"]
    ms = survstat.milestone(
        DATA["gbsg2"], time="time", event="cens", by="horTh", times=ref["times"]
    )
    for col in ("survival", "std_error", "conf_low", "conf_high"):
        np.testing.assert_allclose(ms.rates[col].to_numpy(), flat(ref[col]), rtol=1e-10)
    d = ms.differences
    assert d["horTh"].to_list() == ["yes"] * 3
    assert d["reference"].to_list() == ["no"] * 3
    for col, key in (
        ("difference", "difference"),
        ("std_error", "diff_se"),
        ("conf_low", "diff_low"),
        ("conf_high", "diff_high"),
        ("p_value", "p_value"),
    ):
        np.testing.assert_allclose(d[col].to_numpy(), flat(ref[key]), rtol=1e-9)


def test_milestone_reference_and_undefined_test():
    ms = survstat.milestone(
        DATA["gbsg2"], time="time", event="cens", by="horTh", times=[0, 1825], reference="yes"
    )
    d = ms.differences
    assert d["horTh"].to_list() == ["no", "no"]
    # at time 0 both arms are at 1 with no uncertainty: no test, not NaN
    assert d["statistic"][0] is None
    assert d["p_value"][0] is None
    assert d["difference"][1] < 0  # no hormone therapy minus hormone therapy
    with pytest.raises(OptionError, match="not an arm"):
        survstat.milestone(
            DATA["gbsg2"], time="time", event="cens", by="horTh", times=[1], reference="maybe"
        )


@pytest.mark.parametrize("ref", REF["rmst"], ids=lambda r: f"tau={r['tau']}")
def test_rmst_ratio_matches_r(ref):
    km = survstat.kaplan_meier(DATA["gbsg2"], time="time", event="cens", by="horTh")
    per = km.rmst(ref["tau"])
    np.testing.assert_allclose(per["rmst"].to_numpy(), ref["rmst"], rtol=1e-10)
    np.testing.assert_allclose(per["std_error"].to_numpy(), ref["std_error"], rtol=1e-8)
    row = km.rmst_ratio(ref["tau"]).row(0, named=True)
    for key in ("ratio", "log_std_error", "conf_low", "conf_high", "p_value"):
        assert row[key] == pytest.approx(ref[key], rel=1e-8), key


# --- command line and job steps --------------------------------------------------------------

runner = CliRunner()


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fu")
    for name, frame in DATA.items():
        frame.write_parquet(folder / f"{name}.parquet")
    return folder


def _cli(files, tmp_path, *args):
    out = tmp_path / "out.parquet"
    r = runner.invoke(app, [*args, "-o", str(out)])
    assert r.exit_code == 0, r.output
    return out


def test_cli_followup_writes_the_library_table(files, tmp_path):
    out = _cli(
        files,
        tmp_path,
        "followup",
        str(files / "gbsg2.parquet"),
        "--time",
        "time",
        "--event",
        "cens",
        "--by",
        "horTh",
    )
    want = survstat.follow_up(DATA["gbsg2"], time="time", event="cens", by="horTh").table
    assert_frame_equal(pl.read_parquet(out), want)


def test_cli_landmark_writes_its_three_tables(files, tmp_path):
    out = _cli(
        files,
        tmp_path,
        "landmark",
        str(files / "mgus2.parquet"),
        "--time",
        "futime",
        "--event",
        "death",
        "--landmark",
        "12",
        "--status-time",
        "ptime",
        "--status-event",
        "pstat",
    )
    lm = survstat.landmark(
        DATA["mgus2"],
        time="futime",
        event="death",
        landmark=12,
        status_time="ptime",
        status_event="pstat",
    )
    assert_frame_equal(pl.read_parquet(out), lm.table)
    assert_frame_equal(pl.read_parquet(tmp_path / "out.comparison.parquet"), lm.comparison)
    assert_frame_equal(pl.read_parquet(tmp_path / "out.excluded.parquet"), lm.excluded)


def test_cli_conditional_milestone_and_rmst(files, tmp_path):
    gbsg = str(files / "gbsg2.parquet")
    roles = ["--time", "time", "--event", "cens", "--by", "horTh"]
    out = _cli(files, tmp_path, "conditional", gbsg, *roles, "--given", "365", "--at", "1825")
    want = survstat.conditional_survival(
        DATA["gbsg2"], time="time", event="cens", by="horTh", given=365, times=[1825]
    )
    assert_frame_equal(pl.read_parquet(out), want)
    out = _cli(files, tmp_path, "milestone", gbsg, *roles, "--at", "365,1825")
    ms = survstat.milestone(DATA["gbsg2"], time="time", event="cens", by="horTh", times=[365, 1825])
    assert_frame_equal(pl.read_parquet(out), ms.rates)
    assert_frame_equal(pl.read_parquet(tmp_path / "out.differences.parquet"), ms.differences)
    out = _cli(files, tmp_path, "rmst", gbsg, *roles, "--tau", "1825", "--reference", "yes")
    km = survstat.kaplan_meier(DATA["gbsg2"], time="time", event="cens", by="horTh")
    assert_frame_equal(pl.read_parquet(out), km.rmst(1825))
    assert_frame_equal(pl.read_parquet(tmp_path / "out.ratio.parquet"), km.rmst_ratio(1825, "yes"))
    assert pl.read_parquet(tmp_path / "out.difference.parquet")["horTh"].to_list() == ["no"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["landmark", "--landmark", "12"], "give one of `status`"),
        (["landmark", "--landmark", "12", "--status", "sexx"], "sexx"),
        (["conditional", "--given", "365", "--at", "100"], "not before `given`"),
        (["milestone", "--by", "horTh", "--at", "365", "--reference", "x"], "not an arm"),
    ],
)
def test_cli_errors_are_one_line_with_exit_code_1(files, args, message):
    data = "mgus2" if args[0] == "landmark" else "gbsg2"
    roles = (
        ["--time", "futime", "--event", "death"]
        if data == "mgus2"
        else ["--time", "time", "--event", "cens"]
    )
    r = runner.invoke(app, [args[0], str(files / f"{data}.parquet"), *roles, *args[1:]])
    assert r.exit_code == 1
    assert message in r.output
    assert "Traceback" not in r.output


def test_job_steps(tmp_path):
    job_file = tmp_path / "job.toml"
    job_file.write_text(
        """
[job]
output = "out"

[inputs]
gbsg2 = { dataset = "gbsg2" }
mgus2 = { dataset = "mgus2" }

[[step]]
name = "fu"
analysis = "followup"
input = "gbsg2"
time = "time"
event = "cens"
by = "horTh"

[[step]]
name = "lm"
analysis = "landmark"
input = "mgus2"
time = "futime"
event = "death"
landmark = 12
status_time = "ptime"
status_event = "pstat"

[[step]]
name = "ms"
analysis = "milestone"
input = "gbsg2"
time = "time"
event = "cens"
by = "horTh"
at = [365, 1825]

[[step]]
name = "rm"
analysis = "rmst"
input = "gbsg2"
time = "time"
event = "cens"
by = "horTh"
tau = 1825
"""
    )
    job = load_job(job_file)
    manifest = run_job(job)
    assert manifest.get_column("status").to_list() == ["ok"] * 4
    for name in ("fu", "lm", "lm.comparison", "ms.differences", "rm.ratio"):
        assert (job.output / f"{name}.parquet").exists(), name


def test_milestones_beyond_follow_up_are_null_with_a_status():
    # gbsg2 follow-up ends at 2563 (no hormonal therapy) and 2659 (hormonal therapy)
    ms = survstat.milestone(
        DATA["gbsg2"], time="time", event="cens", by="horTh", times=[1825, 2600, 5000]
    )
    rates = ms.rates
    assert rates.filter(pl.col("time") == 5000)["status"].to_list() == ["beyond follow-up"] * 2
    assert rates.filter(pl.col("time") == 5000)["survival"].null_count() == 2
    assert (
        rates.filter((pl.col("time") == 2600) & (pl.col("horTh") == "yes"))["status"].item() == "ok"
    )
    d = ms.differences
    assert d["status"].to_list() == ["ok", "beyond follow-up", "beyond follow-up"]
    assert d["difference"][1] is None
    assert d["p_value"][2] is None


def test_milestone_with_one_arm_is_an_error():
    one = DATA["gbsg2"].filter(pl.col("horTh") == "no")
    with pytest.raises(InvalidValueError, match="one arm"):
        survstat.milestone(one, time="time", event="cens", by="horTh", times=[365])


def test_conditional_survival_keeps_a_group_with_nobody_at_risk():
    cs = survstat.conditional_survival(
        DATA["mgus2"], time="futime", event="death", given=400, times=[410, 500], by="sex"
    )
    assert cs["sex"].to_list() == ["F", "F", "M", "M"]
    empty = cs.filter(pl.col("sex") == "F")
    assert empty["status"].to_list() == ["nobody at risk after 400"] * 2
    assert empty["survival"].null_count() == 2
    assert empty["n_risk"].to_list() == [0.0, 0.0]


def test_rmst_beyond_follow_up_warns_once(files, tmp_path):
    r = runner.invoke(
        app,
        [
            "rmst",
            str(files / "gbsg2.parquet"),
            "--time",
            "time",
            "--event",
            "cens",
            "--by",
            "horTh",
            "--tau",
            "2600",
            "-o",
            str(tmp_path / "r.parquet"),
        ],
    )
    assert r.exit_code == 0, r.output
    assert r.output.count("is beyond the follow-up") == 1
