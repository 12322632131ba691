"""Lachin–Foulkes sample size against gsDesign's nSurvival and rpact
(tests/reference/make_reference_survival.R), gsDesign's documented printouts, and an
independent derivation: the probability of an event by double integration and the sample size
as the root of the method's power equation."""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, stats

from survstat.design.survival import COLUMNS, lachin_foulkes, probability_of_event
from survstat.errors import OptionError

REFERENCE = json.loads((Path(__file__).parent / "reference" / "survival.json").read_text())
SETTINGS = REFERENCE["settings"]


def _design(s: dict):
    return lachin_foulkes(
        hazard_control=s["hc"],
        hazard_treatment=s["ht"],
        dropout_hazard=s["eta"],
        accrual_time=s["Tr"],
        study_duration=s["Ts"],
        ratio=s["ratio"],
        alpha=s["alpha"],
        sided=s["sided"],
        power=s["power"],
    )


def _id(s: dict) -> str:
    return f"hc{s['hc']:.4g}-ht{s['ht']:.4g}-eta{s['eta']:g}-Tr{s['Tr']:g}-Ts{s['Ts']:g}-r{s['ratio']:g}-s{s['sided']}"


# --- against gsDesign and rpact ---------------------------------------------------------------


@pytest.mark.parametrize("s", SETTINGS, ids=_id)
def test_matches_gsdesign_nsurvival(s):
    """gsDesign's own nSurvival code, sourced by the R script."""
    design = _design(s)
    assert design.n == pytest.approx(s["n"], rel=1e-12)
    assert design.events == pytest.approx(s["events"], rel=1e-12)
    assert design.table["n"][0] == design.n
    assert design.table["events"][0] == design.events


@pytest.mark.parametrize("s", SETTINGS, ids=_id)
def test_average_probability_of_event_matches_rpact(s):
    """rpact's getSampleSizeSurvival: events / subjects is the allocation-weighted probability."""
    row = _design(s).table.row(0, named=True)
    xi_c = 1 / (1 + s["ratio"])
    average = (
        xi_c * row["probability_event_control"] + (1 - xi_c) * row["probability_event_treatment"]
    )
    assert average == pytest.approx(s["rpact_probability_event"], rel=1e-12)
    assert row["events"] / row["n"] == pytest.approx(average, rel=1e-14)


@pytest.mark.parametrize(
    ("eta", "n_rounded", "events_rounded"),
    # gsDesign's print.nSurvival snapshots (tests/testthat/_snaps/independent-test-print.nSurvival.md):
    # lambda1 = 0.2, lambda2 = 0.1, Ts = 2, Tr = 0.5, alpha = 0.025 one-sided, power 0.9
    [(0.1, 430, 91), (6.9, 4308, 92)],
)
def test_gsdesign_documented_example(eta, n_rounded, events_rounded):
    design = lachin_foulkes(
        hazard_control=0.2,
        hazard_treatment=0.1,
        dropout_hazard=eta,
        accrual_time=0.5,
        study_duration=2,
    )
    row = design.table.row(0, named=True)
    assert (row["n_rounded"], row["events_rounded"]) == (n_rounded, events_rounded)
    assert row["n_control_rounded"] == row["n_treatment_rounded"] == n_rounded // 2


# --- an independent derivation -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("hazard", "dropout", "accrual", "duration"),
    [
        (0.2, 0.1, 0.5, 2.0),
        (math.log(2) / 12, 0.0, 12.0, 36.0),
        (0.05, 0.01, 24.0, 24.0),
        (1e-4, 1e-5, 1e-3, 5.0),
        (3.0, 0.5, 2.0, 2.5),
    ],
)
def test_probability_of_event_by_double_integration(hazard, dropout, accrual, duration):
    """A subject entering at u ~ U(0, R) has an event before dropout and before T - u:
    P = (1/R) int_0^R int_0^{T-u} lambda exp(-(lambda + eta) s) ds du."""

    def inner(u: float) -> float:
        return integrate.quad(
            lambda s: hazard * math.exp(-(hazard + dropout) * s), 0, duration - u, epsrel=1e-13
        )[0]

    expected = integrate.quad(inner, 0, accrual, epsrel=1e-12)[0] / accrual
    got = probability_of_event(
        hazard=hazard, dropout_hazard=dropout, accrual_time=accrual, study_duration=duration
    )
    assert got == pytest.approx(expected, rel=1e-10)


