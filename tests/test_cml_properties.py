"""Every CML function on random small frames, junk included: a result without NaN or inf, or
one SurvstatError with a one-line message; and invariants on valid input."""

from __future__ import annotations

import datetime as dt
import math
import warnings

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from survstat.analyses.cml_response import molecular_response
from survstat.endpoints.cml import (
    LEVELS,
    Thresholds,
    classify_samples,
    response_endpoints,
)
from survstat.endpoints.cml_monitoring import eln_milestones, loss_of_mmr, sustained_response
from survstat.endpoints.cml_tfr import tfr_eligibility, tfr_endpoints
from survstat.errors import SurvstatError, SurvstatWarning

TIMES = [-1.0, 0.0, 3.0, 6.0, 9.0, 12.0, 12.5, 13.0, 60.0, 66.0, 70.0]
EVENTS = [None, None, None, 2.0, 6.0, 12.0, 62.0, 65.0, 80.0]
IS = [0.0005, 0.001, 0.0032, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 10.0, 40.0, 150.0]
COPIES = [500.0, 9_000.0, 1e4, 2.4e4, 3.2e4, 7.7e4, 1e5, 2.4e5]
JUNK = [None, math.nan, math.inf, -math.inf, -1.0, 0.0, 5e-324, 1e308, "x", "", "NaN"]


def _series(name: str, values: list, dtype: pl.DataType | None = None) -> pl.Series:
    try:
        return pl.Series(name, values, dtype=dtype, strict=False)
    except Exception:  # mixed values polars cannot hold in one column: as text
        return pl.Series(name, [None if v is None else str(v) for v in values], dtype=pl.String)


