"""Larger-than-memory benchmark: survstat on Parquet datasets of 1e7 to 1e8 rows.

Four subcommands:

    python benchmarks/bench_scale.py generate --rows 100000000   # ~1.3 GB in benchmarks/data/
    python benchmarks/bench_scale.py streaming --rows 100000000  # each task under /usr/bin/time -v
    python benchmarks/bench_scale.py spark --rows 10000000       # Spark local[2] vs polars
    python benchmarks/bench_scale.py cox --rows 10000000 [--engines spark,polars]

Data (deterministic, written in files of 5e6 rows so that nothing holds all rows at once):
``time`` exponential with mean 400 days rounded to 0.1 (~2e4 distinct times), ``event`` 0/1
(~60% events), ``cause`` 0/1/2, ``arm`` in A/B/C, ``region`` 0-9 (a Hive partition column in
the ``hive`` layout), ``w`` uniform case weights in (0.5, 2).

``cox`` fits a Cox model (Efron, covariates ``age``, ``dose`` and the text ``arm``: three
covariates, four terms) on its own data (``cox_<rows>/``: times exponential with a hazard
depending on the covariates, rounded to 0.1; ~70% events), each engine in a fresh process: on
Spark local[2] (the session start reported apart) the model is fitted from per-time sums, on
polars the rows are read into memory. It reports the fit's time, its Newton iterations and the
peak resident memory (VmHWM) of the Python process and, on Spark, of its JVM.

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


COX = {"time": "time", "event": "event", "covariates": ["age", "dose", "arm"], "ties": "efron"}


def generate_cox(rows: int) -> Path:
    """Write the Cox benchmark's ``rows`` rows in files of 5e6 rows; skip if present."""
    out = DATA / f"cox_{rows}"
    done = out / "_done.json"
    if done.exists():
        return out
    out.mkdir(parents=True, exist_ok=True)
    for i in range(-(-rows // FILE_ROWS)):
        n = min(FILE_ROWS, rows - i * FILE_ROWS)
        rng = np.random.default_rng([2027, i])
        age = rng.normal(60.0, 10.0, n)
        dose = rng.uniform(0.0, 1.0, n)
        arm = rng.choice(np.array(["A", "B", "C"]), n)
        lp = 0.03 * (age - 60.0) - 0.5 * dose + 0.3 * (arm == "B") - 0.2 * (arm == "C")
        event_time = rng.exponential(400.0 * np.exp(-lp))
        censor_time = rng.exponential(900.0, n)
        chunk = pl.DataFrame(
            {
                "time": np.round(np.minimum(event_time, censor_time), 1),
                "event": (event_time <= censor_time).astype(np.int8),
                "age": age,
                "dose": dose,
                "arm": arm,
            }
        )
        chunk.write_parquet(out / f"part-{i:03d}.parquet")
    done.write_text(json.dumps({"rows": rows}))
    return out


def _peak_mb(pid: int | str = "self") -> float:
    """Peak resident memory (VmHWM) of a process, in MB."""
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+) kB", status)[1]) / 1024


def _descendants(pid: int) -> list[int]:
    """The processes started by ``pid``, and theirs (Spark's JVM starts under a shell)."""
    parent = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent[int(stat.parent.name)] = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError):
            continue
    found, frontier = [], [pid]
    while frontier:
        kids = [p for p, pp in parent.items() if pp in frontier]
        found += kids
        frontier = kids
    return found


def _cox_child(engine: str, path: str) -> None:
    """Fit the Cox benchmark on one engine in this process and print a JSON line."""
    import os

    import survstat

    data: object = path
    startup = 0.0
    if engine == "spark":
        from survstat.engines.spark import read_parquet, session

        t0 = time.perf_counter()
        spark_session = session("local[2]")
        spark_session.sparkContext.setLogLevel("ERROR")
        # a few shuffle partitions suit a GROUP BY of ~1e5 keys on two cores (Spark's default
        # of 200 costs ~2 s per Newton step here); a cluster keeps its own setting
        spark_session.conf.set("spark.sql.shuffle.partitions", "8")
        startup = time.perf_counter() - t0
        data = read_parquet(path, spark_session)
    t0 = time.perf_counter()
    fit = survstat.cox(data, **COX)
    seconds = time.perf_counter() - t0
    jvm = [
        _peak_mb(p)
        for p in _descendants(os.getpid())
        if "java" in Path(f"/proc/{p}/cmdline").read_text()
    ]
    print(
        json.dumps(
            {
                "seconds": seconds,
                "startup": startup,
                "iterations": fit.iterations,
                "coef": fit.table["coef"].to_list(),
                "std_error": fit.table["std_error"].to_list(),
                "python_peak_mb": _peak_mb(),
                "jvm_peak_mb": max(jvm) if jvm else None,
            }
        )
    )


def cox(rows: int, engines: list[str]) -> list[dict]:
    path = str(generate_cox(rows))
    results = []
    for engine in engines:
        cmd = ["/usr/bin/time", "-v", sys.executable, __file__, "cox-child", engine, path]
        proc = subprocess.run(cmd, capture_output=True, text=True, check=True)
        inner = json.loads(proc.stdout.strip().splitlines()[-1])
        wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", proc.stderr)[1]
        row = {"rows": rows, "engine": engine, "process_wall": wall, **inner}
        print(row, flush=True)
        results.append(row)
    if len(results) == 2:
        a, b = (np.array(results[0][k]) for k in ("coef", "std_error"))
        c, d = (np.array(results[1][k]) for k in ("coef", "std_error"))
        print(
            f"largest relative difference: coef {np.max(np.abs(a - c) / np.abs(c)):.1e}, "
            f"std_error {np.max(np.abs(b - d) / np.abs(d)):.1e}"
        )
    return results


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
    parser.add_argument(
        "command", choices=["generate", "streaming", "spark", "cox", "child", "cox-child"]
    )
    parser.add_argument("args", nargs="*")
    parser.add_argument("--rows", type=int, default=100_000_000)
    parser.add_argument("--tasks", default=",".join(TASKS))
    parser.add_argument("--engines", default="spark,polars", help="cox: the engines to time")
    parser.add_argument("--json", type=Path, help="also write the results here")
    opts = parser.parse_args()
    if opts.command == "child":
        _child(*opts.args)
        return
    if opts.command == "cox-child":
        _cox_child(*opts.args)
        return
    if opts.command == "cox":
        results = cox(opts.rows, opts.engines.split(","))
        if opts.json:
            opts.json.write_text(json.dumps(results, indent=1))
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
