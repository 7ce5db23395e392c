"""``bvflow publish --out DIR``: the public site, a folder of plain HTML a web team hosts as
it is.

Only what the disclosure rules make public goes in: public papers (never a restricted or
confidential one, nor its title), organisations and categories (never a person's name or
address). Every timetable override and every dissent is shown, as in every report.

The first time the site carries a meeting at its time, or one of its public papers, the
moment is recorded (``publications`` rows, one ``publication.published`` event): for a
committee, cabinet or council meeting the public notice counts from then
(bvflow.domain.publication). A run that changes nothing writes nothing and records
nothing: the pages show the record as at its last event, never the time of the run.

The folder is built beside DIR and swapped in, so a web server never serves half a site,
and what is no longer public is gone after the run.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import tempfile
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Final

from bvflow.domain.audit import NewEvent
from bvflow.domain.calendar import local_date
from bvflow.domain.dates import long_date, long_instant
from bvflow.domain.involvement import AGREEMENT_ITEMS
from bvflow.domain.notice import MEETING_KINDS, STATUTORY_KINDS
from bvflow.domain.requirements import ProposalRequirement
from bvflow.domain.text import refused_character
from bvflow.errors import InputError
from bvflow.files import protected_paths
from bvflow.publish.render import render_page, style_sheet
from bvflow.reports import charts
from bvflow.services.app import App, Loaded, load, timing
from bvflow.services.appraisal import appraisal_of
from bvflow.services.meetings import public_notice_of, stored_rule
from bvflow.services.performance_plan import plan_page, plan_years
from bvflow.services.reports import overrides_of, timetable_chart
from bvflow.services.views import View
from bvflow.store import Session, repo
from bvflow.store.models import Evidence, Meeting, ProgrammeItem, Publication, Review

# The file bvflow leaves in every folder it publishes: a folder without it is not replaced.
MARKER: Final = ".bvflow-site"
MARKER_TEXT: Final = b"This folder is written by 'bvflow publish'; each run replaces it.\n"
# Papers keep their extension only if a browser will not run it as a page or a script.
SAFE_EXTENSIONS: Final = frozenset(
    {"pdf", "txt", "csv", "doc", "docx", "odt", "ods", "odp", "xls", "xlsx", "ppt", "pptx",
     "rtf", "png", "jpg", "jpeg", "gif"}
)
REF_PATH: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
STATUS: Final = {
    "active": "Under way",
    "suspended": "Paused",
    "closed": "Completed",
    "abandoned": "Stopped",
}


@dataclass(frozen=True)
class PublishResult(View):
    """What a run did: the folder, its files, whether it changed, what went and what first
    went out (the publication clock), and the event recorded if any."""

    out: str
    files: int
    changed: bool
    digest: str
    removed: list[str] = field(default_factory=list)
    first_published: list[dict[str, Any]] = field(default_factory=list)
    event: int | None = None


# --- where the site goes ---------------------------------------------------------------


def check_out(out: Path, database: Path | None) -> Path:
    """Refuse a folder that is a symlink, a file, the database's own folder, or a non-empty
    folder bvflow did not write (it would be wiped)."""
    problem = refused_character(str(out))
    if problem is not None:
        raise InputError(f"the folder's name contains {problem}")
    if not str(out).strip():
        raise InputError("--out needs a folder")
    try:
        return _check_out(out, database)
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot publish to {str(out)[:80]!r}: {exc}") from exc


def _check_out(out: Path, database: Path | None) -> Path:
    if out.is_symlink():
        raise InputError(f"{out} is a symbolic link; give the real folder")
    if out.exists() and not out.is_dir():
        raise InputError(f"{out} is a file, not a folder")
    if not out.parent.is_dir():
        raise InputError(f"the folder {out.parent} does not exist")
    target = out.resolve()
    for path in protected_paths(database):
        held = path.resolve()
        if target == held or target == held.parent or target in held.parents:
            raise InputError(f"{out} holds the database; publish to a folder of its own")
    if out.is_dir() and any(out.iterdir()) and not (out / MARKER).is_file():
        raise InputError(
            f"{out} is not empty and was not written by bvflow publish (no {MARKER} file); "
            "give a new or empty folder"
        )
    return target


def _existing(out: Path) -> dict[str, bytes]:
    """The files of the site as it stands (none if there is none)."""
    if not out.is_dir():
        return {}
    return {
        p.relative_to(out).as_posix(): p.read_bytes()
        for p in sorted(out.rglob("*"))
        if p.is_file() and not p.is_symlink()
    }


def _stage(out: Path, files: dict[str, bytes]) -> Path:
    """The site built in a new folder beside ``out``, ready to swap in."""
    build = Path(tempfile.mkdtemp(prefix=f".{out.name[:100]}.building-", dir=out.parent))
    try:
        for name, data in files.items():
            path = build / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        build.chmod(0o755)
    except BaseException:
        shutil.rmtree(build, ignore_errors=True)
        raise
    return build


def _swap(build: Path, out: Path) -> None:
    """Put the built folder where ``out`` is: two renames, the old site removed after."""
    old = out.parent / f".{out.name[:100]}.old-{build.name.rsplit('-', 1)[-1]}"
    if out.exists():
        out.rename(old)
    build.rename(out)
    shutil.rmtree(old, ignore_errors=True)


# --- what is public ------------------------------------------------------------------------


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40] or "paper"


def _paper_file(row: Evidence) -> str | None:
    """The file name a public paper gets on the site (none if it has no file)."""
    if row.content is None or not row.file_name:
        return None
    stem, _, ext = row.file_name.rpartition(".")
    ext = ext.lower()
    if not stem or ext not in SAFE_EXTENSIONS:
        ext = "txt" if _is_text(row.content) else "bin"
        stem = row.file_name
    return f"{row.id}-{_slug(stem)}.{ext}"


def _is_text(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def review_path(ref: str) -> str:
    """The review's folder on the site, from its reference."""
    return ref if REF_PATH.fullmatch(ref) else _slug(ref)