@pytest.mark.parametrize("s", SETTINGS, ids=_id)
def test_sample_size_solves_the_power_equation(s):
    """At n, Phi((sqrt(n) |log HR| - z_alpha sigma_0) / sigma_1) is the power, with the null
    variance at the average hazard and the alternative variance from each arm."""
    design = _design(s)
    row = design.table.row(0, named=True)
    xi_c = 1 / (1 + s["ratio"])
    xi_t = 1 - xi_c
    times = {"dropout_hazard": s["eta"], "accrual_time": s["Tr"], "study_duration": s["Ts"]}
    p_bar = probability_of_event(hazard=xi_c * s["hc"] + xi_t * s["ht"], **times)
    sigma0 = math.sqrt(1 / (p_bar * xi_c * xi_t))
    sigma1 = math.sqrt(
        1 / (xi_c * row["probability_event_control"])
        + 1 / (xi_t * row["probability_event_treatment"])
    )
    z_alpha = stats.norm.isf(s["alpha"] / s["sided"])
    power = stats.norm.cdf(
        (math.sqrt(design.n) * abs(math.log(s["hc"] / s["ht"])) - z_alpha * sigma0) / sigma1
    )
    assert power == pytest.approx(s["power"], rel=1e-12)


# --- inputs in other forms, rounding, shape ---------------------------------------------------


def test_medians_and_hazard_ratio_are_the_same_design():
    common = {"accrual_time": 18, "study_duration": 30, "dropout_hazard": 0.01, "ratio": 2}
    by_hazard = lachin_foulkes(
        hazard_control=math.log(2) / 6, hazard_treatment=math.log(2) / 9, **common
    )
    by_median = lachin_foulkes(median_control=6, median_treatment=9, **common)
    by_ratio = lachin_foulkes(median_control=6, hazard_ratio=6 / 9, **common)
    assert by_median.table.equals(by_hazard.table)
    assert by_ratio.n == pytest.approx(by_hazard.n, rel=1e-14)
    assert by_median.median_control == 6
    assert by_median.hazard_control is None
    assert by_ratio.table["hazard_ratio"][0] == pytest.approx(6 / 9, rel=1e-15)


def test_two_sided_alpha_is_split():
    common = {"hazard_control": 0.1, "hazard_ratio": 0.75, "accrual_time": 2, "study_duration": 4}
    one = lachin_foulkes(alpha=0.025, sided=1, **common)
    two = lachin_foulkes(alpha=0.05, sided=2, **common)
    assert two.n == pytest.approx(one.n, rel=1e-15)


def test_rounding_is_per_arm_and_up():
    design = lachin_foulkes(
        hazard_control=0.2,
        hazard_treatment=0.1,
        dropout_hazard=0.1,
        accrual_time=0.5,
        study_duration=2,
        ratio=2,
    )
    row = design.table.row(0, named=True)
    assert row["n_control"] == pytest.approx(design.n / 3, rel=1e-15)
    assert row["n_treatment"] == pytest.approx(2 * design.n / 3, rel=1e-15)
    assert row["n_control_rounded"] == math.ceil(row["n_control"])
    assert row["n_treatment_rounded"] == math.ceil(row["n_treatment"])
    assert row["n_rounded"] == row["n_control_rounded"] + row["n_treatment_rounded"]
    assert row["events_rounded"] == math.ceil(row["events"])


