"""pCR flags by the three definitions, on hand-worked pathology rows."""

from __future__ import annotations

import re

import polars as pl
import pytest

import survstat
from survstat.endpoints.pcr import pcr_flags
from survstat.errors import ColumnNotFoundError, ColumnTypeError, InvalidValueError, OptionError

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
        # row 4, N0(mol+): tumour cells found by RT-PCR are residual disease unless itc_is_pcr
        ("ypT0/is ypN0", False, [True, True, False, False, False, False, None, None, None, False]),
        ("ypT0/is ypN0", True, [True, True, False, True, True, False, None, None, None, False]),
        ("ypT0 ypN0", False, [True, False, False, False, False, False, None, None, None, False]),
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
    assert (itt["n"], itt["n_responders"], itt["n_missing"]) == (10, 2, 3)
    excl = survstat.proportion(got, response="pcr", missing="exclude").table.row(0, named=True)
    assert (excl["n"], excl["n_responders"]) == (7, 2)


def test_bad_pathology():
    with pytest.raises(
        InvalidValueError,
        match=r"`ypT`: 2 of 3 rows hold unknown codes \['T5', 'pCR'\]; .* \(first: row 0, 'T5'\)",
    ):
        pcr_flags(pl.DataFrame({"ypT": ["T5", "pCR", "ypT0"], "ypN": ["ypN0"] * 3}))
    with pytest.raises(ColumnNotFoundError, match="`ypN`"):
        pcr_flags(pl.DataFrame({"ypT": ["ypT0"]}))
    # the breast-only definition needs no node column
    assert pcr_flags(pl.DataFrame({"ypT": ["ypT0"]}), definition="ypT0/is")["pcr"].item() is True
    with pytest.raises(OptionError, match="`definition` must be one of"):
        pcr_flags(PATHOLOGY, definition="ypT0")


@pytest.mark.parametrize(
    ("ypt", "ypn", "expected", "reason"),
    [
        # DCIS only in the breast, sentinel node negative: pCR (ypT0/is ypN0); (sn) only
        # records the sentinel-node procedure
        ("ypTis (DCIS)", "ypN0(sn)", True, "ypTis (DCIS) ypN0(sn)"),
        ("ypTis(Paget)", "ypN0", True, "ypTis (Paget) ypN0"),
        # no ITCs by immunohistochemistry / negative RT-PCR: node-negative
        ("ypT0", "ypN0(i-)", True, "ypT0 ypN0(i-)"),
        ("ypT0", "ypN0 (mol-) (sn)", True, "ypT0 ypN0(mol-)(sn)"),
        ("ypT0", "ypN0(sn)(i-)", True, "ypT0 ypN0(i-)(sn)"),
        # isolated tumour cells / RT-PCR-positive: residual tumour cells, not pCR
        ("ypT0", "ypN0(i+)(sn)", False, "residual nodal disease (ypN0(i+)(sn))"),
        ("ypT0", "ypN0 (mol+)", False, "residual nodal disease (ypN0(mol+))"),
        # multifocal residual invasive cancer in the breast
        ("ypT1a(m)", "ypN0", False, "residual disease in the breast (ypT1a(m))"),
        ("ypT1mi", "ypN0", False, "residual disease in the breast (ypT1mi)"),
        ("ypT0", "ypN1mi(sn)", False, "residual nodal disease (ypN1mi(sn))"),
        ("ypT0", "YPN2A", False, "residual nodal disease (ypN2a)"),
        ("ypT0", "ypN3c", False, "residual nodal disease (ypN3c)"),
        ("ypTX", "ypN0", None, "breast not assessed (ypT missing or ypTX)"),
        ("ypT0", "ypNX", None, "nodes not assessed (ypN missing or ypNX)"),
        ("ypT0", None, None, "nodes not assessed (ypN missing or ypNX)"),
    ],
)
def test_ajcc_forms(ypt, ypn, expected, reason):
    got = pcr_flags(
        pl.DataFrame({"ypT": [ypt], "ypN": [ypn]}, schema={"ypT": pl.String, "ypN": pl.String})
    )
    assert (got["pcr"].item(), got["pcr_reason"].item()) == (expected, reason)


def test_itc_is_pcr_counts_isolated_tumour_cells_and_molecular_findings():
    path = pl.DataFrame(
        {"ypT": ["ypT0"] * 4, "ypN": ["ypN0(i+)", "ypN0(mol+)(sn)", "ypN1mi", "ypN0"]}
    )
    assert pcr_flags(path)["pcr"].to_list() == [False, False, False, True]
    # ITCs and RT-PCR-only findings are ypN0 for AJCC; micrometastases (ypN1mi) never are
    assert pcr_flags(path, itc_is_pcr=True)["pcr"].to_list() == [True, True, False, True]


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("ypN", "ypN1(i+)"),  # an ITC suffix on a positive node
        ("ypN", "ypNX(sn)"),
        ("ypN", "ypN0(i+)(mol+)"),
        ("ypN", "ypN0(f)"),
        ("ypN", "ypN4"),
        ("ypT", "ypT0(m)"),  # multiplicity of no tumour
        ("ypT", "ypTis (LCIS)"),  # LCIS is not staged as Tis in the 8th edition
        ("ypT", "ypT5"),
        ("ypT", "pCR"),
    ],
)
def test_unknown_codes_name_the_patient(column, value):
    path = pl.DataFrame(
        {"patient_id": ["N01", "N02"], "ypT": ["ypT0", "ypT0"], "ypN": ["ypN0", "ypN0"]}
    ).with_columns(
        pl.when(pl.col("patient_id") == "N02")
        .then(pl.lit(value))
        .otherwise(pl.col(column))
        .alias(column)
    )
    message = rf"`{column}`: 1 of 2 rows hold unknown codes .*\(first: patient 'N02', {re.escape(repr(value))}\)"
    with pytest.raises(InvalidValueError, match=message):
        pcr_flags(path)


def test_non_text_categories_and_patient_option():
    with pytest.raises(ColumnTypeError, match="`ypT` must hold AJCC categories as text"):
        pcr_flags(pl.DataFrame({"ypT": [0], "ypN": ["ypN0"]}))
    path = pl.DataFrame({"id": ["x", "y"], "ypT": ["ypT0", "T9"], "ypN": ["ypN0", "ypN0"]})
    with pytest.raises(InvalidValueError, match=r"\(first: patient 'y', 'T9'\)"):
        pcr_flags(path, patient="id")
