"""The report: Markdown + self-contained HTML, on rich and on tiny stores, and in a real browser."""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from store_records import row, write_records
from xstilts.analysis.report import CONTENT_SECURITY_POLICY, write_report
from xstilts.languages.table import pretraining_volume

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"  # tests/artifacts
LANGUAGES = ["en", "de", "fr", "es", "ru", "zh", "ar", "hi", "sw", "ur", "th", "tr"]
SEED_OFFSETS = (-1.0, 0.0, 1.0)


@pytest.fixture(scope="module")
def rich_report(tmp_path_factory) -> Path:
    """3 seeds, 12 languages, two fine-tuned targets (one also with oracle selection) and a
    retrieval task; gain = 3·log(GiB) + seed noise, so the headline numbers are known."""
    gib = pretraining_volume("cc100")
    records = []
    for seed, offset in enumerate(SEED_OFFSETS):
        for target, base in (("xnli", 60.0), ("pawsx", 70.0), ("tatoeba", 40.0)):
            selections = {"xnli": ["en_dev", "oracle"], "pawsx": ["en_dev"], "tatoeba": ["none"]}
            for i, lang in enumerate(LANGUAGES):
                noise = offset * (1 + i % 3) / 2
                for name, gain in (("none", 0.0), ("mnli", 3.0 * math.log(gib[lang]))):
                    for selection in selections[target]:
                        value = base + offset + gain + (noise if name == "mnli" else 0.0)
                        value += 1.5 if selection == "oracle" else 0.0
                        records.append(
                            row(
                                intermediate_task=name,
                                target_task=target,
                                language=lang,
                                seed=seed,
                                selection=selection,
                                value=value,
                            )
                        )
    root = tmp_path_factory.mktemp("rich")
    store = write_records(root / "results.duckdb", records)
    return write_report(store, root / "report")


def test_report_files_and_known_numbers(rich_report: Path) -> None:
    out = rich_report.parent
    assert rich_report.name == "report.md" and (out / "report.html").is_file()
    markdown = rich_report.read_text(encoding="utf-8")
    gib = pretraining_volume("cc100")
    # paper-style table: mean over languages (English included) of 3·log(GiB)
    expected = sum(3.0 * math.log(gib[lang]) for lang in LANGUAGES) / len(LANGUAGES)
    assert f"| xnli | accuracy | 60.0 | +{expected:.1f} [" in markdown
    # figures exist in both formats and are linked
    links = re.findall(r"!\[[^\]]*\]\((figures/[^)]+\.png)\)", markdown)
    assert len(links) >= 5  # volume, heat-map, 3 per-language, distance
    for link in links:
        assert (out / link).stat().st_size > 0
        assert (out / link).with_suffix(".svg").stat().st_size > 0
    # plain-language uncertainty, selection gap, mixed model (12 languages in 3 tasks)
    assert "With 11 languages, the 95% CI for the slope spans" in markdown
    assert "Cost of true zero-shot model selection" in markdown
    assert "| +1.5 |" in markdown  # oracle − en_dev, by construction
    assert "| mnli | gain | volume | fitted |" in markdown


def test_html_is_self_contained(rich_report: Path) -> None:
    page = (rich_report.parent / "report.html").read_text(encoding="utf-8")
    markdown = rich_report.read_text(encoding="utf-8")
    assert CONTENT_SECURITY_POLICY in page
    sources = re.findall(r'\bsrc="([^"]*)"', page)
    assert sources and all(s.startswith("data:image/png;base64,") for s in sources)
    assert len(sources) == markdown.count("](figures/") // 2  # one PNG per figure (+ SVG link)
    assert not re.search(r"\b(href|src)=\"(https?:|//)", page)
    assert "<script" not in page and "@import" not in page and "url(" not in page


def test_report_is_reproducible(rich_report: Path, tmp_path: Path) -> None:
    store = rich_report.parent.parent / "results.duckdb"
    again = write_report(store, tmp_path / "again")
    assert again.read_text(encoding="utf-8") == rich_report.read_text(encoding="utf-8")
    first = sorted((rich_report.parent / "figures").glob("*.svg"))
    for svg in first:
        assert (again.parent / "figures" / svg.name).read_bytes() == svg.read_bytes()


def test_tiny_store_says_what_cannot_be_estimated(store_factory, tmp_path: Path) -> None:
    records = [
        row(intermediate_task=name, target_task="xnli", language=lang, seed=0, value=v + shift)
        for name, shift in (("none", 0.0), ("mnli", 2.0))
        for lang, v in (("en", 80.0), ("de", 70.0), ("sw", 55.0))
    ]
    path = write_report(store_factory(records), tmp_path / "out")
    markdown = path.read_text(encoding="utf-8")
    assert "Only one seed per configuration" in markdown
    assert "No mixed model could be fitted" in markdown
    assert "No regression could be estimated" in markdown
    assert "cannot be estimated" in markdown
    assert (tmp_path / "out" / "report.html").is_file()


def test_grid_cells_without_rows_are_named(store_factory, tmp_path: Path) -> None:
    cells = [("none", "xnli"), ("none", "tatoeba"), ("mnli", "xnli"), ("sst2", "tatoeba")]
    records = [
        row(intermediate_task=name, target_task=target, language=lang, seed=0, value=60.0)
        for name, target in cells
        for lang in ("en", "de", "sw")
    ]
    path = write_report(store_factory(records), tmp_path / "out")
    data = path.read_text(encoding="utf-8").split("## Data", 1)[1].split("\n## ", 1)[0]
    assert "Grid cells without rows (intermediate → target): mnli → tatoeba, sst2 → xnli" in data