@dataclass
class _Site:
    """The files being built, and the meetings first published by this run."""

    files: dict[str, bytes] = field(default_factory=dict)
    first: list[Publication] = field(default_factory=list)
    entries: list[dict[str, Any]] = field(default_factory=list)


def _public_papers(session: Session, review_id: int) -> dict[int, Evidence]:
    return {
        int(e.id or 0): e
        for e in repo.evidence_for(session, review_id)
        if e.disclosure == "public"
    }


def _paper(row: Evidence) -> dict[str, Any]:
    name = _paper_file(row)
    return {
        "id": row.id,
        "title": row.title,
        "kind": row.kind,
        "stage": row.stage,
        "recorded": local_date(row.recorded_at),
        "href": f"papers/{name}" if name else None,
        "size": row.file_size,
    }


def _publish_meeting(
    session: Session, app: App, meeting: Meeting, papers: dict[int, Evidence], now: datetime,
    site: _Site,
) -> None:
    """Record the first publication of an upcoming meeting's notice and public papers."""
    if meeting.status != "scheduled" or meeting.starts_at <= now:
        return
    rows = repo.publications_for(session, [int(meeting.id or 0)])

    def row(subject: str, paper: int | None = None) -> Publication:
        return repo.add_publication(session, Publication(
            review_id=meeting.review_id, meeting_id=int(meeting.id or 0), subject=subject,
            evidence_id=paper, starts_at=meeting.starts_at, published_at=now,
            published_by=app.actor))

    if not any(r.subject == "notice" and r.starts_at == meeting.starts_at for r in rows):
        site.first.append(row("notice"))
    done = {r.evidence_id for r in rows if r.subject == "paper"}
    for paper_id in json.loads(meeting.papers or "[]"):
        if paper_id in papers and paper_id not in done:
            site.first.append(row("paper", paper_id))


