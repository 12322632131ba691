"""Reading an analysis function's declaration: its table arguments and keyword parameters,
their kinds, defaults, choices and metadata (see :mod:`survstat.analyses._declare`), and
checking a job file's values against them."""

from __future__ import annotations

import functools
import inspect
import math
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from survstat.analyses._declare import Column, Input, Option
from survstat.errors import OptionError

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


@dataclass(frozen=True, slots=True)
class Parameter:
    """One keyword parameter of an analysis: its kind, default, allowed values and metadata.

    Attributes
    ----------
    name
        The parameter's name, as job files spell it.
    kind
        ``text``, ``number``, ``integer``, ``flag``, ``texts``, ``numbers`` or ``value`` (a
        string or an integer, e.g. a cause code).
    required
        Whether the parameter has no default.
    default
        The default (None when required).
    choices
        The allowed values of a ``Literal`` text parameter, else None.
    option
        The declared :class:`~survstat.analyses._declare.Option` (help, command-line spelling,
        bounds), or :class:`~survstat.analyses._declare.Column` for a column parameter.
    optional
        Whether the type admits None.
    """

    name: str
    kind: str
    required: bool
    default: Any = None
    choices: tuple[Any, ...] | None = None
    option: Option | None = None
    optional: bool = False

    @property
    def help(self) -> str:
        """The declared help text ("" when none is declared)."""
        return self.option.help if self.option is not None else ""

    @property
    def label(self) -> str:
        """How reports label the value: the name a job file gives it."""
        return self.name

    def coerce(self, value: Any) -> Any:
        """Return ``value`` in the parameter's kind, or raise :class:`OptionError` saying why."""
        value = _coerce(self.kind, value, self.describe())
        if self.choices is not None and value is not None and value not in self.choices:
            listed = ", ".join(repr(c) for c in self.choices)
            raise OptionError(f"must be one of {listed}; got {value!r}")
        return value

    def describe(self) -> str:
        """What the parameter accepts, in words."""
        return _DESCRIBE[self.kind]


def _coerce(kind: str, value: Any, expected: str) -> Any:
    bad = OptionError(f"must be {expected}; got {value!r}")
    if kind in ("flag", "text"):
        if not isinstance(value, bool if kind == "flag" else str):
            raise bad
        return value
    if kind in ("value", "integer"):
        allowed = str | int if kind == "value" else int
        if isinstance(value, bool) or not isinstance(value, allowed):
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


def _kind(hint: Any) -> tuple[str, bool, tuple[Any, ...] | None]:
    """The kind of a type hint, whether it admits None, and its ``Literal`` choices."""
    optional = False
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        optional = len(args) < len(typing.get_args(hint))
        if set(args) == {str, int}:
            return "value", optional, None
        (hint,) = args
    if typing.get_origin(hint) is Literal:
        return "text", optional, typing.get_args(hint)
    return _KINDS[hint], optional, None


@dataclass(frozen=True, slots=True)
class Declaration:
    """What an analysis function declares.

    Attributes
    ----------
    inputs
        The table arguments in order: name -> (its :class:`Input`, whether it is required).
    parameters
        The keyword parameters in order.
    """

    inputs: dict[str, tuple[Input, bool]]
    parameters: dict[str, Parameter]


def _metadata(hint: Any) -> tuple[Any, tuple[Any, ...]]:
    """A hint without ``Annotated``, and the ``Annotated`` metadata."""
    if typing.get_origin(hint) is typing.Annotated:
        return hint.__origin__, hint.__metadata__
    return hint, ()


@functools.cache
def declaration(func: Callable[..., Any]) -> Declaration:
    """Read the declaration of an analysis function from its signature and type hints."""
    hints = typing.get_type_hints(func, include_extras=True)
    inputs: dict[str, tuple[Input, bool]] = {}
    parameters: dict[str, Parameter] = {}
    for name, p in inspect.signature(func).parameters.items():
        base, meta = _metadata(hints[name])
        required = p.default is inspect.Parameter.empty
        table = next((m for m in meta if isinstance(m, Input)), None)
        if table is not None:
            inputs[name] = (table, required)
            continue
        option = next((m for m in meta if isinstance(m, Option)), None)
        kind, optional, choices = _kind(base)
        default = None if required else p.default
        parameters[name] = Parameter(name, kind, required, default, choices, option, optional)
    return Declaration(inputs, parameters)


def column_parameters(params: dict[str, Parameter]) -> dict[str, Column]:
    """The parameters that name columns, with their :class:`Column` metadata."""
    return {n: p.option for n, p in params.items() if isinstance(p.option, Column)}
