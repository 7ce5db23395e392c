"""Meetings of a review: scheduled with the notice their kind needs, judged by the notice
each member actually got.

A working-party or public meeting needs the notice the council agreed; a committee, cabinet
or council meeting needs the nation's lawful notice (bvflow.domain.notice). Notice runs from
when each member's notice was *delivered* (the outbox's sent time), not from when it was
queued: a scheduler stopped for days shortens everyone's notice, and the meeting then counts
for a stage's requirement only once the coordinator accepts the short notice with a reason,
which is audited.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Final

from bvflow import inputs
from bvflow.domain.calendar import local_date, london_instant
from bvflow.domain.dates import long_date as _day
from bvflow.domain.involvement import DISCLOSURES, ROLES, paper_disclosure
from bvflow.domain.notice import (
    MEETING_KINDS,
    STATUTORY_KINDS,
    NoticeRule,
    key_decision_allowed,
    rule_for,
)
from bvflow.domain.publication import PublicNotice, public_notice
from bvflow.domain.requirements import MeetingFact
from bvflow.errors import InputError, RefusedError
from bvflow.services.app import App, Loaded, load, load_live, record_change, timing
from bvflow.services.involvement import default_disclosure, on_the_party, paper_dicts, paper_row
from bvflow.services.notices import Recipient, context_for, everyone, outbox_rows
from bvflow.services.views import View
from bvflow.store import Session, changes, repo
from bvflow.store.models import Evidence, Meeting


@dataclass(frozen=True)
class NoticeGiven(View):
    """One member's notice of a meeting: when it reached them and how many clear days."""

    email: str
    name: str
    status: str  # sent | pending | sending | failed
    delivered_at: str | None
    clear_days: int | None
    short: bool


@dataclass(frozen=True)
class MeetingView(View):
    id: int
    uid: str
    sequence: int
    stage: str
    title: str
    place: str
    starts_at: str
    minutes: int
    status: str
    notice_days: int
    override_reason: str | None
    kind: str = "working_party"
    notice: str = ""
    lawful: bool = False
    key_decision: bool = False
    short_notice_accepted: str | None = None
    members: list[dict[str, Any]] = field(default_factory=list)
    # On scheduling: clear days to spare if the notice is delivered today (0: deliver today).
    spare_days: int | None = None
    # The record of the meeting (bvflow meeting record): it counts as held once recorded.
    held: bool = False
    attended: list[str] = field(default_factory=list)
    apologies: list[str] = field(default_factory=list)
    minutes_id: int | None = None
    # Its time has passed and it is not recorded yet ('to record' in meeting list).
    to_record: bool = False
    # A committee, cabinet or council meeting: its public notice, counted from when
    # bvflow publish first put it and its public papers on the site.
    public_notice: str | None = None
    public_short: bool = False




def stored_rule(meeting: Meeting, nation: str) -> NoticeRule:
    """The rule a meeting was scheduled under: its days and counting as kept, the citation
    of its kind."""
    base = rule_for(meeting.kind, nation, meeting.notice_days, key_decision=meeting.key_decision)
    return NoticeRule(meeting.notice_days, meeting.notice_counting, base.lawful, base.citation)


def _new_rule(loaded: Loaded, kind: str, key_decision: bool) -> NoticeRule:
    nation = loaded.calendar.nation
    settings = loaded.definition.involvement
    return rule_for(
        kind, nation, settings.notice_days(nation), settings.statutory_clear_days, key_decision
    )


def needed(meeting: Meeting, rule: NoticeRule, loaded: Loaded) -> int:
    """The clear days each member must get: the rule's, or, when the coordinator scheduled
    inside the notice period with an override, the days a notice delivered then would have
    given (the override accepts that shortfall, not a later delivery's)."""
    if meeting.override_reason is None:
        return rule.days
    then = rule.given(
        loaded.calendar, local_date(meeting.notice_sent_at), local_date(meeting.starts_at)
    )
    return min(rule.days, then)


def _first_notice_of_its_time(session: Session, meeting: Meeting) -> int:
    """For a meeting scheduled before notice_sequence was kept (schema 0009): the earliest
    sequence whose notice already announced the current time (a change of place after it
    does not restart the notice)."""
    announced = repo.queued_times(session, int(meeting.id or 0))
    sequence = meeting.sequence
    while sequence - 1 in announced and announced[sequence - 1] == meeting.starts_at:
        sequence -= 1
    return sequence


