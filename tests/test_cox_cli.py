"""Cox predictions and diagnostics on the command line and in jobs: `survstat cox --profiles
--baseline-hazard --residuals` and `survstat plot zph`.

The numbers are the Python API's (checked against R in test_cox_survival.py,
test_cox_residuals.py and test_cox_zph.py); here the tables are written beside the model,
keyed to the input rows, and bad options are one-line errors.
"""

from __future__ import annotations

import re

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import polars as pl
import pytest
from polars.testing import assert_frame_equal
from typer.testing import CliRunner

import survstat
from survstat.analyses import ANALYSES
from survstat.analyses.plots import PLOTS
from survstat.batch import load_job, run_job
from survstat.cli import app
from survstat.errors import OptionError
from survstat.io import read_metadata

runner = CliRunner()
GBSG = ["--time", "time", "--event", "cens", "--covariates", "horTh,age,tgrade"]
PROFILES = "horTh=no,age=50,tgrade=I;horTh=yes, age=60.5, tgrade=III"


@pytest.fixture(scope="module")
def gbsg(tmp_path_factory):
    path = tmp_path_factory.mktemp("data") / "gbsg2.parquet"
    survstat.datasets.load("gbsg2").write_parquet(path)
    return str(path)


@pytest.fixture(scope="module")
def fit():
    return survstat.cox(
        survstat.datasets.load("gbsg2"),
        time="time",
        event="cens",
        covariates=["horTh", "age", "tgrade"],
    )


def _cox(data, out, *options):
    r = runner.invoke(app, ["cox", str(data), *GBSG, *options, "-o", str(out)])
    assert r.exit_code == 0, r.output
    return r


def test_profiles_write_the_curves_of_the_api(gbsg, fit, tmp_path):
    out = tmp_path / "cox.parquet"
    r = _cox(gbsg, out, "--profiles", PROFILES, "--conf-level", "0.9")
    curves = pl.read_parquet(tmp_path / "cox.curves.parquet")
    api = fit.survival(
        [
            {"horTh": "no", "age": 50.0, "tgrade": "I"},
            {"horTh": "yes", "age": 60.5, "tgrade": "III"},
        ],
        conf_level=0.9,
    ).table
    labels = ["horTh=no, age=50, tgrade=I", "horTh=yes, age=60.5, tgrade=III"]
    expected = api.with_columns(pl.Series("profile", labels).gather(api["profile"]))
    assert_frame_equal(curves, expected)
    assert curves.columns[:2] == ["profile", "time"]
    assert "cox.curves.parquet" in r.output
    assert read_metadata(tmp_path / "cox.curves.parquet")["parameters"]["profiles"] == PROFILES


def test_profiles_of_a_stratified_model_give_a_curve_per_stratum(gbsg, tmp_path):
    out = tmp_path / "s.parquet"
    args = ["cox", gbsg, "--time", "time", "--event", "cens", "--covariates", "age"]
    r = runner.invoke(
        app, [*args, "--strata", "horTh", "--profiles", "age=40;age=70", "-o", str(out)]
    )
    assert r.exit_code == 0, r.output
    curves = pl.read_parquet(tmp_path / "s.curves.parquet")
    assert curves.columns[:3] == ["profile", "horTh", "time"]
    assert curves.select("profile", "horTh").unique().height == 4
    fit = survstat.cox(
        survstat.datasets.load("gbsg2"),
        time="time",
        event="cens",
        covariates=["age"],
        strata="horTh",
    )
    api = fit.survival([{"age": 40.0}, {"age": 70.0}]).table
    assert curves.drop("profile").equals(api.drop("profile"))