def _meeting(
    session: Session, loaded: Loaded, m: Meeting, papers: dict[int, Evidence], now: datetime
) -> dict[str, Any]:
    public = public_notice_of(session, loaded, m, now)
    shown = [_paper(papers[i]) for i in json.loads(m.papers or "[]") if i in papers]
    status = "cancelled" if m.status == "cancelled" else (
        "held" if m.held_recorded_at is not None else
        "took place; its record is to come" if m.starts_at <= now else "to come")
    return {
        "id": m.id,
        "announced": local_date(m.notice_sent_at),
        "title": m.title,
        "kind": MEETING_KINDS[m.kind],
        "statutory": m.kind in STATUTORY_KINDS,
        "starts_at": m.starts_at,
        "place": m.place,
        "status": status,
        "notice": stored_rule(m, loaded.calendar.nation).describe(),
        "public_notice": public.describe() if public else None,
        "short": bool(public and public.short),
        "override": m.override_reason or m.short_notice_accepted,
        "papers": shown,
        "minutes": _paper(papers[m.minutes_id]) if m.minutes_id in papers else None,
        "attended": json.loads(m.attended or "[]"),
        "apologies": json.loads(m.apologies or "[]"),
    }


def _consultation(
    session: Session, loaded: Loaded, papers: dict[int, Evidence], as_at: datetime
) -> list[dict[str, Any]]:
    """Proposals out for discussion, with their papers and the date views are asked for by."""
    found = []
    for p in repo.proposals_for(session, int(loaded.review.id or 0)):
        if p.evidence_id not in papers:
            continue
        days = _proposal_days(loaded, p.stage)
        views_by = (
            loaded.calendar.nth_counting_day(local_date(p.circulated_at), days) if days else None
        )
        found.append({
            "id": p.id,
            "title": p.title,
            "stage": p.stage,
            "circulated": local_date(p.circulated_at),
            "views_by": views_by,
            "open": views_by is not None and views_by >= local_date(as_at),
            "paper": _paper(papers[p.evidence_id]),
        })
    return found


def _proposal_days(loaded: Loaded, stage: str) -> int | None:
    if not loaded.definition.has_stage(stage):
        return None
    for requirement in loaded.definition.stage(stage).guards:
        if isinstance(requirement, ProposalRequirement):
            return requirement.days
    return None


def _stage_title(loaded: Loaded, stage: str) -> str:
    if loaded.definition.has_stage(stage):
        return loaded.definition.stage(stage).title
    return stage.replace("_", " ").capitalize()


def _ending(session: Session, review: Review) -> dict[str, Any] | None:
    """How a review ended, as the public should read it: completed, or abandoned on a day
    for the reason recorded (the reason is on the public record, as overrides are)."""
    if review.status not in ("closed", "abandoned"):
        return None
    action = "review.abandoned" if review.status == "abandoned" else "review.advanced"
    found = repo.find_events(session, repo.EventFilter(
        review=review.ref, actions=(action,), newest_first=True, limit=1))
    if not found:
        return None
    reason = found[0].payload.get("reason") if review.status == "abandoned" else None
    return {"abandoned": review.status == "abandoned", "on": local_date(found[0].at),
            "reason": reason}


