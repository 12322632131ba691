"""No traceback on any input: random small RECIST, pathology and endpoint tables.

Every call returns a result or raises a one-line SurvstatError; valid results keep the
invariants the derivation rules imply and hold no NaN or infinity.
"""

from __future__ import annotations

import math

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from survstat.analyses.efficacy import efficacy_table
from survstat.endpoints.pcr import pcr_flags
from survstat.endpoints.recist import best_overall_response
from survstat.endpoints.recist_tte import time_to_event_endpoints
from survstat.errors import SurvstatError

SETTINGS = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

CODES = ["CR", "PR", "SD", "PD", "NE", "NON-CR/NON-PD", "NED", "Non-CR/Non-PD", "unk", " pr "]
JUNK = ["", "CRR", "iUPD", "x", None]
SUBJECTS = ["s1", "s2", "s3", "s4"]

valid_day = st.integers(1, 400).map(float)
any_day = st.one_of(
    valid_day,
    st.sampled_from([0.0, -3.0, math.nan, math.inf, -math.inf]),
    st.none(),
)


@st.composite
def visits(draw, clean: bool) -> pl.DataFrame:
    """An assessment table; ``clean`` draws only valid codes and days (no repeated visit)."""
    rows = []
    for subject in draw(st.lists(st.sampled_from(SUBJECTS), max_size=4, unique=True)):
        days = draw(st.lists(valid_day if clean else any_day, max_size=6, unique=clean))
        codes = st.sampled_from(CODES if clean else CODES + JUNK)
        rows += [(subject, d, draw(codes)) for d in days]
    if not clean and draw(st.booleans()):
        rows.append((None, 56.0, "SD"))
    return pl.DataFrame(
        rows,
        schema={"subject_id": pl.String, "day": pl.Float64, "response": pl.String},
        orient="row",
    )


@st.composite
def subject_tables(draw, clean: bool, ids: list[str]) -> pl.DataFrame:
    """A subject table for ``ids`` (and maybe others)."""
    day = st.one_of(st.none(), valid_day) if clean else any_day
    rows = []
    for subject in sorted(set(ids) | set(draw(st.lists(st.sampled_from(SUBJECTS))))):
        death = draw(day)
        alive = None if clean and death is not None else draw(day)
        if clean and death is None and alive is None:
            alive = 500.0
        rows.append((subject, death, alive, draw(day), draw(st.sampled_from(["A", "B", "C"]))))
    return pl.DataFrame(
        rows,
        schema={
            "subject_id": pl.String,
            "death_day": pl.Float64,
            "last_alive_day": pl.Float64,
            "new_therapy_day": pl.Float64,
            "arm": pl.String,
        },
        orient="row",
    )


def _call(function, *args, **kwargs):
    """The result, or None after a one-line SurvstatError; anything else fails the test."""
    message = None
    try:
        return function(*args, **kwargs)
    except SurvstatError as exc:
        message = str(exc)
    assert message
    assert "\n" not in message, message
    return None


def _finite(frame: pl.DataFrame) -> None:
    for name, dtype in frame.schema.items():
        if dtype.is_float():
            col = frame.get_column(name).drop_nulls()
            assert col.is_finite().all(), f"{name} holds NaN or infinity"


DERIVE_OPTIONS = st.fixed_dictionaries(
    {
        "confirm": st.booleans(),
        "window_days": st.sampled_from([0.0, 7.0, 14.0]),
        "max_missed": st.integers(0, 2),
        "new_therapy_same_day": st.sampled_from(["before", "after"]),
    }
)


@SETTINGS
@given(st.data(), st.booleans())
def test_best_overall_response_never_tracebacks(data, clean):
    a = data.draw(visits(clean))
    nt = data.draw(subject_tables(clean, []))
    confirm = data.draw(st.booleans())
    got = _call(best_overall_response, a, confirm=confirm, new_therapy=nt)
    if got is None:
        return
    _finite(got)
    for r in got.iter_rows(named=True):
        assert r["objective_response"] == (r["bor"] in ("CR", "PR"))
        assert (r["response_day"] is not None) == r["objective_response"]
        assert r["confirmed"] <= r["objective_response"]
        if r["first_pd_day"] is not None and r["response_day"] is not None:
            assert r["response_day"] < r["first_pd_day"]


