"""The tables. Every instant is a ``UTCDateTime``; every review update checks ``version``."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, LargeBinary, MetaData, Text, UniqueConstraint
from sqlalchemy import false as sa_false
from sqlalchemy import true as sa_true
from sqlmodel import Field, SQLModel

from bvflow.store.types import UTCDateTime

# Named constraints, so that Alembic's batch mode on SQLite can alter them.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata: MetaData = SQLModel.metadata


def _instant(nullable: bool = False) -> Column[datetime]:
    return Column(UTCDateTime(), nullable=nullable)


class Authority(SQLModel, table=True):
    """The council this database belongs to (one row)."""

    __tablename__ = "authority"
    id: int = Field(default=1, primary_key=True)
    name: str
    nation: str
    created_at: datetime = Field(sa_column=_instant())
    # May --actor name someone other than the login? Set with `bvflow init --acting-for`;
    # on PostgreSQL only the owner can change it (coordinators may only read this table).
    allow_acting_for: bool = Field(
        default=True, sa_column_kwargs={"server_default": sa_true()}
    )
    # The address notices come from, set with `bvflow init --sender` ([mail] from overrides
    # it); none until then, and notices then come from bestvalue@localhost.
    sender: str | None = None


class Closure(SQLModel, table=True):
    """A day the council is closed, beyond weekends and bank holidays."""

    __tablename__ = "closures"
    day: date = Field(primary_key=True)
    reason: str
    added_by: str
    added_at: datetime = Field(sa_column=_instant())


class BankHoliday(SQLModel, table=True):
    """A bank holiday of the authority's nation, in force for its reviews' periods.

    Stored at ``init`` from the ``holidays`` package and changed only by ``calendar
    refresh``, each time in an audit event: every date bvflow computes comes from a calendar
    the audit trail records. ``source`` names the package version it came from.
    """

    __tablename__ = "bank_holidays"
    day: date = Field(primary_key=True)
    name: str
    source: str
    added_at: datetime = Field(sa_column=_instant())


class Opening(SQLModel, table=True):
    """A bank holiday the council works: a working day for its reviews."""

    __tablename__ = "openings"
    day: date = Field(primary_key=True)
    reason: str
    added_by: str
    added_at: datetime = Field(sa_column=_instant())


class DefinitionRow(SQLModel, table=True):
    """An exact workflow definition, by content hash, as a review was created under it."""

    __tablename__ = "definitions"
    digest: str = Field(primary_key=True, max_length=64)
    name: str = Field(index=True)
    version: int
    source_name: str
    source: str = Field(sa_column=Column(Text, nullable=False))
    pinned_at: datetime = Field(sa_column=_instant())


class RefCounter(SQLModel, table=True):
    """The last review number issued per year (BV-YYYY-NNN)."""

    __tablename__ = "ref_counters"
    year: int = Field(primary_key=True)
    last: int = 0


class Review(SQLModel, table=True):
    """A service review and where it stands."""

    __tablename__ = "reviews"
    id: int | None = Field(default=None, primary_key=True)
    ref: str = Field(unique=True, index=True)
    title: str
    service: str
    coordinator: str
    workflow: str
    definition_digest: str = Field(foreign_key="definitions.digest")
    stage: str = Field(index=True)
    status: str = Field(index=True)  # active | suspended | closed | abandoned
    stage_entered_at: datetime = Field(sa_column=_instant())
    created_at: datetime = Field(sa_column=_instant())
    updated_at: datetime = Field(sa_column=_instant())
    version: int = 1


class StageEntry(SQLModel, table=True):
    """Each time a review entered a stage, and how."""

    __tablename__ = "stage_entries"
    id: int | None = Field(default=None, primary_key=True)
    review_id: int = Field(foreign_key="reviews.id", index=True)
    stage: str
    via: str  # created | advanced | returned
    entered_at: datetime = Field(sa_column=_instant())
    left_at: datetime | None = Field(default=None, sa_column=_instant(nullable=True))


class Suspension(SQLModel, table=True):
    """A period during which the review's clock stopped."""

    __tablename__ = "suspensions"
    id: int | None = Field(default=None, primary_key=True)
    review_id: int = Field(foreign_key="reviews.id", index=True)
    reason: str
    started_at: datetime = Field(sa_column=_instant())
    ended_at: datetime | None = Field(default=None, sa_column=_instant(nullable=True))


