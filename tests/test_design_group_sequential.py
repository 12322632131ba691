"""Group-sequential boundaries against rpact (tests/reference/make_reference_group_sequential.R),
an independent quadrature oracle, the spending functions' own values and their errors."""

from __future__ import annotations

import dataclasses
import json
import math
import time
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import integrate, optimize, stats

from survstat.design.group_sequential import (
    SPENDING_FUNCTIONS,
    SPENDINGS,
    alpha_spending,
    boundaries,
    rejection_probability,
)
from survstat.errors import OptionError

REFERENCE = json.loads((Path(__file__).parent / "reference" / "group_sequential.json").read_text())
DESIGNS = REFERENCE["designs"]
FUTILITY = REFERENCE["futility"]
COLUMNS = [
    "look",
    "information_fraction",
    "z_efficacy",
    "nominal_p",
    "alpha_spent",
    "cumulative_alpha",
    "z_futility",
]
SETTINGS = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _id(case: dict) -> str:
    gamma = "" if case["gamma"] is None else f"{case['gamma']:g}"
    timing = "equal" if case["timing"] is None else "unequal"
    futility = ""
    if case.get("futility_spending"):
        fg = "" if case["futility_gamma"] is None else f"{case['futility_gamma']:g}"
        futility = f"-beta-{case['futility_spending']}{fg}"
    return f"{case['spending']}{gamma}{futility}-K{case['looks']}-{timing}-sided{case['sided']}-pw{case['power']:g}"


def _design(case: dict):
    return boundaries(
        looks=case["looks"],
        alpha=case["alpha"],
        sided=case["sided"],
        timing=case["timing"],
        spending=case["spending"],
        gamma=case["gamma"],
        power=case["power"],
        futility_spending=case.get("futility_spending"),
        futility_gamma=case.get("futility_gamma"),
    )


def _rpact_off(case: dict) -> np.ndarray:
    """Looks where rpact's boundary is off by more than 1e-6.

    The two-sided O'Brien–Fleming design with looks at 0.1, 0.3, 0.5, 0.8, 1: rpact gives
    3.928574421 at look 2; the exact value, by one-dimensional quadrature in
    ``test_rpact_second_look_against_quadrature``, is 3.928572546 (ours: 4e-10 from it).
    """
    off = np.zeros(case["looks"], dtype=bool)
    if (
        case["spending"] == "obrien-fleming"
        and case["sided"] == 2
        and case["timing"] == [0.1, 0.3, 0.5, 0.8, 1]
    ):
        off[1] = True
    return off


# --- against rpact -----------------------------------------------------------------------------


@pytest.mark.parametrize("case", DESIGNS, ids=_id)
def test_boundaries_match_rpact(case):
    design = _design(case)
    table = design.table
    np.testing.assert_allclose(table["information_fraction"], case["information_rates"], rtol=1e-14)
    z = table["z_efficacy"].to_numpy()
    ok = ~_rpact_off(case)
    np.testing.assert_allclose(z[ok], np.asarray(case["critical_values"])[ok], rtol=0, atol=1e-6)
    np.testing.assert_allclose(z[~ok], np.asarray(case["critical_values"])[~ok], rtol=0, atol=2e-6)
    # rpact's stageLevels are one-sided; nominal_p is on the scale of alpha
    np.testing.assert_allclose(
        table["nominal_p"].to_numpy()[ok] / case["sided"],
        np.asarray(case["stage_levels"])[ok],
        rtol=1e-6,
        atol=1e-10,
    )
    # rpact spends alpha - 1e-8 by the final look (its tolerance)
    np.testing.assert_allclose(table["cumulative_alpha"], case["alpha_spent"], rtol=0, atol=2e-8)
    assert design.inflation_factor == pytest.approx(case["inflation_factor"], rel=1e-7)
    assert design.drift**2 == pytest.approx(case["shift"], rel=1e-7)


