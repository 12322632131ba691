"""Wall time of the pieces of a Cox fit: the layout (sort, groups, scaled covariates), one
evaluation of the partial likelihood with its score and information (``cox_terms``, Efron),
the whole Newton-Raphson fit, the robust variance and the concordance, on the data of
``bench_core.py``'s Cox tasks (right-censored, and counting-process with two rows per subject).
Each timing is the best of ``--repeat`` runs.

    python benchmarks/bench_cox_core.py --sizes 100000,1000000 --repeat 5
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import polars as pl
from bench_core import make_cox, make_cox_counting

from survstat.data import as_survival_data
from survstat.estimators import _partial_likelihood as pl_
from survstat.estimators._design import design_matrix
from survstat.estimators.cox import _concordance, _newton


def best(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def pieces(df: pl.DataFrame, entry: str | None, repeat: int) -> dict[str, float]:
    """Seconds per piece of the fit of ``df`` (Efron, three covariates)."""
    sd = as_survival_data(df, time="time", event="event", entry=entry)
    x = design_matrix(df, ["x1", "x2", "x3"], None).matrix
    lay, _, _ = pl_.layout(df, sd, x)
    fit = _newton(lay, "efron", 3)
    eta = pl_.linear_predictor(lay.x, fit.beta)
    return {
        "layout": best(lambda: pl_.layout(df, sd, x), repeat),
        "cox_terms (one Newton step)": best(lambda: pl_.cox_terms(fit.beta, lay, "efron"), repeat),
        f"Newton-Raphson ({fit.iterations} steps + the start)": best(
            lambda: _newton(lay, "efron", 3), repeat
        ),
        "robust variance": best(
            lambda: pl_.robust_covariance(fit.beta, fit.var, lay, "efron", None), repeat
        ),
        "concordance": best(lambda: _concordance(lay, eta), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    for n in (int(float(s)) for s in args.sizes.split(",")):
        for label, df, entry in (
            ("right-censored", make_cox(n), None),
            ("counting process", make_cox_counting(n), "start"),
        ):
            for what, secs in pieces(df, entry, args.repeat).items():
                print(f"{n:>10,}  {label:<17} {what:<36} {secs * 1000:9.1f} ms", flush=True)


if __name__ == "__main__":
    main()
