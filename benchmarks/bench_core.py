"""Wall-time benchmark of survstat's estimators against the Python peers.

Tasks: Kaplan-Meier (one group, 1,000 groups), two-group log-rank, cumulative incidence with
two competing causes (floor: polars ``group_by(cause, time)``), Cox models with three covariates on
right-censored and on counting-process data (two rows per subject), and the Fine-Gray model
with three covariates (R's ``coxph`` and ``crr`` are timed on the same data by
``bench_r_models.R``, after ``--export DIR``).

Data: n rows, times exponential (mean 10) rounded to 0.01, ~70% events, and either one group,
two groups (log-rank) or 1,000 groups. The floor is the least work any exact method must do:
polars ``group_by([group,] time).agg(events, count).sort()`` on the same frame. Each timing is
the best of ``--repeat`` runs. Peers that only take one group are looped over groups, and
splitting the rows by group counts as part of their work.

    python benchmarks/bench_core.py --sizes 100000,1000000 --repeat 3 [--markdown out.md]

``--cox-csv DIR`` writes the Cox data instead, for R's timings (``benchmarks/bench_cox_r.R``).
"""

from __future__ import annotations

import argparse
import gc
import time
import warnings
from collections.abc import Callable

import numpy as np
import polars as pl

import survstat


def make_data(n: int, n_groups: int, seed: int = 2026) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    return pl.DataFrame(
        {
            "time": np.round(rng.exponential(10.0, n), 2),
            "event": (rng.random(n) < 0.7).astype(np.int8),
            "group": rng.integers(0, n_groups, n).astype(np.int32),
        }
    )


def best_of(fn: Callable[[], object], repeat: int) -> float:
    """Best wall time of ``repeat`` runs (a single run when one already takes over 2 s)."""
    times: list[float] = []
    for _ in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
        if times[-1] > 2.0:
            break
    return min(times)


def floor(df: pl.DataFrame, grouped: bool) -> Callable[[], object]:
    keys = ["group", "time"] if grouped else ["time"]
    return lambda: (
        df.group_by(keys).agg(pl.col("event").sum().alias("d"), pl.len().alias("n")).sort(keys)
    )


def split_groups(df: pl.DataFrame) -> list[tuple[np.ndarray, np.ndarray]]:
    parts = df.partition_by("group", maintain_order=False)
    return [(p["time"].to_numpy(), p["event"].to_numpy()) for p in parts]


def km_cases(df: pl.DataFrame, grouped: bool) -> dict[str, Callable[[], object]]:
    from lifelines import KaplanMeierFitter
    from sksurv.nonparametric import kaplan_meier_estimator
    from statsmodels.duration.survfunc import SurvfuncRight

    by = "group" if grouped else None
    cases: dict[str, Callable[[], object]] = {
        "floor (polars group_by + sort)": floor(df, grouped),
        "survstat kaplan_meier (log-log CI)": lambda: survstat.kaplan_meier(
            df, time="time", event="event", by=by
        ),
    }

    def per_group(fit: Callable[[np.ndarray, np.ndarray], object]) -> Callable[[], object]:
        if not grouped:
            t, e = df["time"].to_numpy(), df["event"].to_numpy()
            return lambda: fit(t, e)
        return lambda: [fit(t, e) for t, e in split_groups(df)]

    cases["lifelines KaplanMeierFitter.fit"] = per_group(lambda t, e: KaplanMeierFitter().fit(t, e))
    cases["scikit-survival kaplan_meier_estimator(log-log)"] = per_group(
        lambda t, e: kaplan_meier_estimator(e.astype(bool), t, conf_type="log-log")
    )
    cases["statsmodels SurvfuncRight (no CI)"] = per_group(lambda t, e: SurvfuncRight(t, e))
    return cases


def logrank_cases(df: pl.DataFrame) -> dict[str, Callable[[], object]]:
    from lifelines.statistics import logrank_test
    from sksurv.compare import compare_survival
    from statsmodels.duration.survfunc import survdiff

    two = df.with_columns(group=(pl.col("group") % 2))
    t, e, g = two["time"].to_numpy(), two["event"].to_numpy(), two["group"].to_numpy()
    y = np.empty(len(t), dtype=[("event", bool), ("time", float)])
    y["event"], y["time"] = e.astype(bool), t

    def lifelines_lr():
        a = g == 0
        return logrank_test(t[a], t[~a], e[a], e[~a])

    return {
        "floor (polars group_by + sort)": floor(two, True),
        "survstat logrank": lambda: survstat.logrank(two, time="time", event="event", by="group"),
        "lifelines logrank_test": lifelines_lr,
        "scikit-survival compare_survival": lambda: compare_survival(y, g),
        "statsmodels survdiff": lambda: survdiff(t, e, g),
    }


