"""One rule for ids shared between two tables (CML lab results and patient table, RECIST
assessments and subject table): compatible types are cast, incompatible ones are an error."""

from __future__ import annotations

import polars as pl
import pytest

from survstat.endpoints._ids import is_text, match_id_type
from survstat.errors import ColumnTypeError

TABLES = ("lab results", "patient table")


@pytest.mark.parametrize(
    ("have", "want"),
    [
        (pl.Int32(), pl.Int64()),
        (pl.Int64(), pl.Int16()),
        (pl.UInt8(), pl.Int32()),
        (pl.String(), pl.Categorical()),
        (pl.Categorical(), pl.String()),
        (pl.Enum(["2", "1"]), pl.String()),
        (pl.String(), pl.Enum(["1", "2", "3"])),
    ],
)
def test_compatible_ids_are_cast_to_the_reference_type(have, want):
    # ids 1 and 2 fit every one of these types: the frame comes back with the reference type
    # and the same values
    frame = pl.DataFrame({"id": pl.Series([1, 2]).cast(pl.String).cast(have)})
    got = match_id_type(frame, "id", want, TABLES)
    assert got.schema["id"] == want
    assert got.get_column("id").cast(pl.String).to_list() == ["1", "2"]


@pytest.mark.parametrize(
    ("have", "want", "message"),
    [
        # text against integers never joins: both columns and both types are named
        (
            pl.String(),
            pl.Int64(),
            r"^`id` is String in the lab results but `pid` is Int64 in the patient table; "
            r"give both the same type$",
        ),
        (
            pl.Int32(),
            pl.Categorical(),
            r"^`id` is Int32 in the lab results but `pid` is Categorical in the patient table",
        ),
        (pl.Float64(), pl.Float64(), None),  # same type: nothing to check
        (
            pl.Float64(),
            pl.Int64(),
            r"^`id` is Float64 in the lab results but `pid` is Int64 in the patient table",
        ),
    ],
)
def test_ids_of_different_kinds_are_an_error(have, want, message):
    frame = pl.DataFrame({"id": pl.Series([1, 2]).cast(have)})
    if message is None:
        assert match_id_type(frame, "id", want, TABLES, other="pid").equals(frame)
        return
    with pytest.raises(ColumnTypeError, match=message):
        match_id_type(frame, "id", want, TABLES, other="pid")


def test_ids_that_do_not_fit_the_reference_type_are_an_error():
    # 2**40 has no Int32 value and "z" is not a category of the Enum: no row could join
    wide = pl.DataFrame({"id": [1, 2**40, 2**41]})
    with pytest.raises(
        ColumnTypeError,
        match=r"^`id`: ids of the lab results \(Int64\) do not all fit the type they have in "
        r"the patient table \(Int32\); found 2 of 3 rows \(first: 1099511627776\)",
    ):
        match_id_type(wide, "id", pl.Int32(), TABLES)
    with pytest.raises(ColumnTypeError, match=r"found 1 of 2 rows \(first: 'z'\)"):
        match_id_type(pl.DataFrame({"id": ["a", "z"]}), "id", pl.Enum(["a"]), TABLES)


def test_null_ids_and_text_types():
    # an all-null column has no type to disagree with; nulls stay null when cast
    frame = pl.DataFrame({"id": pl.Series([None, 1], dtype=pl.Int32)})
    assert match_id_type(frame, "id", pl.Null(), TABLES).equals(frame)
    assert match_id_type(frame, "id", pl.Int64(), TABLES).get_column("id").to_list() == [None, 1]
    assert all(is_text(t) for t in (pl.String(), pl.Categorical(), pl.Enum(["a"])))
    assert not any(is_text(t) for t in (pl.Null(), pl.Int64(), pl.Binary()))