def notices_given(
    session: Session, loaded: Loaded, meeting: Meeting, now: datetime
) -> list[NoticeGiven]:
    """Each working-party member's notice of ``meeting``, from its outbox deliveries.

    A failed delivery is short at once (someone must act); a notice still waiting is short
    once even delivery today would be too late.
    """
    rule = stored_rule(meeting, loaded.calendar.nation)
    days = needed(meeting, rule, loaded)
    sequence = meeting.notice_sequence
    if sequence is None:
        sequence = _first_notice_of_its_time(session, meeting)
    meeting_on = local_date(meeting.starts_at)
    found = []
    for sent in repo.deliveries(session, f"meeting:{meeting.id}:{sequence}"):
        if sent.role not in ROLES:
            continue  # the coordinator and watchers: not working-party members
        given: int | None = None
        if sent.sent_at is not None:
            delivered = min(sent.sent_at, meeting.starts_at)
            given = rule.given(loaded.calendar, local_date(delivered), meeting_on)
            short = given < days
        elif sent.status == "failed":
            short = True
        else:
            short = rule.given(loaded.calendar, local_date(now), meeting_on) < days
        found.append(
            NoticeGiven(
                sent.email,
                sent.name,
                sent.status,
                sent.sent_at.isoformat() if sent.sent_at else None,
                given,
                short,
            )
        )
    return found


def public_notice_of(
    session: Session, loaded: Loaded, meeting: Meeting, now: datetime
) -> PublicNotice | None:
    """The public notice of a statutory meeting from its publication (None for a working-party
    or public meeting, whose notice the council agreed): from the first publication of its
    current time and of each of its public papers (bvflow.domain.publication)."""
    if meeting.kind not in STATUTORY_KINDS or meeting.status == "cancelled":
        return None
    rows = repo.publications_for(session, [int(meeting.id or 0)])
    at = meeting.starts_at
    notice = next(
        (r.published_at for r in rows if r.subject == "notice" and r.starts_at == at), None
    )
    public = [
        e.id
        for e in repo.evidence_by_ids(session, json.loads(meeting.papers or "[]"))
        if e.disclosure == "public" and e.withdrawn_at is None
    ]
    papers = {r.evidence_id: r.published_at for r in reversed(rows) if r.subject == "paper"}
    first = repo.first_publication(session)
    day = local_date
    return public_notice(
        stored_rule(meeting, loaded.calendar.nation),
        loaded.calendar,
        day(meeting.starts_at),
        day(min(now, meeting.starts_at)),
        day(notice) if notice else None,
        [day(papers[i]) if i in papers else None for i in public],
        judged=bool(rows) or (first is not None and first < meeting.starts_at),
    )


def _meeting_view(row: Meeting, nation: str, members: Sequence[NoticeGiven] = ()) -> MeetingView:
    rule = stored_rule(row, nation)
    return MeetingView(
        int(row.id or 0),
        row.uid,
        row.sequence,
        row.stage,
        row.title,
        row.place,
        row.starts_at.isoformat(),
        row.minutes,
        row.status,
        row.notice_days,
        row.override_reason,
        row.kind,
        rule.describe(),
        rule.lawful,
        row.key_decision,
        row.short_notice_accepted,
        [m.as_dict() for m in members],
        held=row.held_recorded_at is not None,
        attended=json.loads(row.attended or "[]"),
        apologies=json.loads(row.apologies or "[]"),
        minutes_id=row.minutes_id,
    )


def _check_notice(
    loaded: Loaded,
    rule: NoticeRule,
    starts_at: datetime,
    now: datetime,
    override: str | None,
    action: str = "schedule a meeting for",
) -> None:
    """Refuse a meeting inside its notice window unless overridden, and an override outside
    it (it would tell every member their notice is short, and excuse nothing)."""
    if starts_at <= now:
        raise InputError("the meeting must be in the future")
    today, day = local_date(now), local_date(starts_at)
    given = rule.given(loaded.calendar, today, day)
    if given >= rule.days:
        if override is not None:
            raise InputError(
                f"--reason is only for a meeting inside its notice period: notice delivered "
                f"today gives the full {rule.days} {rule.unit} before {_day(day)}"
            )
        return
    if override is not None:
        return
    earliest = rule.earliest(loaded.calendar, today)
    working = earliest
    while not loaded.calendar.is_working_day(working):
        working += timedelta(days=1)
    first = "" if working == earliest else f", the first working day {_day(working)}"
    what = "lawful date" if rule.lawful else "date with the agreed notice"
    raise RefusedError(
        loaded.review.ref,
        action,
        f"notice delivered today gives {given} of {rule.days} {rule.unit} before {_day(day)} "
        f"({rule.label}: {rule.citation}); the earliest {what} is {_day(earliest)}"
        f"{first} (or override with --reason)",
    )