class Evidence(SQLModel, table=True):
    """A piece of evidence recorded for a review in a stage, with its file if any."""

    __tablename__ = "evidence"
    id: int | None = Field(default=None, primary_key=True)
    review_id: int = Field(foreign_key="reviews.id", index=True)
    stage: str
    kind: str
    title: str
    disclosure: str  # public | restricted | confidential
    file_name: str | None = None
    file_sha256: str | None = None
    file_size: int | None = None
    content: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    recorded_by: str
    recorded_at: datetime = Field(sa_column=_instant())
    withdrawn_at: datetime | None = Field(default=None, sa_column=_instant(nullable=True))
    withdrawn_reason: str | None = None


class AuditEvent(SQLModel, table=True):
    """One link of the append-only audit chain; ``record`` is exactly what was hashed."""

    __tablename__ = "audit_events"
    __table_args__ = (UniqueConstraint("hash"),)
    seq: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    at: datetime = Field(sa_column=_instant())
    actor: str = Field(index=True)
    action: str = Field(index=True)
    review: str | None = Field(default=None, index=True)
    from_stage: str | None = None
    to_stage: str | None = None
    record: str = Field(sa_column=Column(Text, nullable=False))
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)
    # Who was authenticated (hashed in the record); on PostgreSQL a trigger holds it to
    # session_user and sets recorded_at from the server's clock (outside the hash).
    login: str | None = None
    recorded_at: datetime | None = Field(default=None, sa_column=_instant(nullable=True))


class AuditHead(SQLModel, table=True):
    """The chain's head (one row); updating it serialises appends on every backend."""

    __tablename__ = "audit_head"
    id: int = Field(default=1, primary_key=True)
    seq: int = 0
    hash: str = Field(max_length=64)


class Watcher(SQLModel, table=True):
    """A recipient of a review's notices (until working parties replace the watch list)."""

    __tablename__ = "watchers"
    __table_args__ = (UniqueConstraint("review_id", "email"),)
    id: int | None = Field(default=None, primary_key=True)
    review_id: int = Field(foreign_key="reviews.id", index=True)
    email: str
    name: str = ""
    added_by: str
    added_at: datetime = Field(sa_column=_instant())


class OutboxMessage(SQLModel, table=True):
    """One message to one recipient, queued in the transaction that caused it.

    ``dedupe_key`` is unique: a notice is keyed by its audit event and recipient, a reminder
    by (review, stage entry, kind, recipient, due date), so queueing twice is a no-op.
    The body is rendered at delivery from ``context`` (JSON captured when queued) and kept.
    """

    __tablename__ = "outbox"
    __table_args__ = (UniqueConstraint("dedupe_key"),)
    id: int | None = Field(default=None, primary_key=True)
    dedupe_key: str
    review_id: int | None = Field(default=None, foreign_key="reviews.id", index=True)
    kind: str
    recipient: str
    recipient_name: str = ""
    context: str = Field(sa_column=Column(Text, nullable=False))
    status: str = Field(default="pending", index=True)  # pending | sending | sent | failed
    attempts: int = 0
    next_attempt_at: datetime = Field(sa_column=_instant())
    claimed_until: datetime | None = Field(default=None, sa_column=_instant(nullable=True))
    last_error: str | None = None
    subject: str | None = None
    body_text: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime = Field(sa_column=_instant())
    sent_at: datetime | None = Field(default=None, sa_column=_instant(nullable=True))


class PartyMember(SQLModel, table=True):
    """A member of a review's working party; removal is recorded, not deleted."""

    __tablename__ = "party_members"
    __table_args__ = (UniqueConstraint("review_id", "email"),)
    id: int | None = Field(default=None, primary_key=True)
    review_id: int = Field(foreign_key="reviews.id", index=True)
    name: str
    email: str
    organisation: str
    category: str
    role: str
    added_by: str
    added_at: datetime = Field(sa_column=_instant())
    removed_at: datetime | None = Field(default=None, sa_column=_instant(nullable=True))
    removed_reason: str | None = None


class Activity(SQLModel, table=True):
    """An involvement activity: a method, a date, the categories and organisations involved."""

    __tablename__ = "activities"
    id: int | None = Field(default=None, primary_key=True)
    review_id: int = Field(foreign_key="reviews.id", index=True)
    stage: str
    method: str
    held_on: date
    categories: str = Field(sa_column=Column(Text, nullable=False))  # JSON list
    organisations: str = Field(sa_column=Column(Text, nullable=False))  # JSON list
    summary: str = ""
    outcome: str = ""
    recorded_by: str
    recorded_at: datetime = Field(sa_column=_instant())
    withdrawn_at: datetime | None = Field(default=None, sa_column=_instant(nullable=True))
    withdrawn_reason: str | None = None


