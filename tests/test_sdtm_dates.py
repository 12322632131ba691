"""SDTM --DTC dates: ISO 8601 forms, admiral's imputation rules, the bound, study days.

The expected values are worked out by hand from the SDTM IG 3.4 (4.4.2, 4.4.4) and admiral's
``impute_dtc_dt`` documentation (highest_imputation, date_imputation, preserve, max_dates).
"""

from __future__ import annotations

import calendar
import datetime as dt

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from survstat.endpoints.sdtm_dates import impute_dtc, study_day
from survstat.errors import ColumnNotFoundError, ColumnTypeError, InvalidValueError, OptionError

D = dt.date


def _one(value, **options):
    frame = pl.DataFrame(
        {"USUBJID": ["S1"], "XXDTC": [value]}, schema_overrides={"XXDTC": pl.String}
    )
    out = impute_dtc(frame, "XXDTC", **options)
    return out["XXDT"].item(), out["XXDTF"].item()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2020-03-17", D(2020, 3, 17)),
        ("2020-03-17T14:05", D(2020, 3, 17)),
        ("2020-03-17T14:05:30", D(2020, 3, 17)),
        ("2020-03-17T14:05:30.25", D(2020, 3, 17)),
        ("2020-02-29", D(2020, 2, 29)),
        (" 2020-03-17 ", D(2020, 3, 17)),
        ("2020-03-17T-:-", D(2020, 3, 17)),
    ],
)
def test_complete_dates_need_no_imputation(text, expected):
    assert _one(text) == (expected, None)
    assert _one(text, highest_imputation="M", date_imputation="last") == (expected, None)


@pytest.mark.parametrize(
    ("text", "rule", "expected"),
    [
        ("2020-02", "first", D(2020, 2, 1)),
        ("2020-02", "mid", D(2020, 2, 15)),
        ("2020-02", "last", D(2020, 2, 29)),  # leap year
        ("2021-02", "last", D(2021, 2, 28)),
        ("2020-04", "last", D(2020, 4, 30)),
        ("2020-04--", "mid", D(2020, 4, 15)),
    ],
)
def test_missing_day(text, rule, expected):
    assert _one(text, highest_imputation="D", date_imputation=rule) == (expected, "D")
    assert _one(text, highest_imputation="M", date_imputation=rule) == (expected, "D")


@pytest.mark.parametrize(
    ("text", "rule", "preserve", "expected"),
    [
        ("2020", "first", False, D(2020, 1, 1)),
        ("2020", "mid", False, D(2020, 6, 30)),
        ("2020", "last", False, D(2020, 12, 31)),
        ("2020---17", "first", False, D(2020, 1, 1)),  # admiral: the day goes too
        ("2020---17", "mid", False, D(2020, 6, 30)),
        ("2020---17", "first", True, D(2020, 1, 17)),  # preserve keeps the day
        ("2020---17", "mid", True, D(2020, 6, 17)),
        ("2020---17", "last", True, D(2020, 12, 17)),
        ("2020--", "last", False, D(2020, 12, 31)),
    ],
)
def test_missing_month(text, rule, preserve, expected):
    got = _one(text, highest_imputation="M", date_imputation=rule, preserve=preserve)
    assert got == (expected, "M")


def test_no_imputation_gives_null_for_partial_dates():
    for text in ("2020-03", "2020", "2020---17", "--03-17"):
        assert _one(text) == (None, None)


@pytest.mark.parametrize("text", ["2020", "2020---17"])
def test_day_imputation_refuses_a_missing_month(text):
    with pytest.raises(InvalidValueError, match=r"`XXDTC`: 1 partial dates need more imputation "):
        _one(text, highest_imputation="D")


@pytest.mark.parametrize("text", ["--03-17", "-", "----17"])
def test_the_year_is_never_imputed(text):
    with pytest.raises(InvalidValueError, match=r"the year is never imputed"):
        _one(text, highest_imputation="M")


@pytest.mark.parametrize(
    "text",
    [
        "2020-13-01",
        "2020-00-10",
        "2021-02-29",
        "2020-04-31",
        "2020-03-00",
        "17/03/2020",
        "2020-3-17",
        "20200317",
        "2020-03-17 14:05",
        "2020-03-17T24:00",
        "2020-03-17T12:60",
        "2020-03-17T12:30:60",
        "2020-03-",
        "NA",
        "UNK",
    ],
)
def test_invalid_values_are_errors_naming_column_value_row_and_subject(text):
    frame = pl.DataFrame({"USUBJID": ["S1", "S2"], "RSDTC": ["2020-01-01", text]})
    with pytest.raises(
        InvalidValueError,
        match=rf"^RS `RSDTC` must be an ISO 8601 date .*; found 1 invalid value "
        rf"\(first: '{text}' at row 1, USUBJID 'S2'\)$",
    ):
        impute_dtc(frame, "RSDTC", table="RS", highest_imputation="M")


