"""The one clock survstat reads: outputs that must be reproducible take their time from here.

``SOURCE_DATE_EPOCH`` (https://reproducible-builds.org/specs/source-date-epoch/), when set,
replaces the current time, so that the same inputs give byte-identical files.
"""

from __future__ import annotations

import datetime as _dt
import os

from survstat.errors import OptionError


def source_date_epoch() -> _dt.datetime | None:
    """The time given by ``SOURCE_DATE_EPOCH`` (UTC), or None when it is not set."""
    raw = os.environ.get("SOURCE_DATE_EPOCH")
    if raw is None or raw == "":
        return None
    try:
        seconds = int(raw)
    except ValueError:
        raise OptionError(
            f"SOURCE_DATE_EPOCH must be a whole number of seconds since 1970-01-01; got {raw!r}"
        ) from None
    return _dt.datetime.fromtimestamp(seconds, _dt.UTC)


def recorded_time() -> str | None:
    """The creation time to write into an output that must be reproducible.

    ``SOURCE_DATE_EPOCH`` (UTC, ISO 8601 to the second) when set, else None: without it an
    output records no time at all, so that the same input and options give the same bytes
    (file systems and manifests keep when a file was written).
    """
    fixed = source_date_epoch()
    return None if fixed is None else fixed.isoformat(timespec="seconds")


def utc_now() -> str:
    """The current UTC time to the second in ISO 8601 (``SOURCE_DATE_EPOCH`` when set)."""
    now = source_date_epoch() or _dt.datetime.now(_dt.UTC)
    return now.isoformat(timespec="seconds")
