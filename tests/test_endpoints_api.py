"""The public face of the endpoints: the choices their options accept are named once, in
``survstat._choices``, and every lookup table of the endpoints has exactly those keys."""

from __future__ import annotations

from survstat import _choices
from survstat.endpoints import cml_levels, cml_thresholds, dates, pcr, recist


def test_choices_are_the_endpoints_tables():
    assert cml_levels.LEVELS == _choices.CML_LEVELS
    assert cml_levels.LEVELS[1:] == _choices.RESPONSE_LEVELS
    assert tuple(cml_thresholds._OPS) == _choices.COMPARISONS
    assert tuple(dates.DAYS_PER_UNIT) == _choices.TIME_UNITS
    assert pcr.DEFINITIONS == _choices.PCR_DEFINITIONS
    assert recist.SAME_DAY == _choices.SAME_DAY
