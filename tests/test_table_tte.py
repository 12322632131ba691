"""The time-to-event summary table (``survstat table tte``, :func:`survstat.tables.tte_table`).

Every statistic is compared with R (``tests/reference/make_reference_table_tte.R``: survfit
quantiles and summary(times=), coxph with Efron ties, survdiff, each also stratified), a tiny
case is checked by hand, and the error and null cases are pinned with their messages.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import survstat
from survstat.batch import load_job, run_job
from survstat.cli import app
from survstat.errors import ColumnNotFoundError, InvalidValueError, MissingValueError, OptionError
from survstat.tables import ARD_COLUMNS, TteTable, tte_table

HERE = Path(__file__).parent
R = json.loads((HERE / "reference" / "r_reference_table_tte.json").read_text())
runner = CliRunner()
RTOL = 1e-9


def _gbsg2() -> pl.DataFrame:
    return survstat.datasets.load("gbsg2").select(
        pl.col("horTh").alias("arm"),
        pl.col("time").cast(pl.Float64),
        pl.col("cens").alias("event"),
        pl.col("tgrade").cast(pl.String),
    )


def _three_arm() -> pl.DataFrame:
    return pl.read_csv(HERE / "reference" / "data" / "subgroups.csv").select(
        "arm", pl.col("pfs_time").alias("time"), pl.col("pfs_event").alias("event"), "site"
    )


CASES = {"gbsg2_loglog": _gbsg2, "gbsg2_plain": _gbsg2, "three_arm_log": _three_arm}


def _get(ard: pl.DataFrame, arm, statistic: str, time: float | None = None) -> dict:
    rows = ard.filter(pl.col("arm") == arm, pl.col("statistic") == statistic)
    if time is not None:
        rows = rows.filter(pl.col("time") == time)
    assert rows.height == 1, (arm, statistic, time, rows)
    return rows.row(0, named=True)


def _close(got, want) -> None:
    if want is None:
        assert got is None
    else:
        assert got == pytest.approx(want, rel=RTOL, abs=1e-13)


@pytest.fixture(scope="module", params=sorted(CASES))
def case(request):
    ref = R[request.param]
    result = tte_table(
        CASES[request.param](),
        by="arm",
        time="time",
        event="event",
        reference=ref["reference"],
        strata=ref["strata"],
        timepoints=ref["timepoints"],
        conf_type=ref["conf_type"],
        conf_level=ref["conf_level"],
    )
    return ref, result


def test_counts_and_range_match_r(case):
    ref, result = case
    for arm, want in ref["arms"].items():
        for name in ("n", "n_event", "n_censor", "min_time", "max_time"):
            assert _get(result.ard, arm, name)["estimate"] == want[name]
        for name in ("min_time", "max_time"):
            assert _get(result.ard, arm, name)["censored"] is want[name.replace("time", "censored")]


def test_quantiles_match_r_quantile_survfit(case):
    ref, result = case
    for arm, want in ref["arms"].items():
        for name in ("median", "q1", "q3"):
            got = _get(result.ard, arm, name)
            for column in ("estimate", "conf_low", "conf_high"):
                _close(got[column], want[name][column])
            assert (got["note"] is None) == all(v is not None for v in want[name].values())


def test_event_free_rates_match_r_summary_survfit(case):
    ref, result = case
    for arm, want in ref["arms"].items():
        for rate in want["rates"]:
            got = _get(result.ard, arm, "event_free_rate", rate["time"])
            if rate["n_risk"] == 0:  # past the arm's follow-up: null with the reason
                assert got["estimate"] is None
                assert got["conf_low"] is None
                assert "no patients at risk" in got["note"]
                continue
            for column in ("estimate", "std_error", "conf_low", "conf_high"):
                _close(got[column], rate[column])


def test_numbers_at_risk_match_r_summary_survfit(case):
    ref, result = case
    for arm, want in ref["arms"].items():
        for rate in want["rates"]:
            got = _get(result.ard, arm, "n_risk", rate["time"])
            assert got["estimate"] == rate["n_risk"]
            assert got["note"] is None


def test_numbers_at_risk_equal_kaplan_meier_at():
    from survstat import kaplan_meier

    ard = tte_table(TINY, by="arm", time="time", event="event", timepoints=[0.0, 3.0, 5.5]).ard
    km = kaplan_meier(TINY, time="time", event="event", by="arm").at([0.0, 3.0, 5.5])
    for r in km.iter_rows(named=True):
        assert _get(ard, r["arm"], "n_risk", r["time"])["estimate"] == r["n_risk"]
    # by hand: at 3, A has 3+ and 4 left; B has 3, 5, 6+; past the follow-up none
    assert [_get(ard, a, "n_risk", 3.0)["estimate"] for a in ("A", "B")] == [2, 3]
    assert _get(ard, "A", "n_risk", 5.5)["estimate"] == 0


def test_rate_differences_match_the_normal_approximation(case):
    ref, result = case
    for arm, want in ref["arms"].items():
        if arm == ref["reference"]:
            assert result.ard.filter(
                pl.col("arm") == arm, pl.col("statistic") == "event_free_rate_difference"
            ).is_empty()
            continue
        for diff in want["event_free_rate_difference"]:
            got = _get(result.ard, arm, "event_free_rate_difference", diff["time"])
            if diff["estimate"] is None:
                assert got["estimate"] is None
                assert "not estimable" in got["note"]
                continue
            for column in ("estimate", "std_error", "conf_low", "conf_high"):
                _close(got[column], diff[column])


def test_hazard_ratios_and_logrank_match_r_pairwise(case):
    ref, result = case
    for arm, want in ref["arms"].items():
        if arm == ref["reference"]:
            continue
        for suffix in ("", "_stratified"):
            hr = _get(result.ard, arm, f"hazard_ratio{suffix}")
            for column in ("estimate", "std_error", "conf_low", "conf_high"):
                # the standard error is read back from the Wald interval: a few ulps looser
                assert hr[column] == pytest.approx(want[f"hazard_ratio{suffix}"][column], rel=1e-8)
            p = _get(result.ard, arm, f"logrank_p_value{suffix}")
            _close(p["estimate"], want[f"logrank_p_value{suffix}"])


def test_ard_shape_order_and_metadata(case):
    ref, result = case
    assert isinstance(result, TteTable)
    assert result.ard.columns == ["arm", *ARD_COLUMNS]
    arms = list(dict.fromkeys(result.ard.get_column("arm").to_list()))
    assert arms[0] == ref["reference"]
    assert arms == list(result.arms)
    assert result.strata == (ref["strata"],)
    assert result.timepoints == tuple(float(t) for t in ref["timepoints"])
    first = result.ard.filter(pl.col("arm") == arms[0]).get_column("statistic").to_list()
    assert first[:8] == ["n", "n_event", "n_censor", "median", "q1", "q3", "min_time", "max_time"]
    # time only on the timepoint statistics, censored only on the range
    timed = result.ard.filter(pl.col("time").is_not_null()).get_column("statistic").unique()
    assert set(timed) == {"n_risk", "event_free_rate", "event_free_rate_difference"}
    flagged = result.ard.filter(pl.col("censored").is_not_null()).get_column("statistic").unique()
    assert set(flagged) == {"min_time", "max_time"}
    # undefined is null with a reason, never NaN or inf
    values = result.ard.select("estimate", "std_error", "conf_low", "conf_high")
    assert not any(values.select(pl.all().is_nan().any()).row(0))
    assert not any(values.select(pl.all().is_infinite().any()).row(0))
    null_estimates = result.ard.filter(pl.col("estimate").is_null())
    assert null_estimates.get_column("note").null_count() == 0


# a tiny case checked by hand
#   arm A: 1, 2, 3+, 4   -> S(1) = 3/4, S(2) = 1/2 (flat until 4), S(4) = 0
#   arm B: 2+, 3, 5, 6+  -> S(3) = 2/3, S(5) = 1/3
TINY = pl.DataFrame(
    {
        "arm": ["A"] * 4 + ["B"] * 4,
        "time": [1.0, 2.0, 3.0, 4.0, 2.0, 3.0, 5.0, 6.0],
        "event": [1, 1, 0, 1, 0, 1, 1, 0],
    }
)


def test_tiny_case_by_hand():
    ard = tte_table(TINY, by="arm", time="time", event="event", timepoints=[3.0]).ard
    assert [_get(ard, "A", s)["estimate"] for s in ("n", "n_event", "n_censor")] == [4, 3, 1]
    assert [_get(ard, "B", s)["estimate"] for s in ("n", "n_event", "n_censor")] == [4, 2, 2]
    # S(t) = 1/2 on [2, 4): the median is the midpoint, as R quantile.survfit
    assert _get(ard, "A", "median")["estimate"] == 3.0
    assert _get(ard, "B", "median")["estimate"] == 5.0
    assert _get(ard, "A", "q1")["estimate"] == 1.5  # S = 3/4 on [1, 2)
    a_min, a_max = _get(ard, "A", "min_time"), _get(ard, "A", "max_time")
    assert (a_min["estimate"], a_min["censored"], a_max["estimate"], a_max["censored"]) == (
        1.0,
        False,
        4.0,
        False,
    )
    b_min, b_max = _get(ard, "B", "min_time"), _get(ard, "B", "max_time")
    assert (b_min["censored"], b_max["censored"]) == (True, True)
    rate_a, rate_b = _get(ard, "A", "event_free_rate", 3.0), _get(ard, "B", "event_free_rate", 3.0)
    assert rate_a["estimate"] == pytest.approx(0.5)
    assert rate_a["std_error"] == pytest.approx(0.25)  # Greenwood: 1/4 (1/12 + 1/6)
    assert rate_b["estimate"] == pytest.approx(2 / 3)
    assert rate_b["std_error"] == pytest.approx(math.sqrt(4 / 54))  # 4/9 * 1/6
    diff = _get(ard, "B", "event_free_rate_difference", 3.0)
    se = math.sqrt(0.0625 + 4 / 54)
    assert diff["estimate"] == pytest.approx(1 / 6)
    assert diff["std_error"] == pytest.approx(se)
    assert diff["conf_low"] == pytest.approx(1 / 6 - 1.959963984540054 * se)


def test_timepoint_beyond_follow_up_is_null_with_reason():
    ard = tte_table(TINY, by="arm", time="time", event="event", timepoints=[5.5]).ard
    a = _get(ard, "A", "event_free_rate", 5.5)
    assert a["estimate"] is None
    assert a["std_error"] is None
    assert a["conf_high"] is None
    assert a["note"] == (
        "no patients at risk at time 5.5: beyond the arm's follow-up (last time 4); not estimable"
    )
    assert _get(ard, "B", "event_free_rate", 5.5)["estimate"] == pytest.approx(1 / 3)
    diff = _get(ard, "B", "event_free_rate_difference", 5.5)
    assert diff["estimate"] is None
    assert diff["note"] == "event-free rate at time 5.5 not estimable in the reference arm"


def test_median_not_reached_is_null_with_reason():
    frame = TINY.with_columns(event=pl.when(pl.col("arm") == "B").then(0).otherwise("event"))
    ard = tte_table(frame, by="arm", time="time", event="event").ard
    median = _get(ard, "B", "median")
    assert median["estimate"] is None
    assert median["note"] == "median not reached: the survival curve stays above 0.5"
    hr = _get(ard, "B", "hazard_ratio")
    assert hr["estimate"] is None
    assert hr["conf_low"] is None
    assert hr["note"] == "no events in arm 'B': not estimable"


def test_reference_and_integer_arms():
    frame = TINY.with_columns(pl.col("arm").replace_strict({"A": 1, "B": 2}))
    result = tte_table(frame, by="arm", time="time", event="event", reference="2")
    assert result.reference == 2
    assert result.arms == (2, 1)
    assert result.ard.schema["arm"] == pl.Int64
    assert _get(result.ard, 1, "hazard_ratio")["estimate"] > 0


def test_censor_column_as_adam_cnsr():
    frame = TINY.with_columns(CNSR=1 - pl.col("event")).drop("event")
    a = tte_table(frame, by="arm", time="time", censor="CNSR").ard
    b = tte_table(TINY, by="arm", time="time", event="event").ard
    assert a.equals(b)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        (
            {"reference": "Z"},
            OptionError,
            r"reference arm 'Z' not found in `arm`; arms: \['A', 'B'\]",
        ),
        ({"timepoints": [-1.0]}, OptionError, r"`timepoints` must be finite times >= 0; got -1.0"),
        ({"timepoints": [float("inf")]}, OptionError, "must be finite times >= 0; got inf"),
        ({"timepoints": [3, 3.0]}, OptionError, r"`timepoints` must be distinct; 3 is given twice"),
        ({"strata": "arm"}, OptionError, "used both as the arm .* and as strata"),
        ({"by": "ARM"}, ColumnNotFoundError, "ARM"),
    ],
)
def test_bad_options(kwargs, error, match):
    args = {"by": "arm", "time": "time", "event": "event"} | kwargs
    with pytest.raises(error, match=match):
        tte_table(TINY, **args)


def test_one_arm_is_an_error():
    with pytest.raises(InvalidValueError, match=r"`arm` needs at least two arms; found \['A'\]"):
        tte_table(TINY.filter(pl.col("arm") == "A"), by="arm", time="time", event="event")


def test_missing_arm_is_an_error():
    frame = TINY.with_columns(arm=pl.when(pl.col("time") == 5).then(None).otherwise("arm"))
    with pytest.raises(
        MissingValueError, match=r"`arm` is missing for 1 of 8 rows \(first: row 6\)"
    ):
        tte_table(frame, by="arm", time="time", event="event")


@st.composite
def two_arms(draw):
    n = draw(st.integers(4, 30))
    times = draw(st.lists(st.integers(1, 12), min_size=n, max_size=n))
    events = draw(st.lists(st.integers(0, 1), min_size=n, max_size=n))
    arms = draw(st.lists(st.sampled_from(["A", "B"]), min_size=n, max_size=n))
    frame = pl.DataFrame({"arm": arms, "time": [float(t) for t in times], "event": events})
    if frame.get_column("arm").n_unique() < 2:
        frame = frame.with_columns(arm=pl.Series(["A", "B"] * n)[:n])
    return frame


@pytest.mark.filterwarnings("ignore::survstat.errors.SurvstatWarning")  # monotone likelihood
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(two_arms())
def test_swapping_the_reference_inverts_the_comparisons(frame):
    ab = tte_table(frame, by="arm", time="time", event="event", reference="A", timepoints=[6.0])
    ba = tte_table(frame, by="arm", time="time", event="event", reference="B", timepoints=[6.0])
    for arm in ("A", "B"):
        n = _get(ab.ard, arm, "n")["estimate"]
        assert (
            n
            == _get(ab.ard, arm, "n_event")["estimate"] + _get(ab.ard, arm, "n_censor")["estimate"]
        )
    hr_b, hr_a = _get(ab.ard, "B", "hazard_ratio"), _get(ba.ard, "A", "hazard_ratio")
    assert (hr_b["estimate"] is None) == (hr_a["estimate"] is None)
    if hr_b["estimate"] is not None:
        assert hr_b["estimate"] * hr_a["estimate"] == pytest.approx(1.0, rel=1e-6)
        assert hr_b["conf_low"] * hr_a["conf_high"] == pytest.approx(1.0, rel=1e-6)
        assert hr_b["std_error"] == pytest.approx(hr_a["std_error"], rel=1e-6)
    p_b, p_a = _get(ab.ard, "B", "logrank_p_value"), _get(ba.ard, "A", "logrank_p_value")
    assert p_b["estimate"] == p_a["estimate"] or p_b["estimate"] == pytest.approx(p_a["estimate"])
    d_b = _get(ab.ard, "B", "event_free_rate_difference", 6.0)
    d_a = _get(ba.ard, "A", "event_free_rate_difference", 6.0)
    if d_b["estimate"] is None:
        assert d_a["estimate"] is None
    else:
        assert d_b["estimate"] == pytest.approx(-d_a["estimate"], abs=1e-12)
        if d_b["std_error"] is None:  # a curve that reached 0: no interval, with the reason
            assert d_a["conf_high"] is None
            assert d_b["note"] is not None
        else:
            assert d_b["conf_low"] == pytest.approx(-d_a["conf_high"], abs=1e-12)
    # every null has a reason, nothing is NaN
    for result in (ab, ba):
        assert result.ard.filter(pl.col("estimate").is_null()).get_column("note").null_count() == 0
        assert not np.isnan(result.ard.get_column("estimate").drop_nulls().to_numpy()).any()


def _adtte(tmp_path: Path) -> tuple[Path, Path]:
    adtte, adsl = tmp_path / "adtte.parquet", tmp_path / "adsl.parquet"
    survstat.datasets.load("breast_trial_adtte").write_parquet(adtte)
    survstat.datasets.load("breast_trial_adsl").write_parquet(adsl)
    return adtte, adsl


def test_cli_writes_the_ard(tmp_path):
    adtte, adsl = _adtte(tmp_path)
    out = tmp_path / "pfs.parquet"
    ref = "B: aromatase inhibitor + AKTi"
    args = ["table", "tte", str(adtte), "--param", "PFS", "--adsl", str(adsl)]
    args += ["--population", "ITTFL", "--by", "TRT01P", "--reference", ref]
    args += ["--timepoints", "182.625,365.25", "--conf-type", "plain", "-o", str(out)]
    r = runner.invoke(app, args)
    assert r.exit_code == 0, r.output
    written = pl.read_parquet(out)
    frame = (
        survstat.datasets.load("breast_trial_adtte")
        .filter(pl.col("PARAMCD") == "PFS")
        .join(survstat.datasets.load("breast_trial_adsl").select("USUBJID", "TRT01P"), on="USUBJID")
    )
    want = tte_table(
        frame,
        by="TRT01P",
        time="AVAL",
        censor="CNSR",
        reference=ref,
        timepoints=[182.625, 365.25],
        conf_type="plain",
    ).ard
    assert written.equals(want)
    meta = survstat.read_metadata(out)
    assert meta["analysis"] == "table tte"
    assert meta["parameters"]["timepoints"] == "182.625,365.25"


def test_cli_unknown_reference_is_one_line(tmp_path):
    adtte, _ = _adtte(tmp_path)
    r = runner.invoke(app, ["table", "tte", str(adtte), "--param", "OS", "--by", "arm",
                            "--reference", "Z"])  # fmt: skip
    assert r.exit_code == 1
    assert r.output.strip().startswith("error: reference arm 'Z' not found in `arm`")
    assert len(r.output.strip().splitlines()) == 1


def test_job_step(tmp_path):
    survstat.datasets.load("gbsg2").write_parquet(tmp_path / "gbsg2.parquet")
    (tmp_path / "job.toml").write_text(
        '[job]\ntitle = "t"\noutput = "out"\n\n[inputs]\ngbsg2 = "gbsg2.parquet"\n\n'
        '[[step]]\nname = "rfs"\nanalysis = "table tte"\ninput = "gbsg2"\ntime = "time"\n'
        'event = "cens"\nby = "horTh"\nreference = "no"\nstrata = ["tgrade"]\n'
        "timepoints = [365, 730]\n"
    )
    manifest = run_job(load_job(tmp_path / "job.toml"))
    assert manifest.get_column("status").to_list() == ["ok"]
    ard = pl.read_parquet(tmp_path / "out" / "rfs.parquet")
    want = tte_table(
        survstat.datasets.load("gbsg2"),
        by="horTh",
        time="time",
        event="cens",
        reference="no",
        strata="tgrade",
        timepoints=[365, 730],
    ).ard
    assert ard.equals(want)


def test_rate_of_zero_has_no_standard_error():
    # arm A's curve reaches 0 at its last time, 4: R summary(fit, times=4) gives surv 0 and
    # std.err NaN
    ard = tte_table(TINY, by="arm", time="time", event="event", timepoints=[4.0]).ard
    a = _get(ard, "A", "event_free_rate", 4.0)
    assert a["estimate"] == 0.0
    assert a["std_error"] is None
    assert a["conf_low"] is None
    assert a["note"].startswith("standard error at time 4 undefined: the curve has reached 0")
    diff = _get(ard, "B", "event_free_rate_difference", 4.0)
    assert diff["estimate"] == pytest.approx(2 / 3)
    assert diff["std_error"] is None
    assert diff["conf_high"] is None
    assert diff["note"].endswith("in the reference arm: no interval for the difference")


def test_strata_aliased_with_the_arm_give_null_comparisons_with_reasons():
    frame = TINY.with_columns(site=pl.col("arm"))
    ard = tte_table(frame, by="arm", time="time", event="event", strata="site").ard
    hr = _get(ard, "B", "hazard_ratio_stratified")
    assert hr["estimate"] is None
    assert hr["note"].startswith("Cox fit failed: no term can be estimated")
    p = _get(ard, "B", "logrank_p_value_stratified")
    assert p["estimate"] is None
    assert p["note"] == (
        "log-rank test undefined: no event time at which both arms are at risk within a stratum"
    )
    assert _get(ard, "B", "hazard_ratio")["estimate"] is not None


@pytest.mark.parametrize("backend", ["lazy", "arrow", "pandas", "parquet"])
def test_every_input_backend_gives_the_same_ard(backend, tmp_path):
    frame = _gbsg2()
    if backend == "lazy":
        data = frame.lazy()
    elif backend == "arrow":
        data = frame.to_arrow()
    elif backend == "pandas":
        data = frame.to_pandas()
    else:
        data = tmp_path / "gbsg2.parquet"
        frame.write_parquet(data)
    args = {"by": "arm", "time": "time", "event": "event", "strata": "tgrade", "timepoints": [365]}
    assert tte_table(data, **args).ard.equals(tte_table(frame, **args).ard)


def test_cli_xpt_output_is_refused_in_one_line(tmp_path):
    adtte, _ = _adtte(tmp_path)
    out = tmp_path / "os.xpt"
    r = runner.invoke(app, ["table", "tte", str(adtte), "--param", "OS", "--by", "arm",
                            "-o", str(out)])  # fmt: skip
    assert r.exit_code == 1
    assert (
        "error: column `statistic` of dataset `OS`: the variable name `statistic` has 9" in r.output
    )
    assert not out.exists()


def test_quantile_limit_not_reached_is_null_with_reason():
    ard = tte_table(_gbsg2(), by="arm", time="time", event="event", reference="no").ard
    q3 = _get(ard, "no", "q3")
    assert q3["estimate"] == 2456.0
    assert q3["conf_high"] is None
    assert q3["note"] == (
        "upper confidence limit not reached: the upper confidence curve stays above 0.25"
    )
    assert _get(ard, "yes", "q3")["note"] == "q3 not reached: the survival curve stays above 0.25"
