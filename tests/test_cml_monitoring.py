"""ELN 2020 milestones and loss of MMR, on hand-worked patients and against a slow reference."""

from __future__ import annotations

import subprocess
import sys

import polars as pl
import pytest
from cml_data import labs as _labs
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from survstat.cli import app
from survstat.endpoints.cml_monitoring import ELN_2020, Milestone, eln_milestones, loss_of_mmr
from survstat.errors import OptionError

MILESTONE_LABS = _labs(
    [
        # all optimal
        ("p1", 3.0, 8.0, 5e4),
        ("p1", 6.0, 0.5, 5e4),
        ("p1", 12.0, 0.08, 5e4),
        # > 10% at 3 months confirmed at 6 (3 months later); > 10% at 6; 0.5% at 12
        ("p2", 3.0, 15.0, 5e4),
        ("p2", 6.0, 12.0, 5e4),
        ("p2", 12.0, 0.5, 5e4),
        # > 10% at 3 months, next result 4.5 months later: not confirmed; none near 6;
        # exactly 1% at 12 (the upper end of warning)
        ("p3", 3.0, 15.0, 5e4),
        ("p3", 7.5, 11.0, 5e4),
        ("p3", 12.0, 1.0, 5e4),
        # undetectable with fewer than 10,000 ABL1 copies is not evaluable (EUTOS), so it is
        # no milestone result even where its bound would look optimal (500 copies: 0.2% at 3;
        # 8,000: 0.0125% at 12); with 12,000 copies the bound 0.00833% is optimal at 6
        ("p4", 3.0, None, 500.0),
        ("p4", 6.0, None, 12_000.0),
        ("p4", 12.0, None, 8_000.0),
        # two results equally near 12: the earlier one is used; 1.5% is failure
        ("p5", 11.5, 1.5, 5e4),
        ("p5", 12.5, 0.05, 5e4),
        # an undetectable result too insensitive for 12 months (500 copies: 0.2%) is skipped
        # in favour of a detectable one further away
        ("p6", 12.0, None, 500.0),
        ("p6", 12.8, 0.3, 5e4),
        # exactly 10% at 3 months is optimal; exactly 0.1% at 12 is optimal
        ("p7", 3.0, 10.0, 5e4),
        ("p7", 12.0, 0.1, 5e4),
    ]
)


def test_hand_worked_milestones():
    t = eln_milestones(MILESTONE_LABS)
    got = {
        (r["patient_id"], r["milestone"]): (r["category"], r["sample_time"], r["confirmation_time"])
        for r in t.iter_rows(named=True)
    }
    assert t.height == 7 * 3
    assert got[("p1", 3.0)][0] == got[("p1", 6.0)][0] == got[("p1", 12.0)][0] == "optimal"
    assert got[("p2", 3.0)] == ("failure", 3.0, 6.0)
    assert got[("p2", 6.0)] == ("failure", 6.0, None)
    assert got[("p2", 12.0)] == ("warning", 12.0, None)
    assert got[("p3", 3.0)] == ("warning", 3.0, None)
    assert got[("p3", 6.0)] == (None, None, None)
    assert got[("p3", 12.0)] == ("warning", 12.0, None)
    assert [got[("p4", m)][0] for m in (3.0, 6.0, 12.0)] == [None, "optimal", None]
    assert got[("p5", 12.0)] == ("failure", 11.5, None)
    assert got[("p6", 12.0)] == ("warning", 12.8, None)
    assert got[("p7", 3.0)][0] == got[("p7", 12.0)][0] == "optimal"
    reasons = dict(
        zip(
            t.select(pl.concat_str("patient_id", "milestone", separator="@")).to_series(),
            t.get_column("reason"),
            strict=True,
        )
    )
    assert reasons["p3@3.0"] == "> 10%, not confirmed"
    assert reasons["p2@3.0"] == "> 10%, confirmed"
    assert reasons["p3@6.0"] == "no informative result within +-1 of 6"
    assert t.schema["category"] == pl.Enum(["optimal", "warning", "failure"])
    bound = t.filter((pl.col("patient_id") == "p4") & (pl.col("milestone") == 6.0))
    assert bound.get_column("is_percent").item() == pytest.approx(0.01 / 1.2, rel=1e-12)
    assert reasons["p4@3.0"] == "no informative result within +-1 of 3"


