"""What an analysis returns, and the record of a named analysis read from its declaration."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import polars as pl

from survstat.analyses._declare import Input
from survstat.analyses._parameters import Parameter, column_parameters, declaration

#: Names of additional tables: they become file names (``OUT.<name>.parquet``).
_EXTRA_NAME = re.compile(r"[a-z][a-z0-9_]*")


@dataclass(frozen=True, slots=True)
class Extra:
    """A table an analysis shows beside its main table, written beside it as well.

    Attributes
    ----------
    name
        A short lower-case name (letters, digits, underscores): the CLI's ``-o OUT.parquet``
        writes this table to ``OUT.<name>.parquet`` and a job step to ``<step>.<name>.parquet``.
    title
        A one-line description, printed above the table.
    table
        The table.
    """

    name: str
    title: str
    table: pl.DataFrame

    def __post_init__(self) -> None:
        if not _EXTRA_NAME.fullmatch(self.name):
            raise RuntimeError(f"extra table name {self.name!r} is not a lower-case identifier")


@dataclass(frozen=True, slots=True)
class AnalysisOutput:
    """What an analysis returns.

    Everything the CLI prints is also written: the main table to the output file, each extra
    table (and the display table) beside it, and the notes into the output's provenance.

    Attributes
    ----------
    table
        The result table (written to Parquet by the CLI's ``-o`` and by job files).
    title
        A one-line description of the table.
    n_rows
        Rows of the input analysed (recorded as provenance).
    extras
        Other tables worth showing beside it (see :class:`Extra`), e.g. a model's global tests.
    notes
        Lines of text worth showing after the table; statistics belong in a table, not here.
    display
        What to print in place of ``table`` when that is a long per-row table (e.g. counts
        of best response for a per-subject derivation); None prints ``table``. It is written
        like an extra table.
    labels
        Column -> label of the main table's columns (e.g. CDISC variable labels), written as
        Parquet field metadata or SAS variable labels; None for none.
    """

    table: pl.DataFrame
    title: str
    n_rows: int
    extras: tuple[Extra, ...] = ()
    notes: tuple[str, ...] = ()
    display: Extra | None = None
    labels: Mapping[str, str] | None = None

    def __post_init__(self) -> None:
        seen = [e.name for e in self.written_extras()]
        if len(set(seen)) != len(seen):
            raise RuntimeError(f"extra table names repeat: {seen}")

    def written_extras(self) -> tuple[Extra, ...]:
        """The tables written beside the main one: the display table, then the extras."""
        return ((self.display,) if self.display is not None else ()) + self.extras


#: What an analysis returns: :class:`AnalysisOutput`, or a matplotlib Figure for a figure.
_R = TypeVar("_R")

#: An input name -> the (column, role) pairs an analysis needs in it, given its parameters.
ColumnsOf = Callable[[Mapping[str, Any]], dict[str, list[tuple[str, str]]]]


def _no_columns(params: Mapping[str, Any]) -> dict[str, list[tuple[str, str]]]:
    return {}


@dataclass(frozen=True, slots=True)
class Analysis(Generic[_R]):
    """A named analysis (or figure), declared by the signature of its function.

    Attributes
    ----------
    name
        The name on the command line and in job files.
    run
        ``run(*inputs, **parameters) -> AnalysisOutput`` (a matplotlib Figure for the figures
        of :data:`survstat.analyses.plots.PLOTS`). Its signature is the declaration (see
        :mod:`survstat.analyses._declare`): table arguments annotated with ``Input``, keyword
        parameters with ``Option`` or ``Column`` metadata, text choices as ``Literal`` types.
    requires
        Columns the analysis reads under fixed names (CML and RECIST tables), given the
        parameters; the columns that parameters name are declared with ``Column``.
    engines
        The engines it runs on: ``"spark"`` too for analyses that need only the risk table
        or, as the Cox model, per-time sums.
    """

    name: str
    run: Callable[..., _R]
    requires: ColumnsOf = field(default=_no_columns)
    engines: tuple[str, ...] = ("polars",)

    @property
    def summary(self) -> str:
        """The first line of the analysis function's docstring."""
        return (self.run.__doc__ or "").strip().splitlines()[0]

    @property
    def inputs(self) -> tuple[str, ...]:
        """Names of the table arguments (``"data"``, and ``"patients"`` or ``"subjects"``
        for analyses that read two tables)."""
        return tuple(declaration(self.run).inputs)

    def input_declarations(self) -> dict[str, tuple[Input, bool]]:
        """The table arguments: name -> (their declaration, whether they are required)."""
        return dict(declaration(self.run).inputs)

    def optional_inputs(self) -> set[str]:
        """The table arguments that may be left out (they default to None)."""
        return {n for n, (_, required) in declaration(self.run).inputs.items() if not required}

    def parameters(self) -> dict[str, Parameter]:
        """The keyword parameters, in order, from the run function's signature."""
        return dict(declaration(self.run).parameters)

    def columns(self, params: Mapping[str, Any]) -> dict[str, list[tuple[str, str]]]:
        """The columns each input must hold, given the parameters and the table arguments
        that are set (both in ``params``): ``(column, role)`` pairs by input, the fixed
        columns first, then those the parameters name (their role is the parameter)."""
        out: dict[str, list[tuple[str, str]]] = {}
        for source, pairs in self.requires(params).items():
            out.setdefault(source, []).extend(pairs)
        for name, column in column_parameters(self.parameters()).items():
            if column.when is not None and not column.when(params):
                continue
            value = params.get(name)
            needed = out.setdefault(column.source(params), [])
            needed.extend((c, name) for c in ([value] if isinstance(value, str) else value or []))
        order = list(self.inputs)
        return dict(
            sorted(out.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else 99)
        )


def names(value: str | list[str] | None) -> list[str] | None:
    """One column name or several as a list (None stays None)."""
    return [value] if isinstance(value, str) else value


def tte_subjects(
    data: Any,
    adsl: Any,
    *,
    time: str | None,
    event: str | None,
    censor: str | None,
    param: str | None,
    param_column: str,
    population: str | None,
    **roles: Any,
) -> tuple[Any, Any]:
    """The analysis rows of a time-to-event analysis as validated survival data: the ADTTE
    parameter chosen (:func:`survstat.data.tte_roles`), ADSL joined and the population kept
    (:func:`survstat.adsl.with_adsl`).

    Parameters
    ----------
    data, adsl
        The analysis table and the optional subject-level table.
    time, event, censor, param, param_column, population
        As the time-to-event analyses declare them.
    **roles
        Further column roles of :meth:`survstat.data.SurvivalData.right_censored` (``by``,
        ``strata``, ``entry``, ``weight``).

    Returns
    -------
    tuple
        The :class:`~survstat.data.SurvivalData` and the subjects (whose ``notes`` the output
        carries).
    """
    from survstat.adsl import with_adsl
    from survstat.data import SurvivalData, tte_roles

    data, time, event = tte_roles(
        data, time=time, event=event, censor=censor, param=param, param_column=param_column
    )
    subjects = with_adsl(data, adsl, population=population)
    return SurvivalData.right_censored(subjects.data, time=time, event=event, **roles), subjects
