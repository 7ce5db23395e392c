"""``bvflow party|activity|meeting|proposal|agreement``: involving the working party."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import click

from bvflow.cli._base import (
    DATE,
    ID,
    State,
    emit_json,
    emit_table,
    json_option,
    london,
    pass_state,
    withdrawn,
)

DISCLOSURE = click.Choice(["public", "restricted", "confidential"])
# bvflow.domain.notice.MEETING_KINDS (a test keeps them equal; the CLI does not import it).
MEETING_KIND = click.Choice(["working_party", "committee", "cabinet", "council", "public"])


@click.group()
def party() -> None:
    """The review's working party: representatives who receive its notices and papers."""


@party.command(name="add")
@click.argument("ref")
@click.option("--name", required=True, help="The member's name.")
@click.option("--email", required=True, help="Where notices and papers go.")
@click.option("--organisation", required=True, help="e.g. UNISON City Branch.")
@click.option("--category", required=True, help="e.g. trade_union, tenants, users.")
@click.option(
    "--role",
    default="member",
    show_default=True,
    help="chair, member, coordinator, observer, elected_member or officer.",
)
@json_option
@pass_state
def party_add(
    state: State,
    ref: str,
    name: str,
    email: str,
    organisation: str,
    category: str,
    role: str,
    as_json: bool,
) -> None:
    """Add a member to the working party.

    \b
    Example:
      bvflow party add BV-2027-001 --name "Sam Patel" --email sam@unison.example --organisation "UNISON City Branch" --category trade_union
    """
    from bvflow.services.party import add_member

    member = add_member(state.app(), ref, name, email, organisation, category, role)
    if as_json:
        emit_json(member.as_dict())
    else:
        click.echo(f"{member.name} ({member.organisation}) joined the working party as {role}")


@party.command(name="import")
@click.argument("ref")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@json_option
@pass_state
def party_import(state: State, ref: str, file: Path, as_json: bool) -> None:
    """Add the members listed in a CSV file, all or none.

    The file is UTF-8 (a spreadsheet's byte order mark is fine) with a header line naming
    name, email, organisation and category, and optionally role (default member). If any
    line is wrong, each bad line is named and nobody is added.

    \b
    Example:
      bvflow party import BV-2027-001 members.csv
    """
    from bvflow.services.party import import_members

    added = import_members(state.app(), ref, file)
    if as_json:
        emit_json([m.as_dict() for m in added])
        return
    for member in added:
        click.echo(f"{member.name} ({member.organisation}) joined the working party as "
                   f"{member.role}")
    click.echo(f"{len(added)} member{'s' if len(added) != 1 else ''} added")


@party.command(name="list")
@click.argument("ref")
@json_option
@pass_state
def party_list(state: State, ref: str, as_json: bool) -> None:
    """List the working party.

    \b
    Example:
      bvflow party list BV-2027-001
    """
    from bvflow.services.party import members

    found = members(state.app(), ref)
    if as_json:
        emit_json([m.as_dict() for m in found])
        return
    emit_table(
        [(m.name, m.email, m.organisation, m.category, m.role) for m in found],
        ("NAME", "EMAIL", "ORGANISATION", "CATEGORY", "ROLE"),
    )


@party.command(name="remove")
@click.argument("ref")
@click.argument("email")
@click.option("--reason", required=True, help="Why they leave the working party.")
@pass_state
def party_remove(state: State, ref: str, email: str, reason: str) -> None:
    """Remove a member (recorded with the reason).

    \b
    Example:
      bvflow party remove BV-2027-001 sam@unison.example --reason "Left the branch"
    """
    from bvflow.services.party import remove_member

    remove_member(state.app(), ref, email, reason)
    click.echo(f"{email} removed from the working party")


@click.group()
def activity() -> None:
    """Involvement activities: workshops, user panels, surveys, public meetings..."""


