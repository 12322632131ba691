"""Pathological complete response (pCR) after neoadjuvant therapy for breast cancer.

Three definitions are in use (Cortazar et al. 2014, Lancet 384:164-172; FDA guidance
"Pathological Complete Response in Neoadjuvant Treatment of High-Risk Early-Stage Breast
Cancer: Use as an Endpoint to Support Accelerated Approval", 2014, revised 2020):

==================  ======================================================  =================
definition          pCR when                                                name here
==================  ======================================================  =================
ypT0/is ypN0        no invasive cancer in breast or nodes (DCIS allowed);   ``ypT0/is ypN0``
                    FDA's definition, the default
ypT0 ypN0           no invasive or in situ cancer in breast, none in nodes  ``ypT0 ypN0``
ypT0/is             no invasive cancer in the breast, nodes not considered  ``ypT0/is``
==================  ======================================================  =================

**Categories read** (AJCC Cancer Staging Manual, 8th edition, chapter 48 "Breast", the
post-neoadjuvant yp classification; case and spaces ignored, the ``yp`` prefix optional):

* ypT: ``ypT0``, ``ypTis``, ``ypTis (DCIS)``, ``ypTis (Paget)``, ``ypT1mi``, ``ypT1a``,
  ``ypT1b``, ``ypT1c``, ``ypT1``-``ypT4`` with ``ypT4a``-``ypT4d``, ``ypTX``; an invasive
  category may carry the multiplicity suffix ``(m)``.
* ypN: ``ypN0``, ``ypN1mi``, ``ypN1``-``ypN3`` with ``a``/``b``/``c`` subcategories, ``ypNX``;
  ``ypN0`` may carry ``(i+)``, ``(i-)``, ``(mol+)`` or ``(mol-)``; any category but X may carry
  ``(sn)``, which only records that the nodes came from a sentinel-node procedure and does
  not change the category.

Anything else is an error naming the patient (or row), the column and the value.

**Isolated tumour cells.** AJCC stages isolated tumour cells (clusters <= 0.2 mm, ypN0(i+))
and RT-PCR-only findings (ypN0(mol+)) as ypN0, but residual tumour cells after neoadjuvant
therapy are not a complete response: the FDA guidance defines pCR as "the absence of residual
invasive cancer ... in all sampled regional lymph nodes", and the BIG-NABCG recommendations
(Bossuyt et al. 2015, Ann Oncol 26:1280-1291; Provenzano et al. 2015, Mod Pathol
28:1185-1201) count ypN0(i+) as residual disease. Both are therefore not pCR by default;
``itc_is_pcr=True`` counts them as pCR (AJCC's N category alone). ypN0(i-) and ypN0(mol-)
are node-negative.

ypTX / ypNX (not assessed) make pCR unknown (null), never a non-response by accident; the rate
functions then count them as non-responders or exclude them, as asked.
"""

from __future__ import annotations

import re

import polars as pl

from survstat._choices import PCR_DEFINITIONS, PcrDefinition
from survstat.errors import (
    ColumnNotFoundError,
    ColumnTypeError,
    InvalidValueError,
    check_choice,
)
from survstat.io import FrameLike, scan

DEFINITIONS = PCR_DEFINITIONS

_T = re.compile(
    r"^(?:yp)?t(?:(0|x)|(is)(?:\((dcis|paget)\))?|(1mi|1a|1b|1c|1|2|3|4a|4b|4c|4d|4)(\(m\))?)$"
)
_N = re.compile(r"^(?:yp)?n(0|x|1mi|1a|1b|1c|1|2a|2b|2|3a|3b|3c|3)((?:\([a-z+\-]+\))*)$")
_N_SUFFIX = re.compile(r"\(([a-z+\-]+)\)")
_ITC = {"i+", "i-", "mol+", "mol-"}


def _parse_t(text: str) -> tuple[str, str] | None:
    """(category, canonical code) of a ypT value, or None when it is not one."""
    m = _T.match(text)
    if m is None:
        return None
    plain, is_, is_kind, invasive, multiple = m.groups()
    if is_:
        kind = f" ({is_kind.upper() if is_kind == 'dcis' else 'Paget'})" if is_kind else ""
        return "is", f"ypTis{kind}"
    if plain:
        return plain, f"ypT{plain.upper() if plain == 'x' else plain}"
    return invasive, f"ypT{invasive}{'(m)' if multiple else ''}"


def _parse_n(text: str) -> tuple[str, str] | None:
    """Parse a ypN value into (status, canonical code); None when it is not one.

    The status is ``0`` (node-negative), ``itc`` (ypN0(i+) or ypN0(mol+)), ``x`` or the
    positive category (AJCC 8th edition).
    """
    m = _N.match(text)
    if m is None:
        return None
    cat, tail = m.groups()
    suffixes = _N_SUFFIX.findall(tail)
    if "".join(f"({s})" for s in suffixes) != tail:
        return None
    itc = [s for s in suffixes if s in _ITC]
    sn = [s for s in suffixes if s == "sn"]
    if len(itc) + len(sn) != len(suffixes) or len(itc) > 1 or len(sn) > 1:
        return None
    if (itc and cat != "0") or (sn and cat == "x"):
        return None
    code = f"ypN{cat.upper() if cat == 'x' else cat}" + "".join(f"({s})" for s in itc + sn)
    if cat == "0":
        return ("itc" if itc and itc[0].endswith("+") else "0"), code
    return cat, code


