"""The adverse-event summary of a safety analysis as analysis results data.

The primary safety tables of a phase I/Ib clinical study report, from an ADaM ADAE-like table
(one row per adverse event) over the subjects of an ADSL-like table (one row per subject,
the denominators): per arm the subjects with any treatment-emergent adverse event (TEAE), by
their worst CTCAE grade, with a grade 3 or higher event, a serious event, an event leading to
discontinuation and a dose-limiting toxicity (DLT) in cycle 1, each as a count over the arm's
subjects with the Clopper-Pearson interval (tern AET01/AET02); and the subjects by system
organ class and preferred term at their worst grade (tern AET04,
``count_occurrences_by_grade``: a subject counted once per row, at the highest grade of the
events in it).

The result is long-form analysis results data: one row per arm, statistic, system organ
class, term and grade (see :func:`ae_table`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

from survstat._choices import RateMethod
from survstat.adsl import (
    SUBJECT,
    align_subject_ids,
    check_flag,
    keep_population,
    show_value,
    with_adsl,
)
from survstat.errors import (
    ColumnNotFoundError,
    EmptyDataError,
    InvalidValueError,
    MissingValueError,
    counted,
)
from survstat.io import FrameLike, scan

#: The ARD's columns after the arm column, in order.
ARD_COLUMNS = (
    "statistic",
    "soc",
    "term",
    "grade",
    "n",
    "denominator",
    "rate",
    "conf_low",
    "conf_high",
    "note",
)
_SCHEMA = {
    "statistic": pl.String,
    "soc": pl.String,
    "term": pl.String,
    "grade": pl.String,
    "n": pl.Int64,
    "denominator": pl.Int64,
    "rate": pl.Float64,
    "conf_low": pl.Float64,
    "conf_high": pl.Float64,
    "note": pl.String,
}
#: CTCAE v5.0 grades: 1 mild, 2 moderate, 3 severe or medically significant, 4
#: life-threatening, 5 death related to the adverse event.
GRADES = (1, 2, 3, 4, 5)
#: The grade rows of the table by term, in tern AET04's default order: the grade groups
#: ``Any Grade``, ``Grade 1-2``, ``Grade 3-4`` and ``Grade 5``, each group followed by its
#: single grades (a group of one grade is that grade). Code -> grades it holds.
GRADE_ROWS: dict[str, tuple[int, ...]] = {
    "any": GRADES,
    "1-2": (1, 2),
    "1": (1,),
    "2": (2,),
    "3-4": (3, 4),
    "3": (3,),
    "4": (4,),
    "5": (5,),
}
#: The overview statistics, in order.
OVERVIEW = (
    "any_ae",
    "worst_grade",
    "grade_3_plus",
    "serious",
    "discontinuation",
    "dlt",
)
#: Values of the discontinuation column that mean the drug was withdrawn: a Y/N flag's "Y",
#: or the CDISC controlled term of AEACN (codelist ACN, C66767) ``DRUG WITHDRAWN``.
WITHDRAWN = ("Y", "DRUG WITHDRAWN")
#: The other values a discontinuation column may hold: "N", blank, and the rest of the ACN
#: codelist.
NOT_WITHDRAWN = (
    "N",
    "",
    "DOSE INCREASED",
    "DOSE NOT CHANGED",
    "DOSE RATE REDUCED",
    "DOSE REDUCED",
    "DRUG INTERRUPTED",
    "NOT APPLICABLE",
    "UNKNOWN",
)
#: The values of a Y/N flag (AESER, TRTEMFL, a DLT flag): blank is "N".
FLAG = ("Y", "N", "")

Row = dict[str, Any]


@dataclass(frozen=True, slots=True)
class AeTable:
    """The adverse-event summary, as analysis results data.

    Attributes
    ----------
    ard
        The long-form table ``<by>, statistic, soc, term, grade, n, denominator, rate,
        conf_low, conf_high, note`` (see :func:`ae_table`).
    by
        The arm column.
    arms
        The arms in table order (sorted as text).
    socs
        The system organ classes in table order (most subjects first), each with its terms
        in table order.
    method
        The interval of the rates.
    conf_level
        The level of every interval.
    dlt
        Whether the ARD holds the DLT rows.
    notes
        What was left out, one line each (AEs not treatment-emergent, subjects outside the
        population).
    """

    ard: pl.DataFrame
    by: str
    arms: tuple[Any, ...]
    socs: tuple[tuple[str, tuple[str, ...]], ...]
    method: RateMethod
    conf_level: float
    dlt: bool
    notes: tuple[str, ...] = ()


def _require(frame: pl.DataFrame, columns: Mapping[str, str | None], where: str) -> None:
    """Every named column of ``columns`` (option -> column) is in ``frame``; the error names
    the option that named a missing one, so the reader knows what to set."""
    for role, column in columns.items():
        if column is not None and column not in frame.columns:
            raise ColumnNotFoundError(column, frame.columns, role=role, where=where)


def _text(column: str) -> pl.Expr:
    return pl.col(column).cast(pl.String).str.strip_chars()


def _blank(column: str) -> pl.Expr:
    """Null, or text that is empty once stripped."""
    return pl.col(column).is_null() | (_text(column) == "").fill_null(False)


def _first_bad(frame: pl.DataFrame, bad: pl.Expr, column: str, what: str, rule: str) -> None:
    """Raise for the rows that are ``bad``, naming how many, the first row, its subject and
    value: ``MissingValueError`` when they are all missing, else ``InvalidValueError``."""
    rows = frame.with_row_index("__row").filter(bad)
    if not rows.height:
        return
    first = rows.row(0, named=True)
    named = SUBJECT in frame.columns and column != SUBJECT
    subject = f", subject {show_value(first.get(SUBJECT))}" if named else ""
    missing = rows.filter(_blank(column)).height == rows.height
    kind = "missing" if missing else "bad"
    error = MissingValueError if missing else InvalidValueError
    plural = "value" if rows.height == 1 else "values"
    raise error(
        f"`{column}` ({what}) must be {rule}; found {rows.height} {kind} {plural} "
        f"(first: {show_value(first[column])} at row {first['__row']}{subject})"
    )


def _grades(adae: pl.DataFrame, grade: str) -> pl.Series:
    """The CTCAE grade of each AE as an integer 1-5: integers, whole floats or their text
    ("3", "3.0"); anything else is an error naming the rows."""
    as_text = pl.col(grade).cast(pl.String).str.strip_chars()
    parsed = as_text.cast(pl.Float64, strict=False)
    valid = parsed.is_in([float(g) for g in GRADES])
    _first_bad(adae, ~valid.fill_null(False), grade, "CTCAE v5 grade", "a grade 1 to 5")
    return adae.select(parsed.cast(pl.Int64)).to_series()


def _flag_rule(column: str, values: Sequence[str]) -> str:
    return " or ".join(f'"{v}"' for v in values if v) + " or blank"


def _check_values(frame: pl.DataFrame, column: str, what: str, allowed: Sequence[str]) -> None:
    value = _text(column)
    bad = value.is_not_null() & ~value.is_in(list(allowed))
    _first_bad(frame, bad, column, what, _flag_rule(column, allowed))


def _subjects(
    adsl: pl.DataFrame,
    by: str,
    population: str | None,
    dlt_population: str | None,
) -> tuple[pl.DataFrame, tuple[str, ...]]:
    """The population's subjects with their arm (and DLT evaluability), after the checks."""
    _require(adsl, {"by": by, "population": population, "dlt_population": dlt_population}, "ADSL")
    _first_bad(adsl, _blank(SUBJECT), SUBJECT, "subject", "given for every subject of ADSL")
    _first_bad(adsl, pl.col(SUBJECT).is_duplicated(), SUBJECT, "subject", "unique in ADSL")
    notes: tuple[str, ...] = ()
    frame = adsl.lazy()
    if population is not None:
        check_flag(frame, population, "ADSL")
        notes = keep_population(frame, population).notes
        frame = frame.filter(_text(population) == "Y")
    if dlt_population is not None:
        check_flag(frame, dlt_population, "ADSL")
    subjects = frame.collect()
    arm_missing = pl.col(by).is_null()
    if subjects.schema[by] == pl.String:
        arm_missing = arm_missing | (pl.col(by).str.strip_chars() == "")
    _first_bad(subjects, arm_missing, by, "arm", "given for every subject analysed")
    if not subjects.height:
        raise EmptyDataError("ADSL has no subjects: the adverse-event table has no denominator")
    evaluable = (_text(dlt_population) == "Y").fill_null(False) if dlt_population else pl.lit(True)
    return subjects.select(SUBJECT, by, evaluable.alias("__evaluable")), notes


