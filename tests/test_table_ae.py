"""The adverse-event summary (``survstat table ae``, :func:`survstat.tables.ae_table`).

Small hand-built tables pin each counting rule (worst grade per subject, one count per subject
and term, denominators from ADSL, zero-count arms, the treatment-emergent and population
filters, DLTs in cycle 1 over the DLT-evaluable subjects) and each error with its message;
every count and Clopper-Pearson interval of the bundled synthetic ipatasertib study is
compared with R (``tests/reference/make_reference_table_ae.R``: counts in base R, intervals
by ``binom.test``).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

import survstat
from survstat.analyses.ae_table import GRADE_ROWS
from survstat.cli import app
from survstat.errors import ColumnNotFoundError, InvalidValueError, MissingValueError
from survstat.tables import AE_ARD_COLUMNS, ae_table
from survstat.tables.ae_display import ae_display

HERE = Path(__file__).parent
R = json.loads((HERE / "reference" / "r_reference_table_ae.json").read_text())
runner = CliRunner()
GI = "Gastrointestinal disorders"
SKIN = "Skin and subcutaneous tissue disorders"
#: The options of the full ADaM layout of the bundled study.
ADAM = {
    "by": "TRT01A",
    "population": "SAFFL",
    "serious": "AESER",
    "discontinuation": "AEACN",
    "treatment_emergent": "TRTEMFL",
    "dlt": "DLTFL",
    "dlt_cycle": "ACYCLE",
    "dlt_population": "DLTEVLFL",
}


def _adsl() -> pl.DataFrame:
    """Four subjects in A (one without any AE), one in B, one in C (no AE at all)."""
    return pl.DataFrame(
        {
            "USUBJID": ["1", "2", "3", "4", "5", "6"],
            "ARM": ["A", "A", "A", "A", "B", "C"],
            "SAFFL": ["Y", "Y", "Y", "Y", "Y", "Y"],
            "DLTEVLFL": ["Y", "Y", "N", "Y", "Y", "Y"],
        }
    )


def _adae() -> pl.DataFrame:
    """Subject 1: diarrhoea twice (grades 1 and 3) and rash grade 2; subject 2: diarrhoea
    grade 2 (serious, withdrawn, a DLT in cycle 2); subject 3 (not DLT-evaluable): rash grade
    4 in cycle 1, not a DLT; subject 5: nausea grade 1 (a DLT in cycle 1)."""
    return pl.DataFrame(
        {
            "USUBJID": ["1", "1", "1", "2", "3", "5"],
            "AEDECOD": ["Diarrhoea", "Diarrhoea", "Rash", "Diarrhoea", "Rash", "Nausea"],
            "AEBODSYS": [GI, GI, SKIN, GI, SKIN, GI],
            "AETOXGR": ["1", "3", "2", "2", "4", "1"],
            "AESER": ["N", "N", "N", "Y", "N", "N"],
            "AEACN": ["DOSE NOT CHANGED", "DRUG INTERRUPTED", "DOSE NOT CHANGED",
                      "DRUG WITHDRAWN", "DOSE REDUCED", "DOSE NOT CHANGED"],
            "TRTEMFL": ["Y", "Y", "Y", "Y", "Y", "Y"],
            "DLTFL": ["N", "N", "N", "Y", "N", "Y"],
            "ACYCLE": [1.0, 1.0, 2.0, 2.0, 1.0, 1.0],
        }
    )  # fmt: skip


def _table(adae=None, adsl=None, **options):
    options = {**ADAM, "by": "ARM", **options}
    return ae_table(_adae() if adae is None else adae, _adsl() if adsl is None else adsl,
                    **options)  # fmt: skip


def _cell(ard, arm, statistic, soc=None, term=None, grade=None) -> dict:
    rows = ard.filter(pl.col(ard.columns[0]) == arm, pl.col("statistic") == statistic)
    for column, value in (("soc", soc), ("term", term), ("grade", grade)):
        rows = rows.filter(pl.col(column).is_null() if value is None else pl.col(column) == value)
    assert rows.height == 1, (arm, statistic, soc, term, grade, rows)
    return rows.row(0, named=True)


def _n(ard, arm, statistic, soc=None, term=None, grade=None) -> tuple[int, int]:
    r = _cell(ard, arm, statistic, soc, term, grade)
    return r["n"], r["denominator"]


def test_schema_and_row_order():
    ard = _table().ard
    assert tuple(ard.columns) == ("ARM", *AE_ARD_COLUMNS)
    assert ard.schema["n"] == pl.Int64
    assert ard.schema["denominator"] == pl.Int64
    a = ard.filter(pl.col("ARM") == "A")
    assert a.get_column("statistic").to_list()[:10] == [
        "any_ae", *["worst_grade"] * 5, "grade_3_plus", "serious", "discontinuation", "dlt",
    ]  # fmt: skip
    # classes by decreasing subjects over all arms (GI: 3, skin: 2), the class row first
    socs = a.filter(pl.col("statistic") == "soc").get_column("soc").unique(maintain_order=True)
    assert socs.to_list() == [GI, SKIN]
    terms = a.filter(pl.col("statistic") == "term").get_column("term").unique(maintain_order=True)
    assert terms.to_list() == ["Diarrhoea", "Nausea", "Rash"]
    grades = a.filter(pl.col("statistic") == "term", pl.col("term") == "Rash")
    assert grades.get_column("grade").to_list() == ["any", "1-2", "1", "2", "3-4", "3", "4", "5"]
    assert ard.get_column("ARM").unique(maintain_order=True).to_list() == ["A", "B", "C"]


def test_worst_grade_per_subject():
    """Subject 1 (grades 1, 3, 2) counts once, at grade 3; subject 2 at 2; subject 3 at 4."""
    ard = _table().ard
    assert [_n(ard, "A", "worst_grade", grade=str(g))[0] for g in range(1, 6)] == [0, 1, 1, 1, 0]
    assert _n(ard, "A", "any_ae") == (3, 4)
    assert _n(ard, "A", "grade_3_plus") == (2, 4)


def test_two_events_of_one_term_count_once_at_the_worst_grade():
    """Subject 1's diarrhoea (grades 1 and 3) is one subject in grade 3, none in grade 1."""
    ard = _table().ard
    assert _n(ard, "A", "term", GI, "Diarrhoea", "any") == (2, 4)
    assert _n(ard, "A", "term", GI, "Diarrhoea", "3") == (1, 4)
    assert _n(ard, "A", "term", GI, "Diarrhoea", "3-4") == (1, 4)
    assert _n(ard, "A", "term", GI, "Diarrhoea", "1") == (0, 4)
    assert _n(ard, "A", "term", GI, "Diarrhoea", "2") == (1, 4)
    assert _n(ard, "A", "term", GI, "Diarrhoea", "1-2") == (1, 4)
    # in the class, subject 1's worst is 3 (diarrhoea), not its rash's 2
    assert _n(ard, "A", "soc", SKIN, None, "2") == (1, 4)
    assert _n(ard, "A", "soc", SKIN, None, "4") == (1, 4)
    assert _n(ard, "A", "soc", GI, None, "3") == (1, 4)