@activity.command(name="add")
@click.argument("ref")
@click.option("--method", required=True, help="e.g. workshop, user_panel, survey, focus_group.")
@click.option("--on", "held_on", type=DATE, required=True, help="When it was held (YYYY-MM-DD).")
@click.option("--category", "categories", multiple=True, help="A category involved (repeat).")
@click.option(
    "--organisation", "organisations", multiple=True, help="An organisation involved (repeat)."
)
@click.option("--summary", default="", help="What was discussed.")
@click.option("--outcome", default="", help="What came of it.")
@json_option
@pass_state
def activity_add(
    state: State,
    ref: str,
    method: str,
    held_on: date,
    categories: tuple[str, ...],
    organisations: tuple[str, ...],
    summary: str,
    outcome: str,
    as_json: bool,
) -> None:
    """Record an activity in the review's current stage.

    \b
    Example:
      bvflow activity add BV-2027-001 --method workshop --on 2027-02-03 --category trade_union --category tenants --summary "Collection rounds"
    """
    from bvflow.services.involvement import add_activity

    found = add_activity(
        state.app(), ref, method, held_on, categories, organisations, summary, outcome
    )
    if as_json:
        emit_json(found.as_dict())
    else:
        click.echo(
            f"Activity {found.id} ({found.method}, {found.held_on}) recorded in stage {found.stage}"
        )


@activity.command(name="list")
@click.argument("ref")
@json_option
@pass_state
def activity_list(state: State, ref: str, as_json: bool) -> None:
    """List a review's activities.

    \b
    Example:
      bvflow activity list BV-2027-001
    """
    from bvflow.services.involvement import activities

    found = activities(state.app(), ref)
    if as_json:
        emit_json([a.as_dict() for a in found])
        return
    emit_table(
        [
            (str(a.id), a.held_on, a.stage, a.method, ", ".join(a.categories),
             withdrawn(a.summary, a.withdrawn_reason))
            for a in found
        ],
        ("ID", "HELD ON", "STAGE", "METHOD", "CATEGORIES", "SUMMARY"),
    )


class LondonDateTime(click.ParamType):  # type: ignore[type-arg]
    """YYYY-MM-DD HH:MM, Europe/London unless an offset is given; 1990 to 2100."""

    name = "datetime"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> datetime:
        if isinstance(value, datetime):
            return value
        from bvflow.errors import InputError
        from bvflow.inputs import iso_date

        text = str(value).strip()
        try:
            iso_date(text[:10], "the date")
            if len(text) < 16 or text[10] not in " T":
                raise ValueError(text)
            return datetime.fromisoformat(text)
        except (ValueError, InputError):
            self.fail(
                f"{text[:40]!r} is not a date and time between 1990 and 2100; "
                "write it as YYYY-MM-DD HH:MM",
                param,
                ctx,
            )


WHEN = LondonDateTime()


@click.group()
def meeting() -> None:
    """Meetings: working party, committee, cabinet, council or public, with their notice.

    A committee, cabinet or council meeting needs the nation's lawful notice; a working-party
    or public meeting the notice the council agreed in its workflow. Notice runs from when
    each member's notice is delivered (by the sweep), not from when it is scheduled.
    """