def _events(
    adae: pl.DataFrame,
    subjects: pl.DataFrame,
    adsl_ids: pl.Series,
    columns: dict[str, str | None],
    dlt_population: str | None,
) -> tuple[pl.DataFrame, tuple[str, ...]]:
    """The treatment-emergent AEs of the subjects analysed, one row per AE with ``__row``
    (its row in ADAE), ``__grade``, ``__serious``, ``__withdrawn``, ``__dlt`` (booleans),
    ``__soc``, ``__term`` and the subject's arm and ``__evaluable``. ``USUBJID`` has one type
    in the three tables (:func:`survstat.adsl.align_subject_ids`)."""
    _require(adae, columns, "ADAE")
    _first_bad(adae, _blank(SUBJECT), SUBJECT, "subject", "given on every adverse event")
    outside = ~pl.col(SUBJECT).is_in(adsl_ids.implode())
    _first_bad(adae, outside, SUBJECT, "subject", "a subject of ADSL")
    for role in ("soc", "term"):
        column = str(columns[role])
        missing = pl.col(column).is_null() | (_text(column) == "")
        _first_bad(adae, missing, column, role, "given on every adverse event")
    grades = _grades(adae, str(columns["grade"]))
    for role, allowed in (("serious", FLAG), ("treatment_emergent", FLAG), ("dlt", FLAG)):
        if columns[role] is not None:
            _check_values(adae, str(columns[role]), role.replace("_", "-"), allowed)
    if columns["discontinuation"] is not None:
        allowed = (*WITHDRAWN, *NOT_WITHDRAWN)
        _check_values(adae, str(columns["discontinuation"]), "action taken", allowed)
    if columns["dlt_cycle"] is not None and columns["dlt"] is not None:
        cycle = pl.col(str(columns["dlt_cycle"])).cast(pl.Float64, strict=False)
        flagged = (_text(str(columns["dlt"])) == "Y").fill_null(False)
        bad = flagged & (cycle.is_null() | (cycle < 1)).fill_null(True)
        rule = "a cycle number of 1 or more on every DLT"
        _first_bad(adae, bad, str(columns["dlt_cycle"]), "cycle", rule)

    def flag(role: str, values: Sequence[str] = ("Y",)) -> pl.Expr:
        column = columns[role]
        return _text(column).is_in(list(values)).fill_null(False) if column else pl.lit(False)

    in_cycle_1 = (
        pl.col(str(columns["dlt_cycle"])).cast(pl.Float64) == 1
        if columns["dlt_cycle"]
        else pl.lit(True)
    )
    events = (
        adae.with_columns(__grade=grades)
        .with_row_index("__row")
        .select(
            "__row",
            SUBJECT,
            "__grade",
            _text(str(columns["soc"])).alias("__soc"),
            _text(str(columns["term"])).alias("__term"),
            flag("serious").alias("__serious"),
            flag("discontinuation", WITHDRAWN).alias("__withdrawn"),
            (flag("dlt") & in_cycle_1).alias("__dlt"),
            (flag("treatment_emergent") if columns["treatment_emergent"] else pl.lit(True)).alias(
                "__teae"
            ),
        )
    )
    notes = []
    if columns["treatment_emergent"]:
        left = events.filter(~pl.col("__teae")).height
        notes.append(
            f'{columns["treatment_emergent"]} = "Y": {events.height - left} of {events.height} '
            f"adverse events are treatment-emergent, {left} left out"
        )
        events = events.filter(pl.col("__teae"))
    analysed = subjects.get_column(SUBJECT).to_list()
    outside_population = events.filter(~pl.col(SUBJECT).is_in(analysed))
    if outside_population.height:
        notes.append(
            f"{counted(outside_population.height, 'adverse event')} of "
            f"{counted(outside_population.get_column(SUBJECT).n_unique(), 'subject')} outside "
            "the population left out"
        )
    inside = events.filter(pl.col(SUBJECT).is_in(analysed)).drop("__teae")
    events = scan(with_adsl(inside, subjects).data)[0].collect()
    _check_dlt_evaluable(events, columns, dlt_population)
    return events, tuple(notes)


