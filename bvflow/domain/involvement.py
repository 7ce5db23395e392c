"""Involvement: who takes part, by which methods, what they agree, and the notice agreed.

The lists come from the source document "Involvement in Best Value": its methods of
involvement, who will be involved, and the agreements it names (baseline profile,
information disclosure, priorities and performance targets).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

from bvflow.domain.calendar import NATIONS
from bvflow.domain.notice import COUNTINGS, DEFAULT_AGREED_DAYS

CATEGORIES: Final[dict[str, str]] = {
    "action_groups": "Action groups",
    "tenants": "Tenants' and community organisations",
    "patients_carers": "Patient and carer groups",
    "women": "Women's organisations",
    "pensioners": "Pensioner groups",
    "bme": "Black and ethnic minority organisations",
    "trade_union": "Trade unions",
    "citywide": "Citywide organisations and campaigns",
    "youth": "Youth clubs and school/college clubs",
    "voluntary": "Voluntary organisations",
    "religious": "Religious organisations",
    "business": "Local business and organisations",
    "public_bodies": "Other public authorities and quasi-public bodies",
    "users": "Individual users",
    "elected_members": "Elected members",
    "staff": "Staff",
}
METHODS: Final[dict[str, str]] = {
    "group_discussion": "Group discussion with user, community, branch and other committees",
    "workshop": "Workshop on a specific issue",
    "public_meeting": "Public meeting or forum",
    "small_group_meeting": "Small group meeting in an area or on an issue",
    "working_party": "Coordinating committee or working party",
    "workplace_improvement": "Workplace continuous improvement project",
    "area_committee": "Area committee, advisory panel or neighbourhood forum",
    "user_panel": "Consultative user panel",
    "citizens_jury": "Citizens' jury",
    "focus_group": "Focus group",
    "survey": "User research and survey",
}
ROLES: Final = ("chair", "member", "coordinator", "observer", "elected_member", "officer")
# What each role means to the person holding it, as the welcome notice tells them.
ROLE_MEANINGS: Final[dict[str, str]] = {
    "chair": "you chair the working party's meetings; you receive every notice and the "
    "public and restricted papers, and your views are asked on each proposal",
    "member": "you represent your organisation; you receive every notice and the public and "
    "restricted papers, and your views are asked on each proposal",
    "coordinator": "you help coordinate the review; you receive every notice and the public "
    "and restricted papers",
    "observer": "you observe: you receive the notices and the public papers, and are not "
    "asked to agree",
    "elected_member": "you take part as an elected member; you receive every notice and the "
    "public and restricted papers, and your views are asked on each proposal",
    "officer": "you take part as an officer of the council; you receive every notice and the "
    "public and restricted papers",
}
AGREEMENT_ITEMS: Final[dict[str, str]] = {
    "baseline_profile": "Baseline profile",
    "information_disclosure": "Which information will and will not be disclosed",
    "priorities": "Priorities",
    "performance_targets": "Performance targets",
    "scope": "Scope",
    "timetable": "Timetable",
}
DISCLOSURES: Final = ("public", "restricted", "confidential")
# The agreed notice of a working-party or public meeting, in clear working days, by nation:
# the seeds' "sufficient time for full and genuine discussion". Statutory meetings follow
# the law instead (bvflow.domain.notice).
DEFAULT_NOTICE_DAYS: Final[dict[str, int]] = dict.fromkeys(NATIONS, DEFAULT_AGREED_DAYS)


@dataclass(frozen=True)
class InvolvementSettings:
    """The workflow's categories of representative organisation and its notice settings."""

    categories: Mapping[str, str] = field(default_factory=lambda: dict(CATEGORIES))
    # The agreed notice of working-party and public meetings, by nation.
    meeting_notice_days: Mapping[str, int] = field(
        default_factory=lambda: dict(DEFAULT_NOTICE_DAYS)
    )
    # How the clear days of a statutory meeting's notice are counted (see domain.notice).
    statutory_clear_days: str = "working"

    def notice_days(self, nation: str) -> int:
        return self.meeting_notice_days.get(nation, DEFAULT_AGREED_DAYS)

    def __hash__(self) -> int:
        return hash(
            (
                tuple(self.categories.items()),
                tuple(self.meeting_notice_days.items()),
                self.statutory_clear_days,
            )
        )


def parse_involvement(data: object) -> InvolvementSettings:
    """``involvement:`` from a workflow file; ``ValueError`` names the problem."""
    if not isinstance(data, Mapping):
        raise ValueError("involvement must be a mapping")
    unknown = sorted(set(data) - {"categories", "meeting_notice_days", "statutory_clear_days"})
    if unknown:
        raise ValueError(f"involvement: unknown key {unknown[0]!r}")
    categories = data.get("categories", CATEGORIES)
    if isinstance(categories, list):
        if not all(isinstance(c, str) for c in categories):
            raise ValueError("involvement.categories must be a list of lower-case identifiers")
        categories = {c: CATEGORIES.get(c, c.replace("_", " ").capitalize()) for c in categories}
    if isinstance(categories, Mapping) and not categories:
        raise ValueError("involvement.categories must name at least one category")
    if not isinstance(categories, Mapping) or not all(
        isinstance(k, str) and k.isidentifier() and k.islower() and isinstance(v, str)
        for k, v in categories.items()
    ):
        raise ValueError(
            "involvement.categories must be a list of lower-case identifiers "
            "or a mapping of them to titles"
        )
    notice = data.get("meeting_notice_days", DEFAULT_NOTICE_DAYS)
    if isinstance(notice, int) and not isinstance(notice, bool):
        notice = dict.fromkeys(NATIONS, notice)
    if not isinstance(notice, Mapping) or not all(
        k in NATIONS and isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 60
        for k, v in notice.items()
    ):
        raise ValueError(
            "involvement.meeting_notice_days must be 0-60 working days, or a "
            f"mapping of nations ({', '.join(NATIONS)}) to that"
        )
    counting = data.get("statutory_clear_days", "working")
    if counting not in COUNTINGS:
        raise ValueError(
            f"involvement.statutory_clear_days must be one of {', '.join(COUNTINGS)} "
            "(working: weekends and holidays do not count, the default)"
        )
    return InvolvementSettings(
        dict(categories), {**DEFAULT_NOTICE_DAYS, **dict(notice)}, str(counting)
    )


def paper_disclosure(explicit: str | None, agreed_default: str) -> str:
    """The disclosure of a paper sent with a notice (meeting papers, a proposal).

    Papers travel by email, so none is public unless the coordinator says so for *those*
    papers: an agreed default may make them stricter (confidential), never public.
    """
    if explicit is not None:
        return explicit
    return "confidential" if agreed_default == "confidential" else "restricted"


# The review's own coordinator (a council officer), as distinct from a working-party member
# whose role in the party is "coordinator".
REVIEW_COORDINATOR: Final = "review_coordinator"


def audience(role: str | None) -> frozenset[str]:
    """What a recipient may receive: the review's coordinator everything; working-party
    members public and restricted papers (confidential never reaches any member); observers
    and anyone outside the party only public ones."""
    if role == REVIEW_COORDINATOR:
        return frozenset(DISCLOSURES)
    if role in ROLES and role != "observer":
        return frozenset({"public", "restricted"})
    return frozenset({"public"})
