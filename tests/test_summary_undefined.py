"""`summary` says why a median or the upper limit of its interval is null."""

from __future__ import annotations

import polars as pl

from survstat.analyses import ANALYSES


def test_a_median_not_reached_is_null_with_its_reason():
    data = pl.DataFrame({"t": [1.0, 2.0, 3.0, 4.0], "e": [1, 0, 0, 0]})
    out = ANALYSES["summary"].run(data, time="t", event="e")
    row = out.table.row(0, named=True)
    assert (row["median"], row["conf_high"]) == (None, None)
    assert out.notes == (
        "median not reached: the survival estimate stays above 0.5 (lowest 0.75); the median "
        "and the upper limit of its interval are null (NE)",
    )


def test_reasons_name_the_group():
    data = pl.DataFrame(
        {
            "t": [1.0, 2.0, 3.0, 4.0, 1.0, 2.0, 3.0, 4.0],
            "e": [1, 1, 1, 1, 1, 0, 0, 0],
            "arm": ["A"] * 4 + ["B"] * 4,
        }
    )
    out = ANALYSES["summary"].run(data, time="t", event="e", by=["arm"])
    assert out.table.get_column("median").to_list() == [2.5, None]
    assert out.notes == (
        "upper limit of the median's interval not reached (arm=A): the upper confidence band "
        "stays above 0.5; it is null (NE)",
        "median not reached (arm=B): the survival estimate stays above 0.5 (lowest 0.75); the "
        "median and the upper limit of its interval are null (NE)",
    )