def make_competing(n: int, seed: int = 2026) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    return pl.DataFrame(
        {
            "time": np.round(rng.exponential(10.0, n), 2),
            "cause": rng.choice([0, 1, 2], n, p=[0.3, 0.4, 0.3]).astype(np.int64),
        }
    )


def cif_cases(df: pl.DataFrame) -> dict[str, Callable[[], object]]:
    from lifelines import AalenJohansenFitter
    from sksurv.nonparametric import cumulative_incidence_competing_risks
    from statsmodels.duration.survfunc import CumIncidenceRight

    t, c = df["time"].to_numpy(), df["cause"].to_numpy()
    keys = ["cause", "time"]
    return {
        "floor (polars group_by + sort)": lambda: (
            df.group_by(keys).agg(pl.len().alias("n")).sort(keys)
        ),
        "survstat cumulative_incidence (both causes, variance, CI)": lambda: (
            survstat.cumulative_incidence(df, time="time", cause="cause")
        ),
        "lifelines AalenJohansenFitter (both causes)": lambda: [
            AalenJohansenFitter(calculate_variance=True).fit(t, c, event_of_interest=k)
            for k in (1, 2)
        ],
        "scikit-survival cumulative_incidence_competing_risks": lambda: (
            cumulative_incidence_competing_risks(c, t, conf_type="log-log")
        ),
        "statsmodels CumIncidenceRight": lambda: CumIncidenceRight(t, c),
    }


def make_cox(n: int, seed: int = 2026) -> pl.DataFrame:
    """Exponential times depending on three normal covariates, rounded to 0.01; ~70% events."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3))
    return pl.DataFrame(
        {
            "time": np.round(rng.exponential(10.0 * np.exp(-(x @ [0.5, -0.3, 0.2]))), 2),
            "event": (rng.random(n) < 0.7).astype(np.int8),
            "x1": x[:, 0],
            "x2": x[:, 1],
            "x3": x[:, 2],
        }
    )


def make_cox_counting(n: int, seed: int = 2026) -> pl.DataFrame:
    """n rows, two per subject: the follow-up of :func:`make_cox`'s first n / 2 subjects (0.01
    added to every time) cut at a uniform fraction of it into (0, cut] and (cut, time], with
    the event on the second row and ``x3`` changing at the cut (a time-varying covariate)."""
    one = make_cox(n // 2, seed).with_columns(pl.col("time") + 0.01)
    rng = np.random.default_rng(seed + 1)
    cut = one["time"].to_numpy() * rng.uniform(0.1, 0.9, one.height)
    first = one.with_columns(start=pl.lit(0.0), time=pl.Series(cut), event=pl.lit(0, pl.Int8))
    second = one.with_columns(
        start=pl.Series(cut), x3=pl.col("x3") + pl.Series(rng.normal(0, 0.5, one.height))
    )
    return pl.concat([first, second]).select("start", "time", "event", "x1", "x2", "x3")


def cox_cases(n: int, seed: int = 2026) -> dict[str, Callable[[], object]]:
    from lifelines import CoxPHFitter
    from statsmodels.duration.hazard_regression import PHReg

    df = make_cox(n, seed)
    pdf = df.to_pandas()
    exog = df.select("x1", "x2", "x3").to_numpy()
    endog = df.get_column("time").to_numpy()
    status = df.get_column("event").to_numpy()
    return {
        "floor (polars group_by + sort)": floor(df, False),
        "survstat cox (Efron, + concordance)": lambda: survstat.cox(
            df, time="time", event="event", covariates=["x1", "x2", "x3"]
        ),
        "lifelines CoxPHFitter (Efron)": lambda: CoxPHFitter().fit(
            pdf, duration_col="time", event_col="event"
        ),
        "statsmodels PHReg (Efron)": lambda: PHReg(endog, exog, status=status, ties="efron").fit(),
    }


def fine_gray_data(n: int, seed: int = 2026) -> pl.DataFrame:
    """Cause 1 with a subdistribution depending on three normal covariates, a competing cause
    and censoring; times rounded to 0.01."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3))
    t1 = rng.exponential(10.0 * np.exp(-(x @ [0.4, -0.2, 0.1])))
    t2 = rng.exponential(15.0, n)
    c = rng.exponential(20.0, n)
    t = np.minimum(np.minimum(t1, t2), c)
    status = np.where(t == t1, 1, np.where(t == t2, 2, 0))
    return pl.DataFrame(
        {"time": np.round(t, 2), "status": status, "x1": x[:, 0], "x2": x[:, 1], "x3": x[:, 2]}
    )