def test_denominators_are_the_adsl_subjects_not_those_of_adae():
    """Subject 4 (arm A) has no adverse event and arm C none at all: both count in N."""
    ard = _table().ard
    assert set(ard.filter(pl.col("ARM") == "A").get_column("denominator")) - {3} == {4}
    assert _n(ard, "C", "any_ae") == (0, 1)


def test_a_zero_count_arm_is_0_of_n_with_the_exact_interval():
    """0 of n: rate 0 and the Clopper-Pearson interval (0, 1 - (alpha/2)^(1/n))."""
    adsl = _adsl().with_columns(
        pl.when(pl.col("ARM") == "C").then(pl.lit("C")).otherwise(pl.col("ARM")).alias("ARM")
    )
    adsl = pl.concat([adsl, adsl.filter(pl.col("ARM") == "C").with_columns(USUBJID=pl.lit("7"))])
    ard = _table(adsl=adsl).ard
    for statistic, grade in (("any_ae", None), ("grade_3_plus", None), ("serious", None)):
        r = _cell(ard, "C", statistic, grade=grade)
        assert (r["n"], r["denominator"], r["rate"], r["conf_low"]) == (0, 2, 0.0, 0.0)
        assert r["conf_high"] == pytest.approx(1 - 0.025**0.5, rel=1e-12)
    r = _cell(ard, "C", "term", GI, "Diarrhoea", "any")
    assert (r["n"], r["denominator"]) == (0, 2)
    assert r["note"] is None


