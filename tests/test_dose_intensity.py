"""Dose intensity and relative dose intensity (Hryniuk & Bush 1984), by hand-built records."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from survstat.analyses import ANALYSES
from survstat.endpoints.dose_intensity import SUBJECT_COLUMNS, dose_intensity
from survstat.errors import (
    ColumnNotFoundError,
    InvalidValueError,
    MissingValueError,
    OptionError,
    SurvstatWarning,
)


def _ex(rows, planned=None):
    cols = ["subject_id", "start_day", "end_day", "dose"]
    frame = pl.DataFrame(rows, schema=cols, orient="row")
    if planned is not None:
        frame = frame.with_columns(pl.Series("planned", planned, dtype=pl.Float64))
    return frame


def _row(res, subject="A"):
    return res.subjects.filter(pl.col("subject_id") == subject).row(0, named=True)


def test_full_dose_is_100_percent():
    r = _row(dose_intensity(_ex([("A", 1, 28, 300.0)]), planned_dose=300))
    assert r["days_on_treatment"] == 28
    assert r["cumulative_dose"] == 8400.0
    assert r["dose_intensity"] == 300.0
    assert r["relative_dose_intensity"] == 1.0
    assert (r["days_interrupted"], r["n_reductions"]) == (0, 0)


def test_an_interruption_counts_as_days_without_dose():
    # 1-7 and 15-28 at 300: 21 dosed days of 28 on treatment
    r = _row(dose_intensity(_ex([("A", 1, 7, 300.0), ("A", 15, 28, 300.0)]), planned_dose=300))
    assert (r["days_on_treatment"], r["days_dosed"], r["days_interrupted"]) == (28, 21, 7)
    assert r["relative_dose_intensity"] == pytest.approx(21 / 28, rel=1e-12)
    assert r["dose_intensity"] == pytest.approx(6300 / 28, rel=1e-12)


def test_a_zero_dose_record_is_an_interruption():
    gap = dose_intensity(_ex([("A", 1, 7, 300.0), ("A", 15, 28, 300.0)]), planned_dose=300)
    zero = dose_intensity(
        _ex([("A", 1, 7, 300.0), ("A", 8, 14, 0.0), ("A", 15, 28, 300.0)]), planned_dose=300
    )
    assert gap.subjects.equals(zero.subjects)


def test_a_reduction_counts_at_the_dose_taken():
    # 14 days at 300, 14 at 250 (a reduction), 14 at 300 (back up: not a reduction)
    r = _row(
        dose_intensity(
            _ex([("A", 1, 14, 300.0), ("A", 15, 28, 250.0), ("A", 29, 42, 300.0)]),
            planned_dose=300,
        )
    )
    assert r["cumulative_dose"] == 14 * (300 + 250 + 300)
    assert r["relative_dose_intensity"] == pytest.approx(850 / 900, rel=1e-12)
    assert (r["n_reductions"], r["final_dose"], r["days_interrupted"]) == (1, 300.0, 0)


def test_reductions_after_an_interruption_compare_with_the_last_dose_taken():
    ex = _ex([("A", 1, 7, 300.0), ("A", 8, 10, 0.0), ("A", 11, 20, 250.0), ("A", 21, 30, 200.0)])
    assert _row(dose_intensity(ex, planned_dose=300))["n_reductions"] == 2


def test_a_start_below_the_planned_dose_is_a_reduction():
    # planned 300: a start at 200 is one reduction; up to 300 then down to 250 is a second
    ex = _ex([("A", 1, 14, 200.0), ("A", 15, 28, 300.0), ("A", 29, 42, 250.0)])
    assert _row(dose_intensity(ex, planned_dose=300))["n_reductions"] == 2
    # a start at the planned dose, or above it, is not
    assert _row(dose_intensity(_ex([("A", 1, 14, 300.0)]), planned_dose=300))["n_reductions"] == 0
    with pytest.warns(SurvstatWarning, match="above the planned dose"):
        above = dose_intensity(_ex([("A", 1, 14, 350.0)]), planned_dose=300)
    assert _row(above)["n_reductions"] == 0


def test_a_start_below_the_plan_after_leading_zero_records_is_a_reduction():
    # zero-dose records before the first dose are not time on treatment nor a dose followed
    ex = _ex([("A", 1, 3, 0.0), ("A", 4, 14, 250.0)])
    assert _row(dose_intensity(ex, planned_dose=300))["n_reductions"] == 1


def test_time_after_the_last_dose_is_not_counted():
    # a stop at day 10 (no record after it): the RDI is of the 10 days given
    r = _row(dose_intensity(_ex([("A", 1, 10, 300.0)]), planned_dose=300))
    assert (r["last_day"], r["relative_dose_intensity"]) == (10, 1.0)


def test_planned_dose_from_a_column_per_subject():
    ex = _ex([("A", 1, 10, 200.0), ("B", 1, 10, 200.0)], planned=[200.0, 400.0])
    res = dose_intensity(ex, planned="planned")
    assert res.subjects.get_column("relative_dose_intensity").to_list() == [1.0, 0.5]
    assert res.subjects.columns == ["subject_id", *SUBJECT_COLUMNS]


def test_over_time_at_the_turning_points():
    res = dose_intensity(_ex([("A", 1, 7, 300.0), ("A", 15, 28, 150.0)]), planned_dose=300)
    got = res.over_time.select("day", "dose", "cumulative_dose", "relative_dose_intensity")
    assert got.rows() == [
        (1, 300.0, 300.0, 1.0),
        (7, 300.0, 2100.0, 1.0),
        (14, 0.0, 2100.0, 0.5),
        (15, 150.0, 2250.0, 0.5),
        (28, 150.0, 4200.0, 0.5),
    ]


def test_records_in_any_order():
    a = dose_intensity(_ex([("A", 15, 28, 250.0), ("A", 1, 7, 300.0)]), planned_dose=300)
    b = dose_intensity(_ex([("A", 1, 7, 300.0), ("A", 15, 28, 250.0)]), planned_dose=300)
    assert a.subjects.equals(b.subjects)
    assert a.over_time.equals(b.over_time)


def test_overlapping_records_name_the_subject_and_rows():
    ex = _ex([("A", 1, 28, 300.0), ("B", 1, 14, 300.0), ("B", 10, 28, 250.0)])
    with pytest.raises(
        InvalidValueError,
        match=r"must not overlap within a subject; found 1 overlapping record \(first: "
        r"subject B, rows 1 and 2: days 1-14 and 10-28\)",
    ):
        dose_intensity(ex, planned_dose=300)


def test_a_shared_day_is_an_overlap():
    ex = _ex([("A", 1, 14, 300.0), ("A", 14, 28, 250.0)])
    with pytest.raises(InvalidValueError, match="rows 0 and 1: days 1-14 and 14-28"):
        dose_intensity(ex, planned_dose=300)


@pytest.mark.parametrize(
    ("rows", "error", "match"),
    [
        (
            [("A", 1, 7, 300.0), ("A", 20, 10, 300.0)],
            InvalidValueError,
            r"`end_day` \(end day\) must be on or after `start_day` \(start day\); found 1 "
            r"record ending before it starts \(first: subject A at row 1, days 20 to 10\)",
        ),
        (
            [("A", 1, 7, -300.0)],
            InvalidValueError,
            r"`dose` \(dose per day\) must be non-negative; found 1 negative value \(first: "
            r"-300.0, subject A at row 0\)",
        ),
        (
            [("A", 1.5, 7, 300.0)],
            InvalidValueError,
            r"`start_day` \(start day\) must hold whole study days; found 1 fractional value \(",
        ),
        (
            [("A", 1, None, 300.0)],
            MissingValueError,
            r"`end_day` \(end day\) must not be missing; found 1 missing value \(first: "
            r"subject A at row 0\)",
        ),
    ],
)
def test_bad_records(rows, error, match):
    with pytest.raises(error, match=match):
        dose_intensity(_ex(rows), planned_dose=300)


def test_planned_dose_must_be_given_once_and_positive():
    ex = _ex([("A", 1, 7, 300.0)], planned=[300.0])
    with pytest.raises(OptionError, match="not both and not neither"):
        dose_intensity(ex)
    with pytest.raises(OptionError, match="not both and not neither"):
        dose_intensity(ex, planned="planned", planned_dose=300)
    with pytest.raises(OptionError, match="`planned_dose` must be positive; got 0"):
        dose_intensity(ex, planned_dose=0)


def test_planned_column_must_be_one_value_per_subject():
    ex = _ex([("A", 1, 7, 300.0), ("A", 8, 14, 300.0)], planned=[300.0, 250.0])
    with pytest.raises(InvalidValueError, match="one value per subject; 1 subject has several"):
        dose_intensity(ex, planned="planned")


def test_missing_column_suggests_the_name():
    ex = _ex([("A", 1, 7, 300.0)]).rename({"dose": "doses"})
    with pytest.raises(ColumnNotFoundError, match="did you mean `doses`"):
        dose_intensity(ex, planned_dose=300)


def test_the_declared_analysis_writes_both_tables():
    out = ANALYSES["dose-intensity"].run(_ex([("A", 1, 7, 300.0)]), planned_dose=300.0)
    assert out.table.columns == ["subject_id", *SUBJECT_COLUMNS]
    assert [e.name for e in out.extras] == ["over_time"]
    assert out.n_rows == 1


def _daily_oracle(ex: pl.DataFrame, planned: float) -> dict:
    """Obviously correct: each subject's dose on every day from the first to the last dose."""
    out = {}
    for (subject,), rows in ex.group_by(["subject_id"]):
        daily = np.zeros(1000)
        for _, a, b, d in rows.iter_rows():
            daily[a : b + 1] = d
        dosed = np.flatnonzero(daily > 0)
        first = int(dosed[0])
        daily = daily[first : dosed[-1] + 1]
        cum = np.cumsum(daily)
        out[subject] = (first, daily, cum / (planned * np.arange(1, daily.size + 1)))
    return out


