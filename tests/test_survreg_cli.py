"""The survreg command and job step: the written tables equal the library's, options checked
from the one declaration, one-line errors."""

from __future__ import annotations

import polars as pl
import pytest
from typer.testing import CliRunner

import survstat
from survstat.batch import load_job, run_job
from survstat.cli import app

runner = CliRunner()


@pytest.fixture
def gbsg(tmp_path):
    path = tmp_path / "gbsg2.parquet"
    survstat.datasets.load("gbsg2").write_parquet(path)
    return path


def test_cli_writes_the_tables_of_the_fit(tmp_path, gbsg):
    out = tmp_path / "w.parquet"
    r = runner.invoke(
        app,
        [
            "survreg",
            str(gbsg),
            "--time",
            "time",
            "--event",
            "cens",
            "--covariates",
            "horTh,age",
            "--distribution",
            "weibull",
            "--compare",
            "weibull,lognormal",
            "--profiles",
            "horTh=yes,age=50;horTh=no,age=50",
            "--quantiles",
            "0.5",
            "-o",
            str(out),
        ],
    )
    assert r.exit_code == 0, r.output
    data = survstat.datasets.load("gbsg2")
    fit = survstat.survreg(data, time="time", event="cens", covariates=["horTh", "age"])
    assert pl.read_parquet(out).equals(fit.table)
    assert pl.read_parquet(tmp_path / "w.model.parquet").equals(fit.model)
    assert pl.read_parquet(tmp_path / "w.scales.parquet").equals(fit.scales)
    assert pl.read_parquet(tmp_path / "w.hazard_ratios.parquet").equals(fit.hazard_ratios())
    comparison = pl.read_parquet(tmp_path / "w.comparison.parquet")
    assert comparison["distribution"].to_list() == ["weibull", "lognormal"]
    assert comparison["aic"][0] == pytest.approx(fit.aic, rel=1e-14)
    quantiles = pl.read_parquet(tmp_path / "w.quantiles.parquet")
    assert quantiles["profile"].to_list() == ["horTh=yes,age=50", "horTh=no,age=50"]
    expected = fit.predict([{"horTh": "yes", "age": 50}, {"horTh": "no", "age": 50}], 0.5)
    assert quantiles["quantile"].to_list() == expected["quantile"].to_list()


def test_cli_strata_profiles_and_intercept_only(tmp_path, gbsg):
    r = runner.invoke(
        app,
        [
            "survreg",
            str(gbsg),
            "--time",
            "time",
            "--event",
            "cens",
            "--covariates",
            "horTh",
            "--strata",
            "menostat",
            "--profiles",
            "horTh=no,menostat=Pre",
            "-o",
            str(tmp_path / "s.parquet"),
        ],
    )
    assert r.exit_code == 0, r.output
    terms = pl.read_parquet(tmp_path / "s.parquet")["term"].to_list()
    assert terms[-2:] == ["Log(scale):menostat=Post", "Log(scale):menostat=Pre"]
    assert not (tmp_path / "s.hazard_ratios.parquet").exists()
    r = runner.invoke(
        app,
        [
            "survreg",
            str(gbsg),
            "--time",
            "time",
            "--event",
            "cens",
            "--distribution",
            "exponential",
            "-o",
            str(tmp_path / "e.parquet"),
        ],
    )
    assert r.exit_code == 0, r.output
    assert pl.read_parquet(tmp_path / "e.parquet")["term"].to_list() == ["(Intercept)"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--distribution", "gompertz"], "gompertz"),
        (["--covariates", "agee"], "did you mean `age`"),
        (["--compare", "weibull,cauchy"], "cauchy"),
        (["--compare", "weibull", "--strata", "menostat"], "leave out `strata`"),
        (["--covariates", "age", "--profiles", "age=old"], "must be a number; got 'old'"),
        (["--covariates", "age", "--profiles", "agee=50"], "did you mean `age`"),
    ],
)
def test_cli_errors_are_one_line(gbsg, args, message):
    r = runner.invoke(app, ["survreg", str(gbsg), "--time", "time", "--event", "cens", *args])
    assert r.exit_code in (1, 2)
    assert message in r.output
    assert "Traceback" not in r.output


