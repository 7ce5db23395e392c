"""Accessibility: every HTML page bvflow writes passes axe-core in headless Chromium.

axe-core's WCAG 2.2 A and AA rules must find nothing, and its best-practice rules (landmarks,
heading order) nothing either. The pages are the review report for each audience, as it
stands and as it stood, for a review in every state; the inspection pack's report; the
programme; the involvement plan against the record; the competency self-assessment; and
every notice, as previewed and as delivered.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from conftest import Cli, swept_mail

from bvflow.notifications.kinds import names as kind_names

ROOT = Path(__file__).resolve().parent.parent
MODULES = ROOT / ".ci" / "js" / "node_modules"
CHECK = Path(__file__).resolve().parent / "js" / "axe_check.mjs"

pytestmark = pytest.mark.slow


def need(tools: dict[str, str | None]) -> dict[str, str]:
    """The tools named, found; in CI a missing one fails the test, elsewhere it skips."""
    missing = [name for name, found in tools.items() if not found]
    if missing:
        message = f"{', '.join(missing)} not found; .ci/run installs them"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return {name: str(found) for name, found in tools.items()}


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture
def axe_tools() -> dict[str, str]:
    """Node, Chromium, axe-core and puppeteer-core, looked for before any page is built."""
    return need({
        "node": shutil.which("node"),
        "chromium": chromium(),
        "axe-core": str(MODULES) if (MODULES / "axe-core" / "axe.min.js").is_file() else None,
        "puppeteer-core": str(MODULES) if (MODULES / "puppeteer-core").is_dir() else None,
    })


def axe(tools: dict[str, str], files: list[Path]) -> dict[str, Any]:
    """What axe finds on each page (tests/js/axe_check.mjs), keyed by file name."""
    out = subprocess.run([tools["node"], str(CHECK), str(MODULES), tools["chromium"],
                          *map(str, files)], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    return {Path(name).name: result for name, result in json.loads(out.stdout).items()}


def _delivered(cli: Cli, pages: Path) -> list[Path]:
    """The HTML part of one delivered message of each kind (told apart by the page's title),
    as a mail client gets it."""
    written, titles = [], set()
    for message in swept_mail(cli):
        body = message.get_body(("html",))
        html = body.get_content() if body is not None else ""
        title = re.search(r"<title>(.*?)</title>", html)
        if title is None or title[1] in titles:
            continue
        titles.add(title[1])
        written.append(pages / f"mail-{len(titles):02d}.html")
        written[-1].write_text(html)
    return written


@pytest.fixture
def pages(initialised: Cli, reviewed: str, new_review: Callable[..., str],
          travel: time_machine.Coordinates, tmp_path: Path) -> list[Path]:
    """Every kind of HTML page bvflow writes, for reviews in every state."""
    cli, out = initialised, tmp_path / "pages"
    out.mkdir()
    first = json.loads(cli.ok("evidence", "list", reviewed, "--json").stdout)[0]
    cli.ok("evidence", "amend", reviewed, str(first["id"]), "--title", "Scope, as corrected",
           "--reason", "The title named the wrong year")
    paused = new_review("Street lighting")
    cli.ok("review", "suspend", paused, "--reason", "Pre-election period")
    empty = new_review("Libraries")
    travel.shift(timedelta(days=60))  # Libraries' challenge stage is overdue now
    written = _delivered(cli, out)

    def save(name: str, *args: str) -> None:
        cli.ok(*args, "-o", str(out / name))
        written.append(out / name)

    for audience in ("public", "working-party", "internal"):
        save(f"review-{audience}.html", "report", "review", reviewed, "--audience", audience)
    save("review-as-of.html", "report", "review", reviewed, "--as-of", "20")
    save("review-suspended.html", "report", "review", paused)
    save("review-overdue-and-empty.html", "report", "review", empty, "--audience", "public")
    save("programme.html", "report", "programme")
    save("programme-2027.html", "report", "programme", "--year", "2027")
    save("programme-none.html", "report", "programme", "--year", "2026")
    cli.ok("involvement", "plan", "add", reviewed, "--category", "pensioners", "--method",
           "focus_group", "--stage", "consult")
    cli.ok("involvement", "plan", "add", "--year", "2027", "--category", "youth", "--method",
           "survey", "--by", "2027-06")
    save("involvement.html", "report", "involvement", "--year", "2027")
    save("involvement-review.html", "report", "involvement", reviewed)
    save("involvement-none.html", "report", "involvement", "--year", "2026")
    for code, target, value, tolerance in (("P1", "90", "91", "1"), ("P2", "90", "89.5", "1"),
                                           ("P3", "90", "80", "1")):
        cli.ok("indicator", "add", "--service", "Waste", code, "--name", f"Indicator {code}",
               "--unit", "%", "--tolerance", tolerance, "--target", f"2026-27={target}")
        cli.ok("indicator", "record", "--service", "Waste", code, "--period", "2026-27",
               "--value", value)
    save("performance-plan.html", "report", "performance-plan", "--year", "2027")
    save("performance-plan-none.html", "report", "performance-plan", "--year", "2020")
    save("competency-none.html", "report", "competency")
    scores = [f"--score={c}={lv}" for c, lv in (
        ("local-people", 2), ("business-links", 1), ("modern-management", 3),
        ("partnership", 2), ("fair-employment", 3), ("performance", 2), ("involvement", 4))]
    for year in ("2026", "2027"):
        cli.ok("competency", "assess", "--framework", "best-value-competencies", "--round",
               year, *scores, *(f"--evidence={s.split('=')[1]}=Seen" for s in scores),
               "--participant", "pat@exampleshire.gov.uk")
    cli.ok("competency", "action", "add", "--round", "2027", "--competency", "partnership",
           "--title", "Shared targets", "--owner", "pat@exampleshire.gov.uk", "--due",
           "2027-01-05")
    save("competency.html", "report", "competency")
    cli.ok("report", "inspection", reviewed, "-o", str(tmp_path / "pack.zip"))
    with zipfile.ZipFile(tmp_path / "pack.zip") as pack:
        (out / "inspection-report.html").write_bytes(pack.read("report.html"))
    written.append(out / "inspection-report.html")
    for kind in kind_names():
        shown = cli.ok("notify", "preview", kind, "--review", reviewed, "--html").stdout
        (out / f"notice-{kind}.html").write_text(shown.split("\n\n", 1)[1])  # after Subject:
        written.append(out / f"notice-{kind}.html")
    return written


def _problems(found: dict[str, Any]) -> list[str]:
    lines = []
    for page, result in sorted(found.items()):
        for kind in ("violations", "best_practice"):
            for rule in result[kind]:
                lines.append(f"{page}: {rule['id']} ({rule['impact']}, {kind}): {rule['help']}"
                             f" <{rule['helpUrl']}>")
                lines += [f"    {node['html'][:300]}\n      {node['summary']}"
                          for node in rule["nodes"]]
    return lines


def test_every_html_page_passes_axe(axe_tools: dict[str, str], pages: list[Path]) -> None:
    found = axe(axe_tools, pages)
    assert sorted(found) == sorted(p.name for p in pages)
    assert sum(p.name.startswith("mail-") for p in pages) >= 5  # opened, welcome, meeting...
    problems = _problems(found)
    assert not problems, "axe-core found:\n" + "\n".join(problems)
    assert all(result["passed"] > 10 for result in found.values())


# --- the documentation's screenshots, made by one command -------------------------------

IMAGES = {"report.png": (1100, 1600), "report-performance.png": (1100, 1140),
          "programme.png": (1100, 640), "today.png": (1100, 390)}


def test_one_command_makes_the_documentations_screenshots(tmp_path: Path) -> None:
    from PIL import Image

    browser = need({"chromium": chromium()})["chromium"]
    out = tmp_path / "images"
    done = subprocess.run([sys.executable, str(ROOT / "docs" / "make_images.py"), "--out",
                           str(out), "--chromium", browser], capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [f"wrote {out / name}" for name in IMAGES]
    for name, size in IMAGES.items():
        with Image.open(out / name) as image:
            assert image.format == "PNG", name
            assert image.size == size, name
            colours = image.convert("RGB").getcolors(maxcolors=1 << 16) or []
        assert len(colours) > 20, f"{name} is nearly blank"
        assert 10_000 < (out / name).stat().st_size < 400_000, name
        # Each picture the documentation shows is one this command makes.
        assert (ROOT / "docs" / "images" / name).is_file(), name
    pages = " ".join(p.read_text() for p in (ROOT / "docs").glob("*.md"))
    for name in IMAGES:
        assert f"](images/{name})" in pages, f"no page shows {name}"
    assert "python docs/make_images.py" in (ROOT / "docs" / "reports.md").read_text()
