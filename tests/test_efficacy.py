"""The per-arm efficacy table composes the estimators exactly."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import polars as pl
import pytest

import survstat
from survstat.analyses.efficacy import efficacy_table
from survstat.analyses.subgroups import biomarker_subgroups
from survstat.errors import (
    ColumnNotFoundError,
    EmptyDataError,
    InvalidValueError,
    MissingValueError,
    OptionError,
    SurvstatWarning,
)


def _trial(seed: int = 1, n: int = 90) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    pfs = rng.exponential(300, n).round()
    responder = rng.uniform(size=n) < 0.3
    dor = np.where(responder, np.maximum(pfs - 56, 0), np.nan)
    return pl.DataFrame(
        {
            "arm": np.repeat(["A", "B", "C"], n // 3),
            "pfs_time": pfs,
            "pfs_event": rng.uniform(size=n) < 0.8,
            "objective_response": responder,
            "clinical_benefit": responder | (rng.uniform(size=n) < 0.3),
            "disease_control": responder | (rng.uniform(size=n) < 0.5),
            "os_time": pfs + rng.exponential(200, n).round(),
            "os_event": rng.uniform(size=n) < 0.5,
            "dor_time": dor,
            "dor_event": rng.uniform(size=n) < 0.7,
            "site": rng.choice(["x", "y"], n),
        }
    ).with_columns(
        pl.col("dor_time").fill_nan(None),
        pl.when(pl.col("objective_response")).then(pl.col("dor_event")).alias("dor_event"),
    )


def test_matches_the_estimators():
    df = _trial()
    t = efficacy_table(df, reference="B")
    assert t["arm"].to_list() == ["B", "A", "C"]
    row = {r["arm"]: r for r in t.iter_rows(named=True)}
    orr = survstat.proportion(df, response="objective_response", by="arm").table
    for r in orr.iter_rows(named=True):
        got = row[r["arm"]]
        assert (got["n"], got["n_responders"]) == (r["n"], r["n_responders"])
        assert got["orr_conf_low"] == pytest.approx(r["conf_low"], rel=1e-12)
    km = survstat.kaplan_meier(df, time="pfs_time", event="pfs_event", by="arm")
    med = dict(km.median().select("arm", "time").iter_rows())
    assert row["A"]["pfs_median"] == med["A"]
    at = km.at([182.625]).filter(pl.col("arm") == "C")
    assert row["C"]["pfs_rate_6m"] == pytest.approx(at["survival"].item(), rel=1e-12)
    fit = survstat.cox(
        df, time="pfs_time", event="pfs_event", covariates=["arm"], reference={"arm": "B"}
    )
    hr = dict(fit.table.select("term", "hazard_ratio").iter_rows())
    assert row["C"]["hazard_ratio"] == pytest.approx(hr["arm[C]"], rel=1e-12)
    assert row["B"]["hazard_ratio"] is None
    pair = df.filter(pl.col("arm").is_in(["A", "B"]))
    lr = survstat.logrank(pair, time="pfs_time", event="pfs_event", by="arm")
    assert row["A"]["logrank_p_value"] == pytest.approx(lr.table["p_value"].item(), rel=1e-12)
    assert row["A"]["pfs_events"] == df.filter(pl.col("arm") == "A")["pfs_event"].sum()


def test_stratified_and_custom_rates():
    df = _trial(2)
    t = efficacy_table(df, strata="site", rate_times={"3m": 91.3})
    assert "pfs_rate_3m_conf_high" in t.columns
    fit = survstat.cox(df, time="pfs_time", event="pfs_event", covariates=["arm"], strata="site")
    hr = dict(fit.table.select("term", "hazard_ratio").iter_rows())
    assert t.filter(pl.col("arm") == "B")["hazard_ratio"].item() == pytest.approx(
        hr["arm[B]"], rel=1e-12
    )


def test_errors():
    df = _trial()
    with pytest.raises(OptionError, match="reference arm 'Z' not found"):
        efficacy_table(df, reference="Z")
    with pytest.raises(InvalidValueError, match="needs at least two arms"):
        efficacy_table(df.filter(pl.col("arm") == "A"))
    with pytest.raises(survstat.errors.ColumnNotFoundError, match="`clinical_benefit`"):
        efficacy_table(df.drop("clinical_benefit"))


def test_os_dcr_and_dor_match_the_estimators():
    df = _trial(3)
    t = efficacy_table(df, reference="A")
    row = {r["arm"]: r for r in t.iter_rows(named=True)}
    dcr = survstat.proportion(df, response="disease_control", by="arm").table
    for r in dcr.iter_rows(named=True):
        got = row[r["arm"]]
        assert (got["n_disease_control"], got["dcr"]) == (r["n_responders"], r["rate"])
        assert got["dcr_conf_high"] == pytest.approx(r["conf_high"], rel=1e-12)
    km = survstat.kaplan_meier(df, time="os_time", event="os_event", by="arm")
    med = {r["arm"]: r for r in km.median().iter_rows(named=True)}
    at = {r["arm"]: r for r in km.at([365.25]).iter_rows(named=True)}
    for arm in ("A", "B", "C"):
        assert row[arm]["os_median"] == med[arm]["time"]
        assert row[arm]["os_median_conf_low"] == med[arm]["conf_low"]
        assert row[arm]["os_rate_12m"] == pytest.approx(at[arm]["survival"], rel=1e-12)
        assert row[arm]["os_events"] == df.filter(pl.col("arm") == arm)["os_event"].sum()
    responders = df.filter(pl.col("objective_response"))
    dor = survstat.kaplan_meier(responders, time="dor_time", event="dor_event", by="arm")
    dor_med = dict(dor.median().select("arm", "time").iter_rows())
    for arm in ("A", "B", "C"):
        n_resp = responders.filter(pl.col("arm") == arm).height
        assert (row[arm]["n_dor"], row[arm]["n_responders"]) == (n_resp, n_resp)
        assert row[arm]["dor_median"] == dor_med[arm]
    # the existing columns keep their names and order; the new ones follow
    assert t.columns[:24] == [
        "arm", "n", "n_responders", "orr", "orr_conf_low", "orr_conf_high",
        "n_clinical_benefit", "cbr", "cbr_conf_low", "cbr_conf_high", "pfs_events",
        "pfs_median", "pfs_median_conf_low", "pfs_median_conf_high", "pfs_rate_6m",
        "pfs_rate_6m_conf_low", "pfs_rate_6m_conf_high", "pfs_rate_12m",
        "pfs_rate_12m_conf_low", "pfs_rate_12m_conf_high", "hazard_ratio", "hr_conf_low",
        "hr_conf_high", "logrank_p_value",
    ]  # fmt: skip
    assert t.columns[24:] == [
        "n_disease_control", "dcr", "dcr_conf_low", "dcr_conf_high", "os_events", "os_median",
        "os_median_conf_low", "os_median_conf_high", "os_rate_6m", "os_rate_6m_conf_low",
        "os_rate_6m_conf_high", "os_rate_12m", "os_rate_12m_conf_low", "os_rate_12m_conf_high",
        "n_dor", "dor_events", "dor_median", "dor_median_conf_low", "dor_median_conf_high",
        "hr_note",
    ]  # fmt: skip


def _phase_1b() -> pl.DataFrame:
    """Three arms of four patients, built so that every summary can be worked by hand."""
    rows = [
        # arm, bor flags (objective, clinical benefit, disease control), pfs, os, dor
        ("A", (True, True, True), (2, True), (20, True), (1, True)),
        ("A", (True, True, True), (4, True), (22, False), (3, True)),
        ("A", (False, True, True), (6, True), (24, True), None),
        ("A", (False, False, True), (8, True), (26, False), None),
        ("B", (False, False, True), (3, False), (30, False), None),
        ("B", (False, False, False), (5, False), (30, False), None),
        ("B", (False, False, False), (7, False), (30, False), None),
        ("B", (False, False, False), (9, False), (30, False), None),
        ("C", (True, True, True), (3, True), (40, True), (6, False)),
        ("C", (False, True, True), (7, True), (42, True), None),
        ("C", (False, False, True), (9, False), (44, False), None),
        ("C", (False, False, False), (16, True), (46, True), None),
    ]
    return pl.DataFrame(
        [(arm, *flags, *pfs, *os_, *(dor or (None, None))) for arm, flags, pfs, os_, dor in rows],
        schema={
            "arm": pl.String,
            "objective_response": pl.Boolean,
            "clinical_benefit": pl.Boolean,
            "disease_control": pl.Boolean,
            "pfs_time": pl.Float64,
            "pfs_event": pl.Boolean,
            "os_time": pl.Float64,
            "os_event": pl.Boolean,
            "dor_time": pl.Float64,
            "dor_event": pl.Boolean,
        },
        orient="row",
    )


def test_phase_1b_three_arm_table_by_hand():
    t = efficacy_table(_phase_1b(), reference="A", rate_times={"d5": 5.0, "d20": 20.0})
    row = {r["arm"]: r for r in t.iter_rows(named=True)}
    a, b, c = row["A"], row["B"], row["C"]
    # rates: A 2/4 responders, 3/4 clinical benefit, 4/4 disease control
    assert (a["n_responders"], a["n_clinical_benefit"], a["n_disease_control"]) == (2, 3, 4)
    assert (a["orr"], a["cbr"], a["dcr"]) == (0.5, 0.75, 1.0)
    assert (b["orr"], b["dcr"], c["orr"], c["cbr"]) == (0.0, 0.25, 0.25, 0.5)
    # PFS, arm A: events at 2, 4, 6, 8 -> S = .75, .5, .25, 0; S is exactly 0.5 on [4, 6),
    # so the median is the midpoint 5 (R quantile.survfit); at day 5 S = 0.5, at day 20
    # (past the last time) S = 0, which stays defined
    assert (a["pfs_events"], a["pfs_median"]) == (4, 5.0)
    assert (a["pfs_rate_d5"], a["pfs_rate_d20"]) == (0.5, 0.0)
    # arm B: all censored by day 9: no events, median not reached, S(5) = 1, and S(20) is
    # past the arm's follow-up: undefined (null), not carried forward
    assert (b["pfs_events"], b["pfs_median"], b["pfs_rate_d5"]) == (0, None, 1.0)
    assert (b["pfs_rate_d20"], b["pfs_rate_d20_conf_low"]) == (None, None)
    # arm B has no PFS event: no hazard ratio, with the reason; the log-rank test stands
    assert (b["hazard_ratio"], b["hr_conf_low"], b["hr_conf_high"]) == (None, None, None)
    assert b["hr_note"] == "no events in arm 'B': not estimable"
    assert b["logrank_p_value"] is not None
    # arm C is compared with A in a Cox model without B; C's median: S = .75 at 3, .5 on
    # [7, 16) (censoring at 9 does not move it), 0 at 16 -> midpoint (7 + 16) / 2
    assert c["pfs_median"] == 11.5
    fit = survstat.cox(
        _phase_1b().filter(pl.col("arm") != "B"),
        time="pfs_time",
        event="pfs_event",
        covariates=["arm"],
        reference={"arm": "A"},
    )
    assert c["hazard_ratio"] == pytest.approx(fit.table["hazard_ratio"].item(), rel=1e-12)
    assert c["hr_note"] is None
    assert (a["hazard_ratio"], a["hr_note"]) == (None, None)
    # OS, arm A: deaths at 20 (4 at risk) and 24 (2 at risk, one censored at 22) ->
    # S(20) = .75, S(24) = .75 * 1/2 = .375: the median is 24, where S first drops <= .5
    assert (a["os_events"], a["os_rate_d20"]) == (2, 0.75)
    assert a["os_median"] == 24.0
    assert (b["os_events"], b["os_median"], b["os_rate_d20"]) == (0, None, 1.0)
    # DoR: A's two responders progress 1 and 3 days after responding -> median (1 + 3) / 2
    # = 2; C's single responder is censored at 6 -> not reached; B has no responder
    assert (a["n_dor"], a["dor_events"], a["dor_median"]) == (2, 2, 2.0)
    assert (c["n_dor"], c["dor_events"], c["dor_median"]) == (1, 0, None)
    assert (b["n_dor"], b["dor_events"], b["dor_median"]) == (0, None, None)


def test_hazard_ratio_not_estimable_is_null_with_a_reason():
    df = _phase_1b()
    # the reference arm B has no PFS event: no arm can be compared with it
    t = efficacy_table(df, reference="B")
    notes = dict(t.select("arm", "hr_note").iter_rows())
    assert notes == {
        "B": None,
        "A": "no events in the reference arm 'B': not estimable",
        "C": "no events in the reference arm 'B': not estimable",
    }
    assert t["hazard_ratio"].null_count() == 3
    # every event of arm B happens before any of arm A's times: the Cox likelihood grows
    # without bound (monotone likelihood): the coefficient is infinite and no number is shown
    mono = df.filter(pl.col("arm") != "C").with_columns(
        pl.when(pl.col("arm") == "B")
        .then(pl.col("pfs_time") / 10)
        .otherwise(pl.col("pfs_time"))
        .alias("pfs_time"),
        pl.when(pl.col("arm") == "B").then(True).otherwise(pl.col("pfs_event")).alias("pfs_event"),
    )
    with pytest.warns(SurvstatWarning, match="may be infinite"):
        table = efficacy_table(mono, reference="A")
    row = table.filter(pl.col("arm") == "B").row(0, named=True)
    assert row["hazard_ratio"] is None
    assert row["hr_note"].startswith("hazard ratio infinite (monotone likelihood")


def test_table_errors():
    df = _phase_1b()
    with pytest.raises(
        MissingValueError, match=r"`arm` is missing for 1 of 12 rows \(first: row 0\)"
    ):
        efficacy_table(
            df.with_columns(
                pl.when(pl.int_range(pl.len()) == 0)
                .then(None)
                .otherwise(pl.col("arm"))
                .alias("arm")
            )
        )
    with pytest.raises(EmptyDataError, match="the endpoint table has no rows"):
        efficacy_table(df.clear())
    with pytest.raises(ColumnNotFoundError, match="`os_time`"):
        efficacy_table(df.drop("os_time"))
    with pytest.raises(OptionError, match="`rate_times` must be finite times >= 0"):
        efficacy_table(df, rate_times={"x": float("nan")})


def _with_ids(df: pl.DataFrame) -> pl.DataFrame:
    return df.with_columns(
        (pl.col("arm") + pl.int_range(pl.len()).cast(pl.String)).alias("subject_id")
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        # the responders of _phase_1b are A0 (dor 1), A1 (dor 3) and C8 (dor 6, censored)
        (
            {"dor_time": {0: None}},
            r"^`dor_time` is missing for 1 of 3 objective responders \(first: subject 'A0'\); "
            r"derive it with time_to_event_endpoints$",
        ),
        (
            {"dor_event": {8: None}},
            r"^`dor_event` is missing for 1 of 3 objective responders \(first: subject 'C8'\)",
        ),
        (
            {"dor_time": {1: -2.0}},
            r"^`dor_time` must be non-negative; found 1 negative value in 3 objective "
            r"responders \(first: -2.0 for subject 'A1'\)$",
        ),
        (
            {"dor_time": {0: float("nan"), 1: float("inf")}},
            r"^`dor_time` must be finite; found 2 NaN or infinite values in 3 objective "
            r"responders \(first: nan for subject 'A0'\)$",
        ),
    ],
)
def test_duration_of_response_errors_name_the_subject(change, message):
    df = _with_ids(_phase_1b())
    for column, rows in change.items():
        values = df.get_column(column).to_list()
        for row, value in rows.items():
            values[row] = value
        df = df.with_columns(pl.Series(column, values, dtype=df.schema[column]))
    with pytest.raises(InvalidValueError, match=message):
        efficacy_table(df)


def test_duration_of_response_error_names_the_row_without_a_subject_column():
    # no `subject_id` column: the row of the endpoint table is named instead (row 0 is A0)
    df = _phase_1b().with_columns(
        pl.when(pl.int_range(pl.len()) == 0)
        .then(None)
        .otherwise(pl.col("dor_time"))
        .alias("dor_time")
    )
    with pytest.raises(InvalidValueError, match=r"\(first: row 0\)"):
        efficacy_table(df)
    with pytest.raises(InvalidValueError, match=r"\(first: subject 'A0'\)"):
        efficacy_table(_with_ids(df).rename({"subject_id": "usubjid"}), subject="usubjid")


SUBGROUP_REFERENCE = json.loads(
    (Path(__file__).parent / "reference" / "r_reference_subgroups.json").read_text()
)


@pytest.mark.parametrize("strata", [None, "site"])
def test_biomarker_subgroups_match_coxph(strata):
    df = pl.read_csv(Path(__file__).parent / "reference" / "data" / "subgroups.csv")
    res = biomarker_subgroups(df, biomarker="pakt", reference="A", strata=strata)
    ref = SUBGROUP_REFERENCE["site" if strata else "none"]
    assert res.cutpoint == pytest.approx(SUBGROUP_REFERENCE["cutpoint"], rel=1e-12)
    inter = res.interaction.row(0, named=True)
    assert inter["statistic"] == pytest.approx(ref["statistic"], rel=1e-8)
    assert inter["p_value"] == pytest.approx(ref["p_value"], rel=1e-8)
    assert inter["df"] == 2
    for sub in ("low", "high"):
        got = res.table.filter((pl.col("subgroup") == sub) & (pl.col("arm") != "A")).sort("arm")
        for col in ("hazard_ratio", "conf_low", "conf_high"):
            name = col if col == "hazard_ratio" else f"hr_{col}"
            np.testing.assert_allclose(got[name].to_numpy(), ref["hr"][sub][col], rtol=1e-8)
    # the subgroup sizes add up and the reference rows carry no hazard ratio
    assert res.table["n"].sum() == df.height
    assert res.table.filter(pl.col("arm") == "A")["hazard_ratio"].null_count() == 2


def test_biomarker_subgroup_errors():
    df = pl.read_csv(Path(__file__).parent / "reference" / "data" / "subgroups.csv")
    with pytest.raises(OptionError, match="`site` must be numeric"):
        biomarker_subgroups(df, biomarker="site")
    with pytest.raises(InvalidValueError, match=r"biomarker-high subgroup \(0 patients"):
        biomarker_subgroups(df, biomarker="pakt", cutpoint=99.0)
    # a cut-point that is not a number would put every patient in "low"
    for bad in (float("nan"), float("inf"), float("-inf")):
        with pytest.raises(OptionError, match=r"^`cutpoint` must be a finite number; got "):
            biomarker_subgroups(df, biomarker="pakt", cutpoint=bad)
    missing = df.with_columns(
        pl.when(pl.int_range(pl.len()) < 5).then(None).otherwise(pl.col("pakt")).alias("pakt")
    )
    assert biomarker_subgroups(missing, biomarker="pakt").n_excluded == 5


@pytest.mark.parametrize("value", [None, float("nan")])
def test_biomarker_subgroups_without_any_biomarker_value(value):
    # all 90 patients lack the biomarker (null or NaN): there is no median to split at, which
    # is an error naming the column rather than a TypeError from float(None)
    df = pl.read_csv(Path(__file__).parent / "reference" / "data" / "subgroups.csv")
    blank = df.with_columns(pl.lit(value, dtype=pl.Float64).alias("pakt"))
    with pytest.raises(
        MissingValueError,
        match=r"^`pakt` \(biomarker\) needs values for the median cut-point; found 90 missing "
        r"values in 90 rows$",
    ):
        biomarker_subgroups(blank, biomarker="pakt")


# --- arms of any type --------------------------------------------------------------------

CODES = {"A": 1, "B": 2, "C": 10}


def _coded(df: pl.DataFrame, codes: dict, dtype: pl.DataType = pl.Int64) -> pl.DataFrame:
    return df.filter(pl.col("arm").is_in(list(codes))).with_columns(
        pl.col("arm").replace_strict(codes, return_dtype=dtype)
    )


def test_integer_arm_codes_are_arms_not_a_covariate():
    # TRT01PN-style codes 1, 2, 10 for arms A, B, C: the table must be the text table with the
    # codes in place of the names. The arms sort by value (1, 2, 10; as text 10 would come
    # before 2) and the hazard ratios are those of the arms as categories: C (10) against A
    # (1) is the hazard ratio of test_phase_1b_three_arm_table_by_hand, and B (2) has no
    # events, whatever type the arm column has.
    text = efficacy_table(_phase_1b(), reference="A", rate_times={"d5": 5.0})
    coded = efficacy_table(_coded(_phase_1b(), CODES), rate_times={"d5": 5.0})
    assert coded.schema["arm"] == pl.Int64
    assert coded["arm"].to_list() == [1, 2, 10]
    assert coded.drop("arm", "hr_note").equals(text.drop("arm", "hr_note"))
    assert coded["hr_note"].to_list() == [None, "no events in arm 2: not estimable", None]
    assert coded.row(2, named=True)["hazard_ratio"] == pytest.approx(
        text.row(2, named=True)["hazard_ratio"], rel=1e-12
    )
    assert coded["hazard_ratio"][2] is not None
    # the reference given as text, as the command line gives it, names the integer arm
    by_text = efficacy_table(_coded(_phase_1b(), CODES), reference="10")
    assert by_text["arm"].to_list() == [10, 1, 2]
    with pytest.raises(
        OptionError, match=r"reference arm '3' not found in `arm`; arms: \[1, 2, 10\]"
    ):
        efficacy_table(_coded(_phase_1b(), CODES), reference="3")


@pytest.mark.parametrize("dtype", [pl.Boolean, pl.Float64])
def test_boolean_and_float_arms(dtype):
    # two arms coded False/True (or 0.0/1.0) for A and C: the hazard ratio of True against
    # False is that of C against A, from the same Cox model as with text arms
    codes = {"A": False, "C": True} if dtype == pl.Boolean else {"A": 0.0, "C": 1.0}
    got = efficacy_table(_coded(_phase_1b(), codes, dtype))
    fit = survstat.cox(
        _phase_1b().filter(pl.col("arm") != "B"),
        time="pfs_time",
        event="pfs_event",
        covariates=["arm"],
        reference={"arm": "A"},
    )
    assert got["arm"].to_list() == list(codes.values())
    assert got["hazard_ratio"][1] == pytest.approx(fit.table["hazard_ratio"].item(), rel=1e-12)
    assert got["hr_note"].to_list() == [None, None]
    reference = "true" if dtype == pl.Boolean else "1"
    assert (
        efficacy_table(_coded(_phase_1b(), codes, dtype), reference=reference)["arm"].to_list()
        == list(codes.values())[::-1]
    )


def test_biomarker_subgroups_with_integer_arms():
    # the same patients with arms coded 1, 2, 3: the same subgroup hazard ratios and the same
    # interaction test as with arms A, B, C (which match R, test_biomarker_subgroups_match_coxph)
    df = pl.read_csv(Path(__file__).parent / "reference" / "data" / "subgroups.csv")
    text = biomarker_subgroups(df, biomarker="pakt", reference="A")
    coded = biomarker_subgroups(_coded(df, {"A": 1, "B": 2, "C": 3}), biomarker="pakt")
    assert coded.table.schema["arm"] == pl.Int64
    assert coded.table["arm"].to_list() == [1, 2, 3, 1, 2, 3]
    assert coded.table.drop("arm").equals(text.table.drop("arm"))
    assert coded.interaction.equals(text.interaction)


def test_arm_given_as_strata_is_an_error_before_any_fit():
    # stratifying by the arm itself leaves nothing to compare; the error comes first, before a
    # Cox model warns of aliased or infinite terms
    df = _phase_1b()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(
            OptionError, match=r"^column `arm` is used both as the arm \(`by`\) and as strata"
        ):
            efficacy_table(df, strata=["arm"])
        with pytest.raises(OptionError, match="used both as the arm"):
            biomarker_subgroups(
                df.with_columns(pl.col("pfs_time").alias("x")), biomarker="x", strata="arm"
            )


def test_cli_arm_given_as_strata(tmp_path):
    from typer.testing import CliRunner

    from survstat.cli import app

    path = tmp_path / "ep.parquet"
    _phase_1b().write_parquet(path)
    r = CliRunner().invoke(app, ["recist", "table", str(path), "--by", "arm", "--strata", "arm"])
    assert r.exit_code == 1
    assert r.output.strip().splitlines() == [
        "error: column `arm` is used both as the arm (`by`) and as strata; arms cannot be "
        "compared within strata of the arm: drop it from `strata`"
    ]


def test_hazard_ratio_notes_follow_the_cox_term_status():
    # B's four events all come before any time of A or C: B's coefficient is infinite
    # (monotone likelihood) while C's estimate is the limit R reports; the table shows C's
    # hazard ratio from that same model and says why B's is missing, as cox() does per term
    df = _phase_1b()
    mono = df.with_columns(
        pl.when(pl.col("arm") == "B")
        .then(pl.col("pfs_time") / 10)
        .otherwise(pl.col("pfs_time"))
        .alias("pfs_time"),
        pl.when(pl.col("arm") == "B").then(True).otherwise(pl.col("pfs_event")).alias("pfs_event"),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SurvstatWarning)
        fit = survstat.cox(
            mono, time="pfs_time", event="pfs_event", covariates=["arm"], reference={"arm": "A"}
        )
        got = efficacy_table(mono, reference="A")
    status = dict(fit.table.select("term", "status").iter_rows())
    assert status == {"arm[B]": "infinite", "arm[C]": "ok"}
    row = {r["arm"]: r for r in got.iter_rows(named=True)}
    assert row["B"]["hazard_ratio"] is None
    assert row["B"]["hr_note"].startswith("hazard ratio infinite (monotone likelihood")
    assert row["C"]["hazard_ratio"] == pytest.approx(
        fit.table.filter(pl.col("term") == "arm[C]")["hazard_ratio"].item(), rel=1e-12
    )
    assert row["C"]["hr_note"] is None


# --- the interaction test with an arm missing from a subgroup ------------------------------


@pytest.mark.parametrize("strata", [None, "site"])
def test_interaction_df_counts_the_estimable_terms_as_r(strata):
    # arm C only in the low subgroup (its biomarker set to -10, cut-point 0): the arm C x high
    # interaction column is all zero, so the full model has one interaction term that can be
    # estimated (B x high) and the likelihood-ratio test has 1 df, not 2, as R's
    # anova(coxph(~ arm + high), coxph(~ arm * high)) counts it
    df = pl.read_csv(Path(__file__).parent / "reference" / "data" / "subgroups.csv")
    df = df.with_columns(
        pl.when(pl.col("arm") == "C").then(-10.0).otherwise(pl.col("pakt")).alias("pakt")
    )
    ref = SUBGROUP_REFERENCE["absent_arm"]["site" if strata else "none"]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = biomarker_subgroups(df, biomarker="pakt", cutpoint=0.0, strata=strata)
    inter = res.interaction.row(0, named=True)
    assert (inter["df"], ref["df"]) == (1, 1)
    assert inter["statistic"] == pytest.approx(ref["statistic"], rel=1e-8)
    assert inter["p_value"] == pytest.approx(ref["p_value"], rel=1e-8)
    assert ref["aliased"] == "armC:high"
    assert inter["aliased"] == "arm[C]:pakt-high"
    assert (inter["status"], inter["reduced_converged"], inter["full_converged"]) == (
        "ok",
        True,
        True,
    )
    assert inter["note"] == (
        "the interaction of arm 'C' with the biomarker-high subgroup cannot be estimated: arm "
        "'C' has no patients in the biomarker-high subgroup; df = 1, the interaction terms "
        "that can be estimated (as R's anova)"
    )
    # the warnings name the arm and the subgroup, never an internal column
    messages = [str(w.message) for w in caught]
    assert messages == [f"arm-by-pakt interaction test: {inter['note']}"]
    assert not any("__" in m for m in messages)
    # C's row in the high subgroup: no patients, so no hazard ratio, and the reason
    high_c = res.table.filter((pl.col("subgroup") == "high") & (pl.col("arm") == "C")).row(
        0, named=True
    )
    assert (high_c["n"], high_c["pfs_events"], high_c["hazard_ratio"]) == (0, 0, None)
    assert (
        high_c["hr_note"] == "no patients in arm 'C' in the biomarker-high subgroup: not estimable"
    )
    # the other hazard ratios are R's within each subgroup (high: B against A only)
    for sub in ("low", "high"):
        got = res.table.filter((pl.col("subgroup") == sub) & pl.col("arm").is_in(["B", "C"]))
        got = got.filter(pl.col("n") > 0).sort("arm")
        for col in ("hazard_ratio", "conf_low", "conf_high"):
            name = col if col == "hazard_ratio" else f"hr_{col}"
            want = np.atleast_1d(ref["hr"][sub][col])
            np.testing.assert_allclose(got[name].to_numpy(), want, rtol=1e-8)
        assert got["hr_note"].null_count() == got.height


def test_interaction_without_any_estimable_term_is_null_with_a_reason():
    # B only in the low subgroup and C only in the high one: B x high is all zero (B has no
    # high patients) and C x high equals C's own indicator (C has no low patients), so both
    # interaction terms are aliased: nothing to test, df 0, a null statistic with the reason
    df = pl.read_csv(Path(__file__).parent / "reference" / "data" / "subgroups.csv")
    df = df.with_columns(
        pl.when(pl.col("arm") == "B")
        .then(-10.0)
        .when(pl.col("arm") == "C")
        .then(10.0)
        .otherwise(pl.col("pakt"))
        .alias("pakt")
    )
    with pytest.warns(SurvstatWarning, match="no interaction term can be estimated: no test"):
        res = biomarker_subgroups(df, biomarker="pakt", cutpoint=0.0)
    inter = res.interaction.row(0, named=True)
    assert (inter["statistic"], inter["df"], inter["p_value"], inter["status"]) == (
        None,
        0,
        None,
        "aliased",
    )
    assert "arm 'B' has no patients in the biomarker-high subgroup" in inter["note"]
    assert "arm 'C' has no patients in the biomarker-low subgroup" in inter["note"]


@pytest.mark.parametrize(("n_missing", "note"), [(1, "1 row"), (5, "5 rows")])
def test_subgroups_note_counts_in_words(n_missing, note):
    from survstat.analyses import ANALYSES

    df = pl.read_csv(Path(__file__).parent / "reference" / "data" / "subgroups.csv")
    df = df.with_columns(
        pl.when(pl.int_range(pl.len()) < n_missing)
        .then(None)
        .otherwise(pl.col("pakt"))
        .alias("pakt")
    )
    out = ANALYSES["recist subgroups"].run(df, biomarker="pakt")
    assert out.notes == (f"{note} without a pakt value left out",)
    assert [e.name for e in out.extras] == ["interaction"]
