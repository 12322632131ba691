"""Regenerate the README's gallery, every image under ``docs/images/``, from bundled data.

Run from the repository root::

    python3 docs/make_images.py            # every image
    python3 docs/make_images.py km.png     # some of them
    python3 docs/make_images.py --readme   # print the README's gallery section

Each image is made by the ``survstat`` commands listed for it in ``IMAGES`` — the lines the
README's "Tables and figures" section shows above the image — run through the public command
line in a scratch folder prepared by ``PREPARE`` (bundled datasets exported) that holds a copy
of ``examples/`` (the case studies' job files). A figure is the
PNG the command writes; a table is the HTML display the command writes, photographed with
headless Chromium (``CHROMIUM``, the Debian package ``chromium``) and cropped to the table.
Every PNG is then stored with an adaptive palette of at most 256 colours, which keeps each
image small (under about 150 KB) at an unchanged size in pixels (Pillow, which matplotlib
installs). ``tests/test_readme_images.py`` checks, without running this, that the README
shows every image with these commands and that each image is in ``docs/images``.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
IMAGES_DIR = ROOT / "docs" / "images"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")

#: The inputs of the gallery's commands: bundled datasets, exported as a reader would.
PREPARE = (
    "survstat datasets export gbsg2 -o gbsg2.parquet",
    "survstat datasets export mgus2 -o mgus2.parquet",
    "survstat datasets export breast_trial_adtte -o adtte.parquet",
    "survstat datasets export breast_trial_adsl -o adsl.parquet",
    "survstat datasets export breast_trial_adrs -o adrs.parquet",
    "survstat datasets export breast_trial_assessments -o visits.parquet",
    "survstat datasets export breast_trial_subjects -o subjects.parquet",
    "survstat datasets export breast_trial_tr -o tr.parquet",
    "survstat datasets export breast_trial_dm -o dm.parquet",
    "survstat datasets export actim_like_labs -o cml_labs.parquet",
    "survstat datasets export actim_like_patients -o cml_patients.parquet",
    "survstat recist derive visits.parquet --subjects subjects.parquet -o derived.parquet",
    "survstat sdtm tr tr.parquet --dm dm.parquet -o sums.parquet",
)


@dataclass(frozen=True)
class Image:
    """One image of the gallery: the commands that make it and what they write."""

    title: str
    commands: tuple[str, ...]
    #: The file the last command writes: the image itself, or an HTML table to photograph.
    output: str

    @property
    def screenshot(self) -> bool:
        """Whether the image is a photograph of an HTML table."""
        return self.output.endswith(".html")


_ARM_B = '"B: aromatase inhibitor + AKTi"'

#: Every image of the gallery by its file name under docs/images, in the README's order.
IMAGES: dict[str, Image] = {
    "km.png": Image(
        "Kaplan–Meier, two arms: hazard ratio and log-rank p, the KMunicate table",
        (
            "survstat plot km gbsg2.parquet --time time --event cens --by horTh "
            '--labels "no=No hormonal therapy,yes=Hormonal therapy" '
            "--at-risk-times 0,365,730,1095,1460,1825,2190,2555 "
            '--xlabel "Days since surgery" --title "GBSG2: recurrence-free survival" '
            "--cumulative-events --cumulative-censored --dpi 110 -o km.png",
        ),
        "km.png",
    ),
    "km_3arms.png": Image(
        "Kaplan–Meier, three arms from ADaM ADTTE and ADSL",
        (
            "survstat plot km adtte.parquet --param PFS --adsl adsl.parquet --by TRT01P "
            "--population ITTFL "
            '--xlabel "Days since randomisation" --title "Progression-free survival (ITT)" '
            "--cumulative-events --dpi 110 -o km_3arms.png",
        ),
        "km_3arms.png",
    ),
    "cif.png": Image(
        "Cumulative incidence with a competing risk, Gray's test",
        (
            "survstat plot cif mgus2.parquet --time etime --cause event --of-interest 1 "
            '--by sex --labels "F=Women,M=Men" --xlabel "Months from diagnosis" '
            '--title "MGUS: progression to a plasma cell malignancy, death competing" '
            "--cumulative-events --dpi 110 -o cif.png",
        ),
        "cif.png",
    ),
    "forest.png": Image(
        "Forest plot of a Cox model",
        (
            "survstat cox gbsg2.parquet --time time --event cens "
            "--covariates horTh,age,menostat,tsize,tgrade,pnodes,progrec,estrec -o cox.parquet",
            'survstat plot forest cox.parquet --label term --title "GBSG2: Cox model" '
            "-o forest.png",
        ),
        "forest.png",
    ),
    "km_cox.png": Image(
        "Kaplan–Meier with a Cox model's curves: a visual check of the model",
        (
            "survstat plot km gbsg2.parquet --time time --event cens --by tgrade "
            '--cox-covariates horTh,age --xlabel "Days since surgery" '
            '--title "GBSG2: tumour grade, Kaplan–Meier and Cox model" --dpi 110 -o km_cox.png',
        ),
        "km_cox.png",
    ),
    "zph.png": Image(
        "Proportional hazards: scaled Schoenfeld residuals over time (R plot(cox.zph))",
        (
            "survstat plot zph gbsg2.parquet --time time --event cens "
            '--covariates horTh,age,tgrade --xlabel "Days since surgery" --dpi 110 -o zph.png',
        ),
        "zph.png",
    ),
    "forest_subgroups.png": Image(
        "Forest plot of hazard ratios by subgroup, from the table subgroups ARD",
        (
            "survstat table subgroups gbsg2.parquet --time time --event cens --by horTh "
            "--reference no --subgroups menostat,tgrade -o subgroups.parquet",
            'survstat plot forest subgroups.parquet --title "GBSG2: hormonal therapy by '
            'subgroup" -o forest_subgroups.png',
        ),
        "forest_subgroups.png",
    ),
    "swimmer.png": Image(
        "Swimmer plot",
        ("survstat plot swimmer derived.parquet --by arm -o swimmer.png",),
        "swimmer.png",
    ),
    "waterfall.png": Image(
        "Waterfall plot",
        ("survstat plot waterfall sums.parquet --derived derived.parquet -o waterfall.png",),
        "waterfall.png",
    ),
    "spider.png": Image(
        "Spider plot",
        (
            "survstat plot spider sums.parquet --derived derived.parquet --color-by arm "
            "-o spider.png",
        ),
        "spider.png",
    ),
    "cml_trajectories.png": Image(
        "BCR-ABL1 trajectories",
        (
            "survstat plot cml-trajectories cml_labs.parquet --patients cml_patients.parquet "
            "--by arm --median-every 3 -o cml_trajectories.png",
        ),
        "cml_trajectories.png",
    ),
    "actim_trajectories.png": Image(
        "BCR-ABL1 trajectories from SDTM LB: the ACTIM case study (synthetic)",
        (
            "survstat datasets export actim_lb -o actim_lb.parquet",
            "survstat datasets export actim_dm -o actim_dm.parquet",
            "survstat sdtm lb actim_lb.parquet --dm actim_dm.parquet -o actim_labs.parquet",
            "survstat plot cml-trajectories actim_labs.parquet --median-every 3 "
            '--xlabel "months since the start of pioglitazone" '
            '--title "BCR-ABL1 on imatinib plus pioglitazone (synthetic ACTIM cohort)" '
            "-o actim_trajectories.png",
        ),
        "actim_trajectories.png",
    ),
    "table_tte.png": Image(
        "Time-to-event summary table (TTET01), the HTML display",
        (
            "survstat table tte adtte.parquet --param PFS --adsl adsl.parquet "
            f"--population ITTFL --by TRT01P --reference {_ARM_B} "
            "--timepoints 182.625,365.25 --time-unit days -o table_tte.html",
        ),
        "table_tte.html",
    ),
    "table_response.png": Image(
        "Response-rate table (RSPT01), the HTML display",
        (
            "survstat table response adrs.parquet --param CBOR --adsl adsl.parquet "
            "--population ITTFL --responder-values CR,PR --by TRT01P "
            f"--reference {_ARM_B} -o table_response.html",
        ),
        "table_response.html",
    ),
    "table_subgroups.png": Image(
        "Hazard ratios by subgroup (TTE forest table), the HTML display",
        (
            "survstat table subgroups gbsg2.parquet --time time --event cens --by horTh "
            "--reference no --subgroups menostat,tgrade -o table_subgroups.html",
        ),
        "table_subgroups.html",
    ),
    "design_oc.png": Image(
        "Operating characteristics of a Simon two-stage design",
        (
            "survstat design simon --p0 0.2 --p1 0.4 --alpha 0.05 --power 0.8 -o simon.parquet",
            "survstat design oc --n 43 --r 12 --n1 13 --r1 3 -o simon_oc.parquet",
            'survstat plot oc simon_oc.parquet --p0 0.2 --p1 0.4 --title "Simon optimal design '
            '3/13, 12/43" -o design_oc.png',
        ),
        "design_oc.png",
    ),
    "meta_forest.png": Image(
        "Forest plot of a meta-analysis (Cochrane layout): pCR across trials (SYNTHETIC but "
        "METTEN's published counts)",
        (
            "survstat datasets export metformin_trials -o metformin_trials.parquet",
            "survstat plot meta metformin_trials.parquet --study trial "
            "--events-treatment pcr_metformin --n-treatment n_metformin "
            "--events-control pcr_control --n-control n_control --measure RR "
            "--treatment Metformin --favours-left Control --favours-right Metformin "
            '--title "pCR with metformin vs control: risk ratio (trials B–H SYNTHETIC)" '
            "--dpi 110 -o meta_forest.png",
        ),
        "meta_forest.png",
    ),
    "km_cdk46_akt.png": Image(
        "Kaplan–Meier by a biomarker cut-point: phospho-AKT on a CDK4/6 inhibitor (SYNTHETIC)",
        (
            "survstat datasets export cdk46_akt_cohort -o cdk46_akt.parquet",
            "survstat dichotomise cdk46_akt.parquet --marker pakt_hscore --time pfs_months "
            "--event pfs_event --search-population CDKFL --group-column pakt_group "
            "-o cdk46_akt_groups.parquet",
            "survstat plot km cdk46_akt_groups.parquet --time pfs_months --event pfs_event "
            '--by pakt_group --population CDKFL --labels "low=pAKT low,high=pAKT high" '
            "--at-risk-times 0,6,12,18,24,30,36 "
            '--xlabel "months since start of ET + CDK4/6 inhibitor" '
            '--ylabel "progression-free survival" '
            '--title "PFS on ET + CDK4/6 inhibitor by phospho-AKT" '
            '--footnote "pAKT low: H-score <= 150, a cut-point chosen by maximally selected '
            "log-rank statistics in these patients; the log-rank p above does not allow for "
            'that search (adjusted p, Lau92: 0.023). Synthetic data." -o km_cdk46_akt.png',
        ),
        "km_cdk46_akt.png",
    ),
    "ipatasertib_waterfall.png": Image(
        "Ipatasertib phase Ib case study: best change in the target lesions by arm",
        (
            "survstat run examples/ipatasertib_phase1b.toml --output results/ipatasertib -q",
            "survstat plot waterfall results/ipatasertib/target_sums.parquet "
            "--derived results/ipatasertib/derived.parquet --color-by arm "
            '--title "Ipatasertib phase Ib (synthetic): best change by arm" '
            "-o ipatasertib_waterfall.png",
        ),
        "ipatasertib_waterfall.png",
    ),
    "alpelisib_labs.png": Image(
        "Lab trajectories: fasting glucose and insulin per patient, pioglitazone start marked "
        "(SYNTHETIC alpelisib series)",
        (
            "survstat datasets export alpelisib_labs -o alpelisib_labs.parquet",
            "survstat datasets export alpelisib_patients -o alpelisib_patients.parquet",
            "survstat plot labs alpelisib_labs.parquet --patients alpelisib_patients.parquet "
            '--params GLUC,INSULIN --labels "GLUC=fasting glucose (mg/dL),INSULIN=fasting '
            'insulin (µU/mL)" --mark pioglitazone_day --mark-label "pioglitazone start" '
            '--glucose GLUC --uln INSULIN=25 --xlabel "days since the first dose of alpelisib" '
            '--title "Fasting glucose and insulin" -o alpelisib_labs.png',
        ),
        "alpelisib_labs.png",
    ),
    "alpelisib_rdi.png": Image(
        "Cumulative relative dose intensity per patient (SYNTHETIC alpelisib series)",
        (
            "survstat datasets export alpelisib_exposure -o alpelisib_exposure.parquet",
            "survstat plot dose-intensity alpelisib_exposure.parquet --planned planned_dose "
            '--xlabel "days since the first dose of alpelisib" '
            '--title "Cumulative relative dose intensity of alpelisib" -o alpelisib_rdi.png',
        ),
        "alpelisib_rdi.png",
    ),
}


def run(command: str, cwd: Path) -> None:
    """Run one ``survstat ...`` command line with this Python's survstat."""
    args = shlex.split(command)
    if args[0] != "survstat":
        raise SystemExit(f"not a survstat command: {command}")
    env = {**os.environ, "MPLBACKEND": "Agg", "SOURCE_DATE_EPOCH": "946684800"}
    r = subprocess.run(
        [sys.executable, "-m", "survstat", *args[1:]],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
    )
    if r.returncode != 0:
        raise SystemExit(f"`{command}` exited {r.returncode}:\n{r.stdout}\n{r.stderr}")


