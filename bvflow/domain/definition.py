"""Workflow definitions: the model, and validation that reports every problem at once.

The parser takes plain data (dicts, lists, scalars) as a YAML or JSON reader produced it.
Mappings may carry line numbers (``.line`` and ``.key_lines``, as ``bvflow.workflow_files``
attaches them) so that problems can say ``file:line``; plain dicts work too.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Final

from bvflow.domain.calendar import MAX_PERIOD_DAYS
from bvflow.domain.involvement import InvolvementSettings, parse_involvement
from bvflow.domain.reminders import ReminderPlan, parse_plan
from bvflow.domain.requirements import (
    IDENTIFIER,
    Requirement,
    TimetableRequirement,
    parse_requirement,
)
from bvflow.domain.text import refused_character
from bvflow.errors import DefinitionError, Problem

WORKFLOW_NAME: Final = re.compile(r"^[a-z][a-z0-9-]{0,63}$")
RESERVED_STAGES: Final = frozenset({"abandoned", "suspended", "initial", "state"})
TOP_KEYS: Final = frozenset(
    {
        "name",
        "title",
        "version",
        "description",
        "stages",
        "evidence_kinds",
        "reminders",
        "involvement",
    }
)
STAGE_KEYS: Final = frozenset(
    {
        "name",
        "title",
        "description",
        "min_working_days",
        "target_working_days",
        "requires",
        "final",
        "next",
        "reminders",
    }
)
MAX_STAGES: Final = 50
MAX_TEXT: Final = 500


@dataclass(frozen=True)
class Stage:
    """One stage of a workflow."""

    name: str
    title: str
    min_working_days: int = 0
    target_working_days: int | None = None
    requires: tuple[Requirement, ...] = ()
    final: bool = False
    next: str | None = None
    description: str = ""
    reminders: ReminderPlan | None = None

    @property
    def guards(self) -> tuple[Requirement, ...]:
        """Every requirement checked on leaving the stage, the timetable first."""
        if self.min_working_days > 0:
            return (TimetableRequirement(self.min_working_days), *self.requires)
        return self.requires


@dataclass(frozen=True)
class Definition:
    """A validated workflow definition."""

    name: str
    title: str
    version: int
    stages: tuple[Stage, ...]
    description: str = ""
    extra_evidence_kinds: frozenset[str] = field(default_factory=frozenset)
    reminders: ReminderPlan = field(default_factory=ReminderPlan)
    involvement: InvolvementSettings = field(default_factory=InvolvementSettings)

    def plan_for(self, stage: Stage) -> ReminderPlan:
        """The stage's own reminder plan, or the workflow-wide default."""
        return stage.reminders if stage.reminders is not None else self.reminders

    @property
    def first(self) -> Stage:
        return self.stages[0]

    def stage(self, name: str) -> Stage:
        """The stage called ``name``; ``KeyError`` if there is none."""
        for stage in self.stages:
            if stage.name == name:
                return stage
        raise KeyError(name)

    def has_stage(self, name: str) -> bool:
        return any(stage.name == name for stage in self.stages)

    def index(self, name: str) -> int:
        return [stage.name for stage in self.stages].index(name)

    @property
    def evidence_kinds(self) -> frozenset[str]:
        """Evidence kinds the stages require, plus any listed under ``evidence_kinds``."""
        named = {
            req.as_data()["evidence"]
            for stage in self.stages
            for req in stage.requires
            if req.kind == "evidence"
        }
        return frozenset(str(kind) for kind in named) | self.extra_evidence_kinds


def _line(node: object, key: str | None = None) -> int | None:
    if key is not None:
        lines = getattr(node, "key_lines", None)
        if isinstance(lines, Mapping) and key in lines:
            return int(lines[key])
    line = getattr(node, "line", None)
    return int(line) if isinstance(line, int) else None