class Meeting(SQLModel, table=True):
    """A meeting of the review; ``uid`` and ``sequence`` are its iCalendar identity.

    ``kind`` says which notice rule applies (bvflow.domain.notice); the rule's days and
    counting are kept as scheduled. Notice runs from each member's delivery of the outbox
    rows of ``notice_sequence`` (the sequence that last set the time; None for meetings
    scheduled before 0009, meaning ``sequence``).
    """

    __tablename__ = "meetings"
    __table_args__ = (UniqueConstraint("uid"),)
    id: int | None = Field(default=None, primary_key=True)
    review_id: int = Field(foreign_key="reviews.id", index=True)
    stage: str
    uid: str
    sequence: int = 0
    title: str
    place: str
    starts_at: datetime = Field(sa_column=_instant())
    minutes: int = 120
    status: str = "scheduled"  # scheduled | cancelled
    papers: str = Field(default="[]", sa_column=Column(Text, nullable=False))  # evidence ids
    notice_days: int
    override_reason: str | None = None
    notice_sent_at: datetime = Field(sa_column=_instant())
    created_by: str
    kind: str = Field(
        default="working_party", sa_column_kwargs={"server_default": "working_party"}
    )
    key_decision: bool = Field(default=False, sa_column_kwargs={"server_default": sa_false()})
    notice_counting: str = Field(
        default="working", sa_column_kwargs={"server_default": "working"}
    )
    notice_sequence: int | None = None
    # Short notice found after the event (a late delivery), accepted by the coordinator.
    short_notice_accepted: str | None = None
    # The record of the meeting (0011): it counts as held only once recorded. Organisations
    # as JSON lists; the minutes are an evidence row with their own disclosure.
    attended: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    apologies: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    minutes_id: int | None = Field(default=None, foreign_key="evidence.id")
    held_recorded_at: datetime | None = Field(default=None, sa_column=_instant(nullable=True))
    held_recorded_by: str | None = None


class Proposal(SQLModel, table=True):
    """A proposal circulated to the working party; its paper is an evidence row."""

    __tablename__ = "proposals"
    id: int | None = Field(default=None, primary_key=True)
    review_id: int = Field(foreign_key="reviews.id", index=True)
    stage: str
    title: str
    evidence_id: int = Field(foreign_key="evidence.id")
    circulated_by: str
    circulated_at: datetime = Field(sa_column=_instant())


class Agreement(SQLModel, table=True):
    """An item agreed in a stage, with who agreed and who dissented (never hidden)."""

    __tablename__ = "agreements"
    id: int | None = Field(default=None, primary_key=True)
    review_id: int = Field(foreign_key="reviews.id", index=True)
    stage: str
    item: str
    agreed_by: str = Field(sa_column=Column(Text, nullable=False))  # JSON list
    dissent: str = Field(sa_column=Column(Text, nullable=False))  # JSON list of {org, note}
    note: str = ""
    disclosure_default: str | None = None
    recorded_by: str
    recorded_at: datetime = Field(sa_column=_instant())
    withdrawn_at: datetime | None = Field(default=None, sa_column=_instant(nullable=True))
    withdrawn_reason: str | None = None


class Correction(SQLModel, table=True):
    """A correction to the record: what was amended or withdrawn, the values before and after,
    by whom, when and why. Nothing recorded is ever deleted."""

    __tablename__ = "corrections"
    id: int | None = Field(default=None, primary_key=True)
    review_id: int = Field(foreign_key="reviews.id", index=True)
    subject: str  # evidence | agreement | activity | member | review
    subject_id: str  # the row's id, or a member's email
    action: str  # amended | withdrawn
    fields: str = Field(sa_column=Column(Text, nullable=False))  # JSON {field: [before, after]}
    reason: str
    corrected_by: str
    corrected_at: datetime = Field(sa_column=_instant())


class Indicator(SQLModel, table=True):
    """A performance indicator, national (prescribed) or local: a review's (``review_id``),
    or a service's (``service``, no review), whose outturns are recorded every year whether
    or not a review is running. ``tolerance`` (in the indicator's unit) is how far short of
    its target a figure may fall and still be "within tolerance"."""

    __tablename__ = "indicators"
    __table_args__ = (UniqueConstraint("review_id", "code"),)
    id: int | None = Field(default=None, primary_key=True)
    review_id: int | None = Field(default=None, foreign_key="reviews.id", index=True)
    service: str | None = Field(default=None, index=True)
    tolerance: float | None = None
    code: str
    name: str
    unit: str = ""
    higher_is_better: bool = True
    national: bool = False
    baseline_value: float | None = None
    baseline_period: str | None = None
    added_by: str
    added_at: datetime = Field(sa_column=_instant())