@meeting.command(name="schedule")
@click.argument("ref")
@click.option("--title", required=True)
@click.option(
    "--kind",
    type=MEETING_KIND,
    default="working_party",
    show_default=True,
    help="committee, cabinet and council meetings need lawful notice; working_party and "
    "public meetings the agreed notice.",
)
@click.option(
    "--key-decision/--no-key-decision",
    default=None,
    help="Whether a cabinet meeting in England takes a key decision (28 clear days' notice, "
    "SI 2012/2089 reg 9) [default: yes for an English cabinet meeting].",
)
@click.option("--at", "at", type=WHEN, required=True, help="YYYY-MM-DD HH:MM (London time).")
@click.option("--place", required=True)
@click.option(
    "--papers",
    "papers",
    multiple=True,
    type=click.Path(path_type=Path, dir_okay=False, exists=False),
    help="A paper to send with the notice (repeat).",
)
@click.option(
    "--papers-disclosure",
    type=DISCLOSURE,
    help="Who may see these papers. Papers are never public unless you say so here "
    "[default: restricted, or confidential if that was agreed].",
)
@click.option("--minutes", type=click.IntRange(5, 24 * 60), default=120, show_default=True)
@click.option("--reason", help="Why notice is shorter than the rules require (an override).")
@json_option
@pass_state
def meeting_schedule(
    state: State,
    ref: str,
    title: str,
    at: datetime,
    place: str,
    papers: tuple[Path, ...],
    papers_disclosure: str | None,
    minutes: int,
    reason: str | None,
    as_json: bool,
    kind: str,
    key_decision: bool | None,
) -> None:
    """Schedule a meeting; refused inside the notice period unless overridden with --reason.

    The notice period runs from when each member's notice is delivered: run the sweep (or
    keep the scheduler running) so that notices go out at once.

    \b
    Example:
      bvflow meeting schedule BV-2027-001 --title "Working party" --at "2027-02-10 18:00" --place "Committee Room 2" --papers options.pdf
      bvflow meeting schedule BV-2027-001 --kind committee --title "Environment committee" --at "2027-03-03 10:00" --place "Council Chamber"
    """
    from bvflow.services.meetings import schedule_meeting

    found = schedule_meeting(
        state.app(),
        ref,
        title,
        at,
        place,
        papers,
        papers_disclosure,
        minutes,
        reason,
        kind,
        key_decision,
    )
    if as_json:
        emit_json(found.as_dict())
    else:
        click.echo(
            f"Meeting {found.id} scheduled for "
            f"{london(datetime.fromisoformat(found.starts_at))}; notices queued. It needs "
            f"{found.notice}, counted from when each member's notice is delivered"
        )
        if found.spare_days == 0:
            click.echo(
                "No day to spare: the notices must be delivered today (bvflow sweep); "
                "delivered tomorrow they would be short"
            )


@meeting.command(name="reschedule")
@click.argument("ref")
@click.argument("meeting_id", type=ID)
@click.option("--at", "at", type=WHEN, help="The new date and time (London).")
@click.option("--place", help="The new place.")
@click.option("--reason", help="Why notice is shorter than the rules require (an override).")
@pass_state
def meeting_reschedule(
    state: State,
    ref: str,
    meeting_id: int,
    at: datetime | None,
    place: str | None,
    reason: str | None,
) -> None:
    """Move a meeting; members' calendars are updated (same UID, higher SEQUENCE).

    \b
    Example:
      bvflow meeting reschedule BV-2027-001 1 --at "2027-02-17 18:00"
    """
    from bvflow.services.meetings import reschedule_meeting

    found = reschedule_meeting(state.app(), ref, meeting_id, at, place, reason)
    click.echo(
        f"Meeting {found.id} moved to {london(datetime.fromisoformat(found.starts_at))}, "
        f"{found.place}; updates queued"
    )


@meeting.command(name="cancel")
@click.argument("ref")
@click.argument("meeting_id", type=ID)
@click.option("--reason", required=True)
@pass_state
def meeting_cancel(state: State, ref: str, meeting_id: int, reason: str) -> None:
    """Cancel a meeting; members' calendars receive a cancellation.

    \b
    Example:
      bvflow meeting cancel BV-2027-001 1 --reason "Snow"
    """
    from bvflow.services.meetings import cancel_meeting

    cancel_meeting(state.app(), ref, meeting_id, reason)
    click.echo(f"Meeting {meeting_id} cancelled; cancellations queued")


@meeting.command(name="record")
@click.argument("ref")
@click.argument("meeting_id", type=ID)
@click.option("--attended", "attended", multiple=True, metavar="ORG",
              help="An organisation that attended (repeat for each).")
@click.option("--apologies", "apologies", multiple=True, metavar="ORG",
              help="An organisation that sent apologies (repeat for each).")
@click.option("--minutes", type=click.Path(path_type=Path, dir_okay=False),
              help="The minutes, kept as evidence with the review.")
@click.option("--disclosure", type=DISCLOSURE,
              help="Who may see the minutes (default: the review's agreed default).")
@click.option("--external", "external", multiple=True, metavar="ORG",
              help="An organisation not on the working party that attended or sent apologies "
                   "(repeat; name it in --attended or --apologies too).")