@pytest.mark.parametrize("value", [None, "", "  "])
def test_missing_values_are_errors_unless_not_required(value):
    frame = pl.DataFrame({"USUBJID": ["S1", "S2"], "DTHDTC": ["2020-01-01", value]})
    with pytest.raises(
        InvalidValueError,
        match=r"^DM `DTHDTC` must hold a date; 1 of 2 values are missing \(first: row 1, "
        r"USUBJID 'S2'\)$",
    ):
        impute_dtc(frame, "DTHDTC", table="DM")
    out = impute_dtc(frame, "DTHDTC", required=False, highest_imputation="M")
    assert out["DTHDT"].to_list() == [D(2020, 1, 1), None]
    assert out["DTHDTF"].to_list() == [None, None]


def test_max_date_clamps_only_within_the_possible_period():
    frame = pl.DataFrame(
        {
            "USUBJID": ["a", "b", "c", "d", "e"],
            "AESTDTC": ["2020-11", "2020-11", "2020", "2020-11-20", "2020-11"],
            "CUT": [D(2020, 11, 10), D(2020, 10, 1), D(2020, 5, 1), D(2020, 11, 10), None],
        }
    )
    out = impute_dtc(
        frame, "AESTDTC", highest_imputation="M", date_imputation="last", max_date="CUT"
    )
    assert out["AESTDT"].to_list() == [
        D(2020, 11, 10),  # clamped to the bound inside November
        D(2020, 11, 30),  # a bound before the period says nothing about it
        D(2020, 5, 1),  # clamped within the year
        D(2020, 11, 20),  # a complete date is never changed
        D(2020, 11, 30),  # no bound
    ]
    assert out["AESTDTF"].to_list() == ["D", "D", "M", None, "D"]
    fixed = impute_dtc(
        frame, "AESTDTC", highest_imputation="M", date_imputation="last", max_date=D(2020, 11, 3)
    )
    assert fixed["AESTDT"].to_list()[:3] == [D(2020, 11, 3)] * 2 + [D(2020, 11, 3)]


def test_preserved_day_must_exist_in_the_imputed_month():
    with pytest.raises(
        InvalidValueError, match=r"collected days do not exist in the imputed month 06"
    ):
        _one("2020---31", highest_imputation="M", date_imputation="mid", preserve=True)


def test_column_checks_and_names():
    frame = pl.DataFrame({"USUBJID": ["a"], "RSDTC": ["2020-01-01"], "N": [1]})
    with pytest.raises(ColumnNotFoundError, match=r"column `RSDT` .* did you mean `RSDTC`"):
        impute_dtc(frame, "RSDT")
    with pytest.raises(ColumnTypeError, match=r"the data `N` must hold ISO 8601 dates as text"):
        impute_dtc(frame, "N")
    with pytest.raises(OptionError, match="highest_imputation"):
        impute_dtc(frame, "RSDTC", highest_imputation="Y")  # type: ignore[arg-type]
    with pytest.raises(OptionError, match="date_imputation"):
        impute_dtc(frame, "RSDTC", date_imputation="median")  # type: ignore[arg-type]
    out = impute_dtc(frame, "RSDTC", date="ADT", flag="ADTF")
    assert out.columns == ["USUBJID", "RSDTC", "N", "ADT", "ADTF"]
    assert impute_dtc(frame.rename({"RSDTC": "when"}), "when").columns[-2:] == ["when_", "when_F"]


def test_study_day_has_no_day_zero():
    ref = D(2020, 3, 10)
    days = [D(2020, 3, 8), D(2020, 3, 9), ref, D(2020, 3, 11), None]
    frame = pl.DataFrame({"d": days, "ref": [ref] * 5})
    got = frame.select(study_day(pl.col("d"), pl.col("ref"))).to_series().to_list()
    assert got == [-2, -1, 1, 2, None]


_DATES = st.dates(min_value=D(1950, 1, 1), max_value=D(2090, 12, 31))


@settings(max_examples=200, deadline=None, derandomize=True)
@given(date=_DATES, ref=_DATES)
def test_property_no_day_zero_and_reference_is_day_one(date, ref):
    frame = pl.DataFrame({"d": [date, ref], "ref": [ref, ref]})
    day, ref_day = frame.select(study_day(pl.col("d"), pl.col("ref"))).to_series().to_list()
    assert day != 0
    assert ref_day == 1
    assert (day > 0) == (date >= ref)
    assert day == ((date - ref).days + 1 if date >= ref else (date - ref).days)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(
    date=_DATES,
    drop=st.sampled_from(["day", "month", "month-keep-day"]),
    rule=st.sampled_from(["first", "mid", "last"]),
    bound=st.none() | _DATES,
)
def test_property_imputed_date_lies_in_the_stated_period(date, drop, rule, bound):
    if drop == "day":
        text, lo, hi = date.strftime("%Y-%m"), date.replace(day=1), None
        hi = date.replace(day=calendar.monthrange(date.year, date.month)[1])
    else:
        text = f"{date.year:04d}" if drop == "month" else f"{date.year:04d}---{date.day:02d}"
        lo, hi = D(date.year, 1, 1), D(date.year, 12, 31)
    preserve = drop == "month-keep-day" and date.day <= 28
    got, flag = _one(
        text,
        highest_imputation="M",
        date_imputation=rule,
        preserve=preserve,
        max_date=bound,
    )
    assert lo <= got <= hi
    assert flag == ("D" if drop == "day" else "M")
    if bound is not None and lo <= bound <= hi:
        assert got <= bound
    if preserve and (bound is None or got != bound):
        assert got.day == date.day