def test_serious_and_discontinuation_from_their_columns():
    ard = _table().ard
    assert _n(ard, "A", "serious") == (1, 4)
    assert _n(ard, "A", "discontinuation") == (1, 4)  # DRUG WITHDRAWN only
    flag = _adae().with_columns(AEACN=pl.Series(["N", "Y", "N", "N", "", "N"]))
    assert _n(_table(adae=flag).ard, "A", "discontinuation") == (1, 4)
    ard = _table(serious=None, discontinuation=None).ard
    assert not set(ard.get_column("statistic")) & {"serious", "discontinuation"}


def test_dlt_in_cycle_1_over_the_dlt_evaluable():
    """Subject 2's DLT is in cycle 2: none in A (3 evaluable, subject 3 is not); subject 5's
    cycle-1 DLT counts in B. Without a cycle every flagged DLT counts."""
    ard = _table().ard
    assert _n(ard, "A", "dlt") == (0, 3)
    assert _n(ard, "B", "dlt") == (1, 1)
    assert _n(_table(dlt_cycle=None).ard, "A", "dlt") == (1, 3)
    assert _n(_table(dlt_population=None).ard, "A", "dlt") == (0, 4)
    assert "dlt" not in _table(dlt=None).ard.get_column("statistic").to_list()


def test_treatment_emergent_and_population_filters_with_notes():
    adae = _adae().with_columns(TRTEMFL=pl.Series(["Y", "N", "Y", "Y", "Y", "Y"]))
    adsl = _adsl().with_columns(SAFFL=pl.Series(["Y", "Y", "N", "Y", "Y", "Y"]))
    t = _table(adae=adae, adsl=adsl)
    # subject 1's grade 3 diarrhoea is not treatment-emergent; subject 3 is not in SAFFL
    assert _n(t.ard, "A", "worst_grade", grade="2") == (2, 3)
    assert _n(t.ard, "A", "grade_3_plus") == (0, 3)
    assert t.notes == (
        'population SAFFL = "Y": 5 of 6 subjects kept, 1 removed',
        'TRTEMFL = "Y": 5 of 6 adverse events are treatment-emergent, 1 left out',
        "1 adverse event of 1 subject outside the population left out",
    )


def test_numeric_grades_are_read_as_grades():
    adae = _adae().with_columns(pl.col("AETOXGR").cast(pl.Int64))
    assert _table(adae=adae).ard.equals(_table().ard)
    adae = _adae().with_columns(pl.col("AETOXGR").cast(pl.Float64))
    assert _table(adae=adae).ard.equals(_table().ard)


@pytest.mark.parametrize(
    ("grades", "error", "message"),
    [
        (["1", "3", "2", "0", "4", "1"], InvalidValueError,
         r"^`AETOXGR` \(CTCAE v5 grade\) must be a grade 1 to 5; found 1 bad value "
         r"\(first: '0' at row 3, subject '2'\)$"),
        (["6", "3", "2", "7", "4", "1"], InvalidValueError,
         r"found 2 bad values \(first: '6' at row 0, subject '1'\)"),
        (["1", "3", "2", "2", "G4", "1"], InvalidValueError, r"\(first: 'G4' at row 4"),
        (["1", None, "2", "2", "4", "1"], MissingValueError,
         r"^`AETOXGR` \(CTCAE v5 grade\) must be a grade 1 to 5; found 1 missing value "
         r"\(first: null at row 1, subject '1'\)$"),
    ],
)  # fmt: skip
def test_grades_outside_1_to_5_are_errors(grades, error, message):
    with pytest.raises(error, match=message):
        _table(adae=_adae().with_columns(AETOXGR=pl.Series(grades)))


