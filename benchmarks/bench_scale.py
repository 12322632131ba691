"""Larger-than-memory benchmark: survstat on Parquet datasets of 1e7 to 1e8 rows.

Three subcommands:

    python benchmarks/bench_scale.py generate --rows 100000000   # ~1.3 GB in benchmarks/data/
    python benchmarks/bench_scale.py streaming --rows 100000000  # each task under /usr/bin/time -v
    python benchmarks/bench_scale.py spark --rows 10000000       # Spark local[2] vs polars

Data (deterministic, written in files of 5e6 rows so that nothing holds all rows at once):
``time`` exponential with mean 400 days rounded to 0.1 (~2e4 distinct times), ``event`` 0/1
(~60% events), ``cause`` 0/1/2, ``arm`` in A/B/C, ``region`` 0-9 (a Hive partition column in
the ``hive`` layout), ``w`` uniform case weights in (0.5, 2).

``streaming`` runs every task in a fresh Python process under ``/usr/bin/time -v`` and reports
its wall time and peak resident memory (the polars streaming engine, the default for Parquet
paths). ``spark`` times the same tasks with the Spark engine on a local[2] session (session
start-up reported separately) and with polars, and checks that the tables are identical.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl

DATA = Path(__file__).parent / "data"
FILE_ROWS = 5_000_000

#: task name -> (function, keyword arguments) of the survstat call it times.
TASKS = {
    "km-by-arm": ("kaplan_meier", {"time": "time", "event": "event", "by": "arm"}),
    "km-weighted": (
        "kaplan_meier",
        {"time": "time", "event": "event", "by": "arm", "weight": "w"},
    ),
    "logrank-by-arm": ("logrank", {"time": "time", "event": "event", "by": "arm"}),
    "cif-by-arm": ("cumulative_incidence", {"time": "time", "cause": "cause", "by": "arm"}),
    "gray-by-arm": ("gray_test", {"time": "time", "cause": "cause", "by": "arm"}),
}


def folder(rows: int) -> Path:
    return DATA / f"scale_{rows}"


def generate(rows: int) -> Path:
    """Write ``rows`` rows as Hive partitions ``region=k/part-i.parquet``; skip if present."""
    out = folder(rows)
    done = out / "_done.json"
    if done.exists():
        print(f"{out} exists")
        return out
    n_files = -(-rows // FILE_ROWS)
    t0 = time.perf_counter()
    for i in range(n_files):
        n = min(FILE_ROWS, rows - i * FILE_ROWS)
        rng = np.random.default_rng([2026, i])
        cause = rng.choice(3, n, p=[0.4, 0.45, 0.15]).astype(np.int8)
        chunk = pl.DataFrame(
            {
                "time": np.round(rng.exponential(400.0, n), 1),
                "event": (cause > 0).astype(np.int8),
                "cause": cause,
                "arm": rng.choice(np.array(["A", "B", "C"]), n),
                "region": rng.integers(0, 10, n).astype(np.int32),
                "w": rng.uniform(0.5, 2.0, n),
            }
        )
        for (region,), part in chunk.group_by("region"):
            target = out / f"region={region}"
            target.mkdir(parents=True, exist_ok=True)
            part.drop("region").write_parquet(target / f"part-{i:03d}.parquet")
        print(f"file {i + 1}/{n_files} written", flush=True)
    done.write_text(json.dumps({"rows": rows}))
    size = sum(p.stat().st_size for p in out.rglob("*.parquet"))
    print(f"{rows:,} rows, {size / 1e9:.2f} GB, {time.perf_counter() - t0:.0f} s")
    return out


def _child(task: str, path: str) -> None:
    """Run one task in this process and print its wall time (for /usr/bin/time -v)."""
    import survstat

    name, kwargs = TASKS[task]
    t0 = time.perf_counter()
    result = getattr(survstat, name)(path, **kwargs)
    seconds = time.perf_counter() - t0
    print(json.dumps({"seconds": seconds, "rows": result.table.height}))


def streaming(rows: int, tasks: list[str]) -> list[dict]:
    path = str(folder(rows))
    results = []
    for task in tasks:
        cmd = ["/usr/bin/time", "-v", sys.executable, __file__, "child", task, path]
        proc = subprocess.run(cmd, capture_output=True, text=True, check=True)
        inner = json.loads(proc.stdout.strip().splitlines()[-1])
        peak_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr)[1])
        wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", proc.stderr)[1]
        row = {
            "rows": rows,
            "task": task,
            "seconds": round(inner["seconds"], 2),
            "process_wall": wall,
            "peak_rss_mb": round(peak_kb / 1024),
            "table_rows": inner["rows"],
        }
        print(row, flush=True)
        results.append(row)
    return results


def spark(rows: int, tasks: list[str]) -> list[dict]:
    import survstat
    from survstat.engines.spark import read_parquet, session

    path = str(folder(rows))
    t0 = time.perf_counter()
    s = session("local[2]")
    s.sparkContext.setLogLevel("ERROR")
    startup = time.perf_counter() - t0
    print(f"Spark session start: {startup:.1f} s", flush=True)
    frame = read_parquet(path, s)
    results = []
    for task in tasks:
        name, kwargs = TASKS[task]
        fn = getattr(survstat, name)
        t0 = time.perf_counter()
        on_polars = fn(path, **kwargs).table
        polars_s = time.perf_counter() - t0
        fn(frame, **kwargs)  # warm the JVM's code for this query shape
        t0 = time.perf_counter()
        on_spark = fn(frame, **kwargs).table
        spark_s = time.perf_counter() - t0
        # Spark reads the Hive column as int32, polars as int64: compare values
        same = on_spark.equals(on_polars.cast(on_spark.schema))
        row = {
            "rows": rows,
            "task": task,
            "polars_s": round(polars_s, 2),
            "spark_s": round(spark_s, 2),
            "identical": same,
        }
        print(row, flush=True)
        results.append(row)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["generate", "streaming", "spark", "child"])
    parser.add_argument("args", nargs="*")
    parser.add_argument("--rows", type=int, default=100_000_000)
    parser.add_argument("--tasks", default=",".join(TASKS))
    parser.add_argument("--json", type=Path, help="also write the results here")
    opts = parser.parse_args()
    if opts.command == "child":
        _child(*opts.args)
        return
    generate(opts.rows)
    if opts.command == "generate":
        return
    tasks = opts.tasks.split(",")
    run = streaming if opts.command == "streaming" else spark
    results = run(opts.rows, tasks)
    if opts.json:
        opts.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