@pytest.mark.parametrize("case", FUTILITY, ids=_id)
def test_futility_bounds_match_rpact(case):
    """Beta spending, non-binding (rpact typeBetaSpending, bindingFutility = FALSE)."""
    design = _design(case)
    table = design.table
    np.testing.assert_allclose(table["z_efficacy"], case["critical_values"], rtol=0, atol=1e-6)
    futility = table["z_futility"].to_numpy()
    # rpact lists the interim futility bounds; the final one is the efficacy bound
    np.testing.assert_allclose(futility[:-1], case["futility_bounds"], rtol=0, atol=1e-6)
    assert futility[-1] == table["z_efficacy"][-1]
    assert design.inflation_factor == pytest.approx(case["inflation_factor"], rel=1e-7)
    assert design.drift**2 == pytest.approx(case["shift"], rel=1e-7)


def test_reference_covers_the_brief():
    seen = {
        (c["spending"], c["gamma"], c["looks"], c["timing"] is None, c["sided"]) for c in DESIGNS
    }
    for spending, gamma in [
        ("obrien-fleming", None),
        ("pocock", None),
        ("hwang-shih-decani", -4),
        ("hwang-shih-decani", -2),
        ("hwang-shih-decani", 1),
    ]:
        for looks in (3, 5):
            for equal in (True, False):
                for sided in (1, 2):
                    assert (spending, gamma, looks, equal, sided) in seen


# --- an independent oracle: the boundary of look 2 by one-dimensional quadrature ---------------


def _second_bound_by_quadrature(c1: float, t1: float, increment: float, sided: int) -> float:
    """Solve P(|Z1| < c1 [Z1 < c1], Z2 >= c2 [or <= -c2]) = increment with scipy's quad;
    corr(Z1, Z2) = sqrt(t1)."""
    rho = math.sqrt(t1)
    s = math.sqrt(1 - t1)
    low = -c1 if sided == 2 else -math.inf

    def crossing(c2: float) -> float:
        def integrand(z: float) -> float:
            p = stats.norm.sf((c2 - rho * z) / s)
            if sided == 2:
                p += stats.norm.cdf((-c2 - rho * z) / s)
            return stats.norm.pdf(z) * p

        return integrate.quad(integrand, low, c1, epsabs=1e-15, epsrel=1e-13, limit=200)[0]

    return optimize.brentq(lambda c: crossing(c) - increment, 0.5, 10, xtol=1e-14)


@pytest.mark.parametrize(
    ("spending", "gamma", "t1", "alpha", "sided"),
    [
        ("obrien-fleming", None, 0.5, 0.025, 1),
        ("obrien-fleming", None, 0.2, 0.05, 2),
        ("pocock", None, 0.5, 0.025, 1),
        ("pocock", None, 0.7, 0.1, 2),
        ("hwang-shih-decani", -4, 0.35, 0.025, 1),
        ("hwang-shih-decani", 1, 0.6, 0.05, 2),
        ("hwang-shih-decani", 0, 0.4, 0.01, 1),
    ],
)
def test_two_looks_against_quadrature(spending, gamma, t1, alpha, sided):
    design = boundaries(
        looks=2, alpha=alpha, sided=sided, timing=[t1, 1], spending=spending, gamma=gamma
    )
    z = design.table["z_efficacy"].to_numpy()
    spent = design.table["alpha_spent"].to_numpy()
    assert z[0] == pytest.approx(stats.norm.isf(spent[0] / sided), rel=1e-14)
    assert z[1] == pytest.approx(_second_bound_by_quadrature(z[0], t1, spent[1], sided), abs=1e-8)


def test_rpact_second_look_against_quadrature():
    """The one look where rpact is 1.9e-6 off: ours is within 1e-8 of the quadrature."""
    design = boundaries(looks=5, alpha=0.05, sided=2, timing=[0.1, 0.3, 0.5, 0.8, 1])
    z = design.table["z_efficacy"].to_numpy()
    spent = design.table["alpha_spent"].to_numpy()
    # looks 1 and 2 only: Z2 given Z1 at fractions 0.1 and 0.3 is the two-look problem at 1/3
    exact = _second_bound_by_quadrature(z[0] * 1.0, 0.1 / 0.3, spent[1], 2)
    assert z[1] == pytest.approx(exact, abs=1e-8)
    assert exact == pytest.approx(3.928572546, abs=1e-9)