def _random_records(rng: np.random.Generator, n_subjects: int) -> pl.DataFrame:
    rows = []
    for i in range(n_subjects):
        day = int(rng.integers(1, 5))
        for _ in range(int(rng.integers(1, 6))):
            length = int(rng.integers(1, 40))
            rows.append((f"S{i}", day, day + length - 1, float(rng.choice([0, 200, 250, 300]))))
            day += length + int(rng.choice([0, 0, 1, 7]))
        rows.append((f"S{i}", day, day + 3, 300.0))  # every subject is dosed
    return _ex(rows).sample(fraction=1.0, shuffle=True, seed=int(rng.integers(1 << 30)))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_against_a_daily_oracle(seed):
    ex = _random_records(np.random.default_rng(seed), 12)
    res = dose_intensity(ex, planned_dose=300)
    oracle = _daily_oracle(ex, 300.0)
    for r in res.subjects.iter_rows(named=True):
        first, daily, rdi = oracle[r["subject_id"]]
        assert r["first_day"] == first
        assert r["days_on_treatment"] == daily.size
        assert r["days_dosed"] == int((daily > 0).sum())
        assert r["cumulative_dose"] == pytest.approx(daily.sum(), rel=1e-12)
        assert r["relative_dose_intensity"] == pytest.approx(rdi[-1], rel=1e-12)
    for subject, day, value in res.over_time.select(
        "subject_id", "day", "relative_dose_intensity"
    ).iter_rows():
        first, _, rdi = oracle[subject]
        assert value == pytest.approx(rdi[day - first], rel=1e-12)