def _review_page(
    session: Session, loaded: Loaded, as_at: datetime, now: datetime, site: _Site,
    app: App,
) -> dict[str, Any]:
    review = loaded.review
    review_id = int(review.id or 0)
    papers = _public_papers(session, review_id)
    meetings = repo.meetings_for(session, review_id)
    if review.status in ("active", "suspended"):
        for m in meetings:
            _publish_meeting(session, app, m, papers, now, site)
    when = timing(session, loaded, max(as_at, review.stage_entered_at))
    overrides = overrides_of(session, review.ref)
    live = review.status in ("active", "suspended")
    appraisal = appraisal_of(session, review_id)
    page = {
        "ref": review.ref,
        "title": review.title,
        "service": review.service,
        "status": STATUS.get(review.status, review.status),
        "live": live,
        "stage": _stage_title(loaded, review.stage),
        "consulting": live and review.stage == "consult",
        "since": local_date(review.stage_entered_at),
        "due": when.target if live else None,
        "opened": local_date(review.created_at),
        "as_at": as_at,
        "stages": [
            {"id": e.id, "title": _stage_title(loaded, e.stage),
             "entered": local_date(e.entered_at),
             "left": local_date(e.left_at) if e.left_at else None, "via": e.via}
            for e in repo.stage_entries(session, review_id)
        ],
        "timetable_svg": charts.timetable_svg(
            timetable_chart(session, loaded, max(as_at, review.stage_entered_at), overrides),
            f"Timetable of {review.ref}",
        ),
        "overrides": [
            {"what": o["what"], "on": date.fromisoformat(o["at"][:10]), "reason": o["reason"]}
            for o in overrides
        ],
        "consultation": _consultation(session, loaded, papers, as_at),
        "meetings": [_meeting(session, loaded, m, papers, now) for m in meetings],
        "agreements": [
            {"id": a.id,
             "item": AGREEMENT_ITEMS.get(a.item, a.item.replace("_", " ").capitalize()),
             "stage": _stage_title(loaded, a.stage), "agreed_by": json.loads(a.agreed_by),
             "dissent": json.loads(a.dissent), "note": a.note,
             "on": local_date(a.recorded_at)}
            for a in repo.agreements_for(session, review_id)
        ],
        "activities": [
            {"method": a.method, "on": a.held_on, "stage": _stage_title(loaded, a.stage),
             "categories": json.loads(a.categories), "organisations": json.loads(a.organisations),
             "said": a.summary, "did": a.outcome}
            for a in repo.activities_for(session, review_id)
        ],
        "organisations": sorted(
            {(m.organisation, m.category) for m in repo.party_for(session, review_id)}
        ),
        "chosen": [
            {"name": o.name, "rationale": appraisal.rationale}
            for o in appraisal.ranked if o.chosen
        ],
        "actions": [
            {"title": a.title, "due": a.due, "status": a.status}
            for a in repo.actions_for(session, review_id)
        ],
        "papers": [_paper(p) for p in papers.values()],
        "ended": _ending(session, review),
    }
    folder = f"reviews/{review_path(review.ref)}"
    for paper in papers.values():
        name = _paper_file(paper)
        if name is not None and paper.content is not None:
            site.files[f"{folder}/papers/{name}"] = paper.content
    site.entries += _entries(page, folder)
    return page


def _entries(page: dict[str, Any], folder: str) -> list[dict[str, Any]]:
    """The Atom entries of one review: its stages, meetings, consultations and agreements."""
    ref, link = page["ref"], f"{folder}/index.html"
    found = [
        {"key": f"{ref}/stage/{s['id']}", "title": f"{ref} {page['title']}: {s['title']}",
         "on": s["entered"], "summary": f"The review entered its {s['title']} stage.",
         "link": link}
        for s in page["stages"]
    ]
    for m in page["meetings"]:
        on = long_instant(m["starts_at"])
        found.append({"key": f"{ref}/meeting/{m['id']}", "title": f"{m['kind']}: {m['title']}",
                      "on": m["announced"], "link": f"{link}#meeting-{m['id']}",
                      "summary": f"{on} at {m['place']}: {m['status']}."})
    for c in page["consultation"]:
        until = f" Views by {long_date(c['views_by'])}." if c["views_by"] else ""
        found.append({"key": f"{ref}/consultation/{c['id']}",
                      "title": f"Consultation: {c['title']}",
                      "on": c["circulated"], "link": f"{link}#consultation",
                      "summary": f"Circulated for discussion.{until}"})
    for a in page["agreements"]:
        found.append({"key": f"{ref}/agreement/{a['id']}", "title": f"Agreed: {a['item']}",
                      "on": a["on"], "link": f"{link}#decisions",
                      "summary": f"Agreed by {', '.join(a['agreed_by']) or 'the working party'}"
                      + (f"; dissent: {', '.join(a['dissent'])}." if a["dissent"] else ".")})
    return found


def _programme(
    items: Iterable[ProgrammeItem], reviews: list[Review], pages: dict[str, dict[str, Any]]
) -> list[dict[str, Any]]:
    """The programme year by year: each planned item, and each review not planned."""
    years: dict[int, list[dict[str, Any]]] = {}
    planned = set()
    for item in items:
        page = pages.get(item.review_ref or "")
        planned.add(item.review_ref)
        years.setdefault(item.year, []).append({
            "service": item.service, "priority": item.priority.capitalize(),
            "status": "Not going ahead" if item.status == "dropped" else
            page["status"] if page else "Planned",
            "stage": page["stage"] if page else None, "page": page,
        })
    for review in reviews:
        if review.ref not in planned:
            page = pages[review.ref]
            years.setdefault(page["opened"].year, []).append({
                "service": review.service, "priority": None, "status": page["status"],
                "stage": page["stage"], "page": page})
    return [{"year": y, "items": years[y]} for y in sorted(years)]