def test_three_looks_against_multivariate_normal():
    """The achieved crossing probabilities, by scipy's multivariate normal CDF (Genz)."""
    t = np.array([0.3, 0.65, 1.0])
    design = boundaries(looks=3, alpha=0.025, timing=t.tolist(), spending="pocock")
    c = design.table["z_efficacy"].to_numpy()
    cov = np.sqrt(np.minimum.outer(t, t) / np.maximum.outer(t, t))
    not_crossed = stats.multivariate_normal.cdf(
        c, mean=np.zeros(3), cov=cov, maxpts=2_000_000, abseps=1e-10, releps=1e-10, rng=1
    )
    assert 1 - not_crossed == pytest.approx(0.025, abs=1e-7)


# --- hand-built properties --------------------------------------------------------------------


@pytest.mark.parametrize("spending", SPENDINGS)
@pytest.mark.parametrize("sided", [1, 2])
def test_one_look_is_the_fixed_design(spending, sided):
    gamma = -3.0 if spending == "hwang-shih-decani" else None
    design = boundaries(looks=1, alpha=0.05, sided=sided, spending=spending, gamma=gamma, power=0.9)
    row = design.table.row(0, named=True)
    assert row["z_efficacy"] == pytest.approx(stats.norm.isf(0.05 / sided), rel=1e-15)
    assert row["nominal_p"] == pytest.approx(0.05, rel=1e-14)
    assert row["alpha_spent"] == row["cumulative_alpha"] == 0.05
    assert design.drift == pytest.approx(
        stats.norm.isf(0.05 / sided) + stats.norm.isf(0.1), rel=1e-9
    )
    assert design.inflation_factor == pytest.approx(1.0, rel=1e-9)


@pytest.mark.parametrize("spending", SPENDINGS)
@pytest.mark.parametrize("sided", [1, 2])
@pytest.mark.parametrize("timing", [None, [0.15, 0.4, 0.45, 0.9, 1.0]])
def test_cumulative_alpha_is_the_spending_function(spending, sided, timing):
    gamma = 2.0 if spending == "hwang-shih-decani" else None
    design = boundaries(
        looks=5, alpha=0.05, sided=sided, timing=timing, spending=spending, gamma=gamma
    )
    t = design.table["information_fraction"].to_numpy()
    expected = alpha_spending(spending=spending, alpha=0.05, timing=t, gamma=gamma, sided=sided)
    np.testing.assert_allclose(design.table["cumulative_alpha"], expected, rtol=1e-15)
    # and the boundaries spend it: the probability of crossing, integrated afresh
    upper = rejection_probability(
        bounds=design.table["z_efficacy"].to_list(), timing=t.tolist(), drift=0.0, sided=sided
    )
    np.testing.assert_allclose(np.cumsum(upper * sided), expected, rtol=1e-9, atol=1e-13)


def test_spending_functions_by_hand():
    t = np.array([0.25, 0.5, 1.0])
    np.testing.assert_allclose(
        alpha_spending(spending="obrien-fleming", alpha=0.025, timing=t),
        2 * stats.norm.sf(stats.norm.isf(0.0125) / np.sqrt(t)),
        rtol=1e-13,
    )
    np.testing.assert_allclose(
        alpha_spending(spending="pocock", alpha=0.025, timing=t),
        0.025 * np.log(1 + (np.e - 1) * t),
        rtol=1e-14,
    )
    np.testing.assert_allclose(
        alpha_spending(spending="hwang-shih-decani", alpha=0.025, timing=t, gamma=-4),
        0.025 * (1 - np.exp(4 * t)) / (1 - np.exp(4)),
        rtol=1e-14,
    )
    # two-sided: alpha / 2 in each tail (rpact, gsDesign)
    np.testing.assert_allclose(
        alpha_spending(spending="obrien-fleming", alpha=0.05, timing=t, sided=2),
        2 * (2 * stats.norm.sf(stats.norm.isf(0.0125) / np.sqrt(t))),
        rtol=1e-13,
    )
    assert set(SPENDING_FUNCTIONS) == set(SPENDINGS)


def test_hwang_shih_decani_gamma_zero_is_the_limit():
    t = [0.2, 0.5, 0.7, 1.0]
    linear = boundaries(looks=4, alpha=0.025, timing=t, spending="hwang-shih-decani", gamma=0)
    near = boundaries(looks=4, alpha=0.025, timing=t, spending="hwang-shih-decani", gamma=1e-9)
    np.testing.assert_allclose(linear.table["cumulative_alpha"], 0.025 * np.asarray(t), rtol=1e-15)
    np.testing.assert_allclose(linear.table["z_efficacy"], near.table["z_efficacy"], rtol=1e-8)


