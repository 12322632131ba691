"""Engines: where the rows live and are aggregated, behind one :class:`Engine` protocol.

Each engine is one module: :mod:`survstat.engines.polars` (polars in memory, or streaming
from Parquet) and :mod:`survstat.engines.spark` (Apache Spark; its :func:`~.spark.session`
and :func:`~.spark.read_parquet` are the public way to open data on Spark). An input is bound
to its engine once, by :func:`bind` when :class:`survstat.data.SurvivalData` validates it;
risk tables, robust variances and estimators then call the engine's methods and never ask
which engine it is. :func:`open_input` opens a Parquet input on the engine a user chose by
name (the CLI's ``--engine``, a job's ``engine``).

Engines for other libraries' frames are imported only when such a frame is given, so
``import survstat`` never loads pyspark.
"""

from __future__ import annotations

import importlib
import os
from typing import Any

import polars as pl

from survstat.engines._counts import sorted_keys
from survstat.engines._protocol import (
    Check,
    Counts,
    CoxSums,
    DesignColumn,
    Engine,
    FrameLike,
    Roles,
)
from survstat.engines.polars import PolarsEngine
from survstat.errors import OptionError
from survstat.io import scan

__all__ = [
    "ENGINES",
    "Check",
    "Counts",
    "CoxSums",
    "DesignColumn",
    "Engine",
    "FrameLike",
    "PolarsEngine",
    "Roles",
    "bind",
    "open_input",
    "sorted_keys",
]

#: The engines a user can choose by name, and the module of each (one module per engine).
ENGINES = {"polars": "survstat.engines.polars", "spark": "survstat.engines.spark"}

#: Engines for frames of other libraries, by the module of the frame's type.
_NATIVE = {"pyspark.sql": "survstat.engines.spark"}


def _native_module(data: object) -> str | None:
    # by module name, so that a library is imported only when one of its frames is given
    module = type(data).__module__
    return next((m for prefix, m in _NATIVE.items() if module.startswith(prefix)), None)


def bind(data: FrameLike) -> tuple[Engine, str | None]:
    """The engine that holds ``data``, and the input path when ``data`` is one.

    Parameters
    ----------
    data
        A polars DataFrame or LazyFrame, a pyarrow Table, a pandas DataFrame, a Parquet path
        (file, directory or glob), a .csv, .xpt or .sas7bdat file or a Spark DataFrame.

    Returns
    -------
    (engine, source)
        The engine over the data; the path as given (provenance), else None. Paths and
        LazyFrames are bound lazily (streamed, never collected).

    Raises
    ------
    InputFormatError
        For an input of another type, or a path that is not readable Parquet data.

    Examples
    --------
    >>> import polars as pl
    >>> engine, source = bind(pl.DataFrame({"t": [1.0, 2.0], "d": [1, 0]}))
    >>> engine.name, engine.lazy, source
    ('polars', False, None)
    """
    native = _native_module(data)
    if native is not None:
        return importlib.import_module(native).from_native(data), None
    frame, source = scan(data)
    lazy = isinstance(data, str | os.PathLike | pl.LazyFrame)
    return PolarsEngine(frame, lazy=lazy), source


def open_input(
    path: str | os.PathLike[str], engine: str = "polars", master: str | None = None
) -> Any:
    """Open a Parquet input on the engine named ``engine``.

    Parameters
    ----------
    path
        A Parquet file, directory or glob (or, on Spark, a URL of a filesystem it reads).
    engine
        ``"polars"``: the path itself, which :func:`bind` streams when the data is bound.
        ``"spark"``: a Spark DataFrame over it (:func:`survstat.engines.spark.open_input`).
    master
        Where the engine runs (Spark: a master URL or ``sc://`` address); None: the
        engine's own default.

    Returns
    -------
    object
        The input, ready to be passed wherever survstat takes data.

    Raises
    ------
    OptionError
        For an unknown engine name.
    """
    if engine not in ENGINES:
        raise OptionError(f"`engine` must be one of {', '.join(ENGINES)}; got {engine!r}")
    return importlib.import_module(ENGINES[engine]).open_input(path, master)