def _feed(authority: str, namespace: uuid.UUID, entries: list[dict[str, Any]]) -> bytes:
    entries = sorted(entries, key=lambda e: (e["on"], e["key"]), reverse=True)
    for e in entries:
        e["id"] = f"urn:uuid:{uuid.uuid5(namespace, e['key'])}"
    updated = entries[0]["on"] if entries else date(2000, 1, 1)
    text = render_page("feed.atom", {
        "authority": authority, "entries": entries, "updated": updated,
        "id": f"urn:uuid:{uuid.uuid5(namespace, 'feed')}"})
    return text.encode("utf-8")


def _build(session: Session, app: App, now: datetime) -> _Site:
    """Every file of the site, recording the meetings first published on the way."""
    site = _Site()
    authority = repo.load_authority(session)
    as_at = repo.record_as_at(session)
    reviews = list(repo.find_reviews(session, repo.ReviewFilter()))
    pages: dict[str, dict[str, Any]] = {}
    for review in reviews:
        loaded = load(session, review.ref)
        when = as_at.get(review.ref, review.updated_at)
        pages[review.ref] = page = _review_page(session, loaded, when, now, site, app)
        page["authority"] = authority.name
        site.files[f"reviews/{review_path(review.ref)}/index.html"] = render_page(
            "review.html", {"page": page, "authority": authority.name, "root": "../../"}
        ).encode("utf-8")
    years = _programme(repo.programme_items(session), reviews, pages)
    for year in years:
        for item in year["items"]:
            if item["page"]:
                item["href"] = f"reviews/{review_path(item['page']['ref'])}/index.html"
    record_at = as_at.get(None, authority.created_at)
    # A year's plan goes public once the financial year it reports on has ended (31 March):
    # before then its outturns are not the year's.
    plans = [y for y in plan_years(session) if date(y, 4, 1) <= local_date(record_at)]
    for plan in plans:
        site.files[f"performance-plan/{plan}/index.html"] = plan_page(
            session, plan, record_at, app.settings.plan_due).encode("utf-8")
    site.files["index.html"] = render_page("index.html", {
        "authority": authority.name, "years": years, "root": "", "plans": plans,
        "as_at": record_at}).encode("utf-8")
    site.files["style.css"] = style_sheet().encode("utf-8")
    namespace = uuid.uuid5(uuid.NAMESPACE_URL, f"bvflow:{authority.name}:"
                           f"{authority.created_at.isoformat()}")
    site.files["feed.atom"] = _feed(authority.name, namespace, site.entries)
    site.files[MARKER] = MARKER_TEXT
    return site


def _digest(files: dict[str, bytes]) -> str:
    hasher = hashlib.sha256()
    for name in sorted(files):
        hasher.update(name.encode() + b"\0" + hashlib.sha256(files[name]).digest())
    return hasher.hexdigest()


def publish(app: App, out: Path) -> PublishResult:
    """Write the public site into ``out``; record what was first published, in one
    transaction with the rows of the publication clock. Nothing changed: nothing written."""
    target = check_out(out, app.db.path)
    now = app.now()
    build = None
    try:
        with app.db.write() as session:
            before = _existing(target)  # read under the write lock: two runs take turns
            site = _build(session, app, now)
            digest = _digest(site.files)
            changed = site.files != before
            removed = sorted(set(before) - set(site.files))
            first = [
                {"meeting": r.meeting_id, "subject": r.subject, "paper": r.evidence_id,
                 "starts_at": r.starts_at.isoformat()}
                for r in site.first
            ]
            event = None
            if changed or first:
                payload = {"out": str(target), "files": len(site.files), "digest": digest,
                           "first_published": first, "removed": removed}
                event = repo.append_event(
                    session, NewEvent(now, app.actor, "publication.published", payload=payload)
                ).seq
                if changed:
                    try:
                        build = _stage(target, site.files)
                    except OSError as exc:
                        raise InputError(f"cannot write the site beside {out}: {exc}") from exc
        if build is not None:
            _swap(build, target)
    finally:
        if build is not None and build.exists():
            shutil.rmtree(build, ignore_errors=True)
    return PublishResult(str(out), len(site.files), changed, digest, removed, first, event)