def test_subjects_of_adae_not_in_adsl_are_errors():
    adae = _adae().with_columns(USUBJID=pl.Series(["1", "1", "9", "2", "3", "8"]))
    with pytest.raises(
        InvalidValueError,
        match=r"^`USUBJID` \(subject\) must be a subject of ADSL; found 2 bad values "
        r"\(first: '9' at row 2\)$",
    ):
        _table(adae=adae)


def test_a_missing_arm_is_an_error():
    adsl = _adsl().with_columns(ARM=pl.Series(["A", "A", None, "A", "", "C"]))
    with pytest.raises(
        MissingValueError,
        match=r"^`ARM` \(arm\) must be given for every subject analysed; found 2 missing "
        r"values \(first: null at row 2, subject '3'\)$",
    ):
        _table(adsl=adsl)
    # a subject outside the population may lack an arm (never treated)
    adsl = _adsl().with_columns(
        ARM=pl.Series(["A", "A", "", "A", "B", "C"]), SAFFL=pl.Series(["Y", "Y", "N"] + ["Y"] * 3)
    )
    assert _n(_table(adsl=adsl).ard, "A", "any_ae") == (2, 3)


@pytest.mark.parametrize(
    ("column", "values", "message"),
    [
        ("AESER", ["N", "N", "N", "yes", "N", "N"],
         r'^`AESER` \(serious\) must be "Y" or "N" or blank; found 1 bad value '
         r"\(first: 'yes' at row 3, subject '2'\)$"),
        ("AEACN", ["DOSE NOT CHANGED"] * 5 + ["STOPPED"],
         r"^`AEACN` \(action taken\) must be .*\"DRUG WITHDRAWN\".*; found 1 bad value "
         r"\(first: 'STOPPED' at row 5, subject '5'\)$"),
        ("DLTFL", ["N", "Y", "N", "Y", "Y", "1"], r"^`DLTFL` \(dlt\) must be"),
        ("TRTEMFL", ["Y", "Y", "Y", "Y", "Y", "X"], r"^`TRTEMFL` \(treatment-emergent\)"),
    ],
)  # fmt: skip
def test_bad_flags_are_errors(column, values, message):
    with pytest.raises(InvalidValueError, match=message):
        _table(adae=_adae().with_columns(pl.Series(column, values)))


def test_other_input_errors():
    adae = _adae().with_columns(AEDECOD=pl.Series(["Diarrhoea", None, "Rash", "", "Rash", "x"]))
    with pytest.raises(MissingValueError, match=r"^`AEDECOD` \(term\) must be given on every "
                       r"adverse event; found 2 missing values \(first: null at row 1"):  # fmt: skip
        _table(adae=adae)
    # the error names the option that named the column
    with pytest.raises(
        ColumnNotFoundError, match=r"column `AETOXGRX` \(given as grade\) not found in ADAE"
    ):
        _table(grade="AETOXGRX")
    with pytest.raises(ColumnNotFoundError, match=r"column `TRT01A` \(given as by\) not found"):
        _table(by="TRT01A")
    twice = pl.concat([_adsl(), _adsl().head(1)])
    with pytest.raises(InvalidValueError, match=r"`USUBJID` \(subject\) must be unique in ADSL"):
        _table(adsl=twice)
    cycle = _adae().with_columns(ACYCLE=pl.Series([None, 1.0, 2.0, 0.0, 1.0, 1.0]))
    with pytest.raises(InvalidValueError, match=r"^`ACYCLE` \(cycle\) must be a cycle number of "
                       r"1 or more on every DLT; found 1 bad value \(first: 0.0 at row 3"):  # fmt: skip
        _table(adae=cycle)
    flags = _adsl().with_columns(DLTEVLFL=pl.Series(["Y", "maybe", "N", "Y", "Y", "Y"]))
    with pytest.raises(InvalidValueError, match=r"`DLTEVLFL` \(population flag\) in ADSL"):
        _table(adsl=flags)


