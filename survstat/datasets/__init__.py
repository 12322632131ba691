"""Bundled datasets.

===========  ==========================================================================
name         description
===========  ==========================================================================
``gbsg2``    German Breast Cancer Study Group 2 trial: 686 node-positive patients,
             recurrence-free survival (``time`` in days, ``cens`` 1 = recurrence or death),
             hormonal therapy ``horTh`` (no/yes). See ``GBSG2.md`` beside this file.
``mgus2``    Mayo Clinic MGUS cohort: 1,384 patients, progression to a plasma cell
             malignancy with death as a competing risk (``etime`` in months, ``event``
             0 = censored, 1 = progression, 2 = death). See ``MGUS2.md`` beside this file.
``bcg_trials`` 13 randomised trials of the BCG vaccine against tuberculosis (Colditz et al.
             1994; R metafor's ``dat.bcg``): cases and patients per arm, for
             meta-analysis. See ``BCG.md`` beside this file.
``actim_like_labs``, ``actim_like_patients``
             SYNTHETIC chronic myeloid leukaemia cohort (24 patients, BCR-ABL1 results every
             3 months for 12 months), made by :func:`survstat.datasets.synthetic.actim_like`.
``cml_two_arm_labs``, ``cml_two_arm_patients``
             SYNTHETIC randomised CML trial (2 x 150 patients, up to 8 years, competing
             discontinuation, progression and death, a treatment-free remission phase), made
             by :func:`survstat.datasets.synthetic.cml_two_arm`.
``breast_trial_assessments``, ``breast_trial_subjects``, ``breast_trial_pathology``
             SYNTHETIC three-arm phase Ib-style breast cancer trial (3 x 40 subjects, RECIST
             assessments every 8 weeks, phospho-AKT H-score) and a small neoadjuvant
             pathology table, made by :func:`survstat.datasets.synthetic.breast_trial`.
``breast_trial_dm``, ``breast_trial_rs``, ``breast_trial_tr``
             SYNTHETIC SDTM DM, RS (overall response per assessment) and TR (target-lesion
             diameters) of the breast trial, with dates, made by
             :func:`survstat.datasets.synthetic.breast_trial_sdtm`.
``cml_two_arm_dm``, ``cml_two_arm_lb``
             SYNTHETIC SDTM DM and LB (BCR-ABL1 on the International Scale and ABL1 copies per
             specimen) of the CML trial, with dates, made by
             :func:`survstat.datasets.synthetic.cml_two_arm_sdtm`.
``metformin_trials``, ``metformin_patients``
             SYNTHETIC randomised neoadjuvant trials of metformin in breast cancer (8 trials,
             pCR and patients per arm; the first has METTEN's published counts) and one
             METTEN-sized trial's patients (2 x 29: pCR, breast cancer death with other-cause
             death competing), made by :mod:`survstat.datasets.synthetic_metformin`.
``cdk46_akt_cohort``
             SYNTHETIC cohort of 150 patients with HR-positive advanced breast cancer (100 on
             endocrine therapy with a CDK4/6 inhibitor, 50 on endocrine therapy alone):
             phospho-AKT H-score, age, visceral metastases and PFS in months, made by
             :func:`survstat.datasets.synthetic_cdk46_akt.cdk46_akt`.
``ipatasertib_adsl``, ``ipatasertib_adae``
             SYNTHETIC ADaM ADSL and ADAE of a three-arm ipatasertib phase Ib study (the
             subjects and arms of the breast trial; adverse events by CTCAE grade, serious,
             action taken, DLTs in cycle 1), made by
             :func:`survstat.datasets.synthetic_ipatasertib.ipatasertib_safety`.
``alpelisib_exposure``, ``alpelisib_labs``, ``alpelisib_patients``
             SYNTHETIC four-patient series on alpelisib 300 mg/day with pioglitazone for
             hyperinsulinaemia: exposure records, fasting glucose and insulin, and response,
             made by :func:`survstat.datasets.synthetic_alpelisib.alpelisib_series`.
``actim_dm``, ``actim_lb``
             SYNTHETIC SDTM DM and LB of a cohort built to the published figures of the
             single-arm ACTIM trial (imatinib + pioglitazone in CML, 24 patients, BCR-ABL1
             every 3 months for 48 months), made by
             :func:`survstat.datasets.synthetic_actim.actim_sdtm`.
===========  ==========================================================================
"""

from __future__ import annotations

from importlib import resources

import polars as pl

from survstat.errors import OptionError

