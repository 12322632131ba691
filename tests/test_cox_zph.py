"""The proportional-hazards test after a Cox fit, against R cox.zph
(tests/reference/make_reference_cox_zph.R)."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

import survstat
from survstat.errors import OptionError
from survstat.estimators.cox_zph import cox_zph

REF = json.loads((Path(__file__).parent / "reference" / "r_reference_cox_zph.json").read_text())


def _fits():
    g = survstat.datasets.load("gbsg2").with_row_index("row", offset=1)
    g = g.with_columns(w=(1 + pl.col("row") % 3).cast(pl.Float64))
    m = survstat.datasets.load("mgus2").drop_nulls(["hgb"])  # R's na.omit
    return {
        "gbsg2 efron": survstat.cox(
            g, time="time", event="cens", covariates=["horTh", "age", "tgrade"]
        ),
        "gbsg2 breslow strata weights": survstat.cox(
            g,
            time="time",
            event="cens",
            covariates=["horTh", "pnodes"],
            strata="menostat",
            weight="w",
            ties="breslow",
        ),
        "mgus2 efron": survstat.cox(
            m, time="futime", event="death", covariates=["age", "sex", "hgb"]
        ),
    }


FITS = _fits()
#: R names a level's column without brackets (sexM); survstat as sex[M].
R_NAMES = {
    "horTh[yes]": "horThyes",
    "tgrade[II]": "tgradeII",
    "tgrade[III]": "tgradeIII",
    "sex[M]": "sexM",
}


@pytest.mark.parametrize(
    "ref", REF, ids=lambda r: f"{r['name']}-{r['transform']}-{'terms' if r['terms'] else 'columns'}"
)
def test_matches_r_cox_zph(ref):
    result = cox_zph(FITS[ref["name"]], transform=ref["transform"], terms=ref["terms"])
    table = result.table
    assert [R_NAMES.get(t, t) for t in table["term"]] == ref["term"]
    assert table["df"].to_list() == ref["df"]
    assert table["statistic"].to_list() == pytest.approx(ref["statistic"], rel=1e-8)
    assert table["p_value"].to_list() == pytest.approx(ref["p_value"], rel=1e-7)


def test_errors_and_method():
    fit = FITS["gbsg2 efron"]
    with pytest.raises(OptionError, match=r"`transform` must be one of km, rank, identity, log"):
        cox_zph(fit, transform="sqrt")  # type: ignore[arg-type]
    assert fit.zph().table.equals(cox_zph(fit).table)
    zero = survstat.datasets.load("gbsg2").with_columns(time=pl.col("time") - pl.col("time").min())
    fit0 = survstat.cox(zero, time="time", event="cens", covariates=["age"])
    with pytest.raises(OptionError, match=r"transform `log` needs times above 0"):
        cox_zph(fit0, transform="log")


def test_cli_writes_the_tests_beside_the_model(tmp_path):
    from typer.testing import CliRunner

    from survstat.cli import app

    data = tmp_path / "g.parquet"
    survstat.datasets.load("gbsg2").write_parquet(data)
    out = tmp_path / "cox.parquet"
    args = ["cox", str(data), "--time", "time", "--event", "cens", "--covariates"]
    r = CliRunner().invoke(app, [*args, "horTh,age,tgrade", "--ph-test", "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert pl.read_parquet(tmp_path / "cox.zph.parquet").equals(FITS["gbsg2 efron"].zph().table)
    r = CliRunner().invoke(app, [*args, "horTh", "-o", str(tmp_path / "plain.parquet")])
    assert not (tmp_path / "plain.zph.parquet").exists()