@st.composite
def perturbed(draw, frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with 0-2 things wrong: a column dropped, recast or recoded, a junk value,
    no rows."""
    for _ in range(draw(st.integers(0, 2))):
        if not frame.width:
            break
        col = draw(st.sampled_from(frame.columns))
        how = draw(
            st.sampled_from(
                ["drop", "text", "float32", "junk", "junk", "junk", "empty", "codes", "ints"]
            )
        )
        if how == "drop":
            frame = frame.drop(col)
        elif how == "text":
            frame = frame.with_columns(pl.col(col).cast(pl.String))
        elif how == "float32" and frame.schema[col].is_float():
            frame = frame.with_columns(pl.col(col).cast(pl.Float32))
        elif how == "junk" and frame.height:
            values = frame.get_column(col).to_list()
            values[draw(st.integers(0, frame.height - 1))] = draw(st.sampled_from(JUNK))
            dtype = frame.schema[col]
            frame = frame.with_columns(_series(col, values, None if dtype == pl.Boolean else dtype))
        elif how == "empty":
            frame = frame.head(0)
        elif how == "codes" and frame.schema[col] == pl.Boolean:
            codes = draw(
                st.sampled_from([("DETECTED", "NOT DETECTED"), ("Y", "N"), (1, 0), ("pos", "?")])
            )
            frame = frame.with_columns(
                pl.when(pl.col(col)).then(pl.lit(codes[0])).otherwise(pl.lit(codes[1])).alias(col)
            )
        elif how == "ints" and col == "patient_id":
            frame = frame.with_columns(pl.col(col).cast(pl.String).str.len_chars().cast(pl.Int64))
    return frame


@st.composite
def lab_frames(draw) -> pl.DataFrame:
    n = draw(st.integers(1, 8))
    rows = []
    for _ in range(n):
        detected = draw(st.booleans())
        rows.append(
            (
                draw(st.sampled_from(["a", "b", "c"])),
                draw(st.sampled_from(TIMES)),
                draw(st.sampled_from(IS)) if detected else None,
                detected,
                draw(st.sampled_from(["ABL1", "GUSB", "abl1"])),
                draw(st.sampled_from(COPIES)),
            )
        )
    frame = pl.DataFrame(
        rows,
        schema={
            "patient_id": pl.String,
            "time": pl.Float64,
            "is_percent": pl.Float64,
            "detected": pl.Boolean,
            "control_gene": pl.String,
            "control_copies": pl.Float64,
        },
        orient="row",
    ).unique(["patient_id", "time"], keep="first", maintain_order=True)
    return draw(perturbed(frame))


@st.composite
def patient_frames(draw) -> pl.DataFrame:
    # mostly every lab patient (a, b, c), sometimes one more or one fewer
    ids = draw(st.sampled_from([["a", "b", "c"]] * 3 + [["a", "b", "c", "d"], ["a", "b"]]))
    event = st.sampled_from(EVENTS)
    rows = []
    for pid in ids:
        stop = draw(st.sampled_from([None, None, 6.0, 62.0, 66.0]))
        after = st.sampled_from([None, None, 2.0, 10.0]).map(
            lambda d, stop=stop: None if d is None or stop is None else stop + d
        )
        row = {"patient_id": pid, "arm": draw(st.sampled_from(["x", "y"]))}
        row |= {e: draw(event) for e in ("discontinuation", "progression", "death")}
        row |= {"tki_stop": stop, "tki_restart": draw(after)}
        if stop is not None:
            row["death"] = draw(after)
        times = [v for v in row.values() if isinstance(v, float)]
        row["last_follow_up"] = max([12.0, *times]) + draw(st.sampled_from([0.0, 0.5, 20.0]))
        rows.append(row)
    schema = {"patient_id": pl.String, "arm": pl.String, "discontinuation": pl.Float64}
    schema |= dict.fromkeys(
        ("progression", "death", "tki_stop", "tki_restart", "last_follow_up"), pl.Float64
    )
    return draw(perturbed(pl.DataFrame(rows, schema=schema)))


#: Functions whose output repeats the input columns as given (not checked for NaN: they are
#: the caller's values, e.g. the copies of a detected sample, which no rule reads).
PASS_THROUGH = {
    "classify_samples",
    "response_endpoints",
    "molecular_response",
    "molecular_response_by_arm",
}


def _as_dates(labs: pl.DataFrame, pts: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The same frames with times (taken as months) as dates since 1 January 2015."""
    start = dt.date(2015, 1, 1)

    def to_date(frame: pl.DataFrame, col: str) -> pl.DataFrame:
        if col not in frame.columns or not frame.schema[col].is_float():
            return frame
        days = (pl.col(col) * 30.4375).round(0).cast(pl.Int64, strict=False)
        return frame.with_columns((pl.lit(start) + pl.duration(days=days)).alias(col))

    pts = to_date(to_date(pts, "tki_stop"), "last_follow_up")
    return to_date(labs, "time"), pts.with_columns(pl.lit(start).alias("start_date"))


CALLS = {
    "classify_samples": lambda labs, pts: classify_samples(labs),
    "response_endpoints": lambda labs, pts: response_endpoints(labs, pts, window=1),
    "molecular_response": lambda labs, pts: molecular_response(labs, pts, window=1),
    "molecular_response_by_arm": lambda labs, pts: molecular_response(labs, pts, by="arm"),
    "eln_milestones": lambda labs, pts: eln_milestones(labs),
    "loss_of_mmr": lambda labs, pts: loss_of_mmr(labs, confirmed=True),
    "sustained_response": lambda labs, pts: sustained_response(labs),
    "tfr_eligibility": lambda labs, pts: tfr_eligibility(labs, pts),
    "tfr_endpoints": lambda labs, pts: tfr_endpoints(labs, pts),
    "tfr_eligibility_dates": lambda labs, pts: tfr_eligibility(*_as_dates(labs, pts)),
}


def _tables(result) -> list[pl.DataFrame]:
    if isinstance(result, pl.DataFrame):
        return [result]
    return [getattr(result, f) for f in result.__slots__ if getattr(result, f) is not None]


def _no_nan_or_inf(table: pl.DataFrame, skip: set[str]) -> None:
    for name, dtype in table.schema.items():
        if dtype.is_float() and name not in skip:
            col = table.get_column(name)
            assert not col.is_nan().any(), name
            assert not col.is_infinite().any(), name


def _check(name, labs, pts) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.simplefilter("ignore", SurvstatWarning)
        try:
            result = CALLS[name](labs, pts)
        except SurvstatError as exc:
            message = str(exc)
        else:
            message = None
    if message is not None:
        assert "\n" not in message, message
        return
    skip = set(labs.columns) | set(pts.columns) if name in PASS_THROUGH else set()
    for table in _tables(result):
        _no_nan_or_inf(table, skip)


@pytest.mark.parametrize("name", list(CALLS))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(labs=lab_frames(), pts=patient_frames())
def test_any_input_gives_a_result_or_one_survstat_error(name, labs, pts):
    _check(name, labs, pts)


# Valid inputs: invariants.
IS_VALUES = [0.0005, 0.001, 0.002, 0.0032, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 10.0, 40.0]
IS_VALUES += [float(np.float32(v)) for v in (0.1, 0.01, 0.0032, 0.001)]
IS_VALUES += [4 / 32_000 * 100 * 0.8, 0.1 * 3 / 3]


@st.composite
def valid_cohort(draw):
    n_patients = draw(st.integers(1, 4))
    rows, pts = [], []
    for k in range(n_patients):
        times = draw(
            st.lists(
                st.sampled_from([-1.0, 0.0, 3.0, 6.0, 9.0, 12.0, 12.5, 18.0]),
                unique=True,
                min_size=1 if k == 0 else 0,  # the lab table is never empty
                max_size=6,
            )
        )
        for t in times:
            detected = draw(st.booleans())
            rows.append(
                (
                    f"p{k}",
                    t,
                    draw(st.sampled_from(IS_VALUES)) if detected else None,
                    detected,
                    draw(st.sampled_from(["ABL1", "GUSB"])),
                    draw(st.sampled_from([5e3, 1e4, 2.4e4, 3.2e4, 7.7e4, 1e5, 2.4e5])),
                )
            )
        last = draw(st.sampled_from([3.0, 9.0, 12.0, 20.0]))
        # an event is never after the last follow-up (that is an error)
        times = [t for t in (0.0, 3.0, 6.0, 10.0, 12.0, 15.0) if t <= last]
        event = st.one_of(st.none(), st.sampled_from(times))
        pts.append((f"p{k}", last, draw(event), draw(event), draw(event)))
    labs = pl.DataFrame(
        rows,
        schema={
            "patient_id": pl.String,
            "time": pl.Float64,
            "is_percent": pl.Float64,
            "detected": pl.Boolean,
            "control_gene": pl.String,
            "control_copies": pl.Float64,
        },
        orient="row",
    )
    patients = pl.DataFrame(
        pts,
        schema={
            "patient_id": pl.String,
            "last_follow_up": pl.Float64,
            "discontinuation": pl.Float64,
            "progression": pl.Float64,
            "death": pl.Float64,
        },
        orient="row",
    )
    return labs, patients


def _rank(level) -> int:
    return -1 if level is None else LEVELS.index(level)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.sampled_from(IS_VALUES), min_size=1, max_size=12),
    st.floats(0.3, 1.0),
    st.sampled_from(["ABL1", "GUSB"]),
)
def test_lower_values_and_stricter_thresholds_never_classify_deeper(values, factor, gene):
    values = sorted(values)  # rising IS: never a deeper level
    labs = pl.DataFrame(
        {
            "patient_id": ["p"] * len(values),
            "time": [float(i) for i in range(len(values))],
            "is_percent": values,
            "detected": [True] * len(values),
            "control_gene": ["ABL1"] * len(values),
            "control_copies": [5e4] * len(values),
        }
    )
    ranks = [_rank(v) for v in classify_samples(labs)["level"].cast(pl.String).to_list()]
    assert ranks == sorted(ranks, reverse=True)
    # stricter (smaller) thresholds never classify a sample deeper
    strict = Thresholds(
        mmr=0.1 * factor, mr4=0.01 * factor, mr45=0.0032 * factor, mr5=0.001 * factor
    )
    stricter = classify_samples(labs, thresholds=strict)["level"].cast(pl.String).to_list()
    assert all(_rank(s) <= r for s, r in zip(stricter, ranks, strict=True))
    # more control-gene copies never make an undetectable result shallower
    copies = [5e3, 1e4, 2.4e4, 3.2e4, 7.7e4, 1e5, 2.4e5]
    und = pl.DataFrame(
        {
            "patient_id": ["p"] * len(copies),
            "time": [float(i) for i in range(len(copies))],
            "is_percent": [None] * len(copies),
            "detected": [False] * len(copies),
            "control_gene": [gene] * len(copies),
            "control_copies": copies,
        },
        schema_overrides={"is_percent": pl.Float64},
    )
    und_ranks = [_rank(v) for v in classify_samples(und)["level"].cast(pl.String).to_list()]
    assert und_ranks == sorted(und_ranks)