def queue_meeting(
    session: Session,
    loaded: Loaded,
    meeting: Meeting,
    kind: str,
    now: datetime,
    papers: Sequence[Evidence],
    reason: str | None,
    people: list[Recipient] | None = None,
    key: str | None = None,
) -> None:
    """Queue a meeting's notice, update or cancellation, with its papers and invitation, to
    everyone on the review (or to ``people``, under ``key``: a newcomer's copy is keyed apart
    so that it does not count in the notice the members on the party at scheduling got)."""
    assert meeting.id is not None
    rule = stored_rule(meeting, loaded.calendar.nation)
    context = context_for(
        loaded,
        repo.load_authority(session).name,
        timing(session, loaded, now),
        meeting={
            "id": meeting.id,
            "uid": meeting.uid,
            "sequence": meeting.sequence,
            "title": meeting.title,
            "place": meeting.place,
            "starts_at": meeting.starts_at.isoformat(),
            "minutes": meeting.minutes,
            "status": meeting.status,
            "kind": meeting.kind,
            "kind_title": MEETING_KINDS[meeting.kind],
            "notice_days": meeting.notice_days,
            "notice": rule.describe(),
            "notice_label": rule.label,
            "override_reason": meeting.override_reason,
        },
        reason=reason,
        at=now.isoformat(),
    )
    rows = outbox_rows(
        loaded.review,
        kind,
        key or f"meeting:{meeting.id}:{meeting.sequence}",
        everyone(session, loaded.review) if people is None else people,
        context,
        now,
        paper_dicts(papers),
    )
    repo.queue_messages(session, rows)


def _spare(loaded: Loaded, rule: NoticeRule, meeting: Meeting, now: datetime) -> int | None:
    """Clear days to spare if the notice is delivered today; None after an override."""
    if meeting.override_reason is not None:
        return None
    given = rule.given(loaded.calendar, local_date(now), local_date(meeting.starts_at))
    return given - rule.days


def _key_decision(loaded: Loaded, kind: str, key_decision: bool | None) -> bool:
    """Whether a meeting takes an executive key decision: by default every English cabinet
    meeting does (the reading that gives more time); elsewhere it cannot."""
    allowed = key_decision_allowed(kind, loaded.calendar.nation)
    if key_decision and not allowed:
        raise InputError(
            "--key-decision is only for a cabinet meeting in England (28 clear days' notice, "
            "SI 2012/2089 reg 9)"
        )
    return allowed if key_decision is None else key_decision


def schedule_meeting(
    app: App,
    ref: str,
    title: str,
    at: datetime,
    place: str,
    papers: Sequence[Path] = (),
    disclosure: str | None = None,
    minutes: int = 120,
    override_reason: str | None = None,
    kind: str = "working_party",
    key_decision: bool | None = None,
) -> MeetingView:
    """Schedule a meeting and send its notice, papers and invitation to the working party.

    The notice period runs from when each member's notice is delivered, not from now.
    """
    if kind not in MEETING_KINDS:
        raise InputError(f"unknown meeting kind {kind!r} (known: {', '.join(MEETING_KINDS)})")
    title = inputs.text(title, "the title")
    place = inputs.text(place, "the place")
    reason = inputs.reason(override_reason, "short notice") if override_reason is not None else None
    at = london_instant(at)
    loaded = load_live(app, ref, "schedule a meeting for")
    decides = _key_decision(loaded, kind, key_decision)
    rule = _new_rule(loaded, kind, decides)
    now = app.now()
    with app.db.read() as session:
        agreed = default_disclosure(session, int(loaded.review.id or 0))
    level = paper_disclosure(disclosure, agreed)
    rows = [paper_row(loaded, app, "meeting_papers", p, p.name, level, now) for p in papers]
    with app.db.write() as session:
        _check_notice(loaded, rule, at, now, reason)
        for row in rows:
            repo.add_evidence(session, row)
        meeting = Meeting(
            review_id=int(loaded.review.id or 0),
            stage=loaded.review.stage,
            uid=f"{uuid.uuid4()}@bvflow",
            title=title,
            place=place,
            starts_at=at,
            minutes=minutes,
            papers=json.dumps([r.id for r in rows]),
            notice_days=rule.days,
            override_reason=reason,
            notice_sent_at=now,
            created_by=app.actor,
            kind=kind,
            key_decision=decides,
            notice_counting=rule.counting,
            notice_sequence=0,
        )
        changes.insert(session, meeting)
        if reason is not None:
            record_change(
                session,
                app,
                now,
                loaded,
                "meeting.notice_overridden",
                {"meeting_id": meeting.id, "reason": reason, "notice_days": rule.days},
            )
        record_change(
            session,
            app,
            now,
            loaded,
            "meeting.scheduled",
            {
                "meeting_id": meeting.id,
                "uid": meeting.uid,
                "title": title,
                "place": place,
                "starts_at": at.isoformat(),
                "papers": [r.id for r in rows],
                "kind": kind,
                "key_decision": decides,
                "notice": rule.describe(),
            },
        )
        queue_meeting(session, loaded, meeting, "meeting_notice", now, rows, None)
    return replace(
        _meeting_view(meeting, loaded.calendar.nation),
        spare_days=_spare(loaded, rule, meeting, now),
    )


