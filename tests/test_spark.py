"""The Spark engine gives the polars engine's tables: counts exactly, estimates to 1e-12, Cox
models to 1e-10.

A local[2] session is started once for the module. These tests need Java; without it they are
skipped with that reason (pyspark itself is part of the test extra and must be importable).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import numpy as np
import polars as pl
import pyarrow.parquet as pq
import pytest
from layouts import cohort, write_layouts
from polars.testing import assert_frame_equal
from reference_data import as_list, case, cases, frame, num, roles
from typer.testing import CliRunner

import survstat
from survstat.batch import load_job, run_job
from survstat.cli import app
from survstat.engines.spark import read_parquet
from survstat.errors import (
    ColumnNotFoundError,
    ColumnTypeError,
    EmptyDataError,
    EngineError,
    InputFormatError,
    InvalidValueError,
    MissingValueError,
)
from survstat.risk import risk_table

pytestmark = pytest.mark.skipif(
    shutil.which("java") is None, reason="the Spark engine needs Java, which is not installed"
)
#: In-memory weighted sums are float sums in row order; on Parquet both engines sum exactly.
WEIGHTED = {"check_exact": False, "rel_tol": 1e-12, "abs_tol": 1e-15}


@pytest.fixture(scope="module")
def spark():
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[2]")
        .appName("survstat-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.driver.memory", "1g")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture(scope="module")
def layouts(tmp_path_factory):
    base = tmp_path_factory.mktemp("spark-layouts")
    data = cohort()
    return data, write_layouts(base, data)


ROLES = [
    {"by": "arm"},
    {"by": ["arm", "site"]},
    {"by": "arm", "strata": "study"},
    {"by": "arm", "entry": "entry"},
    {"by": "arm", "weight": "w"},
    {"by": "arm", "entry": "entry", "weight": "w"},
]


@pytest.mark.parametrize("layout", ["file", "glob", "hive"])
@pytest.mark.parametrize("roles", ROLES, ids=lambda r: "-".join(r))
def test_risk_table_on_spark_equals_polars(spark, layouts, layout, roles):
    data, paths = layouts
    sdf = read_parquet(paths[layout], spark)
    got = risk_table(sdf, time="time", event="event", **roles).table
    # Spark reads Hive partition values as 32-bit integers, polars as 64-bit
    same = {"check_exact": True, "check_dtypes": layout != "hive"}
    # weights: the same exact sums as polars' streaming engine, so the same bits
    want = risk_table(paths[layout], time="time", event="event", **roles).table
    assert_frame_equal(got, want, **same)
    # and the in-memory table: counts exactly, weighted sums to the last bits
    want = risk_table(data, time="time", event="event", **roles).table
    assert_frame_equal(got, want, **(same | (WEIGHTED if "weight" in roles else {})))


def test_estimators_on_spark_equal_polars(spark, layouts):
    data, paths = layouts
    sdf = read_parquet(paths["hive"], spark)
    same = {"time": "time", "event": "event", "by": "arm"}
    competing = {"time": "time", "cause": "cause", "by": "arm"}
    pairs = [
        (survstat.kaplan_meier(sdf, **same), survstat.kaplan_meier(data, **same)),
        (survstat.nelson_aalen(sdf, **same), survstat.nelson_aalen(data, **same)),
        (
            survstat.logrank(sdf, **same, strata="study", weights="fleming-harrington", rho=1),
            survstat.logrank(data, **same, strata="study", weights="fleming-harrington", rho=1),
        ),
        (
            survstat.cumulative_incidence(sdf, **competing),
            survstat.cumulative_incidence(data, **competing),
        ),
        (survstat.gray_test(sdf, **competing), survstat.gray_test(data, **competing)),
    ]
    for got, want in pairs:
        # unweighted counts are exact, so every estimate is computed from the same numbers
        assert_frame_equal(got.table, want.table, check_exact=True)
    fit = survstat.kaplan_meier(sdf, **same)
    assert fit.summary().equals(survstat.kaplan_meier(data, **same).summary())


def test_weighted_and_delayed_entry_estimates_with_robust_variance(spark, layouts):
    _, paths = layouts
    sdf = read_parquet(paths["glob"], spark)
    km = {"time": "time", "event": "event", "by": "arm", "weight": "w", "entry": "entry"}
    got, want = survstat.kaplan_meier(sdf, **km), survstat.kaplan_meier(paths["glob"], **km)
    assert got.variance == want.variance == "robust"
    assert_frame_equal(got.table, want.table, check_exact=True)
    cr = {"time": "time", "cause": "cause", "by": "arm", "weight": "w", "entry": "entry"}
    got = survstat.cumulative_incidence(sdf, **cr)
    want = survstat.cumulative_incidence(paths["glob"], **cr)
    assert got.variance == want.variance == "robust"
    assert_frame_equal(got.table, want.table, check_exact=True)


R_CASES = [c["name"] for c in cases()]


def test_r_reference_datasets_through_spark(spark):
    # every survfit reference dataset (veteran, lung, aml, pbc, GBSG2, weights, delayed
    # entry, edge cases), as an in-memory Spark DataFrame: the same curves as on polars, whose
    # agreement with R is pinned in test_reference_r.py
    for name in R_CASES:
        c = case(name)
        local = frame(c)
        sdf = spark.createDataFrame(local.to_arrow())
        got = survstat.kaplan_meier(sdf, **roles(c)).table
        want = survstat.kaplan_meier(local, **roles(c)).table
        options = WEIGHTED if "weight" in roles(c) else {"check_exact": True}
        assert_frame_equal(got, want, **options)


def test_column_names_with_dots_and_spaces(spark):
    local = pl.DataFrame(
        {"follow up.t": [1.0, 2.0, 2.0, 3.0], "ev": [1, 0, 1, 1], "arm.x": ["a", "b", "a", "b"]}
    )
    sdf = spark.createDataFrame(local.to_arrow())
    got = survstat.kaplan_meier(sdf, time="follow up.t", event="ev", by="arm.x").table
    want = survstat.kaplan_meier(local, time="follow up.t", event="ev", by="arm.x").table
    assert_frame_equal(got, want)
    # the Cox model's design, strata join and clusters take such names literally too
    rng = np.random.default_rng(1)
    local = pl.DataFrame(
        {
            "follow up.t": rng.integers(1, 20, 300).astype(float),
            "ev": rng.integers(0, 2, 300),
            "site.x": rng.choice(["a", "b"], 300),
            "arm x": rng.choice(["A", "B"], 300),
            "pid.1": rng.integers(0, 30, 300),
        }
    )
    model = {"time": "follow up.t", "event": "ev", "covariates": ["arm x"], "strata": "site.x"}
    got = survstat.cox(spark.createDataFrame(local.to_arrow()), **model, cluster="pid.1")
    want = survstat.cox(local, **model, cluster="pid.1")
    assert_frame_equal(got.table, want.table, check_exact=False, rel_tol=1e-10)


def test_text_causes_and_declared_causes(spark):
    local = pl.DataFrame(
        {
            "t": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
            "why": ["relapse", "censored", "death", "relapse", "censored", "relapse"],
        }
    )
    sdf = spark.createDataFrame(local.to_arrow())
    opts = {"time": "t", "cause": "why", "censor_value": "censored"}
    got = survstat.cumulative_incidence(sdf, **opts, causes=["relapse", "death"])
    want = survstat.cumulative_incidence(local, **opts, causes=["relapse", "death"])
    assert got.causes == ("relapse", "death")
    assert_frame_equal(got.table, want.table)
    with pytest.raises(InvalidValueError, match=r"found 1 row of 6 with other codes: death"):
        survstat.cumulative_incidence(sdf, **opts, causes=["relapse"])


@pytest.mark.parametrize(
    ("change", "error", "message"),
    [
        (
            pl.when(pl.col("time") > 90).then(-pl.col("time")).otherwise(pl.col("time")),
            InvalidValueError,
            r"`time` must be non-negative; found \d+ negative values of 5000 rows \(values: -",
        ),
        (
            pl.when(pl.col("time") > 90).then(None).otherwise(pl.col("time")),
            MissingValueError,
            r"`time` must not be missing; found \d+ missing values of 5000 rows$",
        ),
        (
            pl.when(pl.col("time") > 90).then(float("nan")).otherwise(pl.col("time")),
            MissingValueError,
            r"`time` must not be NaN; found \d+ NaN values of 5000 rows",
        ),
        (
            pl.when(pl.col("time") > 90).then(float("inf")).otherwise(pl.col("time")),
            InvalidValueError,
            r"`time` must be finite; found \d+ infinite values of 5000 rows \(values: inf",
        ),
    ],
    ids=["negative", "missing", "nan", "infinite"],
)
def test_bad_times_are_refused_with_counts_and_values(spark, change, error, message):
    local = cohort().with_columns(time=change)
    sdf = spark.createDataFrame(local.to_arrow())
    with pytest.raises(error, match=message):
        survstat.kaplan_meier(sdf, time="time", event="event")


def test_other_bad_inputs(spark, tmp_path):
    local = cohort(200)
    sdf = spark.createDataFrame(local.with_columns(event=pl.col("event") * 2).to_arrow())
    with pytest.raises(InvalidValueError, match=r"`event` must be 0/1 or true/false; found \d+"):
        survstat.kaplan_meier(sdf, time="time", event="event")
    sdf = spark.createDataFrame(local.to_arrow())
    with pytest.raises(ColumnNotFoundError, match="tmie"):
        survstat.kaplan_meier(sdf, time="tmie", event="event")
    with pytest.raises(ColumnTypeError, match=r"`arm` \(time\) must be numeric; found dtype Str"):
        survstat.kaplan_meier(sdf, time="arm", event="event")
    with pytest.raises(InvalidValueError, match=r"`time` must be less than `entry`; found 200"):
        survstat.kaplan_meier(sdf, time="entry", event="event", entry="time")
    with pytest.raises(EmptyDataError, match="no rows"):
        survstat.kaplan_meier(sdf.limit(0), time="time", event="event")
    not_parquet = tmp_path / "data.parquet"
    not_parquet.write_text("time,event\n1,0\n")
    with pytest.raises(InputFormatError, match="is not a Parquet file"):
        read_parquet(not_parquet, spark)
    with pytest.raises(InputFormatError, match="does not exist"):
        read_parquet(tmp_path / "missing.parquet", spark)


def test_row_level_analyses_are_refused(spark):
    sdf = spark.createDataFrame(cohort(200).to_arrow())
    with pytest.raises(EngineError, match="Fine–Gray regression needs row-level data"):
        survstat.fine_gray(sdf, time="time", cause="cause", covariates=["site"], failcode=1)


def test_cdisc_censor_and_param_are_refused_on_spark(spark):
    sdf = spark.createDataFrame(cohort(50).with_columns(CNSR=1 - pl.col("event")).to_arrow())
    with pytest.raises(EngineError, match=r"censor and param run on the polars engine; on spark"):
        survstat.kaplan_meier(sdf, time="time", censor="CNSR")
    survstat.kaplan_meier(sdf, time="time", event="event")  # an event column still runs


runner = CliRunner()


def test_cli_engine_spark_writes_the_polars_table(spark, layouts, tmp_path):
    _, paths = layouts
    outs = {}
    for engine in ("polars", "spark"):
        outs[engine] = tmp_path / f"{engine}.parquet"
        args = ["cif", paths["hive"], "--time", "time", "--cause", "cause", "--by", "arm"]
        r = runner.invoke(app, [*args, "--engine", engine, "-o", str(outs[engine])])
        assert r.exit_code == 0, r.output
    assert pl.read_parquet(outs["spark"]).equals(pl.read_parquet(outs["polars"]))
    for engine in ("polars", "spark"):
        outs[engine] = tmp_path / f"cox-{engine}.parquet"
        args = ["cox", paths["file"], "--time", "time", "--event", "event", "--covariates",
                "arm,site", "--strata", "study", "--engine", engine, "-o", str(outs[engine])]  # fmt: skip
        r = runner.invoke(app, args)
        assert r.exit_code == 0, r.output
    assert "concordance not computed" in r.output
    got, want = pl.read_parquet(outs["spark"]), pl.read_parquet(outs["polars"])
    assert_frame_equal(got, want, check_exact=False, rel_tol=1e-10)


def test_job_with_spark_steps(spark, layouts, tmp_path):
    _, paths = layouts
    job = tmp_path / "job.toml"
    job.write_text(
        f"""