@pytest.mark.parametrize("records_kind", ["baseline_only", "no_baseline", "no_test_rows", "empty"])
def test_degenerate_stores_do_not_crash(store_factory, tmp_path: Path, records_kind) -> None:
    base = {"target_task": "xnli", "seed": 0}
    records = {
        "baseline_only": [
            row(intermediate_task="none", language=lang, value=60.0, **base)
            for lang in ("en", "de")
        ],
        "no_baseline": [
            row(intermediate_task="mnli", language=lang, value=60.0, **base)
            for lang in ("en", "de")
        ],
        "no_test_rows": [
            row(intermediate_task="none", language="de", split="dev", value=1.0, **base)
        ],
        "empty": [],
    }[records_kind]
    path = write_report(store_factory(records), tmp_path / records_kind)
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# X-STILTs analysis")
    if records_kind in ("no_test_rows", "empty"):
        assert "nothing can be estimated" in text
    if records_kind == "no_baseline":
        assert "gains over the baseline cannot be estimated" in text


# --------------------------------------------------------------------------------------------
# Browser


def chromium() -> str | None:
    candidates = ("/usr/bin/chromium", shutil.which("chromium"), shutil.which("chromium-browser"))
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return candidate
    return None


CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--enable-logging=stderr",
    "--v=0",
]

# Appended to a *copy* of the page: records every image's decoded size, every script error and
# CSP violation, and every network resource the page fetched, into the DOM that --dump-dom
# prints. The copy's CSP additionally allows this one inline script; nothing else changes.
PROBE = """<script>
const probe = {errors: [], violations: []};
window.addEventListener('error', e => probe.errors.push(String(e.message)));
document.addEventListener('securitypolicyviolation', e => probe.violations.push(e.blockedURI));
window.addEventListener('load', () => {
  probe.images = [...document.images].map(i => ({w: i.naturalWidth, h: i.naturalHeight,
                                                 complete: i.complete}));
  probe.figures = document.querySelectorAll('figure.report-figure').length;
  probe.resources = performance.getEntriesByType('resource').map(r => r.name);
  const out = document.createElement('pre');
  out.id = 'probe';
  out.textContent = JSON.stringify(probe);
  document.body.appendChild(out);
});
</script>"""


def run_chromium(binary: str, profile: Path, *arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [binary, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *arguments],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.browser
def test_report_renders_in_headless_chromium(rich_report: Path, tmp_path: Path) -> None:
    binary = chromium()
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is required in CI (apt-get install -y chromium)")
        pytest.skip("chromium not installed (apt-get install -y chromium)")
    page = rich_report.parent / "report.html"
    text = page.read_text(encoding="utf-8")
    figure_count = text.count('class="report-figure"')
    assert figure_count >= 5

    probed = tmp_path / "probed.html"
    policy = CONTENT_SECURITY_POLICY + "; script-src 'unsafe-inline'"
    probed_text = text.replace(CONTENT_SECURITY_POLICY, policy).replace(
        "</body>", PROBE + "</body>"
    )
    probed.write_text(probed_text, encoding="utf-8")
    dumped = run_chromium(
        binary,
        tmp_path / "profile-dom",
        "--virtual-time-budget=10000",
        "--dump-dom",
        probed.as_uri(),
    )
    assert dumped.returncode == 0, dumped.stderr[-2000:]
    match = re.search(r'<pre id="probe">(.*?)</pre>', dumped.stdout, re.S)
    assert match, "the probe did not run:\n" + dumped.stdout[-2000:]
    probe = json.loads(match.group(1).replace("&quot;", '"').replace("&amp;", "&"))
    assert probe["figures"] == figure_count
    assert len(probe["images"]) == figure_count
    for image in probe["images"]:  # every figure decoded to a real bitmap
        assert image["complete"] and image["w"] > 100 and image["h"] > 100, image
    assert probe["errors"] == [] and probe["violations"] == []
    assert probe["resources"] == []  # data: images are not fetched; nothing else may be

    # the unmodified page: screenshot kept as a test artefact, and no console output at all
    # (the page has no scripts, so any CONSOLE line is a CSP violation or a load error)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    screenshot = ARTIFACTS / "report.png"
    screenshot.unlink(missing_ok=True)
    shot = run_chromium(
        binary,
        tmp_path / "profile-shot",
        f"--screenshot={screenshot}",
        "--window-size=1280,4000",
        "--virtual-time-budget=10000",
        page.as_uri(),
    )
    assert shot.returncode == 0, shot.stderr[-2000:]
    assert screenshot.stat().st_size > 10_000
    console = [line for line in shot.stderr.splitlines() if "CONSOLE" in line]
    assert console == [], console


def test_study_filter_and_volume_csv(store_factory, tmp_path: Path) -> None:
    records = [
        row(study=study, intermediate_task="none", target_task="xnli", language=lang, seed=0,
            value=value)
        for study, value in (("a", 60.0), ("b", 10.0))
        for lang in ("en", "de")
    ]  # fmt: skip
    volumes = tmp_path / "volumes.csv"
    volumes.write_text("language,volume\nen,100\nde,5\n", encoding="utf-8")
    path = write_report(store_factory(records), tmp_path / "out", volumes, study="a")
    markdown = path.read_text(encoding="utf-8")
    assert "studies: a." in markdown and "| de | 5.0 | 60.0 |" in markdown
    assert "10.0" not in markdown.split("## Per-language results")[1].split("##")[0]
