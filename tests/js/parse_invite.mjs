// Parse an iCalendar invitation (stdin) with Mozilla's ical.js, as Thunderbird does, and
// print what a calendar client would show, as JSON. Usage: node parse_invite.mjs ICAL_JS_PATH
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const ICAL = (await import(pathToFileURL(process.argv[2]).href)).default;
const text = readFileSync(0, "utf8");
const calendar = new ICAL.Component(ICAL.parse(text));
for (const zone of calendar.getAllSubcomponents("vtimezone")) {
  ICAL.TimezoneService.register(zone);
}
const vevent = calendar.getFirstSubcomponent("vevent");
const event = new ICAL.Event(vevent);
const person = (prop) => prop && {
  value: prop.getFirstValue(),
  cn: prop.getParameter("cn") ?? null,
  sentBy: prop.getParameter("sent-by") ?? null,
  rsvp: prop.getParameter("rsvp") ?? null,
  role: prop.getParameter("role") ?? null,
};
const start = event.startDate;
console.log(JSON.stringify({
  method: calendar.getFirstPropertyValue("method"),
  uid: event.uid,
  sequence: event.sequence,
  summary: event.summary,
  location: event.location,
  description: event.description,
  status: vevent.getFirstPropertyValue("status"),
  start: start.toString(),
  startZone: start.zone ? start.zone.tzid : null,
  startUtc: start.toJSDate().toISOString(),
  minutes: event.duration.toSeconds() / 60,
  organizer: person(vevent.getFirstProperty("organizer")),
  attendees: vevent.getAllProperties("attendee").map(person),
  zoneComments: calendar.getAllSubcomponents("vtimezone")
    .flatMap((zone) => zone.getAllProperties("comment").map((p) => p.getFirstValue())),
  zones: calendar.getAllSubcomponents("vtimezone").map((zone) => zone.getFirstPropertyValue("tzid")),
}));