_DATASETS = {
    "gbsg2": (
        "gbsg2.parquet",
        "GBSG2 breast cancer trial (Schumacher et al. 1994): 686 patients, recurrence-free "
        "survival by hormonal therapy",
    ),
    "mgus2": (
        "mgus2.parquet",
        "MGUS cohort (Kyle et al. 2002; R survival's mgus2): 1,384 patients, progression to a "
        "plasma cell malignancy with death as a competing risk",
    ),
    "bcg_trials": (
        "bcg_trials.parquet",
        "BCG vaccine trials (Colditz et al. 1994; R metafor's dat.bcg): tuberculosis cases and "
        "patients per arm in 13 trials, for meta-analysis",
    ),
    "actim_like_labs": (
        "actim_like_labs.parquet",
        "SYNTHETIC CML cohort: BCR-ABL1 results of 24 patients over 12 months (ACTIM-like design; "
        "survstat.datasets.synthetic.actim_like)",
    ),
    "actim_like_patients": (
        "actim_like_patients.parquet",
        "SYNTHETIC CML cohort: patient table (follow-up, discontinuation) for actim_like_labs",
    ),
    "cml_two_arm_labs": (
        "cml_two_arm_labs.parquet",
        "SYNTHETIC randomised CML trial: BCR-ABL1 results of 2 x 150 patients over up to 8 years "
        "(survstat.datasets.synthetic.cml_two_arm)",
    ),
    "cml_two_arm_patients": (
        "cml_two_arm_patients.parquet",
        "SYNTHETIC randomised CML trial: patient table (arm, follow-up, discontinuation, "
        "progression, death, TKI stop and restart) for cml_two_arm_labs",
    ),
    "breast_trial_assessments": (
        "breast_trial_assessments.parquet",
        "SYNTHETIC three-arm breast cancer trial: RECIST 1.1 overall responses per visit "
        "(survstat.datasets.synthetic.breast_trial)",
    ),
    "breast_trial_subjects": (
        "breast_trial_subjects.parquet",
        "SYNTHETIC three-arm breast cancer trial: subjects (arm, phospho-AKT H-score, death, "
        "last alive, new therapy)",
    ),
    "breast_trial_pathology": (
        "breast_trial_pathology.parquet",
        "SYNTHETIC neoadjuvant breast pathology (ypT, ypN) of 30 patients for pCR",
    ),
    "metformin_trials": (
        "metformin_trials.parquet",
        "SYNTHETIC randomised neoadjuvant trials of metformin vs control in breast cancer: pCR "
        "and patients per arm in 8 trials (survstat.datasets.synthetic_metformin)",
    ),
    "metformin_patients": (
        "metformin_patients.parquet",
        "SYNTHETIC METTEN-sized trial of neoadjuvant metformin in HER2+ breast cancer: 2 x 29 "
        "patients, pCR, months to breast cancer death, other-cause death or censoring",
    ),
    "breast_trial_dm": (
        "breast_trial_dm.xpt",
        "SYNTHETIC SDTM DM of the breast trial: reference start, death, end of participation, "
        "arm (survstat.datasets.synthetic.breast_trial_sdtm)",
    ),
    "breast_trial_rs": (
        "breast_trial_rs.xpt",
        "SYNTHETIC SDTM RS of the breast trial: investigator's RECIST 1.1 overall response "
        "(OVRLRESP) per assessment, dated",
    ),
    "breast_trial_tr": (
        "breast_trial_tr.xpt",
        "SYNTHETIC SDTM TR of the breast trial: target-lesion longest diameters (LDIAM) at "
        "baseline and each assessment",
    ),
    "cml_two_arm_dm": (
        "cml_two_arm_dm.xpt",
        "SYNTHETIC SDTM DM of the randomised CML trial: reference start, death, arm "
        "(survstat.datasets.synthetic.cml_two_arm_sdtm)",
    ),
    "cml_two_arm_lb": (
        "cml_two_arm_lb.xpt",
        "SYNTHETIC SDTM LB of the randomised CML trial: BCR-ABL1 (IS %) and ABL1 copies per "
        "specimen (LBREFID), dated",
    ),
    "breast_trial_adsl": (
        "breast_trial_adsl.xpt",
        "SYNTHETIC ADaM ADSL of the breast trial, from its DM (survstat sdtm adsl): TRT01P, "
        "TRT01A, TRTSDT, DTHDT, ITTFL, SAFFL",
    ),
    "breast_trial_adrs": (
        "breast_trial_adrs.xpt",
        "SYNTHETIC ADaM ADRS of the breast trial (OVR, BOR, CBOR), derived from its SDTM RS "
        "and DM (survstat recist derive --from-dates --adam)",
    ),
    "breast_trial_adtte": (
        "breast_trial_adtte.xpt",
        "SYNTHETIC ADaM ADTTE of the breast trial (PFS, TTP, OS, DOR in days), derived from "
        "its SDTM RS and DM",
    ),
    "cml_two_arm_adsl": (
        "cml_two_arm_adsl.xpt",
        "SYNTHETIC ADaM ADSL of the randomised CML trial, from its DM (survstat sdtm adsl)",
    ),
    "cml_two_arm_adtte": (
        "cml_two_arm_adtte.xpt",
        "SYNTHETIC ADaM ADTTE of the randomised CML trial (TTMR45, LOSSMMR in months; "
        "survstat cml endpoints --adam)",
    ),
    "cdk46_akt_cohort": (
        "cdk46_akt_cohort.parquet",
        "SYNTHETIC HR+ advanced breast cancer cohort: 150 patients on endocrine therapy with or "
        "without a CDK4/6 inhibitor, phospho-AKT H-score and PFS in months "
        "(survstat.datasets.synthetic_cdk46_akt)",
    ),
    "ipatasertib_adsl": (
        "ipatasertib_adsl.xpt",
        "SYNTHETIC ADaM ADSL of an ipatasertib phase Ib study (the breast trial's subjects): "
        "TRT01A, SAFFL, DLTEVLFL (survstat.datasets.synthetic_ipatasertib)",
    ),
    "ipatasertib_adae": (
        "ipatasertib_adae.xpt",
        "SYNTHETIC ADaM ADAE of the ipatasertib phase Ib study: term, SOC, CTCAE grade, AESER, "
        "AEACN, TRTEMFL, start day, cycle, DLT flag",
    ),
    "alpelisib_exposure": (
        "alpelisib_exposure.parquet",
        "SYNTHETIC alpelisib case series: exposure records (study days, mg/day, planned 300) "
        "of 4 patients (survstat.datasets.synthetic_alpelisib.alpelisib_series)",
    ),
    "alpelisib_labs": (
        "alpelisib_labs.parquet",
        "SYNTHETIC alpelisib case series: fasting plasma glucose (mg/dL) and insulin (uU/mL) "
        "by study day (PARAMCD, ADY, AVAL)",
    ),
    "alpelisib_patients": (
        "alpelisib_patients.parquet",
        "SYNTHETIC alpelisib case series: pioglitazone and metformin start days, response, "
        "progression and duration of response per patient",
    ),
    "actim_dm": (
        "actim_dm.xpt",
        "SYNTHETIC SDTM DM of an ACTIM-like CML cohort (24 patients, imatinib + pioglitazone): "
        "reference start, end of participation (survstat.datasets.synthetic_actim.actim_sdtm)",
    ),
    "actim_lb": (
        "actim_lb.xpt",
        "SYNTHETIC SDTM LB of the ACTIM-like cohort: BCR-ABL1 (IS %) and ABL1 copies per "
        "specimen every 3 months for 48 months, dated",
    ),
}


