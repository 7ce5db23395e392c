"""Competency self-assessment: list the frameworks, record a round, answer a gap.

A round pins the framework's text as read (as a review pins its workflow), so a later edit
of the file never changes what an earlier round was scored against. Each round is one
``competency.assessed`` event; each development action one ``competency.action_added``
event carrying the action, which then has an owner, a due date and the sweep's reminders
like any of the authority's actions.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Final

from bvflow import inputs
from bvflow.domain.audit import NewEvent
from bvflow.domain.calendar import local_date
from bvflow.domain.competency import Framework, is_gap, score_problems
from bvflow.errors import InputError, NotFoundError
from bvflow.files import read_text_input
from bvflow.framework_files import (
    available_frameworks,
    framework_from_source,
    read_framework,
    resolve_framework,
)
from bvflow.services.app import App
from bvflow.services.authority_actions import AuthorityActionView, new_action, payload_of, view
from bvflow.services.views import View
from bvflow.store import Session, changes, repo
from bvflow.store.models import CompetencyAssessment, CompetencyScore

MAX_EVIDENCE: Final = 2000
MAX_SCORES_FILE: Final = 1_000_000
FIRST_ROUND: Final = 1999
LAST_ROUND: Final = 2200
DEFAULT_FRAMEWORK: Final = "best-value-competencies"


@dataclass(frozen=True)
class FrameworkSummary(View):
    name: str
    title: str
    competencies: int
    levels: int
    where: str
    rounds: list[int]


@dataclass(frozen=True)
class AssessmentView(View):
    id: int
    framework: str
    round: int
    target_level: int
    participants: list[str]
    scores: dict[str, int]
    gaps: list[str]


def pinned_framework(row: CompetencyAssessment) -> Framework:
    """The framework a round was scored against, as it was read then."""
    return framework_from_source(row.framework_source, f"{row.framework} (round {row.round})")


def frameworks(app: App) -> list[FrameworkSummary]:
    """The bundled frameworks, and any other a round was assessed against, with the rounds."""
    with app.db.read() as session:
        rounds: dict[str, list[int]] = {}
        pinned: dict[str, CompetencyAssessment] = {}
        for row in repo.assessments(session):
            rounds.setdefault(row.framework, []).append(row.round)
            pinned[row.framework] = row
    found = {name: read_framework(path) for name, path in available_frameworks().items()}
    summaries = [_summary(f.framework, f.source_name, rounds.get(name, []))
                 for name, f in found.items()]
    summaries += [_summary(pinned_framework(row), "assessed (not bundled)", rounds[name])
                  for name, row in pinned.items() if name not in found]
    return sorted(summaries, key=lambda s: s.name)


def _summary(framework: Framework, where: str, rounds: list[int]) -> FrameworkSummary:
    levels = max((c.top for c in framework.competencies), default=0)
    return FrameworkSummary(framework.name, framework.title, len(framework.competencies),
                            levels, where, rounds)


def round_number(value: int) -> int:
    if not FIRST_ROUND <= value <= LAST_ROUND:
        raise InputError(f"the round must be a year from {FIRST_ROUND} to {LAST_ROUND}")
    return value


def pairs(values: Sequence[str], option: str) -> dict[str, str]:
    """``CODE=VALUE`` options as a mapping; each code once."""
    found: dict[str, str] = {}
    for item in values:
        code, sep, value = item.partition("=")
        code = code.strip()
        if not sep or not code:
            raise InputError(f"{option} takes CODE=VALUE, not {item!r}")
        if code in found:
            raise InputError(f"{option} {code} is given twice")
        found[code] = value
    return found


def read_scores_file(path: Path) -> tuple[dict[str, str], dict[str, str]]:
    """Levels and evidence from a CSV with the columns ``code,level,evidence``."""
    text = read_text_input(path, "scores file", MAX_SCORES_FILE)
    try:
        return _scores_rows(path, csv.DictReader(io.StringIO(text)))
    except csv.Error as exc:
        raise InputError(f"scores file {path} is not CSV: {exc}") from exc


def _scores_rows(path: Path, reader: csv.DictReader[str]
                 ) -> tuple[dict[str, str], dict[str, str]]:
    if reader.fieldnames is None or set(reader.fieldnames) != {"code", "level", "evidence"}:
        raise InputError(f"scores file {path} needs the columns code,level,evidence")
    levels: dict[str, str] = {}
    evidence: dict[str, str] = {}
    for row in reader:
        code = (row.get("code") or "").strip()
        if not code or code in levels:
            raise InputError(f"scores file {path} line {reader.line_num}: "
                             + ("a code is missing" if not code else f"{code} is given twice"))
        levels[code] = row.get("level") or ""
        evidence[code] = row.get("evidence") or ""
    return levels, evidence


def _scores(framework: Framework, levels: Mapping[str, str], evidence: Mapping[str, str]
            ) -> dict[str, tuple[int, str]]:
    numbers: dict[str, int] = {}
    for code, value in levels.items():
        try:
            numbers[code] = int(value.strip())
        except ValueError:
            raise InputError(f"the level for {code} must be a whole number, not {value!r}"
                             ) from None
    problems = score_problems(framework, numbers)
    problems += [f"evidence for {code!r}, which has no score" for code in evidence
                 if code not in numbers]
    if problems:
        raise InputError(f"{framework.name}: " + "; ".join(problems))
    return {code: (numbers[code], inputs.text(evidence.get(code, ""), f"the evidence for {code}",
                                              max_length=MAX_EVIDENCE))
            for code in framework.codes}


def _target(framework: Framework, target: int) -> int:
    lowest = min(c.top for c in framework.competencies)
    if not 1 <= target <= lowest:
        raise InputError(f"the target level must be 1 to {lowest}, not {target}")
    return target


def _participants(values: Sequence[str]) -> list[str]:
    found = list(dict.fromkeys(inputs.email(v) for v in values))
    if not found:
        raise InputError("name who took part with --participant EMAIL (at least one)")
    return found


def assess(app: App, framework_name: str, round_: int, levels: Mapping[str, str],
           evidence: Mapping[str, str], participants: Sequence[str], target: int = 3
           ) -> AssessmentView:
    """Record a round's scores, with evidence, who took part and the target level; a score
    below the target is a gap. A framework is assessed once per round."""
    found = resolve_framework(framework_name)
    framework = found.framework
    round_number(round_)
    scores = _scores(framework, levels, evidence)
    target, people = _target(framework, target), _participants(participants)
    now = app.now()
    with app.db.write() as session:
        if repo.find_assessment(session, framework.name, round_) is not None:
            raise InputError(f"{framework.name} was already assessed for {round_}; "
                               "'bvflow report competency' shows it")
        row = CompetencyAssessment(
            framework=framework.name, round=round_, target_level=target,
            participants=json.dumps(people), framework_digest=found.digest,
            framework_source=found.source, assessed_by=app.actor, assessed_at=now)
        changes.insert(session, row)
        for code, (level, text) in scores.items():
            changes.insert(session, CompetencyScore(assessment_id=int(row.id or 0), code=code,
                                                    level=level, evidence=text))
        gaps = [code for code, (level, _) in scores.items() if is_gap(level, target)]
        repo.append_event(session, NewEvent(now, app.actor, "competency.assessed", payload={
            "framework": framework.name, "framework_digest": found.digest, "round": round_,
            "target_level": target, "participants": people, "gaps": gaps,
            "scores": [{"code": c, "level": lv, "evidence": t} for c, (lv, t) in scores.items()],
        }))
        return AssessmentView(int(row.id or 0), framework.name, round_, target, people,
                              {c: lv for c, (lv, _) in scores.items()}, gaps)


def _gap_score(session: Session, framework: str, round_: int, code: str
               ) -> tuple[CompetencyAssessment, CompetencyScore]:
    row = repo.find_assessment(session, framework, round_)
    if row is None:
        raise NotFoundError(f"{framework} was not assessed for {round_}; "
                            "'bvflow competency frameworks' lists the rounds")
    score = next((s for s in repo.scores_of(session, [int(row.id or 0)]) if s.code == code),
                 None)
    if score is None:
        raise NotFoundError(f"no competency {code!r} in {framework} (round {round_})")
    if not is_gap(score.level, row.target_level):
        raise InputError(f"{code} was at level {score.level} in {round_}, not below the "
                           f"target {row.target_level}: it is not a gap")
    return row, score


def add_development_action(app: App, round_: int, code: str, title: str, owner: str,
                           due: date, framework: str = DEFAULT_FRAMEWORK
                           ) -> AuthorityActionView:
    """A development action answering a gap (a score below the round's target): owned, due,
    and reminded by the sweep like any of the authority's actions."""
    round_number(round_)
    now = app.now()
    with app.db.write() as session:
        assessment, score = _gap_score(session, framework, round_, code)
        competency = pinned_framework(assessment).competency(code)
        action = new_action(
            app, session, now, source="competency", source_id=score.id, service=None,
            title=title, owner=owner, due=due,
            priority=competency.name if competency is not None else code,
        )
        repo.append_event(session, NewEvent(now, app.actor, "competency.action_added", payload={
            "framework": framework, "round": round_, "code": code, "score_id": score.id,
            "level": score.level, "target_level": assessment.target_level,
            **payload_of(action),
        }))
        return view(action, local_date(now))