def test_job_step(tmp_path, gbsg):
    job = tmp_path / "job.toml"
    job.write_text(
        '[job]\ntitle = "t"\noutput = "out"\n\n[inputs]\ngbsg2 = "gbsg2.parquet"\n\n'
        '[[step]]\nname = "aft"\nanalysis = "survreg"\ninput = "gbsg2"\ntime = "time"\n'
        'event = "cens"\ncovariates = ["horTh", "age"]\ndistribution = "lognormal"\n'
        'compare = ["weibull", "lognormal"]\n'
    )
    manifest = run_job(load_job(job))
    assert manifest["status"].to_list() == ["ok"]
    fit = survstat.survreg(
        survstat.datasets.load("gbsg2"),
        time="time",
        event="cens",
        covariates=["horTh", "age"],
        distribution="lognormal",
    )
    out = tmp_path / "out"
    assert pl.read_parquet(out / "aft.parquet").equals(fit.table)
    assert pl.read_parquet(out / "aft.comparison.parquet").height == 2


def test_job_checks_the_distribution(tmp_path, gbsg):
    job = tmp_path / "job.toml"
    job.write_text(
        '[job]\ntitle = "t"\noutput = "out"\n\n[inputs]\ngbsg2 = "gbsg2.parquet"\n\n'
        '[[step]]\nanalysis = "survreg"\ninput = "gbsg2"\ntime = "time"\nevent = "cens"\n'
        'distribution = "weibul"\n'
    )
    with pytest.raises(survstat.SurvstatError, match="weibul"):
        load_job(job)


def test_parametric_overlay_curves_are_the_fit():
    from survstat.plot_curves import km_figure, parametric_overlay

    gbsg = survstat.datasets.load("gbsg2")
    km = survstat.kaplan_meier(gbsg, time="time", event="cens", by="tgrade")
    fit = survstat.survreg(gbsg, time="time", event="cens", covariates=["tgrade"])
    curves = parametric_overlay(km, fit, points=50)
    assert curves.label == "Weibull model"
    assert len(curves.time) == 3
    expected = fit.survival({"tgrade": "III"}, curves.time[2])["survival"].to_numpy()
    assert curves.survival[2].tolist() == expected.tolist()
    assert curves.time[0][0] == 0.0
    assert curves.survival[0][0] == 1.0
    assert curves.time[0][-1] == float(gbsg["time"].max())
    km_figure(km, overlay=curves)
    one = survstat.kaplan_meier(gbsg, time="time", event="cens")
    null = survstat.survreg(gbsg, time="time", event="cens", distribution="lognormal")
    assert len(parametric_overlay(one, null).survival) == 1


def test_parametric_overlay_refuses_other_models():
    from survstat.plot_curves import parametric_overlay

    gbsg = survstat.datasets.load("gbsg2")
    km = survstat.kaplan_meier(gbsg, time="time", event="cens", by="horTh")
    other = survstat.survreg(gbsg, time="time", event="cens", covariates=["horTh", "age"])
    with pytest.raises(survstat.SurvstatError, match="must be the Kaplan-Meier group column"):
        parametric_overlay(km, other)
    strata = survstat.survreg(
        gbsg, time="time", event="cens", covariates=["horTh"], strata="menostat"
    )
    with pytest.raises(survstat.SurvstatError, match="take a model without strata"):
        parametric_overlay(km, strata)


def test_plot_km_parametric(tmp_path, gbsg):
    out = tmp_path / "km.png"
    args = ["plot", "km", str(gbsg), "--time", "time", "--event", "cens", "--by", "horTh"]
    r = runner.invoke(app, [*args, "--parametric", "weibull", "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert out.stat().st_size > 10_000
    both = [*args, "--parametric", "weibull", "--cox-covariates", "age", "-o", str(out)]
    r = runner.invoke(app, both)
    assert r.exit_code in (1, 2)
    assert "give one model to draw over the curves" in r.output
    r = runner.invoke(app, [*args, "--parametric", "gompertz", "-o", str(out)])
    assert r.exit_code == 2
