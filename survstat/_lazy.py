"""Submodules imported on first attribute access (PEP 562), so that importing a package is
quick and only what is used gets loaded."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterable
from typing import Any


def lazy_submodules(
    package: str, names: Iterable[str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package`` that import ``package.<name>`` when the
    attribute ``name`` is first read.

    Examples
    --------
    >>> import survstat.endpoints
    >>> survstat.endpoints.pcr.__name__
    'survstat.endpoints.pcr'
    """
    known = tuple(names)

    def __getattr__(name: str) -> Any:
        if name not in known:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module = importlib.import_module(f"{package}.{name}")
        setattr(sys.modules[package], name, module)
        return module

    def __dir__() -> list[str]:
        return sorted({*vars(sys.modules[package]), *known})

    return __getattr__, __dir__
