"""Regenerate the screenshots in docs/images: the review report, its performance section, the
programme and ``bvflow today``, as the commands write them on one fixed day.

    python docs/make_images.py [--out docs/images] [--chromium PATH]

It needs the test extras (``pip install -e ".[test]"``: time-machine, pillow) and Chromium.
It runs the demo (``bvflow demo``, on its own simulated clock), then stops the clock with
time-machine, in this process only, on days after the demo's review closed, to open three
more reviews; on 20 September 2027 it runs ``bvflow report review``, ``bvflow report
programme`` and ``bvflow today`` and photographs each in headless Chromium. bvflow itself
never reads a clock from anywhere but the system.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from html import escape
from pathlib import Path

import time_machine
from click.testing import CliRunner
from PIL import Image

from bvflow.cli import main
from bvflow.demo import run_demo
from bvflow.domain.calendar import LONDON

IMAGES = Path(__file__).resolve().parent / "images"
JO = "jo.bloggs@exampleshire.gov.uk"  # the demo's coordinator
OPENED = datetime(2027, 8, 2, 9, 30, tzinfo=LONDON)  # the Monday after the demo's review closed
REPAIRS = datetime(2027, 8, 31, 9, 30, tzinfo=LONDON)  # the day after the August bank holiday
TODAY = datetime(2027, 9, 20, 8, 45, tzinfo=LONDON)  # the day the pictures show
TODAY_COMMAND = f"bvflow today --coordinator {JO}"
# Only the performance section and what follows it, for the second picture of the report.
FROM_PERFORMANCE = (
    "<style>header, main > :not(#performance, #performance ~ *) { display: none; }</style>"
)


@dataclass(frozen=True)
class Shot:
    """One picture: the page to open and the browser window it is taken in."""

    page: str
    width: int
    height: int


SHOTS = {
    "report.png": Shot("report.html", 1100, 1600),
    "report-performance.png": Shot("report-performance.html", 1100, 1140),
    "programme.png": Shot("programme.html", 1100, 640),
    "today.png": Shot("today.html", 1100, 390),
}


@dataclass(frozen=True)
class Bvflow:
    """``bvflow --db DB --actor JO ...`` run in this process (so the stopped clock holds)."""

    db: Path

    def __call__(self, *args: str) -> str:
        result = CliRunner().invoke(main, ["--db", str(self.db), "--actor", JO, *args])
        if result.exit_code != 0:
            raise SystemExit(f"bvflow {' '.join(args)} failed: {result.stderr or result.output}")
        return result.stdout.strip()


def _ready_to_advance(bv: Bvflow, ref: str) -> None:
    """What the challenge stage asks for, so that its period is all that remains."""
    for name, email, organisation, category in (
        ("Sam Patel", "sam.patel@unison.example", "UNISON City Branch", "trade_union"),
        ("Ann Lee", "ann.lee@tenants.example", "Exampleshire Tenants' Federation", "tenants"),
    ):
        bv("party", "add", ref, "--name", name, "--email", email, "--organisation",
           organisation, "--category", category)
    bv("evidence", "add", ref, "--kind", "scope_statement", "--title", "Scope of the review")
    bv("evidence", "add", ref, "--kind", "baseline_profile", "--title", "Repairs baseline")
    for item in ("scope", "baseline_profile", "information_disclosure"):
        bv("agreement", "record", ref, "--item", item, "--agreed-by", "UNISON City Branch",
           "--agreed-by", "Exampleshire Tenants' Federation")
    bv("meeting", "schedule", ref, "--title", "Working party", "--at", "2027-09-23 18:00",
       "--place", "Committee Room 2")


def build(folder: Path) -> dict[str, str]:
    """The demo and three more reviews; the pages the commands write on TODAY."""
    ref = run_demo(folder, JO, lambda _: None)
    bv = Bvflow(folder / "bvflow.db")
    with time_machine.travel(OPENED, tick=False) as clock:
        bv("review", "create", "Street lighting", "--service", "Highways", "--coordinator", JO)
        libraries = bv("review", "create", "Libraries", "--service", "Culture",
                       "--coordinator", JO)
        bv("review", "suspend", libraries, "--reason", "Waiting for the county library strategy")
        clock.move_to(REPAIRS)
        repairs = bv("review", "create", "Housing repairs", "--service", "Housing",
                     "--coordinator", JO)
        _ready_to_advance(bv, repairs)
        bv("sweep")  # notice runs from delivery
        clock.move_to(TODAY)
        bv("sweep")
        return {
            "report.html": bv("report", "review", ref),
            "programme.html": bv("report", "programme", "--year", "2027"),
            "today": bv("today", "--coordinator", JO),
        }


def terminal(command: str, output: str) -> str:
    """A command and what it printed, as a page that looks like a terminal."""
    return (
        '<!DOCTYPE html>\n<html lang="en-GB"><head><meta charset="utf-8">'
        f"<title>{escape(command)}</title><style>"
        "body { margin: 0; background: #0b0c0c; color: #f3f2f1; }"
        "pre { margin: 0; padding: 1.2rem 1.5rem; font: 15px/1.5 'DejaVu Sans Mono', monospace;"
        " white-space: pre-wrap; }</style></head>\n"
        f"<body><main><pre>$ {escape(command)}\n{escape(output)}</pre></main></body></html>\n"
    )


def pages(written: dict[str, str], folder: Path) -> None:
    """Write the pages the pictures are taken of."""
    report = written["report.html"]
    (folder / "report.html").write_text(report)
    (folder / "report-performance.html").write_text(
        report.replace("</head>", f"{FROM_PERFORMANCE}</head>", 1)
    )
    (folder / "programme.html").write_text(written["programme.html"])
    (folder / "today.html").write_text(terminal(TODAY_COMMAND, written["today"]))


def photograph(browser: str, page: Path, shot: Shot, out: Path, profile: Path) -> None:
    """Headless Chromium's screenshot of ``page``, reduced to 256 colours (small in git)."""
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
             "--no-first-run", "--disable-background-networking", "--disable-component-update",
             "--disable-sync", f"--user-data-dir={profile}"]
    raw = page.with_suffix(".raw.png")
    subprocess.run([browser, *flags, f"--window-size={shot.width},{shot.height}",
                    f"--screenshot={raw}", page.as_uri()], capture_output=True, check=True,
                   timeout=120)
    with Image.open(raw) as image:
        image.convert("RGB").quantize(256).save(out, optimize=True)


def run(out: Path, browser: str) -> list[Path]:
    """Build, render and photograph; returns the pictures written."""
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="bvflow-images-") as tmp:
        folder = Path(tmp)
        pages(build(folder), folder)
        for name, shot in SHOTS.items():
            photograph(browser, folder / shot.page, shot, out / name, folder / "profile")
    return [out / name for name in SHOTS]


def arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=IMAGES, help="default: docs/images")
    parser.add_argument("--chromium", default=shutil.which("chromium") or "chromium",
                        help="the browser (default: chromium on the PATH)")
    return parser.parse_args(argv)


def cli(argv: Sequence[str] | None = None) -> None:
    """``python docs/make_images.py``."""
    args = arguments(argv)
    for path in run(args.out, args.chromium):
        print(f"wrote {path}")


if __name__ == "__main__":
    cli()