def _check_dlt_evaluable(
    events: pl.DataFrame, columns: dict[str, str | None], evaluable: str | None
) -> None:
    """A subject with a DLT in cycle 1 must be DLT-evaluable: a phase I protocol counts a
    subject evaluable for DLT who completed the DLT window or had a DLT in it, so a DLT of a
    subject flagged not evaluable is a data error, not an event to leave out."""
    bad = events.filter(pl.col("__dlt") & ~pl.col("__evaluable")).sort("__row")
    if not bad.height:
        return
    first = bad.row(0, named=True)
    dlt, cycle = columns["dlt"], columns["dlt_cycle"]
    when = f" in cycle 1 (`{cycle}`)" if cycle else ""
    n, k = bad.height, bad.get_column(SUBJECT).n_unique()
    raise InvalidValueError(
        f'`{dlt}` = "Y"{when} makes a subject DLT-evaluable, so `{evaluable}` in ADSL must be '
        f'"Y" for them; found {n} {"DLT" if n == 1 else "DLTs"} in {k} '
        f"{'subject' if k == 1 else 'subjects'} not DLT-evaluable (first: subject "
        f"{show_value(first[SUBJECT])} at row {first['__row']} of ADAE)"
    )


def _count_rows(
    counts: pl.DataFrame, method: RateMethod, conf_level: float, population: str | None
) -> list[Row]:
    """Rate and interval of each count row (arm, statistic, soc, term, grade, n,
    denominator); null with a note over no subject (an arm without subjects in the
    population, or without DLT-evaluable subjects)."""
    import numpy as np

    from survstat.estimators.proportions import binomial_interval

    rows = counts.to_dicts()
    x = np.array([r["n"] for r in rows], dtype=np.int64)
    d = np.array([r["denominator"] for r in rows], dtype=np.int64)
    positive = d > 0
    low = np.full(len(rows), np.nan)
    high = np.full(len(rows), np.nan)
    if positive.any():
        low[positive], high[positive] = binomial_interval(
            x[positive], d[positive], method, conf_level
        )
    for i, r in enumerate(rows):
        if positive[i]:
            r.update(rate=float(x[i] / d[i]), conf_low=float(low[i]), conf_high=float(high[i]))
            r["note"] = None
        else:
            r.update(rate=None, conf_low=None, conf_high=None)
            who = "subjects" if population is None else "subjects of the population"
            who = "DLT-evaluable subjects" if r["statistic"] == "dlt" else who
            r["note"] = f"no {who} in this arm: the rate is undefined"
    return rows