def test_boolean_covariates_take_true_and_false(tmp_path):
    data = survstat.datasets.load("gbsg2").with_columns(nodes=pl.col("pnodes") > 3)
    path = tmp_path / "g.parquet"
    data.write_parquet(path)
    out = tmp_path / "b.parquet"
    args = ["cox", str(path), "--time", "time", "--event", "cens", "--covariates", "nodes"]
    r = runner.invoke(app, [*args, "--profiles", "nodes=true;nodes=0", "-o", str(out)])
    assert r.exit_code == 0, r.output
    curves = pl.read_parquet(tmp_path / "b.curves.parquet")
    fit = survstat.cox(data, time="time", event="cens", covariates=["nodes"])
    api = fit.survival([{"nodes": 1.0}, {"nodes": 0.0}]).table
    assert curves.get_column("survival").equals(api.get_column("survival"))


def test_baseline_hazard(gbsg, fit, tmp_path):
    out = tmp_path / "cox.parquet"
    _cox(gbsg, out, "--baseline-hazard")
    assert pl.read_parquet(tmp_path / "cox.baseline_hazard.parquet").equals(fit.baseline_hazard())
    assert not (tmp_path / "cox.curves.parquet").exists()
    assert not (tmp_path / "cox.residuals.parquet").exists()


@pytest.mark.parametrize("kind", ["martingale", "deviance", "score", "dfbeta", "dfbetas"])
def test_per_row_residuals_are_keyed_by_the_input_row(gbsg, fit, tmp_path, kind):
    out = tmp_path / "cox.parquet"
    _cox(gbsg, out, "--residuals", kind)
    table = pl.read_parquet(tmp_path / "cox.residuals.parquet")
    api = fit.residuals(kind)
    assert table.get_column("row").to_list() == list(range(686))
    assert_frame_equal(table, api)  # all rows used: the input row is the API's row


@pytest.mark.parametrize("kind", ["schoenfeld", "scaledsch"])
def test_schoenfeld_residuals_are_keyed_by_their_event_rows(gbsg, fit, tmp_path, kind):
    out = tmp_path / "cox.parquet"
    _cox(gbsg, out, "--residuals", kind)
    table = pl.read_parquet(tmp_path / "cox.residuals.parquet")
    assert_frame_equal(table.drop("row"), fit.residuals(kind))
    data = survstat.datasets.load("gbsg2").with_row_index("row")
    events = data.join(table.select("row", "time"), on="row")
    assert events.height == table.height == 299
    assert (events.get_column("cens") == 1).all()
    assert events.get_column("time").cast(pl.Float64).equals(events.get_column("time_right"))


def test_residual_rows_count_the_input_past_weight_0_and_param_filters(tmp_path):
    """Rows of weight 0 are left out of the fit; an ADTTE's other parameters are filtered
    out: `row` is still the row of the input file, and USUBJID is carried."""
    adtte = survstat.datasets.load("breast_trial_adtte")
    adsl = survstat.datasets.load("breast_trial_adsl")
    arms = adsl.select("USUBJID", "TRT01P")
    data = adtte.join(arms, on="USUBJID", how="left", maintain_order="left")
    data = data.with_columns(w=pl.when(pl.int_range(pl.len()) % 7 == 0).then(0).otherwise(1))
    path = tmp_path / "adtte.parquet"
    data.write_parquet(path)
    out = tmp_path / "os.parquet"
    args = ["cox", str(path), "--param", "OS", "--covariates", "TRT01P", "--weight", "w"]
    r = runner.invoke(app, [*args, "--residuals", "martingale", "-o", str(out)])
    assert r.exit_code == 0, r.output
    table = pl.read_parquet(tmp_path / "os.residuals.parquet")
    assert table.columns == ["row", "USUBJID", "residual"]
    used = data.with_row_index("row").filter((pl.col("PARAMCD") == "OS") & (pl.col("w") > 0))
    assert table.get_column("row").to_list() == used.get_column("row").cast(pl.Int64).to_list()
    assert table.get_column("USUBJID").equals(used.get_column("USUBJID"))
    fit = survstat.cox(used, time="AVAL", censor="CNSR", covariates=["TRT01P"], weight="w")
    assert table.get_column("residual").equals(fit.residuals("martingale")["residual"])