def test_result_shape():
    design = lachin_foulkes(hazard_control=0.1, hazard_ratio=0.7, accrual_time=2, study_duration=3)
    assert design.table.columns == list(COLUMNS)
    assert design.table.height == 1
    assert design.table.schema["n_rounded"] == pl.Int64
    assert design.table.schema["n"] == pl.Float64
    assert (design.alpha, design.sided, design.power, design.ratio) == (0.025, 1, 0.9, 1.0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        design.n = 1.0  # type: ignore[misc]


# --- invariants --------------------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(
    hc=st.floats(0.01, 2),
    hr=st.floats(0.3, 0.95),
    eta=st.floats(0, 0.5),
    accrual=st.floats(0.1, 10),
    follow=st.floats(0, 10),
    power=st.floats(0.5, 0.95),
)
def test_more_power_or_smaller_effect_needs_more_subjects(hc, hr, eta, accrual, follow, power):
    common = {
        "hazard_control": hc,
        "dropout_hazard": eta,
        "accrual_time": accrual,
        "study_duration": accrual + follow,
    }
    base = lachin_foulkes(hazard_ratio=hr, power=power, **common)
    assert 0 < base.events < base.n
    assert lachin_foulkes(hazard_ratio=hr, power=power + 0.04, **common).n > base.n
    assert lachin_foulkes(hazard_ratio=min(hr * 1.02, 0.99), power=power, **common).n > base.n
    assert np.isfinite(base.table.to_numpy().astype(float)).all()


# --- errors -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"hazard_treatment": 0.1},
            r"^`--hazard-treatment` gives the control arm's hazard \(0\.1\), a hazard ratio of 1; got 0\.1$",
        ),
        (
            {"hazard_treatment": None, "hazard_ratio": 1},
            r"^`--hazard-ratio` must differ from 1; got 1$",
        ),
        (
            {"hazard_treatment": None, "hazard_ratio": 0},
            r"^`--hazard-ratio` must be a finite positive number; got 0$",
        ),
        (
            {"hazard_treatment": None},
            r"^give the treatment arm's event rate by exactly one of `--hazard-treatment` or `--hazard-ratio` or `--median-treatment`; got none$",
        ),
        (
            {"hazard_ratio": 0.7},
            r"^give the treatment arm's event rate by exactly one of .*; got `--hazard-treatment` 0\.05, `--hazard-ratio` 0\.7$",
        ),
        (
            {"median_control": 6},
            r"^give the control arm's event rate by exactly one of `--hazard-control` or `--median-control`; got `--hazard-control` 0\.1, `--median-control` 6$",
        ),
        (
            {"hazard_control": -0.1},
            r"^`--hazard-control` must be a finite positive number; got -0\.1$",
        ),
        (
            {"hazard_control": math.inf},
            r"^`--hazard-control` must be a finite positive number; got inf$",
        ),
        (
            {"hazard_control": None, "median_control": 0},
            r"^`--median-control` must be a finite positive number; got 0$",
        ),
        (
            {"hazard_treatment": None, "median_treatment": -3},
            r"^`--median-treatment` must be a finite positive number; got -3$",
        ),
        (
            {"dropout_hazard": -0.01},
            r"^`--dropout-hazard` must be a finite non-negative number; got -0\.01$",
        ),
        ({"accrual_time": 0}, r"^`--accrual-time` must be a finite positive number; got 0$"),
        (
            {"study_duration": math.nan},
            r"^`--study-duration` must be a finite positive number; got nan$",
        ),
        (
            {"study_duration": 10},
            r"^`--study-duration` must be at least `--accrual-time` \(12\); got 10$",
        ),
        ({"alpha": 1.5}, r"^`--alpha` must be in \(0, 1\); got 1\.5$"),
        ({"power": 0}, r"^`--power` must be in \(0, 1\); got 0$"),
        ({"power": True}, r"^`--power` must be in \(0, 1\); got True$"),
        ({"sided": 3}, r"^`--sided` must be 1 or 2; got 3$"),
        ({"ratio": 0}, r"^`--ratio` must be a finite positive number; got 0$"),
    ],
)
def test_bad_options(kwargs, message):
    options = {
        "hazard_control": 0.1,
        "hazard_treatment": 0.05,
        "accrual_time": 12,
        "study_duration": 24,
        **kwargs,
    }
    with pytest.raises(OptionError, match=message):
        lachin_foulkes(**options)


