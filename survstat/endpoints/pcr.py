"""Pathological complete response (pCR) after neoadjuvant therapy for breast cancer.

Three definitions are in use (Cortazar et al. 2014, Lancet 384:164-172; FDA guidance
"Pathological Complete Response in Neoadjuvant Treatment of High-Risk Early-Stage Breast
Cancer", 2014/2020):

==================  ======================================================  =============
definition          pCR when                                                  name here
==================  ======================================================  =============
ypT0/is ypN0        no invasive cancer in breast or nodes (DCIS allowed);    ``ypT0/is ypN0``
                    FDA's definition, the default
ypT0 ypN0           no invasive or in situ cancer in breast, none in nodes   ``ypT0 ypN0``
ypT0/is             no invasive cancer in the breast, nodes not considered   ``ypT0/is``
==================  ======================================================  =============

Isolated tumour cells in a node (ypN0(i+)) are residual invasive cells, so not pCR by default
(Bossuyt et al. 2015, Ann Oncol 26:1280-1291); ``itc_is_pcr=True`` follows AJCC staging, which
files them under ypN0. ypN0(mol+) (molecular findings only) counts as ypN0. ypTX / ypNX (not
assessed) make pCR unknown (null), never a non-response by accident; the rate functions then
count them as non-responders or exclude them, as asked.
"""

from __future__ import annotations

import re

import polars as pl

from survstat.errors import ColumnNotFoundError, InvalidValueError, check_choice
from survstat.io import FrameLike, scan

DEFINITIONS = ("ypT0/is ypN0", "ypT0 ypN0", "ypT0/is")

_T = re.compile(r"^(?:yp)?t(0|is|x|1mi|1a|1b|1c|1|2|3|4a|4b|4c|4d|4)$", re.IGNORECASE)
_N = re.compile(
    r"^(?:yp)?n(0|0\(i\+\)|0\(i-\)|0\(mol\+\)|0\(mol-\)|x|1mi|1a|1b|1c|1|2a|2b|2|3a|3b|3c|3)$",
    re.IGNORECASE,
)


def _codes(values: pl.Series, pattern: re.Pattern[str], column: str, n_rows: int) -> list:
    out, bad = [], []
    for v in values.to_list():
        if v is None:
            out.append(None)
            continue
        m = pattern.match(str(v).strip().replace(" ", ""))
        if m is None:
            bad.append(v)
            out.append(None)
        else:
            out.append(m.group(1).lower())
    if bad:
        shown = sorted({str(b) for b in bad})[:6]
        raise InvalidValueError(
            f"`{column}`: {len(bad)} of {n_rows} rows hold unknown codes {shown}; expected AJCC "
            "post-neoadjuvant categories such as ypT0, ypTis, ypT1a, ypN0, ypN0(i+), ypN1mi, "
            "ypNX"
        )
    return out


def pcr_flags(
    pathology: FrameLike,
    *,
    ypt: str = "ypT",
    ypn: str = "ypN",
    definition: str = "ypT0/is ypN0",
    itc_is_pcr: bool = False,
) -> pl.DataFrame:
    """Flag pCR per patient from the post-neoadjuvant ypT and ypN categories.

    Returns the input columns followed by ``pcr`` (boolean; null when the categories needed
    are missing or not assessed), ``pcr_definition`` and ``pcr_reason``.

    Examples
    --------
    >>> import polars as pl
    >>> path = pl.DataFrame({"ypT": ["ypT0", "ypTis", "ypT1a", "ypT0"],
    ...                      "ypN": ["ypN0", "ypN0", "ypN0", "ypN0(i+)"]})
    >>> pcr_flags(path)["pcr"].to_list()
    [True, True, False, False]
    >>> pcr_flags(path, definition="ypT0 ypN0")["pcr"].to_list()
    [True, False, False, False]
    """
    check_choice("definition", definition, DEFINITIONS)
    frame = scan(pathology)[0].collect()
    needs_nodes = definition != "ypT0/is"
    for name in (ypt, ypn) if needs_nodes else (ypt,):
        if name not in frame.columns:
            raise ColumnNotFoundError(name, frame.columns, role="pathology category")
    t = _codes(frame.get_column(ypt), _T, ypt, frame.height)
    n = _codes(frame.get_column(ypn), _N, ypn, frame.height) if needs_nodes else [None] * len(t)
    breast_ok = {"0"} if definition == "ypT0 ypN0" else {"0", "is"}
    node_ok = {"0", "0(i-)", "0(mol+)", "0(mol-)"} | ({"0(i+)"} if itc_is_pcr else set())
    flags, reasons = [], []
    for ti, ni in zip(t, n, strict=True):
        if ti is None or ti == "x":
            flags.append(None)
            reasons.append("breast not assessed (ypT missing or ypTX)")
            continue
        if ti not in breast_ok:
            flags.append(False)
            reasons.append(f"residual disease in the breast (ypT{ti})")
            continue
        if not needs_nodes:
            flags.append(True)
            reasons.append(f"ypT{ti}; nodes not considered")
            continue
        if ni is None or ni == "x":
            flags.append(None)
            reasons.append("nodes not assessed (ypN missing or ypNX)")
        elif ni not in node_ok:
            flags.append(False)
            reasons.append(f"residual nodal disease (ypN{ni})")
        else:
            flags.append(True)
            reasons.append(f"ypT{ti} ypN{ni}")
    return frame.with_columns(
        pl.Series("pcr", flags, dtype=pl.Boolean),
        pl.lit(definition).alias("pcr_definition"),
        pl.Series("pcr_reason", reasons, dtype=pl.String),
    )


__all__ = ["DEFINITIONS", "pcr_flags"]