@pytest.mark.parametrize("kind", ["polars", "lazy", "arrow", "pandas"])
def test_every_input_backend(kind):
    ex = _ex([("A", 1, 7, 300.0), ("A", 15, 28, 250.0), ("B", 1, 10, 300.0)])
    data = {
        "polars": ex,
        "lazy": ex.lazy(),
        "arrow": ex.to_arrow(),
        "pandas": ex.to_pandas(),
    }[kind]
    assert dose_intensity(data, planned_dose=300).subjects.equals(
        dose_intensity(ex, planned_dose=300).subjects
    )


def test_a_missing_subject_is_an_error():
    ex = _ex([("A", 1, 7, 300.0), (None, 8, 14, 300.0)])
    with pytest.raises(
        MissingValueError,
        match=r"`subject_id` \(subject\) must not be missing; found 1 missing value "
        r"\(first at row 1\)",
    ):
        dose_intensity(ex, planned_dose=300)


def test_zero_dose_records_outside_the_dosing_are_not_time_on_treatment():
    ex = _ex([("A", 1, 3, 0.0), ("A", 4, 10, 300.0), ("A", 11, 20, 0.0)])
    r = _row(dose_intensity(ex, planned_dose=300))
    assert (r["first_day"], r["last_day"], r["relative_dose_intensity"]) == (4, 10, 1.0)


def test_a_subject_never_dosed_is_an_error():
    ex = _ex([("A", 1, 3, 300.0), ("B", 1, 3, 0.0)])
    with pytest.raises(
        InvalidValueError,
        match=r"must be above 0 in at least one record of each subject; 1 subject has none, "
        r"so no time on treatment \(first: B\)",
    ):
        dose_intensity(ex, planned_dose=300)


def test_a_dose_above_the_plan_warns_naming_the_record():
    ex = pl.DataFrame(
        {"subject_id": ["A", "A", "B"], "start_day": [1, 15, 1], "end_day": [7, 28, 10]}
    ).with_columns(dose=pl.Series([2500.0, 250.0, 300.0]))
    with pytest.warns(SurvstatWarning, match=r"^`dose`: 1 exposure record\(s\) of 1 subject"):
        res = dose_intensity(ex, planned_dose=300)
    # the numbers are still computed as defined: an RDI above 100% is not hidden
    rdi = dict(res.subjects.select("subject_id", "relative_dose_intensity").iter_rows())
    assert rdi["A"] == pytest.approx((2500 * 7 + 250 * 14) / (300 * 28))
    assert rdi["B"] == 1.0
