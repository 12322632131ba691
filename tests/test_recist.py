"""RECIST 1.1 best overall response on hand-built subjects, one per rule."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

import survstat
from survstat.endpoints.recist import best_overall_response
from survstat.errors import (
    ColumnNotFoundError,
    ColumnTypeError,
    EmptyDataError,
    InvalidValueError,
    MissingValueError,
    OptionError,
)

SUBJECTS = {
    # PR confirmed exactly 28 days later vs 27 days later (then PD)
    "pr28": [(56, "PR"), (84, "PR"), (112, "PD")],
    "pr27": [(56, "PR"), (83, "PR"), (112, "PD")],
    # PR - SD - PR: not confirmed by default (SD at 84 >= 42: best response SD)
    "pr_sd_pr": [(56, "PR"), (84, "SD"), (112, "PR")],
    # PR - NE - PR: one NE between is allowed; two are not
    "pr_ne_pr": [(56, "PR"), (84, "NE"), (112, "PR")],
    "pr_ne_ne_pr": [(56, "PR"), (70, "NE"), (84, "NE"), (112, "PR")],
    # CR confirmed by CR; CR followed by PR is a confirmed PR
    "cr_cr": [(56, "CR"), (90, "CR")],
    "cr_pr": [(56, "CR"), (90, "PR")],
    # stable disease: day 42 qualifies, day 41 does not (then PD -> PD)
    "sd42": [(42, "SD"), (84, "PD")],
    "sd41": [(41, "SD"), (84, "PD")],
    # only NE; non-target disease only
    "ne": [(56, "NE")],
    "nn": [(56, "non-cr/non-pd"), (112, "NN")],
    # a PR confirmed only after progression does not count
    "pr_pd_pr": [(56, "PR"), (70, "PD"), (112, "PR")],
    # new therapy on day 80 cuts the confirming assessment
    "newtx": [(56, "PR"), (90, "PR")],
    # clinical benefit: SD lasting 24 weeks (168 days) vs 167
    "sd168": [(56, "SD"), (168, "SD"), (224, "PD")],
    "sd167": [(56, "SD"), (167, "SD"), (224, "PD")],
}


def _frame(subjects):
    rows = [(s, d, r) for s, visits in subjects.items() for d, r in visits]
    return pl.DataFrame(rows, schema=["subject_id", "day", "response"], orient="row")


NEW_THERAPY = pl.DataFrame({"subject_id": ["newtx"], "new_therapy_day": [80]})


def test_rules():
    got = best_overall_response(_frame(SUBJECTS), new_therapy=NEW_THERAPY)
    bor = dict(got.select("subject_id", pl.col("bor").cast(pl.String)).iter_rows())
    assert bor == {
        "pr28": "PR",
        "pr27": "SD",
        "pr_sd_pr": "SD",
        "pr_ne_pr": "PR",
        "pr_ne_ne_pr": "SD",
        "cr_cr": "CR",
        "cr_pr": "PR",
        "sd42": "SD",
        "sd41": "PD",
        "ne": "NE",
        "nn": "NON-CR/NON-PD",
        "pr_pd_pr": "SD",
        "newtx": "SD",
        "sd168": "SD",
        "sd167": "SD",
    }
    row = {r["subject_id"]: r for r in got.iter_rows(named=True)}
    assert row["pr28"]["confirmed"] is True
    assert row["pr28"]["response_day"] == 56
    assert row["pr28"]["first_pd_day"] == 112
    assert row["pr_pd_pr"]["n_assessments"] == 2
    assert row["newtx"]["n_assessments"] == 1
    assert row["sd168"]["clinical_benefit"] is True
    assert row["sd167"]["clinical_benefit"] is False
    assert row["nn"]["disease_control"] is True
    assert row["sd41"]["disease_control"] is False
    assert row["cr_pr"]["objective_response"] is True


def test_options():
    subjects = {k: SUBJECTS[k] for k in ("pr_sd_pr", "pr_ne_ne_pr", "pr27", "sd41")}
    frame = _frame(subjects)
    loose = best_overall_response(frame, sd_between_pr=True, max_ne_between=2, confirm_days=27)
    assert dict(loose.select("subject_id", pl.col("bor").cast(pl.String)).iter_rows()) == {
        "pr_sd_pr": "PR",
        "pr_ne_ne_pr": "PR",
        "pr27": "PR",
        "sd41": "PD",
    }
    unconfirmed = best_overall_response(frame, confirm=False, sd_min_days=35)
    got = dict(unconfirmed.select("subject_id", pl.col("bor").cast(pl.String)).iter_rows())
    assert got == {"pr_sd_pr": "PR", "pr_ne_ne_pr": "PR", "pr27": "PR", "sd41": "SD"}
    assert not unconfirmed["confirmed"].any()


def test_objective_response_rate_from_bor():
    got = best_overall_response(_frame(SUBJECTS), new_therapy=NEW_THERAPY)
    rate = survstat.proportion(got, response="objective_response").table.row(0, named=True)
    assert (rate["n"], rate["n_responders"]) == (15, 4)  # pr28, pr_ne_pr, cr_cr, cr_pr


def test_bad_assessments():
    with pytest.raises(
        InvalidValueError, match=r"`response` holds unknown responses \['uCR'\] in 1 of 2 rows"
    ):
        best_overall_response(_frame({"a": [(56, "uCR"), (84, "PR")]}))
    with pytest.raises(
        InvalidValueError, match=r"must be after the start \(> 0\); found 1 value <= 0"
    ):
        best_overall_response(_frame({"a": [(0, "SD")]}))
    with pytest.raises(InvalidValueError, match="duplicated visits: 2 rows"):
        best_overall_response(_frame({"a": [(56, "SD"), (56, "PR")]}))
    with pytest.raises(ColumnNotFoundError, match="`response`"):
        best_overall_response(_frame({"a": [(56, "SD")]}).rename({"response": "resp"}))


# --- duration-of-response start (RECIST 1.1 section 4.6.2) --------------------------------

DOR_START = {
    # PR, PR confirms the first PR; CR, CR makes the best response CR; the response began at
    # the first PR (day 56), not at the first CR (day 168)
    "pr_pr_cr_cr": ([(56, "PR"), (112, "PR"), (168, "CR"), (224, "CR")], "CR", 56.0),
    # PR confirmed by a later CR: best response PR, starting at the PR
    "pr_cr": ([(56, "PR"), (112, "CR")], "PR", 56.0),
    # CR followed by a confirming PR: a confirmed PR that started at the "CR" (re-read as PR)
    "cr_pr": ([(56, "CR"), (90, "PR")], "PR", 56.0),
    # CR confirmed, then PR: best response CR from day 56
    "cr_cr_pr": ([(56, "CR"), (112, "CR"), (168, "PR")], "CR", 56.0),
    # the first PR is broken by SD; the response is the later, confirmed PR (day 168)
    "pr_sd_pr_pr": ([(56, "PR"), (112, "SD"), (168, "PR"), (224, "PR")], "PR", 168.0),
    # an unconfirmed PR before a confirmed CR: the response starts at the CR
    "pr_sd_cr_cr": ([(56, "PR"), (112, "SD"), (168, "CR"), (224, "CR")], "CR", 168.0),
    # non-responder: no start
    "sd_sd": ([(56, "SD"), (112, "SD")], "SD", None),
}


def test_response_day_is_the_first_cr_or_pr_of_the_confirmed_response():
    got = best_overall_response(_frame({k: v[0] for k, v in DOR_START.items()}))
    rows = {r["subject_id"]: r for r in got.iter_rows(named=True)}
    for subject, (_, bor, start) in DOR_START.items():
        assert (rows[subject]["bor"], rows[subject]["response_day"]) == (bor, start), subject
        assert rows[subject]["objective_response"] is (start is not None)


def test_response_day_without_confirmation_is_the_first_cr_or_pr():
    # randomised trials may waive confirmation: every CR or PR is a response and the
    # duration starts at the first of them
    got = best_overall_response(
        _frame({k: v[0] for k, v in DOR_START.items()} | {"sd_cr": [(56, "SD"), (112, "CR")]}),
        confirm=False,
    )
    start = dict(got.select("subject_id", "response_day").iter_rows())
    bor = dict(got.select("subject_id", pl.col("bor").cast(pl.String)).iter_rows())
    assert start["pr_sd_pr_pr"] == 56.0  # the unconfirmed first PR counts now
    assert start["pr_sd_cr_cr"] == 56.0
    assert bor["pr_sd_cr_cr"] == "CR"
    assert start["sd_cr"] == 112.0
    assert bor["sd_cr"] == "CR"
    assert start["sd_sd"] is None


# --- response spellings ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spelling", "code"),
    [
        ("cr", "CR"),
        (" Complete Response ", "CR"),
        ("partial response", "PR"),
        ("Stable Disease", "SD"),
        ("Non-CR/Non-PD", "NON-CR/NON-PD"),
        ("NON CR/NON PD", "NON-CR/NON-PD"),
        ("NonCR/NonPD", "NON-CR/NON-PD"),
        ("nn", "NON-CR/NON-PD"),
        ("NED", "NED"),
        ("No evidence of disease", "NED"),
        ("Progressive Disease", "PD"),
        ("NE", "NE"),
        ("UNK", "NE"),
        ("ND", "NE"),
        ("Not Evaluable", "NE"),
        ("NOT DONE", "NE"),
        ("Unknown", "NE"),
    ],
)
def test_response_spellings(spelling, code):
    # the assessment at day 56 is the only one, so it alone decides the best response:
    # CR/PR unconfirmed -> SD (day 56 >= 42); others read as themselves
    got = best_overall_response(_frame({"a": [(56, spelling)]}), confirm=False)
    expected = {"CR": "CR", "PR": "PR"}.get(code, code)
    assert got["bor"].cast(pl.String).item() == expected


def test_ned_is_disease_control_but_never_a_response():
    # NED (no disease at baseline by this assessor) throughout: best response NED, no
    # objective response; no progression for 24 weeks is clinical benefit
    got = best_overall_response(_frame({"a": [(56, "NED"), (112, "NED"), (168, "NED")]}))
    row = got.row(0, named=True)
    assert row["bor"] == "NED"
    assert (row["objective_response"], row["disease_control"], row["clinical_benefit"]) == (
        False,
        True,
        True,
    )


@pytest.mark.parametrize(
    ("visits", "error", "message"),
    [
        (
            {"a": [(56, "SD")], "b": [(56, "CRR"), (84, "iCR")]},
            InvalidValueError,
            r"`response` holds unknown responses \['CRR', 'iCR'\] in 2 of 3 rows; .*"
            r"\(first: subject 'b', day 56.0\)",
        ),
        (
            {"a": [(56, None)]},
            InvalidValueError,
            r"`response` holds unknown responses \['None'\] in 1 of 1 row;",
        ),
        # not a CDISC value, and as readable as "non-CR or PD" as "non-CR/non-PD": refused
        # rather than guessed (either reading changes the best response)
        (
            {"a": [(56, "SD"), (112, "NON-CR/PD"), (168, "Non-CR / PD")]},
            InvalidValueError,
            r"`response` holds unknown responses \['NON-CR/PD', 'Non-CR / PD'\] in 2 of 3 rows; "
            r"expected one of CR, PR, SD, NON-CR/NON-PD, NED, PD, NE or a spelling of them "
            r"\(first: subject 'a', day 112.0\)",
        ),
        (
            {"a": [(56, "SD"), (float("nan"), "PD")]},
            InvalidValueError,
            r"`day` must be finite; found 1 value NaN or infinite in the assessment table "
            r"\(first: nan for subject 'a'\)",
        ),
        (
            {"a": [(float("inf"), "PD")]},
            InvalidValueError,
            r"`day` must be finite; .*\(first: inf for subject 'a'\)",
        ),
        (
            {"a": [(56, "SD")], "b": [(-3, "PD"), (-1, "SD")]},
            InvalidValueError,
            r"`day` must be after the start \(> 0\); found 2 values <= 0 in the assessment "
            r"table \(first: -3.0 for subject 'b'\)",
        ),
        (
            {"a": [(None, "PD")]},
            MissingValueError,
            r"`day` is missing for 1 of 1 assessment \(first: subject 'a'\)",
        ),
    ],
)
def test_bad_codes_and_days(visits, error, message):
    rows = [(s, d, r) for s, v in visits.items() for d, r in v]
    frame = pl.DataFrame(
        rows,
        schema={"subject_id": pl.String, "day": pl.Float64, "response": pl.String},
        orient="row",
    )
    with pytest.raises(error, match=message):
        best_overall_response(frame)


def test_bad_column_types():
    base = _frame({"a": [(56, "SD")]})
    with pytest.raises(ColumnTypeError, match=r"`day` in the assessment table must hold study"):
        best_overall_response(base.with_columns(pl.col("day").cast(pl.String)))
    with pytest.raises(ColumnTypeError, match="convert dates with times_from_dates"):
        best_overall_response(base.with_columns(pl.lit(dt.date(2020, 1, 1)).alias("day")))
    with pytest.raises(ColumnTypeError, match=r"`response` must hold response codes as text"):
        best_overall_response(base.with_columns(pl.lit(1).alias("response")))
    with pytest.raises(MissingValueError, match=r"`subject_id` is missing on 1 of 2 rows"):
        best_overall_response(
            pl.DataFrame({"subject_id": ["a", None], "day": [56, 84], "response": ["SD"] * 2})
        )
    with pytest.raises(EmptyDataError, match="the assessment table has no rows"):
        best_overall_response(base.clear())


# --- new therapy -------------------------------------------------------------------------


def test_new_therapy_cut_and_same_day_option():
    visits = {
        # PR confirmed only by the day-84 scan, taken on the day the new therapy starts
        "same_day": [(56, "PR"), (84, "PR")],
        # every assessment after the new therapy: no assessment left, best response NE
        "all_after": [(56, "PR"), (112, "PR")],
        "no_therapy": [(56, "SD")],
    }
    nt = pl.DataFrame(
        {"subject_id": ["same_day", "all_after", "no_therapy"], "new_therapy_day": [84, 10, None]}
    )
    before = best_overall_response(_frame(visits), new_therapy=nt)
    rows = {r["subject_id"]: r for r in before.iter_rows(named=True)}
    # default "before": the day-84 scan precedes the new therapy and confirms the PR
    assert (rows["same_day"]["bor"], rows["same_day"]["confirmed"]) == ("PR", True)
    assert (rows["all_after"]["bor"], rows["all_after"]["n_assessments"]) == ("NE", 0)
    assert rows["no_therapy"]["bor"] == "SD"
    after = best_overall_response(_frame(visits), new_therapy=nt, new_therapy_same_day="after")
    # "after": the day-84 scan is left out; the lone PR on day 56 (>= 42 days) is SD
    assert after.filter(pl.col("subject_id") == "same_day")["bor"].item() == "SD"
    with pytest.raises(OptionError, match="`new_therapy_same_day` must be one of"):
        best_overall_response(_frame(visits), new_therapy=nt, new_therapy_same_day="during")


def test_bad_new_therapy_tables():
    visits = _frame({"a": [(56, "PR"), (84, "PR")]})
    with pytest.raises(
        InvalidValueError,
        match=r"`new_therapy_day` must be non-negative; found 1 value < 0 in the new therapy table \(first: -5.0 for subject 'a'\)",
    ):
        best_overall_response(
            visits, new_therapy=pl.DataFrame({"subject_id": ["a"], "new_therapy_day": [-5.0]})
        )
    with pytest.raises(InvalidValueError, match=r"`new_therapy_day` must be finite"):
        best_overall_response(
            visits,
            new_therapy=pl.DataFrame({"subject_id": ["a"], "new_therapy_day": [float("nan")]}),
        )
    with pytest.raises(
        ColumnTypeError,
        match=r"`subject_id` is Int64 in the new therapy table but String in the assessment table",
    ):
        best_overall_response(
            visits, new_therapy=pl.DataFrame({"subject_id": [1], "new_therapy_day": [5.0]})
        )
    with pytest.raises(InvalidValueError, match="`subject_id` repeats in the new therapy table"):
        best_overall_response(
            visits,
            new_therapy=pl.DataFrame({"subject_id": ["a", "a"], "new_therapy_day": [5.0, 6.0]}),
        )
    # integer ids of different widths join
    narrow = pl.DataFrame({"subject_id": pl.Series([1], dtype=pl.Int32), "new_therapy_day": [70.0]})
    got = best_overall_response(
        visits.with_columns(pl.lit(1).alias("subject_id")), new_therapy=narrow
    )
    assert got["bor"].item() == "SD"  # the day-84 PR came after the new therapy


def test_flags_must_be_booleans_and_counts_any_integer():
    import numpy as np

    frame = _frame({"a": [(56, "PR"), (112, "PR")]})
    # "no" is truthy: before, confirmation silently stayed on; now it is an error
    with pytest.raises(OptionError, match=r"^`confirm` must be True or False; got 'no'$"):
        best_overall_response(frame, confirm="no")
    with pytest.raises(OptionError, match=r"^`sd_between_pr` must be True or False; got 1$"):
        best_overall_response(frame, sd_between_pr=1)
    with pytest.raises(OptionError, match=r"^`max_ne_between` must be an integer >= 0; got 1.0$"):
        best_overall_response(frame, max_ne_between=1.0)
    # NumPy scalars are numbers and booleans like any other: PR at 56 confirmed at 112
    got = best_overall_response(
        frame, confirm=np.bool_(True), confirm_days=np.float64(28), max_ne_between=np.int64(1)
    )
    assert got.select("bor", "confirmed").row(0) == ("PR", True)
