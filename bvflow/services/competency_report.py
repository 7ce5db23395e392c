"""``bvflow report competency``: a framework's levels by round, the gaps, the evidence, who
took part, and the development actions with their owners, due dates and status."""

from __future__ import annotations

import json
from datetime import date
from typing import Any, Final

from bvflow.domain.calendar import local_date
from bvflow.domain.competency import Competency, Framework, change, is_gap
from bvflow.errors import InputError
from bvflow.exports import to_xlsx
from bvflow.framework_files import resolve_framework
from bvflow.reports.render import render_report
from bvflow.services.app import App
from bvflow.services.authority_actions import actions_for_source, view
from bvflow.services.competency import DEFAULT_FRAMEWORK, pinned_framework
from bvflow.store import Session, repo
from bvflow.store.models import CompetencyAssessment, CompetencyScore

FORMATS: Final = ("html", "md", "xlsx")
XLSX_FIELDS: Final = ("framework", "round", "code", "competency", "level", "level_name",
                      "target_level", "gap", "change", "evidence", "participants", "actions")


def competency_report(app: App, framework: str | None = None, fmt: str = "html") -> str | bytes:
    """The report of a framework's rounds (the bundled framework's by default)."""
    if fmt not in FORMATS:
        raise InputError(f"format must be one of {', '.join(FORMATS)}")
    name = framework or DEFAULT_FRAMEWORK
    now = app.now()
    with app.db.read() as session:
        authority = repo.load_authority(session).name
        data = _gather(session, name, local_date(now))
    data.update(authority=authority, generated_at=now.isoformat())
    if fmt == "xlsx":
        return to_xlsx(_xlsx_rows(data), XLSX_FIELDS, f"Competency {name}")
    return render_report("competency", fmt, data)


def _gather(session: Session, name: str, today: date) -> dict[str, Any]:
    rounds = list(repo.assessments(session, name))
    if not rounds:  # a bundled framework not assessed yet, or a council's file by its path
        framework = resolve_framework(name).framework
        rounds = list(repo.assessments(session, framework.name))
    if rounds:
        framework = pinned_framework(rounds[-1])
    scores = repo.scores_of(session, [int(r.id or 0) for r in rounds])
    by_round = {r.id: {s.code: s for s in scores if s.assessment_id == r.id} for r in rounds}
    actions = [view(a, today).as_dict()
               for a in actions_for_source(session, "competency", {int(s.id or 0) for s in scores})]
    score_of = {s.id: s for s in scores}
    where = {s.id: next(r for r in rounds if r.id == s.assessment_id) for s in scores}
    for a in actions:
        score = score_of[a["source_id"]]
        a.update(code=score.code, round=where[score.id].round)
    return {
        "framework": _framework(framework, rounds),
        "rounds": [_round(r, framework, by_round[r.id]) for r in rounds],
        "competencies": [_competency(c, rounds, by_round, actions) for c in framework.competencies],
        "actions": actions,
        "target_level": rounds[-1].target_level if rounds else None,
    }


def _framework(framework: Framework, rounds: list[CompetencyAssessment]) -> dict[str, Any]:
    return {"name": framework.name, "title": framework.title, "source": framework.source,
            "description": framework.description,
            "digests": sorted({r.framework_digest[:12] for r in rounds})}


def _level_name(framework: Framework, code: str, level: int) -> str:
    competency = framework.competency(code)
    if competency is None or not 1 <= level <= competency.top:
        return ""
    return competency.level(level).name


def _round(row: CompetencyAssessment, framework: Framework,
           scores: dict[str, CompetencyScore]) -> dict[str, Any]:
    pinned = pinned_framework(row)
    return {
        "round": row.round, "target_level": row.target_level,
        "participants": json.loads(row.participants), "assessed_by": row.assessed_by,
        "assessed_at": row.assessed_at.isoformat(),
        "scores": [{"code": s.code, "name": _name(framework, s.code), "level": s.level,
                    "level_name": _level_name(pinned, s.code, s.level), "evidence": s.evidence,
                    "gap": is_gap(s.level, row.target_level)} for s in scores.values()],
    }


def _name(framework: Framework, code: str) -> str:
    competency = framework.competency(code)
    return competency.name if competency is not None else code


def _competency(c: Competency, rounds: list[CompetencyAssessment],
                by_round: dict[int | None, dict[str, CompetencyScore]],
                actions: list[dict[str, Any]]) -> dict[str, Any]:
    levels = [by_round[r.id].get(c.code) for r in rounds]
    known = [s.level for s in levels if s is not None]
    latest = levels[-1] if levels else None
    target = rounds[-1].target_level if rounds else None
    gap = latest is not None and target is not None and is_gap(latest.level, target)
    return {
        "code": c.code, "name": c.name, "description": c.description,
        "levels": [s.level if s is not None else None for s in levels],
        "latest": latest.level if latest is not None else None,
        "change": change(known[-2] if len(known) > 1 else None, known[-1]) if known else "-",
        "gap": gap,
        "evidence": latest.evidence if latest is not None else "",
        "target_looks_like": c.level(target).looks_like if gap and target else "",
        "actions": [a for a in actions if a["code"] == c.code],
    }


def _xlsx_rows(data: dict[str, Any]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for r in data["rounds"]:
        for s in r["scores"]:
            found = next((c for c in data["competencies"] if c["code"] == s["code"]), None)
            rows.append({
                "framework": data["framework"]["name"], "round": r["round"], "code": s["code"],
                "competency": s["name"], "level": s["level"], "level_name": s["level_name"],
                "target_level": r["target_level"], "gap": "gap" if s["gap"] else "at target",
                "change": found["change"] if found and r is data["rounds"][-1] else "",
                "evidence": s["evidence"], "participants": ", ".join(r["participants"]),
                "actions": "; ".join(_action_text(a) for a in data["actions"]
                                     if a["code"] == s["code"] and a["round"] == r["round"]),
            })
    return rows


def _action_text(a: dict[str, Any]) -> str:
    overdue = ", OVERDUE" if a["overdue"] else ""
    return f"{a['title']} ({a['owner']}, due {a['due']}, {a['status']}{overdue})"
