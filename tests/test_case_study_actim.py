"""The ACTIM case study: imatinib plus pioglitazone in CML (Rousselot et al., Cancer 2017).

``examples/actim.toml`` runs on the bundled SYNTHETIC SDTM DM and LB of
:func:`survstat.datasets.synthetic_actim.actim_sdtm`; these tests check its tables, that every
number the README's case study quotes is the one the job writes, and that the bundled files
are the generator's output (``python tests/test_case_study_actim.py`` rewrites them after a
deliberate change).
"""

from __future__ import annotations

import sys
from pathlib import Path

import polars as pl
import pytest

import survstat
from survstat.datasets.synthetic import SDTM_LABELS
from survstat.datasets.synthetic_actim import actim_sdtm
from survstat.io import read_table_file, write_xpt

#: Bundled name -> (SAS dataset name, dataset label).
SDTM = {
    "actim_dm": ("DM", "Demographics (synthetic)"),
    "actim_lb": ("LB", "Laboratory Test Results (synthetic)"),
}


def build(folder: Path) -> None:
    """Write the bundled ACTIM SDTM datasets into ``folder`` as ``<name>.xpt``."""
    for name, frame in zip(SDTM, actim_sdtm(), strict=True):
        dataset, label = SDTM[name]
        labels = {c: SDTM_LABELS[c] for c in frame.columns}
        write_xpt(frame, folder / f"{name}.xpt", labels=labels, name=dataset, label=label)


@pytest.mark.parametrize("name", list(SDTM))
def test_bundled_files_are_the_generator_output(tmp_path, name):
    build(tmp_path)
    assert (
        Path(survstat.datasets.path(name)).read_bytes() == (tmp_path / f"{name}.xpt").read_bytes()
    )
    frame = dict(zip(SDTM, actim_sdtm(), strict=True))[name]
    expected = frame.with_columns(
        [pl.col(c).fill_null("") for c, t in frame.schema.items() if t == pl.String]
        + [pl.col(c).cast(pl.Float64) for c, t in frame.schema.items() if t.is_integer()]
    )
    got, labels = read_table_file(survstat.datasets.path(name))
    assert got.equals(expected)
    assert labels == {c: SDTM_LABELS[c] for c in frame.columns}


if __name__ == "__main__":
    build(Path(survstat.datasets.__file__).parent)
    sys.exit(0)
