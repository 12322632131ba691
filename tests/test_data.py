"""Input validation: every bad input gets a clear error naming column, rule, count and example."""

from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

import survstat
from survstat.data import SurvivalData
from survstat.errors import (
    ColumnNotFoundError,
    ColumnTypeError,
    EmptyDataError,
    InputFormatError,
    InvalidValueError,
    MissingValueError,
    OptionError,
    SurvstatError,
)

GOOD = pl.DataFrame(
    {
        "pfs_time": [5.0, 3.0, 8.0, 2.0, 9.0, 4.0],
        "pfs_event": [1, 0, 1, 1, 0, 1],
        "arm": ["A", "B", "A", "B", "A", "B"],
        "w": [1.0, 2.0, 1.0, 1.0, 0.5, 1.0],
        "start": [0.0, 1.0, 0.0, 0.5, 2.0, 0.0],
    }
)


def build(df, **kw):
    roles = {"time": "pfs_time", "event": "pfs_event"} | kw
    return SurvivalData.right_censored(df, **roles)


def test_all_errors_are_value_errors():
    assert issubclass(SurvstatError, ValueError)
    for cls in (ColumnNotFoundError, ColumnTypeError, EmptyDataError, InputFormatError):
        assert issubclass(cls, SurvstatError)


def test_missing_column_suggests_nearest_name():
    with pytest.raises(
        ColumnNotFoundError,
        match=r"column `pfs_tme` \(given as time\) not found.*did you mean `pfs_time`",
    ):
        build(GOOD, time="pfs_tme")


def test_missing_column_lists_available_when_nothing_is_close():
    with pytest.raises(
        ColumnNotFoundError, match=r"`zzz` \(given as by\).*available columns: `pfs_time`"
    ):
        build(GOOD, by="zzz")


@pytest.mark.parametrize(
    ("values", "error", "pattern"),
    [
        (
            [5.0, -1.0, 3.0, -2.0, 1.0, 1.0],
            InvalidValueError,
            r"`pfs_time` must be non-negative; found 2 negative values of 6 rows \(values: -1.0, -2.0; first: -1.0 at row 1\)",
        ),
        (
            [5.0, None, 3.0, 2.0, 1.0, 1.0],
            MissingValueError,
            r"`pfs_time` must not be missing; found 1 missing value of 6 rows \(first at row 1\)",
        ),
        (
            [5.0, 2.0, float("nan"), 2.0, 1.0, 1.0],
            MissingValueError,
            r"`pfs_time` must not be NaN; found 1 NaN value of 6 rows \(first at row 2\)",
        ),
        (
            [5.0, 2.0, 1.0, float("inf"), 1.0, 1.0],
            InvalidValueError,
            r"`pfs_time` must be finite; found 1 infinite value of 6 rows \(values: inf; first: inf at row 3\)",
        ),
    ],
)
def test_bad_times(values, error, pattern):
    df = GOOD.with_columns(pfs_time=pl.Series(values, dtype=pl.Float64))
    with pytest.raises(error, match=pattern):
        build(df)


def test_event_codes_outside_zero_one():
    df = GOOD.with_columns(pfs_event=pl.Series([1, 2, 0, 2, 3, 1]))
    with pytest.raises(
        InvalidValueError,
        match=r"`pfs_event` must be 0/1 or true/false; found 3 other values of 6 rows \(values: 2, 3; first: 2 at row 1\)",
    ):
        build(df)


def test_event_missing():
    df = GOOD.with_columns(pfs_event=pl.Series([1, None, 0, 1, 1, 1]))
    with pytest.raises(
        MissingValueError, match=r"`pfs_event` must not be missing; found 1 missing"
    ):
        build(df)


def test_string_time_is_a_dtype_error():
    df = GOOD.with_columns(pl.col("pfs_time").cast(pl.String))
    with pytest.raises(
        ColumnTypeError, match=r"`pfs_time` \(time\) must be numeric; found dtype String"
    ):
        build(df)


