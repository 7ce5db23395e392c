"""Reads of competency self-assessments: the rounds of a framework and their scores."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, col, select

from bvflow.store.models import CompetencyAssessment, CompetencyScore


def find_assessment(session: Session, framework: str, round_: int) -> CompetencyAssessment | None:
    """The round of a framework, if it was assessed."""
    return session.exec(
        select(CompetencyAssessment).where(
            col(CompetencyAssessment.framework) == framework,
            col(CompetencyAssessment.round) == round_,
        )
    ).first()


def assessments(session: Session, framework: str | None = None) -> Sequence[CompetencyAssessment]:
    """Every round assessed, by framework then round; of one framework if given."""
    query = select(CompetencyAssessment)
    if framework is not None:
        query = query.where(col(CompetencyAssessment.framework) == framework)
    return session.exec(
        query.order_by(col(CompetencyAssessment.framework), col(CompetencyAssessment.round))
    ).all()


def scores_of(session: Session, assessment_ids: Sequence[int]) -> Sequence[CompetencyScore]:
    """The scores of the given rounds, in the order they were recorded."""
    if not assessment_ids:
        return []
    return session.exec(
        select(CompetencyScore)
        .where(col(CompetencyScore.assessment_id).in_(list(assessment_ids)))
        .order_by(col(CompetencyScore.id))
    ).all()
