"""Cox regression with exact tie handling on heavily tied data, against R.

Run from the repository root (needs R with survival on the PATH for the R column):

    python benchmarks/bench_cox_ties.py [rows] [distinct_times]

Draws ``rows`` records (3 covariates, exponential times, 30% censored) with times rounded to
``distinct_times`` values, so each time has about 0.7 * rows / distinct_times tied deaths,
and times one fit of survstat.cox for each of ties="efron", "discrete" and "exact", and R
coxph(ties="exact") (= survstat "discrete") on the same data (the R time is the fit alone,
from system.time, without R's start-up or reading the file).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl

import survstat


def data(rows: int, distinct: int, seed: int = 1) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, 3))
    hazard = np.exp(x @ np.array([0.5, -0.3, 0.2]))
    t = rng.exponential(1 / hazard)
    cut = np.quantile(t, np.linspace(0, 1, distinct + 1)[1:-1])
    return pl.DataFrame(
        {
            "time": np.searchsorted(cut, t).astype(float) + 1,
            "event": (rng.random(rows) < 0.7).astype(int),
            "x1": x[:, 0],
            "x2": x[:, 1],
            "x3": x[:, 2],
        }
    )


R_SCRIPT = """
suppressPackageStartupMessages(library(survival))
d <- read.csv("{path}")
s <- system.time(f <- coxph(Surv(time, event) ~ x1 + x2 + x3, data = d, ties = "exact"))
cat(s[["elapsed"]], f$iter, sprintf("%.10f", coef(f)), "\\n")
"""


def main(rows: int, distinct: int) -> None:
    frame = data(rows, distinct)
    tied = frame.filter(pl.col("event") == 1).group_by("time").len()["len"]
    print(
        f"{rows} rows, {distinct} times, tied deaths per time: mean {tied.mean():.0f}, "
        f"max {tied.max()}"
    )
    survstat.cox(frame.head(50), time="time", event="event", covariates=["x1"])  # warm up
    for ties in ("efron", "discrete", "exact"):
        start = time.perf_counter()
        fit = survstat.cox(
            frame, time="time", event="event", covariates=["x1", "x2", "x3"], ties=ties
        )  # type: ignore[arg-type]
        took = time.perf_counter() - start
        coef = ", ".join(f"{c:.10f}" for c in fit.table["coef"])
        print(f"survstat {ties:9s} {took:8.2f} s  iterations {fit.iterations}  coef {coef}")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "ties.csv"
        frame.write_csv(path)
        out = subprocess.run(
            ["Rscript", "-e", R_SCRIPT.format(path=path)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        print(
            f"R coxph(ties='exact') {float(out[0]):8.2f} s  iterations {out[1]}  coef "
            f"{', '.join(out[2:])}"
        )


if __name__ == "__main__":
    main(
        int(sys.argv[1]) if len(sys.argv) > 1 else 10_000,
        int(sys.argv[2]) if len(sys.argv) > 2 else 50,
    )