def test_display_rows_and_cells():
    d = ae_display(_table().ard)
    assert d.columns == ("A (N=4)", "B (N=1)", "C (N=1)")
    rows = {r.label: r.cells for r in d.rows if r.indent == 0}
    assert rows["Subjects with any adverse event"] == ("3 (75.0%)", "1 (100.0%)", "0 (0.0%)")
    assert rows["DLT in cycle 1 (of the DLT-evaluable)"] == (
        "0/3 (0.0%)", "1/1 (100.0%)", "0/1 (0.0%)",
    )  # fmt: skip
    assert d.rows[1].label == "95% CI"
    assert d.rows[1].cells[2] == "(0.0, 97.5)"
    labels = [(r.indent, r.label) for r in d.rows]
    start = labels.index((0, GI))
    # grade rows that are 0 in every arm are left out (Rash shows grades 2 and 4 only)
    assert labels[start:start + 9] == [
        (0, GI), (1, "Diarrhoea"), (2, "Grade 1-2"), (2, "Grade 2"), (2, "Grade 3-4"),
        (2, "Grade 3"), (1, "Nausea"), (2, "Grade 1-2"), (2, "Grade 1"),
    ]  # fmt: skip
    assert any("Clopper-Pearson" in f for f in d.footnotes)


def test_matches_r_on_the_bundled_study():
    """Every count, denominator and Clopper-Pearson limit equals base R and binom.test."""
    adsl = survstat.datasets.load("ipatasertib_adsl")
    adae = survstat.datasets.load("ipatasertib_adae")
    ard = ae_table(adae, adsl, **ADAM).ard
    assert ard.height == len(R)
    ours = {
        (r["TRT01A"], r["statistic"], r["soc"], r["term"], r["grade"]): r
        for r in ard.iter_rows(named=True)
    }
    for ref in R:
        r = ours[(ref["arm"], ref["statistic"], ref["soc"], ref["term"], ref["grade"])]
        assert (r["n"], r["denominator"]) == (ref["n"], ref["denominator"]), ref
        assert r["conf_low"] == pytest.approx(ref["conf_low"], rel=1e-12, abs=1e-15), ref
        assert r["conf_high"] == pytest.approx(ref["conf_high"], rel=1e-12, abs=1e-15), ref


def test_cli_writes_the_ard_and_the_display(tmp_path):
    adae = survstat.datasets.path("ipatasertib_adae")
    adsl = survstat.datasets.path("ipatasertib_adsl")
    options = [f"--{k.replace('_', '-')}={v}" for k, v in ADAM.items()]
    r = runner.invoke(app, ["table", "ae", adae, "--adsl", adsl, *options, "-o",
                            str(tmp_path / "ae.parquet")])  # fmt: skip
    assert r.exit_code == 0, r.output
    assert pl.read_parquet(tmp_path / "ae.parquet").columns == ["TRT01A", *AE_ARD_COLUMNS]
    for suffix in (".html", ".docx", ".rtf"):
        r = runner.invoke(app, ["table", "ae", adae, "--adsl", adsl, *options, "-o",
                                str(tmp_path / f"ae{suffix}")])  # fmt: skip
        assert r.exit_code == 0, r.output
        assert (tmp_path / f"ae{suffix}").stat().st_size > 1000
    assert (
        "Subjects with any treatment-emergent adverse event" in (tmp_path / "ae.html").read_text()
    )


def test_cli_errors_are_one_line(tmp_path):
    bad = _adae().with_columns(AETOXGR=pl.Series(["1", "3", "2", "9", "4", "1"]))
    bad.write_parquet(tmp_path / "adae.parquet")
    _adsl().write_parquet(tmp_path / "adsl.parquet")
    r = runner.invoke(app, ["table", "ae", str(tmp_path / "adae.parquet"), "--adsl",
                            str(tmp_path / "adsl.parquet"), "--by", "ARM"])  # fmt: skip
    assert r.exit_code == 1
    assert "Traceback" not in r.output
    lines = [line for line in r.output.splitlines() if line.strip()]
    assert len(lines) == 1
    assert "`AETOXGR` (CTCAE v5 grade) must be a grade 1 to 5" in lines[0]


