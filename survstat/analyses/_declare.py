"""What an analysis declares about its parameters, carried by ``typing.Annotated``.

An analysis is a typed function: its table arguments are annotated with :class:`Input`, its
keyword parameters with :class:`Option` (or :class:`Column` when the value names columns of an
input table), and text choices are ``Literal`` types from :mod:`survstat._choices`. The command
line (:mod:`survstat.cli._generate`), job-file checking (:mod:`survstat.batch.job`) and the
report all read this one declaration, so adding an option means editing one signature::

    def km(
        data: Data,
        *,
        time: Annotated[str, Column("data", help="Follow-up time column.")],
        conf_type: Annotated[ConfType, Option(help="Pointwise interval transform.")] = "log-log",
    ) -> AnalysisOutput: ...

A light module (standard library only) so that the command line can declare its commands
without loading polars' readers, numpy, scipy or the estimators.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any

#: A table argument's value: a polars DataFrame or LazyFrame, a pyarrow Table, a pandas
#: DataFrame, or a path (see :data:`survstat.io.FrameLike`).
Frame = Any


@dataclass(frozen=True, slots=True)
class Input:
    """A table argument of an analysis.

    Attributes
    ----------
    help
        What the table holds, for ``--help``.
    flag
        The command-line option that names it (``--patients``); None for the first table,
        which is the positional ``DATA`` argument. In a job file the first table is
        ``input = ...`` and the others are keys named like the argument.
    joins
        For a table joined to another before the analysis (ADSL to ``data``): that table's
        name. Columns declared in it may then be in either table.
    """

    help: str
    flag: str | None = None
    joins: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Option:
    """A keyword parameter of an analysis as the command line and job files show it.

    The parameter's type says the rest: ``Literal`` text choices, ``bool`` flags, ``list[str]``
    and ``list[float]`` (comma-separated on the command line), ``str | int`` codes (an integer
    when the text reads as one).

    Attributes
    ----------
    help
        One or two sentences for ``--help``; the report labels the value with the parameter's
        name, as a job file spells it.
    flag
        The command-line spelling when it is not ``--`` and the name with dashes (``--is``).
    off
        For a flag that can be switched off: the negative spelling (``--no-confirm``); None
        for a flag that is only switched on (``--trend``).
    min, max
        Closed bounds of a number, checked by the command line.
    code
        For a ``str | int`` value: the command line passes an integer when the text reads as
        one (a cause code such as ``1``); otherwise it passes the text as written.
    provenance
        The key under which the command line records the value in an output's provenance,
        when it is not the parameter's name (kept as earlier versions wrote it).
    command_line_only
        Why a job file may not set it (e.g. it writes files outside the job's output folder,
        which a job never does), or None when it may.
    """

    help: str
    flag: str | None = None
    off: str | None = None
    min: float | None = None
    max: float | None = None
    code: bool = False
    provenance: str | None = None
    command_line_only: str | None = None

    def cli_flag(self, name: str) -> str:
        """The command-line option of the parameter ``name``."""
        return self.flag or "--" + name.replace("_", "-")


@dataclass(frozen=True, slots=True, kw_only=True)
class Column(Option):
    """A keyword parameter whose value names one column (``str``) or several (``list[str]``)
    of an input table: job files check that the columns exist before anything runs.

    Attributes
    ----------
    table
        The input table the columns belong to (``"data"``, ``"patients"``, ...), or several in
        order of preference: the first one given (``("subjects", "data")``).
    when
        Given the parameters, whether the column is read at all (e.g. ``ypN`` is not read by
        the ``ypT0/is`` definition); None: always.
    """

    table: str | tuple[str, ...] = field(default="data", kw_only=False)
    when: Callable[[Mapping[str, Any]], bool] | None = None

    def source(self, inputs: Mapping[str, Any]) -> str:
        """The input the columns belong to, given the table arguments that are set."""
        if isinstance(self.table, str):
            return self.table
        return next((t for t in self.table if inputs.get(t) is not None), self.table[-1])


#: The first table of every analysis: the command line's ``DATA`` argument.
Data = Annotated[
    Frame,
    Input("Parquet file, directory of Parquet files, or glob; or a .csv, .xpt or .sas7bdat file."),
]