def _overview(
    events: pl.DataFrame, subjects: pl.DataFrame, arms: pl.DataFrame, by: str, given: set[str]
) -> pl.DataFrame:
    """Per subject the overview indicators, then per arm of ``arms`` their sums (subjects
    with each; 0 of 0 in an arm without subjects)."""
    per_subject = events.group_by(SUBJECT).agg(
        pl.col("__grade").max().alias("worst"),
        pl.col("__serious").any().alias("serious"),
        pl.col("__withdrawn").any().alias("discontinuation"),
        pl.col("__dlt").any().alias("dlt"),
    )
    table = subjects.join(per_subject, on=SUBJECT, how="left").with_columns(__all=pl.lit(True))
    worst = pl.col("worst")
    stats: list[tuple[str, str | None, pl.Expr, pl.Expr]] = [
        ("any_ae", None, worst.is_not_null(), pl.col("__all")),
        *((("worst_grade", str(g), worst == g, pl.col("__all"))) for g in GRADES),
        ("grade_3_plus", None, worst >= 3, pl.col("__all")),
    ]
    for name in ("serious", "discontinuation"):
        if name in given:
            stats.append((name, None, pl.col(name), pl.col("__all")))
    if "dlt" in given:
        evaluable = pl.col("__evaluable")
        stats.append(("dlt", None, pl.col("dlt") & evaluable, evaluable))
    parts = [
        arms.join(
            table.group_by(by).agg(
                hit.fill_null(False).sum().cast(pl.Int64).alias("n"),
                among.sum().cast(pl.Int64).alias("denominator"),
            ),
            on=by,
            how="left",
        ).select(
            by,
            pl.lit(name).alias("statistic"),
            pl.lit(grade, pl.String).alias("grade"),
            pl.col("n").fill_null(0),
            pl.col("denominator").fill_null(0),
        )
        for name, grade, hit, among in stats
    ]
    return pl.concat(parts).with_columns(
        pl.lit(None, pl.String).alias("soc"), pl.lit(None, pl.String).alias("term")
    )


