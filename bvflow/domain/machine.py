"""The review state machine: one ``transitions.Machine`` per definition, plain model objects.

States are the definition's stages plus ``abandoned``. Triggers are ``advance``,
``return_to_<stage>``, ``suspend``, ``resume`` and ``abandon``; suspension is an internal
transition with a flag, so resuming goes back to the very stage that was suspended.
The guards are computed beforehand (every unmet condition, not the first) and the machine's
condition only asks whether that list is empty.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any, Final

from transitions import Machine, MachineError

from bvflow.domain.definition import Definition
from bvflow.errors import RefusedError, Unmet

ABANDONED: Final = "abandoned"


class ReviewModel:
    """The machine's model: a plain object (a pydantic row refuses transitions' attributes)."""

    state: str

    def __init__(self, ref: str, suspended: bool, unmet: Sequence[Unmet] = ()) -> None:
        self.ref = ref
        self.suspended = suspended
        self.unmet = list(unmet)

    # Guard names start with guard_ so that no state (is_<stage>) or trigger can shadow them.
    def guard_running(self) -> bool:
        return not self.suspended

    def guard_paused(self) -> bool:
        return self.suspended

    def guard_met(self) -> bool:
        return not self.unmet


def return_trigger(stage: str) -> str:
    return f"return_to_{stage}"


def _transitions(definition: Definition) -> list[dict[str, Any]]:
    live = [stage for stage in definition.stages if not stage.final]
    names = [stage.name for stage in live]
    found: list[dict[str, Any]] = [
        {
            "trigger": "advance",
            "source": s.name,
            "dest": s.next,
            "conditions": ["guard_running", "guard_met"],
        }
        for s in live
    ]
    for i, stage in enumerate(live):
        if names[i + 1 :]:
            found.append(
                {
                    "trigger": return_trigger(stage.name),
                    "source": names[i + 1 :],
                    "dest": stage.name,
                    "conditions": ["guard_running"],
                }
            )
    found += [
        {"trigger": "suspend", "source": names, "dest": None, "conditions": ["guard_running"]},
        {"trigger": "resume", "source": names, "dest": None, "conditions": ["guard_paused"]},
        {"trigger": "abandon", "source": names, "dest": ABANDONED},
    ]
    return found


@lru_cache(maxsize=32)
def machine_for(definition: Definition) -> Machine:
    """The cached machine for a definition (definitions are frozen and hashable)."""
    states = [stage.name for stage in definition.stages] + [ABANDONED]
    return Machine(
        model=None,
        states=states,
        transitions=_transitions(definition),
        initial=definition.first.name,
        auto_transitions=False,
        ignore_invalid_triggers=False,
    )


def _why_refused(model: ReviewModel, trigger: str) -> str:
    if trigger == "resume":
        return "it is not suspended"
    if model.suspended:
        return "it is suspended; resume it first"
    return "the workflow's conditions are not met"


def fire(
    definition: Definition,
    ref: str,
    stage: str,
    trigger: str,
    *,
    suspended: bool = False,
    unmet: Sequence[Unmet] = (),
) -> str:
    """Fire ``trigger`` on a review at ``stage``; return the new stage or raise ``RefusedError``."""
    machine = machine_for(definition)
    model = ReviewModel(ref, suspended, unmet)
    machine.add_model(model, initial=stage)
    action = trigger.replace("_", " ")
    try:
        if not callable(getattr(model, trigger, None)):
            raise RefusedError(ref, action, f"there is no such transition from {stage}")
        done = getattr(model, trigger)()
    except MachineError as exc:
        why = f"not possible from stage {stage}"
        if trigger.startswith("return_to_"):
            why = f"a review can only return to a stage before {stage}"
        raise RefusedError(ref, action, why) from exc
    finally:
        machine.remove_model(model)
    if not done:
        raise RefusedError(ref, action, _why_refused(model, trigger), unmet)
    return model.state


def possible(definition: Definition, stage: str, suspended: bool) -> list[str]:
    """The triggers that could fire from ``stage`` if their requirements were met."""
    machine = machine_for(definition)
    model = ReviewModel("?", suspended)
    machine.add_model(model, initial=stage)
    try:
        return [t for t in machine.get_triggers(stage) if getattr(model, f"may_{t}")()]
    finally:
        machine.remove_model(model)
