"""Setting up: create or upgrade the database, record the authority, council closure days."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from bvflow import inputs
from bvflow.domain.audit import NewEvent
from bvflow.domain.calendar import NATIONS, check_closures, local_date
from bvflow.errors import InputError, RefusedError
from bvflow.services.app import App, calendar_for
from bvflow.services.bank_holidays import store_holidays, years_around
from bvflow.store import Session, changes, repo
from bvflow.store.models import Authority, Closure, Opening


@dataclass(frozen=True)
class InitResult:
    created: bool
    revision: str
    authority: str
    nation: str
    sender: str | None = None  # the address notices come from (bvflow init --sender)


def _check_nation(nation: str | None) -> str | None:
    if nation is not None and nation not in NATIONS:
        raise InputError(f"unknown nation {nation!r} (known: {', '.join(NATIONS)})")
    return nation


def _check_sender(sender: str | None) -> str | None:
    """The address notices come from: one an SMTP server without SMTPUTF8 accepts too."""
    if sender is None:
        return None
    address = inputs.email(sender)
    if not address.rpartition("@")[0].isascii():
        raise InputError(
            f"--sender {address!r} has letters outside ASCII before the @, which most mail "
            "servers refuse in a sender; give an ASCII address"
        )
    return address


def init(
    app: App,
    authority: str | None = None,
    nation: str | None = None,
    acting_for: str | None = None,
    sender: str | None = None,
) -> InitResult:
    """Create the database (owner-only file) or upgrade it, and record the authority (its
    name, nation and the address its notices come from)."""
    from bvflow.store import migrate

    name = inputs.text(authority, "the authority name") if authority is not None else None
    nation = _check_nation(nation)
    sender = _check_sender(sender)
    if acting_for not in (None, "allow", "forbid"):
        raise InputError("--acting-for is allow or forbid")
    db = app.db
    if db.path is not None and not db.path.exists() and (name is None or nation is None):
        raise InputError("a new database needs --authority and --nation")
    created = db.create_file()
    try:
        migrate.upgrade(db)
        with db.write() as session:
            current = repo.find_authority(session)
            if current is None and (name is None or nation is None):
                raise InputError("the database has no authority yet: give --authority and --nation")
            result = _record_authority(app, session, current, name, nation, sender)
            if acting_for is not None:
                _record_acting_for(app, session, acting_for == "allow")
    except BaseException:
        if created and db.path is not None:
            db.dispose()
            db.path.unlink(missing_ok=True)
        raise
    return InitResult(created, migrate.head_revision(), *result)


def _record_authority(
    app: App,
    session: Session,
    current: Authority | None,
    name: str | None,
    nation: str | None,
    sender: str | None,
) -> tuple[str, str, str | None]:
    """Record what changed of the authority (what is not given is kept), audited."""
    new_name = name or (current.name if current else "")
    new_nation = nation or (current.nation if current else "")
    new_sender = sender or (current.sender if current else None)
    if current is not None and new_nation != current.nation:
        reviews = repo.find_reviews(session, repo.ReviewFilter())
        if reviews:
            raise RefusedError(
                "the authority",
                "change the nation of",
                f"its {len(reviews)} review(s) were timed by the {current.nation} calendar, "
                "and changing it would move every period that has already run",
            )
    before = (
        {"name": current.name, "nation": current.nation, "sender": current.sender}
        if current
        else None
    )
    if before != {"name": new_name, "nation": new_nation, "sender": new_sender}:
        now = app.now()
        payload: dict[str, object] = {
            "name": new_name,
            "nation": new_nation,
            "sender": new_sender,
            "before": before,
        }
        if current is None or current.nation != new_nation:
            # The calendar in force is stored with the authority, so the record has it.
            years = years_around(local_date(now))
            stored = store_holidays(session, new_nation, years, now)
            payload["bank_holidays"] = {"stored": stored, "years": [years[0], years[-1]]}
        repo.save_authority(session, new_name, new_nation, new_sender, now)
        repo.append_event(session, NewEvent(now, app.actor, "authority.set", payload=payload))
    return new_name, new_nation, new_sender


def _record_acting_for(app: App, session: Session, allow: bool) -> None:
    """Whether --actor may name anyone but the login, for every command on this database."""
    authority = repo.load_authority(session)
    if authority.allow_acting_for == allow:
        return
    changes.update(session, authority, {"allow_acting_for": allow})
    repo.append_event(
        session,
        NewEvent(
            app.now(),
            app.actor,
            "authority.set",
            payload={"allow_acting_for": allow, "before": not allow},
        ),
    )


def add_closure(app: App, day: date, reason: str) -> bool:
    """A council closure day: it stops counting as a working day for every review.

    On a bank holiday the council had opened, the opening is taken back instead: True then
    (the day is a bank holiday again), False for a new closure day.
    """
    reason = inputs.text(reason, "the reason")
    now = app.now()
    closure = Closure(day=day, reason=reason, added_by=app.actor, added_at=now)
    if day < local_date(now):
        raise InputError(
            f"{day.isoformat()} is in the past: closing it now would change "
            "periods that have already run"
        )
    with app.db.write() as session:
        calendar = calendar_for(session)
        opening = repo.find_opening(session, day)
        if opening is not None:
            # Closing a bank holiday the council had opened takes the opening back.
            changes.delete(session, opening)
            _calendar_event(
                session,
                app,
                now,
                "calendar.opening_removed",
                day,
                {"reason": reason, "was": opening.reason},
            )
            return True
        if not calendar.is_working_day(day):
            why = calendar.bank_holiday(day) or ("a weekend" if day.weekday() >= 5 else "closed")
            raise InputError(f"{day.isoformat()} is already not a working day ({why})")
        check_closures({*calendar.closures, day})
        repo.add_closure(session, closure)
        _calendar_event(session, app, now, "calendar.closure_added", day, {"reason": reason})
    return False


def list_closures(app: App) -> list[Closure]:
    with app.db.read() as session:
        return list(repo.list_closures(session))


def _calendar_event(
    session: Session, app: App, now: datetime, action: str, day: date, details: dict[str, str]
) -> None:
    """The audit event of a change to the calendar: which day, and why."""
    payload = {"day": day.isoformat(), **details}
    repo.append_event(session, NewEvent(now, app.actor, action, payload=payload))


def _not_past(day: date, now: datetime, what: str) -> None:
    if day < local_date(now):
        raise InputError(
            f"{day.isoformat()} is in the past: {what} now would change periods that have "
            "already run"
        )


def remove_closure(app: App, day: date, reason: str) -> Closure:
    """Take back a closure day added by mistake: it counts as a working day again."""
    reason = inputs.reason(reason, "removing a closure day")
    now = app.now()
    _not_past(day, now, "reopening it")
    with app.db.write() as session:
        closure = repo.find_closure(session, day)
        if closure is None:
            raise InputError(
                f"{day.isoformat()} is not a closure day; 'bvflow calendar list' shows them"
            )
        changes.delete(session, closure)
        _calendar_event(
            session,
            app,
            now,
            "calendar.closure_removed",
            day,
            {"reason": reason, "was": closure.reason},
        )
    return closure


def open_day(app: App, day: date, reason: str) -> Opening:
    """Make a bank holiday a working day for this council's reviews (a council that works it,
    closing on a local holiday instead)."""
    reason = inputs.text(reason, "the reason")
    now = app.now()
    _not_past(day, now, "opening it")
    with app.db.write() as session:
        calendar = calendar_for(session)
        holiday = calendar.bank_holiday(day)
        if holiday is None or day.weekday() >= 5:
            why = "a weekend" if day.weekday() >= 5 else "not a bank holiday"
            raise InputError(
                f"{day.isoformat()} is {why}: only a bank holiday can be opened (a closure "
                "day is taken back with 'bvflow calendar reopen')"
            )
        if repo.find_opening(session, day) is not None:
            raise InputError(f"{day.isoformat()} ({holiday}) is already a working day")
        opening = Opening(day=day, reason=reason, added_by=app.actor, added_at=now)
        changes.insert(session, opening)
        _calendar_event(
            session, app, now, "calendar.day_opened", day, {"holiday": holiday, "reason": reason}
        )
    return opening


@dataclass(frozen=True)
class CalendarDay:
    """A weekday that is not an ordinary working day, or a holiday that is: with its source."""

    day: date
    working: bool
    what: str
    source: str

    def as_dict(self) -> dict[str, object]:
        return {
            "day": self.day.isoformat(),
            "working": self.working,
            "what": self.what,
            "source": self.source,
        }


def calendar_year(app: App, year: int) -> list[CalendarDay]:
    """Every bank holiday, closure day and opened day of ``year``, with where it comes from."""
    if not 1990 <= year <= 2100:
        raise InputError(f"--year {year} is outside 1990-2100")
    with app.db.read() as session:
        calendar = calendar_for(session)
        nation = repo.load_authority(session).nation
        closures = {c.day: c for c in repo.list_closures(session) if c.day.year == year}
        openings = {o.day: o for o in repo.list_openings(session) if o.day.year == year}
        sources = {h.day: h.source for h in repo.bank_holidays(session) if h.day.year == year}
    stored = calendar.stored is not None and year in calendar.stored.years
    # A year outside the stored calendar is read from the package (not stored: say so).
    fallback = "holidays package: a year outside the stored calendar"
    found = []
    day = date(year, 1, 1)
    while day.year == year:
        holiday = calendar.bank_holiday(day)
        if day in closures:
            c = closures[day]
            found.append(CalendarDay(day, False, c.reason, f"closed by {c.added_by}"))
        elif day in openings:
            o = openings[day]
            what = f"{holiday or 'no longer a bank holiday'} (worked: {o.reason})"
            found.append(CalendarDay(day, True, what, f"opened by {o.added_by}"))
        elif holiday is not None and day.weekday() < 5:
            source = sources.get(day, "") if stored else fallback
            found.append(CalendarDay(day, False, holiday, f"bank holiday ({nation}; {source})"))
        day += timedelta(days=1)
    return found


def list_openings(app: App) -> list[Opening]:
    with app.db.read() as session:
        return list(repo.list_openings(session))