def _meeting(session: Session, loaded: Loaded, meeting_id: int, now: datetime) -> Meeting:
    meeting = repo.load_meeting(session, loaded.review, meeting_id)
    if meeting.status == "cancelled":
        raise RefusedError(loaded.review.ref, "change meeting", f"{meeting_id} is cancelled")
    if meeting.starts_at <= now:
        raise RefusedError(
            loaded.review.ref, "change meeting", f"{meeting_id} has already taken place"
        )
    return meeting


def reschedule_meeting(
    app: App,
    ref: str,
    meeting_id: int,
    at: datetime | None = None,
    place: str | None = None,
    override_reason: str | None = None,
) -> MeetingView:
    """Move a meeting: a new time needs notice again, from the new notice's delivery."""
    if at is None and place is None:
        raise InputError("give a new --at or --place")
    if at is None and override_reason is not None:
        raise InputError("--reason is only for a new --at inside the notice period")
    reason = inputs.reason(override_reason, "short notice") if override_reason is not None else None
    loaded = load_live(app, ref, "reschedule a meeting of")
    now = app.now()
    with app.db.write() as session:
        meeting = _meeting(session, loaded, meeting_id, now)
        moved: dict[str, object] = {"sequence": meeting.sequence + 1}
        if at is not None:
            starts = london_instant(at)
            rule = _new_rule(loaded, meeting.kind, meeting.key_decision)
            _check_notice(loaded, rule, starts, now, reason, "move a meeting of")
            moved.update(
                starts_at=starts,
                override_reason=reason,
                notice_sent_at=now,
                notice_days=rule.days,
                notice_counting=rule.counting,
                notice_sequence=meeting.sequence + 1,
                short_notice_accepted=None,
            )
        if place is not None:
            moved["place"] = inputs.text(place, "the place")
        changes.update(session, meeting, moved)
        record_change(
            session,
            app,
            now,
            loaded,
            "meeting.rescheduled",
            {
                "meeting_id": meeting.id,
                "starts_at": meeting.starts_at.isoformat(),
                "place": meeting.place,
                "sequence": meeting.sequence,
                "override_reason": reason,
            },
        )
        papers = repo.evidence_by_ids(session, json.loads(meeting.papers))
        queue_meeting(session, loaded, meeting, "meeting_updated", now, papers, reason)
    return _meeting_view(meeting, loaded.calendar.nation)


def cancel_meeting(app: App, ref: str, meeting_id: int, reason: str | None) -> MeetingView:
    """Cancel a meeting; calendars receive a CANCEL for the same UID."""
    why = inputs.reason(reason, "cancelling a meeting")
    loaded = load_live(app, ref, "cancel a meeting of")
    now = app.now()
    with app.db.write() as session:
        meeting = _meeting(session, loaded, meeting_id, now)
        changes.update(session, meeting, {"status": "cancelled", "sequence": meeting.sequence + 1})
        record_change(
            session,
            app,
            now,
            loaded,
            "meeting.cancelled",
            {"meeting_id": meeting.id, "reason": why, "sequence": meeting.sequence},
        )
        queue_meeting(session, loaded, meeting, "meeting_cancelled", now, [], why)
    return _meeting_view(meeting, loaded.calendar.nation)