def _by_grade(events: pl.DataFrame, arms: pl.DataFrame, by: str, keys: list[str]) -> pl.DataFrame:
    """Subjects per arm of ``arms`` and ``keys`` (system organ class, and term) in each grade
    row of :data:`GRADE_ROWS`, each subject at their worst grade within the keys."""
    worst = events.group_by(by, SUBJECT, *keys).agg(pl.col("__grade").max().alias("worst"))
    cells = arms.join(worst.select(keys).unique(), how="cross")
    parts = []
    for code, grades in GRADE_ROWS.items():
        counted = (
            worst.filter(pl.col("worst").is_in(list(grades)))
            .group_by(by, *keys)
            .agg(pl.len().cast(pl.Int64).alias("n"))
        )
        parts.append(
            cells.join(counted, on=[by, *keys], how="left").with_columns(
                pl.col("n").fill_null(0), pl.lit(code).alias("grade")
            )
        )
    return pl.concat(parts)


def _order(events: pl.DataFrame) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """System organ classes by decreasing number of subjects (all arms), then by name; the
    terms within each the same way (tern AET04's sort by overall frequency)."""
    soc_n = events.group_by("__soc").agg(pl.col(SUBJECT).n_unique().alias("k"))
    term_n = events.group_by("__soc", "__term").agg(pl.col(SUBJECT).n_unique().alias("k"))
    out = []
    for soc, _ in soc_n.sort(["k", "__soc"], descending=[True, False]).iter_rows():
        terms = term_n.filter(pl.col("__soc") == soc).sort(
            ["k", "__term"], descending=[True, False]
        )
        out.append((soc, tuple(terms.get_column("__term").to_list())))
    return tuple(out)


