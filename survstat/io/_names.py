"""Helpers the readers share: an exception's first line, repeated column names."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from survstat.errors import InputFormatError


def first_line(exc: BaseException) -> str:
    """The first line of an exception's message, or its class name when it has none."""
    text = str(exc).strip()
    return text.splitlines()[0].strip() if text else type(exc).__name__


def duplicates(names: Iterable[str]) -> str | None:
    """Describe the first repeated name (e.g. "`a` appears 2 times"), or None."""
    counts = Counter(names)
    repeated = [(n, c) for n, c in counts.items() if c > 1]
    if not repeated:
        return None
    name, count = repeated[0]
    more = f" ({len(repeated)} names repeat)" if len(repeated) > 1 else ""
    return f"`{name}` appears {count} times{more}"


def check_unique_names(names: list[str], what: str) -> None:
    """Raise :class:`InputFormatError` when a column name repeats in ``what``."""
    repeated = duplicates(names)
    if repeated is not None:
        raise InputFormatError(f"the {what} has duplicate column names: {repeated}")