def test_obrien_fleming_bounds_decrease_and_pocock_is_nearly_flat():
    of = boundaries(looks=5, alpha=0.025).table["z_efficacy"].to_numpy()
    assert np.all(np.diff(of) < -0.1)
    assert of[0] > 4.5
    pocock = boundaries(looks=5, alpha=0.025, spending="pocock").table["z_efficacy"].to_numpy()
    assert np.ptp(pocock) < 0.06
    assert np.all(pocock > stats.norm.isf(0.025))


def test_result_shape():
    design = boundaries(looks=3, alpha=0.025, timing=(0.5, 0.75, 1))
    assert design.table.columns == COLUMNS
    assert design.table["z_futility"].null_count() == 3
    assert design.table.schema["z_futility"] == pl.Float64
    assert design.table.schema["look"] == pl.Int64
    assert design.table["look"].to_list() == [1, 2, 3]
    assert design.timing == (0.5, 0.75, 1.0)
    assert (design.looks, design.alpha, design.sided, design.spending, design.gamma) == (
        3,
        0.025,
        1,
        "obrien-fleming",
        None,
    )
    with pytest.raises(dataclasses.FrozenInstanceError):
        design.alpha = 0.05  # type: ignore[misc]


@pytest.mark.parametrize("spending", SPENDINGS)
def test_futility_is_non_binding_and_keeps_the_power(spending):
    gamma = 1.0 if spending == "hwang-shih-decani" else None
    plain = boundaries(looks=4, alpha=0.025, timing=[0.3, 0.5, 0.8, 1], power=0.85)
    design = boundaries(
        looks=4,
        alpha=0.025,
        timing=[0.3, 0.5, 0.8, 1],
        power=0.85,
        futility_spending=spending,
        futility_gamma=gamma,
    )
    # non-binding: the efficacy boundaries ignore the futility stops
    assert design.table.drop("z_futility").equals(plain.table.drop("z_futility"))
    futility = design.table["z_futility"].to_numpy()
    efficacy = design.table["z_efficacy"].to_numpy()
    assert np.all(futility[:-1] < efficacy[:-1])
    assert np.all(np.diff(futility) > 0)
    timing = design.table["information_fraction"].to_numpy()
    reject = rejection_probability(
        bounds=efficacy, timing=timing, drift=design.drift, futility=futility
    )
    assert reject.sum() == pytest.approx(0.85, abs=1e-9)
    # futility stops cost power, so the design needs more information than without them
    assert design.inflation_factor > plain.inflation_factor


def test_first_futility_bound_by_hand():
    """P_delta(Z_1 <= a_1) = beta(t_1): a_1 = delta sqrt(t_1) + Phi^-1(beta(t_1))."""
    design = boundaries(
        looks=3, alpha=0.025, futility_spending="pocock", timing=[0.4, 0.7, 1], power=0.9
    )
    beta_1 = alpha_spending(spending="pocock", alpha=0.1, timing=[0.4])[0]
    expected = design.drift * math.sqrt(0.4) + stats.norm.ppf(beta_1)
    assert design.table["z_futility"][0] == pytest.approx(expected, rel=1e-12)


def test_five_looks_under_a_second():
    start = time.perf_counter()
    boundaries(looks=5, alpha=0.025, spending="hwang-shih-decani", gamma=-4)
    # about 0.2 s alone; room for a busy machine
    assert time.perf_counter() - start < 1.5


# --- invariants on random designs --------------------------------------------------------------


@st.composite
def designs(draw):
    looks = draw(st.integers(2, 5))
    raw = draw(st.lists(st.floats(0.05, 0.95), min_size=looks - 1, max_size=looks - 1, unique=True))
    inner = sorted(raw)
    timing = None if np.any(np.diff(inner) < 0.02) else [*inner, 1.0]
    spending = draw(st.sampled_from(SPENDINGS))
    gamma = draw(st.floats(-6, 4)) if spending == "hwang-shih-decani" else None
    return {
        "looks": looks,
        "timing": timing,
        "spending": spending,
        "gamma": gamma,
        "sided": draw(st.sampled_from([1, 2])),
    }