def test_an_arm_without_dlt_evaluable_subjects_has_a_null_dlt_rate_with_its_reason():
    adsl = _adsl().with_columns(DLTEVLFL=pl.Series(["Y", "Y", "N", "Y", "Y", "N"]))
    t = _table(adsl=adsl)
    r = _cell(t.ard, "C", "dlt")
    assert (r["n"], r["denominator"], r["rate"], r["conf_low"], r["conf_high"]) == (
        0, 0, None, None, None,
    )  # fmt: skip
    assert r["note"] == "no DLT-evaluable subjects in this arm: the rate is undefined"
    rows = {row.label: row.cells for row in ae_display(t.ard).rows}
    assert rows["DLT in cycle 1 (of the DLT-evaluable)"][2] == "0/0 (NE)"
    assert t.ard.filter(pl.col("rate").is_null()).height == 1


def _oracle(adae: pl.DataFrame, adsl: pl.DataFrame) -> dict[tuple, tuple[int, int]]:
    """Every count of the ARD by plain loops over the rows (no TRTEMFL, DLT or population)."""
    arm_of = dict(zip(adsl["USUBJID"], adsl["ARM"], strict=True))
    size: dict = {}
    for arm in arm_of.values():
        size[arm] = size.get(arm, 0) + 1
    worst: dict = {}
    for subject, term, soc, grade, serious in adae.select(
        "USUBJID", "AEDECOD", "AEBODSYS", "AETOXGR", "AESER"
    ).iter_rows():
        for key in ((subject,), (subject, soc), (subject, soc, term)):
            worst[key] = max(worst.get(key, 0), int(grade))
        if serious == "Y":
            worst[(subject, "serious")] = 1
    out: dict = {}

    def add(arm, statistic, soc, term, grade, hit):
        key = (arm, statistic, soc, term, grade)
        n, d = out.get(key, (0, 0))
        out[key] = (n + hit, d + 1)

    socs = {(soc, term) for term, soc in adae.select("AEDECOD", "AEBODSYS").iter_rows()}
    for subject, arm in arm_of.items():
        w = worst.get((subject,), 0)
        add(arm, "any_ae", None, None, None, w > 0)
        for g in range(1, 6):
            add(arm, "worst_grade", None, None, str(g), w == g)
        add(arm, "grade_3_plus", None, None, None, w >= 3)
        add(arm, "serious", None, None, None, (subject, "serious") in worst)
        for soc in {s for s, _ in socs}:
            for code, grades in GRADE_ROWS.items():
                add(arm, "soc", soc, None, code, worst.get((subject, soc), 0) in grades)
        for soc, term in socs:
            for code, grades in GRADE_ROWS.items():
                add(arm, "term", soc, term, code, worst.get((subject, soc, term), 0) in grades)
    return out


@pytest.mark.parametrize("seed", range(8))
def test_counts_equal_a_loop_over_the_rows(seed):
    """Random ADSL/ADAE (integer arm codes, repeated terms, arms without events): every count
    and denominator equals a plain loop's."""
    rng = np.random.default_rng(seed)
    n_subjects = int(rng.integers(3, 30))
    adsl = pl.DataFrame(
        {
            "USUBJID": [f"S{i}" for i in range(n_subjects)],
            "ARM": rng.integers(1, 4, n_subjects).tolist(),
        }
    )
    n_events = int(rng.integers(0, 60))
    terms = [("Diarrhoea", GI), ("Nausea", GI), ("Rash", SKIN), ("Pruritus", SKIN)]
    picked = rng.integers(0, len(terms), n_events)
    adae = pl.DataFrame(
        {
            "USUBJID": rng.choice(adsl["USUBJID"].to_list(), n_events).tolist(),
            "AEDECOD": [terms[i][0] for i in picked],
            "AEBODSYS": [terms[i][1] for i in picked],
            "AETOXGR": rng.integers(1, 6, n_events).tolist(),
            "AESER": rng.choice(["Y", "N", ""], n_events).tolist(),
        },
        schema_overrides={"USUBJID": pl.String, "AEDECOD": pl.String, "AEBODSYS": pl.String,
                          "AETOXGR": pl.Int64, "AESER": pl.String},
    )  # fmt: skip
    ard = ae_table(adae, adsl, by="ARM", serious="AESER").ard
    expected = _oracle(adae, adsl)
    got = {
        (r["ARM"], r["statistic"], r["soc"], r["term"], r["grade"]): (r["n"], r["denominator"])
        for r in ard.iter_rows(named=True)
    }
    assert got == expected
    assert ard.schema["ARM"] == pl.Int64
    assert ard["ARM"].unique(maintain_order=True).to_list() == sorted(set(adsl["ARM"]), key=str)


