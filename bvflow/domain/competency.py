"""Competency frameworks and self-assessments, without I/O.

A framework is data, like a workflow: competencies, each with levels 1..N and what each level
looks like. The source document asks that authorities "compare themselves against these
competencies and highlight the skills they needed to develop in order to improve"; a score
below the round's target level is such a gap. Validation collects every problem, each with
the line it is on, as a workflow's does.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from bvflow.domain.text import refused_character
from bvflow.errors import DefinitionError, Problem

KIND: Final = "competency-framework"
NAME: Final = re.compile(r"^[a-z][a-z0-9-]{0,63}$")
CODE: Final = re.compile(r"^[a-z][a-z0-9-]{0,39}$")
TOP_KEYS: Final = frozenset({"kind", "name", "title", "version", "source", "description",
                             "competencies"})
COMPETENCY_KEYS: Final = frozenset({"code", "name", "description", "levels"})
LEVEL_KEYS: Final = frozenset({"level", "name", "looks_like"})
MAX_TEXT: Final = 1000
MAX_COMPETENCIES: Final = 50
MAX_LEVELS: Final = 10


@dataclass(frozen=True)
class Level:
    """One level of a competency: its number (1 is the lowest), name and what it looks like."""

    level: int
    name: str
    looks_like: str


@dataclass(frozen=True)
class Competency:
    """A competency with its levels, 1..N in order."""

    code: str
    name: str
    description: str
    levels: tuple[Level, ...]

    @property
    def top(self) -> int:
        """The highest level."""
        return len(self.levels)

    def level(self, number: int) -> Level:
        """Level ``number`` (1-based)."""
        return self.levels[number - 1]


@dataclass(frozen=True)
class Framework:
    """A validated competency framework."""

    name: str
    title: str
    version: int
    source: str
    description: str
    competencies: tuple[Competency, ...]

    def competency(self, code: str) -> Competency | None:
        """The competency with this code, if the framework has it."""
        return next((c for c in self.competencies if c.code == code), None)

    @property
    def codes(self) -> tuple[str, ...]:
        """The competencies' codes, in the file's order."""
        return tuple(c.code for c in self.competencies)


def is_framework(data: object) -> bool:
    """Whether parsed YAML declares itself a competency framework (``kind:``)."""
    return isinstance(data, Mapping) and data.get("kind") == KIND


def _line(node: object, key: str | None = None) -> int | None:
    lines = getattr(node, "key_lines", None)
    if key is not None and isinstance(lines, Mapping) and key in lines:
        return int(lines[key])
    line = getattr(node, "line", None)
    return int(line) if isinstance(line, int) else None


class _Problems(list[Problem]):
    def add(self, message: str, node: object = None, key: str | None = None) -> None:
        self.append(Problem(message, _line(node, key)))


def _unknown(p: _Problems, node: Mapping[str, Any], allowed: frozenset[str], where: str) -> None:
    for key in node:
        if key not in allowed:
            p.add(f"{where}: unknown key {key!r} (allowed: {', '.join(sorted(allowed))})",
                  node, key)


def _text(p: _Problems, node: Mapping[str, Any], key: str, where: str) -> str:
    value = node.get(key)
    if key not in node:
        p.add(f"{where}: {key} is missing", node)
        return ""
    if not isinstance(value, str) or not value.strip():
        p.add(f"{where}: {key} must be non-empty text", node, key)
        return ""
    problem = refused_character(value, allow="\n\t")
    if len(value) > MAX_TEXT or problem is not None:
        p.add(f"{where}: {key} must be at most {MAX_TEXT} printable characters"
              + (f"; it contains {problem}" if problem else ""), node, key)
        return ""
    return " ".join(value.split())


def _levels(p: _Problems, node: Mapping[str, Any], where: str) -> tuple[Level, ...]:
    items = node.get("levels")
    if not isinstance(items, list) or not items:
        p.add(f"{where}: levels must be a list of at least one level", node,
              "levels" if "levels" in node else None)
        return ()
    if len(items) > MAX_LEVELS:
        p.add(f"{where}: at most {MAX_LEVELS} levels, not {len(items)}", node, "levels")
    found: list[Level] = []
    for index, item in enumerate(items, start=1):
        here = f"{where}, level {index}"
        if not isinstance(item, Mapping):
            p.add(f"{here}: must be a mapping with level, name and looks_like", node, "levels")
            continue
        _unknown(p, item, LEVEL_KEYS, here)
        number = item.get("level")
        if isinstance(number, bool) or not isinstance(number, int):
            p.add(f"{here}: level must be a whole number, not {number!r}", item,
                  "level" if "level" in item else None)
            number = 0
        elif number != index:
            p.add(f"{here}: levels must run 1..{len(items)} in order; found {number} "
                  f"where {index} belongs", item, "level")
        found.append(Level(number, _text(p, item, "name", here),
                           _text(p, item, "looks_like", here)))
    return tuple(found)


def _competency(p: _Problems, item: object, index: int, seen: dict[str, int],
                parent: object) -> Competency | None:
    where = f"competency {index}"
    if not isinstance(item, Mapping):
        p.add(f"{where}: must be a mapping with code, name, description and levels",
              parent, "competencies")
        return None
    code = item.get("code")
    if not isinstance(code, str) or not CODE.match(code):
        p.add(f"{where}: code must be lower-case letters, digits and hyphens, not {code!r}"
              if "code" in item else f"{where}: code is missing", item,
              "code" if "code" in item else None)
        code = ""
    else:
        where = f"competency {code!r}"
        if code in seen:
            p.add(f"{where}: duplicate code (first at line {seen[code]})", item, "code")
        seen.setdefault(code, _line(item, "code") or 0)
    _unknown(p, item, COMPETENCY_KEYS, where)
    return Competency(code, _text(p, item, "name", where), _text(p, item, "description", where),
                      _levels(p, item, where))


def _version(p: _Problems, data: Mapping[str, Any]) -> int:
    version = data.get("version", 1)
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        p.add(f"version must be a whole number from 1, not {version!r}", data, "version")
        return 1
    return version


def parse_framework(data: object, source_name: str) -> Framework:
    """A validated framework, or DefinitionError listing every problem with its line."""
    p = _Problems()
    if not isinstance(data, Mapping):
        raise DefinitionError(source_name, [Problem("a competency framework must be a mapping")])
    _unknown(p, data, TOP_KEYS, "framework")
    name = data.get("name")
    if not isinstance(name, str) or not NAME.match(name):
        p.add(f"name must be lower-case letters, digits and hyphens, not {name!r}", data,
              "name" if "name" in data else None)
        name = ""
    title, source = _text(p, data, "title", "framework"), _text(p, data, "source", "framework")
    description = _text(p, data, "description", "framework") if "description" in data else ""
    items = data.get("competencies")
    competencies: list[Competency] = []
    if not isinstance(items, list) or not items:
        p.add("competencies must be a list of at least one competency", data,
              "competencies" if "competencies" in data else None)
    else:
        if len(items) > MAX_COMPETENCIES:
            p.add(f"at most {MAX_COMPETENCIES} competencies, not {len(items)}", data,
                  "competencies")
        seen: dict[str, int] = {}
        for index, item in enumerate(items, start=1):
            found = _competency(p, item, index, seen, data)
            if found is not None:
                competencies.append(found)
    version = _version(p, data)
    if p:
        raise DefinitionError(source_name, p)
    return Framework(str(name), title, version, source, description, tuple(competencies))


def score_problems(framework: Framework, scores: Mapping[str, int]) -> list[str]:
    """What is wrong with a round's scores: unknown codes, levels out of range, gaps left."""
    problems = [f"no competency {code!r} in {framework.name} (its codes: "
                f"{', '.join(framework.codes)})" for code in scores
                if framework.competency(code) is None]
    for competency in framework.competencies:
        level = scores.get(competency.code)
        if level is None:
            problems.append(f"no score for {competency.code!r}")
        elif not 1 <= level <= competency.top:
            problems.append(f"{competency.code}: level must be 1 to {competency.top}, "
                            f"not {level}")
    return problems


def is_gap(level: int, target: int) -> bool:
    """A score below the round's target level is a skill to develop."""
    return level < target


def change(before: int | None, after: int) -> str:
    """How a competency's level moved since the round before, in words."""
    if before is None:
        return "first assessed"
    if after == before:
        return "no change"
    return f"{'up' if after > before else 'down'} {abs(after - before)}"