def ae_table(
    adae: FrameLike,
    adsl: FrameLike,
    *,
    by: str,
    population: str | None = None,
    term: str = "AEDECOD",
    soc: str = "AEBODSYS",
    grade: str = "AETOXGR",
    serious: str | None = None,
    discontinuation: str | None = None,
    treatment_emergent: str | None = None,
    dlt: str | None = None,
    dlt_cycle: str | None = None,
    dlt_population: str | None = None,
    method: RateMethod = "clopper-pearson",
    conf_level: float = 0.95,
) -> AeTable:
    """Summarise adverse events per arm as analysis results data (tern AET01, AET04).

    Parameters
    ----------
    adae
        One row per adverse event (ADaM ADAE): ``USUBJID`` (given on every row), the
        ``term``, ``soc`` and ``grade`` columns and those of the options given. A polars
        DataFrame or LazyFrame, pyarrow Table, pandas DataFrame or a path.
    adsl
        One row per subject (ADaM ADSL): ``USUBJID``, the arm ``by`` and the population
        flags. Its subjects are the denominators: a subject without any adverse event counts
        in ``denominator`` and in none of the ``n``. ``USUBJID`` may be text in one table and
        numbers in the other (compared as text; as numbers when both are numeric), as
        :func:`survstat.adsl.with_adsl` joins them.
    by
        The arm column of ``adsl`` (e.g. ``TRT01A``, actual treatment, for safety); a missing
        arm of a subject analysed is an error. Every arm of the column is in the table, also
        one whose subjects are all outside the population (N = 0, null rates, the reason in
        ``note``).
    population
        The ADSL flag of the analysis population (``SAFFL``): its "Y" subjects are the
        denominators, and the adverse events of the others are left out (a note says how
        many). None: every subject of ``adsl``.
    term, soc
        The preferred term (``AEDECOD``) and its primary system organ class (``AEBODSYS``),
        MedDRA; missing values are an error.
    grade
        The CTCAE v5.0 grade (``AETOXGR``): 1 to 5, as numbers or text; anything else,
        missing included, is an error.
    serious
        The seriousness flag (``AESER``: "Y", "N" or blank); None: no ``serious`` rows.
    discontinuation
        The action taken with the study treatment (``AEACN``, CDISC codelist ACN: ``DRUG
        WITHDRAWN`` counts) or a Y/N flag of an AE leading to discontinuation ("Y" counts).
        None: no ``discontinuation`` rows.
    treatment_emergent
        The treatment-emergent flag (``TRTEMFL``): only its "Y" rows are analysed. None: every
        row is a TEAE.
    dlt
        The dose-limiting toxicity flag ("Y", "N" or blank); None: no ``dlt`` rows.
    dlt_cycle
        The treatment cycle in which the AE started: a DLT counts only in cycle 1; a DLT
        without a cycle of 1 or more is an error. None: every flagged DLT counts (the flag
        itself is restricted to the DLT window).
    dlt_population
        The ADSL flag of the DLT-evaluable subjects, the denominator of the ``dlt`` rows;
        None: the analysis population. A subject with a DLT (in cycle 1, with ``dlt_cycle``)
        is DLT-evaluable by definition (a phase I protocol counts as evaluable the subjects
        who completed the DLT window or had a DLT in it), so a DLT of a subject whose flag is
        not "Y" is an error rather than an event left out.
    method
        Interval of the rates (``"clopper-pearson"``, R ``binom.test``, by default; see
        :func:`survstat.proportion`).
    conf_level
        Level of every interval (0.95).

    Returns
    -------
    AeTable
        ``.ard``: columns ``<by>, statistic, soc, term, grade, n, denominator, rate,
        conf_low, conf_high, note``, arms sorted as text; see the Notes.

    Raises
    ------
    ColumnNotFoundError
        A column that is not in its table.
    InvalidValueError
        A grade that is not 1-5; a subject of ADAE that is not in ADSL; a flag that is not
        "Y", "N" or blank; an AEACN value outside the ACN codelist; a subject twice in ADSL;
        a DLT of a subject not DLT-evaluable (naming the subject and its ADAE row).
    MissingValueError
        A missing grade, term, system organ class, arm, or subject (``USUBJID``) in ADAE or
        ADSL: an event without its subject cannot be counted and is not dropped silently.

    Notes
    -----
    Per arm, in order, the overview (``soc``, ``term`` null), each a number of subjects
    ``n`` of ``denominator`` with ``rate = n / denominator`` and its ``method`` interval:

    - ``any_ae``: subjects with at least one (treatment-emergent) adverse event;
    - ``worst_grade`` (``grade`` "1" to "5"): subjects whose highest grade is that one (the
      five add up to ``any_ae``);
    - ``grade_3_plus``: subjects with an event of grade 3 or higher;
    - ``serious`` (with ``serious``): with a serious event; ``discontinuation`` (with
      ``discontinuation``): with an event that led to withdrawal of the study treatment;
    - ``dlt`` (with ``dlt``): DLT-evaluable subjects with a DLT in cycle 1, over the
      DLT-evaluable subjects.

    Then per system organ class (``statistic`` ``soc``, ``term`` null) and per preferred term
    within it (``statistic`` ``term``), the subjects in each grade row of tern AET04
    (``grade``: ``any``, ``1-2``, ``1``, ``2``, ``3-4``, ``3``, ``4``, ``5``), each subject
    counted once in a row, at the highest grade of their events in that class or term
    (two events of one term count once). Classes are ordered by decreasing number of
    subjects over all arms, then by name, and terms within them the same way. Every arm of
    ``by`` in ADSL has every row (0 where none); a rate whose denominator is 0 (an arm
    without subjects in the population, or without DLT-evaluable subjects) is null with a
    ``note``.

    CTCAE v5.0 defines grade 1 mild, 2 moderate, 3 severe or medically significant but not
    immediately life-threatening, 4 life-threatening, 5 death related to the AE (there is no
    grade 0 or above 5). ADaM ADAE holds one record per adverse event with ``TRTEMFL`` the
    treatment-emergent flag and ``AETOXGR`` the toxicity grade (ADaM Occurrence Data
    Structure, ADAE implementation guide).

    References
    ----------
    1. U.S. Department of Health and Human Services. Common Terminology Criteria for Adverse
       Events (CTCAE) version 5.0, 2017.
    2. CDISC. Analysis Data Model (ADaM) Data Structure for Adverse Event Analysis, version
       1.0, 2012; CDISC controlled terminology, codelist ACN (C66767).
    3. tern (Roche): AET01 safety summary, AET04 adverse events by highest NCI CTCAE grade
       (``count_occurrences_by_grade``: multiple occurrences within one subject are counted
       once at the highest grade).
    4. Clopper CJ, Pearson ES. The use of confidence or fiducial limits illustrated in the case
       of the binomial. Biometrika 1934;26:404-413.

    Examples
    --------
    >>> import polars as pl
    >>> from survstat.tables import ae_table
    >>> adsl = pl.DataFrame({"USUBJID": ["1", "2", "3"], "ARM": ["A", "A", "B"]})
    >>> adae = pl.DataFrame({"USUBJID": ["1", "1", "3"], "AEDECOD": ["Diarrhoea"] * 3,
    ...                      "AEBODSYS": ["Gastrointestinal disorders"] * 3,
    ...                      "AETOXGR": ["1", "3", "2"]})
    >>> t = ae_table(adae, adsl, by="ARM")
    >>> t.ard.filter(statistic="grade_3_plus").select("ARM", "n", "denominator").rows()
    [('A', 1, 2), ('B', 0, 1)]
    """
    adsl_frame = scan(adsl)[0].collect()
    adae_frame = scan(adae)[0].collect()
    _require(adsl_frame, {"subject": SUBJECT}, "ADSL")
    _require(adae_frame, {"subject": SUBJECT}, "ADAE")
    aligned = align_subject_ids(adae_frame.lazy(), adsl_frame.lazy())
    adae_frame, adsl_frame = (frame.collect() for frame in aligned)
    subjects, notes = _subjects(adsl_frame, by, population, dlt_population)
    columns = {
        "soc": soc,
        "term": term,
        "grade": grade,
        "serious": serious,
        "discontinuation": discontinuation,
        "treatment_emergent": treatment_emergent,
        "dlt": dlt,
        "dlt_cycle": dlt_cycle,
    }
    adsl_ids = adsl_frame.get_column(SUBJECT)
    events, event_notes = _events(adae_frame, subjects, adsl_ids, columns, dlt_population)
    arm_dtype = subjects.schema[by]
    arms = _arms(adsl_frame, by)
    arm_frame = pl.DataFrame({by: arms}, schema={by: arm_dtype})
    denominators = {arm: 0 for arm in arms} | dict(subjects.group_by(by).len().iter_rows())
    order = _order(events)
    given = {name for name, column in columns.items() if column is not None}
    overview = _overview(events, subjects, arm_frame, by, given)
    by_soc = _by_grade(events, arm_frame, by, ["__soc"]).with_columns(
        pl.lit("soc").alias("statistic"), pl.col("__soc").alias("soc"),
        pl.lit(None, pl.String).alias("term"),
    )  # fmt: skip
    by_term = _by_grade(events, arm_frame, by, ["__soc", "__term"]).with_columns(
        pl.lit("term").alias("statistic"), pl.col("__soc").alias("soc"),
        pl.col("__term").alias("term"),
    )  # fmt: skip
    counted = [
        overview.select(by, "statistic", "soc", "term", "grade", "n", "denominator"),
        *(
            part.with_columns(
                pl.col(by).replace_strict(denominators, return_dtype=pl.Int64).alias("denominator")
            ).select(by, "statistic", "soc", "term", "grade", "n", "denominator")
            for part in (by_soc, by_term)
        ),
    ]
    counts = pl.concat(counted).with_columns(pl.col(by).cast(arm_dtype))
    rows = _count_rows(counts, method, conf_level, population)
    rank = _rank_of(arms, order)
    rows.sort(key=lambda r: rank(r, by))
    ard = pl.from_dicts(rows, schema={by: arm_dtype, **_SCHEMA})
    return AeTable(
        ard=ard,
        by=by,
        arms=tuple(arms),
        socs=order,
        method=method,
        conf_level=conf_level,
        dlt=dlt is not None,
        notes=notes + event_notes,
    )