def names() -> dict[str, str]:
    """Names of the bundled datasets with a one-line description."""
    return {k: v[1] for k, v in _DATASETS.items()}


def path(name: str) -> str:
    """Filesystem path of a bundled dataset's file (Parquet, or SAS transport for the CDISC
    datasets).

    Parameters
    ----------
    name
        The dataset's name (see :func:`names`).

    Returns
    -------
    str
        The file's path.

    Raises
    ------
    OptionError
        For an unknown name.
    """
    if name not in _DATASETS:
        raise OptionError(f"unknown dataset {name!r}; available: {', '.join(sorted(_DATASETS))}")
    return str(resources.files(__name__).joinpath(_DATASETS[name][0]))


def load(name: str) -> pl.DataFrame:
    """Load a bundled dataset as a polars DataFrame.

    Parameters
    ----------
    name
        The dataset's name (see :func:`names`).

    Returns
    -------
    polars.DataFrame
        Its rows; a SAS transport dataset as :func:`survstat.io.read_table_file` reads it.

    Examples
    --------
    >>> load("gbsg2").shape
    (686, 10)
    """
    file = path(name)
    if file.endswith(".parquet"):
        return pl.read_parquet(file)
    from survstat.io import read_table_file

    return read_table_file(file)[0]


def labels(name: str) -> dict[str, str]:
    """The column labels of a bundled dataset (CDISC variable labels of the SAS transport
    datasets; none for the others).

    Parameters
    ----------
    name
        The dataset's name (see :func:`names`).

    Returns
    -------
    dict
        Column -> label, for the labelled columns.
    """
    from survstat.io import read_labels

    return read_labels(path(name))
