"""The response-rate table (``survstat table response``, :func:`survstat.tables.response_table`).

Every statistic is compared with survstat's own ``response`` and ``compare-rates`` (themselves
checked against R) and with R directly (``tests/reference/make_reference_table_response.R``:
binom.test, fisher.test, prop.test, mantelhaen.test) on the bundled breast trial's confirmed
best overall response; a tiny case is checked by hand, and the errors and nulls are pinned with
their messages.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import survstat
from survstat.analyses import ANALYSES
from survstat.batch import load_job, run_job
from survstat.cli import app
from survstat.errors import ColumnNotFoundError, InvalidValueError, OptionError, SurvstatWarning
from survstat.estimators.compare_rates import compare_proportions
from survstat.tables import RESPONSE_ARD_COLUMNS, ResponseTable, response_table

HERE = Path(__file__).parent
R = json.loads((HERE / "reference" / "r_reference_table_response.json").read_text())
REF = R["reference"]
runner = CliRunner()
RTOL = 1e-9


def _breast() -> pl.DataFrame:
    """ITT subjects with their confirmed best overall response (as --adsl --population give)."""
    adrs = survstat.datasets.load("breast_trial_adrs").filter(pl.col("PARAMCD") == "CBOR")
    adsl = survstat.datasets.load("breast_trial_adsl").filter(pl.col("ITTFL") == "Y")
    return adsl.select("USUBJID", "TRT01P").join(
        adrs.select("USUBJID", "AVALC"), on="USUBJID", how="left"
    )


def _table(**options) -> ResponseTable:
    return response_table(
        _breast(),
        by="TRT01P",
        response="AVALC",
        responder_values=["CR", "PR"],
        reference=REF,
        **options,
    )


def _get(ard: pl.DataFrame, arm, statistic: str, category: str | None = "") -> dict:
    rows = ard.filter(pl.col(ard.columns[0]) == arm, pl.col("statistic") == statistic)
    if category != "":
        rows = rows.filter(
            pl.col("category").is_null() if category is None else pl.col("category") == category
        )
    assert rows.height == 1, (arm, statistic, category, rows)
    return rows.row(0, named=True)


def test_the_reference_counts_are_the_bundled_data():
    # the CSV the R script reads is the bundled ADSL ITT joined to ADRS CBOR
    csv = pl.read_csv(HERE / "reference" / "data" / "breast_cbor.csv").sort("USUBJID")
    assert csv.equals(_breast().sort("USUBJID"))


def test_rates_and_categories_match_r_binom_test():
    ard = _table().ard
    for arm in R["arms"]:
        a = arm["arm"]
        assert _get(ard, a, "n")["estimate"] == arm["n"]
        assert _get(ard, a, "n_responders")["estimate"] == arm["n_responders"]
        rate = _get(ard, a, "rate")
        for key in ("conf_low", "conf_high"):
            assert rate[key] == pytest.approx(arm[key], rel=RTOL)
        assert rate["estimate"] == pytest.approx(arm["rate"], rel=RTOL)
        for cat in arm["categories"]:
            n = _get(ard, a, "category_n", cat["category"])
            r = _get(ard, a, "category_rate", cat["category"])
            assert n["estimate"] == cat["n"]
            assert r["estimate"] == pytest.approx(cat["rate"], rel=RTOL, abs=1e-15)
            assert r["conf_low"] == pytest.approx(cat["conf_low"], rel=RTOL, abs=1e-15)
            assert r["conf_high"] == pytest.approx(cat["conf_high"], rel=RTOL)


@pytest.mark.parametrize(
    ("test", "key"),
    [
        ("fisher", "fisher_p"),
        ("chi-square", "chisq_p"),
        ("chi-square-uncorrected", "chisq_uncorrected_p"),
    ],
)
def test_odds_ratio_and_tests_match_r(test, key):
    ard = _table(test=test).ard
    for arm in R["arms"]:
        if arm["arm"] == REF:
            continue
        p = _get(ard, arm["arm"], "p_value")
        assert p["estimate"] == pytest.approx(arm[key], rel=RTOL)
        odds = _get(ard, arm["arm"], "odds_ratio")
        assert odds["estimate"] == pytest.approx(arm["odds_ratio"], rel=1e-8)
        assert odds["conf_low"] == pytest.approx(arm["odds_ratio_conf_low"], rel=1e-8)
        assert odds["conf_high"] == pytest.approx(arm["odds_ratio_conf_high"], rel=1e-8)
        # fisher.test's own estimate, solved to uniroot's default tolerance
        assert odds["estimate"] == pytest.approx(arm["fisher_odds_ratio"], rel=2e-3)


@pytest.mark.parametrize("difference_method", ["newcombe", "miettinen-nurminen"])
@pytest.mark.parametrize("method", ["clopper-pearson", "wilson"])
def test_every_statistic_equals_response_and_compare_rates(method, difference_method):
    """The same numbers as `survstat response` and `survstat compare-rates` on the same input."""
    ard = _table(method=method, difference_method=difference_method, test="chi-square").ard
    data = _breast()
    common = {"response": "AVALC", "responder_values": ["CR", "PR"], "by": "TRT01P"}
    rates = ANALYSES["response"].run(data, method=method, **common).table
    compared = (
        ANALYSES["compare-rates"]
        .run(data, reference=REF, difference_method=difference_method, test="chi-square", **common)
        .table
    )
    for r in rates.iter_rows(named=True):
        row = _get(ard, r["TRT01P"], "rate")
        assert (row["estimate"], row["conf_low"], row["conf_high"]) == (
            r["rate"],
            r["conf_low"],
            r["conf_high"],
        )
        assert _get(ard, r["TRT01P"], "n")["estimate"] == r["n"]
    for c in compared.iter_rows(named=True):
        d = _get(ard, c["TRT01P"], "rate_difference")
        assert (d["estimate"], d["conf_low"], d["conf_high"]) == (
            c["difference"],
            c["difference_conf_low"],
            c["difference_conf_high"],
        )
        o = _get(ard, c["TRT01P"], "odds_ratio")
        assert (o["estimate"], o["conf_low"], o["conf_high"]) == (
            c["odds_ratio"],
            c["odds_ratio_conf_low"],
            c["odds_ratio_conf_high"],
        )
        assert _get(ard, c["TRT01P"], "p_value")["estimate"] == c["p_value"]


def _stratified_case() -> pl.DataFrame:
    """The stratified counts of the R script: s1 new 9/12, ctl 5/12; s2 new 6/14, ctl 2/12."""
    cells = [("s1", "new", 9, 12), ("s1", "ctl", 5, 12), ("s2", "new", 6, 14), ("s2", "ctl", 2, 12)]
    rows = []
    for stratum, arm, x, n in cells:
        rows += [(stratum, arm, "PR")] * x + [(stratum, arm, "SD")] * (n - x)
    return pl.DataFrame(rows, schema=["site", "arm", "bor"], orient="row")


@pytest.mark.parametrize(
    ("test", "key"), [("cmh", "cmh_p"), ("cmh-uncorrected", "cmh_uncorrected_p")]
)
def test_stratified_comparisons_match_r_mantelhaen_test(test, key):
    frame = _stratified_case()
    t = response_table(frame, by="arm", response="bor", responder_values=["CR", "PR"],
                       reference="ctl", strata="site", stratified_test=test)  # fmt: skip
    assert t.strata == ("site",)
    assert t.stratified_test == test
    s = R["stratified"]
    assert _get(t.ard, "new", "p_value_stratified")["estimate"] == pytest.approx(s[key], rel=RTOL)
    odds = _get(t.ard, "new", "odds_ratio_stratified")
    assert odds["estimate"] == pytest.approx(s["odds_ratio"], rel=RTOL)
    assert odds["conf_low"] == pytest.approx(s["odds_ratio_conf_low"], rel=RTOL)
    assert odds["conf_high"] == pytest.approx(s["odds_ratio_conf_high"], rel=RTOL)
    want = compare_proportions(frame, response="bor", by="arm", reference="ctl",
                               responder_values=["CR", "PR"], strata="site",
                               test=test).table.row(0, named=True)  # fmt: skip
    d = _get(t.ard, "new", "rate_difference_stratified")
    assert (d["estimate"], d["conf_low"], d["conf_high"]) == (
        want["difference"],
        want["difference_conf_low"],
        want["difference_conf_high"],
    )
    # the unstratified comparisons stay: 15/26 vs 7/24
    assert _get(t.ard, "new", "rate_difference")["estimate"] == pytest.approx(15 / 26 - 7 / 24)


def test_ard_shape_order_and_metadata():
    t = _table()
    assert t.ard.columns == ["TRT01P", *RESPONSE_ARD_COLUMNS]
    assert RESPONSE_ARD_COLUMNS[:-1] == survstat.tables.ARD_COLUMNS
    assert t.arms[0] == REF
    assert list(t.arms[1:]) == sorted(t.arms[1:])
    assert t.ard.get_column("TRT01P").unique(maintain_order=True).to_list() == list(t.arms)
    assert t.categories == ("CR", "PR", "SD", "NON-CR/NON-PD", "PD", "NE", None)
    ref_stats = t.ard.filter(pl.col("TRT01P") == REF).get_column("statistic").to_list()
    assert ref_stats == ["n", "n_responders", "rate"] + ["category_n", "category_rate"] * 7
    other = t.ard.filter(pl.col("TRT01P") == t.arms[1]).get_column("statistic").to_list()
    assert other[:6] == ["n", "n_responders", "rate", "rate_difference", "odds_ratio", "p_value"]
    assert t.ard.get_column("time").null_count() == t.ard.height
    assert t.ard.get_column("censored").null_count() == t.ard.height
    # the category rates of an arm add up to 1
    sums = t.ard.filter(statistic="category_rate").group_by("TRT01P").agg(pl.col("estimate").sum())
    assert sums.get_column("estimate").to_list() == pytest.approx([1.0] * 3)
    assert (t.method, t.difference_method, t.test, t.conf_level) == (
        "clopper-pearson",
        "newcombe",
        "fisher",
        0.95,
    )
    assert t.stratified_test is None
    assert t.stratified_difference_method is None


def test_tiny_case_by_hand():
    # ctl: 1 CR, 1 SD, 1 missing (3 patients); new: 2 PR, 1 PD, 1 NE (4 patients)
    frame = pl.DataFrame(
        {
            "arm": ["ctl"] * 3 + ["new"] * 4,
            "bor": ["CR", "SD", None, "PR", "PR", "PD", "NE"],
        }
    )
    t = response_table(frame, by="arm", response="bor", responder_values=["CR", "PR"],
                       reference="ctl", test="chi-square-uncorrected")  # fmt: skip
    assert _get(t.ard, "ctl", "n")["estimate"] == 3  # the missing one counts as non-responder
    assert _get(t.ard, "ctl", "rate")["estimate"] == pytest.approx(1 / 3)
    assert _get(t.ard, "new", "rate")["estimate"] == pytest.approx(2 / 4)
    assert _get(t.ard, "new", "rate_difference")["estimate"] == pytest.approx(2 / 4 - 1 / 3)
    # sample odds ratio (2 * 2) / (2 * 1) = 2; the exact conditional MLE differs
    assert _get(t.ard, "new", "odds_ratio")["estimate"] > 1
    # Pearson chi-square without correction: 7 * (2*2 - 2*1)^2 / (4 * 3 * 3 * 4) = 28/144
    from scipy.stats import chi2

    p = _get(t.ard, "new", "p_value")["estimate"]
    assert p == pytest.approx(chi2.sf(7 * (2 * 2 - 2 * 1) ** 2 / (4 * 3 * 3 * 4), 1), rel=1e-12)
    assert _get(t.ard, "ctl", "category_n", None)["estimate"] == 1
    assert _get(t.ard, "ctl", "category_rate", "CR")["estimate"] == pytest.approx(1 / 3)
    assert _get(t.ard, "new", "category_n", "NON-CR/NON-PD")["estimate"] == 0
    excluded = response_table(frame, by="arm", response="bor", responder_values=["CR", "PR"],
                              reference="ctl", missing="exclude")  # fmt: skip
    assert _get(excluded.ard, "ctl", "n")["estimate"] == 2
    assert _get(excluded.ard, "ctl", "rate")["estimate"] == pytest.approx(1 / 2)
    # the categories keep every patient of the arm as their denominator
    assert _get(excluded.ard, "ctl", "category_rate", None)["estimate"] == pytest.approx(1 / 3)


def test_other_values_follow_the_recist_categories_and_01_responses_have_their_own():
    frame = pl.DataFrame({"arm": ["a", "a", "b", "b"], "bor": ["CR", "PR", "UNK", "PD"]})
    t = response_table(frame, by="arm", response="bor", responder_values=["CR", "PR"])
    assert t.categories == ("CR", "PR", "SD", "NON-CR/NON-PD", "PD", "NE", "UNK", None)
    binary = pl.DataFrame({"arm": ["a", "a", "b", "b"], "r": [1, 0, 0, 0]})
    t = response_table(binary, by="arm", response="r")
    assert t.categories == ("0", "1", None)
    assert _get(t.ard, "a", "category_n", "1")["estimate"] == 1


def test_odds_ratio_without_responders_is_null_with_reason():
    frame = pl.DataFrame(
        {"arm": ["a"] * 4 + ["b"] * 4, "bor": ["SD"] * 4 + ["PR", "SD", "SD", "PD"]}
    )
    t = response_table(
        frame, by="arm", response="bor", responder_values=["CR", "PR"], reference="a"
    )
    odds = _get(t.ard, "b", "odds_ratio")
    assert odds["estimate"] is None
    assert odds["note"] == (
        "odds_ratio value not estimable: an arm with no responders or no non-responders (the "
        "odds ratio or a limit is infinite)"
    )
    nobody = frame.with_columns(bor=pl.lit("SD"))
    with pytest.warns(SurvstatWarning, match=r"none of the responder values \['CR', 'PR'\] occurs"):
        t = response_table(nobody, by="arm", response="bor", responder_values=["CR", "PR"],
                           reference="a", test="chi-square")  # fmt: skip
    p = _get(t.ard, "b", "p_value")
    assert p["estimate"] is None
    assert p["note"] == "p_value (chi-square) value not estimable: no responders in either arm"
    for row in t.ard.filter(pl.col("estimate").is_null()).iter_rows(named=True):
        assert row["note"], row


def test_strata_without_a_shared_stratum_give_null_stratified_rows_with_reason():
    frame = _stratified_case().with_columns(
        site=pl.when(pl.col("arm") == "new").then(pl.lit("s1")).otherwise(pl.lit("s2"))
    )
    t = response_table(frame, by="arm", response="bor", responder_values=["PR"], reference="ctl",
                       strata="site")  # fmt: skip
    for name in ("rate_difference_stratified", "odds_ratio_stratified", "p_value_stratified"):
        row = _get(t.ard, "new", name)
        assert row["estimate"] is None
        assert row["note"] == "not computable: no stratum holds both 'new' and the reference 'ctl'"
    assert _get(t.ard, "new", "p_value")["estimate"] is not None


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"reference": "Z"}, OptionError, r"reference level 'Z' not found in `TRT01P`; levels: "),
        (
            {"responder_values": ["CR", "PRR"]},
            InvalidValueError,
            r"responder value 'PRR' does not occur in `AVALC` \(1 of 2 responder values do "
            r"not\); values present: CR, NE, PD, PR, SD",
        ),
        (
            {"difference_method": "mh-sato"},
            OptionError,
            r"`difference_method` is the unstratified method: one of newcombe, "
            r"miettinen-nurminen; got 'mh-sato'",
        ),
        (
            {"stratified_test": "fisher"},
            OptionError,
            r"`stratified_test` is with --strata, the stratified method: one of cmh, "
            r"cmh-uncorrected; got 'fisher'",
        ),
        ({"strata": ["TRT01P"]}, OptionError, r"`TRT01P` cannot be both the arm and a stratum"),
        ({"strata": ["REGION"]}, ColumnNotFoundError, r"REGION"),
    ],
)
def test_bad_options(kwargs, error, match):
    options = {"responder_values": ["CR", "PR"], "reference": REF, **kwargs}
    with pytest.raises(error, match=match):
        response_table(_breast(), by="TRT01P", response="AVALC", **options)


def test_one_arm_is_an_error():
    frame = _breast().filter(pl.col("TRT01P") == REF)
    with pytest.raises(InvalidValueError, match=r"`TRT01P` has a single group; nothing to compare"):
        response_table(frame, by="TRT01P", response="AVALC", responder_values=["CR", "PR"])


@st.composite
def two_arms(draw):
    n = draw(st.integers(2, 30))
    values = draw(st.lists(st.sampled_from(["CR", "PR", "SD", "PD", "NE", None]), min_size=n,
                           max_size=n))  # fmt: skip
    arms = draw(st.lists(st.sampled_from(["A", "B"]), min_size=n, max_size=n))
    frame = pl.DataFrame({"arm": arms, "bor": values}, schema={"arm": pl.String, "bor": pl.String})
    if frame.get_column("arm").n_unique() < 2:
        frame = frame.with_columns(arm=pl.Series(["A", "B"] * n)[:n])
    if frame.get_column("bor").is_in(["CR", "PR"]).sum() == 0:
        frame = frame.with_columns(bor=pl.Series(["PR", *frame.get_column("bor").to_list()[1:]]))
    return frame


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(two_arms(), st.sampled_from(["newcombe", "miettinen-nurminen"]))
def test_swapping_the_reference_negates_the_difference_and_inverts_the_odds_ratio(frame, method):
    common = {"by": "arm", "response": "bor", "responder_values": ["CR", "PR"]}
    ab = response_table(frame, reference="A", difference_method=method, **common).ard
    ba = response_table(frame, reference="B", difference_method=method, **common).ard
    d_b, d_a = _get(ab, "B", "rate_difference"), _get(ba, "A", "rate_difference")
    assert d_b["estimate"] == pytest.approx(-d_a["estimate"], abs=1e-12)
    assert d_b["conf_low"] == pytest.approx(-d_a["conf_high"], abs=1e-7)
    assert d_b["conf_high"] == pytest.approx(-d_a["conf_low"], abs=1e-7)
    o_b, o_a = _get(ab, "B", "odds_ratio"), _get(ba, "A", "odds_ratio")
    for b, a in (("estimate", "estimate"), ("conf_low", "conf_high"), ("conf_high", "conf_low")):
        if o_b[b] is None or o_b[b] == 0:  # 0 inverts to an infinite value, which is null
            assert o_a[a] is None or o_a[a] == 0, (o_b, o_a)
        else:
            assert o_a[a] == pytest.approx(1 / o_b[b], rel=1e-6)
    p_b, p_a = _get(ab, "B", "p_value"), _get(ba, "A", "p_value")
    assert p_b["estimate"] == pytest.approx(p_a["estimate"], rel=1e-12)
    for ard in (ab, ba):
        assert ard.filter(pl.col("estimate").is_null()).get_column("note").null_count() == 0
        assert not np.isnan(ard.get_column("estimate").drop_nulls().to_numpy()).any()


def _files(tmp_path: Path) -> tuple[Path, Path]:
    adrs, adsl = tmp_path / "adrs.parquet", tmp_path / "adsl.parquet"
    survstat.datasets.load("breast_trial_adrs").write_parquet(adrs)
    survstat.datasets.load("breast_trial_adsl").write_parquet(adsl)
    return adrs, adsl


def test_cli_writes_the_ard(tmp_path):
    adrs, adsl = _files(tmp_path)
    out = tmp_path / "orr.parquet"
    args = ["table", "response", str(adrs), "--param", "CBOR", "--adsl", str(adsl)]
    args += ["--population", "ITTFL", "--responder-values", "CR,PR", "--by", "TRT01P"]
    args += ["--reference", REF, "--test", "chi-square", "-o", str(out)]
    r = runner.invoke(app, args)
    assert r.exit_code == 0, r.output
    written = pl.read_parquet(out)
    assert written.equals(_table(test="chi-square").ard)
    meta = survstat.read_metadata(out)
    assert meta["analysis"] == "table response"
    assert meta["parameters"]["test"] == "chi-square"


def test_cli_errors_are_one_line(tmp_path):
    adrs, _ = _files(tmp_path)
    base = ["table", "response", str(adrs), "--param", "CBOR", "--by", "arm"]
    r = runner.invoke(app, [*base, "--responder-values", "CR,PR", "--reference", "Z"])
    assert r.exit_code == 1
    assert r.output.strip().startswith("error: reference level 'Z' not found in `arm`")
    assert len(r.output.strip().splitlines()) == 1
    r = runner.invoke(app, [*base, "--responder-values", "CR,XR"])
    assert r.exit_code == 1
    assert "responder value 'XR' does not occur in `AVALC`" in r.output
    r = runner.invoke(app, [*base, "--responder-values", "CR,PR", "--test", "exact"])
    assert r.exit_code == 2


def test_job_step(tmp_path):
    _files(tmp_path)
    (tmp_path / "job.toml").write_text(
        '[job]\ntitle = "t"\noutput = "out"\n\n[inputs]\nadrs = "adrs.parquet"\n'
        'adsl = "adsl.parquet"\n\n'
        '[[step]]\nname = "orr"\nanalysis = "table response"\ninput = "adrs"\nadsl = "adsl"\n'
        'param = "CBOR"\npopulation = "ITTFL"\nresponder_values = ["CR", "PR"]\n'
        f'by = "TRT01P"\nreference = "{REF}"\n'
    )
    manifest = run_job(load_job(tmp_path / "job.toml"))
    assert manifest.get_column("status").to_list() == ["ok"], manifest
    ard = pl.read_parquet(tmp_path / "out" / "orr.parquet")
    assert ard.equals(_table().ard)