@json_option
@pass_state
def meeting_record(
    state: State,
    ref: str,
    meeting_id: int,
    attended: tuple[str, ...],
    apologies: tuple[str, ...],
    minutes: Path | None,
    disclosure: str | None,
    external: tuple[str, ...],
    as_json: bool,
) -> None:
    """Record that a meeting was held: who attended, who sent apologies, the minutes.

    A meeting counts as held only once recorded, after its start time. Each organisation
    is on the working party, or named with --external too.

    \b
    Example:
      bvflow meeting record BV-2027-001 1 --attended "UNISON City Branch" --attended "Tenants' Federation" --apologies GMB --minutes minutes.pdf
    """
    from bvflow.services.meetings import record_meeting

    view = record_meeting(
        state.app(), ref, meeting_id, attended, apologies, minutes, disclosure, external
    )
    if as_json:
        emit_json(view.as_dict())
        return
    away = f"; apologies from {len(apologies)}" if apologies else ""
    kept = "; minutes kept as evidence" if minutes else ""
    click.echo(f"Meeting {meeting_id} recorded as held: {len(attended)} "
               f"organisation{'s' if len(attended) != 1 else ''} attended{away}{kept}")


@meeting.command(name="accept-notice")
@click.argument("ref")
@click.argument("meeting_id", type=ID)
@click.option("--reason", required=True, help="Why the short notice is accepted (audited).")
@pass_state
def meeting_accept_notice(state: State, ref: str, meeting_id: int, reason: str) -> None:
    """Accept, with a reason, that members had short notice of a meeting.

    A late delivery (a scheduler stopped for days, a failed address) can leave members
    short of the notice the meeting needs; the meeting then counts for the stage's
    requirement only once the coordinator accepts it. Refused when nobody was short.

    \b
    Example:
      bvflow meeting accept-notice BV-2027-001 1 --reason "All members attended and agreed to proceed"
    """
    from bvflow.services.meetings import accept_short_notice

    found = accept_short_notice(state.app(), ref, meeting_id, reason)
    names = "; ".join(f"{m['name'] or m['email']}" for m in found.members)
    click.echo(f"Short notice of meeting {meeting_id} accepted (short: {names})")


@meeting.command(name="list")
@click.argument("ref")
@json_option
@pass_state
def meeting_list(state: State, ref: str, as_json: bool) -> None:
    """List a review's meetings.

    \b
    Example:
      bvflow meeting list BV-2027-001
    """
    from bvflow.services.meetings import meetings

    found = meetings(state.app(), ref)
    if as_json:
        emit_json([m.as_dict() for m in found])
        return
    emit_table(
        [
            (
                str(m.id),
                london(datetime.fromisoformat(m.starts_at)),
                "held" if m.held else "to record" if m.to_record else m.status,
                m.stage,
                m.kind.replace("_", " "),
                m.title,
                m.place,
                "-"
                if m.status == "cancelled"
                else _notice_cell(
                    m.notice_days, m.members, m.override_reason, m.short_notice_accepted
                )
                + ("; public notice short" if m.public_short else ""),
            )
            for m in found
        ],
        ("ID", "WHEN", "STATUS", "STAGE", "KIND", "TITLE", "PLACE", "NOTICE"),
    )
    for m in found:
        if m.public_short:
            click.echo(f"meeting {m.id}: {m.public_notice}")


def _notice_cell(
    days: int, members: list[dict[str, object]], override: str | None, accepted: str | None
) -> str:
    """'5 days: all delivered', '5 days: 2 waiting', 'override: 2 short (accepted)'."""
    short = sum(1 for m in members if m["short"])
    waiting = sum(1 for m in members if m["delivered_at"] is None and not m["short"])
    parts = []
    if short:
        parts.append(f"{short} short" + (" (accepted)" if accepted else ""))
    if waiting:
        parts.append(f"{waiting} waiting")
    if members and not parts:
        parts.append("all delivered")
    head = f"{days} days" if override is None else "override"
    return f"{head}: {', '.join(parts)}" if parts else head


@click.group()
def proposal() -> None:
    """Proposals circulated to the working party for discussion."""