@pytest.mark.parametrize("kind", ["lazy", "arrow", "pandas", "parquet"])
def test_every_input_backend_gives_the_same_table(kind, tmp_path):
    def as_input(frame: pl.DataFrame, name: str):
        if kind == "lazy":
            return frame.lazy()
        if kind == "arrow":
            return frame.to_arrow()
        if kind == "pandas":
            return frame.to_pandas()
        path = tmp_path / f"{name}.parquet"
        frame.write_parquet(path)
        return str(path)

    expected = _table().ard
    got = _table(adae=as_input(_adae(), "adae"), adsl=as_input(_adsl(), "adsl")).ard
    assert got.equals(expected)


@pytest.mark.parametrize(("ids", "n"), [(["1", "1", None, "2", "3", "5"], 1),
                                        (["1", "1", " ", "2", None, "5"], 2)])  # fmt: skip
def test_an_adverse_event_without_a_subject_is_an_error(ids, n):
    """A null or blank USUBJID in ADAE is not silently dropped by the join to ADSL."""
    adae = _adae().with_columns(USUBJID=pl.Series(ids, dtype=pl.String))
    values = "value" if n == 1 else "values"
    first = "null" if n == 1 else "' '"
    with pytest.raises(
        MissingValueError,
        match=rf"^`USUBJID` \(subject\) must be given on every adverse event; found {n} "
        rf"missing {values} \(first: {first} at row 2\)$",
    ):
        _table(adae=adae)


def test_a_subject_of_adsl_without_an_id_is_an_error():
    adsl = _adsl().with_columns(USUBJID=pl.Series(["1", "2", "3", "4", "5", None]))
    with pytest.raises(
        MissingValueError,
        match=r"^`USUBJID` \(subject\) must be given for every subject of ADSL; found 1 "
        r"missing value \(first: null at row 5\)$",
    ):
        _table(adsl=adsl)


def test_a_dlt_of_a_subject_not_dlt_evaluable_is_an_error():
    """A subject with a DLT is DLT-evaluable by definition: subject 3 (DLTEVLFL "N") with a
    cycle-1 DLT is a data error naming both columns, the subject and the row."""
    adae = _adae().with_columns(DLTFL=pl.Series(["N", "N", "N", "Y", "Y", "Y"]))
    with pytest.raises(
        InvalidValueError,
        match=r'^`DLTFL` = "Y" in cycle 1 \(`ACYCLE`\) makes a subject DLT-evaluable, so '
        r'`DLTEVLFL` in ADSL must be "Y" for them; found 1 DLT in 1 subject not '
        r"DLT-evaluable \(first: subject '3' at row 4 of ADAE\)$",
    ):
        _table(adae=adae)
    # a DLT outside cycle 1 does not count, and a non-evaluable subject may have one
    later = adae.with_columns(ACYCLE=pl.Series([1.0, 1.0, 2.0, 2.0, 2.0, 1.0]))
    assert _n(_table(adae=later).ard, "A", "dlt") == (0, 3)
    # without a cycle every flagged DLT counts, so the check covers them all
    with pytest.raises(InvalidValueError, match=r'^`DLTFL` = "Y" makes a subject'):
        _table(adae=later, dlt_cycle=None)


