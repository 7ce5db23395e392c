"""iCalendar invitations for working-party meetings (RFC 5545/5546 via ``icalendar``).

The UID is stable for a meeting and SEQUENCE rises with every change, so calendar clients
update or cancel the event they already hold rather than adding another.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bvflow.domain.calendar import LONDON


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
) -> str:
    """One VCALENDAR with METHOD REQUEST or CANCEL, in Europe/London time."""
    # Imported here: a sweep with no meeting in it (and every other command) never needs it.
    from icalendar import Calendar, Event, Timezone, vCalAddress, vText

    calendar = Calendar()
    calendar.add("prodid", "-//bvflow//Best Value review meetings//EN")
    calendar.add("version", "2.0")
    calendar.add("method", method)
    start = starts_at.astimezone(LONDON)
    calendar.add_component(
        Timezone.from_tzid(
            "Europe/London",
            first_date=start.date() - timedelta(days=366),
            last_date=start.date() + timedelta(days=366),
        )
    )
    event = Event()
    event.add("uid", uid)
    event.add("sequence", sequence)
    event.add("dtstamp", stamp)
    event.add("dtstart", start)
    event.add("dtend", start + timedelta(minutes=minutes))
    event.add("summary", title)
    event.add("location", place)
    event.add("description", description)
    event.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    event.add("organizer", vCalAddress(f"mailto:{organiser}"))
    guest = vCalAddress(f"mailto:{attendee}")
    guest.params["role"] = vText("REQ-PARTICIPANT")
    guest.params["rsvp"] = vText("TRUE")
    event.add("attendee", guest, encode=False)
    calendar.add_component(event)
    return str(calendar.to_ical().decode("utf-8"))
