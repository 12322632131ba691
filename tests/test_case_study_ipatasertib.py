"""The ipatasertib phase Ib case study: ``examples/ipatasertib_phase1b.toml`` and its README
section.

The job runs once (with its report); its tables are checked, every number the README quotes is
formatted from what the job writes and must be in the section, and the bundled synthetic ADSL
and ADAE must be the generator's output byte for byte.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from case_studies import assert_quoted, readme_case_study, run_example

import survstat
from survstat.datasets.synthetic_ipatasertib import AE_PROFILE, ipatasertib_safety, write_bundled
from survstat.tables import AE_ARD_COLUMNS
from survstat.tables.ae_display import ae_display

SECTION = readme_case_study("Ipatasertib with endocrine therapy and palbociclib")
ARMS = (
    "A: fulvestrant + AKTi",
    "B: aromatase inhibitor + AKTi",
    "C: fulvestrant + AKTi + palbociclib",
)
PACKAGE = Path(survstat.datasets.__file__).parent


@pytest.fixture(scope="module")
def out(tmp_path_factory) -> Path:
    return run_example("ipatasertib_phase1b", tmp_path_factory.mktemp("ipat"), report=True)


def _row(label: str, cells) -> str:
    return f"| {label} | " + " | ".join(cells) + " |"


def test_the_job_writes_every_table_figure_and_the_report(out):
    for name in ("ae_summary.parquet", "ae_summary.docx", "ae_summary.rtf", "derived.parquet",
                 "efficacy.parquet", "target_sums.parquet", "swimmer.png", "waterfall.png"):  # fmt: skip
        assert (out / name).stat().st_size > 0, name
    report = (out / "report.html").read_text(encoding="utf-8")
    for text in ("Subjects with any treatment-emergent adverse event", "Worst grade 3",
                 "DLT in cycle 1", "Neutropenia"):  # fmt: skip
        assert text in report


def test_the_adverse_event_table(out):
    ard = pl.read_parquet(out / "ae_summary.parquet")
    assert ard.columns == ["TRT01A", *AE_ARD_COLUMNS]
    assert tuple(ard.get_column("TRT01A").unique(maintain_order=True)) == ARMS
    any_ae = ard.filter(pl.col("statistic") == "any_ae")
    # the safety population: two subjects of arm C never dosed
    assert any_ae.get_column("denominator").to_list() == [40, 40, 38]
    adsl = survstat.datasets.load("ipatasertib_adsl").filter(pl.col("SAFFL") == "Y")
    evaluable = adsl.filter(pl.col("DLTEVLFL") == "Y").group_by("TRT01A").len().sort("TRT01A")
    dlt = ard.filter(pl.col("statistic") == "dlt")
    assert dlt.get_column("denominator").to_list() == evaluable.get_column("len").to_list()
    # the worst grades add up to the subjects with any adverse event
    worst = ard.filter(pl.col("statistic") == "worst_grade").group_by("TRT01A", maintain_order=True)
    assert (
        worst.agg(pl.col("n").sum()).get_column("n").to_list() == any_ae.get_column("n").to_list()
    )
    # every preferred term of the profile, under its class
    terms = ard.filter(pl.col("statistic") == "term").select("soc", "term").unique()
    assert set(terms.iter_rows()) <= {(soc, t) for t, (soc, *_) in AE_PROFILE.items()}
    assert ard.filter(pl.col("rate").is_null()).height == 0


def test_every_quoted_safety_number_is_the_jobs(out):
    display = ae_display(pl.read_parquet(out / "ae_summary.parquet"), treatment_emergent=True)
    rows = list(display.rows)
    assert display.columns == tuple(
        f"{arm} (N={n})" for arm, n in zip(ARMS, (40, 40, 38), strict=True)
    )
    assert_quoted(SECTION, "| Safety population, n (%) (95% CI) | " + " | ".join(display.columns))
    first = {}
    for i, r in enumerate(rows):
        first.setdefault((r.label, r.indent), i)
    overview = [
        (
            "Any treatment-emergent adverse event",
            ("Subjects with any treatment-emergent adverse event", 0),
        ),
        ("Worst grade 3", ("Worst grade 3", 1)),
        ("Worst grade 4", ("Worst grade 4", 1)),
        ("Grade 3 or higher", ("Grade 3 or higher", 0)),
        ("Serious", ("Serious adverse event", 0)),
        ("Leading to discontinuation", ("Leading to discontinuation", 0)),
        ("DLT in cycle 1, of the DLT-evaluable", ("DLT in cycle 1 (of the DLT-evaluable)", 0)),
    ]
    for label, key in overview:
        i = first[key]
        assert rows[i + 1].label == "95% CI"
        cells = [f"{c} {ci}" for c, ci in zip(rows[i].cells, rows[i + 1].cells, strict=True)]
        assert_quoted(SECTION, _row(label, cells))
    for term in ("Diarrhoea", "Hyperglycaemia", "Rash maculo-papular", "Neutropenia"):
        i = first[(term, 1)]
        assert_quoted(SECTION, _row(f"{term}, any grade", rows[i].cells))
        j = next(k for k in range(i + 1, len(rows)) if rows[k].label == "Grade 3-4")
        assert all(r.indent == 2 for r in rows[i + 1 : j + 1])
        assert_quoted(SECTION, _row(f"{term}, grade 3-4", rows[j].cells))


def test_every_quoted_efficacy_number_is_the_jobs(out):
    efficacy = pl.read_parquet(out / "efficacy.parquet")
    assert tuple(efficacy.get_column("arm")) == ARMS
    rows = efficacy.to_dicts()

    def rate(r, key):
        return f"{100 * r[key]:.1f}% ({100 * r[key + '_conf_low']:.1f}, {100 * r[key + '_conf_high']:.1f})"

    def median(r, key):
        return f"{r[key]:.0f} ({r[key + '_conf_low']:.0f}, {r[key + '_conf_high']:.0f})"

    assert_quoted(SECTION, _row("ORR (confirmed CR or PR)", [rate(r, "orr") for r in rows]))
    assert_quoted(SECTION, _row("CBR (CR, PR or SD for 24 weeks)", [rate(r, "cbr") for r in rows]))
    assert_quoted(SECTION, _row("Median PFS, days", [median(r, "pfs_median") for r in rows]))
    assert_quoted(SECTION, _row("12-month OS", [rate(r, "os_rate_12m") for r in rows]))


def test_the_section_shows_the_job_and_says_the_data_are_synthetic():
    assert_quoted(SECTION, "survstat run examples/ipatasertib_phase1b.toml --output "
                  "results/ipatasertib -q")  # fmt: skip
    assert "SYNTHETIC" in SECTION
    assert "docs/images/ipatasertib_waterfall.png" in SECTION
    job = (Path(__file__).parent.parent / "examples" / "ipatasertib_phase1b.toml").read_text()
    assert 'output = "results/ipatasertib"' in job
    assert 'report = "report.html"' in job
    assert "SYNTHETIC" in job.split("[job]")[0]


def test_bundled_files_are_the_generator_output(tmp_path):
    write_bundled(tmp_path)
    for name in ("ipatasertib_adsl.xpt", "ipatasertib_adae.xpt"):
        assert (tmp_path / name).read_bytes() == (PACKAGE / name).read_bytes(), name
    adsl, adae = ipatasertib_safety()
    assert survstat.datasets.load("ipatasertib_adsl").equals(adsl)
    assert survstat.datasets.load("ipatasertib_adae").equals(adae)


def test_the_generator_follows_the_design():
    adsl, adae = ipatasertib_safety()
    subjects = survstat.datasets.load("breast_trial_subjects")
    treated = adsl.filter(pl.col("SAFFL") == "Y")
    # the breast trial's subjects and arms; two never dosed (no arm, no adverse event)
    assert adsl.get_column("USUBJID").to_list() == subjects.get_column("subject_id").to_list()
    assert (
        treated.join(subjects, left_on="USUBJID", right_on="subject_id")
        .filter(pl.col("TRT01A") != pl.col("arm"))
        .is_empty()
    )
    assert adsl.height - treated.height == 2
    assert adae.filter(~pl.col("USUBJID").is_in(treated.get_column("USUBJID").to_list())).is_empty()
    # grades 1-5 as CTCAE text; DLTs only in cycle 1; pre-treatment events not emergent
    assert set(adae.get_column("AETOXGR")) <= {"1", "2", "3", "4", "5"}
    assert set(adae.filter(pl.col("DLTFL") == "Y").get_column("ACYCLE")) == {1.0}
    assert (adae.filter(pl.col("TRTEMFL") == "N").get_column("ASTDY") < 1).all()
    # neutropenia is palbociclib's: far more frequent in arm C
    arm = adae.join(adsl.select("USUBJID", "TRT01A"), on="USUBJID")
    neutropenia = (
        arm.filter(pl.col("AEDECOD") == "Neutropenia")
        .group_by("TRT01A")
        .agg(pl.col("USUBJID").n_unique())
    )
    by_arm = dict(neutropenia.iter_rows())
    assert by_arm[ARMS[2]] > 3 * max(by_arm.get(ARMS[0], 0), by_arm.get(ARMS[1], 0))


def test_the_quoted_populations_are_the_jobs(out):
    """Safety in the treated subjects (SAFFL = Y), efficacy in every enrolled subject: the
    counts, and the two never-dosed subjects, the README names are the job's."""
    ae = pl.read_parquet(out / "ae_summary.parquet").filter(pl.col("statistic") == "any_ae")
    safety = ae.get_column("denominator").to_list()
    efficacy = pl.read_parquet(out / "efficacy.parquet").get_column("n").to_list()
    assert_quoted(
        SECTION,
        f"the {sum(safety)} treated subjects (`SAFFL` = Y: {safety[0]}, {safety[1]} and "
        f"{safety[2]})",
    )
    assert len(set(efficacy)) == 1
    assert_quoted(SECTION, f"all {sum(efficacy)} enrolled subjects, {efficacy[0]} per arm")
    assert_quoted(SECTION, f"all enrolled subjects, {efficacy[0]} per arm, the two never dosed")
    adsl = survstat.datasets.load("ipatasertib_adsl")
    never = adsl.filter(pl.col("SAFFL") == "N").get_column("USUBJID").to_list()
    derived = pl.read_parquet(out / "derived.parquet")
    arms = derived.filter(pl.col("subject_id").is_in(never)).get_column("arm").unique()
    assert arms.to_list() == [ARMS[2]]
    assert_quoted(SECTION, f"Two subjects of arm C ({never[0]} and {never[1]}) are never dosed")
    # they are in the efficacy analysis (ITT), with tumour assessments, not in the safety one
    assert derived.height == sum(efficacy)
    assert set(never) <= set(derived.get_column("subject_id"))
    assert sum(safety) == adsl.height - len(never)