@SETTINGS
@given(designs(), st.floats(0.005, 0.1), st.floats(1.2, 2.0))
def test_bounds_fall_as_alpha_rises(design, alpha, factor):
    low = boundaries(alpha=alpha, **design)
    high = boundaries(alpha=alpha * factor, **design)
    assert np.all(high.table["z_efficacy"].to_numpy() < low.table["z_efficacy"].to_numpy())


@SETTINGS
@given(designs(), st.floats(0.005, 0.2))
def test_spending_sums_to_alpha(design, alpha):
    table = boundaries(alpha=alpha, **design).table
    assert table["alpha_spent"].sum() == pytest.approx(alpha, rel=1e-12)
    assert table["cumulative_alpha"][-1] == alpha
    assert np.all(table["alpha_spent"].to_numpy() > 0)
    assert np.all(table["nominal_p"].to_numpy() <= alpha * (1 + 1e-12))


# --- errors -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"alpha": 1.5}, r"^`--alpha` must be in \(0, 1\); got 1\.5$"),
        ({"alpha": 0}, r"^`--alpha` must be in \(0, 1\); got 0$"),
        ({"alpha": "0.05"}, r"^`--alpha` must be in \(0, 1\); got '0\.05'$"),
        ({"power": 1.0}, r"^`--power` must be in \(0, 1\); got 1\.0$"),
        ({"power": 0.02}, r"^`--power` must exceed the one-sided alpha \(0\.025\); got 0\.02$"),
        ({"looks": 0}, r"^`--looks` must be a whole number of at least 1; got 0$"),
        ({"looks": 2.5}, r"^`--looks` must be a whole number of at least 1; got 2\.5$"),
        ({"sided": 3}, r"^`--sided` must be 1 or 2; got 3$"),
        (
            {"spending": "haybittle"},
            r"^`--spending` must be one of 'obrien-fleming', 'pocock', 'hwang-shih-decani'; got 'haybittle'$",
        ),
        (
            {"spending": "hwang-shih-decani"},
            r"^`--gamma` is required with `--spending hwang-shih-decani`; got none$",
        ),
        (
            {"spending": "hwang-shih-decani", "gamma": math.nan},
            r"^`--gamma` must be a number in \[-10, 5\]; got nan$",
        ),
        (
            {"spending": "hwang-shih-decani", "gamma": -12},
            r"^`--gamma` must be a number in \[-10, 5\]; got -12$",
        ),
        (
            {"futility_spending": "hwang-shih-decani", "futility_gamma": 6},
            r"^`--futility-gamma` must be a number in \[-10, 5\]; got 6$",
        ),
        (
            {"gamma": -4},
            r"^`--gamma` applies to `--spending hwang-shih-decani` only; got -4 with 'obrien-fleming'$",
        ),
        (
            {"timing": [0.5, 1]},
            r"^`--timing` must give one information fraction per look \(3\); got 2: 0\.5, 1$",
        ),
        (
            {"timing": [0.5, 0.4, 1]},
            r"^`--timing` must increase strictly within \(0, 1\]; found 1 bad value \(first: 0\.4 at look 2\) in 0\.5, 0\.4, 1$",
        ),
        (
            {"timing": [0, 0.5, 1]},
            r"^`--timing` must increase strictly within \(0, 1\]; found 1 bad value \(first: 0 at look 1\) in 0, 0\.5, 1$",
        ),
        (
            {"timing": [0.3, 0.6, 1.2]},
            r"^`--timing` must increase strictly within \(0, 1\]; found 1 bad value \(first: 1\.2 at look 3\) in 0\.3, 0\.6, 1\.2$",
        ),
        (
            {"timing": [0.3, 0.6, 0.9]},
            r"^`--timing` must end at 1 \(the final analysis\); got 0\.3, 0\.6, 0\.9$",
        ),
    ],
)
def test_bad_options(kwargs, message):
    options = {"looks": 3, "alpha": 0.025, **kwargs}
    with pytest.raises(OptionError, match=message):
        boundaries(**options)