def test_id_option_names_the_subject_column(tmp_path):
    path = tmp_path / "mgus2.parquet"
    survstat.datasets.load("mgus2").write_parquet(path)
    out = tmp_path / "m.parquet"
    args = ["cox", str(path), "--time", "futime", "--event", "death", "--covariates", "sex,age"]
    r = runner.invoke(app, [*args, "--residuals", "dfbeta", "--id", "id", "-o", str(out)])
    assert r.exit_code == 0, r.output
    table = pl.read_parquet(tmp_path / "m.residuals.parquet")
    assert table.columns == ["row", "id", "sex[M]", "age"]
    assert table.get_column("id").equals(survstat.datasets.load("mgus2").get_column("id"))
    r = runner.invoke(app, [*args, "--residuals", "dfbeta", "--id", "idd"])
    assert r.exit_code == 1
    assert "column `idd` (given as id_column) not found" in r.stderr
    assert "did you mean `id`" in r.stderr
    r = runner.invoke(app, [*args, "--id", "id"])
    assert r.exit_code == 1
    assert r.stderr == "error: `id_column` (--id) keys the residuals: give --residuals too\n"


BAD_PROFILES = {
    "horTh=maybe,age=50,tgrade=I": r"profile 1 of 1 gives `horTh` = 'maybe', not a level of "
    r"the model; levels: no, yes",
    "horTh=no,age=50": r"profile 1 of 1 gives no value for `tgrade`",
    "horTh=no,agee=50,tgrade=I": r"names `agee`, not a covariate of the model; did you mean `age`",
    "horTh=no,age=fifty,tgrade=I": r"gives `age` = 'fifty', not a finite number",
    "horTh=no,age=nan,tgrade=I": r"gives `age` = 'nan', not a finite number",
    "horTh=no,age=50,tgrade=I;": r"profile 2 of 2 is empty",
    "horTh=no,age50,tgrade=I": r"profile 1 of 1 has 'age50' without `=`",
    "horTh=no,age=50,age=51,tgrade=I": r"gives `age` twice",
    "horTh=no,age=,tgrade=I": r"gives `age` no value",
}


@pytest.mark.parametrize("profiles", BAD_PROFILES)
def test_bad_profiles_are_one_line_errors(gbsg, tmp_path, profiles):
    out = tmp_path / "cox.parquet"
    r = runner.invoke(app, ["cox", gbsg, *GBSG, "--profiles", profiles, "-o", str(out)])
    assert r.exit_code == 1
    lines = r.stderr.splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("error: `profiles`: ")
    assert re.search(BAD_PROFILES[profiles], lines[0]), lines[0]
    assert r.stdout == ""
    assert not out.exists()


def test_bad_residual_type_is_a_usage_error(gbsg):
    r = runner.invoke(app, ["cox", gbsg, *GBSG, "--residuals", "pearson"])
    assert r.exit_code == 2
    assert "Traceback" not in r.output
    assert "martingale" in r.output


def test_the_analysis_refuses_a_bad_residual_type_too():
    with pytest.raises(OptionError, match="`type` must be one of martingale"):
        ANALYSES["cox"].run(
            survstat.datasets.load("gbsg2"),
            time="time",
            event="cens",
            covariates=["age"],
            residuals="pearson",
        )


# --- plot zph ---------------------------------------------------------------------------------