MAX_ORGANISATIONS: Final = 100


def _organisations(names: Sequence[str], what: str) -> list[str]:
    found: list[str] = []
    for name in names:
        cleaned = inputs.text(name, f"an organisation in {what}", max_length=200)
        if cleaned.lower() in (f.lower() for f in found):
            raise InputError(f"{cleaned!r} is named twice in {what}")
        found.append(cleaned)
    if len(found) > MAX_ORGANISATIONS:
        limit = MAX_ORGANISATIONS
        raise InputError(f"{what} names {len(found)} organisations; the limit is {limit}")
    return found


def record_meeting(
    app: App,
    ref: str,
    meeting_id: int,
    attended: Sequence[str],
    apologies: Sequence[str] = (),
    minutes: Path | None = None,
    disclosure: str | None = None,
    external: Sequence[str] = (),
) -> MeetingView:
    """Record that a meeting was held: who attended, who sent apologies, and its minutes.

    Each organisation is on the working party or named with ``external`` too (a guest body,
    say), and is written as the working party spells it.

    A meeting counts as held (for the ``meeting`` requirement and in reports) only once
    recorded, and only after its start time. Recorded once; a mistake is corrected with a
    new record's reason in the audit trail, not by editing this one.
    """
    present = _organisations(attended, "--attended")
    if not present:
        raise InputError("name at least one organisation that attended (--attended ORG)")
    absent = _organisations(apologies, "--apologies")
    both = {a.lower() for a in present} & {a.lower() for a in absent}
    if both:
        raise InputError(f"{sorted(both)[0]!r} cannot both attend and send apologies")
    if disclosure is not None and disclosure not in DISCLOSURES:
        raise InputError(f"disclosure must be one of {', '.join(DISCLOSURES)}, not {disclosure!r}")
    loaded = load_live(app, ref, "record a meeting of")
    now = app.now()
    review = loaded.review
    with app.db.write() as session:
        meeting = repo.load_meeting(session, review, meeting_id)
        if meeting.status == "cancelled":
            raise RefusedError(ref, "record", f"meeting {meeting_id} was cancelled")
        if meeting.starts_at > now:
            starts = _day(local_date(meeting.starts_at))
            raise RefusedError(
                ref, "record", f"meeting {meeting_id} starts {starts}: it is recorded once held"
            )
        if meeting.held_recorded_at is not None:
            raise RefusedError(ref, "record", f"meeting {meeting_id} has already been recorded")
        named = on_the_party(repo.party_for(session, int(review.id or 0)), review.ref,
                             [*present, *absent], external,
                             "neither attended nor sent apologies")
        present, absent = named[: len(present)], named[len(present) :]
        minutes_id = None
        if minutes is not None:
            level = disclosure or default_disclosure(session, int(review.id or 0))
            title = f"Minutes: {meeting.title}"
            row = paper_row(
                loaded, app, "meeting_minutes", minutes, title, level, now, meeting.stage
            )
            repo.add_evidence(session, row)
            minutes_id = row.id
        changes.update(
            session,
            meeting,
            {
                "attended": json.dumps(present, ensure_ascii=False),
                "apologies": json.dumps(absent, ensure_ascii=False),
                "minutes_id": minutes_id,
                "held_recorded_at": now,
                "held_recorded_by": app.actor,
            },
        )
        record_change(
            session,
            app,
            now,
            loaded,
            "meeting.recorded",
            {
                "meeting_id": meeting.id,
                "attended": present,
                "apologies": absent,
                "minutes_evidence_id": minutes_id,
            },
        )
        members = notices_given(session, loaded, meeting, now)
    return _meeting_view(meeting, loaded.calendar.nation, members)