def test_string_event_is_a_dtype_error():
    df = GOOD.with_columns(pfs_event=pl.lit("yes"))
    with pytest.raises(
        ColumnTypeError, match=r"`pfs_event` \(event\) must be boolean or 0/1 numeric"
    ):
        build(df)


def test_entry_not_before_time():
    df = GOOD.with_columns(start=pl.Series([0.0, 3.0, 9.0, 0.0, 0.0, 0.0]))
    with pytest.raises(
        InvalidValueError,
        match=r"`start` must be less than `pfs_time`; found 2 rows with `start` >= `pfs_time` of 6 rows \(values: 3.0, 9.0; first: 3.0 at row 1\)",
    ):
        build(df, entry="start")


@pytest.mark.parametrize(
    ("values", "error", "pattern"),
    [
        (
            [1.0, -0.5, 1.0, 1.0, 1.0, 1.0],
            InvalidValueError,
            r"`w` must be non-negative; found 1 negative value",
        ),
        ([1.0, None, 1.0, 1.0, 1.0, 1.0], MissingValueError, r"`w` must not be missing"),
    ],
)
def test_bad_weights(values, error, pattern):
    df = GOOD.with_columns(w=pl.Series(values, dtype=pl.Float64))
    with pytest.raises(error, match=pattern):
        build(df, weight="w")


def test_missing_group_values():
    df = GOOD.with_columns(arm=pl.Series(["A", None, "A", "B", None, "B"]))
    with pytest.raises(
        MissingValueError,
        match=r"`arm` must not be missing; found 2 missing values of 6 rows \(first at row 1\)",
    ):
        build(df, by="arm")


def test_empty_data():
    with pytest.raises(EmptyDataError, match="the data has no rows"):
        build(GOOD.clear())


def test_empty_declared_group():
    df = GOOD.with_columns(pl.col("arm").cast(pl.Enum(["A", "B", "C"])))
    with pytest.raises(
        EmptyDataError, match=r"group column `arm` declares 1 level\(s\) with no rows: 'C'"
    ):
        build(df, by="arm")


def test_same_column_in_two_roles():
    with pytest.raises(SurvstatError, match="column `pfs_time` is used both as time and as entry"):
        build(GOOD, entry="pfs_time")


def test_reserved_group_name():
    df = GOOD.rename({"arm": "survival"})
    with pytest.raises(
        SurvstatError, match="group column `survival` clashes with an output column"
    ):
        build(df, by="survival")


def test_roles_twice():
    sd = build(GOOD)
    with pytest.raises(SurvstatError, match="already a SurvivalData"):
        survstat.kaplan_meier(sd, time="pfs_time")


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [
        (
            {"conf_type": "loglog"},
            r"`conf_type` must be one of 'log-log', 'log', 'plain', 'logit', 'arcsine'; got 'loglog'",
        ),
        ({"conf_level": 1.5}, r"`conf_level` must be strictly between 0 and 1; got 1.5"),
    ],
)
def test_bad_options(kwargs, pattern):
    with pytest.raises(OptionError, match=pattern):
        survstat.kaplan_meier(GOOD, time="pfs_time", event="pfs_event", **kwargs)


def test_bad_query_times():
    km = survstat.kaplan_meier(GOOD, time="pfs_time", event="pfs_event")
    with pytest.raises(
        OptionError,
        match=r"`times` must be finite and non-negative; found 1 bad value\(s\) \(first: -1.0\)",
    ):
        km.at([1.0, -1.0])
    with pytest.raises(OptionError, match=r"`probs` must lie in \[0, 1\]"):
        km.quantile(1.5)


def test_boolean_events_and_integer_times_are_accepted():
    df = GOOD.with_columns(pl.col("pfs_event").cast(pl.Boolean), pl.col("pfs_time").cast(pl.Int32))
    a = survstat.kaplan_meier(df, time="pfs_time", event="pfs_event").table
    b = survstat.kaplan_meier(GOOD, time="pfs_time", event="pfs_event").table
    assert a.equals(b)