@SETTINGS
@given(st.data(), st.booleans(), DERIVE_OPTIONS)
def test_time_to_event_endpoints_never_traceback(data, clean, options):
    a = data.draw(visits(clean))
    ids = a.get_column("subject_id").drop_nulls().unique().to_list()
    subj = data.draw(subject_tables(clean, ids))
    if clean:
        # no assessment after death or after last known alive
        last = dict(a.group_by("subject_id").agg(pl.col("day").max()).iter_rows())
        subj = subj.with_columns(
            pl.max_horizontal(
                "death_day", pl.col("subject_id").replace_strict(last, default=None)
            ).alias("death_day"),
        ).with_columns(
            pl.when(pl.col("last_alive_day").is_not_null())
            .then(pl.max_horizontal("last_alive_day", "death_day"))
            .alias("last_alive_day"),
            pl.when(pl.col("last_alive_day").is_not_null())
            .then(None)
            .otherwise(pl.col("death_day"))
            .alias("death_day"),
        )
    if data.draw(st.booleans()):
        flags = data.draw(st.lists(st.booleans(), min_size=subj.height, max_size=subj.height))
        subj = subj.with_columns(pl.Series("baseline_assessed", flags, dtype=pl.Boolean))
    got = _call(time_to_event_endpoints, a, subj, **options)
    if got is None:
        return
    _finite(got)
    assert got.height == subj.height
    if "baseline_assessed" in got.columns:
        # no baseline tumour assessment: censored at day 0 (FDA 2018), best response NE
        for r in got.filter(~pl.col("baseline_assessed")).iter_rows(named=True):
            assert (r["pfs_time"], r["pfs_event"], r["pfs_censor_reason"]) == (
                0.0,
                False,
                "no baseline assessment",
            )
            assert (r["bor"], r["objective_response"], r["dor_time"]) == ("NE", False, None)
        got = got.filter(pl.col("baseline_assessed"))
    for r in got.iter_rows(named=True):
        assert 0 <= r["ttp_time"] <= r["pfs_time"] <= r["os_time"]
        if r["objective_response"]:
            assert r["dor_time"] >= 0
            assert r["dor_time"] == r["pfs_time"] - r["response_day"]
            assert (r["dor_event"], r["dor_censor_reason"]) == (
                r["pfs_event"],
                r["pfs_censor_reason"],
            )
        else:
            assert r["dor_time"] is None
        if r["pfs_event"]:
            assert r["pfs_censor_reason"].startswith(("progression", "death"))
    # the best response of the derivation is the one cut at each subject's new therapy
    if a.height:
        bor = best_overall_response(
            a,
            confirm=options["confirm"],
            new_therapy=subj,
            new_therapy_same_day=options["new_therapy_same_day"],
        )
        if "baseline_assessed" in subj.columns:  # those without one are NE (checked above)
            bor = bor.join(got.select("subject_id"), on="subject_id")
        cols = ["subject_id", "bor", "confirmed", "response_day", "n_assessments"]
        assert (
            got.select(cols)
            .join(bor.select("subject_id"), on="subject_id")
            .sort("subject_id")
            .equals(bor.select(cols).sort("subject_id"))
        )


T_CODES = ["ypT0", "ypTis", "ypTis (DCIS)", "ypT1mi", "ypT1a(m)", "ypT2", "ypTX", "T0"]
N_CODES = ["ypN0", "ypN0(i+)", "ypN0(i-)", "ypN0(mol+)", "ypN0(sn)", "ypN1mi", "ypN2a", "ypNX"]
PATH_JUNK = ["", "ypT5", "ypN0(i+)(i-)", "pCR", "N0 (sn)(sn)", None]


@SETTINGS
@given(st.data(), st.booleans())
def test_pcr_flags_never_traceback(data, clean):
    n = data.draw(st.integers(0, 8))
    t = data.draw(
        st.lists(st.sampled_from(T_CODES + ([] if clean else PATH_JUNK)), min_size=n, max_size=n)
    )
    nn = data.draw(
        st.lists(st.sampled_from(N_CODES + ([] if clean else PATH_JUNK)), min_size=n, max_size=n)
    )
    path = pl.DataFrame({"ypT": t, "ypN": nn}, schema={"ypT": pl.String, "ypN": pl.String})
    itc = data.draw(st.booleans())
    results = {
        d: _call(pcr_flags, path, definition=d, itc_is_pcr=itc)
        for d in ("ypT0 ypN0", "ypT0/is ypN0", "ypT0/is")
    }
    if any(r is None for r in results.values()):
        assert not clean
        return
    strict, fda, breast = (results[d]["pcr"].to_list() for d in results)
    for s_, f_, b_ in zip(strict, fda, breast, strict=True):
        # a stricter definition never finds pCR where a looser one does not
        assert not (s_ and f_ is False)
        assert not (f_ and b_ is False)


@SETTINGS
@given(st.data(), DERIVE_OPTIONS)
def test_efficacy_table_never_tracebacks(data, options):
    a = data.draw(visits(True))
    subj = data.draw(subject_tables(True, a.get_column("subject_id").unique().to_list()))
    derived = _call(time_to_event_endpoints, a, subj, **options)
    if derived is None:
        return
    strata = data.draw(st.sampled_from([None, "arm_copy"]))
    derived = derived.with_columns(pl.col("arm").alias("arm_copy"))
    got = _call(
        efficacy_table, derived, strata=strata, reference=data.draw(st.sampled_from([None, "B"]))
    )
    if got is None:
        return
    _finite(got)
    assert got["n"].sum() == derived.height
    for prefix in ("orr", "cbr", "dcr", "pfs_rate_6m", "os_rate_12m"):
        for r in got.iter_rows(named=True):
            est, lo, hi = r[prefix], r[f"{prefix}_conf_low"], r[f"{prefix}_conf_high"]
            if est is not None:
                assert 0 <= est <= 1
            if None not in (est, lo, hi):
                assert lo - 1e-12 <= est <= hi + 1e-12
    for r in got.iter_rows(named=True):
        assert (r["hazard_ratio"] is None) or r["hazard_ratio"] > 0
        assert r["n_dor"] == r["n_responders"]


@pytest.mark.parametrize(
    "frame",
    [
        pl.DataFrame({"subject_id": [1, 2], "day": ["a", "b"], "response": ["CR", "PR"]}),
        pl.DataFrame({"subject_id": [1], "day": [True], "response": ["CR"]}),
        pl.DataFrame({"subject_id": [1], "day": [[1, 2]], "response": ["CR"]}),
        pl.DataFrame({"subject_id": [1], "day": [56], "response": [[1]]}),
        pl.DataFrame({"x": [1]}),
        pl.DataFrame(),
    ],
)
def test_malformed_tables(frame):
    subj = pl.DataFrame(
        {
            "subject_id": [1],
            "death_day": [100.0],
            "last_alive_day": [None],
            "new_therapy_day": [None],
        }
    )
    for call in (
        lambda: best_overall_response(frame),
        lambda: time_to_event_endpoints(frame, subj),
        lambda: pcr_flags(frame),
        lambda: efficacy_table(frame),
    ):
        with pytest.raises(SurvstatError):
            call()