@proposal.command(name="circulate")
@click.argument("ref")
@click.option("--title", required=True)
@click.option("--file", "file", required=True, type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--disclosure",
    type=DISCLOSURE,
    help="Who may see the proposal. It is never public unless you say so here "
    "[default: restricted, or confidential if that was agreed].",
)
@json_option
@pass_state
def proposal_circulate(
    state: State, ref: str, title: str, file: Path, disclosure: str | None, as_json: bool
) -> None:
    """Send a proposal to the working party; its discussion period starts when it
    has reached every member.

    \b
    Example:
      bvflow proposal circulate BV-2027-001 --title "Options for rounds" --file options.pdf
    """
    from bvflow.services.involvement import circulate_proposal

    found = circulate_proposal(state.app(), ref, title, file, disclosure)
    if as_json:
        emit_json(found.as_dict())
    else:
        click.echo(
            f"Proposal {found.id} circulated ({found.disclosure}); notices queued. Its "
            "discussion period starts when it has been delivered to every member"
        )


@proposal.command(name="list")
@click.argument("ref")
@json_option
@pass_state
def proposal_list(state: State, ref: str, as_json: bool) -> None:
    """List a review's proposals.

    \b
    Example:
      bvflow proposal list BV-2027-001
    """
    from bvflow.services.involvement import proposals

    found = proposals(state.app(), ref)
    if as_json:
        emit_json([p.as_dict() for p in found])
        return
    emit_table(
        [(str(p.id), p.stage, p.disclosure, p.circulated_at[:10], p.title) for p in found],
        ("ID", "STAGE", "DISCLOSURE", "CIRCULATED", "TITLE"),
    )


@click.group()
def agreement() -> None:
    """Agreements: baseline profile, information disclosure, priorities, targets..."""


@agreement.command(name="record")
@click.argument("ref")
@click.option(
    "--item",
    required=True,
    help="baseline_profile, information_disclosure, "
    "priorities, performance_targets, scope, timetable.",
)
@click.option("--agreed-by", "agreed_by", multiple=True, help="An organisation agreeing (repeat).")
@click.option(
    "--all-members",
    "everyone",
    is_flag=True,
    help="Every organisation on the working party agreed (but any named with --dissent).",
)
@click.option("--dissent", multiple=True, help="An organisation dissenting (repeat).")
@click.option("--note", default="", help="The dissent, or anything else to record.")
@click.option(
    "--external",
    multiple=True,
    help="An organisation not on the working party that agreed or dissented (repeat; name "
    "it in --agreed-by or --dissent too). Others must be on the working party.",
)
@click.option(
    "--disclosure-default",
    type=DISCLOSURE,
    help="With information_disclosure: the default for evidence; papers sent by email "
    "follow it only when it is stricter (confidential).",
)
@json_option
@pass_state
def agreement_record(
    state: State,
    ref: str,
    item: str,
    agreed_by: tuple[str, ...],
    dissent: tuple[str, ...],
    note: str,
    everyone: bool,
    external: tuple[str, ...],
    disclosure_default: str | None,
    as_json: bool,
) -> None:
    """Record an item as agreed, with who agreed and who dissented.

    \b
    Example:
      bvflow agreement record BV-2027-001 --item baseline_profile --agreed-by UNISON --agreed-by "Tenants' Federation" --dissent GMB --note "GMB wants 2019 figures"
    """
    from bvflow.services.involvement import record_agreement

    found = record_agreement(
        state.app(), ref, item, agreed_by, dissent, note, disclosure_default, external, everyone
    )
    if as_json:
        emit_json(found.as_dict())
    else:
        dissent_text = f"; dissent: {', '.join(found.dissent)}" if found.dissent else ""
        click.echo(f"Agreement on {found.item} recorded in stage {found.stage}{dissent_text}")


@agreement.command(name="list")
@click.argument("ref")
@json_option
@pass_state
def agreement_list(state: State, ref: str, as_json: bool) -> None:
    """List a review's agreements, dissent included.

    \b
    Example:
      bvflow agreement list BV-2027-001
    """
    from bvflow.services.involvement import agreements

    found = agreements(state.app(), ref)
    if as_json:
        emit_json([a.as_dict() for a in found])
        return
    emit_table(
        [
            (
                str(a.id),
                a.stage,
                a.item,
                ", ".join(a.agreed_by),
                ", ".join(a.dissent) or "-",
                withdrawn(a.note, a.withdrawn_reason),
            )
            for a in found
        ],
        ("ID", "STAGE", "ITEM", "AGREED BY", "DISSENT", "NOTE"),
    )


COMMANDS = [party, activity, meeting, proposal, agreement]
