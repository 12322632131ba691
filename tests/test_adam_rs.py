"""ADaM response conventions: ``param`` (PARAMCD BOR, CBOR, OVR) and ``AVALC`` for rates.

CDISC ADaM BDS for response (ADRS): one row per subject and parameter, ``PARAMCD`` naming it
(``BOR`` best overall response, ``CBOR`` confirmed best overall response, ``OVR`` the overall
response at each visit) and ``AVALC`` the response as text. ``--param BOR`` must give the same
numbers as the BOR rows analysed with ``--response AVALC``.
"""

from __future__ import annotations

import pandas as pd
import polars as pl
import pyreadstat
import pytest
from polars.testing import assert_frame_equal
from typer.testing import CliRunner

from survstat.analyses.rates import compare_rates, response
from survstat.cli import app
from survstat.errors import InvalidValueError, OptionError
from survstat.io import read_metadata

runner = CliRunner()
RESPONDERS = ["CR", "PR"]


def _adrs() -> pl.DataFrame:
    """Twelve subjects in two arms: a BOR and a CBOR row each, two OVR visits each."""
    subjects = [f"S{i:02d}" for i in range(1, 13)]
    arms = ["A"] * 6 + ["B"] * 6
    bor = ["CR", "PR", "PR", "SD", "PD", "NE", "PR", "SD", "SD", "PD", "PD", "CR"]
    cbor = ["CR", "PR", "SD", "SD", "PD", "NE", "SD", "SD", "SD", "PD", "PD", "CR"]
    rows = [
        {"USUBJID": s, "TRT01P": a, "PARAMCD": p, "AVALC": v}
        for p, values in (("BOR", bor), ("CBOR", cbor))
        for s, a, v in zip(subjects, arms, values, strict=True)
    ]
    rows += [
        {"USUBJID": s, "TRT01P": a, "PARAMCD": "OVR", "AVALC": v}
        for visit in (0, 1)
        for s, a, v in zip(subjects, arms, bor if visit else cbor, strict=True)
    ]
    return pl.DataFrame(rows)


def _rows(param: str) -> pl.DataFrame:
    return _adrs().filter(pl.col("PARAMCD") == param)


def _cli(*args: object) -> str:
    r = runner.invoke(app, [str(a) for a in args])
    assert r.exit_code == 0, r.output
    return r.output


@pytest.mark.parametrize("param", ["BOR", "CBOR"])
def test_response_param_equals_response_on_the_param_rows_through_the_api(param):
    got = response(_adrs(), param=param, responder_values=RESPONDERS, by=["TRT01P"]).table
    expected = response(
        _rows(param), response="AVALC", responder_values=RESPONDERS, by=["TRT01P"]
    ).table
    assert_frame_equal(got, expected)
    assert got.get_column("n").to_list() == [6, 6]


def test_compare_rates_param_equals_compare_rates_on_the_bor_rows():
    got = compare_rates(_adrs(), param="BOR", by="TRT01P", responder_values=RESPONDERS)
    expected = compare_rates(
        _rows("BOR"), response="AVALC", by="TRT01P", responder_values=RESPONDERS
    )
    assert_frame_equal(got.table, expected.table)
    assert_frame_equal(got.extras[0].table, expected.extras[0].table)


def test_cli_param_equals_response_on_the_bor_rows_and_records_provenance(tmp_path):
    adrs, bor = tmp_path / "adrs.parquet", tmp_path / "bor.parquet"
    _adrs().write_parquet(adrs)
    _rows("BOR").write_parquet(bor)
    outs = {k: tmp_path / f"{k}.parquet" for k in ("param", "plain", "cmp_param", "cmp_plain")}
    common = ("--responder-values", "CR,PR", "--by", "TRT01P")
    _cli("response", adrs, "--param", "BOR", *common, "-o", outs["param"])
    _cli("response", bor, "--response", "AVALC", *common, "-o", outs["plain"])
    _cli("compare-rates", adrs, "--param", "BOR", *common, "-o", outs["cmp_param"])
    _cli("compare-rates", bor, "--response", "AVALC", *common, "-o", outs["cmp_plain"])
    assert_frame_equal(pl.read_parquet(outs["param"]), pl.read_parquet(outs["plain"]))
    assert_frame_equal(pl.read_parquet(outs["cmp_param"]), pl.read_parquet(outs["cmp_plain"]))
    assert read_metadata(outs["param"])["parameters"]["param"] == "BOR"
    assert read_metadata(outs["cmp_param"])["parameters"]["param"] == "BOR"