class _Collector:
    """Accumulates problems so that validation reports all of them."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, message: str, node: object = None, key: str | None = None) -> None:
        self.problems.append(Problem(message, _line(node, key)))


def _text(c: _Collector, node: Mapping[str, Any], key: str, where: str, default: str) -> str:
    value = node.get(key, default)
    if not isinstance(value, str) or (key == "title" and not value.strip()):
        c.add(f"{where}: {key} must be non-empty text", node, key)
        return default
    # A description may run over lines; a title is shown on one line (and in diagrams).
    problem = refused_character(value, allow="\n\t" if key == "description" else "")
    if len(value) > MAX_TEXT or problem is not None:
        c.add(
            f"{where}: {key} must be at most {MAX_TEXT} printable characters"
            + (f"; it contains {problem}" if problem else ""),
            node,
            key,
        )
        return default
    return value


def _period(c: _Collector, node: Mapping[str, Any], key: str, where: str) -> int | None:
    if key not in node:
        return None
    value = node[key]
    if isinstance(value, bool) or not isinstance(value, int):
        c.add(f"{where}: {key} must be a whole number of working days, not {value!r}", node, key)
        return None
    if not 0 <= value <= MAX_PERIOD_DAYS:
        c.add(f"{where}: {key} must be between 0 and {MAX_PERIOD_DAYS}, not {value}", node, key)
        return None
    return value


def _unknown_keys(
    c: _Collector, node: Mapping[str, Any], allowed: frozenset[str], where: str
) -> None:
    for key in node:
        if key not in allowed:
            c.add(
                f"{where}: unknown key {key!r} (allowed: {', '.join(sorted(allowed))})", node, key
            )


def _requirements(c: _Collector, node: Mapping[str, Any], where: str) -> tuple[Requirement, ...]:
    items = node.get("requires", [])
    if items is None:
        return ()
    if not isinstance(items, list):
        c.add(f"{where}: requires must be a list", node, "requires")
        return ()
    found: list[Requirement] = []
    for item in items:
        if not isinstance(item, Mapping) or len(item) != 1:
            c.add(f"{where}: each requirement must be one 'kind: value' pair", node, "requires")
            continue
        ((kind, value),) = item.items()
        try:
            found.append(parse_requirement(str(kind), value))
        except ValueError as exc:
            c.add(f"{where}: {exc}", item, str(kind))
    return tuple(found)


def _reminders(c: _Collector, node: Mapping[str, Any], where: str) -> ReminderPlan | None:
    if "reminders" not in node:
        return None
    try:
        return parse_plan(node["reminders"])
    except ValueError as exc:
        c.add(f"{where}: {exc}", node, "reminders")
        return None


def _stage(c: _Collector, node: object, index: int) -> Stage | None:
    if not isinstance(node, Mapping):
        c.add(f"stage {index + 1} must be a mapping with at least a name")
        return None
    name = node.get("name")
    if not isinstance(name, str) or not IDENTIFIER.match(name) or len(name) > 40:
        c.add(
            f"stage {index + 1}: name must be a lower-case identifier, not {name!r}", node, "name"
        )
        return None
    where = f"stage {name}"
    if name in RESERVED_STAGES:
        c.add(f"{where}: the name {name!r} is reserved", node, "name")
    _unknown_keys(c, node, STAGE_KEYS, where)
    final = node.get("final", False)
    if not isinstance(final, bool):
        c.add(f"{where}: final must be true or false", node, "final")
        final = False
    minimum = _period(c, node, "min_working_days", where) or 0
    target = _period(c, node, "target_working_days", where)
    if target is not None and target < minimum:
        c.add(
            f"{where}: target_working_days ({target}) is shorter than min_working_days ({minimum})",
            node,
            "target_working_days",
        )
    requires = _requirements(c, node, where)
    if final and (requires or minimum or target):
        c.add(f"{where}: a final stage cannot have periods or requirements", node, "final")
    reminders = _reminders(c, node, where)
    if final and reminders is not None:
        c.add(f"{where}: a final stage cannot have reminders", node, "reminders")
    nxt = node.get("next")
    if nxt is not None and not isinstance(nxt, str):
        c.add(f"{where}: next must be a stage name", node, "next")
        nxt = None
    return Stage(
        name=name,
        title=_text(c, node, "title", where, name.replace("_", " ").capitalize()),
        min_working_days=minimum,
        target_working_days=target,
        requires=requires,
        final=final,
        next=nxt,
        description=_text(c, node, "description", where, ""),
        reminders=reminders,
    )


def _duplicates(c: _Collector, names: list[str], nodes: list[Any]) -> None:
    for i, name in enumerate(names):
        if name in names[:i]:
            c.add(f"stage {name}: duplicate stage name", nodes[i], "name")


def _link(c: _Collector, stages: list[Stage], nodes: list[Any]) -> tuple[Stage, ...]:
    """Resolve each stage's ``next``, then check names, order and reachability."""
    names = [stage.name for stage in stages]
    _duplicates(c, names, nodes)
    position = {name: i for i, name in reversed(list(enumerate(names)))}
    linked: list[Stage] = []
    for i, stage in enumerate(stages):
        nxt = stage.next
        if stage.final:
            if nxt is not None:
                c.add(f"stage {stage.name}: a final stage cannot have next", nodes[i], "next")
            nxt = None
        elif nxt is None:
            nxt = names[i + 1] if i + 1 < len(names) else None
            if nxt is None:
                c.add(f"stage {stage.name}: the last stage must be final: true", nodes[i], "name")
        elif nxt not in position:
            c.add(f"stage {stage.name}: next names unknown stage {nxt!r}", nodes[i], "next")
            nxt = None
        elif position[nxt] <= i:
            c.add(
                f"stage {stage.name}: next must name a later stage (use return to go back), "
                f"not {nxt!r}: that would make a cycle",
                nodes[i],
                "next",
            )
            nxt = None
        linked.append(replace(stage, next=nxt))
    if not any(stage.final for stage in linked):
        c.add("no stage is final: true (a review must be able to close)")
    _reachable(c, linked, nodes)
    return tuple(linked)