def test_rejection_probability_checks_its_options():
    with pytest.raises(
        OptionError, match=r"^`--timing` must end at 1 \(the final analysis\); got 0\.5, 0\.9$"
    ):
        rejection_probability(bounds=[3, 2], timing=[0.5, 0.9], drift=1.0)
    with pytest.raises(OptionError, match=r"^`--sided` must be 1 or 2; got 0$"):
        rejection_probability(bounds=[3, 2], timing=[0.5, 1], drift=1.0, sided=0)


def test_power_of_the_design_at_its_drift():
    design = boundaries(looks=4, alpha=0.025, spending="pocock", power=0.9)
    reject = rejection_probability(
        bounds=design.table["z_efficacy"].to_numpy(),
        timing=design.table["information_fraction"].to_numpy(),
        drift=design.drift,
    )
    assert reject.sum() == pytest.approx(0.9, abs=1e-11)


@SETTINGS
@given(
    designs(),
    st.floats(0.005, 0.2),
    st.floats(0.6, 0.95),
    st.sampled_from(SPENDINGS),
    st.floats(-4, 4),
)
def test_futility_below_efficacy_and_power_kept(design, alpha, power, futility, futility_gamma):
    design = {**design, "sided": 1}
    result = boundaries(
        alpha=alpha,
        power=power,
        futility_spending=futility,
        futility_gamma=futility_gamma if futility == "hwang-shih-decani" else None,
        **design,
    )
    table = result.table
    efficacy = table["z_efficacy"].to_numpy()
    lower = table["z_futility"].to_numpy()
    assert np.all(lower <= efficacy)
    assert lower[-1] == efficacy[-1]
    reject = rejection_probability(
        bounds=efficacy,
        timing=table["information_fraction"].to_numpy(),
        drift=result.drift,
        futility=lower,
    )
    assert reject.sum() == pytest.approx(power, abs=1e-8)


def test_alpha_spending_at_zero_and_its_errors():
    for spending, gamma in [("obrien-fleming", None), ("pocock", None), ("hwang-shih-decani", -2)]:
        spent = alpha_spending(spending=spending, alpha=0.025, timing=[0.0, 1.0], gamma=gamma)
        assert spent[0] == 0.0
        assert spent[1] == pytest.approx(0.025, rel=1e-14)
    with pytest.raises(OptionError, match=r"^`--spending` must be one of .*; got 'asOF'$"):
        alpha_spending(spending="asOF", alpha=0.025, timing=[1.0])  # type: ignore[arg-type]
    with pytest.raises(
        OptionError, match=r"^`--gamma` is required with `--spending hwang-shih-decani`; got none$"
    ):
        alpha_spending(spending="hwang-shih-decani", alpha=0.025, timing=[1.0])
    with pytest.raises(OptionError, match=r"^`--sided` must be 1 or 2; got 3$"):
        alpha_spending(spending="pocock", alpha=0.025, timing=[1.0], sided=3)


def test_very_early_looks():
    # O'Brien–Fleming at t = 0.01 spends about 1e-111: still a boundary (rpact gives Inf)
    design = boundaries(looks=3, alpha=0.025, timing=[0.01, 0.02, 1])
    z = design.table["z_efficacy"].to_numpy()
    assert z[0] == pytest.approx(stats.norm.isf(design.table["alpha_spent"][0]), rel=1e-14)
    assert z[0] == pytest.approx(22.383, abs=1e-3)
    assert np.all(np.isfinite(z))
    # at t = 0.001 nothing is left in double precision
    with pytest.raises(
        OptionError,
        match=r"^`--timing` puts look 1 at 0\.001, where `--spending` spends 0 of alpha: too little for a boundary below z = 40; move the look later or choose another `--spending`$",
    ):
        boundaries(looks=3, alpha=0.025, timing=[0.001, 0.5, 1])
    with pytest.raises(
        OptionError,
        match=r"^`--timing` puts look 1 at 0\.001, where `--futility-spending` spends 0 of beta: too little for a boundary above z = -40; move the look later or choose another `--futility-spending`$",
    ):
        boundaries(
            looks=3,
            alpha=0.025,
            timing=[0.001, 0.5, 1],
            spending="pocock",
            futility_spending="obrien-fleming",
        )
