"""One synthetic cohort, and the same rows laid out as one Parquet file, a glob of files and a
Hive-partitioned folder: the inputs of the streaming and Spark engine tests."""

from __future__ import annotations

import numpy as np
import polars as pl


def cohort(n: int = 5_000, seed: int = 3) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    time = np.round(rng.exponential(30.0, n), 1) + 0.1
    return pl.DataFrame(
        {
            "time": time,
            "event": rng.integers(0, 2, n),
            "cause": rng.integers(0, 3, n),
            "arm": rng.choice(["A", "B", "C"], n),
            "site": rng.integers(0, 4, n),
            "study": rng.choice(["s1", "s2"], n),
            "entry": np.floor(time * rng.random(n) * 0.5),
            "w": rng.uniform(0.2, 3.0, n),
        }
    )


def write_layouts(tmp_path, frame: pl.DataFrame) -> dict[str, str]:
    """The same rows as one file, several files (glob), and a Hive-partitioned folder (with
    writer marker files)."""
    one = tmp_path / "one.parquet"
    frame.write_parquet(one, row_group_size=700)
    parts = tmp_path / "parts"
    parts.mkdir()
    for i, chunk in enumerate(frame.iter_slices(1_300)):
        chunk.write_parquet(parts / f"part-{i}.parquet")
    hive = tmp_path / "hive"
    for (study,), chunk in frame.group_by("study", maintain_order=True):
        folder = hive / f"study={study}"
        folder.mkdir(parents=True)
        chunk.drop("study").write_parquet(folder / "0.parquet")
    # the marker files a Spark or Hadoop writer leaves beside the data are not data
    (hive / "_SUCCESS").write_text("")
    (hive / "study=s1" / "_committed_0").write_text("{}")
    return {"file": str(one), "glob": str(parts / "*.parquet"), "hive": str(hive)}