def accept_short_notice(app: App, ref: str, meeting_id: int, reason: str | None) -> MeetingView:
    """Accept, with a reason, that members had short notice of a meeting (a late delivery).

    Refused when everyone had the full notice: there is nothing to accept.
    """
    why = inputs.reason(reason, "accepting short notice")
    loaded = load_live(app, ref, "accept short notice for")
    now = app.now()
    with app.db.write() as session:
        meeting = repo.load_meeting(session, loaded.review, meeting_id)
        if meeting.status == "cancelled":
            raise RefusedError(ref, "accept short notice for", f"meeting {meeting_id} is cancelled")
        short = [n for n in notices_given(session, loaded, meeting, now) if n.short]
        if not short:
            raise RefusedError(
                ref,
                "accept short notice for",
                f"meeting {meeting_id}: every member has had (or can still get) its full notice",
            )
        changes.update(session, meeting, {"short_notice_accepted": why})
        record_change(
            session,
            app,
            now,
            loaded,
            "meeting.short_notice_accepted",
            {
                "meeting_id": meeting.id,
                "reason": why,
                "short": [
                    {"email": n.email, "clear_days": n.clear_days, "status": n.status}
                    for n in short
                ],
            },
        )
        return _meeting_view(meeting, loaded.calendar.nation, short)


def meetings(app: App, ref: str) -> list[MeetingView]:
    """A review's meetings, each with the notice every member got so far."""
    now = app.now()
    with app.db.read() as session:
        loaded = load(session, ref)
        found = []
        for m in repo.meetings_for(session, int(loaded.review.id or 0)):
            public = public_notice_of(session, loaded, m, now)
            found.append(
                replace(
                    _meeting_view(
                        m, loaded.calendar.nation, notices_given(session, loaded, m, now)
                    ),
                    to_record=m.status == "scheduled"
                    and m.held_recorded_at is None
                    and m.starts_at <= now,
                    public_notice=public.describe() if public else None,
                    public_short=bool(public and public.short),
                )
            )
        return found


def _shortfall(notice: NoticeGiven, days: int) -> str:
    who = notice.name or notice.email
    if notice.clear_days is None:
        state = "delivery failed" if notice.status == "failed" else "not yet delivered"
        return f"{who} ({notice.email}): {state}"
    return f"{who} ({notice.email}): {notice.clear_days} of {days}"


def _needs(rule: NoticeRule, days: int) -> str:
    """What a meeting needs, in words: the rule, and what an override accepted."""
    if days < rule.days:
        return f"{rule.describe()}, or the {days} an override accepted when it was scheduled"
    return rule.describe()


def _meetings_now(
    session: Session, loaded: Loaded, now: datetime
) -> list[tuple[Meeting, NoticeRule, int, list[NoticeGiven]]]:
    """The scheduled meetings of this stage entry, each with its rule, the days each member
    needs and who is short."""
    review = loaded.review
    found = []
    for m in repo.meetings_for(session, int(review.id or 0), review.stage):
        if m.status != "scheduled" or m.starts_at < review.stage_entered_at:
            continue
        rule = stored_rule(m, loaded.calendar.nation)
        short = [n for n in notices_given(session, loaded, m, now) if n.short]
        found.append((m, rule, needed(m, rule, loaded), short))
    return found


def meeting_facts(session: Session, loaded: Loaded, now: datetime) -> dict[str, Any]:
    """For ``meeting``: the meetings of this stage entry, each with who got short notice."""
    return {
        "meetings": tuple(
            MeetingFact(
                id=int(m.id or 0),
                title=m.title,
                kind=m.kind,
                on=local_date(m.starts_at),
                held=m.held_recorded_at is not None,
                past=m.starts_at <= now,
                notice=_needs(rule, days),
                short=tuple(_shortfall(n, days) for n in short),
                accepted=m.short_notice_accepted,
            )
            for m, rule, days, short in _meetings_now(session, loaded, now)
        )
    }


def notice_warnings(session: Session, loaded: Loaded, now: datetime) -> list[str]:
    """A warning for each meeting of this stage entry whose notice left someone short."""
    review = loaded.review
    found = []
    for m, rule, days, short in _meetings_now(session, loaded, now):
        public = public_notice_of(session, loaded, m, now)
        if public is not None and public.short:
            found.append(f"meeting {m.id} '{m.title}' public notice: {public.describe()}")
        if not short or m.short_notice_accepted:
            continue
        tense = "was" if m.starts_at <= now else "is"
        found.append(
            f"meeting {m.id} '{m.title}' on {_day(local_date(m.starts_at))} {tense} on "
            f"short notice: it needs {_needs(rule, days)}; short: "
            f"{'; '.join(_shortfall(n, days) for n in short)}. Move it (bvflow meeting "
            f"reschedule) or accept the short notice (bvflow meeting accept-notice "
            f"{review.ref} {m.id} --reason ...)"
        )
    return found
