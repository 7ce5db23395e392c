"""bvflow: a workflow engine for UK local-government Best Value service reviews.

The public API is the service functions, each one use case in one transaction::

    from bvflow import App, Database, create_review, advance
    app = App(Database("sqlite:///bvflow.db"), actor="jo")
    ref = create_review(app, "Refuse collection", "Waste", "jo@example.gov.uk")

Names are imported lazily so that ``bvflow --help`` does not pay for SQLAlchemy.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS: dict[str, str] = {
    "App": "bvflow.services.app",
    "Database": "bvflow.store.database",
    "SimulatedClock": "bvflow.clock",
    "SystemClock": "bvflow.clock",
    "init": "bvflow.services.setup",
    "add_closure": "bvflow.services.setup",
    "list_closures": "bvflow.services.setup",
    "create_review": "bvflow.services.reviews",
    "show_review": "bvflow.services.reviews",
    "list_reviews": "bvflow.services.reviews",
    "advance": "bvflow.services.reviews",
    "return_review": "bvflow.services.reviews",
    "suspend": "bvflow.services.reviews",
    "resume": "bvflow.services.reviews",
    "abandon": "bvflow.services.reviews",
    "add_evidence": "bvflow.services.evidence",
    "list_evidence": "bvflow.services.evidence",
    "add_member": "bvflow.services.party",
    "remove_member": "bvflow.services.party",
    "members": "bvflow.services.party",
    "add_activity": "bvflow.services.involvement",
    "activities": "bvflow.services.involvement",
    "schedule_meeting": "bvflow.services.meetings",
    "reschedule_meeting": "bvflow.services.meetings",
    "cancel_meeting": "bvflow.services.meetings",
    "meetings": "bvflow.services.meetings",
    "accept_short_notice": "bvflow.services.meetings",
    "circulate_proposal": "bvflow.services.involvement",
    "proposals": "bvflow.services.involvement",
    "record_agreement": "bvflow.services.involvement",
    "agreements": "bvflow.services.involvement",
    "watch": "bvflow.services.watchers",
    "unwatch": "bvflow.services.watchers",
    "sweep": "bvflow.services.delivery",
    "list_messages": "bvflow.services.outbox",
    "retry": "bvflow.services.outbox",
    "preview": "bvflow.services.outbox",
    "audit_log": "bvflow.services.audit",
    "verify": "bvflow.services.audit",
    "checkpoint": "bvflow.services.audit",
    "list_workflows": "bvflow.services.workflows",
    "show_workflow": "bvflow.services.workflows",
    "validate": "bvflow.services.workflows",
    "parse_definition": "bvflow.domain.definition",
    "WorkingCalendar": "bvflow.domain.calendar",
    "BVFlowError": "bvflow.errors",
    "InputError": "bvflow.errors",
    "NotFoundError": "bvflow.errors",
    "DefinitionError": "bvflow.errors",
    "StoreError": "bvflow.errors",
    "ConflictError": "bvflow.errors",
    "RefusedError": "bvflow.errors",
    "IntegrityError": "bvflow.errors",
}

__all__ = ["__version__", *_EXPORTS]

if TYPE_CHECKING:
    from bvflow.clock import SimulatedClock, SystemClock
    from bvflow.domain.calendar import WorkingCalendar
    from bvflow.domain.definition import parse_definition
    from bvflow.errors import (
        BVFlowError,
        ConflictError,
        DefinitionError,
        InputError,
        IntegrityError,
        NotFoundError,
        RefusedError,
        StoreError,
    )
    from bvflow.services.app import App
    from bvflow.services.audit import audit_log, checkpoint, verify
    from bvflow.services.delivery import sweep
    from bvflow.services.evidence import add_evidence, list_evidence
    from bvflow.services.involvement import (
        activities,
        add_activity,
        agreements,
        circulate_proposal,
        proposals,
        record_agreement,
    )
    from bvflow.services.meetings import (
        accept_short_notice,
        cancel_meeting,
        meetings,
        reschedule_meeting,
        schedule_meeting,
    )
    from bvflow.services.outbox import list_messages, preview, retry
    from bvflow.services.party import add_member, members, remove_member
    from bvflow.services.reviews import (
        abandon,
        advance,
        create_review,
        list_reviews,
        resume,
        return_review,
        show_review,
        suspend,
    )
    from bvflow.services.setup import add_closure, init, list_closures
    from bvflow.services.watchers import unwatch, watch
    from bvflow.services.workflows import list_workflows, show_workflow, validate
    from bvflow.store.database import Database


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'bvflow' has no attribute {name!r}")
    return getattr(import_module(module), name)
