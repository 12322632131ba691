"""Exact designs for a response rate, two-arm proportions and events, against R.

References: tests/reference/make_reference_design.R (clinfun::ph2simon, twostage.admissible,
oc.twostage.bdry, ph2single; rpact::getSampleSizeSurvival; power.prop.test; fisher.test by
enumeration), written to tests/reference/r_reference_design.json; and Simon (1989), Control
Clinical Trials 10:1-10, Table 1.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from survstat.design.binomial import operating_characteristics, simon, single_stage
from survstat.design.events import events
from survstat.design.proportions import fisher_power, two_proportions
from survstat.errors import OptionError

REF = json.loads(
    (Path(__file__).parent / "reference" / "r_reference_design.json").read_text(encoding="utf-8")
)
SIMON_KEYS = ("r1", "n1", "r", "n", "en0", "pet0")


def test_simon_1989_table_1_by_hand():
    # p0 = 0.2, p1 = 0.4, alpha 0.05, beta 0.2: optimal 3/13, 12/43, EN0 20.58, PET 0.75;
    # minimax 4/18, 10/33, EN0 22.25, PET 0.72 (Simon 1989, Table 1)
    table = simon(p0=0.2, p1=0.4, alpha=0.05, power=0.8).table
    optimal = table.filter(design="optimal").row(0, named=True)
    minimax = table.filter(design="minimax").row(0, named=True)
    assert (optimal["r1"], optimal["n1"], optimal["r"], optimal["n"]) == (3, 13, 12, 43)
    assert round(optimal["en0"], 2) == 20.58
    assert round(optimal["pet0"], 2) == 0.75
    assert (minimax["r1"], minimax["n1"], minimax["r"], minimax["n"]) == (4, 18, 10, 33)
    assert round(minimax["en0"], 2) == 22.25
    assert round(minimax["pet0"], 2) == 0.72
    assert optimal["alpha"] <= 0.05
    assert optimal["power"] >= 0.8


@pytest.mark.parametrize(
    "case", REF["simon"], ids=lambda c: f"{c['p0']}-{c['p1']}-{c['alpha']}-{c['beta']}"
)
def test_simon_matches_clinfun(case):
    result = simon(p0=case["p0"], p1=case["p1"], alpha=case["alpha"], power=1 - case["beta"])
    by_n = result.by_n.select(SIMON_KEYS).rows()
    assert len(by_n) == len(case["by_n"])
    for got, want in zip(by_n, case["by_n"], strict=True):
        assert got[:4] == tuple(want[:4])
        assert got[4:] == pytest.approx(want[4:], rel=1e-12)
    designs = result.table.rows(named=True)
    assert [d["design"] for d in designs] == [d["design"] for d in case["designs"]]
    for got, want in zip(designs, case["designs"], strict=True):
        values = want["values"]
        assert (got["r1"], got["n1"], got["r"], got["n"]) == tuple(values[:4])
        assert got["en0"] == pytest.approx(values[4], rel=1e-12)
        assert got["pet0"] == pytest.approx(values[5], rel=1e-12)
        # clinfun rounds the weights to three decimals
        assert got["q_low"] == pytest.approx(values[6], abs=5e-4)
        assert got["q_high"] == pytest.approx(values[7], abs=5e-4)
        assert got["alpha"] <= case["alpha"]
        assert got["power"] >= 1 - case["beta"]


@pytest.mark.parametrize("case", REF["oc"], ids=lambda c: f"{c['r1']}/{c['n1']}-{c['r']}/{c['n']}")
def test_operating_characteristics_match_clinfun(case):
    oc = operating_characteristics(
        n=case["n"], r=case["r"], n1=case["n1"], r1=case["r1"], rates=[case["p0"], case["p1"]]
    ).table
    assert oc["p_success"].to_list() == pytest.approx(
        [case["reject_p0"], case["reject_p1"]], rel=1e-10
    )
    assert oc["pet"][0] == pytest.approx(case["pet0"], rel=1e-12)
    assert oc["expected_n"][0] == pytest.approx(case["en0"], rel=1e-12)


def test_operating_characteristics_agree_with_the_design_and_by_hand():
    design = simon(p0=0.2, p1=0.4).table.filter(design="optimal").row(0, named=True)
    oc = operating_characteristics(
        n=design["n"], r=design["r"], n1=design["n1"], r1=design["r1"], rates=[0.2, 0.4]
    ).table
    assert oc["p_success"].to_list() == pytest.approx([design["alpha"], design["power"]], rel=1e-12)
    # single stage: success = P(X > r); at rate 0 never, at rate 1 always
    single = operating_characteristics(n=10, r=3, rates=[0.0, 0.5, 1.0]).table
    assert single["p_success"].to_list() == pytest.approx([0.0, 1 - 176 / 1024, 1.0], abs=1e-15)
    assert single["pet"].to_list() == [0.0, 0.0, 0.0]
    assert single["expected_n"].to_list() == [10.0, 10.0, 10.0]
    default = operating_characteristics(n=10, r=3).table
    assert default["true_rate"].to_list() == pytest.approx([i / 20 for i in range(21)])


@pytest.mark.parametrize("case", REF["single"], ids=lambda c: f"{c['p0']}-{c['p1']}")
def test_single_stage_matches_r(case):
    table = single_stage(
        p0=case["p0"], p1=case["p1"], alpha=case["alpha"], power=case["power"], max_n=case["nmax"]
    ).table
    rows = {r["design"]: r for r in table.rows(named=True)}
    for name in ("smallest", "stable"):
        want = case.get(name)
        if want is None:
            assert name not in rows
            continue
        got = rows[name]
        assert (got["n"], got["critical_responders"]) == (want[0], want[1])
        assert (got["alpha"], got["power"]) == pytest.approx((want[2], want[3]), rel=1e-12)
    # clinfun::ph2single: the first solution, rejecting when responders > r
    n, r, err1, err2 = case["ph2single"]
    assert rows["smallest"]["alpha"] == pytest.approx(err1, rel=1e-12)
    assert (rows["smallest"]["n"], rows["smallest"]["critical_responders"] - 1) == (n, r)
    assert rows["smallest"]["power"] == pytest.approx(1 - err2, rel=1e-12)


def test_single_stage_power_is_not_monotone_and_both_answers_are_given():
    table = single_stage(p0=0.2, p1=0.4, alpha=0.05, power=0.8).table
    assert table["design"].to_list() == ["smallest", "stable"]
    assert table["n"].to_list() == [35, 38]  # n = 37 falls short again
    failing = single_stage(p0=0.2, p1=0.4, alpha=0.05, power=0.8, max_n=37).table
    assert failing["design"].to_list() == ["smallest"]  # no n up to 37 from which all pass


@settings(max_examples=25, deadline=None)
@given(
    p0=st.floats(0.05, 0.6),
    gap=st.floats(0.15, 0.3),
    alpha=st.sampled_from([0.05, 0.1]),
    power=st.sampled_from([0.8, 0.9]),
)
def test_simon_designs_meet_their_targets_and_are_ordered(p0, gap, alpha, power):
    p1 = min(p0 + gap, 0.95)
    try:
        result = simon(p0=p0, p1=p1, alpha=alpha, power=power, max_n=60)
    except OptionError:
        return  # no design within 60 patients
    table = result.table
    assert (table["alpha"] <= alpha).all()
    assert (table["power"] >= power).all()
    # the minimax design is the smallest n; the optimal the smallest EN0; n falls and EN0
    # rises from the optimal to the minimax
    assert table["n"][0] == result.by_n["n"].min()
    assert table["en0"][-1] == result.by_n["en0"].min()
    assert table["n"].to_list() == sorted(table["n"].to_list())
    assert table["en0"].to_list() == sorted(table["en0"].to_list(), reverse=True)
    for row in table.rows(named=True):
        oc = operating_characteristics(
            n=row["n"], r=row["r"], n1=row["n1"], r1=row["r1"], rates=[p0, p1]
        ).table
        assert oc["p_success"].to_list() == pytest.approx([row["alpha"], row["power"]], rel=1e-9)


@pytest.mark.parametrize(
    "case", REF["events"], ids=lambda c: f"{c['method']}-{c['hazard_ratio']}-{c['ratio']}"
)
def test_events_match_rpact(case):
    result = events(
        hazard_ratio=case["hazard_ratio"],
        alpha=case["alpha"],
        sided=case["sided"],
        power=case["power"],
        ratio=case["ratio"],
        method=case["method"],
    )
    assert result.events_exact == pytest.approx(case["events"], rel=1e-10)
    assert result.events == math.ceil(case["events"])
    assert result.table["events"].item() == result.events


def test_events_by_hand():
    # Schoenfeld, HR 0.7, one-sided 0.025, 80%, 1:1: 4 (1.959964 + 0.841621)^2 / ln(0.7)^2
    z = 1.959963984540054 + 0.8416212335729143
    assert events(hazard_ratio=0.7, alpha=0.025, sided=1, power=0.8).events_exact == pytest.approx(
        4 * z**2 / math.log(0.7) ** 2, rel=1e-12
    )
    # a hazard ratio and its inverse need the same number (Schoenfeld, 1:1)
    a = events(hazard_ratio=0.7).events_exact
    assert events(hazard_ratio=1 / 0.7).events_exact == pytest.approx(a, rel=1e-12)


@pytest.mark.parametrize(
    "case", REF["proportions"], ids=lambda c: f"{c['p_control']}-{c['p_treatment']}"
)
def test_two_proportions_normal_match_power_prop_test(case):
    common = {
        "p_control": case["p_control"],
        "p_treatment": case["p_treatment"],
        "alpha": case["alpha"],
        "sided": case["sided"],
        "power": case["power"],
    }
    normal = two_proportions(**common).table.row(0, named=True)
    assert normal["n_control_exact"] == pytest.approx(case["n_normal"], rel=1e-9)
    assert normal["n_control"] == math.ceil(case["n_normal"])
    assert normal["power"] >= case["power"]
    corrected = two_proportions(**common, method="normal-cc").table.row(0, named=True)
    assert corrected["n_control_exact"] == pytest.approx(case["n_cc"], rel=1e-9)


def test_odds_ratio_gives_the_same_design_as_its_rate():
    # odds 0.25 on control times 2.6667 = odds 0.6667: rate 0.4
    by_rate = two_proportions(p_control=0.2, p_treatment=0.4).table
    by_odds = two_proportions(p_control=0.2, odds_ratio=(0.4 / 0.6) / (0.2 / 0.8)).table
    assert by_odds["p_treatment"].item() == pytest.approx(0.4, rel=1e-12)
    assert by_odds["n_control"].item() == by_rate["n_control"].item()


@pytest.mark.parametrize(
    "case", REF["fisher"], ids=lambda c: f"{c['n_control']}-{c['n_treatment']}"
)
def test_fisher_power_matches_enumeration_with_fisher_test(case):
    got = fisher_power(
        n_control=case["n_control"],
        n_treatment=case["n_treatment"],
        p_control=case["p_control"],
        p_treatment=case["p_treatment"],
        alpha=case["alpha"],
        sided=case["sided"],
    )
    assert got == pytest.approx(case["power"], rel=1e-9)


def test_fisher_smallest_size_matches_the_r_scan():
    ref = REF["fisher_smallest"]
    powers = dict(zip(ref["sizes"], ref["powers"], strict=True))
    smallest = min(n for n, p in powers.items() if p >= ref["power"])
    table = two_proportions(
        p_control=ref["p_control"], p_treatment=ref["p_treatment"], method="fisher"
    ).table
    row = table.filter(design="smallest").row(0, named=True)
    assert row["n_control"] == smallest
    assert row["power"] == pytest.approx(powers[smallest], rel=1e-9)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: simon(p0=0.4, p1=0.2), r"`--p1` \(the rate worth pursuing\) must be above `--p0`"),
        (lambda: simon(p0=0.2, p1=0.4, alpha=1.5), r"`--alpha` must be in \(0, 1\); got 1.5"),
        (
            lambda: simon(p0=0.2, p1=0.4, alpha=0.6),
            r"`--alpha` must leave a one-sided test below 0.5; got 0.6",
        ),
        (
            lambda: events(hazard_ratio=0.7, alpha=0.99, sided=1),
            r"`--alpha` must leave a one-sided test below 0.5; got 0.99",
        ),
        (lambda: simon(p0=0.2, p1=0.4, power=0), r"`--power` must be in \(0, 1\); got 0"),
        (lambda: simon(p0=0.2, p1=0.4, max_n=20), r"no two-stage design with at most 20 patients"),
        (
            lambda: simon(p0=0.2, p1=0.4, max_n=501),
            r"`--max-n` must be a whole number from 1 to 500",
        ),
        (lambda: single_stage(p0=0.2, p1=0.4, max_n=10), r"no single-stage design with at most 10"),
        (lambda: events(hazard_ratio=1), r"`--hazard-ratio` must differ from 1"),
        (lambda: events(hazard_ratio=-0.5), r"`--hazard-ratio` must be a number above 0; got -0.5"),
        (lambda: events(hazard_ratio=0.7, sided=3), r"`--sided` must be 1 or 2; got 3"),
        (lambda: events(hazard_ratio=0.7, ratio=0), r"`--ratio` must be a number above 0; got 0"),
        (lambda: two_proportions(p_control=0.2), r"give one of `--p-treatment` and `--odds-ratio`"),
        (lambda: two_proportions(p_control=0.2, p_treatment=0.2), r"treatment rate equals"),
        (lambda: two_proportions(p_control=0.2, odds_ratio=1), r"treatment rate equals"),
        (
            lambda: operating_characteristics(n=10, r=3, n1=4),
            r"`--n1` and `--r1` go together",
        ),
        (lambda: operating_characteristics(n=10, r=12), r"`--r` must be from 0 to n - 1 = 9"),
        (
            lambda: operating_characteristics(n=10, r=3, n1=12, r1=1),
            r"the first stage needs 1 <= n1 < n",
        ),
        (
            lambda: operating_characteristics(n=10, r=3, rates=[1.5]),
            r"`--rates` must be numbers in \[0, 1\]",
        ),
    ],
)
def test_bad_targets_are_one_line_errors(call, message):
    with pytest.raises(OptionError, match=message) as info:
        call()
    assert "\n" not in str(info.value)
