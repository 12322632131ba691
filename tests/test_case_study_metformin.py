"""The metformin case study (README "Case studies"): the job examples/metformin_review.toml on
the SYNTHETIC trials and patients of survstat.datasets.synthetic_metformin.

The bundled files are the generators' output; the pooled pCR across trials equals R metafor's
and the breast-cancer-death analyses equal R cmprsk's (tests/reference/
make_reference_metformin.R); METTEN's published pCR numbers come out of the one trial; and every
number the README quotes is the one the job writes.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from case_studies import assert_quoted, readme_case_study, run_example
from typer.testing import CliRunner

import survstat
from survstat.cli import app
from survstat.datasets.synthetic_metformin import (
    METTEN_PCR,
    TRIALS,
    metformin_patients,
    metformin_trials,
)

HERE = Path(__file__).parent
REF = json.loads((HERE / "reference" / "r_reference_metformin.json").read_text())
SECTION = readme_case_study("Metformin")
METHODS = {
    "MH": "Mantel-Haenszel",
    "EE z": "inverse variance",
    "DL z": "DerSimonian-Laird",
    "DL knha": "DerSimonian-Laird + Hartung-Knapp",
    "REML z": "REML",
    "REML knha": "REML + Hartung-Knapp",
}
MEASURES = {"RR": "meta_rr", "OR": "meta_or", "RD": "meta_rd"}


@pytest.fixture(scope="module")
def out(tmp_path_factory) -> Path:
    return run_example("metformin_review", tmp_path_factory.mktemp("metformin"), report=True)


def _read(out: Path, name: str) -> pl.DataFrame:
    return pl.read_parquet(out / f"{name}.parquet")


# --- the data --------------------------------------------------------------------------------


def test_bundled_files_are_the_generator_output():
    assert survstat.datasets.load("metformin_trials").equals(metformin_trials())
    assert survstat.datasets.load("metformin_patients").equals(metformin_patients())


def test_bundled_files_say_they_are_synthetic():
    from survstat.io import read_metadata

    for name in ("metformin_trials", "metformin_patients"):
        record = read_metadata(survstat.datasets.path(name))
        assert "synthetic" in json.dumps(record).lower()
        assert "SYNTHETIC" in survstat.datasets.names()[name]


def test_reference_csv_files_hold_the_bundled_rows():
    # the R script reads these: they must be the bundled data
    for name in ("metformin_trials", "metformin_patients"):
        csv = pl.read_csv(HERE / "reference" / "data" / f"{name}.csv")
        assert csv.equals(survstat.datasets.load(name)), name


def test_trials_follow_the_design():
    trials = metformin_trials()
    assert trials.height == len(TRIALS) == 8
    first = trials.row(0, named=True)
    # METTEN's published per-protocol counts (Martin-Castillo et al. 2018)
    assert (first["pcr_metformin"], first["n_metformin"]) == (19, 29)
    assert (first["pcr_control"], first["n_control"]) == (17, 29)
    sizes = [(n1, n2) for _, _, n1, n2, _ in TRIALS]
    assert trials.select("n_metformin", "n_control").rows() == sizes
    # one small trial with a zero cell: the continuity correction shows
    zero = trials.filter((pl.col("pcr_metformin") == 0) | (pl.col("pcr_control") == 0))
    assert zero["trial"].to_list() == ["Trial H (synthetic)"]
    assert (trials["pcr_metformin"] <= trials["n_metformin"]).all()
    assert (trials["pcr_control"] <= trials["n_control"]).all()


def test_trial_labels_say_which_counts_are_published_and_which_synthetic():
    # only the first row holds published counts; no synthetic row may look like a real trial
    labels = metformin_trials()["trial"].to_list()
    assert labels[0] == "A: METTEN (published counts)"
    assert labels[1:] == [f"Trial {letter} (synthetic)" for letter in "BCDEFGH"]


def test_patients_follow_the_design():
    patients = metformin_patients()
    assert patients.height == 58
    counts = patients.group_by("arm").agg(pl.len(), pl.col("pcr").sum()).sort("arm")
    assert counts.rows() == [("Control", 29, METTEN_PCR[1]), ("Metformin", 29, METTEN_PCR[0])]
    assert set(patients["cause"].unique()) == {0, 1, 2}
    assert patients["time"].min() > 0
    assert patients["time"].max() <= 96
    labels = dict(patients.select("cause", "status").unique().rows())
    assert labels == {0: "censored", 1: "breast cancer death", 2: "other-cause death"}
    assert patients["patient_id"].n_unique() == 58


def test_generators_are_deterministic_and_seeded():
    assert metformin_trials().equals(metformin_trials())
    assert not metformin_trials(seed=1).equals(metformin_trials())
    assert not metformin_patients(seed=1).equals(metformin_patients())


def test_larger_draws_hit_the_breast_cancer_death_rates():
    # the generator's rates: 0.6% a year after pCR, 4.5% without (exponential times): deaths
    # per person-year within 4 standard errors of them over 100 draws
    patients = pl.concat([metformin_patients(seed=s) for s in range(100)])
    for pcr, rate in ((True, 0.006), (False, 0.045)):
        group = patients.filter(pl.col("pcr") == pcr)
        years = group["time"].sum() / 12
        deaths = int((group["cause"] == 1).sum())
        assert abs(deaths / years - rate) < 4 * math.sqrt(rate * years) / years, (pcr, deaths)
    other = patients["time"].sum() / 12
    deaths = int((patients["cause"] == 2).sum())
    assert abs(deaths / other - 0.008) < 4 * math.sqrt(0.008 * other) / other


# --- the job's numbers against R -------------------------------------------------------------


@pytest.mark.parametrize("measure", ["RR", "OR", "RD"])
def test_meta_analysis_matches_metafor(out, measure):
    ref = REF["trials"][measure]
    pooled = _read(out, MEASURES[measure])
    studies = pl.read_parquet(out / f"{MEASURES[measure]}.studies.parquet")
    np.testing.assert_allclose(studies["yi"].to_numpy(), ref["yi"], rtol=1e-12)
    np.testing.assert_allclose(studies["vi"].to_numpy(), ref["vi"], rtol=1e-12)
    np.testing.assert_allclose(studies["weight_fixed"].to_numpy(), ref["weights_ee"], rtol=1e-10)
    np.testing.assert_allclose(studies["weight_random"].to_numpy(), ref["weights_reml"], rtol=1e-8)
    scale = np.exp if measure != "RD" else (lambda x: x)
    for key, method in METHODS.items():
        want = ref["fits"][key]
        row = pooled.filter(pl.col("method") == method).row(0, named=True)
        pairs = [
            ("estimate", scale(want["estimate"])),
            ("conf_low", scale(want["ci_lb"])),
            ("conf_high", scale(want["ci_ub"])),
            ("statistic", want["stat"]),
            ("p_value", want["p"]),
            ("tau2", want["tau2"]),
            ("i2", want["I2"]),
            ("h2", want["H2"]),
            ("q", want["QE"]),
            ("q_p_value", want["QEp"]),
        ]
        if key not in ("MH", "EE z"):
            pairs += [("pi_low", scale(want["pi_lb"])), ("pi_high", scale(want["pi_ub"]))]
        for col, value in pairs:
            assert row[col] == pytest.approx(value, rel=1e-8, abs=1e-12), (key, col)


def test_forest_plot_weights_match_metafor():
    from survstat.plot_series.meta import random_weights

    ref = REF["trials"]["RR"]
    ma = survstat.meta_analysis(
        metformin_trials(),
        study="trial",
        events_treatment="pcr_metformin",
        n_treatment="n_metformin",
        events_control="pcr_control",
        n_control="n_control",
        measure="RR",
    )
    for method in ("DerSimonian-Laird", "DerSimonian-Laird + Hartung-Knapp"):
        weights = random_weights(ma, method)
        np.testing.assert_allclose(weights, ref["weights_dl"], rtol=1e-10)
    for method in ("REML", "REML + Hartung-Knapp"):
        weights = random_weights(ma, method)
        np.testing.assert_allclose(weights, ref["weights_reml"], rtol=1e-8)


def test_cumulative_incidence_matches_cuminc(out):
    cif = _read(out, "bc_death_cif")
    times = REF["cuminc"]["times"]
    for name, want in REF["cuminc"]["curves"].items():
        arm, cause = name.rsplit(" ", 1)
        rows = cif.filter((pl.col("arm") == arm) & (pl.col("cause") == int(cause))).sort("time")
        assert rows["time"].to_list() == times
        np.testing.assert_allclose(rows["cif"].to_numpy(), want["est"], rtol=1e-8, atol=1e-14)
        np.testing.assert_allclose(
            rows["std_error"].to_numpy() ** 2, want["var"], rtol=1e-8, atol=1e-14
        )


def test_gray_test_matches_cuminc(out):
    gray = _read(out, "bc_death_gray").sort("cause")
    assert gray["cause"].to_list() == REF["gray"]["cause"]
    np.testing.assert_allclose(gray["statistic"].to_numpy(), REF["gray"]["stat"], rtol=1e-8)
    np.testing.assert_allclose(gray["p_value"].to_numpy(), REF["gray"]["p"], rtol=1e-8)


def test_fine_gray_matches_crr(out):
    fg = _read(out, "bc_death_finegray").row(0, named=True)
    assert fg["term"] == "arm[Metformin]"
    assert fg["coef"] == pytest.approx(REF["crr"]["coef"], rel=1e-8)
    assert fg["std_error"] ** 2 == pytest.approx(REF["crr"]["var"][0][0], rel=1e-8)
    model = _read(out, "bc_death_finegray.model").row(0, named=True)
    assert model["loglik"] == pytest.approx(REF["crr"]["loglik"], rel=1e-8)
    assert model["loglik_null"] == pytest.approx(REF["crr"]["loglik_null"], rel=1e-8)
    assert (model["n"], model["n_event"], model["n_competing"]) == (58, 9, 5)


# --- METTEN's published numbers from the one trial ------------------------------------------


def test_metten_published_numbers(out):
    # Martin-Castillo et al. 2018: 19/29 (65.5%, 95% CI 47.3-80.1) vs 17/29 (58.6%, 40.7-74.5);
    # OR 1.34 (0.46-3.89)
    rates = _read(out, "pcr_rates").sort("arm")
    shown = [
        (f"{100 * r:.1f}", f"{100 * lo:.1f}", f"{100 * hi:.1f}")
        for r, lo, hi in rates.select("rate", "conf_low", "conf_high").rows()
    ]
    assert shown == [("58.6", "40.7", "74.5"), ("65.5", "47.3", "80.1")]
    row = _read(out, "pcr_comparison").row(0, named=True)
    ors = (row["odds_ratio"], row["odds_ratio_conf_low"], row["odds_ratio_conf_high"])
    assert [f"{x:.2f}" for x in ors] == ["1.34", "0.46", "3.89"]


def test_woolf_odds_ratio_by_hand(tmp_path):
    # 19/29 against 17/29: OR = 19 * 12 / (10 * 17); Wald interval on the log scale with
    # variance 1/19 + 1/10 + 1/17 + 1/12 (Woolf 1955)
    data = tmp_path / "p.parquet"
    metformin_patients().write_parquet(data)
    target = tmp_path / "cmp.parquet"
    args = ["compare-rates", str(data), "--response", "pcr", "--by", "arm"]
    args += ["--reference", "Control", "--odds-ratio-method", "woolf", "-o", str(target)]
    r = CliRunner().invoke(app, args)
    assert r.exit_code == 0, r.output
    row = pl.read_parquet(target).row(0, named=True)
    odds = 19 * 12 / (10 * 17)
    half = 1.959963984540054 * math.sqrt(1 / 19 + 1 / 10 + 1 / 17 + 1 / 12)
    assert row["odds_ratio"] == pytest.approx(odds, rel=1e-12)
    assert row["odds_ratio_conf_low"] == pytest.approx(odds * math.exp(-half), rel=1e-9)
    assert row["odds_ratio_conf_high"] == pytest.approx(odds * math.exp(half), rel=1e-9)
    assert row["odds_ratio_method"] == "woolf"


def test_odds_ratio_method_with_strata_is_an_error(tmp_path):
    data = tmp_path / "p.parquet"
    metformin_patients().write_parquet(data)
    args = ["compare-rates", str(data), "--response", "pcr", "--by", "arm", "--strata", "status"]
    r = CliRunner().invoke(app, [*args, "--odds-ratio-method", "woolf"])
    assert r.exit_code == 1
    assert "with strata the odds ratio is the Mantel-Haenszel common odds ratio" in r.output


# --- the job's outputs and the README --------------------------------------------------------


def test_job_writes_every_table_figure_and_the_report(out):
    for name in (
        "pcr_rates",
        "pcr_comparison",
        "pcr_comparison.rates",
        "meta_rr",
        "meta_rr.studies",
        "meta_or",
        "meta_rd",
        "bc_death_cif",
        "bc_death_gray",
        "bc_death_finegray",
        "bc_death_finegray.model",
    ):
        assert (out / f"{name}.parquet").is_file(), name
    for figure in ("meta_forest.png", "bc_death_cif_plot.png"):
        assert (out / figure).read_bytes()[:4] == b"\x89PNG"
    assert (out / "report.html").is_file()
    pooled = _read(out, "meta_rr")
    assert pooled["method"].to_list() == list(METHODS.values())
    assert pooled["k"].to_list() == [8] * 6


def _ratio(row: dict) -> str:
    return f"{row['estimate']:.2f} ({row['conf_low']:.2f}–{row['conf_high']:.2f})"


def _difference(row: dict) -> str:
    return f"{row['estimate']:+.3f} ({row['conf_low']:+.3f} to {row['conf_high']:+.3f})"


def test_readme_quotes_the_pooled_table(out):
    for measure, name in MEASURES.items():
        pooled = {r["method"]: r for r in _read(out, name).iter_rows(named=True)}
        fmt = _difference if measure == "RD" else _ratio
        cells = [fmt(pooled[m]) for m in ("Mantel-Haenszel", "DerSimonian-Laird", "REML")]
        cells.append(fmt(pooled["REML + Hartung-Knapp"]))
        for method in ("DerSimonian-Laird", "REML"):
            cells += [f"{pooled[method]['tau2']:.3f}", f"{pooled[method]['i2']:.0f}%"]
        assert_quoted(SECTION, f"| {measure} | " + " | ".join(cells) + " |")


def test_readme_quotes_the_one_trial(out):
    rates = {r["arm"]: r for r in _read(out, "pcr_rates").iter_rows(named=True)}
    exact = {r["arm"]: r for r in _read(out, "pcr_comparison.rates").iter_rows(named=True)}
    for arm in ("Metformin", "Control"):
        r = rates[arm]
        assert_quoted(
            SECTION,
            f"{r['n_responders']}/{r['n']} ({100 * r['rate']:.1f}%, Wilson "
            f"{100 * r['conf_low']:.1f}–{100 * r['conf_high']:.1f}; exact "
            f"{100 * exact[arm]['conf_low']:.1f}–{100 * exact[arm]['conf_high']:.1f})",
        )
    c = _read(out, "pcr_comparison").row(0, named=True)
    assert_quoted(
        SECTION,
        f"{100 * c['difference']:+.1f} points (Newcombe {100 * c['difference_conf_low']:+.1f} to "
        f"{100 * c['difference_conf_high']:+.1f})",
    )
    assert_quoted(
        SECTION,
        f"OR {c['odds_ratio']:.2f} (Woolf {c['odds_ratio_conf_low']:.2f}–"
        f"{c['odds_ratio_conf_high']:.2f})",
    )
    assert_quoted(SECTION, f"chi-square p = {c['p_value']:.3f}")


def test_readme_quotes_the_competing_risks(out):
    cif = _read(out, "bc_death_cif").filter((pl.col("cause") == 1) & (pl.col("time") == 60))
    for arm, est, lo, hi in cif.select("arm", "cif", "conf_low", "conf_high").rows():
        assert_quoted(SECTION, f"{arm} {100 * est:.1f}% ({100 * lo:.1f}–{100 * hi:.1f})")
    gray = _read(out, "bc_death_gray").filter(pl.col("cause") == 1).row(0, named=True)
    assert_quoted(SECTION, f"Gray's test p = {gray['p_value']:.2f}")
    fg = _read(out, "bc_death_finegray").row(0, named=True)
    assert_quoted(
        SECTION,
        f"subdistribution HR of metformin is {fg['hazard_ratio']:.2f} ({fg['conf_low']:.2f}–"
        f"{fg['conf_high']:.2f}), p = {fg['p_value']:.2f}",
    )
    model = _read(out, "bc_death_finegray.model").row(0, named=True)
    assert_quoted(SECTION, f"{model['n_event']} breast cancer deaths")
    assert_quoted(SECTION, f"{model['n_competing']} other-cause deaths")


def test_readme_shows_the_job_command_and_the_forest_plot():
    assert_quoted(
        SECTION, "survstat run examples/metformin_review.toml --output results/metformin -q"
    )
    assert "docs/images/meta_forest.png" in SECTION


def test_forest_plot_says_synthetic_and_which_side_favours_metformin():
    import tomllib

    job = tomllib.loads((HERE.parent / "examples" / "metformin_review.toml").read_text())
    step = next(s for s in job["step"] if s["name"] == "meta_forest")
    assert "SYNTHETIC" in step["title"]
    # pCR is a good outcome: a risk ratio of metformin to control above 1 favours metformin
    assert (step["measure"], step["treatment"]) == ("RR", "Metformin")
    assert (step["favours_left"], step["favours_right"]) == ("Control", "Metformin")
    alt = SECTION.split("](docs/images/meta_forest.png)")[0].rsplit("![", 1)[1]
    assert "SYNTHETIC" in alt
    assert_quoted(SECTION, f'--title "{step["title"]}"')
    assert_quoted(SECTION, "--favours-left Control --favours-right Metformin")
