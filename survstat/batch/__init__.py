"""Batch jobs: analyses and plots listed in a TOML file, run over Parquet inputs.

``survstat run`` checks all of a job, then writes each result atomically with a manifest, and
``survstat report`` gathers them into one HTML file. From Python::

    from survstat.batch import load_job, run_job
    from survstat.batch.report import write_report

    job = load_job("examples/gbsg2.toml", output="results/gbsg2")  # JobError lists problems
    manifest = run_job(job)  # a polars DataFrame, also results/gbsg2/manifest.parquet
    write_report(job, manifest)  # results/gbsg2/report.html
"""

from survstat.batch.job import Job, JobError, OutputFolderError, Source, Step, load_job
from survstat.batch.manifest import MANIFEST, MANIFEST_SCHEMA
from survstat.batch.runner import run_job

__all__ = [
    "MANIFEST",
    "MANIFEST_SCHEMA",
    "Job",
    "JobError",
    "OutputFolderError",
    "Source",
    "Step",
    "load_job",
    "run_job",
]