def _codes(
    frame: pl.DataFrame, column: str, parse, patient: str | None
) -> list[tuple[str, str] | None]:
    """Parse a category column; unknown codes are an error naming the first patient."""
    dtype = frame.schema[column]
    if not isinstance(dtype, pl.String | pl.Categorical | pl.Enum | pl.Null):
        raise ColumnTypeError(
            f"`{column}` must hold AJCC categories as text (e.g. ypT0, ypN0(i+)); found {dtype}"
        )
    out, bad = [], []
    for row, v in enumerate(frame.get_column(column).cast(pl.String).to_list()):
        parsed = None if v is None else parse(re.sub(r"\s+", "", v).lower())
        if v is not None and parsed is None:
            bad.append((row, v))
        out.append(parsed)
    if bad:
        shown = sorted({str(b) for _, b in bad})[:6]
        row, value = bad[0]
        who = f"patient {frame[patient][row]!r}" if patient else f"row {row}"
        raise InvalidValueError(
            f"`{column}`: {len(bad)} of {frame.height} rows hold unknown codes {shown}; expected "
            "AJCC 8th edition post-neoadjuvant categories such as ypT0, ypTis (DCIS), ypT1a, "
            f"ypT2(m), ypN0, ypN0(i+), ypN0(sn), ypN1mi, ypNX (first: {who}, {value!r})"
        )
    return out


def pcr_flags(
    pathology: FrameLike,
    *,
    ypt: str = "ypT",
    ypn: str = "ypN",
    patient: str = "patient_id",
    definition: PcrDefinition = "ypT0/is ypN0",
    itc_is_pcr: bool = False,
) -> pl.DataFrame:
    """Flag pCR per patient from the post-neoadjuvant ypT and ypN categories.

    Parameters
    ----------
    pathology
        One row per patient with the ypT and ypN categories as text (see the module
        docstring for the forms read); missing values leave pCR unknown.
    ypt, ypn
        The category columns (``ypn`` is not needed for the breast-only definition).
    patient
        Patient id column, used to name the patient in errors; when the table has no such
        column, errors name the row instead.
    definition
        ``"ypT0/is ypN0"`` (default, FDA), ``"ypT0 ypN0"`` or ``"ypT0/is"``.
    itc_is_pcr
        Count ypN0(i+) and ypN0(mol+) as node-negative (default False: residual tumour cells
        are not a complete response; see the module docstring).

    Returns
    -------
    polars.DataFrame
        The input columns followed by ``pcr`` (boolean; null when the categories needed are
        missing or not assessed), ``pcr_definition`` and ``pcr_reason``.

    References
    ----------
    1. U.S. Food and Drug Administration. Pathological complete response in neoadjuvant
       treatment of high-risk early-stage breast cancer: use as an endpoint to support
       accelerated approval. Guidance for industry, 2014, revised 2020.
    2. Cortazar P et al. Pathological complete response and long-term clinical benefit in breast
       cancer: the CTNeoBC pooled analysis. Lancet 2014;384:164-172.
    3. Amin MB et al., eds. AJCC Cancer Staging Manual, 8th edition. Springer 2017; chapter 48,
       Breast.
    4. Provenzano E et al. Standardization of pathologic evaluation and reporting of
       postneoadjuvant specimens in clinical trials of breast cancer: recommendations from an
       international working group. Mod Pathol 2015;28:1185-1201.

    Examples
    --------
    >>> import polars as pl
    >>> path = pl.DataFrame({"ypT": ["ypT0", "ypTis (DCIS)", "ypT1a", "ypT0"],
    ...                      "ypN": ["ypN0(sn)", "ypN0", "ypN0", "ypN0(i+)"]})
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
    who = patient if patient in frame.columns else None
    t = _codes(frame, ypt, _parse_t, who)
    n = _codes(frame, ypn, _parse_n, who) if needs_nodes else [None] * len(t)
    breast_ok = {"0"} if definition == "ypT0 ypN0" else {"0", "is"}
    node_ok = {"0", "itc"} if itc_is_pcr else {"0"}
    flags, reasons = [], []
    for ti, ni in zip(t, n, strict=True):
        if ti is None or ti[0] == "x":
            flags.append(None)
            reasons.append("breast not assessed (ypT missing or ypTX)")
        elif ti[0] not in breast_ok:
            flags.append(False)
            reasons.append(f"residual disease in the breast ({ti[1]})")
        elif not needs_nodes:
            flags.append(True)
            reasons.append(f"{ti[1]}; nodes not considered")
        elif ni is None or ni[0] == "x":
            flags.append(None)
            reasons.append("nodes not assessed (ypN missing or ypNX)")
        elif ni[0] not in node_ok:
            flags.append(False)
            reasons.append(f"residual nodal disease ({ni[1]})")
        else:
            flags.append(True)
            reasons.append(f"{ti[1]} {ni[1]}")
    return frame.with_columns(
        pl.Series("pcr", flags, dtype=pl.Boolean),
        pl.lit(definition).alias("pcr_definition"),
        pl.Series("pcr_reason", reasons, dtype=pl.String),
    )


__all__ = ["DEFINITIONS", "pcr_flags"]