class IndicatorValue(SQLModel, table=True):
    """A target or an actual for an indicator in a period (e.g. 2027-28)."""

    __tablename__ = "indicator_values"
    __table_args__ = (UniqueConstraint("indicator_id", "kind", "period"),)
    id: int | None = Field(default=None, primary_key=True)
    indicator_id: int = Field(foreign_key="indicators.id", index=True)
    kind: str  # target | actual
    period: str
    value: float
    recorded_by: str
    recorded_at: datetime = Field(sa_column=_instant())


class Comparator(SQLModel, table=True):
    """Another authority's figure for an indicator, imported from a benchmarking extract: for
    a review's indicators (``review_id``) or a service's (``service``)."""

    __tablename__ = "comparators"
    __table_args__ = (UniqueConstraint("review_id", "authority", "code", "period"),)
    id: int | None = Field(default=None, primary_key=True)
    review_id: int | None = Field(default=None, foreign_key="reviews.id", index=True)
    service: str | None = Field(default=None, index=True)
    authority: str
    code: str
    period: str
    value: float


class Option(SQLModel, table=True):
    """An option in the compete stage's appraisal."""

    __tablename__ = "options"
    __table_args__ = (UniqueConstraint("review_id", "name"),)
    id: int | None = Field(default=None, primary_key=True)
    review_id: int = Field(foreign_key="reviews.id", index=True)
    name: str
    description: str = ""
    chosen: bool = False
    rationale: str | None = None


class Criterion(SQLModel, table=True):
    """A weighted criterion options are scored against."""

    __tablename__ = "criteria"
    __table_args__ = (UniqueConstraint("review_id", "name"),)
    id: int | None = Field(default=None, primary_key=True)
    review_id: int = Field(foreign_key="reviews.id", index=True)
    name: str
    weight: float


class OptionScore(SQLModel, table=True):
    __tablename__ = "option_scores"
    __table_args__ = (UniqueConstraint("option_id", "criterion_id"),)
    id: int | None = Field(default=None, primary_key=True)
    option_id: int = Field(foreign_key="options.id", index=True)
    criterion_id: int = Field(foreign_key="criteria.id")
    score: float


class PlanAction(SQLModel, table=True):
    """An improvement-plan action: owner, due date, the indicator target it serves.

    A review's own plan has ``review_id`` and no ``source``. The authority's actions have no
    review: ``source`` says where they come from (``authority``, ``competency``,
    ``inspection``), ``source_id`` the row they answer (a competency gap, an inspection
    recommendation), ``service`` the service they concern (None: the whole authority)."""

    __tablename__ = "plan_actions"
    id: int | None = Field(default=None, primary_key=True)
    review_id: int | None = Field(default=None, foreign_key="reviews.id", index=True)
    source: str | None = Field(default=None, index=True)
    source_id: int | None = None
    service: str | None = None
    title: str
    owner: str
    due: date
    indicator_code: str | None = None
    priority: str = ""
    status: str = "planned"  # planned | in_progress | done | dropped
    added_by: str
    added_at: datetime = Field(sa_column=_instant())
    updated_at: datetime = Field(sa_column=_instant())


class ProgrammeItem(SQLModel, table=True):
    """A service planned for review in a year, with the priority and reason the authority
    gave; ``review_ref`` is the review started from it."""

    __tablename__ = "programme_items"
    id: int | None = Field(default=None, primary_key=True)
    service: str
    year: int = Field(index=True)
    priority: str  # high | medium | low
    reason: str
    status: str = "planned"  # planned | started | dropped
    review_ref: str | None = None
    status_reason: str | None = None
    added_by: str
    added_at: datetime = Field(sa_column=_instant())
    updated_at: datetime = Field(sa_column=_instant())


class Publication(SQLModel, table=True):
    """When ``bvflow publish`` first put a meeting's notice (its time and place, with the
    agenda) or one of its public papers on the public site: for a committee, cabinet or
    council meeting the public notice counts from then (Local Government Act 1972 s.100B).
    A notice row is kept per time announced (a meeting moved needs its notice again); a paper
    row once per paper."""

    __tablename__ = "publications"
    id: int | None = Field(default=None, primary_key=True)
    review_id: int = Field(foreign_key="reviews.id", index=True)
    meeting_id: int = Field(foreign_key="meetings.id", index=True)
    subject: str  # notice | paper
    evidence_id: int | None = Field(default=None, foreign_key="evidence.id")
    starts_at: datetime = Field(sa_column=_instant())  # the meeting's time when published
    published_at: datetime = Field(sa_column=_instant())
    published_by: str