def photograph(html: Path, png: Path, scratch: Path) -> None:
    """Screenshot ``html`` with headless Chromium, then crop the white margin around it."""
    from PIL import Image as Picture

    raw = scratch / f"{png.stem}.raw.png"
    profile = scratch / "chromium-profile"
    subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--force-device-scale-factor=1.25",
            f"--user-data-dir={profile}",
            f"--screenshot={raw}",
            "--window-size=1100,1600",
            html.resolve().as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    with Picture.open(raw) as shot:
        rgb = shot.convert("RGB")
    # the bounding box of what is not (nearly) white, and a margin of 12 pixels around it
    ink = rgb.point(lambda v: 255 if v < 245 else 0).convert("L")
    box = ink.getbbox()
    if box is None:
        raise SystemExit(f"{html.name}: the screenshot is blank")
    pad = 12
    left, top, right, bottom = box
    rgb.crop(
        (max(left - pad, 0), max(top - pad, 0), min(right + pad, rgb.width), bottom + pad)
    ).save(png)


def compact(png: Path) -> None:
    """Store ``png`` with an adaptive palette (at most 256 colours), same size in pixels."""
    from PIL import Image as Picture

    with Picture.open(png) as picture:
        rgb = picture.convert("RGB")
    rgb.quantize(colors=256, method=Picture.Quantize.MEDIANCUT, dither=Picture.Dither.NONE).save(
        png, optimize=True
    )


