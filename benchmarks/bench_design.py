"""Speed of the exact design searches against R ``clinfun`` (compiled Fortran).

Times :func:`survstat.design.binomial.simon` (every two-stage design up to ``max_n``),
:func:`~survstat.design.binomial.single_stage` and the exact Fisher search of
:func:`survstat.design.proportions.two_proportions`, best of ``--repeat`` runs after one warm
run (imports excluded); when ``Rscript`` with clinfun is on the machine, ``ph2simon`` is timed
the same way inside one R process.

    python benchmarks/bench_design.py --repeat 5
"""

from __future__ import annotations

import argparse
import functools
import shutil
import subprocess
import time
from collections.abc import Callable

from survstat.design.binomial import simon, single_stage
from survstat.design.group_sequential import boundaries
from survstat.design.proportions import two_proportions

SETTINGS = [(0.2, 0.4, 0.05, 0.8, 100), (0.05, 0.25, 0.05, 0.9, 100), (0.7, 0.9, 0.05, 0.8, 100)]


def best(call: Callable[[], object], repeat: int) -> float:
    """The least wall time of ``repeat`` calls, after one warm call."""
    call()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return min(times)


def clinfun_seconds(p0: float, p1: float, alpha: float, power: float, max_n: int, repeat: int):
    """``clinfun::ph2simon``'s least time in one R process, or None without R or clinfun."""
    if shutil.which("Rscript") is None:
        return None
    code = (
        "suppressMessages(library(clinfun)); "
        f"invisible(ph2simon({p0}, {p1}, {alpha}, {1 - power}, nmax = {max_n})); "
        f"t <- sapply(1:{repeat}, function(i) system.time(ph2simon({p0}, {p1}, {alpha}, "
        f"{1 - power}, nmax = {max_n}))[['elapsed']]); cat(min(t))"
    )
    proc = subprocess.run(["Rscript", "-e", code], capture_output=True, text=True, check=False)
    return float(proc.stdout) if proc.returncode == 0 and proc.stdout else None


def main() -> None:
    parser = argparse.ArgumentParser(description="Speed of the exact design searches.")
    parser.add_argument("--repeat", type=int, default=5)
    repeat = parser.parse_args().repeat
    print("| task | survstat (s) | R clinfun (s) |")
    print("|---|---:|---:|")
    for p0, p1, alpha, power, max_n in SETTINGS:
        search = functools.partial(simon, p0=p0, p1=p1, alpha=alpha, power=power, max_n=max_n)
        ours = best(search, repeat)
        r = clinfun_seconds(p0, p1, alpha, power, max_n, repeat)
        shown = "—" if r is None else f"{r:.3f}"
        task = f"Simon p0 {p0}, p1 {p1}, alpha {alpha}, power {power}, n <= {max_n}"
        print(f"| {task} | {ours:.3f} | {shown} |")
    ours = best(lambda: single_stage(p0=0.2, p1=0.4, max_n=2000), repeat)
    print(f"| single stage p0 0.2, p1 0.4, n <= 2000 | {ours:.3f} | — |")
    ours = best(lambda: two_proportions(p_control=0.2, p_treatment=0.4, method="fisher"), repeat)
    print(f"| Fisher exact sizes 0.2 vs 0.4 (every n up to 182 per arm) | {ours:.3f} | — |")
    for looks in (3, 5):
        ours = best(lambda: boundaries(looks=looks, alpha=0.025), repeat)  # noqa: B023
        print(f"| O'Brien-Fleming boundaries, {looks} looks | {ours:.3f} | — |")


if __name__ == "__main__":
    main()