def test_plot_zph_draws_the_figure_of_the_api(gbsg, tmp_path):
    out = tmp_path / "zph.png"
    args = ["plot", "zph", gbsg, *GBSG, "--transform", "rank", "--width", "8", "--dpi", "60"]
    r = runner.invoke(app, [*args, "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    fig = PLOTS["zph"].run(
        survstat.datasets.load("gbsg2"),
        time="time",
        event="cens",
        covariates=["horTh", "age", "tgrade"],
        transform="rank",
        width=8.0,
        dpi=60,
    )
    try:
        assert fig.get_size_inches()[0] == pytest.approx(8.0)
        assert fig.dpi == 60
        shown = [ax for ax in fig.axes if ax.get_visible()]
        titles = [ax.get_title().split(":")[0] for ax in shown]
        assert titles == ["horTh[yes]", "age", "tgrade[II]", "tgrade[III]"]
        fit = survstat.cox(
            survstat.datasets.load("gbsg2"),
            time="time",
            event="cens",
            covariates=["horTh", "age", "tgrade"],
        )
        p = fit.zph(transform="rank", terms=False).table.filter(term="age")["p_value"].item()
        assert shown[1].get_title() == f"age: p = {p:.3g}"
    finally:
        plt.close(fig)


@pytest.mark.parametrize("transform", ["km", "rank", "identity", "log"])
def test_plot_zph_every_transform_with_strata_and_ties(gbsg, tmp_path, transform):
    out = tmp_path / f"zph_{transform}.svg"
    args = ["plot", "zph", gbsg, "--time", "time", "--event", "cens", "--covariates", "age"]
    args += ["--strata", "horTh", "--ties", "breslow", "--transform", transform]
    args += ["--xlabel", "Days", "--title", "PH check", "-o", str(out)]
    r = runner.invoke(app, args)
    assert r.exit_code == 0, r.output
    svg = out.read_text()
    assert "PH check" in svg
    assert "Days" in svg


def test_plot_zph_bad_transform_and_width(gbsg, tmp_path):
    out = tmp_path / "zph.png"
    r = runner.invoke(app, ["plot", "zph", gbsg, *GBSG, "--transform", "sqrt", "-o", str(out)])
    assert r.exit_code == 2
    r = runner.invoke(app, ["plot", "zph", gbsg, *GBSG, "--width", "2", "-o", str(out)])
    assert r.exit_code == 2
    assert not out.exists()


# --- jobs -------------------------------------------------------------------------------------

JOB = """[job]
title = "Cox diagnostics"
output = "out"

[inputs]
gbsg2 = "gbsg2.parquet"

[[step]]
name = "cox"
analysis = "cox"
input = "gbsg2"
time = "time"
event = "cens"
covariates = ["horTh", "age", "tgrade"]
profiles = {profiles}
baseline_hazard = true
residuals = "{residuals}"

[[step]]
name = "zph"
plot = "zph"
input = "gbsg2"
time = "time"
event = "cens"
covariates = ["horTh", "age", "tgrade"]
transform = "{transform}"
width = 8

[[step]]
name = "km_cox"
plot = "km"
input = "gbsg2"
time = "time"
event = "cens"
by = "tgrade"
cox_covariates = ["horTh", "age"]
"""


def _job(tmp_path, **values):
    survstat.datasets.load("gbsg2").write_parquet(tmp_path / "gbsg2.parquet")
    path = tmp_path / "job.toml"
    defaults = {
        "residuals": "deviance",
        "transform": "km",
        "profiles": '"horTh=no,age=50,tgrade=I;horTh=yes,age=50,tgrade=I"',
    }
    path.write_text(JOB.format(**(defaults | values)))
    return path


def test_job_steps_run_cox_with_profiles_and_residuals_and_plot_zph(tmp_path, fit):
    job = load_job(_job(tmp_path))
    manifest = run_job(job)
    assert manifest.get_column("status").to_list() == ["ok", "ok", "ok"]
    out = job.output
    for name in ("curves", "baseline_hazard", "residuals"):
        assert (out / f"cox.{name}.parquet").exists(), name
    residuals = pl.read_parquet(out / "cox.residuals.parquet")
    assert_frame_equal(residuals, fit.residuals("deviance"))
    assert (out / "zph.png").exists()
    assert (out / "km_cox.png").exists()


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"residuals": "pearson"}, r"residuals.*pearson"),
        ({"transform": "sqrt"}, r"transform.*sqrt"),
        ({"profiles": "3"}, r"profiles"),
    ],
)
def test_job_files_check_the_new_options(tmp_path, values, message):
    from survstat.batch import JobError

    with pytest.raises(JobError, match=message):
        load_job(_job(tmp_path, **values))