def test_probability_of_event_large_rates_and_errors():
    # a long accrual at a high hazard: no overflow, and the limit lambda / (lambda + eta)
    p = probability_of_event(hazard=100.0, dropout_hazard=1.0, accrual_time=12, study_duration=24)
    lost = math.exp(-101 * 12) - math.exp(-101 * 24)  # 0 in double precision
    assert p == pytest.approx(100 / 101 * (1 - lost / (101 * 12)), rel=1e-14)
    assert p == pytest.approx(100 / 101, rel=1e-14)
    design = lachin_foulkes(
        hazard_control=100.0, hazard_ratio=0.5, accrual_time=12, study_duration=12
    )
    assert np.isfinite(design.n)
    with pytest.raises(OptionError, match=r"^`--hazard` must be a finite positive number; got 0$"):
        probability_of_event(hazard=0, dropout_hazard=0, accrual_time=1, study_duration=2)
    with pytest.raises(
        OptionError, match=r"^`--study-duration` must be at least `--accrual-time` \(3\); got 2$"
    ):
        probability_of_event(hazard=0.1, dropout_hazard=0, accrual_time=3, study_duration=2)


# --- accrual given as a rate -----------------------------------------------------------------

RATES = REFERENCE["accrual_rate"]


@pytest.mark.parametrize("s", RATES, ids=lambda s: f"rate{s['rate']:g}-F{s['follow_up']:g}")
def test_accrual_rate_matches_gsdesign_nsurv(s):
    """gsDesign's nSurv(T = NULL, method = "LachinFoulkes", tol = 1e-13)."""
    design = lachin_foulkes(
        hazard_control=s["hc"],
        hazard_ratio=s["hr"],
        dropout_hazard=s["eta"],
        accrual_rate=s["rate"],
        follow_up=s["follow_up"],
        ratio=s["ratio"],
        alpha=s["alpha"],
        sided=s["sided"],
        power=s["power"],
    )
    row = design.table.row(0, named=True)
    assert row["accrual_time"] == pytest.approx(s["accrual_time"], rel=1e-11)
    assert row["study_duration"] == pytest.approx(s["study_duration"], rel=1e-11)
    assert design.n == pytest.approx(s["n"], rel=1e-11)
    assert design.events == pytest.approx(s["events"], rel=1e-11)
    assert (design.accrual_time, design.study_duration) == (None, None)
    assert (design.accrual_rate, design.follow_up) == (s["rate"], s["follow_up"])


@pytest.mark.parametrize("rate", [0.5, 30.0, 1e4])
@pytest.mark.parametrize("follow_up", [0.0, 2.0])
def test_accrual_rate_fills_the_design(rate, follow_up):
    """The solved accrual brings exactly the subjects the design with that accrual needs."""
    common = {"hazard_control": 0.3, "hazard_ratio": 0.6, "dropout_hazard": 0.05}
    design = lachin_foulkes(accrual_rate=rate, follow_up=follow_up, **common)
    row = design.table.row(0, named=True)
    assert design.n == pytest.approx(rate * row["accrual_time"], rel=1e-12)
    assert row["study_duration"] == row["accrual_time"] + follow_up
    fixed = lachin_foulkes(
        accrual_time=row["accrual_time"], study_duration=row["study_duration"], **common
    )
    assert fixed.n == pytest.approx(design.n, rel=1e-12)
    faster = lachin_foulkes(accrual_rate=2 * rate, follow_up=follow_up, **common)
    assert faster.table["accrual_time"][0] < row["accrual_time"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"accrual_rate": 10},
            r"^give the accrual by `--accrual-time` and `--study-duration`, or by `--accrual-rate` and `--follow-up`; got `--accrual-time` 12, `--study-duration` 24, `--accrual-rate` 10$",
        ),
        (
            {"accrual_time": None, "study_duration": None},
            r"^give the accrual by `--accrual-time` and `--study-duration`, or by `--accrual-rate` and `--follow-up`; got none$",
        ),
        (
            {"study_duration": None, "follow_up": 6},
            r"^give the accrual by .*; got `--accrual-time` 12, `--follow-up` 6$",
        ),
        (
            {"accrual_time": None, "study_duration": None, "accrual_rate": 0, "follow_up": 6},
            r"^`--accrual-rate` must be a finite positive number; got 0$",
        ),
        (
            {"accrual_time": None, "study_duration": None, "accrual_rate": 5, "follow_up": -1},
            r"^`--follow-up` must be a finite non-negative number; got -1$",
        ),
    ],
)
def test_bad_accrual(kwargs, message):
    options = {
        "hazard_control": 0.1,
        "hazard_treatment": 0.05,
        "accrual_time": 12,
        "study_duration": 24,
        **kwargs,
    }
    with pytest.raises(OptionError, match=message):
        lachin_foulkes(**options)