[job]
output = "out"
engine = "spark"

[inputs]
cohort = "{paths["hive"]}"

[[step]]
analysis = "km"
input = "cohort"
time = "time"
event = "event"
by = ["arm"]
weight = "w"

[[step]]
name = "km_polars"
analysis = "km"
engine = "polars"
input = "cohort"
time = "time"
event = "event"
by = ["arm"]
weight = "w"

[[step]]
analysis = "gray"
input = "cohort"
time = "time"
cause = "cause"
by = ["arm"]

[[step]]
analysis = "cox"
input = "cohort"
time = "time"
event = "event"
covariates = ["arm"]
"""
    )
    manifest = run_job(load_job(job))
    assert manifest.get_column("status").to_list() == ["ok"] * 4
    assert manifest.get_column("engine").to_list() == ["spark", "polars", "spark", "spark"]
    out = tmp_path / "out"
    assert pl.read_parquet(out / "km.parquet").equals(pl.read_parquet(out / "km_polars.parquet"))
    meta = json.loads(pq.read_schema(out / "km.parquet").metadata[b"survstat"])
    assert meta["engine"] == "spark"


def test_job_checks_what_spark_cannot_run(tmp_path, layouts):
    _, paths = layouts
    job = tmp_path / "job.toml"
    job.write_text(
        f"""