def make(names: list[str]) -> list[Path]:
    """Make the named images (all by default) into docs/images; return the files written."""
    unknown = [n for n in names if n not in IMAGES]
    if unknown:
        raise SystemExit(f"no image {unknown[0]!r}; the images are {', '.join(IMAGES)}")
    IMAGES_DIR.mkdir(parents=True, exist_ok=True)
    written = []
    with tempfile.TemporaryDirectory(prefix="survstat-images-") as tmp:
        scratch = Path(tmp)
        shutil.copytree(ROOT / "examples", scratch / "examples")  # the case studies' jobs
        for command in PREPARE:
            run(command, scratch)
        for name in names or list(IMAGES):
            image = IMAGES[name]
            for command in image.commands:
                run(command, scratch)
            target = IMAGES_DIR / name
            if image.screenshot:
                photograph(scratch / image.output, target, scratch)
            else:
                shutil.copyfile(scratch / image.output, target)
            compact(target)
            written.append(target)
            print(f"{target.relative_to(ROOT)}: {target.stat().st_size / 1024:.0f} KB")
    return written


#: A word of a command line, quoted parts kept whole.
_WORD = re.compile(r'(?:"[^"]*"|[^\s"])+')


def shell_block(commands: tuple[str, ...], width: int = 96) -> str:
    """The commands as a README bash block, long ones continued on indented lines (each
    option on the line of its value)."""
    lines = []
    for command in commands:
        # an option stays on the line of its value
        groups: list[str] = []
        for word in _WORD.findall(command):
            if groups and not word.startswith("-") and groups[-1].startswith("-"):
                groups[-1] += " " + word
            else:
                groups.append(word)
        line = ""
        for word in groups:
            if line and len(line) + 1 + len(word) > width - 2:
                lines.append(line + " \\")
                line = "  " + word
            else:
                line = f"{line} {word}" if line else word
        lines.append(line)
    return "```bash\n" + "\n".join(lines) + "\n```"


def readme_section() -> str:
    """The body of the README's "Tables and figures" section: the commands that export the
    inputs, then each image under the commands that make it."""
    parts = [shell_block(PREPARE)]
    for name, image in IMAGES.items():
        parts += [f"**{image.title}**", shell_block(image.commands)]
        parts.append(f"![{image.title}](docs/images/{name})")
    return "\n\n".join(parts) + "\n"


def main() -> None:
    """Parse the command line and make the images."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="image file names (default: all)")
    parser.add_argument("--readme", action="store_true", help="print the README section")
    args = parser.parse_args()
    if args.readme:
        print(readme_section(), end="")
    else:
        make(args.names)


if __name__ == "__main__":
    main()
