"""The subgroup table (``survstat table subgroups``, :func:`survstat.tables.subgroups_table`).

Every statistic is compared with R (``tests/reference/make_reference_table_subgroups.R``:
survfit medians, coxph with Efron ties per level, also stratified, and ``anova`` of the
interaction model), a tiny case is checked by hand, and the error and null cases are pinned
with their messages.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

import survstat
from survstat.batch import load_job, run_job
from survstat.cli import app
from survstat.errors import (
    ColumnNotFoundError,
    InvalidValueError,
    MissingValueError,
    OptionError,
    SurvstatWarning,
)
from survstat.tables import ALL_PATIENTS, ARD_COLUMNS, SubgroupsTable, subgroups_table

HERE = Path(__file__).parent
R = json.loads((HERE / "reference" / "r_reference_table_subgroups.json").read_text())
runner = CliRunner()
RTOL = 1e-8


def _gbsg2() -> pl.DataFrame:
    return survstat.datasets.load("gbsg2").select(
        pl.col("horTh").alias("arm"),
        pl.col("time").cast(pl.Float64),
        pl.col("cens").alias("event"),
        "menostat",
        pl.col("tgrade").cast(pl.String),
    )


def _get(ard: pl.DataFrame, subgroup, level, arm, statistic: str) -> dict:
    rows = ard.filter(
        pl.col("subgroup").eq_missing(subgroup),
        pl.col("level").eq_missing(level),
        pl.col("arm").eq_missing(arm),
        pl.col("statistic") == statistic,
    )
    assert rows.height == 1, (subgroup, level, arm, statistic, rows)
    return rows.row(0, named=True)


def _close(got, want) -> None:
    if want is None:
        assert got is None
    else:
        assert got == pytest.approx(want, rel=RTOL, abs=1e-13)


def _check_block(ard: pl.DataFrame, subgroup, level, want: dict) -> None:
    for arm, values in want["arms"].items():
        _close(_get(ard, subgroup, level, arm, "n")["estimate"], values["n"])
        _close(_get(ard, subgroup, level, arm, "n_event")["estimate"], values["n_event"])
        median = _get(ard, subgroup, level, arm, "median")
        _close(median["estimate"], values["median"])
        _close(median["conf_low"], values["median_conf_low"])
        _close(median["conf_high"], values["median_conf_high"])
    hr = _get(ard, subgroup, level, "yes", "hazard_ratio")
    for key in ("estimate", "std_error", "conf_low", "conf_high"):
        _close(hr[key], want["hazard_ratio"][key])
    assert hr["note"] is None


@pytest.fixture(scope="module", params=sorted(R))
def case(request):
    ref = R[request.param]
    result = subgroups_table(
        _gbsg2(),
        by="arm",
        time="time",
        event="event",
        reference="no",
        subgroups=ref["subgroups"],
        strata=ref["strata"],
        conf_level=ref["conf_level"],
    )
    return ref, result


def test_all_patients_match_r(case):
    ref, result = case
    _check_block(result.ard, None, ALL_PATIENTS, ref["all"])


def test_levels_match_r(case):
    ref, result = case
    for variable, sub in ref["subgroup"].items():
        levels = result.ard.filter(pl.col("subgroup") == variable).get_column("level")
        assert levels.drop_nulls().unique(maintain_order=True).to_list() == sub["levels"]
        for level, block in sub["per_level"].items():
            _check_block(result.ard, variable, level, block)


def test_interaction_p_value_matches_r_anova(case):
    ref, result = case
    for variable, sub in ref["subgroup"].items():
        row = _get(result.ard, variable, None, None, "interaction_p_value")
        _close(row["estimate"], sub["interaction"]["p_value"])
        assert row["note"] is None


def test_schema_and_order(case):
    _, result = case
    assert isinstance(result, SubgroupsTable)
    assert result.ard.columns == ["subgroup", "level", "arm", *ARD_COLUMNS]
    assert result.arms == ("no", "yes")
    first = result.ard.head(7)
    assert first.get_column("subgroup").null_count() == 7
    assert first.get_column("statistic").to_list() == [
        "n", "n_event", "median", "n", "n_event", "median", "hazard_ratio",
    ]  # fmt: skip
    assert set(result.ard.get_column("statistic")) == {
        "n", "n_event", "median", "hazard_ratio", "interaction_p_value",
    }  # fmt: skip
    assert result.ard.get_column("time").null_count() == result.ard.height
    with pytest.raises(AttributeError):
        result.by = "x"  # type: ignore[misc]


def _tiny() -> pl.DataFrame:
    # level a: arm 0 events at 1, 3; arm 1 events at 2, 4 (censored at 5); level b: no events
    # in arm 1
    return pl.DataFrame(
        {
            "arm": [0, 0, 1, 1, 1, 0, 0, 1, 1],
            "time": [1.0, 3.0, 2.0, 4.0, 5.0, 1.0, 2.0, 3.0, 4.0],
            "event": [1, 1, 1, 1, 0, 1, 1, 0, 0],
            "g": ["a", "a", "a", "a", "a", "b", "b", "b", "b"],
        }
    )


def test_tiny_case_by_hand():
    ard = subgroups_table(_tiny(), by="arm", time="time", event="event", subgroups="g").ard
    assert _get(ard, "g", "a", 1, "n")["estimate"] == 3.0
    assert _get(ard, "g", "a", 1, "n_event")["estimate"] == 2.0
    # arm 0 in level a: S = 1/2 from time 1 to 3, then 0; at a curve flat at 0.5, R's
    # quantile.survfit takes the midpoint (1 + 3) / 2 = 2
    assert _get(ard, "g", "a", 0, "median")["estimate"] == 2.0
    # arm 1 in level a: S = 2/3 after 2, 1/3 after 4: median 4
    assert _get(ard, "g", "a", 1, "median")["estimate"] == 4.0
    # level b, arm 1 has no events: the hazard ratio is null with the reason, never inf
    hr = _get(ard, "g", "b", 1, "hazard_ratio")
    assert (hr["estimate"], hr["conf_low"], hr["conf_high"]) == (None, None, None)
    assert hr["note"] == "no events in arm 1 in g = b: not estimable"
    # the interaction p-value is in [0, 1] or null with a note
    p = _get(ard, "g", None, None, "interaction_p_value")
    assert (p["estimate"] is None and p["note"]) or 0.0 <= p["estimate"] <= 1.0


def test_hazard_ratio_std_error_is_that_of_log_hr():
    ard = subgroups_table(
        _gbsg2(), by="arm", time="time", event="event", reference="no", subgroups="menostat"
    ).ard
    hr = _get(ard, "menostat", "Pre", "yes", "hazard_ratio")
    z = 1.959963984540054
    assert math.log(hr["conf_high"]) == pytest.approx(
        math.log(hr["estimate"]) + z * hr["std_error"]
    )


def test_arm_with_no_patients_in_a_level():
    frame = pl.DataFrame(
        {
            "arm": ["A", "A", "B", "B", "A", "A"],
            "time": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
            "event": [1, 1, 1, 0, 1, 0],
            "g": ["x", "x", "x", "x", "y", "y"],
        }
    )
    with pytest.warns(SurvstatWarning, match=r"^hazard ratio of arm 'B' in g = x: Cox model"):
        ard = subgroups_table(frame, by="arm", time="time", event="event", subgroups="g").ard
    assert _get(ard, "g", "y", "B", "n")["estimate"] == 0.0
    median = _get(ard, "g", "y", "B", "median")
    assert median["estimate"] is None
    assert median["note"] == "no patients in arm 'B' in g = y"
    hr = _get(ard, "g", "y", "B", "hazard_ratio")
    assert hr["estimate"] is None
    assert hr["note"] == "no patients in arm 'B' in g = y: not estimable"
    p = _get(ard, "g", None, None, "interaction_p_value")
    assert p["estimate"] is None
    assert "interaction terms not estimable: arm[B]:g[y]" in p["note"]


def test_unknown_subgroup_column():
    with pytest.raises(ColumnNotFoundError, match="AGEGR1"):
        subgroups_table(_gbsg2(), by="arm", time="time", event="event", subgroups="AGEGR1")


def test_arm_as_subgroup_is_refused():
    with pytest.raises(OptionError, match=r"column `arm` is the arm \(`by`\) and cannot also be"):
        subgroups_table(_gbsg2(), by="arm", time="time", event="event", subgroups=["arm"])


def test_subgroup_as_stratum_is_refused():
    with pytest.raises(OptionError, match="column `tgrade` is both a subgroup and a stratum"):
        subgroups_table(
            _gbsg2(), by="arm", time="time", event="event", subgroups="tgrade", strata="tgrade"
        )


def test_level_with_one_row_is_refused():
    frame = _gbsg2().with_columns(
        pl.when(pl.int_range(pl.len()) == 5).then(pl.lit("IV")).otherwise("tgrade").alias("tgrade")
    )
    with pytest.raises(
        InvalidValueError,
        match=r"subgroup column `tgrade` has 1 level with a single row \(e.g. 'IV'\); a level "
        "needs at least 2 rows",
    ):
        subgroups_table(frame, by="arm", time="time", event="event", subgroups="tgrade")


def test_missing_subgroup_value_is_refused():
    frame = _gbsg2().with_columns(
        pl.when(pl.int_range(pl.len()) == 3).then(None).otherwise("menostat").alias("menostat")
    )
    with pytest.raises(
        MissingValueError,
        match=r"subgroup column `menostat` is missing for 1 of 686 rows \(first: row 3\)",
    ):
        subgroups_table(frame, by="arm", time="time", event="event", subgroups="menostat")


def test_no_subgroups_or_repeated_is_refused():
    with pytest.raises(OptionError, match="`subgroups` needs at least one column"):
        subgroups_table(_gbsg2(), by="arm", time="time", event="event", subgroups=[])
    with pytest.raises(OptionError, match="subgroup column `tgrade` is given twice"):
        subgroups_table(
            _gbsg2(), by="arm", time="time", event="event", subgroups=["tgrade", "tgrade"]
        )


def test_cli_writes_the_ard(tmp_path):
    data = tmp_path / "gbsg2.parquet"
    survstat.datasets.load("gbsg2").write_parquet(data)
    out = tmp_path / "sub.parquet"
    r = runner.invoke(app, ["table", "subgroups", str(data), "--time", "time", "--event", "cens",
                            "--by", "horTh", "--reference", "no", "--subgroups",
                            "menostat,tgrade", "-o", str(out)])  # fmt: skip
    assert r.exit_code == 0, r.output
    want = subgroups_table(
        survstat.datasets.load("gbsg2"),
        by="horTh",
        time="time",
        event="cens",
        reference="no",
        subgroups=["menostat", "tgrade"],
    ).ard
    assert pl.read_parquet(out).equals(want)


def test_cli_arm_as_subgroup_is_one_line(tmp_path):
    data = tmp_path / "gbsg2.parquet"
    survstat.datasets.load("gbsg2").write_parquet(data)
    r = runner.invoke(app, ["table", "subgroups", str(data), "--time", "time", "--event", "cens",
                            "--by", "horTh", "--subgroups", "horTh"])  # fmt: skip
    assert r.exit_code == 1
    assert r.output.strip().startswith("error: column `horTh` is the arm (`by`)")
    assert len(r.output.strip().splitlines()) == 1


def test_job_step(tmp_path):
    survstat.datasets.load("gbsg2").write_parquet(tmp_path / "gbsg2.parquet")
    (tmp_path / "job.toml").write_text(
        '[job]\ntitle = "t"\noutput = "out"\n\n[inputs]\ngbsg2 = "gbsg2.parquet"\n\n'
        '[[step]]\nname = "forest"\nanalysis = "table subgroups"\ninput = "gbsg2"\n'
        'time = "time"\nevent = "cens"\nby = "horTh"\nreference = "no"\n'
        'subgroups = ["menostat"]\nstrata = ["tgrade"]\n'
    )
    manifest = run_job(load_job(tmp_path / "job.toml"))
    assert manifest.get_column("status").to_list() == ["ok"]
    ard = pl.read_parquet(tmp_path / "out" / "forest.parquet")
    want = subgroups_table(
        survstat.datasets.load("gbsg2"),
        by="horTh",
        time="time",
        event="cens",
        reference="no",
        subgroups="menostat",
        strata="tgrade",
    ).ard
    assert ard.equals(want)
