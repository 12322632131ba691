r"""Exact sums of case weights on engines that read rows in parallel.

polars' streaming engine and Spark meet the rows in an order that changes from run to run, and
float sums then change in their last digits. Weights are therefore summed as integers: each
weight is scaled by a power of two into (0, 1] (exact in binary) and cut into ``N_LIMBS``
integer limbs of ``LIMB_BITS`` bits,

.. math::

    w / 2^k = \sum_{j=1}^{3} \ell_j \, 2^{-31 j}, \qquad 0 \le \ell_j < 2^{31},

using only multiplication by powers of two, ``floor`` and subtraction, which are exact in
IEEE arithmetic on every engine. The limbs are summed as 64-bit integers (exact and
order-free for up to 2^32 records per key) and recombined in a fixed order, so the same data
gives the same bits on every run and on either engine. Weights down to 2^-40 of the largest
keep all 53 bits; smaller ones are truncated at 2^-93 of it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import polars as pl

LIMB_BITS = 31
N_LIMBS = 3
_TAG = "__limb"


def scale_for(largest: float | None) -> float:
    """2**-k with 2**(k-1) < ``largest`` <= 2**k (1.0 when no weight is positive)."""
    if not largest or largest <= 0:
        return 1.0
    return 2.0 ** -math.ceil(math.log2(largest))


def split(value: Any, floor: Callable[[Any], Any]) -> list[Any]:
    """The limbs of ``value`` (an engine expression in [0, 1]), given the engine's ``floor``."""
    limbs, rest = [], value
    for _ in range(N_LIMBS):
        rest = rest * float(1 << LIMB_BITS)
        head = floor(rest)
        limbs.append(head)
        rest = rest - head
    return limbs


def names(name: str) -> list[str]:
    """Column names of the limb sums of ``name``."""
    return [f"{name}{_TAG}{j}" for j in range(N_LIMBS)]


def polars_sums(name: str, value: pl.Expr, where: pl.Expr | None = None) -> list[pl.Expr]:
    """polars aggregations: the exact sum of ``value`` (scaled into [0, 1]) over the rows where
    ``where`` holds, as limb columns (see :func:`combine`)."""
    out = []
    for column, limb in zip(names(name), split(value, lambda e: e.floor()), strict=True):
        if where is not None:
            limb = pl.when(where).then(limb).otherwise(0.0)
        out.append(limb.cast(pl.Int64).sum().alias(column))
    return out


def combine(frame: pl.DataFrame, scale: float) -> pl.DataFrame:
    """Replace every set of limb-sum columns ``<name>__limb<j>`` by the Float64 ``<name>``,
    unscaled by ``scale``."""
    bases = [c[: -len(_TAG) - 1] for c in frame.columns if c.endswith(f"{_TAG}0")]
    if not bases:
        return frame
    step = 2.0**-LIMB_BITS
    exprs = []
    for base in bases:
        total = pl.lit(0.0)
        # the smallest limbs first: each addition rounds once, in a fixed order
        for j, column in reversed(list(enumerate(names(base)))):
            total = total + pl.col(column).cast(pl.Float64) * step ** (j + 1)
        exprs.append((total / scale).alias(base))
    return frame.with_columns(exprs).drop([c for b in bases for c in names(b)])