[job]
output = "out"
engine = "spark"

[inputs]
cohort = "{paths["hive"]}"

[[step]]
analysis = "finegray"
input = "cohort"
time = "time"
cause = "cause"
covariates = ["site"]
failcode = 1

[[step]]
analysis = "km"
input = "cohort"
time = "time"
event = "event"

[[step]]
name = "again"
analysis = "summary"
input = "km"
time = "time"
event = "event"

[[step]]
name = "typo"
analysis = "km"
engine = "sprak"
input = "cohort"
time = "time"
event = "event"

[[step]]
name = "parts"
analysis = "km"
input = "cohort"
time = "time"
event = "event"
by_partition = ["study"]
"""
    )
    with pytest.raises(survstat.SurvstatError) as info:
        load_job(job)
    assert info.value.problems == [
        "job.toml:9: step 1 (finegray): `finegray` needs row-level data and does not run on the "
        'spark engine (only km, summary, logrank, cox, cif, gray do); set `engine = "polars"` on '
        "this step",
        "job.toml:26: step 3 (again): on the spark engine the input must be a job input, not "
        "step `km`",
        "job.toml:33: step 4 (typo): `engine` must be one of polars, spark; got 'sprak'",
        "job.toml:44: step 5 (parts): `by_partition` is not available on the spark engine; "
        "group with `by` instead (one curve per level)",
    ]


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX shell paths")
def test_cli_in_a_subprocess_on_its_own_spark(tmp_path):
    # a fresh process with no session: the CLI starts Spark itself, locally by default
    data = cohort(300)
    path = tmp_path / "d.parquet"
    data.write_parquet(path)
    out = tmp_path / "km.parquet"
    cmd = [sys.executable, "-m", "survstat", "km", str(path), "--time", "time",
           "--event", "event", "--by", "arm", "--engine", "spark",
           "--spark-master", "local[1]", "-o", str(out)]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    want = survstat.kaplan_meier(data, time="time", event="event", by="arm").table
    assert_frame_equal(pl.read_parquet(out), want)
    assert np.isfinite(pl.read_parquet(out).get_column("survival").to_numpy()).all()


#: The R reference Cox cases with strata, clusters, weights, ties and a categorical covariate
#: (tests/reference/make_reference_cox.R).
COX_CASES = ["gbsg2_strata_cluster", "veteran_weights_robust_breslow"]


@pytest.fixture(scope="module")
def cox_fits(spark, tmp_path_factory):
    from test_cox import CASES, fit

    from survstat.engines import open_input

    fits = {}
    for name in COX_CASES:
        c = CASES[name]
        path = tmp_path_factory.mktemp("cox") / f"{name}.parquet"
        frame(c).write_parquet(path)
        fits[name] = (c, fit(c), _cox_from(open_input(path, "spark"), c))
    return fits


def _cox_from(data, c):
    from test_cox import option

    return survstat.cox(
        data,
        time=c["time"],
        event=c["event"],
        covariates=as_list(c["covariates"]),
        strata=option(c.get("strata")),
        weight=option(c.get("weight")),
        cluster=option(c.get("cluster")),
        robust=bool(c["robust"]),
        ties=c["ties"],
    )


@pytest.mark.parametrize("name", COX_CASES)
def test_cox_on_spark_equals_the_polars_engine_and_r(cox_fits, name):
    from test_cox_engine import same_fit

    c, want, got = cox_fits[name]
    # Efron with strata and clusters; Breslow with weights and robust errors; both with a
    # categorical covariate and tied times
    same_fit(got, want)
    assert got.robust
    ref = {"coef": num(c["coef"]), "std_error": num(c["se"])}
    for col, values in ref.items():
        np.testing.assert_allclose(got.table[col].to_numpy(), values, rtol=1e-8)
    np.testing.assert_allclose(got.loglik, num(c["loglik"]), rtol=1e-8)
    assert got.concordance is None
    assert got.model["concordance"].to_list() == [None]
    assert got.notes[0].startswith("concordance not computed")


def test_what_needs_the_rows_is_refused_on_spark(spark, cox_fits):
    from survstat.data import SurvivalData

    _, _, fit = cox_fits[COX_CASES[0]]
    assert fit.basis is None
    message = "needs the rows in memory, which the spark engine keeps; run the Cox model on the"
    for call in (fit.survival, fit.baseline_hazard, fit.residuals, fit.zph):
        with pytest.raises(EngineError, match=message):
            call()
    sdf = spark.createDataFrame(cohort(200).to_arrow())
    with_entry = SurvivalData.right_censored(sdf, time="time", event="event", entry="entry")
    with pytest.raises(EngineError, match=r"delayed entry \(`entry`\) need the rows in memory"):
        survstat.cox(with_entry, covariates=["site"])
    for ties in ("discrete", "exact"):
        with pytest.raises(EngineError, match=f'ties="{ties}" needs the rows in memory'):
            survstat.cox(sdf, time="time", event="event", covariates=["site"], ties=ties)
    with pytest.raises(EngineError, match="concordance needs row-level data"):
        survstat.concordance(sdf, time="time", event="event", score="site")