def fine_gray_cases(n: int) -> dict[str, Callable[[], object]]:
    """survstat's Fine-Gray fit (crr's estimates and sandwich variance); no Python peer fits
    this model: ``bench_r_models.R`` times ``cmprsk::crr`` on the same data."""
    df = fine_gray_data(n)
    keys = ["status", "time"]
    return {
        "floor (polars group_by + sort)": lambda: (
            df.group_by(keys).agg(pl.len().alias("n")).sort(keys)
        ),
        "survstat fine_gray (crr variance)": lambda: survstat.fine_gray(
            df,
            time="time",
            cause="status",
            failcode=1,
            censor_value=0,
            covariates=["x1", "x2", "x3"],
        ),
    }


def cox_counting_cases(n: int, seed: int = 2026) -> dict[str, Callable[[], object]]:
    df = make_cox_counting(n, seed)
    return {
        "floor (polars group_by + sort)": floor(df, False),
        "survstat cox (Efron, entry, + concordance)": lambda: survstat.cox(
            df, entry="start", time="time", event="event", covariates=["x1", "x2", "x3"]
        ),
    }


def run(sizes: list[int], repeat: int, skip_slow: bool, tasks: str | None = None) -> pl.DataFrame:
    rows = []
    for n in sizes:
        for label, make in (
            ("KM, 1 group", lambda n=n: km_cases(make_data(n, 1), False)),
            ("KM, 1,000 groups", lambda n=n: km_cases(make_data(n, 1000), True)),
            ("log-rank, 2 groups", lambda n=n: logrank_cases(make_data(n, 2))),
            ("CIF, 2 causes", lambda n=n: cif_cases(make_competing(n))),
            ("Cox, 3 covariates", lambda n=n: cox_cases(n)),
            ("Cox, counting process", lambda n=n: cox_counting_cases(n)),
            ("Fine-Gray, 3 covariates", lambda n=n: fine_gray_cases(n)),
        ):
            if tasks and not any(
                word.strip().lower() in label.lower() for word in tasks.split(",")
            ):
                continue
            cases = make()
            for name, fn in cases.items():
                if skip_slow and n >= 10_000_000 and not name.startswith(("floor", "survstat")):
                    continue
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    secs = best_of(fn, repeat)
                rows.append({"rows": n, "task": label, "method": name, "seconds": secs})
                print(f"{n:>10,}  {label:<20} {name:<48} {secs:9.3f} s", flush=True)
    out = pl.DataFrame(rows)
    base = out.filter(pl.col("method").str.starts_with("floor")).select(
        "rows", "task", pl.col("seconds").alias("floor")
    )
    return out.join(base, on=["rows", "task"]).with_columns(
        x_floor=(pl.col("seconds") / pl.col("floor")).round(2)
    )


def export(folder: str, sizes: list[int]) -> None:
    """Write ``cox_<n>.csv``, ``cox_counting_<n>.csv`` and ``finegray_<n>.csv``: the frames
    the Cox and Fine-Gray tasks time, for R to time its own fits on."""
    import pathlib

    out = pathlib.Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    for n in sizes:
        make_cox(n).write_csv(out / f"cox_{n}.csv")
        make_cox_counting(n).write_csv(out / f"cox_counting_{n}.csv")
        fine_gray_data(n).write_csv(out / f"finegray_{n}.csv")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-slow-peers", action="store_true", help="no peers at 1e7 rows")
    parser.add_argument("--markdown", help="write the results table to this file")
    parser.add_argument("--tasks", help="comma-separated task filter, e.g. 'km,cox'")
    parser.add_argument(
        "--export",
        metavar="DIR",
        help="only write the Cox (both tasks) and Fine-Gray data of each size as CSV for "
        "bench_r_models.R",
    )
    args = parser.parse_args()
    sizes = [int(float(s)) for s in args.sizes.split(",")]
    if args.export:
        export(args.export, sizes)
        return
    result = run(sizes, args.repeat, args.skip_slow_peers, args.tasks)
    if args.markdown:
        lines = ["| rows | task | method | seconds | × floor |", "|---:|---|---|---:|---:|"]
        for r in result.iter_rows(named=True):
            lines.append(
                f"| {r['rows']:,} | {r['task']} | {r['method']} | {r['seconds']:.3f} | "
                f"{r['x_floor']:.2f} |"
            )
        with open(args.markdown, "w") as fh:
            fh.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
