"""RECIST 1.1 best overall response on hand-built subjects, one per rule."""

from __future__ import annotations

import polars as pl
import pytest

import survstat
from survstat.endpoints.recist import best_overall_response
from survstat.errors import ColumnNotFoundError, InvalidValueError

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
    with pytest.raises(InvalidValueError, match=r"1 of 2 rows hold unknown responses \['uCR'\]"):
        best_overall_response(_frame({"a": [(56, "uCR"), (84, "PR")]}))
    with pytest.raises(InvalidValueError, match=r"not after the start \(day <= 0\)"):
        best_overall_response(_frame({"a": [(0, "SD")]}))
    with pytest.raises(InvalidValueError, match="duplicated visits: 2 rows"):
        best_overall_response(_frame({"a": [(56, "SD"), (56, "PR")]}))
    with pytest.raises(ColumnNotFoundError, match="`response`"):
        best_overall_response(_frame({"a": [(56, "SD")]}).rename({"response": "resp"}))
