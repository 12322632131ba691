"""`survstat dichotomise`: every row labelled low (marker <= cut-point) or high, at a given
cut-point or one searched as `survstat cutpoint` searches it, on hand-built tables."""

from __future__ import annotations

import polars as pl
import pytest
from typer.testing import CliRunner

import survstat
from survstat.analyses import ANALYSES
from survstat.cli import app
from survstat.errors import ColumnNotFoundError, ColumnTypeError, OptionError
from survstat.estimators.cutpoint import GROUP_LEVELS, cutpoint, marker_groups
from survstat.estimators.interaction import interaction_tests

RUN = ANALYSES["dichotomise"].run


def _frame() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "id": ["a", "b", "c", "d", "e"],
            "x": [1.0, 2.0, 2.0, None, 5.0],
            "t": [1.0, 2.0, 3.0, 4.0, 5.0],
            "d": [1, 0, 1, 1, 0],
        }
    )


def test_at_most_the_cutpoint_is_low_and_a_missing_marker_has_no_group():
    out = marker_groups(_frame(), "x", 2.0, "g")
    assert out["g"].cast(pl.String).to_list() == ["low", "low", "low", None, "high"]
    assert out.schema["g"] == GROUP_LEVELS == pl.Enum(["low", "high"])


def test_nan_has_no_group():
    out = marker_groups(pl.DataFrame({"x": [float("nan"), 0.0]}), "x", 0.0)
    assert out["marker_group"].cast(pl.String).to_list() == [None, "low"]


def test_given_cutpoint_keeps_every_row_and_column_in_order():
    res = RUN(_frame(), marker="x", cutpoint=1.5)
    assert res.table.columns == ["id", "x", "t", "d", "x_group"]
    assert res.table["x_group"].cast(pl.String).to_list() == ["low", "high", "high", None, "high"]
    assert res.display is not None
    counts = res.display.table
    assert counts["x_group"].cast(pl.String).to_list() == ["low", "high", None]
    assert counts["n"].to_list() == [1, 3, 1]
    assert res.extras == ()
    assert "cut-point 1.5 (given)" in res.notes
    note = "1 row without a `x` value has a null group (and is not searched)"
    assert any(note in n for n in res.notes)


def test_searched_cutpoint_is_that_of_cutpoint_and_carries_the_warning():
    gbsg = survstat.datasets.load("gbsg2")
    res = RUN(gbsg, marker="pnodes", time="time", event="cens", group_column="nodes")
    found = cutpoint(gbsg, time="time", event="cens", marker="pnodes")
    assert res.extras[0].name == "cutpoint"
    assert res.extras[0].table.equals(found.table)
    cut = found.table["cutpoint"].item()
    expected = ["low" if v <= cut else "high" for v in gbsg["pnodes"].to_list()]
    assert res.table["nodes"].cast(pl.String).to_list() == expected
    assert any(n.startswith("warning: data-driven cut-point") for n in res.notes)


def test_search_population_searches_those_rows_and_labels_every_row():
    gbsg = survstat.datasets.load("gbsg2").with_columns(
        pl.when(pl.col("horTh") == "yes").then(pl.lit("Y")).otherwise(pl.lit("N")).alias("HTFL")
    )
    res = RUN(gbsg, marker="pnodes", time="time", event="cens", search_population="HTFL")
    treated = gbsg.filter(pl.col("HTFL") == "Y")
    found = cutpoint(treated, time="time", event="cens", marker="pnodes")
    assert res.extras[0].table.equals(found.table)
    assert res.table.height == gbsg.height
    assert res.table["pnodes_group"].null_count() == 0
    assert 'cut-point search: population HTFL = "Y": 246 of 686 rows kept, 440 removed' in res.notes


def test_rows_without_a_marker_are_not_searched():
    gbsg = survstat.datasets.load("gbsg2")
    holed = gbsg.with_columns(
        pl.when(pl.int_range(pl.len()) < 5).then(None).otherwise(pl.col("pnodes")).alias("pnodes")
    )
    res = RUN(holed, marker="pnodes", time="time", event="cens")
    found = cutpoint(holed.slice(5), time="time", event="cens", marker="pnodes")
    assert res.extras[0].table.equals(found.table)
    assert res.table["pnodes_group"].null_count() == 5


@pytest.mark.parametrize(
    ("params", "error", "match"),
    [
        ({"marker": "y", "cutpoint": 1.0}, ColumnNotFoundError, "y"),
        ({"marker": "id", "cutpoint": 1.0}, ColumnTypeError, r"`id` \(marker\) must be numeric"),
        (
            {"marker": "x", "cutpoint": 1.0, "group_column": "t"},
            OptionError,
            r"`t` \(group column\) is already a column",
        ),
        ({"marker": "x"}, OptionError, "give --cutpoint, or the --time and --event"),
        ({"marker": "x", "time": "t"}, OptionError, "give --cutpoint, or the --time and --event"),
        (
            {"marker": "x", "cutpoint": 1.0, "search_population": "id"},
            OptionError,
            "--search-population needs a search",
        ),
    ],
)
def test_bad_input_is_one_named_error(params, error, match):
    with pytest.raises(error, match=match):
        RUN(_frame(), **params)


def test_command_line_writes_the_rows_and_the_search(tmp_path):
    data = tmp_path / "gbsg2.parquet"
    survstat.datasets.load("gbsg2").write_parquet(data)
    out = tmp_path / "groups.parquet"
    args = ["dichotomise", str(data), "--marker", "pnodes", "--time", "time", "--event", "cens"]
    r = CliRunner().invoke(app, [*args, "-o", str(out)])
    assert r.exit_code == 0, r.output
    written = pl.read_parquet(out)
    assert written.schema["pnodes_group"] == pl.Enum(["low", "high"])
    assert pl.read_parquet(tmp_path / "groups.cutpoint.parquet")["cutpoint"].item() == 3.0
    assert pl.read_parquet(tmp_path / "groups.groups.parquet")["n"].to_list() == [376, 310]


def test_cox_and_interaction_take_low_as_the_reference_of_the_group():
    gbsg = survstat.datasets.load("gbsg2")
    groups = RUN(gbsg, marker="pnodes", cutpoint=3.0).table
    fit = survstat.cox(groups, time="time", event="cens", covariates=["pnodes_group"])
    assert fit.table["term"].to_list() == ["pnodes_group[high]"]
    as_text = groups.with_columns(pl.col("pnodes_group").cast(pl.String))
    common = {"time": "time", "event": "cens", "treatment": "horTh"}
    enum = interaction_tests(groups, markers=["pnodes_group"], **common).table
    text = interaction_tests(as_text, markers=["pnodes_group"], **common).table
    # text levels sort "high" first; the Enum puts "low" first: reciprocal ratios, same test
    assert enum["interaction_hr"].item() == pytest.approx(1 / text["interaction_hr"].item())
    assert enum["p_value"].item() == pytest.approx(text["p_value"].item(), rel=1e-10)