BACKENDS = {
    "polars": lambda df, tmp: df,
    "lazy": lambda df, tmp: df.lazy(),
    "arrow": lambda df, tmp: df.to_arrow(),
    "pandas": lambda df, tmp: df.to_pandas(),
    "parquet": lambda df, tmp: (df.write_parquet(tmp / "d.parquet"), str(tmp / "d.parquet"))[1],
    "directory": lambda df, tmp: _partitioned(df, tmp),
    "glob": lambda df, tmp: _split(df, tmp),
}


def _partitioned(df, tmp):
    df.write_parquet(tmp / "ds", partition_by="arm")
    return str(tmp / "ds")


def _split(df, tmp):
    df.head(3).write_parquet(tmp / "part-1.parquet")
    df.tail(3).write_parquet(tmp / "part-2.parquet")
    return str(tmp / "part-*.parquet")


@pytest.mark.parametrize("backend", list(BACKENDS))
def test_every_input_backend_gives_the_same_curves(backend, tmp_path):
    data = BACKENDS[backend](GOOD, tmp_path)
    km = survstat.kaplan_meier(data, time="pfs_time", event="pfs_event", by="arm")
    ref = survstat.kaplan_meier(GOOD, time="pfs_time", event="pfs_event", by="arm")
    assert km.table.equals(ref.table)
    assert isinstance(data, (pl.DataFrame, pl.LazyFrame, pa.Table, pd.DataFrame, str))


def test_not_a_parquet_file(tmp_path):
    path = tmp_path / "data.parquet"
    GOOD.write_csv(path)
    with pytest.raises(InputFormatError, match=r"`.*data.parquet` is not a Parquet file"):
        build(str(path))


def test_missing_file_and_empty_glob(tmp_path):
    with pytest.raises(InputFormatError, match="does not exist"):
        build(str(tmp_path / "nope.parquet"))
    with pytest.raises(InputFormatError, match="matches no files"):
        build(str(tmp_path / "*.parquet"))
    with pytest.raises(InputFormatError, match=r"contains no \.parquet files"):
        build(str(tmp_path))


def test_unsupported_input_type():
    with pytest.raises(InputFormatError, match="got list"):
        build([1, 2, 3])


def test_row_count_and_roles():
    sd = build(GOOD, by="arm", weight="w", entry="start")
    assert sd.n_rows == 6
    assert sd.groups == ("arm",)
    assert (sd.time, sd.event, sd.entry, sd.weight) == ("pfs_time", "pfs_event", "start", "w")
    assert np.isclose(sd.frame.select(pl.col("w").sum()).collect().item(), 6.5)


def test_float_events_must_be_zero_or_one():
    df = GOOD.with_columns(pfs_event=pl.Series([1.0, 0.0, 0.5, 1.0, float("nan"), 0.0]))
    with pytest.raises(
        InvalidValueError,
        match=r"`pfs_event` must be 0/1 or true/false; found 2 other values of 6 rows \(values: 0.5, nan; first: 0.5 at row 2\)",
    ):
        build(df)
    ok = GOOD.with_columns(pl.col("pfs_event").cast(pl.Float64))
    assert build(ok).n_rows == 6


def test_decimal_times_and_categorical_groups():
    df = GOOD.with_columns(
        pl.col("pfs_time").cast(pl.Decimal(10, 2)), pl.col("arm").cast(pl.Categorical)
    )
    km = survstat.kaplan_meier(df, time="pfs_time", event="pfs_event", by="arm")
    ref = survstat.kaplan_meier(GOOD, time="pfs_time", event="pfs_event", by="arm")
    assert km.table.drop("arm").equals(ref.table.drop("arm"))
    assert km.table["arm"].cast(pl.String).to_list() == ref.table["arm"].to_list()


