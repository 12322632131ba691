"""derive_param_tte: one hand-built case per selection rule (admiral::derive_param_tte), the
errors, and a property over random sources."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from survstat.endpoints.adam_tte import (
    ADTTE_COLUMNS,
    CensorSource,
    EventSource,
    derive_param_tte,
)
from survstat.errors import (
    ColumnNotFoundError,
    ColumnTypeError,
    InvalidValueError,
    MissingValueError,
    OptionError,
)

D0 = dt.date(2024, 1, 1)


def day(n: int) -> dt.date:
    """The date ``n`` days after D0."""
    return D0 + dt.timedelta(days=n)


def adsl(*ids: str, start: dt.date | None = D0) -> pl.DataFrame:
    return pl.DataFrame(
        {"USUBJID": list(ids), "RANDDT": [start] * len(ids), "TRT01P": ["A"] * len(ids)},
        schema_overrides={"RANDDT": pl.Date},
    )


def records(rows: Sequence[tuple[str, int | None]], **extra: list[object]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "USUBJID": [r[0] for r in rows],
            "ADT": [None if r[1] is None else day(r[1]) for r in rows],
            **extra,
        },
        schema_overrides={"ADT": pl.Date},
    )


def event(name: str, data: pl.DataFrame, desc: str, **kw: object) -> EventSource:
    return EventSource(dataset=name, data=data, date="ADT", description=desc, **kw)  # type: ignore[arg-type]


def censor(name: str, data: pl.DataFrame, desc: str, code: int = 1, **kw: object) -> CensorSource:
    return CensorSource(dataset=name, data=data, date="ADT", description=desc, censor=code, **kw)  # type: ignore[arg-type]


def derive(subjects: pl.DataFrame, events=(), censors=(), **kw: object) -> pl.DataFrame:
    res = derive_param_tte(
        subjects,
        start_date="RANDDT",
        event_sources=list(events),
        censor_sources=list(censors),
        paramcd="PFS",
        param="Progression-Free Survival (days)",
        **kw,  # type: ignore[arg-type]
    )
    return res.table


def one(table: pl.DataFrame, subject: str = "01") -> dict[str, object]:
    return table.filter(pl.col("USUBJID") == subject).row(0, named=True)


def test_columns_and_labels() -> None:
    res = derive_param_tte(
        adsl("01"),
        start_date="RANDDT",
        event_sources=[event("ADRS", records([("01", 9)]), "PD")],
        censor_sources=[],
        paramcd="PFS",
        param="PFS",
        keep=["TRT01P"],
    )
    assert res.table.columns == [*ADTTE_COLUMNS, "TRT01P"]
    assert res.labels["CNSR"] == "Censor"
    assert all(len(label) <= 40 for label in res.labels.values())
    assert set(res.labels) == set(ADTTE_COLUMNS)


def test_earliest_event_across_sources() -> None:
    pd_ = event("ADRS", records([("01", 30)]), "PD")
    death = event("ADSL", records([("01", 20)]), "DEATH")
    row = one(derive(adsl("01"), [pd_, death]))
    assert (row["ADT"], row["CNSR"], row["EVNTDESC"], row["SRCDOM"]) == (
        day(20),
        0,
        "DEATH",
        "ADSL",
    )


def test_tie_goes_to_the_source_listed_first() -> None:
    pd_ = event("ADRS", records([("01", 20)]), "PD")
    death = event("ADSL", records([("01", 20)]), "DEATH")
    assert one(derive(adsl("01"), [pd_, death]))["EVNTDESC"] == "PD"
    assert one(derive(adsl("01"), [death, pd_]))["EVNTDESC"] == "DEATH"
    last = censor("ADRS", records([("01", 40)]), "LAST ASSESSMENT", 1)
    alive = censor("ADSL", records([("01", 40)]), "LAST KNOWN ALIVE", 2)
    assert one(derive(adsl("01"), [], [last, alive]))["CNSR"] == 1
    assert one(derive(adsl("01"), [], [alive, last]))["CNSR"] == 2


def test_first_event_within_a_source() -> None:
    pd_ = event("ADRS", records([("01", 50), ("01", 30), ("01", 40)]), "PD")
    assert one(derive(adsl("01"), [pd_]))["ADT"] == day(30)


def test_latest_censoring_within_and_across_sources() -> None:
    last = censor("ADRS", records([("01", 40), ("01", 90), ("01", 60)]), "LAST ASSESSMENT", 1)
    alive = censor("ADSL", records([("01", 70)]), "LAST KNOWN ALIVE", 2)
    row = one(derive(adsl("01"), [], [alive, last]))
    assert (row["ADT"], row["CNSR"], row["CNSDTDSC"], row["EVNTDESC"]) == (
        day(90),
        1,
        "LAST ASSESSMENT",
        "LAST ASSESSMENT",
    )


def test_event_beats_a_later_censoring() -> None:
    pd_ = event("ADRS", records([("01", 30)]), "PD")
    alive = censor("ADSL", records([("01", 300)]), "LAST KNOWN ALIVE")
    row = one(derive(adsl("01"), [pd_], [alive]))
    assert (row["ADT"], row["CNSR"], row["AVAL"], row["CNSDTDSC"]) == (day(30), 0, 31.0, None)


def test_adt_before_the_start_is_the_start() -> None:
    pd_ = event("ADRS", records([("01", -5)]), "PD")
    row = one(derive(adsl("01"), [pd_]))
    assert (row["ADT"], row["STARTDT"], row["AVAL"]) == (D0, D0, 1.0)
    assert one(derive(adsl("01"), [pd_], add_one=False))["AVAL"] == 0.0


def test_add_one() -> None:
    pd_ = event("ADRS", records([("01", 0), ("02", 9)]), "PD")
    with_one = derive(adsl("01", "02"), [pd_])
    without = derive(adsl("01", "02"), [pd_], add_one=False)
    assert with_one["AVAL"].to_list() == [1.0, 10.0]
    assert without["AVAL"].to_list() == [0.0, 9.0]


def test_condition_filters_the_rows() -> None:
    rs = records([("01", 10), ("01", 20), ("01", 30)], AVALC=["PR", "PD", "PD"])
    pd_ = event("ADRS", rs, "PD", condition=pl.col("AVALC") == "PD")
    assert one(derive(adsl("01"), [pd_]))["ADT"] == day(20)


def test_srcseq_and_srcvar_carried() -> None:
    rs = records([("01", 30), ("01", 20)], RSSEQ=[7, 4])
    pd_ = event("ADRS", rs, "PD", seq="RSSEQ")
    row = one(derive(adsl("01"), [pd_]))
    assert (row["SRCSEQ"], row["SRCVAR"], row["SRCDOM"]) == (4, "ADT", "ADRS")
    no_seq = one(derive(adsl("01"), [event("ADRS", rs, "PD")]))
    assert no_seq["SRCSEQ"] is None


def test_null_dates_are_not_records() -> None:
    death = event("ADSL", records([("01", None), ("02", 15)]), "DEATH")
    alive = censor("ADSL", records([("01", 80), ("02", None)]), "LAST KNOWN ALIVE")
    table = derive(adsl("01", "02"), [death], [alive])
    assert table["CNSR"].to_list() == [1, 0]
    assert table["AVAL"].to_list() == [81.0, 16.0]


def test_rows_follow_adsl_order() -> None:
    pd_ = event("ADRS", records([("03", 5), ("01", 6), ("02", 7)]), "PD")
    assert derive(adsl("02", "03", "01"), [pd_])["USUBJID"].to_list() == ["02", "03", "01"]


def test_datetime_dates_are_read_as_dates() -> None:
    rs = records([("01", 9)]).with_columns(pl.col("ADT").cast(pl.Datetime("us")))
    assert one(derive(adsl("01"), [event("ADRS", rs, "PD")]))["AVAL"] == 10.0


# --- errors -------------------------------------------------------------------------------


def test_subject_without_any_record_is_an_error() -> None:
    pd_ = event("ADRS", records([("01", 9)]), "PD")
    with pytest.raises(
        MissingValueError,
        match=r"1 of 2 ADSL subjects have neither an event nor a censoring \(first: '02'\)",
    ):
        derive(adsl("01", "02"), [pd_])


def test_record_of_a_subject_not_in_adsl_is_an_error() -> None:
    pd_ = event("ADRS", records([("01", 9), ("99", 3)]), "PD")
    with pytest.raises(
        InvalidValueError, match=r"1 subjects .* not in ADSL \(first: '99' in `ADRS`\)"
    ):
        derive(adsl("01"), [pd_])


def test_duplicated_adsl_subject() -> None:
    with pytest.raises(InvalidValueError, match=r"`USUBJID` repeats in the ADSL.*first: '01'"):
        derive(adsl("01", "01"), [event("ADRS", records([("01", 9)]), "PD")])


def test_missing_start_date_for_a_subject_with_a_record() -> None:
    with pytest.raises(
        MissingValueError,
        match=r"`RANDDT` \(start date of ADSL\) is missing for 1 subject .*subject '01', "
        r"ADT 2024-01-10 in `ADRS`",
    ):
        derive(adsl("01", start=None), [event("ADRS", records([("01", 9)]), "PD")])


@pytest.mark.parametrize(
    ("source", "match"),
    [
        (
            EventSource(
                dataset="ADRS", data=pl.DataFrame({"USUBJID": ["01"]}), date="ADT", description="PD"
            ),
            r"column `ADT` \(given as date of source `ADRS`\) not found",
        ),
        (
            EventSource(
                dataset="ADRS",
                data=records([("01", 1)]).rename({"USUBJID": "SUBJ"}),
                date="ADT",
                description="PD",
            ),
            r"column `USUBJID` \(given as subject of source `ADRS`\) not found",
        ),
        (
            EventSource(
                dataset="ADRS",
                data=records([("01", 1)]),
                date="ADT",
                description="PD",
                condition=pl.col("AVALC") == "PD",
            ),
            r"column `AVALC` \(given as condition of source `ADRS`\) not found",
        ),
        (
            EventSource(
                dataset="ADRS", data=records([("01", 1)]), date="ADT", description="PD", seq="RSSEQ"
            ),
            r"column `RSSEQ` \(given as sequence of source `ADRS`\) not found",
        ),
    ],
)
def test_missing_columns(source: EventSource, match: str) -> None:
    with pytest.raises(ColumnNotFoundError, match=match):
        derive(adsl("01"), [source])


def test_missing_adsl_columns() -> None:
    pd_ = event("ADRS", records([("01", 9)]), "PD")
    with pytest.raises(ColumnNotFoundError, match=r"column `RANDDT` \(given as start date of"):
        derive(adsl("01").drop("RANDDT"), [pd_])
    with pytest.raises(ColumnNotFoundError, match=r"column `ARM` \(given as keep"):
        derive(adsl("01"), [pd_], keep=["ARM"])


def test_text_dates_are_an_error() -> None:
    rs = pl.DataFrame({"USUBJID": ["01"], "ADT": ["2024-01-10"]})
    with pytest.raises(
        ColumnTypeError,
        match=r"`ADT` \(date of source `ADRS`\) must hold dates.*found String \(first: '2024-01-10'",
    ):
        derive(adsl("01"), [event("ADRS", rs, "PD")])
    text_start = adsl("01").with_columns(pl.col("RANDDT").cast(pl.String))
    with pytest.raises(ColumnTypeError, match=r"`RANDDT` \(start date of ADSL\) must hold dates"):
        derive(text_start, [event("ADRS", records([("01", 9)]), "PD")])


def test_sequence_must_be_integer() -> None:
    rs = records([("01", 9)], RSSEQ=["a"])
    with pytest.raises(ColumnTypeError, match=r"`RSSEQ` \(sequence of source `ADRS`\) must hold"):
        derive(adsl("01"), [event("ADRS", rs, "PD", seq="RSSEQ")])


@pytest.mark.parametrize("code", [0, -1, True, 1.5])
def test_censor_code_must_be_positive_integer(code: object) -> None:
    alive = censor("ADSL", records([("01", 9)]), "ALIVE", code)  # type: ignore[arg-type]
    with pytest.raises(OptionError, match=r"CNSR code of censoring source `ADSL` .* positive"):
        derive(adsl("01"), [], [alive])


def test_no_source_is_an_error() -> None:
    with pytest.raises(OptionError, match="at least one event or censoring source"):
        derive(adsl("01"))


# --- property -------------------------------------------------------------------------------

_DAYS = st.integers(min_value=-10, max_value=400)
_ROWS = st.lists(st.tuples(st.sampled_from(["01", "02", "03", "04"]), _DAYS), max_size=8)


@settings(max_examples=60, deadline=None)
@given(events=st.lists(_ROWS, max_size=3), censors=st.lists(_ROWS, max_size=2))
def test_aval_positive_and_cnsr_zero_iff_an_event(
    events: list[list[tuple[str, int]]], censors: list[list[tuple[str, int]]]
) -> None:
    ids = ("01", "02", "03", "04")
    # the start date censors every subject, so that nobody is left without a record
    start = censor("ADSL", records([(s, 0) for s in ids]), "RANDOMIZATION", 3)
    ev = [event(f"E{i}", records(rows), f"E{i}") for i, rows in enumerate(events)]
    cs = [censor(f"C{i}", records(rows), f"C{i}", i + 1) for i, rows in enumerate(censors)]
    table = derive(adsl(*ids), ev, [*cs, start])
    assert table.height == len(ids)
    assert (table["AVAL"] >= 1).all()
    with_event = {s for rows in events for s, _ in rows}
    for row in table.iter_rows(named=True):
        assert (row["CNSR"] == 0) == (row["USUBJID"] in with_event)
        if row["CNSR"] == 0:  # the earliest event over every source
            first = min(max(d, 0) for rows in events for s, d in rows if s == row["USUBJID"])
            assert row["AVAL"] == first + 1