def test_milestone_window_and_custom_milestones():
    wide = eln_milestones(MILESTONE_LABS, window=1.5)
    row = wide.filter((pl.col("patient_id") == "p3") & (pl.col("milestone") == 6.0)).row(
        0, named=True
    )
    assert (row["category"], row["sample_time"]) == ("failure", 7.5)
    m18 = eln_milestones(MILESTONE_LABS, milestones=(Milestone(18.0, 0.1, 1.0),), window=7)
    assert m18.height == 7
    assert set(m18.get_column("milestone")) == {18.0}
    assert ELN_2020[0].confirm == (1.0, 3.0)
    with pytest.raises(OptionError, match="`window` must be finite and >= 0; got -1"):
        eln_milestones(MILESTONE_LABS, window=-1)
    with pytest.raises(OptionError, match="`milestones` must not be empty"):
        eln_milestones(MILESTONE_LABS, milestones=())


LOSS_LABS = _labs(
    [
        # MMR at 6, 0.3% at 9 (single loss), back in MMR, then 0.2% and 1.5%: confirmed at 15
        ("a", 3.0, 0.5, 5e4),
        ("a", 6.0, 0.05, 5e4),
        ("a", 9.0, 0.3, 5e4),
        ("a", 12.0, 0.05, 5e4),
        ("a", 15.0, 0.2, 5e4),
        ("a", 18.0, 1.5, 5e4),
        # never in MMR: not in the table
        ("b", 3.0, 5.0, 5e4),
        ("b", 6.0, 0.5, 5e4),
        # an undetectable result with 5,000 ABL1 copies is not evaluable, so MMR starts at 6;
        # the undetectable result at 12 (40,000 copies) is in MMR; censored at 12
        ("c", 3.0, None, 5_000.0),
        ("c", 6.0, 0.01, 5e4),
        ("c", 12.0, None, 4e4),
        # an insensitive undetectable result (500 copies) between two high ones is skipped,
        # so they are consecutive: confirmed loss at 6; censoring ignores the skipped 500
        ("d", 3.0, 0.08, 5e4),
        ("d", 6.0, 0.4, 5e4),
        ("d", 7.0, None, 500.0),
        ("d", 9.0, 1.2, 5e4),
        # exactly 0.1% is MMR; two results above 0.1% but both below 1%: not confirmed
        ("e", 3.0, 0.1, 5e4),
        ("e", 6.0, 0.5, 5e4),
        ("e", 9.0, 0.9, 5e4),
        ("e", 10.0, None, 500.0),
    ]
)


def test_hand_worked_loss_of_mmr():
    cols = ["patient_id", "mmr_time", "loss_of_mmr", "loss_time", "end_time", "duration"]
    unconfirmed = loss_of_mmr(LOSS_LABS).select(cols).rows()
    assert unconfirmed == [
        ("a", 6.0, True, 9.0, 9.0, 3.0),
        ("c", 6.0, False, None, 12.0, 6.0),
        ("d", 3.0, True, 6.0, 6.0, 3.0),
        ("e", 3.0, True, 6.0, 6.0, 3.0),
    ]
    confirmed = loss_of_mmr(LOSS_LABS, confirmed=True).select(cols).rows()
    assert confirmed == [
        ("a", 6.0, True, 15.0, 15.0, 9.0),
        ("c", 6.0, False, None, 12.0, 6.0),
        ("d", 3.0, True, 6.0, 6.0, 3.0),
        ("e", 3.0, False, None, 9.0, 6.0),
    ]


def _slow_loss(samples: list[tuple[float, float | None, float]], confirmed: bool):
    """Loss of MMR for one patient, written as a plain loop over sorted results."""
    seq = []
    for t, is_pct, copies in sorted(samples):
        if is_pct is None and copies < 10_000:
            continue  # undetectable with too few ABL1 copies: not evaluable
        value = is_pct if is_pct is not None else 0.01 * 10_000 / copies
        if value <= 0.1:
            seq.append((t, value, "in"))
        elif is_pct is not None:
            seq.append((t, value, "above"))
    start = next((i for i, s in enumerate(seq) if s[2] == "in"), None)
    if start is None:
        return None
    for i in range(start + 1, len(seq)):
        if seq[i][2] != "above":
            continue
        if not confirmed:
            return seq[start][0], seq[i][0]
        if i + 1 < len(seq) and seq[i + 1][2] == "above" and max(seq[i][1], seq[i + 1][1]) >= 1:
            return seq[start][0], seq[i][0]
    return seq[start][0], None


