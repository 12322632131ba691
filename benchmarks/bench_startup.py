"""Start-up time of the command line against the floor ``python -c "import polars, numpy"``.

Each command runs ``--repeat`` times in a fresh process (the console script's Python, with
``python -m survstat``), the commands taking turns; the figures are the minimum wall time and
the minimum CPU time (user + system) of the process, the least disturbed by other work on a
busy machine, each with its ratio to the floor's minimum. ``--help`` of an analysis
must not load scipy, matplotlib or the estimators: its options are generated from the
analysis's declaration alone.

    python benchmarks/bench_startup.py --repeat 20 [--markdown out.md]
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import time

FLOOR = ("floor: import polars, numpy", [sys.executable, "-c", "import polars, numpy"])
COMMANDS = [
    ("survstat --version", ["--version"]),
    ("survstat --help", ["--help"]),
    ("survstat km --help", ["km", "--help"]),
    ("survstat cml response --help", ["cml", "response", "--help"]),
    ("survstat plot km --help", ["plot", "km", "--help"]),
]


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(argv: list[str]) -> tuple[float, float]:
    """The wall time and CPU time of one run of ``argv``, in seconds."""
    start, cpu = time.perf_counter(), _cpu()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start, _cpu() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=10, help="runs of each command")
    parser.add_argument("--markdown", help="also write the table to this Markdown file")
    args = parser.parse_args()
    runs = [FLOOR] + [(label, [sys.executable, "-m", "survstat", *a]) for label, a in COMMANDS]
    # interleave the commands round by round, so that a busy spell slows all of them alike
    wall = {label: float("inf") for label, _ in runs}
    cpu = dict(wall)
    for _ in range(args.repeat):
        for label, argv in runs:
            w, c = timed(argv)
            wall[label], cpu[label] = min(wall[label], w), min(cpu[label], c)
    floor, cpu_floor = wall[FLOOR[0]], cpu[FLOOR[0]]
    lines = [
        "| command | min wall s | × floor | min CPU s | × floor |",
        "|---|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {label} | {wall[label]:.3f} | {wall[label] / floor:.2f} | {cpu[label]:.3f} | "
        f"{cpu[label] / cpu_floor:.2f} |"
        for label, _ in runs
    ]
    print("\n".join(lines))
    if args.markdown:
        with open(args.markdown, "w", encoding="utf-8") as out:
            out.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
