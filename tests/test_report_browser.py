"""The HTML report as a browser shows it: headless Chromium on the bundled breast cancer job
(display tables of `table tte` and `table response`, a 44-column table, two figures and
listings in the appendix).

No driver package: a copy of the report gets a small script that writes its measurements
into the page, read back with ``--dump-dom``; ``--screenshot`` takes the picture. The report
itself has no script. Skipped when Chromium is not installed (CI installs it, .ci/run).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from survstat.cli import app

EXAMPLES = Path(__file__).parent.parent / "examples"
CHROMIUM = next(
    (p for p in (shutil.which("chromium"), "/usr/bin/chromium") if p and os.path.exists(p)), None
)
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium; see .ci/run)"
)
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--virtual-time-budget=10000",
]
#: Measured after the page has loaded: images decoded, the page's width against the
#: window's, with the listings folded and unfolded, and the contents' links.
CHECKS = """
<script>
window.addEventListener("load", () => {
  const root = document.documentElement;
  const width = () => [root.scrollWidth, root.clientWidth];
  const images = [...document.images];
  const links = [...document.querySelectorAll("nav.toc a")].map(a => a.getAttribute("href"));
  const result = {
    images: images.length,
    loaded: images.filter(i => i.complete && i.naturalWidth > 0).length,
    folded: width(),
    links: links.length,
    unresolved: links.filter(h => !h.startsWith("#") || !document.getElementById(h.slice(1))),
    details: document.querySelectorAll("details").length,
  };
  document.querySelectorAll("details").forEach(d => { d.open = true; });
  result.unfolded = width();
  const out = document.createElement("pre");
  out.id = "checks";
  out.textContent = JSON.stringify(result);
  document.body.appendChild(out);
});
</script>
"""


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("browser")
    result = CliRunner().invoke(
        app,
        [
            "report",
            str(EXAMPLES / "breast_efficacy.toml"),
            "--output",
            str(tmp / "out"),
            "-o",
            str(tmp / "report.html"),
            "-q",
        ],
    )
    assert result.exit_code == 0, result.output
    return tmp / "report.html"


def _chromium(tmp: Path, *args: str, width: int) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    return subprocess.run(
        [
            CHROMIUM,
            *FLAGS,
            f"--user-data-dir={tmp / 'profile'}",
            f"--window-size={width},1000",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=tmp,
    )


def _measure(report: Path, width: int) -> dict:
    copy = report.with_name(f"checked-{width}.html")
    copy.write_text(report.read_text().replace("</body>", CHECKS + "</body>"))
    proc = _chromium(report.parent, "--dump-dom", copy.as_uri(), width=width)
    assert proc.returncode == 0, proc.stderr[-2000:]
    dom = proc.stdout
    assert '<pre id="checks">' in dom, dom[-2000:]
    return json.loads(dom.split('<pre id="checks">', 1)[1].split("</pre>", 1)[0])


@pytest.mark.parametrize("width", [1280, 800])
def test_the_page_fits_the_window_and_every_image_and_link_resolves(report, width):
    checks = _measure(report, width)
    assert checks["images"] == 2  # the two figures
    assert checks["loaded"] == checks["images"]
    # wide tables scroll inside their own box: the page never scrolls sideways
    scroll_width, client_width = checks["folded"]
    assert scroll_width <= client_width, checks
    scroll_width, client_width = checks["unfolded"]
    assert scroll_width <= client_width, checks
    assert checks["links"] > 10
    assert checks["unresolved"] == []
    assert checks["details"] == 2  # the derived endpoints and the pCR flags


def test_a_screenshot_renders(report):
    import matplotlib.pyplot as plt

    shot = report.parent / "shot.png"
    proc = _chromium(report.parent, f"--screenshot={shot}", report.as_uri(), width=1280)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    pixels = plt.imread(shot)[..., :3]
    assert pixels.shape[:2] == (1000, 1280)
    ink = (pixels < 0.9).any(axis=-1).mean()  # the share of pixels that are not white
    assert 0.01 < ink < 0.5
    assert len(np.unique(pixels.reshape(-1, 3), axis=0)) > 20


def _pdf_pages(report: Path, html: str, name: str) -> int:
    page = report.with_name(f"{name}.html")
    page.write_text(html)
    pdf = report.with_name(f"{name}.pdf")
    proc = _chromium(
        report.parent, "--no-pdf-header-footer", f"--print-to-pdf={pdf}", page.as_uri(), width=1280
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return len(re.findall(rb"/Type\s*/Page[^s]", pdf.read_bytes()))


def test_printing_unfolds_the_listings(report):
    """The print stylesheet unfolds the appendix's <details>: the printed report has more
    pages than a copy without them, as many as a copy with them open."""
    html = report.read_text()
    start, end = html.index("<details"), html.rindex("</details>") + len("</details>")
    folded = _pdf_pages(report, html, "print")
    without = _pdf_pages(report, html[:start] + html[end:], "print-without")
    opened = _pdf_pages(report, html.replace("<details ", "<details open "), "print-open")
    assert without < folded == opened
