"""The notice rules as data: each nation's days and citation, each kind's label, the key
decision, and both countings, checked in the domain alone (and under mutation testing)."""

from __future__ import annotations

from datetime import date

import pytest

from bvflow.domain.calendar import WorkingCalendar
from bvflow.domain.notice import (
    KEY_DECISION_NOTICE,
    MEETING_KINDS,
    STATUTORY_KINDS,
    STATUTORY_NOTICE,
    NoticeRule,
    key_decision_allowed,
    rule_for,
)

LAW = {"england": (5, "SI 2002/715"), "wales": (3, "100BA(3)"),
       "scotland": (3, "Local Government (Scotland) Act 1973"),
       "northern-ireland": (3, "Sch 5 para 5(1)")}


@pytest.mark.parametrize("nation", sorted(LAW))
@pytest.mark.parametrize("kind", sorted(STATUTORY_KINDS))
def test_statutory_kinds_follow_the_nations_law(nation: str, kind: str) -> None:
    rule = rule_for(kind, nation, agreed_days=9, key_decision=False)
    days, cited = LAW[nation]
    assert (rule.days, rule.lawful, rule.counting) == (days, True, "working")
    assert cited in rule.citation
    assert rule.label == "lawful notice"
    assert rule.describe() == f"{days} clear working days (lawful notice: {rule.citation})"


@pytest.mark.parametrize("nation", sorted(LAW))
@pytest.mark.parametrize("kind", ["working_party", "public"])
def test_other_kinds_use_the_agreed_notice_and_are_never_lawful(nation: str, kind: str) -> None:
    rule = rule_for(kind, nation, agreed_days=7, counting="calendar", key_decision=True)
    assert rule == NoticeRule(7, "working", False, "the council's workflow file")
    assert rule.label == "agreed notice"
    assert "lawful" not in rule.describe()


def test_the_tables_cover_every_nation_and_kind() -> None:
    assert set(STATUTORY_NOTICE) == set(LAW)
    assert STATUTORY_KINDS < set(MEETING_KINDS)
    assert set(KEY_DECISION_NOTICE) == {"england"}
    with pytest.raises(ValueError, match="jamboree") as refused:
        rule_for("jamboree", "england", 5)
    assert str(refused.value) == ("unknown meeting kind 'jamboree' (known: working_party, "
                                  "committee, cabinet, council, public)")


def test_a_key_decision_is_an_english_cabinets_28_clear_days() -> None:
    assert key_decision_allowed("cabinet", "england")
    assert not key_decision_allowed("cabinet", "wales")
    assert not key_decision_allowed("committee", "england")
    cabinet = rule_for("cabinet", "england", 5, "calendar", key_decision=True)
    assert (cabinet.days, cabinet.counting, cabinet.lawful) == (28, "calendar", True)
    assert "SI 2012/2089, reg 9" in cabinet.citation
    assert cabinet.describe().startswith("28 clear days (lawful notice: ")
    assert rule_for("cabinet", "england", 5, key_decision=False).days == 5
    assert rule_for("cabinet", "england", 5).days == 5  # told, not assumed: the service defaults
    assert rule_for("cabinet", "wales", 5, key_decision=True).days == 3
    assert rule_for("council", "england", 5, key_decision=True).days == 5


def test_both_countings_exclude_the_day_of_notice_and_the_meeting() -> None:
    england = WorkingCalendar("england")
    monday, friday = date(2027, 1, 4), date(2027, 1, 8)
    working, calendar = NoticeRule(3), NoticeRule(3, "calendar")
    assert (working.unit, calendar.unit) == ("clear working days", "clear days")
    assert working.given(england, monday, friday) == 3
    assert calendar.given(england, monday, friday) == 3
    assert working.given(england, monday, date(2027, 1, 11)) == 4  # the weekend is not counted
    assert calendar.given(england, monday, date(2027, 1, 11)) == 6
    assert calendar.given(england, friday, monday) == 0  # never negative
    assert working.earliest(england, monday) == friday
    assert calendar.earliest(england, monday) == friday
    assert working.earliest(england, friday) == date(2027, 1, 14)
    assert calendar.earliest(england, friday) == date(2027, 1, 12)
    assert NoticeRule(0).earliest(england, friday) == friday
    assert NoticeRule(0, "calendar").earliest(england, friday) == friday