def _arms(adsl: pl.DataFrame, by: str) -> list[Any]:
    """Every arm of ADSL's ``by`` column, sorted as text: an arm whose subjects are all
    outside the population stays in the table (N = 0), rather than vanish without a note."""
    arms = adsl.get_column(by).drop_nulls().unique()
    if arms.dtype == pl.String:
        arms = arms.filter(arms.str.strip_chars() != "")
    return sorted(arms.to_list(), key=str)


def _rank_of(arms: Sequence[Any], order: tuple[tuple[str, tuple[str, ...]], ...]):
    """The sort key of an ARD row: arm, overview before the classes, classes and terms in
    ``order``, the class row before its terms, grades in :data:`GRADE_ROWS` order."""
    arm_rank = {a: i for i, a in enumerate(arms)}
    soc_rank = {s: i for i, (s, _) in enumerate(order)}
    term_rank = {(s, t): i for s, terms in order for i, t in enumerate(terms)}
    grade_rank = {g: i for i, g in enumerate(GRADE_ROWS)}
    overview_rank = {s: i for i, s in enumerate(OVERVIEW)}

    def rank(row: Row, by: str) -> tuple:
        arm = arm_rank[row[by]]
        if row["soc"] is None:
            grade = int(row["grade"]) if row["grade"] else 0
            return (arm, 0, overview_rank[row["statistic"]], grade, 0, 0)
        term = -1 if row["term"] is None else term_rank[(row["soc"], row["term"])]
        return (arm, 1, soc_rank[row["soc"]], term, grade_rank[row["grade"]], 0)

    return rank


__all__ = ["ARD_COLUMNS", "GRADES", "GRADE_ROWS", "OVERVIEW", "AeTable", "ae_table"]
