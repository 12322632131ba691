"""The records that describe a named analysis, and the checking of its parameters."""

from __future__ import annotations

import inspect
import math
import re
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import polars as pl

#: Parameter kinds, from the type hints of an analysis function.
_KINDS = {
    str: "text",
    float: "number",
    int: "integer",
    bool: "flag",
    list[str]: "texts",
    list[float]: "numbers",
}
#: What a kind accepts, for error messages.
_DESCRIBE = {
    "text": "a string",
    "number": "a number",
    "integer": "an integer",
    "flag": "true or false",
    "texts": "a column name or a list of them",
    "numbers": "a list of numbers",
    "value": "a string or an integer",
}


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
            raise ValueError(f"extra table name {self.name!r} is not a lower-case identifier")


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
    """

    table: pl.DataFrame
    title: str
    n_rows: int
    extras: tuple[Extra, ...] = ()
    notes: tuple[str, ...] = ()
    display: Extra | None = None

    def __post_init__(self) -> None:
        seen = [e.name for e in self.written_extras()]
        if len(set(seen)) != len(seen):
            raise ValueError(f"extra table names repeat: {seen}")

    def written_extras(self) -> tuple[Extra, ...]:
        """The tables written beside the main one: the display table, then the extras."""
        return ((self.display,) if self.display is not None else ()) + self.extras


@dataclass(frozen=True, slots=True)
class Parameter:
    """One keyword parameter of an analysis: its kind, default and allowed values."""

    name: str
    kind: str
    required: bool
    default: Any = None
    choices: tuple[Any, ...] | None = None

    def coerce(self, value: Any) -> Any:
        """Return ``value`` in the parameter's kind, or raise ``ValueError`` saying why."""
        value = _coerce(self.kind, value, self.describe())
        if self.choices is not None and value is not None and value not in self.choices:
            listed = ", ".join(repr(c) for c in self.choices)
            raise ValueError(f"must be one of {listed}; got {value!r}")
        return value

    def describe(self) -> str:
        """What the parameter accepts, in words."""
        return _DESCRIBE[self.kind]


def _coerce(kind: str, value: Any, expected: str) -> Any:
    bad = ValueError(f"must be {expected}; got {value!r}")
    if kind == "flag":
        if not isinstance(value, bool):
            raise bad
        return value
    if kind == "text":
        if not isinstance(value, str):
            raise bad
        return value
    if kind == "value":
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise bad
        return value
    if kind == "integer":
        if isinstance(value, bool) or not isinstance(value, int):
            raise bad
        return value
    if kind == "number":
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            raise bad
        return float(value)
    if kind == "texts":
        names = value.split(",") if isinstance(value, str) else value
        if not isinstance(names, list) or not all(isinstance(v, str) for v in names):
            raise bad
        names = [v.strip() for v in names if v.strip()]
        if not names:
            raise bad
        return names
    if kind == "numbers":
        if not isinstance(value, list) or not value:
            raise bad
        return [_coerce("number", v, expected) for v in value]
    raise AssertionError(kind)  # pragma: no cover - the kinds are fixed above


def _kind(hint: Any) -> tuple[str, bool]:
    """The kind of a type hint and whether it admits None."""
    optional = False
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        optional = len(args) < len(typing.get_args(hint))
        if set(args) == {str, int}:
            return "value", optional
        (hint,) = args
    return _KINDS[hint], optional


#: What an analysis returns: :class:`AnalysisOutput`, or a matplotlib Figure for a figure.
_R = TypeVar("_R")

#: An input name -> the (column, role) pairs an analysis needs in it, given its parameters.
ColumnsOf = Callable[[Mapping[str, Any]], dict[str, list[tuple[str, str]]]]


@dataclass(frozen=True, slots=True)
class Analysis(Generic[_R]):
    """A named analysis (or figure).

    Attributes
    ----------
    name
        The name on the command line and in job files.
    run
        ``run(*inputs, **parameters) -> AnalysisOutput`` (a matplotlib Figure for the figures
        of :data:`survstat.analyses.plots.PLOTS`); its type hints define the parameters.
    inputs
        Names of the positional table arguments (``"data"``, and ``"patients"`` or
        ``"subjects"`` for analyses that read two tables).
    columns
        The columns each input must hold, given the parameters (checked before a job runs).
    choices
        Allowed values of text parameters.
    engines
        The engines it runs on: ``"spark"`` too for analyses that need only the risk table.
    """

    name: str
    run: Callable[..., _R]
    inputs: tuple[str, ...] = ("data",)
    columns: ColumnsOf = field(default=lambda params: {})
    choices: Mapping[str, tuple[Any, ...]] = field(default_factory=dict)
    engines: tuple[str, ...] = ("polars",)

    @property
    def summary(self) -> str:
        """The first line of the analysis function's docstring."""
        return (self.run.__doc__ or "").strip().splitlines()[0]

    def optional_inputs(self) -> set[str]:
        """The table arguments that may be left out (they default to None)."""
        sig = inspect.signature(self.run).parameters
        return {r for r in self.inputs if sig[r].default is not inspect.Parameter.empty}

    def parameters(self) -> dict[str, Parameter]:
        """The keyword parameters, in order, from the run function's signature."""
        hints = typing.get_type_hints(self.run)
        out = {}
        for name, p in inspect.signature(self.run).parameters.items():
            if name in self.inputs:
                continue
            kind, _ = _kind(hints[name])
            required = p.default is inspect.Parameter.empty
            default = None if required else p.default
            out[name] = Parameter(name, kind, required, default, self.choices.get(name))
        return out


def column_roles(**by_input: tuple[str, ...]) -> ColumnsOf:
    """A :data:`ColumnsOf` for parameters that name columns: ``data=("time", "event")`` means
    the ``time`` and ``event`` parameters name columns of the ``data`` input."""

    def columns(params: Mapping[str, Any]) -> dict[str, list[tuple[str, str]]]:
        out: dict[str, list[tuple[str, str]]] = {}
        for source, roles in by_input.items():
            needed = out.setdefault(source, [])
            for role in roles:
                value = params.get(role)
                for name in [value] if isinstance(value, str) else value or []:
                    needed.append((name, role))
        return out

    return columns


def names(value: str | list[str] | None) -> list[str] | None:
    """One column name or several as a list (None stays None)."""
    return [value] if isinstance(value, str) else value