@settings(max_examples=40, deadline=None)
@given(valid_cohort(), st.sampled_from(["MMR", "MR4", "MR4.5", "MR5"]))
def test_response_never_after_its_competing_event_nor_the_follow_up(cohort, level):
    labs, pts = cohort
    e = response_endpoints(labs, pts, level=level, landmark=12, window=1)
    for r in e.iter_rows(named=True):
        comp = [r[c] for c in ("discontinuation", "progression", "death") if r[c] is not None]
        assert r["time"] <= r["last_follow_up"]
        if r["cause"] == 1:
            assert r["time"] == r["first_response_time"] >= 0
            assert all(r["time"] <= c for c in comp)
            assert r["time"] <= r["last_follow_up"]
        else:
            assert r["first_response_time"] is None
            assert not r["responded_by_landmark"]
        if r["cause"] >= 2:
            assert r["time"] == min(comp)
    # a deeper level is never reached before a shallower one
    mmr = response_endpoints(labs, pts, level="MMR").select("patient_id", "first_response_time")
    deep = dict(e.select("patient_id", "first_response_time").iter_rows())
    for pid, t_mmr in mmr.iter_rows():
        if deep[pid] is not None:
            assert t_mmr is not None
            assert t_mmr <= deep[pid]
    loss = loss_of_mmr(labs)
    assert (loss["mmr_time"] >= 0).all()
    assert (loss["duration"] >= 0).all()
    assert (
        loss.filter(pl.col("loss_of_mmr"))["loss_time"]
        .gt(loss.filter(pl.col("loss_of_mmr"))["mmr_time"])
        .all()
    )
    runs = sustained_response(labs)
    assert (runs["longest_duration"].fill_null(0) >= runs["current_duration"].fill_null(0)).all()


@settings(max_examples=30, deadline=None)
@given(valid_cohort(), st.sampled_from([6.0, 12.0, 24.0]))
def test_landmark_estimates_are_null_exactly_where_the_curve_is_unknown(cohort, landmark):
    labs, pts = cohort
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SurvstatWarning)
        res = molecular_response(labs, pts, level="MMR", landmark=landmark)
    ends = res.endpoints
    last = ends["time"].max()
    at_last = ends.filter(pl.col("time") == last)["cause"].to_list()
    early = last < landmark
    # past the last time the incidence is unknown after a censoring (cause 0); the
    # Kaplan-Meier, which censors the competing events too, after anything but a response
    cif_unknown = early and 0 in at_last
    km_unknown = early and any(c != 1 for c in at_last)
    assert (res.incidence["cif"].item() is None) == cif_unknown
    assert (res.incidence["reason"].item() is None) != cif_unknown
    km = res.one_minus_km.row(0, named=True)
    assert (km["estimate"] is None) == km_unknown
    assert (km["reason"] is None) != km_unknown
    if early and not km_unknown:
        # everyone still at risk at the last time responded: the Kaplan-Meier reached 0
        assert km["estimate"] == pytest.approx(1.0, rel=1e-12)