class InvolvementPlanEntry(SQLModel, table=True):
    """One line of the strategic plan for involvement: a category of organisation to be
    involved by one of ``methods`` (JSON list), either in one review (``review_id``, by a
    ``stage`` of it if given) or by the authority in a ``year`` (by the end of ``by_month``,
    YYYY-MM, if given). Withdrawn, with a reason, rather than deleted."""

    __tablename__ = "involvement_plan"
    id: int | None = Field(default=None, primary_key=True)
    review_id: int | None = Field(default=None, foreign_key="reviews.id", index=True)
    year: int | None = Field(default=None, index=True)
    category: str
    methods: str = Field(sa_column=Column(Text, nullable=False))  # JSON list
    stage: str | None = None
    by_month: str | None = None
    note: str = ""
    status: str = "planned"  # planned | withdrawn
    withdrawn_reason: str | None = None
    added_by: str
    added_at: datetime = Field(sa_column=_instant())
    updated_at: datetime = Field(sa_column=_instant())


class Inspection(SQLModel, table=True):
    """A Best Value inspection of a service (Local Government Act 1999 s.10: the Audit
    Commission's Best Value Inspectorate), with the inspector's report (s.13) kept as a file
    (bytes and SHA-256, like evidence). ``rating`` is how good the service is (poor, fair,
    good, excellent: 0-3 stars) and ``prospects`` whether it will improve (poor, uncertain,
    promising, excellent), the Audit Commission's two judgements."""

    __tablename__ = "inspections"
    id: int | None = Field(default=None, primary_key=True)
    service: str = Field(index=True)
    inspected_on: date
    inspector: str
    title: str
    review_ref: str | None = None
    rating: str | None = None
    prospects: str | None = None
    file_name: str
    file_sha256: str
    file_size: int
    # Not in the chain (the event carries the SHA-256), so nullable for replay, as evidence's.
    content: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    recorded_by: str
    recorded_at: datetime = Field(sa_column=_instant())


class InspectionFinding(SQLModel, table=True):
    """One finding of an inspection: the inspector's judgement and what was found."""

    __tablename__ = "inspection_findings"
    id: int | None = Field(default=None, primary_key=True)
    inspection_id: int = Field(foreign_key="inspections.id", index=True)
    judgement: str
    text: str = Field(sa_column=Column(Text, nullable=False))
    added_by: str
    added_at: datetime = Field(sa_column=_instant())


class InspectionRecommendation(SQLModel, table=True):
    """A recommendation of a finding; the authority's action answering it is the
    ``plan_actions`` row with source ``inspection`` and ``source_id`` this id."""

    __tablename__ = "inspection_recommendations"
    id: int | None = Field(default=None, primary_key=True)
    finding_id: int = Field(foreign_key="inspection_findings.id", index=True)
    text: str = Field(sa_column=Column(Text, nullable=False))


class InspectionResponse(SQLModel, table=True):
    """The authority's response to a finding (several may follow one another)."""

    __tablename__ = "inspection_responses"
    id: int | None = Field(default=None, primary_key=True)
    finding_id: int = Field(foreign_key="inspection_findings.id", index=True)
    text: str = Field(sa_column=Column(Text, nullable=False))
    responded_by: str
    responded_at: datetime = Field(sa_column=_instant())


class CompetencyAssessment(SQLModel, table=True):
    """One round of a competency self-assessment against a framework: the framework's text
    as it was read (``framework_source``, its SHA-256 in ``framework_digest``), the target
    level below which a score is a gap, and who took part (``participants``, a JSON list).
    One per framework and round."""

    __tablename__ = "competency_assessments"
    __table_args__ = (UniqueConstraint("framework", "round"),)
    id: int | None = Field(default=None, primary_key=True)
    framework: str = Field(index=True)
    round: int
    target_level: int
    participants: str = Field(sa_column=Column(Text, nullable=False))  # JSON list
    framework_digest: str
    framework_source: str = Field(sa_column=Column(Text, nullable=False))
    assessed_by: str
    assessed_at: datetime = Field(sa_column=_instant())


class CompetencyScore(SQLModel, table=True):
    """A competency's level in one round, with the evidence for it; the development actions
    answering a gap point here (``plan_actions.source_id``, source ``competency``)."""

    __tablename__ = "competency_scores"
    id: int | None = Field(default=None, primary_key=True)
    assessment_id: int = Field(foreign_key="competency_assessments.id", index=True)
    code: str
    level: int
    evidence: str = Field(sa_column=Column(Text, nullable=False))
