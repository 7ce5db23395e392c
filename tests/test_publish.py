"""bvflow publish --out DIR: the public site of a two-year programme of reviews.

A programme across 2027 and 2028 is built through the CLI, as a coordinator would: one
review taken to monitoring (with everything a report shows), one started from the plan with
restricted and confidential papers and members' and an observer's addresses, one in 2028
whose committee papers went out late, items planned and dropped. The site is then read as
the public and a web team would: every page there, nothing that is not public in any file,
every internal link resolving, the Atom feed well-formed with its entries, the same bytes on
a second run, axe-core (WCAG 2.2 AA) and the Nu HTML Checker clean, and a page drawn.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urldefrag

import pytest
import time_machine
from conftest import LONDON, Cli, events, query, snapshot, sqlite_only
from test_accessibility import axe, axe_tools, chromium, need  # noqa: F401, F811 (a fixture)

ROOT = Path(__file__).resolve().parent.parent
VNU = ROOT / ".ci" / "js" / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
ATOM = "{http://www.w3.org/2005/Atom}"

# What must never reach the site: titles and bytes of restricted and confidential papers,
# and the addresses (and names) of members and observers.
SECRETS = (
    "Restricted staffing numbers", "RESTRICTED-LIBRARY-BYTES",
    "Confidential redundancy list", "CONFIDENTIAL-LIBRARY-BYTES",
    "Confidential staffing plan", "Working-party minutes",
    "ann.private@tenants.example", "Ann Private", "cllr.hidden@exampleshire.gov.uk",
    "Cllr Hidden", "sam@unison.example", "Sam <b>Patel</b>", "Sam &lt;b&gt;Patel",
    "jo@exampleshire.gov.uk", "sam@exampleshire.gov.uk",
)


def _paper(folder: Path, name: str, text: str) -> str:
    path = folder / name
    path.write_text(text)
    return str(path)


def _at(days: int, hour: str = "10:00") -> str:
    return (datetime.now(LONDON) + timedelta(days=days)).strftime(f"%Y-%m-%d {hour}")


@pytest.fixture
def programme(initialised: Cli, reviewed: str, travel: time_machine.Coordinates,
              tmp_path: Path) -> dict[str, str]:
    """The two-year programme: the review refs by service, and where the site goes."""
    cli = initialised
    cli.ok("programme", "add", "Libraries", "--year", "2027", "--priority", "high",
           "--reason", "Visits halved since 2020")
    cli.ok("programme", "add", "Street lighting", "--year", "2028", "--priority", "medium",
           "--reason", "Energy costs")
    cli.ok("programme", "add", "Parks", "--year", "2028", "--priority", "low",
           "--reason", "Not reviewed since 2015")
    cli.ok("programme", "drop", "3", "--reason", "Merged into the leisure review")
    libraries = cli.ok("programme", "start", "1", "--coordinator",
                       "jo@exampleshire.gov.uk").stdout.strip()
    cli.ok("party", "add", libraries, "--name", "Ann Private", "--email",
           "ann.private@tenants.example", "--organisation", "Tenants' Federation",
           "--category", "tenants")
    cli.ok("party", "add", libraries, "--name", "Cllr Hidden", "--email",
           "cllr.hidden@exampleshire.gov.uk", "--organisation", "Scrutiny Committee",
           "--category", "elected_members", "--role", "observer")
    cli.ok("evidence", "add", libraries, "--kind", "scope_statement", "--title",
           "Scope of the libraries review", "--disclosure", "public", "--file",
           _paper(tmp_path, "scope.txt", "PUBLIC-LIBRARY-BYTES\n"))
    cli.ok("evidence", "add", libraries, "--kind", "baseline_profile", "--title",
           "Restricted staffing numbers", "--disclosure", "restricted", "--file",
           _paper(tmp_path, "staff.txt", "RESTRICTED-LIBRARY-BYTES\n"))
    cli.ok("evidence", "add", libraries, "--kind", "baseline_profile", "--title",
           "Confidential redundancy list", "--disclosure", "confidential", "--file",
           _paper(tmp_path, "list.txt", "CONFIDENTIAL-LIBRARY-BYTES\n"))
    cli.ok("activity", "add", libraries, "--method", "survey", "--on",
           datetime.now(LONDON).date().isoformat(), "--category", "users", "--summary",
           "Open on Saturdays", "--outcome", "Saturday opening kept in every option")
    cli.ok("meeting", "schedule", libraries, "--kind", "committee", "--title",
           "Communities committee", "--at", _at(30), "--place", "Council Chamber",
           "--papers", _paper(tmp_path, "agenda.txt", "1. Libraries review scope\n"),
           "--papers-disclosure", "public")
    cli.ok("sweep")
    return {"waste": reviewed, "libraries": libraries}


def publish(cli: Cli, out: Path) -> dict[str, object]:
    result = json.loads(cli.ok("publish", "--out", str(out), "--json").stdout)
    assert isinstance(result, dict)
    return result


def _files(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes()
            for p in sorted(out.rglob("*")) if p.is_file()}


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.ids: set[str] = set()
        self.scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if found.get("id"):
            self.ids.add(str(found["id"]))
        for name in ("href", "src"):
            if found.get(name):
                self.links.append(str(found[name]))
        self.scripts += tag == "script" or any(a.startswith("on") for a in found)


def _parsed(page: Path) -> _Links:
    parser = _Links()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser


def _broken_links(out: Path) -> list[str]:
    """Every internal link (and fragment) of every page that leads nowhere."""
    broken, pages = [], {p: _parsed(p) for p in out.rglob("*.html")}
    for page, parsed in pages.items():
        for link in parsed.links:
            assert "://" not in link or link.startswith("http://www.w3.org"), link
            path, fragment = urldefrag(link)
            target = (page.parent / unquote(path)).resolve() if path else page
            if not target.is_file() or out.resolve() not in target.parents:
                broken.append(f"{page.relative_to(out)}: {link}")
            elif fragment and fragment not in pages[target].ids:
                broken.append(f"{page.relative_to(out)}: {link} (no such id)")
    return broken


def test_the_public_site_of_a_two_year_programme(
        initialised: Cli, programme: dict[str, str], travel: time_machine.Coordinates,
        tmp_path: Path) -> None:
    cli, out = initialised, tmp_path / "site"
    libraries = programme["libraries"]
    first = publish(cli, out)
    assert first["changed"] is True
    # The committee's notice and its public agenda are first published now: the clock starts.
    assert [(f["subject"], f["paper"] is not None) for f in first["first_published"]] == [
        ("notice", False), ("paper", True)]
    assert query(cli.db, "SELECT subject FROM publications ORDER BY id") == [
        ("notice",), ("paper",)]
    assert events(cli.db)[-1][2] == "publication.published"

    # A year on: a 2028 review from the plan, with its own committee.
    travel.shift(timedelta(days=365))
    lighting = cli.ok("programme", "start", "2", "--coordinator",
                      "jo@exampleshire.gov.uk").stdout.strip()
    assert lighting.startswith("BV-2028-")
    publish(cli, out)

    files = _files(out)
    expected = {"index.html", "style.css", "feed.atom", ".bvflow-site",
                *(f"reviews/{ref}/index.html" for ref in (programme["waste"], libraries,
                                                          lighting))}
    assert expected <= set(files)
    papers = [name for name in files if "/papers/" in name]
    assert papers
    assert all(name.startswith(f"reviews/{libraries}/papers/") or
                          name.startswith(f"reviews/{programme['waste']}/papers/")
                          for name in papers)
    assert any(files[name] == b"PUBLIC-LIBRARY-BYTES\n" for name in papers)

    # The leak test: every file, every secret, as text and as it would be escaped.
    for name, data in files.items():
        text = data.decode("utf-8", errors="replace")
        for secret in SECRETS:
            assert secret not in text, (name, secret)
    index = files["index.html"].decode()
    for shown in ("2027", "2028", "Libraries", "Street lighting", "Parks", "Not going ahead"):
        assert shown in index
    page = files[f"reviews/{libraries}/index.html"].decode()
    for shown in ("Scope of the libraries review", "Communities committee",
                  "Open on Saturdays", "Saturday opening kept in every option",
                  "Tenants&#39; Federation", "agenda and papers published"):
        assert shown in page, shown
    waste = files[f"reviews/{programme['waste']}/index.html"].decode()
    # Overrides and dissent are always shown.
    assert "Members &lt;em&gt;agreed&lt;/em&gt; to shorten" in waste
    assert "GMB &lt;i&gt;objects&lt;/i&gt;" in waste
    assert "<script" not in waste
    assert "<em>" not in waste

    assert _broken_links(out) == []
    assert all(_parsed(p).scripts == 0 for p in out.rglob("*.html"))

    # The feed: Atom 1.0, parsed strictly, an entry per stage, meeting and agreement.
    feed = ET.fromstring(files["feed.atom"])
    assert feed.tag == f"{ATOM}feed"
    entries = feed.findall(f"{ATOM}entry")
    titles = [e.findtext(f"{ATOM}title") for e in entries]
    assert "Committee meeting: Communities committee" in titles
    assert any(t and t.startswith(f"{lighting} ") for t in titles)
    assert any(t == "Agreed: Scope of the review" or (t or "").startswith("Agreed: ")
               for t in titles)
    ids = [e.findtext(f"{ATOM}id") for e in entries]
    assert len(set(ids)) == len(ids)
    assert all(i and i.startswith("urn:uuid:") for i in ids)
    for entry in entries:
        assert entry.findtext(f"{ATOM}updated")
        link = entry.find(f"{ATOM}link")
        assert link is not None
        assert urldefrag(link.get("href", ""))[0] in files

    # Idempotent: nothing changed, nothing written, nothing recorded.
    before, chain = _files(out), len(events(cli.db))
    again = publish(cli, out)
    assert again["changed"] is False
    assert again["event"] is None
    assert _files(out) == before
    assert len(events(cli.db)) == chain

    # A paper made confidential is gone from every file after the next run.
    public = next(e for e in json.loads(cli.ok("evidence", "list", libraries, "--json").stdout)
                  if e["title"] == "Scope of the libraries review")
    cli.ok("evidence", "amend", libraries, str(public["id"]), "--disclosure", "confidential",
           "--reason", "Holds staff names")
    result = publish(cli, out)
    assert result["changed"] is True
    assert result["removed"]
    assert all("/papers/" in name for name in result["removed"])
    for name, data in _files(out).items():
        assert b"Scope of the libraries review" not in data, name
        assert b"PUBLIC-LIBRARY-BYTES" not in data, name
    # An entry keeps its id from run to run.
    assert set(ids) <= {e.findtext(f"{ATOM}id") for e in ET.fromstring(
        (out / "feed.atom").read_bytes()).findall(f"{ATOM}entry")}
    assert not list(tmp_path.glob(".site.*"))  # no building or old folder left behind
    assert cli.ok("audit", "verify").exit_code == 0


def test_a_committee_whose_papers_went_out_late_is_reported_short(
        initialised: Cli, new_review: Callable[..., str], travel: time_machine.Coordinates,
        tmp_path: Path) -> None:
    cli, out = initialised, tmp_path / "site"
    ref = new_review()
    publish(cli, out)  # the council publishes with bvflow from now on
    cli.ok("meeting", "schedule", ref, "--kind", "committee", "--title", "Environment committee",
           "--at", _at(21), "--place", "Council Chamber", "--papers",
           _paper(tmp_path, "agenda.txt", "1. Refuse review\n"), "--papers-disclosure", "public")
    cli.ok("sweep")  # every member's notice is in time
    travel.shift(timedelta(days=19))  # publish is not run again until two days before
    result = publish(cli, out)
    assert [f["subject"] for f in result["first_published"]] == ["notice", "paper"]
    listed = cli.ok("meeting", "list", ref)
    assert "public notice short" in listed.stdout
    shown = json.loads(cli.ok("meeting", "list", ref, "--json").stdout)[0]
    assert shown["public_short"] is True
    assert shown["public_notice"].startswith("short notice: agenda and papers published ")
    assert "of the 5 clear working days needed (Local Government Act 1972 ss.100A(6)(a) and " \
           "100B(3)" in shown["public_notice"]
    warnings = json.loads(cli.ok("review", "show", ref, "--json").stdout)["warnings"]
    assert any("public notice: short notice" in w for w in warnings)
    page = (out / "reviews" / ref / "index.html").read_text()
    assert 'class="short">short notice: agenda and papers published' in page

    # Published in time, a committee is not short; a working party has no public clock.
    other = new_review("Libraries")
    cli.ok("meeting", "schedule", other, "--kind", "committee", "--title", "Communities",
           "--at", _at(30), "--place", "Council Chamber")
    cli.ok("meeting", "schedule", other, "--title", "Working party", "--at", _at(30, "18:00"),
           "--place", "Room 2")
    publish(cli, out)
    committee, party = json.loads(cli.ok("meeting", "list", other, "--json").stdout)
    assert committee["public_short"] is False
    assert "published" in committee["public_notice"]
    assert "short" not in \
        committee["public_notice"]
    assert party["public_notice"] is None


@pytest.mark.parametrize("case", [
    "symlink", "file", "foreign folder", "no parent", "control character",
    pytest.param("database folder", marks=sqlite_only("PostgreSQL has no database folder")),
])
def test_a_folder_publish_must_not_write_is_refused(
        initialised: Cli, new_review: Callable[..., str], tmp_path: Path, case: str) -> None:
    new_review()
    real = tmp_path / "real"
    real.mkdir()
    out = {
        "symlink": tmp_path / "link",
        "file": tmp_path / "notes.txt",
        "database folder": initialised.db.parent,
        "foreign folder": tmp_path / "www",
        "no parent": tmp_path / "missing" / "site",
        "control character": tmp_path / "site\x1b",
    }[case]
    if case == "symlink":
        out.symlink_to(real, target_is_directory=True)
    if case == "file":
        out.write_text("keep me\n")
    if case == "foreign folder":
        out.mkdir()
        (out / "index.html").write_text("the council's own page\n")
    before = snapshot(initialised.db)
    result = initialised("publish", "--out", str(out))
    assert result.exit_code == 1, result.stdout
    assert result.stderr.startswith("Error: ")
    assert result.stderr.count("\n") == 1
    assert snapshot(initialised.db) == before
    if case == "foreign folder":
        assert (out / "index.html").read_text() == "the council's own page\n"
    if case == "file":
        assert out.read_text() == "keep me\n"


def test_the_site_passes_axe_and_the_nu_html_checker_and_is_drawn(
        initialised: Cli, programme: dict[str, str], axe_tools: dict[str, str],  # noqa: F811
        tmp_path: Path) -> None:
    from PIL import Image

    out = tmp_path / "site"
    publish(initialised, out)
    pages = sorted(out.rglob("*.html"))
    assert len(pages) == 3
    found = axe(axe_tools, pages)
    problems = [f"{name}: {rule['id']}: {rule['help']}" for name, result in found.items()
                for kind in ("violations", "best_practice") for rule in result[kind]]
    assert problems == []
    assert all(result["passed"] > 10 for result in found.values())

    java = need({"java": shutil.which("java"),
                 "vnu.jar": str(VNU) if VNU.is_file() else None})
    checked = subprocess.run(
        [java["java"], "-jar", java["vnu.jar"], "--format", "json", "--also-check-css",
         *map(str, pages), str(out / "style.css")],
        capture_output=True, text=True, timeout=300)
    messages = json.loads(checked.stderr)["messages"]  # warnings are "info" with a subType
    assert [m for m in messages if m["type"] != "info" or m.get("subType")] == []
    assert checked.returncode == 0

    shot = tmp_path / "review.png"
    browser = need({"chromium": chromium()})["chromium"]
    page = out / "reviews" / programme["libraries"] / "index.html"
    done = subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
         f"--screenshot={shot}", "--window-size=1100,1400", page.as_uri()],
        capture_output=True, text=True, timeout=120, env={**os.environ, "HOME": str(tmp_path)})
    assert done.returncode == 0, done.stderr
    with Image.open(shot) as image:
        assert image.size == (1100, 1400)
        colours = image.convert("RGB").getcolors(maxcolors=1 << 16) or []
    assert len(colours) > 20, "the page is nearly blank"


def test_an_abandoned_review_says_when_and_why_it_stopped(
        initialised: Cli, programme: dict[str, str], tmp_path: Path) -> None:
    libraries = programme["libraries"]
    initialised.ok("review", "abandon", libraries, "--reason",
                   "Merged into the leisure review")
    out = tmp_path / "site"
    publish(initialised, out)
    page = (out / "reviews" / libraries / "index.html").read_text(encoding="utf-8")
    stopped = datetime.now(LONDON)
    assert (f"<strong>This review was stopped on {stopped:%A} {stopped.day} {stopped:%B %Y}"
            "</strong>: Merged into the leisure review.") in page
    assert "This review was completed" not in page