_results = st.lists(
    st.tuples(
        st.sampled_from([0.005, 0.05, 0.1, 0.3, 0.99, 1.0, 3.0, None]),
        st.sampled_from([500.0, 5_000.0, 5e4]),
    ),
    min_size=1,
    max_size=8,
)


@settings(max_examples=60, deadline=None)
@given(st.lists(_results, min_size=1, max_size=5), st.booleans())
def test_loss_of_mmr_matches_slow_reference(patients, confirmed):
    rows = [
        (f"p{k}", float(3 * (i + 1)), is_pct, copies)
        for k, results in enumerate(patients)
        for i, (is_pct, copies) in enumerate(results)
    ]
    got = {
        r["patient_id"]: (r["mmr_time"], r["loss_time"])
        for r in loss_of_mmr(_labs(rows), confirmed=confirmed).iter_rows(named=True)
    }
    expected = {}
    for k, results in enumerate(patients):
        samples = [(float(3 * (i + 1)), v, c) for i, (v, c) in enumerate(results)]
        ref = _slow_loss(samples, confirmed)
        if ref is not None:
            expected[f"p{k}"] = ref
    assert got == expected


def test_cli_milestones_and_loss(tmp_path):
    data = tmp_path / "labs.parquet"
    LOSS_LABS.write_parquet(data)
    runner = CliRunner()
    out = tmp_path / "m.parquet"
    r = runner.invoke(app, ["cml", "milestones", str(data), "--window", "1", "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert pl.read_parquet(out).columns == [
        "patient_id",
        "milestone",
        "sample_time",
        "is_percent",
        "detected",
        "category",
        "confirmation_time",
        "reason",
    ]
    out = tmp_path / "l.parquet"
    r = runner.invoke(app, ["cml", "loss-of-mmr", str(data), "--confirmed", "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert pl.read_parquet(out).get_column("loss_of_mmr").to_list() == [True, False, True, False]
    for cmd in ("milestones", "loss-of-mmr"):
        assert "Example:" in runner.invoke(app, ["cml", cmd, "--help"]).output
    # the duration feeds Kaplan-Meier directly, in a real process
    args = ["km", str(out), "--time", "duration", "--event", "loss_of_mmr"]
    km = subprocess.run(
        [sys.executable, "-m", "survstat", *args, "-o", str(tmp_path / "km.parquet")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert km.returncode == 0, km.stderr
    assert pl.read_parquet(tmp_path / "km.parquet").get_column("n_event").sum() == 2


def test_hand_worked_sustained_response():
    from survstat.endpoints.cml_monitoring import sustained_response

    labs = _labs(
        [
            # MR4 runs 0-12 and 24-36 (an insensitive undetectable result at 30 is skipped);
            # the longest is the earlier on a tie; current run 24-36
            ("a", 0.0, 0.005, 5e4),
            ("a", 6.0, None, 2e4),  # undetectable, 20,000 ABL1: MR4
            ("a", 12.0, 0.008, 5e4),
            ("a", 18.0, 0.05, 5e4),
            ("a", 24.0, 0.01, 5e4),  # exactly 0.01%: MR4
            ("a", 30.0, None, 5e3),
            ("a", 36.0, 0.002, 5e4),
            # last result above MR4: no current run
            ("b", 0.0, 0.005, 5e4),
            ("b", 12.0, 0.5, 5e4),
            # never MR4
            ("c", 0.0, 0.05, 5e4),
        ]
    )
    cols = ["patient_id", "n_results", "longest_start", "longest_end", "longest_duration"]
    cols += ["current_start", "current_duration", "last_result_time"]
    got = sustained_response(labs).select(cols).rows()
    assert got == [
        ("a", 6, 0.0, 12.0, 12.0, 24.0, 12.0, 36.0),
        ("b", 2, 0.0, 0.0, 0.0, None, None, 12.0),
        ("c", 1, None, None, None, None, None, 0.0),
    ]
    until = sustained_response(labs, until=24.0, level="MR4").row(0, named=True)
    assert (until["current_start"], until["current_duration"]) == (24.0, 0.0)
    mr45 = sustained_response(labs, level="MR4.5").row(0, named=True)
    assert (mr45["longest_start"], mr45["longest_duration"]) == (36.0, 0.0)
    with pytest.raises(OptionError, match="level must be a response level"):
        sustained_response(labs, level="none")


def _slow_runs(seq: list[tuple[float, bool]]):
    """(longest (start, duration), current (start, duration)) from (time, deep) in time order."""
    runs, start, prev = [], None, None
    for t, deep in seq:
        if deep and start is None:
            start = t
        if not deep and start is not None:
            runs.append((start, prev))
            start = None
        prev = t
    if start is not None:
        runs.append((start, prev))
    longest = max(runs, key=lambda r: (r[1] - r[0], -r[0]), default=None)
    current = runs[-1] if runs and seq[-1][1] else None
    return longest, current


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.lists(st.sampled_from([0.005, 0.01, 0.05, 0.5]), min_size=1, max_size=9),
        min_size=1,
        max_size=4,
    )
)
def test_sustained_response_matches_slow_reference(patients):
    from survstat.endpoints.cml_monitoring import sustained_response

    rows = [
        (f"p{k}", float(3 * i), v, 5e4)
        for k, vals in enumerate(patients)
        for i, v in enumerate(vals)
    ]
    got = {r["patient_id"]: r for r in sustained_response(_labs(rows)).iter_rows(named=True)}
    for k, vals in enumerate(patients):
        longest, current = _slow_runs([(float(3 * i), v <= 0.01) for i, v in enumerate(vals)])
        r = got[f"p{k}"]
        assert (r["longest_start"], r["longest_end"]) == (longest or (None, None))
        assert r["current_start"] == (current[0] if current else None)
        assert r["current_duration"] == (current[1] - current[0] if current else None)


def test_thresholds_hold_at_the_boundaries_in_monitoring():
    import numpy as np

    f32 = float(np.float32(0.1))  # 0.10000000149: above 0.1 in binary
    # ELN cut-offs reached through arithmetic: 10.000000000000002% at 3 months is 10%
    # (optimal), 1.0000000000000002% at 6 months is 1% (optimal), float32 0.1% at 12 optimal
    labs = _labs([("m", 3.0, 0.1 * 3 / 3 * 100), ("m", 6.0, 0.1 * 3 / 3 * 10), ("m", 12.0, f32)])
    assert eln_milestones(labs)["category"].cast(pl.String).to_list() == ["optimal"] * 3
    # float32 0.1% keeps MMR; 0.2% then 0.3/3 x 10 = 0.9999999999999999% (1% at 6 significant
    # digits): a loss at 9, confirmed by the "at least 1%" rule
    loss = _labs([("l", 3.0, 0.05), ("l", 6.0, f32), ("l", 9.0, 0.2), ("l", 12.0, 0.3 / 3 * 10)])
    assert loss_of_mmr(loss).select("mmr_time", "loss_time").row(0) == (3.0, 9.0)
    assert loss_of_mmr(loss, confirmed=True).select("loss_time").item() == 9.0
    # float32 0.01% is MR4: the run 0-12 is not broken
    from survstat.endpoints.cml_monitoring import sustained_response

    runs = _labs([("s", 0.0, 0.005), ("s", 6.0, float(np.float32(0.01))), ("s", 12.0, 0.004)])
    assert sustained_response(runs)["longest_duration"].item() == 12.0


def test_float32_result_after_a_stop_is_no_relapse():
    import numpy as np

    from survstat.endpoints.cml_tfr import tfr_endpoints

    labs = _labs([("t", 30.0, 0.005), ("t", 66.0, 0.004), ("t", 70.0, float(np.float32(0.1)))])
    pts = pl.DataFrame({"patient_id": ["t"], "tki_stop": [66.0], "last_follow_up": [80.0]})
    # 0.10000000149% is 0.1%: still in MMR, so TFR is censored at 14 months after the stop
    assert tfr_endpoints(labs, pts).select("time", "cause_label").row(0) == (14.0, "censored")
