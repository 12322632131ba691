"""Hand-written BCR-ABL1 results for the CML tests."""

from __future__ import annotations

import polars as pl


def labs(rows: list[tuple]) -> pl.DataFrame:
    """Lab table from (patient, time, IS % or None when undetectable[, ABL1 copies = 50,000])."""
    return pl.DataFrame(
        {
            "patient_id": [r[0] for r in rows],
            "time": [r[1] for r in rows],
            "is_percent": [r[2] for r in rows],
            "detected": [r[2] is not None for r in rows],
            "control_gene": ["ABL1"] * len(rows),
            "control_copies": [r[3] if len(r) > 3 else 5e4 for r in rows],
        },
        schema_overrides={"is_percent": pl.Float64},
    )
