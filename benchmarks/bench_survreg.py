"""Wall time of a Weibull AFT fit: survstat ``survreg`` against lifelines ``WeibullAFTFitter``.

Data: n rows, three covariates (a normal age, a 0/1 arm, a three-level grade as text), Weibull
times with shape 1.3 and administrative censoring at 15 (about 30% censored). Each timing is the
best of ``--repeat`` runs. lifelines' ``lambda_`` coefficients are R's (and survstat's) AFT
coefficients; its ``rho_`` intercept is log(1 / scale); the script prints the largest relative
difference of the coefficients so that the two fits are known to be the same model.

    python benchmarks/bench_survreg.py --sizes 100000 --repeat 3
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


def make_data(n: int, seed: int = 2026) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    age = rng.normal(60.0, 10.0, n)
    arm = rng.integers(0, 2, n)
    grade = rng.choice(["I", "II", "III"], n)
    lp = 2.5 - 0.01 * (age - 60) + 0.3 * arm - 0.4 * (grade == "III")
    t = np.exp(lp + np.log(rng.exponential(1.0, n)) / 1.3)
    return pl.DataFrame(
        {
            "time": np.minimum(t, 15.0),
            "event": (t <= 15.0).astype(np.int8),
            "age": age,
            "arm": arm,
            "grade": grade,
        }
    )


COVARIATES = ["age", "arm", "grade"]


def best_of(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="100000")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    from lifelines import WeibullAFTFitter

    print("| rows | method | seconds |")
    print("|---:|---|---:|")
    for n in (int(s) for s in args.sizes.split(",")):
        df = make_data(n)

        def ours(df: pl.DataFrame = df) -> survstat.SurvregResult:
            return survstat.survreg(df, time="time", event="event", covariates=COVARIATES)

        pdf = (
            df.with_columns(
                g2=(pl.col("grade") == "II").cast(pl.Int8),
                g3=(pl.col("grade") == "III").cast(pl.Int8),
            )
            .drop("grade")
            .to_pandas()
        )

        def theirs(pdf: object = pdf) -> WeibullAFTFitter:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return WeibullAFTFitter().fit(pdf, duration_col="time", event_col="event")

        fit, peer = ours(), theirs()
        mine = fit.table["coef"].to_numpy()[1:5]
        lam = peer.params_["lambda_"][["age", "arm", "g2", "g3"]].to_numpy()
        print(f"| {n:,} | survstat survreg (weibull) | {best_of(ours, args.repeat):.3f} |")
        print(f"| {n:,} | lifelines WeibullAFTFitter | {best_of(theirs, args.repeat):.3f} |")
        print(f"largest relative coefficient difference: {np.max(np.abs(mine / lam - 1)):.1e}")
        print(
            f"scale: survstat {fit.scales['scale'][0]:.6f}, lifelines "
            f"{1 / np.exp(peer.params_['rho_']['Intercept']):.6f}"
        )


if __name__ == "__main__":
    main()