def test_an_arm_without_subjects_in_the_population_stays_with_n_0():
    """Arm C's only subject is outside SAFFL: C keeps its column, 0 of 0 with null rates and
    the reason, and the display shows N=0, "0 (NE)" and a footnote."""
    adsl = _adsl().with_columns(SAFFL=pl.Series(["Y", "Y", "Y", "Y", "Y", "N"]))
    t = _table(adsl=adsl)
    assert t.arms == ("A", "B", "C")
    c = t.ard.filter(pl.col("ARM") == "C")
    assert c.height == t.ard.filter(pl.col("ARM") == "B").height
    assert set(c.get_column("n")) == {0}
    assert set(c.get_column("denominator")) == {0}
    assert c.get_column("rate").null_count() == c.height
    assert c.get_column("conf_high").null_count() == c.height
    assert set(c.filter(pl.col("statistic") != "dlt").get_column("note")) == {
        "no subjects of the population in this arm: the rate is undefined"
    }
    assert _cell(t.ard, "C", "dlt")["note"] == (
        "no DLT-evaluable subjects in this arm: the rate is undefined"
    )
    # the other arms are unchanged
    assert t.ard.filter(pl.col("ARM") != "C").equals(_table().ard.filter(pl.col("ARM") != "C"))
    d = ae_display(t.ard)
    assert d.columns == ("A (N=4)", "B (N=1)", "C (N=0)")
    rows = {r.label: r.cells for r in d.rows if r.indent == 0}
    assert rows["Subjects with any adverse event"][2] == "0 (NE)"
    assert d.rows[1].cells[2] == "NE"
    assert "NE: not estimable (no subject of the arm in the population)." in d.footnotes
    # without a population every subject counts: no note
    assert _table().ard.filter(pl.col("note").is_not_null()).is_empty()


@pytest.mark.parametrize(
    ("adsl_type", "adae_type"),
    [(pl.Int64, pl.String), (pl.String, pl.Int64), (pl.Int64, pl.Float64),
     (pl.Float64, pl.Int32)],
)  # fmt: skip
def test_subject_ids_of_different_types_are_joined(adsl_type, adae_type):
    """Integer ids in ADSL and text (or floats, as SAS transport files hold numbers) in
    ADAE: the same table, not a polars error."""
    adsl = _adsl().with_columns(pl.col("USUBJID").cast(pl.Int64).cast(adsl_type))
    adae = _adae().with_columns(pl.col("USUBJID").cast(pl.Int64).cast(adae_type))
    assert _table(adae=adae, adsl=adsl).ard.equals(_table().ard)
    # an id of ADAE that is not in ADSL is still named
    adae = adae.with_columns(pl.Series("USUBJID", [1, 1, 9, 2, 3, 5]).cast(adae_type))
    with pytest.raises(InvalidValueError, match=r"must be a subject of ADSL; found 1 bad value"):
        _table(adae=adae, adsl=adsl)


def test_display_labels_say_treatment_emergent_and_worst_grade():
    """With --treatment-emergent the first row says so; worst-grade rows read "Worst grade
    3" (the subjects whose highest grade is 3), not "Grade 3" (any grade 3 event)."""
    from survstat.tables.ae_display import run_ae_display

    ard = _table().ard
    d = run_ae_display(ard, {"treatment_emergent": "TRTEMFL", "population": "SAFFL"})
    labels = [(r.indent, r.label) for r in d.rows]
    assert labels[:4] == [
        (0, "Subjects with any treatment-emergent adverse event"), (1, "95% CI"),
        (0, "Subjects by worst grade"), (1, "Worst grade 1"),
    ]  # fmt: skip
    assert [label for i, label in labels if label.startswith("Worst grade")] == [
        f"Worst grade {g}" for g in range(1, 6)
    ]
    assert run_ae_display(ard, {}).rows[0].label == "Subjects with any adverse event"
    # per term the grade rows stay AET04's "Grade 3" (subjects at that worst grade in it)
    assert (2, "Grade 3") in labels
