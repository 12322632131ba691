"""pCR flags by the three definitions, on hand-worked pathology rows."""

from __future__ import annotations

import polars as pl
import pytest

import survstat
from survstat.endpoints.pcr import pcr_flags
from survstat.errors import ColumnNotFoundError, InvalidValueError, OptionError

PATHOLOGY = pl.DataFrame(
    {
        "ypT": ["ypT0", "ypTis", "ypT1mi", "ypT0", "T0", "ypTis", "ypTX", None, "ypt0", "ypT0"],
        "ypN": [
            "ypN0",
            "ypN0",
            "ypN0",
            "ypN0(i+)",
            "N0(mol+)",
            "ypN1mi",
            "ypN0",
            "ypN0",
            "ypNX",
            "ypN1a",
        ],
    }
)


@pytest.mark.parametrize(
    ("definition", "itc", "expected"),
    [
        ("ypT0/is ypN0", False, [True, True, False, False, True, False, None, None, None, False]),
        ("ypT0/is ypN0", True, [True, True, False, True, True, False, None, None, None, False]),
        ("ypT0 ypN0", False, [True, False, False, False, True, False, None, None, None, False]),
        ("ypT0/is", False, [True, True, False, True, True, True, None, None, True, True]),
    ],
)
def test_definitions(definition, itc, expected):
    got = pcr_flags(PATHOLOGY, definition=definition, itc_is_pcr=itc)
    assert got["pcr"].to_list() == expected
    assert set(got["pcr_definition"]) == {definition}


def test_reasons_and_rate():
    got = pcr_flags(PATHOLOGY)
    reasons = got["pcr_reason"].to_list()
    assert reasons[2] == "residual disease in the breast (ypT1mi)"
    assert reasons[3] == "residual nodal disease (ypN0(i+))"
    assert reasons[6] == "breast not assessed (ypT missing or ypTX)"
    assert reasons[8] == "nodes not assessed (ypN missing or ypNX)"
    # not-evaluable patients count as non-responders (ITT) unless excluded
    itt = survstat.proportion(got, response="pcr").table.row(0, named=True)
    assert (itt["n"], itt["n_responders"], itt["n_missing"]) == (10, 3, 3)
    excl = survstat.proportion(got, response="pcr", missing="exclude").table.row(0, named=True)
    assert (excl["n"], excl["n_responders"]) == (7, 3)


def test_bad_pathology():
    with pytest.raises(
        InvalidValueError, match=r"`ypT`: 2 of 3 rows hold unknown codes \['T5', 'pCR'\]"
    ):
        pcr_flags(pl.DataFrame({"ypT": ["T5", "pCR", "ypT0"], "ypN": ["ypN0"] * 3}))
    with pytest.raises(ColumnNotFoundError, match="`ypN`"):
        pcr_flags(pl.DataFrame({"ypT": ["ypT0"]}))
    # the breast-only definition needs no node column
    assert pcr_flags(pl.DataFrame({"ypT": ["ypT0"]}), definition="ypT0/is")["pcr"].item() is True
    with pytest.raises(OptionError, match="`definition` must be one of"):
        pcr_flags(PATHOLOGY, definition="ypT0")