# --- case weights: zero-weight rows are kept, all-zero weights overall or in a group refused ---


def test_all_zero_weights_are_an_error():
    # nothing could be estimated: every risk set has weight 0 (R survfit reports S = 1)
    with pytest.raises(
        InvalidValueError,
        match=r"`w` must not be 0 on every row; found 0 positive weights in 6 rows",
    ):
        build(GOOD.with_columns(w=pl.lit(0.0)), weight="w")


@pytest.mark.parametrize("competing", [False, True])
def test_all_zero_weights_in_one_group_name_the_group(competing):
    # arm B's weights are all 0; arm A's are not
    df = GOOD.with_columns(w=pl.Series([1.0, 0.0, 2.0, 0.0, 1.0, 0.0]), c=pl.col("pfs_event"))
    pattern = (
        r"`w` must not be 0 on every row of a group; found 1 group\(s\) of 2 whose weights "
        r"are all 0 \(first: arm='B', 3 rows\)"
    )
    roles = {"time": "pfs_time", "weight": "w", "by": "arm"}
    bind = SurvivalData.competing_risks if competing else SurvivalData.right_censored
    outcome = {"cause": "c"} if competing else {"event": "pfs_event"}
    with pytest.raises(InvalidValueError, match=pattern):
        bind(df, **roles, **outcome)
    # strata are groups too, and the group is named by all its columns
    df = df.with_columns(site=pl.Series([1, 1, 2, 2, 1, 1]))
    with pytest.raises(InvalidValueError, match=r"\(first: site=1, arm='B', 2 rows\)"):
        build(df, weight="w", by="arm", strata="site")


# the six weights of GOOD times a scale: 1, 2, 1, 1, 0.5, 1
WEIGHT_SCALES = [
    # 8 x 3e307 overflows the sum (the largest double is about 1.8e308)
    (
        3e307,
        r"its sum overflows over 6 rows \(largest value: 6e\+307\); rescale it, e\.g\. "
        r"divide it by 1e\+307",
    ),
    # (2e160)^2 = 4e320 overflows the sum of squares, which the robust variances need
    (
        1e160,
        r"the sum of its squares \(used by robust variances\) overflows over 6 rows "
        r"\(largest value: 2e\+160\); rescale it, e\.g\. divide it by 1e\+160",
    ),
    # (2e-160)^2 = 4e-320 is below the smallest normal double (2.2e-308)
    (
        1e-160,
        r"its largest value's square is below the smallest normal double over 6 rows "
        r"\(largest value: 2e-160\); rescale it, e\.g\. multiply it by 1e\+160",
    ),
]


@pytest.mark.parametrize("competing", [False, True])
@pytest.mark.parametrize(("scale", "pattern"), WEIGHT_SCALES)
def test_weights_beyond_double_precision_are_an_error(scale, pattern, competing):
    # sums of such weights, or of their squares, are inf or 0: the estimates would be NaN
    # (Cox wrote concordance NaN) or their variances inf; most estimates do not depend on the
    # weights' scale, so the error suggests rescaling
    df = GOOD.with_columns(w=pl.col("w") * scale, c=pl.col("pfs_event"))
    roles = {"time": "pfs_time", "weight": "w", "by": "arm"}
    bind = SurvivalData.competing_risks if competing else SurvivalData.right_censored
    outcome = {"cause": "c"} if competing else {"event": "pfs_event"}
    with pytest.raises(
        InvalidValueError, match=r"`w` \(weight\) must be on a scale that double precision"
    ) as caught:
        bind(df, **roles, **outcome)
    assert caught.match(pattern)
    assert caught.match("do not depend on the weights' scale")


