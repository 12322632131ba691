"""ADaM time-to-event conventions: ``censor`` (CDISC CNSR), ``param`` (PARAMCD) and the trap
of ``--event CNSR``.

CDISC ADaM BDS for time-to-event (ADaM IG, ADTTE): ``CNSR`` is 0 for an event and a positive
integer for a censoring; ``PARAMCD`` names each row's parameter, so one ADTTE holds OS and
PFS. Curves are checked against R's ``survfit(Surv(AVAL, 1 - (CNSR > 0)) ~ TRT01P)``
(tests/reference/make_reference_adtte.R).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal
from typer.testing import CliRunner

import survstat
from survstat.analyses.plots import km_plot
from survstat.analyses.survival import cox_model, km, logrank_test, summary
from survstat.cli import app
from survstat.errors import (
    ColumnNotFoundError,
    ColumnTypeError,
    InvalidValueError,
    MissingValueError,
    OptionError,
)
from survstat.io import read_metadata

REF = json.loads((Path(__file__).parent / "reference" / "r_reference_adtte.json").read_text())
runner = CliRunner()


def _adtte() -> pl.DataFrame:
    """The hand-made ADTTE of the R reference: 20 subjects, OS and PFS, CNSR 0, 1 and 2."""
    return pl.DataFrame(REF["adtte"]).with_columns(
        pl.col("AVAL").cast(pl.Float64), pl.col("CNSR").cast(pl.Int64)
    )


def _os_with_event() -> pl.DataFrame:
    """The OS rows with EVENT = 1 - (CNSR > 0), the analysis an event flag gives."""
    os_rows = _adtte().filter(pl.col("PARAMCD") == "OS")
    return os_rows.with_columns(EVENT=1 - (pl.col("CNSR") > 0).cast(pl.Int64))


def _cli(*args: object) -> str:
    r = runner.invoke(app, [str(a) for a in args])
    assert r.exit_code == 0, r.output
    return r.output


def test_km_param_equals_censor_equals_event_through_the_api():
    adtte = _adtte()
    by_event = survstat.kaplan_meier(_os_with_event(), time="AVAL", event="EVENT", by="TRT01P")
    os_rows = adtte.filter(pl.col("PARAMCD") == "OS")
    by_censor = survstat.kaplan_meier(os_rows, time="AVAL", censor="CNSR", by="TRT01P")
    assert_frame_equal(by_censor.table, by_event.table)
    by_param = km(adtte, param="OS", by=["TRT01P"]).table  # time, censor: AVAL, CNSR
    assert_frame_equal(by_param, by_event.table)
    explicit = km(adtte, time="AVAL", censor="CNSR", param="OS", by=["TRT01P"]).table
    assert_frame_equal(explicit, by_event.table)


def test_km_matches_r_survfit_on_aval_and_cnsr():
    table = km(_adtte(), param=REF["param"], by=["TRT01P"], conf_type=REF["conf_type"]).table
    ref = pl.DataFrame(REF["km"]).sort("TRT01P", "time", maintain_order=True)
    got = table.sort("TRT01P", "time", maintain_order=True)
    assert got.get_column("TRT01P").to_list() == ref.get_column("TRT01P").to_list()
    for col in ("time", "n_risk", "n_event", "n_censor"):
        np.testing.assert_array_equal(got.get_column(col).to_numpy(), ref.get_column(col))
    for col in ("survival", "std_error", "conf_low", "conf_high"):
        np.testing.assert_allclose(
            got.get_column(col).to_numpy(), ref.get_column(col).to_numpy(), rtol=0, atol=1e-10
        )


def test_every_survival_analysis_takes_censor_and_param():
    adtte, evented = _adtte(), _os_with_event()
    common = {"time": "AVAL"}
    assert_frame_equal(
        summary(adtte, param="OS", by=["TRT01P"], tau=20.0).table,
        summary(evented, event="EVENT", by=["TRT01P"], tau=20.0, **common).table,
    )
    assert_frame_equal(
        logrank_test(adtte, param="OS", by=["TRT01P"]).table,
        logrank_test(evented, event="EVENT", by=["TRT01P"], **common).table,
    )
    assert_frame_equal(
        cox_model(adtte, censor="CNSR", param="OS", covariates=["TRT01P"], **common).table,
        cox_model(evented, event="EVENT", covariates=["TRT01P"], **common).table,
    )
    fig = km_plot(adtte, param="PFS", by=["TRT01P"])
    assert fig.axes


def test_cli_param_and_censor_equal_event_and_record_provenance(tmp_path):
    adtte, evented = tmp_path / "adtte.parquet", tmp_path / "os.parquet"
    _adtte().write_parquet(adtte)
    _os_with_event().write_parquet(evented)
    outs = {k: tmp_path / f"{k}.parquet" for k in ("param", "censor", "event")}
    _cli("km", adtte, "--param", "OS", "--by", "TRT01P", "-o", outs["param"])
    _cli(
        "km", evented, "--time", "AVAL", "--censor", "CNSR", "--by", "TRT01P", "-o", outs["censor"]
    )
    _cli("km", evented, "--time", "AVAL", "--event", "EVENT", "--by", "TRT01P", "-o", outs["event"])
    tables = {k: pl.read_parquet(v) for k, v in outs.items()}
    assert_frame_equal(tables["param"], tables["event"])
    assert_frame_equal(tables["censor"], tables["event"])
    assert read_metadata(outs["param"])["parameters"]["param"] == "OS"
    assert read_metadata(outs["censor"])["parameters"]["censor"] == "CNSR"


def test_job_file_takes_param_and_censor(tmp_path):
    _adtte().write_parquet(tmp_path / "adtte.parquet")
    _os_with_event().write_parquet(tmp_path / "os.parquet")
    (tmp_path / "job.toml").write_text(
        '[job]\ntitle = "adtte"\noutput = "out"\n\n[inputs]\nadtte = "adtte.parquet"\n'
        'os = "os.parquet"\n\n'
        '[[step]]\nname = "km_param"\nanalysis = "km"\ninput = "adtte"\nparam = "OS"\n'
        'by = "TRT01P"\n\n'
        '[[step]]\nname = "km_censor"\nanalysis = "km"\ninput = "adtte"\nparam = "OS"\n'
        'time = "AVAL"\ncensor = "CNSR"\nby = "TRT01P"\n\n'
        '[[step]]\nname = "km_event"\nanalysis = "km"\ninput = "os"\ntime = "AVAL"\n'
        'event = "EVENT"\nby = "TRT01P"\n'
    )
    _cli("run", tmp_path / "job.toml", "-q")
    out = tmp_path / "out"
    expected = pl.read_parquet(out / "km_event.parquet")
    assert_frame_equal(pl.read_parquet(out / "km_param.parquet"), expected)
    assert_frame_equal(pl.read_parquet(out / "km_censor.parquet"), expected)
    assert read_metadata(out / "km_param.parquet")["parameters"]["param"] == "OS"


def test_several_parameters_without_param_is_an_error_listing_them():
    with pytest.raises(OptionError, match=r"`PARAMCD` holds 2 parameters \(OS, PFS\): choose"):
        km(_adtte(), time="AVAL", censor="CNSR")
    with pytest.raises(OptionError, match=r"`PARAMCD` holds 2 parameters \(OS, PFS\)"):
        survstat.kaplan_meier(_adtte(), time="AVAL", censor="CNSR")


def test_unknown_param_lists_the_values_present():
    with pytest.raises(OptionError, match=r"parameter 'DFS' does not occur in `PARAMCD`; "):
        km(_adtte(), param="DFS")
    with pytest.raises(OptionError, match=r"present: OS, PFS$"):
        km(_adtte(), param="DFS")


def test_param_column_names_the_parameter():
    renamed = _adtte().rename({"PARAMCD": "ENDPOINT"})
    got = km(renamed, time="AVAL", censor="CNSR", param="OS", param_column="ENDPOINT").table
    assert_frame_equal(got, km(_adtte(), param="OS").table)
    with pytest.raises(ColumnNotFoundError, match="PARAMCD"):
        km(renamed, time="AVAL", censor="CNSR", param="OS")


@pytest.mark.parametrize("name", ["CNSR", "cnsr"])
def test_event_naming_cnsr_suggests_censor(name):
    data = _os_with_event().rename({"CNSR": name})
    with pytest.raises(OptionError, match=rf"use --censor {name} \(censor=\"{name}\"\) instead"):
        km(data, time="AVAL", event=name)
    with pytest.raises(OptionError, match="would analyse the censoring distribution"):
        survstat.kaplan_meier(data, time="AVAL", event=name)


def test_cli_event_cnsr_is_one_line_error(tmp_path):
    path = tmp_path / "os.parquet"
    _os_with_event().write_parquet(path)
    r = runner.invoke(app, ["km", str(path), "--time", "AVAL", "--event", "CNSR"])
    assert r.exit_code == 1
    assert "use --censor CNSR" in r.output
    assert "Traceback" not in r.output


def test_event_and_censor_both_or_neither_is_an_error():
    data = _os_with_event()
    with pytest.raises(OptionError, match="give either event or censor, not both"):
        km(data, time="AVAL", event="EVENT", censor="CNSR")
    with pytest.raises(OptionError, match=r"give event \(0/1\) or censor \(CDISC CNSR\)"):
        km(data.drop("PARAMCD"), time="AVAL")
    with pytest.raises(OptionError, match="missing column role: time"):
        km(data.drop("PARAMCD"), event="EVENT")


def test_cli_without_event_or_censor_is_an_error_not_a_usage_error(tmp_path):
    path = tmp_path / "os.parquet"
    _os_with_event().drop("PARAMCD").write_parquet(path)
    r = runner.invoke(app, ["km", str(path), "--time", "AVAL"])
    assert r.exit_code == 1
    assert "give event (0/1) or censor (CDISC CNSR)" in " ".join(r.output.split())


@pytest.mark.parametrize(
    ("value", "error", "message"),
    [
        (-1, InvalidValueError, r"found 1 negative value of 20 rows \(first: -1\.0 at row 3\)"),
        (0.5, InvalidValueError, r"found 1 non-integer value of 20 rows \(first: 0\.5 at row 3\)"),
        (None, MissingValueError, r"must not be missing; found 1 missing value of 20 rows"),
    ],
)
def test_bad_cnsr_values_name_column_count_and_first_row(value, error, message):
    os_rows = (
        _adtte().filter(pl.col("PARAMCD") == "OS").with_columns(pl.col("CNSR").cast(pl.Float64))
    )
    bad = os_rows.with_columns(
        CNSR=pl.when(pl.int_range(pl.len()) == 3).then(value).otherwise(pl.col("CNSR"))
    )
    with pytest.raises(error, match=r"^`CNSR` \(censor, CDISC CNSR\) "):
        survstat.kaplan_meier(bad, time="AVAL", censor="CNSR")
    with pytest.raises(error, match=message):
        km(bad, time="AVAL", censor="CNSR")


def test_bad_cnsr_row_is_the_input_row_after_param_filtering():
    adtte = _adtte().with_columns(
        CNSR=pl.when(pl.int_range(pl.len()) == 25).then(-2).otherwise(pl.col("CNSR"))
    )
    with pytest.raises(InvalidValueError, match=r"first: -2 at row 25\)"):
        km(adtte, param="PFS")
    assert km(adtte, param="OS").table.height > 0  # the bad row is a PFS row


def test_text_cnsr_is_a_type_error():
    data = _adtte().filter(pl.col("PARAMCD") == "OS").with_columns(pl.col("CNSR").cast(pl.String))
    with pytest.raises(ColumnTypeError, match=r"`CNSR` \(censor\) must be numeric"):
        km(data, param="OS")
