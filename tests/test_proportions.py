"""Response rates against base R (tests/reference/make_reference_prop.R)."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from reference_data import num
from typer.testing import CliRunner

import survstat
from survstat.cli import app
from survstat.errors import (
    ColumnTypeError,
    EmptyDataError,
    InvalidValueError,
    OptionError,
    SurvstatWarning,
)
from survstat.estimators.proportions import (
    METHODS,
    binomial_interval,
    binomial_test,
    critical_responders,
)

REFERENCE = json.loads((Path(__file__).parent / "reference" / "r_reference_prop.json").read_text())


@pytest.mark.parametrize("method", list(METHODS))
def test_intervals_match_r(method):
    for case in REFERENCE["intervals"]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SurvstatWarning)
            lo, hi = binomial_interval(case["x"], case["n"], method, case["level"])
        ref = num(case[method])
        np.testing.assert_allclose(
            [lo[0], hi[0]],
            ref,
            rtol=1e-8,
            atol=1e-14,
            err_msg=f"{method} {case['x']}/{case['n']} {case['level']}",
        )


def test_wilson_cc_is_prop_test_away_from_the_null_half():
    # prop.test drops its correction when x is within 0.5 of n * 0.5; elsewhere they agree
    for case in REFERENCE["intervals"]:
        if abs(case["x"] - case["n"] * 0.5) >= 0.5:
            np.testing.assert_allclose(
                num(case["wilson-cc"]), num(case["prop_test_cc"]), rtol=1e-12
            )


def test_published_examples():
    lo, hi = binomial_interval(5, 13)
    assert (round(lo[0] * 100, 1), round(hi[0] * 100, 1)) == (13.9, 68.4)
    lo, hi = binomial_interval(19, 29, "wilson")
    assert (round(lo[0] * 100, 1), round(hi[0] * 100, 1)) == (47.3, 80.1)


def test_exact_tests_match_binom_test():
    for case in REFERENCE["tests"]:
        p = binomial_test(
            int(case["x"]), int(case["n"]), case["p0"], case["alternative"].replace(".", "-")
        )
        assert p == pytest.approx(case["p"], rel=1e-10)


def test_critical_responders():
    for case in REFERENCE["critical"]:
        n, p0 = int(case["n"]), case["p0"]
        for key, alternative in (
            ("greater", "greater"),
            ("two_sided", "two-sided"),
            ("less", "less"),
        ):
            expected = case[key] if case[key] != {} else None
            assert critical_responders(n, p0, alternative, 0.05) == expected


def test_actim_example_end_to_end(tmp_path):
    """MR4.5 by month 12 in 13 of 24 patients, against the 23% expected on imatinib alone."""
    df = pl.DataFrame({"mr45_m12": [1] * 13 + [0] * 11})
    t = survstat.proportion(df, response="mr45_m12", null_rate=0.23, alternative="greater").table
    row = t.row(0, named=True)
    assert (row["n"], row["n_responders"]) == (24, 13)
    assert row["rate"] == pytest.approx(13 / 24)
    assert row["conf_low"] == pytest.approx(0.328208075695, rel=1e-10)  # R binom.test(13, 24)
    assert row["conf_high"] == pytest.approx(0.744469798005, rel=1e-10)
    ref = next(c for c in REFERENCE["tests"] if c["x"] == 13 and c["alternative"] == "greater")
    assert row["p_value"] == pytest.approx(ref["p"], rel=1e-10)
    assert row["critical_responders"] == 10


def test_responder_values_groups_and_missing_policy():
    df = pl.DataFrame(
        {"bor": ["CR", "PR", "SD", None, "PD", "PR"], "arm": ["A", "A", "A", "B", "B", "B"]}
    )
    itt = survstat.proportion(df, response="bor", responder_values=["CR", "PR"], by="arm").table
    assert itt.select("arm", "n", "n_responders", "n_missing", "missing_as").rows() == [
        ("A", 3, 2, 0, "nonresponder"),
        ("B", 3, 1, 1, "nonresponder"),
    ]
    excl = survstat.proportion(
        df, response="bor", responder_values=["CR", "PR"], by="arm", missing="exclude"
    ).table
    assert excl["n"].to_list() == [3, 2]
    assert excl["rate"].to_list() == [2 / 3, 0.5]


@pytest.mark.parametrize(
    ("kwargs", "error", "pattern"),
    [
        (
            {"response": "bor"},
            ColumnTypeError,
            "`bor` holds String values: give the responder values",
        ),
        (
            {"response": "score"},
            InvalidValueError,
            r"`score` must be 0/1 or true/false unless responder values are given; found 1 other value \(values: 2\)",
        ),
        (
            {"response": "ok", "null_rate": 1.2},
            OptionError,
            r"`null_rate` must lie in \[0, 1\]; got 1.2",
        ),
        (
            {"response": "ok", "method": "exact"},
            OptionError,
            "`method` must be one of 'clopper-pearson'",
        ),
        ({"response": "okk"}, survstat.SurvstatError, "did you mean `ok`"),
    ],
)
def test_bad_input(kwargs, error, pattern):
    df = pl.DataFrame({"bor": ["CR", "SD"], "score": [1, 2], "ok": [True, False]})
    with pytest.raises(error, match=pattern):
        survstat.proportion(df, **kwargs)


def test_all_missing_and_excluded_is_an_empty_group():
    df = pl.DataFrame(
        {"r": [None, None, 1], "g": ["a", "a", "b"]}, schema={"r": pl.Int64, "g": pl.String}
    )
    with pytest.raises(EmptyDataError, match="a group has no evaluable responses"):
        survstat.proportion(df, response="r", by="g", missing="exclude")


def test_wald_warns_when_unreliable():
    with pytest.warns(SurvstatWarning, match="Wald intervals are unreliable"):
        binomial_interval(0, 12, "wald")


def test_cli_response(tmp_path):
    data = tmp_path / "actim.parquet"
    pl.DataFrame({"mr45": [1] * 13 + [0] * 11}).write_parquet(data)
    out = tmp_path / "r.parquet"
    runner = CliRunner()
    r = runner.invoke(
        app,
        [
            "response",
            str(data),
            "--response",
            "mr45",
            "--null-rate",
            "0.23",
            "--alternative",
            "greater",
            "-o",
            str(out),
        ],
    )
    assert r.exit_code == 0, r.output
    df = pl.read_parquet(out)
    assert df.columns[:8] == [
        "n",
        "n_responders",
        "rate",
        "conf_low",
        "conf_high",
        "method",
        "p_value",
        "null_rate",
    ]
    assert df["p_value"].item() == pytest.approx(0.000916, abs=5e-7)
    assert (
        runner.invoke(
            app, ["response", str(data), "--response", "mr45", "--method", "exact"]
        ).exit_code
        == 2
    )
    assert "Example:" in runner.invoke(app, ["response", "--help"]).output


def test_declared_but_empty_arm_is_an_error():
    df = pl.DataFrame({"r": [1, 0, 1], "arm": ["A", "A", "B"]}).with_columns(
        pl.col("arm").cast(pl.Enum(["A", "B", "C"]))
    )
    with pytest.raises(
        EmptyDataError, match=r"group column `arm` declares 1 level\(s\) with no rows: 'C'"
    ):
        survstat.proportion(df, response="r", by="arm")