@pytest.mark.parametrize("scale", [1e150, 1e-150])
def test_weights_at_the_edge_of_double_precision_give_the_unit_scale_estimates(scale):
    # within the limits the scale changes no estimate: survival with its robust variance
    # (Greenwood's treats whole-number weights as counts, so it does change), Cox hazard
    # ratios with robust errors and the concordance (it was NaN near 1e300)
    df = GOOD.with_columns(w=pl.col("w") * scale, x=pl.Series([0.3, 1.2, -0.5, 0.8, 0.1, -1.0]))
    km = {"time": "pfs_time", "event": "pfs_event", "weight": "w", "by": "arm", "robust": True}
    scaled = survstat.kaplan_meier(df, **km)
    unit = survstat.kaplan_meier(GOOD, **km)
    for col in ("survival", "std_error", "conf_low", "conf_high"):
        np.testing.assert_allclose(scaled.table[col], unit.table[col], rtol=1e-10)
    cox = {"time": "pfs_time", "event": "pfs_event", "weight": "w", "covariates": ["x"]}
    cs = survstat.cox(df, **cox, robust=True)
    cu = survstat.cox(GOOD.with_columns(x=df["x"]), **cox, robust=True)
    for col in ("coef", "std_error", "p_value"):
        np.testing.assert_allclose(cs.table[col], cu.table[col], rtol=1e-8)
    assert cs.model["concordance"].item() == pytest.approx(cu.model["concordance"].item())


def test_zero_weight_rows_are_kept_and_add_nothing():
    # a row of weight 0 counts in `n` but in no risk set or event count: the curve equals the
    # one without it (R survfit's convention)
    df = GOOD.with_columns(w=pl.Series([1.0, 2.0, 0.0, 1.0, 0.5, 1.0]))
    with_zero = survstat.kaplan_meier(df, time="pfs_time", event="pfs_event", weight="w")
    without = survstat.kaplan_meier(
        df.filter(pl.col("w") > 0), time="pfs_time", event="pfs_event", weight="w"
    )
    kept = with_zero.table.filter(pl.col("time") != 8.0)
    for col in ("n_risk", "n_event", "survival", "std_error", "conf_low", "conf_high"):
        np.testing.assert_allclose(kept[col].to_numpy(), without.table[col].to_numpy())
    assert with_zero.summary()["n"].item() == 6
    # the zero-weight row's own time is a step with no change: at risk are itself (0) and
    # the row at time 9 (0.5)
    row = with_zero.table.filter(pl.col("time") == 8.0).row(0, named=True)
    assert (row["n_risk"], row["n_event"], row["survival"]) == (0.5, 0.0, kept["survival"][-1])


@pytest.mark.skipif(
    __import__("shutil").which("java") is None, reason="the Spark engine needs Java"
)
def test_bad_weights_on_spark():
    from pyspark.sql import SparkSession

    # the session of tests/test_spark.py (same settings): its fixture picks this one up
    # instead of starting a second JVM, and stops it
    spark = (
        SparkSession.builder.master("local[2]")
        .appName("survstat-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.driver.memory", "1g")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    df = GOOD.with_columns(w=pl.Series([1.0, 0.0, 2.0, 0.0, 1.0, 0.0]))
    sdf = spark.createDataFrame(df.to_arrow())
    with pytest.raises(InvalidValueError, match=r"\(first: arm='B', 3 rows\)"):
        survstat.kaplan_meier(sdf, time="pfs_time", event="pfs_event", weight="w", by="arm")
    zero = spark.createDataFrame(df.with_columns(w=pl.lit(0.0)).to_arrow())
    with pytest.raises(InvalidValueError, match="found 0 positive weights in 6 rows"):
        survstat.kaplan_meier(zero, time="pfs_time", event="pfs_event", weight="w")
    # Spark's sums of the weights and of their squares are checked as polars' are
    for scale, pattern in WEIGHT_SCALES:
        huge = spark.createDataFrame(GOOD.with_columns(w=pl.col("w") * scale).to_arrow())
        with pytest.raises(InvalidValueError, match=pattern):
            survstat.kaplan_meier(huge, time="pfs_time", event="pfs_event", weight="w", by="arm")
