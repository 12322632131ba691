"""The bundled CDISC datasets: synthetic SDTM (DM, RS, TR, LB) and ADaM (ADSL, ADRS, ADTTE)
versions of the synthetic breast and CML trials, in SAS transport v5 with CDISC labels.

:func:`build` makes them: the SDTM domains from :mod:`survstat.datasets.synthetic`, ADSL from
DM (``sdtm adsl``), the breast trial's ADRS and ADTTE from its SDTM RS and DM as a user would
derive them (``sdtm rs``, then ``recist derive --from-dates --adam DIR --adam-format xpt``),
and the CML trial's ADTTE from its labs and patient table (``cml endpoints --adam``). The test
rebuilds them and requires the same bytes; ``python tests/test_cdisc_datasets.py`` rewrites
the bundled files after a deliberate change.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

import polars as pl
import pytest

import survstat
from survstat.datasets.synthetic import SDTM_LABELS, breast_trial_sdtm, cml_two_arm_sdtm
from survstat.io import read_labels, read_table_file, write_xpt

#: Bundled name -> (SAS dataset name, dataset label).
SDTM = {
    "breast_trial_dm": ("DM", "Demographics (synthetic)"),
    "breast_trial_rs": ("RS", "Disease Response (synthetic)"),
    "breast_trial_tr": ("TR", "Tumor/Lesion Results (synthetic)"),
    "cml_two_arm_dm": ("DM", "Demographics (synthetic)"),
    "cml_two_arm_lb": ("LB", "Laboratory Test Results (synthetic)"),
}
ADAM = ("breast_trial_adsl", "breast_trial_adrs", "breast_trial_adtte")
ADAM += ("cml_two_arm_adsl", "cml_two_arm_adtte")
PACKAGE = Path(survstat.datasets.__file__).parent


def build(folder: Path) -> None:
    """Write every bundled CDISC dataset into ``folder`` as ``<name>.xpt``."""
    from survstat.analyses.cml import endpoints
    from survstat.analyses.recist import derive
    from survstat.endpoints.sdtm import rs_visits
    from survstat.endpoints.sdtm_adsl import dm_adsl

    dm, rs, tr = breast_trial_sdtm()
    cml_dm, lb = cml_two_arm_sdtm()
    frames = {
        "breast_trial_dm": dm,
        "breast_trial_rs": rs,
        "breast_trial_tr": tr,
        "cml_two_arm_dm": cml_dm,
        "cml_two_arm_lb": lb,
    }
    for name, frame in frames.items():
        dataset, label = SDTM[name]
        labels = {c: SDTM_LABELS[c] for c in frame.columns}
        write_xpt(frame, folder / f"{name}.xpt", labels=labels, name=dataset, label=label)
    for study in ("breast_trial", "cml_two_arm"):
        adsl = dm_adsl(folder / f"{study}_dm.xpt")
        write_xpt(
            adsl.table,
            folder / f"{study}_adsl.xpt",
            labels=adsl.labels,
            name="ADSL",
            label="Subject-Level Analysis Dataset (synth.)",
        )
    with tempfile.TemporaryDirectory() as tmp:
        visits, subjects = rs_visits(folder / "breast_trial_rs.xpt", folder / "breast_trial_dm.xpt")
        derive(visits, subjects, from_dates=True, adam=tmp, adam_format="xpt")
        for name in ("adrs", "adtte"):
            shutil.copyfile(Path(tmp) / f"{name}.xpt", folder / f"breast_trial_{name}.xpt")
    with tempfile.TemporaryDirectory() as tmp:
        endpoints(
            survstat.datasets.path("cml_two_arm_labs"),
            survstat.datasets.path("cml_two_arm_patients"),
            adam=tmp,
            adam_format="xpt",
        )
        shutil.copyfile(Path(tmp) / "adtte.xpt", folder / "cml_two_arm_adtte.xpt")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("cdisc")
    build(folder)
    return folder


@pytest.mark.parametrize("name", [*SDTM, *ADAM])
def test_bundled_files_are_the_build_output(built, name):
    assert Path(survstat.datasets.path(name)).read_bytes() == (built / f"{name}.xpt").read_bytes()


@pytest.mark.parametrize("name", list(SDTM))
def test_sdtm_files_hold_the_generator_output_and_labels(name):
    dm, rs, tr = breast_trial_sdtm()
    cml_dm, lb = cml_two_arm_sdtm()
    frame = dict(zip(SDTM, (dm, rs, tr, cml_dm, lb), strict=True))[name]
    # SAS transport has no missing text but blanks; numbers come back as doubles
    expected = frame.with_columns(
        [pl.col(c).fill_null("") for c, t in frame.schema.items() if t == pl.String]
        + [pl.col(c).cast(pl.Float64) for c, t in frame.schema.items() if t.is_integer()]
    )
    got, labels = read_table_file(survstat.datasets.path(name))
    assert got.equals(expected)
    assert labels == {c: SDTM_LABELS[c] for c in frame.columns}
    assert survstat.datasets.labels(name) == labels


def test_adam_datasets_analyse_as_the_derivation_does():
    """km on the bundled ADTTE by TRT01P from ADSL equals km by the carried arm."""
    from survstat.analyses.survival import km

    adtte, adsl = (survstat.datasets.path(f"breast_trial_{n}") for n in ("adtte", "adsl"))
    by_adsl = km(adtte, adsl, param="PFS", by=["TRT01P"], population="ITTFL").table
    by_arm = km(adtte, param="PFS", by=["arm"]).table
    assert by_adsl.drop("TRT01P").equals(by_arm.drop("arm"))
    assert by_adsl.get_column("TRT01P").equals(by_arm.get_column("arm"), check_names=False)
    assert read_labels(adtte)["CNSR"] == "Censor"


def test_export_writes_the_labels(tmp_path):
    from typer.testing import CliRunner

    from survstat.cli import app

    r = CliRunner().invoke(
        app, ["datasets", "export", "breast_trial_rs", "-o", str(tmp_path / "rs.xpt")]
    )
    assert r.exit_code == 0, r.output
    assert read_labels(tmp_path / "rs.xpt") == survstat.datasets.labels("breast_trial_rs")
    r = CliRunner().invoke(
        app, ["datasets", "export", "breast_trial_rs", "-o", str(tmp_path / "rs.parquet")]
    )
    assert r.exit_code == 0, r.output
    assert read_labels(tmp_path / "rs.parquet") == survstat.datasets.labels("breast_trial_rs")


if __name__ == "__main__":
    build(PACKAGE)
    sys.exit(0)