def _reachable(c: _Collector, stages: list[Stage], nodes: list[Any]) -> None:
    by_name = {stage.name: stage for stage in stages}
    seen: set[str] = set()
    current: str | None = stages[0].name
    while current is not None and current not in seen:
        seen.add(current)
        current = by_name[current].next
    for i, stage in enumerate(stages):
        if stage.name not in seen:
            c.add(
                f"stage {stage.name}: unreachable from {stages[0].name} by advancing",
                nodes[i],
                "name",
            )


def _involvement(
    c: _Collector, data: Mapping[str, Any], stages: tuple[Stage, ...]
) -> InvolvementSettings:
    """The involvement settings, and every category a stage requires must be one of them."""
    settings = InvolvementSettings()
    if "involvement" in data:
        try:
            settings = parse_involvement(data["involvement"])
        except ValueError as exc:
            c.add(str(exc), data, "involvement")
    for stage in stages:
        for req in stage.requires:
            wanted = req.as_data().get("involvement")
            if isinstance(wanted, dict):
                for category in wanted.get("categories", []):
                    if category not in settings.categories:
                        c.add(
                            f"stage {stage.name}: unknown involvement category {category!r} "
                            f"(known: {', '.join(settings.categories)})"
                        )
    return settings


def _extra_kinds(c: _Collector, data: Mapping[str, Any]) -> frozenset[str]:
    kinds = data.get("evidence_kinds", [])
    if not isinstance(kinds, list) or not all(
        isinstance(k, str) and IDENTIFIER.match(k) for k in kinds
    ):
        c.add("evidence_kinds must be a list of lower-case identifiers", data, "evidence_kinds")
        return frozenset()
    return frozenset(kinds)


def _header(c: _Collector, data: Mapping[str, Any]) -> tuple[str, str, int]:
    name = data.get("name")
    if not isinstance(name, str) or not WORKFLOW_NAME.match(name):
        c.add(f"name must be lower-case letters, digits and hyphens, not {name!r}", data, "name")
        name = "invalid"
    version = data.get("version", 1)
    if isinstance(version, bool) or not isinstance(version, int) or not 1 <= version <= 10**6:
        c.add(f"version must be a positive whole number, not {version!r}", data, "version")
        version = 1
    return name, _text(c, data, "title", "workflow", name), version


def parse_definition(data: object, source: str = "<definition>") -> Definition:
    """Validate data into a ``Definition``; ``DefinitionError`` lists every problem."""
    c = _Collector()
    if not isinstance(data, Mapping):
        raise DefinitionError(source, [Problem("a workflow file must be a mapping of keys")])
    _unknown_keys(c, data, TOP_KEYS, "workflow")
    name, title, version = _header(c, data)
    nodes = data.get("stages")
    if not isinstance(nodes, list) or not nodes:
        c.add("stages must be a non-empty list", data, "stages")
        nodes = []
    if len(nodes) > MAX_STAGES:
        c.add(f"at most {MAX_STAGES} stages are allowed, not {len(nodes)}", data, "stages")
        nodes = []
    parsed = [(_stage(c, node, i), node) for i, node in enumerate(nodes)]
    kept = [(stage, node) for stage, node in parsed if stage is not None]
    stages: tuple[Stage, ...] = ()
    if kept and len(kept) == len(parsed):
        stages = _link(c, [s for s, _ in kept], [n for _, n in kept])
    description = _text(c, data, "description", "workflow", "")
    extra = _extra_kinds(c, data)
    default_plan = _reminders(c, data, "workflow") or ReminderPlan()
    involvement = _involvement(c, data, stages)
    if c.problems:
        raise DefinitionError(source, c.problems)
    return Definition(name, title, version, stages, description, extra, default_plan, involvement)
