"""iCalendar invitations for working-party meetings (RFC 5545/5546 via ``icalendar``).

The UID is stable for a meeting and SEQUENCE rises with every change, so calendar clients
update or cancel the event they already hold rather than adding another.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final

from bvflow.domain.calendar import LONDON

# RFC 5545 s.3.2.16: an observer may come but is not needed; a watcher outside the working
# party is sent the meeting for information. Every other member is asked to attend.
ATTENDEE_ROLES: Final[dict[str | None, str]] = {
    "observer": "OPT-PARTICIPANT",
    None: "NON-PARTICIPANT",
}


def invitation(
    *,
    uid: str,
    sequence: int,
    method: str,
    title: str,
    place: str,
    starts_at: datetime,
    minutes: int,
    organiser: str,
    attendee: str,
    description: str,
    stamp: datetime,
    organiser_name: str = "",
    attendee_name: str = "",
    sent_by: str | None = None,
    attendee_role: str | None = "member",
) -> tuple[str, str]:
    """One VCALENDAR in Europe/London time, and its METHOD.

    A member gets REQUEST (or CANCEL) with themselves as the ATTENDEE asked to reply; an
    observer is an optional participant, and a watcher (``attendee_role`` None, outside the
    party) a non-participant asked for no reply. The organiser is not invited to their own
    meeting: their copy is PUBLISH, with no attendee and nothing to answer (RFC 5546
    s.3.2.1). Names go in CN; SENT-BY names the address the message comes from when it is
    not the organiser's (RFC 5545 s.3.2.18).
    """
    # Imported here: a sweep with no meeting in it (and every other command) never needs it.
    from icalendar import Calendar, Event, Timezone, vCalAddress, vText

    calendar = Calendar()
    calendar.add("prodid", "-//bvflow//Best Value review meetings//EN")
    calendar.add("version", "2.0")
    cancelled = method == "CANCEL"
    own = attendee.lower() == organiser.lower()
    if own:
        method = "PUBLISH"
    calendar.add("method", method)
    start = starts_at.astimezone(LONDON)
    zone = Timezone.from_tzid(
        "Europe/London",
        first_date=start.date() - timedelta(days=366),
        last_date=start.date() + timedelta(days=366),
    )
    # icalendar notes "This timezone only works from ... to ..." in a COMMENT, which some
    # clients show to the member; the transitions it covers are what matters.
    zone.pop("COMMENT", None)
    calendar.add_component(zone)
    event = Event()
    event.add("uid", uid)
    event.add("sequence", sequence)
    event.add("dtstamp", stamp)
    event.add("dtstart", start)
    event.add("dtend", start + timedelta(minutes=minutes))
    event.add("summary", title)
    event.add("location", place)
    event.add("description", description)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    host = vCalAddress(f"mailto:{organiser}")
    if organiser_name:
        host.params["cn"] = vText(organiser_name)
    if sent_by and sent_by.lower() != organiser.lower():
        host.params["sent-by"] = vText(f"mailto:{sent_by}")
    event.add("organizer", host, encode=False)
    if not own:
        guest = vCalAddress(f"mailto:{attendee}")
        if attendee_name:
            guest.params["cn"] = vText(attendee_name)
        role = ATTENDEE_ROLES.get(attendee_role, "REQ-PARTICIPANT")
        guest.params["role"] = vText(role)
        guest.params["partstat"] = vText("NEEDS-ACTION")
        guest.params["rsvp"] = vText("FALSE" if role == "NON-PARTICIPANT" else "TRUE")
        event.add("attendee", guest, encode=False)
    calendar.add_component(event)
    return method, str(calendar.to_ical().decode("utf-8"))
