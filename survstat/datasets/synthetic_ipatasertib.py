"""Seeded generator of the safety data of a synthetic ipatasertib phase Ib study (not real
patients).

The design follows the published description of the phase Ib TAKTIC study (NCT03959891) of
the AKT inhibitor ipatasertib with endocrine therapy in HR-positive, HER2-negative advanced
breast cancer after a CDK4/6 inhibitor: arm A ipatasertib + fulvestrant, arm B ipatasertib +
an aromatase inhibitor, arm C ipatasertib + fulvestrant + palbociclib, 28-day cycles, safety
(adverse events by CTCAE grade, dose-limiting toxicities in cycle 1) the primary endpoint.
The subjects and arms are those of the bundled three-arm breast trial
(:func:`survstat.datasets.synthetic.breast_trial`, 3 x 40 subjects, arms labelled with
"AKTi"), whose RECIST assessments serve as the study's efficacy data.

Adverse events follow the profile reported for ipatasertib with endocrine therapy or
chemotherapy (diarrhoea in most patients, mostly grade 1-2; nausea, fatigue, hyperglycaemia,
rash, vomiting, stomatitis, decreased appetite) with, in arm C, the neutropenia of
palbociclib (often grade 3-4) and its leukopenia, anaemia and thrombocytopenia; arthralgia and
hot flush with the aromatase inhibitor, injection-site reactions with fulvestrant. Each
subject has each term with the arm's probability (:data:`AE_PROFILE`), diarrhoea in one to
three episodes of their own grades; grades are drawn from the term's grade distribution;
onset days are exponential around the term's typical onset, within the subject's time on
treatment. A grade 3 or higher event is serious with probability 0.3 (grade 4 always) and
leads to withdrawal of the study drug with probability 0.15; a grade 3 or higher event in
cycle 1 of diarrhoea, hyperglycaemia, rash or (grade 4) neutropenia is a DLT with
probability 0.3. A few subjects have an adverse event before the first dose (not
treatment-emergent), two never start treatment (outside the safety population) and about a
tenth are not DLT-evaluable (less than 80% of the cycle 1 doses without a DLT).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

#: The study identifier of the synthetic datasets.
STUDY = "IPAT1B-SYN"
#: The length of a treatment cycle in days (ipatasertib days 1-21 or 1-28 of 28-day cycles).
CYCLE_DAYS = 28
#: Preferred term -> (MedDRA system organ class, probability per arm A/B/C, probabilities of
#: grades 1-5 given the event, typical onset day).
AE_PROFILE: dict[str, tuple[str, tuple[float, float, float], tuple[float, ...], float]] = {
    "Diarrhoea": ("Gastrointestinal disorders", (0.80, 0.75, 0.85), (0.55, 0.33, 0.12, 0, 0), 10),
    "Nausea": ("Gastrointestinal disorders", (0.45, 0.40, 0.50), (0.70, 0.27, 0.03, 0, 0), 14),
    "Vomiting": ("Gastrointestinal disorders", (0.20, 0.18, 0.25), (0.70, 0.25, 0.05, 0, 0), 21),
    "Stomatitis": ("Gastrointestinal disorders", (0.15, 0.12, 0.30), (0.70, 0.28, 0.02, 0, 0), 21),
    "Hyperglycaemia": (
        "Metabolism and nutrition disorders",
        (0.30, 0.28, 0.32),
        (0.45, 0.35, 0.17, 0.03, 0),
        7,
    ),
    "Decreased appetite": (
        "Metabolism and nutrition disorders",
        (0.20, 0.20, 0.25),
        (0.75, 0.23, 0.02, 0, 0),
        28,
    ),
    "Rash maculo-papular": (
        "Skin and subcutaneous tissue disorders",
        (0.25, 0.22, 0.28),
        (0.50, 0.35, 0.15, 0, 0),
        14,
    ),
    "Fatigue": (
        "General disorders and administration site conditions",
        (0.45, 0.40, 0.50),
        (0.60, 0.35, 0.05, 0, 0),
        21,
    ),
    "Injection site reaction": (
        "General disorders and administration site conditions",
        (0.20, 0.0, 0.18),
        (0.90, 0.10, 0, 0, 0),
        2,
    ),
    "Neutropenia": (
        "Blood and lymphatic system disorders",
        (0.05, 0.05, 0.80),
        (0.10, 0.30, 0.50, 0.10, 0),
        14,
    ),
    "Anaemia": (
        "Blood and lymphatic system disorders",
        (0.10, 0.10, 0.35),
        (0.5, 0.4, 0.1, 0, 0),
        42,
    ),
    "Thrombocytopenia": (
        "Blood and lymphatic system disorders",
        (0.03, 0.03, 0.25),
        (0.60, 0.30, 0.10, 0, 0),
        28,
    ),
    "Arthralgia": (
        "Musculoskeletal and connective tissue disorders",
        (0.10, 0.25, 0.10),
        (0.70, 0.28, 0.02, 0, 0),
        42,
    ),
    "Hot flush": ("Vascular disorders", (0.08, 0.20, 0.08), (0.85, 0.15, 0, 0, 0), 30),
}
#: The terms whose grade 3 or higher events in cycle 1 may be DLTs (neutropenia at grade 4).
DLT_TERMS = {"Diarrhoea": 3, "Hyperglycaemia": 3, "Rash maculo-papular": 3, "Neutropenia": 4}
#: CDISC ADaM variable labels of the synthetic ADSL and ADAE.
LABELS = {
    "STUDYID": "Study Identifier",
    "USUBJID": "Unique Subject Identifier",
    "TRT01A": "Actual Treatment for Period 01",
    "TRTDURD": "Total Treatment Duration (Days)",
    "SAFFL": "Safety Population Flag",
    "DLTEVLFL": "DLT-Evaluable Population Flag",
    "AESEQ": "Sequence Number",
    "AEDECOD": "Dictionary-Derived Term",
    "AEBODSYS": "Body System or Organ Class",
    "AETOXGR": "Standard Toxicity Grade",
    "AESER": "Serious Event",
    "AEACN": "Action Taken with Study Treatment",
    "TRTEMFL": "Treatment Emergent Analysis Flag",
    "ASTDY": "Analysis Start Relative Day",
    "ACYCLE": "Analysis Cycle",
    "DLTFL": "Dose-Limiting Toxicity Flag",
}


def _event(
    rng: np.random.Generator,
    term: str,
    grade_p: tuple[float, ...],
    onset: float,
    duration: float,
) -> dict:
    """One treatment-emergent event of ``term``: grade, start day, seriousness, action, DLT."""
    grade = int(rng.choice(5, p=np.array(grade_p) / np.sum(grade_p))) + 1
    day = float(min(1 + np.floor(rng.exponential(onset)), max(duration, 1.0)))
    serious = grade >= 4 or (grade == 3 and rng.uniform() < 0.3)
    if grade >= 3 and rng.uniform() < 0.15:
        action = "DRUG WITHDRAWN"
    elif grade >= 2:
        action = str(rng.choice(["DOSE NOT CHANGED", "DRUG INTERRUPTED", "DOSE REDUCED"]))
    else:
        action = "DOSE NOT CHANGED"
    cycle = float(np.ceil(day / CYCLE_DAYS))
    threshold = DLT_TERMS.get(term)
    dlt = threshold is not None and grade >= threshold and cycle == 1 and rng.uniform() < 0.3
    return {
        "AEDECOD": term,
        "AETOXGR": str(grade),
        "AESER": "Y" if serious else "N",
        "AEACN": action,
        "TRTEMFL": "Y",
        "ASTDY": day,
        "ACYCLE": cycle,
        "DLTFL": "Y" if dlt else "N",
    }


def ipatasertib_safety(seed: int = 3959891) -> tuple[pl.DataFrame, pl.DataFrame]:
    """ADSL and ADAE of the synthetic ipatasertib phase Ib study (see the module docstring).

    Parameters
    ----------
    seed
        The random seed.

    Returns
    -------
    tuple of polars.DataFrame
        ADSL (``STUDYID, USUBJID, TRT01A, TRTDURD, SAFFL, DLTEVLFL``; one row per subject)
        and ADAE (``STUDYID, USUBJID, AESEQ, AEDECOD, AEBODSYS, AETOXGR, AESER, AEACN,
        TRTEMFL, ASTDY, ACYCLE, DLTFL``; one row per adverse event), numbers as floats and
        text without nulls, as SAS transport holds them.
    """
    from survstat.datasets.synthetic import BREAST_ARMS, breast_trial

    rng = np.random.default_rng(seed)
    subjects = breast_trial()[1].select("subject_id", "arm")
    arm_index = {arm: i for i, arm in enumerate(BREAST_ARMS)}
    untreated = set(rng.choice(subjects.height, 2, replace=False).tolist())
    adsl_rows, adae_rows = [], []
    for k, (subject, arm) in enumerate(subjects.iter_rows()):
        i = arm_index[arm]
        treated = k not in untreated
        duration = float(np.ceil(rng.exponential(BREAST_ARMS[arm][0] / np.log(2)))) + 14
        events: list[dict] = []
        if treated:
            for term, (_, p_arm, grade_p, onset) in AE_PROFILE.items():
                if rng.uniform() >= p_arm[i]:
                    continue
                episodes = int(rng.integers(1, 4)) if term == "Diarrhoea" else 1
                events += [_event(rng, term, grade_p, onset, duration) for _ in range(episodes)]
            if rng.uniform() < 0.05:
                baseline = _event(rng, "Fatigue", (1, 0, 0, 0, 0), 1, 1)
                events.append({**baseline, "TRTEMFL": "N", "ASTDY": -3.0, "ACYCLE": 0.0})
        had_dlt = any(e["DLTFL"] == "Y" for e in events)
        evaluable = treated and (had_dlt or rng.uniform() < 0.9)
        adsl_rows.append(
            {
                "STUDYID": STUDY,
                "USUBJID": subject,
                "TRT01A": arm if treated else "",
                "TRTDURD": duration if treated else 0.0,
                "SAFFL": "Y" if treated else "N",
                "DLTEVLFL": "Y" if evaluable else "N",
            }
        )
        events.sort(key=lambda e: (e["ASTDY"], e["AEDECOD"]))
        for seq, event in enumerate(events, 1):
            soc = AE_PROFILE[event["AEDECOD"]][0]
            adae_rows.append(
                {"STUDYID": STUDY, "USUBJID": subject, "AESEQ": float(seq), "AEBODSYS": soc} | event
            )
    adsl = pl.DataFrame(adsl_rows)
    adae = pl.DataFrame(adae_rows).select(
        "STUDYID", "USUBJID", "AESEQ", "AEDECOD", "AEBODSYS", "AETOXGR", "AESER", "AEACN",
        "TRTEMFL", "ASTDY", "ACYCLE", "DLTFL",
    )  # fmt: skip
    return adsl, adae


def write_bundled(folder: str | Path) -> None:
    """Write ``ipatasertib_adsl.xpt`` and ``ipatasertib_adae.xpt`` into ``folder`` (SAS
    transport v5 with the ADaM labels), the bundled files.

    Parameters
    ----------
    folder
        Where to write them.
    """
    from survstat.io import write_xpt

    adsl, adae = ipatasertib_safety()
    folder = Path(folder)
    for name, frame, label in (
        ("ADSL", adsl, "Subject-Level Analysis (synthetic)"),
        ("ADAE", adae, "Adverse Events Analysis (synthetic)"),
    ):
        labels = {c: LABELS[c] for c in frame.columns}
        write_xpt(frame, folder / f"ipatasertib_{name.lower()}.xpt", labels=labels, name=name,
                  label=label)  # fmt: skip


__all__ = ["AE_PROFILE", "CYCLE_DAYS", "STUDY", "ipatasertib_safety", "write_bundled"]