def test_job_file_takes_param(tmp_path):
    _adrs().write_parquet(tmp_path / "adrs.parquet")
    _rows("CBOR").write_parquet(tmp_path / "cbor.parquet")
    (tmp_path / "job.toml").write_text(
        '[job]\ntitle = "adrs"\noutput = "out"\n\n[inputs]\nadrs = "adrs.parquet"\n'
        'cbor = "cbor.parquet"\n\n'
        '[[step]]\nname = "orr_param"\nanalysis = "response"\ninput = "adrs"\n'
        'param = "CBOR"\nresponder_values = ["CR", "PR"]\nby = ["TRT01P"]\n\n'
        '[[step]]\nname = "orr_plain"\nanalysis = "response"\ninput = "cbor"\n'
        'response = "AVALC"\nresponder_values = ["CR", "PR"]\nby = ["TRT01P"]\n\n'
        '[[step]]\nname = "cmp_param"\nanalysis = "compare-rates"\ninput = "adrs"\n'
        'param = "CBOR"\nresponder_values = ["CR", "PR"]\nby = "TRT01P"\n\n'
        '[[step]]\nname = "cmp_plain"\nanalysis = "compare-rates"\ninput = "cbor"\n'
        'response = "AVALC"\nresponder_values = ["CR", "PR"]\nby = "TRT01P"\n'
    )
    _cli("run", tmp_path / "job.toml", "-q")
    out = tmp_path / "out"
    for step in ("orr", "cmp"):
        assert_frame_equal(
            pl.read_parquet(out / f"{step}_param.parquet"),
            pl.read_parquet(out / f"{step}_plain.parquet"),
        )
    assert read_metadata(out / "orr_param.parquet")["parameters"]["param"] == "CBOR"


def test_several_parameters_without_param_is_an_error_listing_them():
    with pytest.raises(
        OptionError, match=r"`PARAMCD` holds 3 parameters \(BOR, CBOR, OVR\): choose one"
    ):
        response(_adrs(), responder_values=RESPONDERS)


def test_unknown_param_lists_those_present():
    with pytest.raises(
        OptionError,
        match=r"parameter 'ORR' does not occur in `PARAMCD`; present: BOR, CBOR, OVR",
    ):
        compare_rates(_adrs(), param="ORR", by="TRT01P", responder_values=RESPONDERS)


def test_per_visit_ovr_rows_are_an_error():
    with pytest.raises(
        InvalidValueError,
        match=r"one row per subject expected; OVR holds visits — use BOR or CBOR "
        r"\(found 12 subjects .* first: S01 with 2 rows\)",
    ):
        response(_adrs(), param="OVR", responder_values=RESPONDERS)
    # one visit per subject is one row per subject: it runs
    one_visit = _adrs().filter(pl.col("PARAMCD") != "OVR")
    assert response(one_visit, param="BOR", responder_values=RESPONDERS).table.height == 1


def test_xpt_adrs_reads_end_to_end(tmp_path):
    path = tmp_path / "adrs.xpt"
    pyreadstat.write_xport(
        pd.DataFrame(_adrs().to_dict(as_series=False)), str(path), table_name="ADRS"
    )
    out = tmp_path / "orr.parquet"
    _cli(
        "response",
        path,
        "--param",
        "BOR",
        "--responder-values",
        "CR,PR",
        "--by",
        "TRT01P",
        "-o",
        out,
    )
    expected = response(
        _rows("BOR"), response="AVALC", responder_values=RESPONDERS, by=["TRT01P"]
    ).table
    assert_frame_equal(pl.read_parquet(out), expected)


def test_cli_ovr_error_is_one_line(tmp_path):
    adrs = tmp_path / "adrs.parquet"
    _adrs().write_parquet(adrs)
    r = runner.invoke(app, ["response", str(adrs), "--param", "OVR", "--by", "TRT01P"])
    assert r.exit_code != 0
    assert "one row per subject expected; OVR holds visits — use BOR or CBOR" in r.output
    assert "Traceback" not in r.output
