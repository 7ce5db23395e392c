"""Reading competency framework files: the same guarded, line-numbered YAML as workflows,
found by name in a council's folder or the bundled ``competencies/``, or by path."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from bvflow.domain.competency import Framework, is_framework, parse_framework
from bvflow.errors import DefinitionError, NotFoundError, Problem
from bvflow.files import read_text_input
from bvflow.resources import framework_dirs
from bvflow.workflow_files import MAX_BYTES, SUFFIXES, digest_of, name_problem_of, parse_yaml


@dataclass(frozen=True)
class FrameworkFile:
    """A parsed framework with the exact text it came from."""

    framework: Framework
    source: str
    source_name: str
    digest: str


@lru_cache(maxsize=32)
def framework_from_source(
    source: str, source_name: str, file_stem: str | None = None
) -> Framework:
    """Parse and validate a framework's text (every problem at once); cached."""
    data = parse_yaml(source, source_name)
    problems: list[Problem] = []
    if not is_framework(data):
        kind = data.get("kind") if isinstance(data, Mapping) else None
        problems.append(Problem(
            f"unknown kind {kind!r}: a competency framework says 'kind: competency-framework'"
            if kind is not None else
            "not a competency framework: it needs 'kind: competency-framework'",
            getattr(data, "line", None)))
    named = name_problem_of(data, file_stem)
    problems += [named] if named is not None else []
    try:
        framework = parse_framework(data, source_name)
    except DefinitionError as exc:
        raise DefinitionError(source_name, [*exc.problems, *problems]) from exc
    if problems:
        raise DefinitionError(source_name, problems)
    return framework


def is_framework_source(source: str, source_name: str) -> bool:
    """Whether a definition file's text declares a ``kind:``: a workflow has none, so a
    misspelt ``kind: competency-framwork`` is checked as the framework it means to be (and
    told what its kind should be), not as a workflow missing its stages."""
    data = parse_yaml(source, source_name)
    return is_framework(data) or (isinstance(data, Mapping) and "kind" in data)


def read_framework(path: Path) -> FrameworkFile:
    """Read and validate a framework file; its ``name:`` must be its file name."""
    source = read_text_input(path, "competency framework file", MAX_BYTES)
    where = str(path.resolve())
    return FrameworkFile(framework_from_source(source, where, path.stem), source, where,
                         digest_of(source))


def available_frameworks(extra_dir: Path | None = None) -> dict[str, Path]:
    """Framework name (file stem) to path; a council's own folder shadows the bundled one."""
    found: dict[str, Path] = {}
    for folder in reversed(framework_dirs(extra_dir)):
        if folder.is_dir():
            for path in sorted(folder.iterdir()):
                if path.suffix in SUFFIXES:
                    found[path.stem] = path
    return dict(sorted(found.items()))


def resolve_framework(name_or_path: str, extra_dir: Path | None = None) -> FrameworkFile:
    """A framework by name (searched in the folders) or by path to a file."""
    candidate = Path(name_or_path)
    if candidate.suffix in SUFFIXES or candidate.parent != Path("."):
        if not candidate.is_file():
            raise NotFoundError(f"no competency framework file at {candidate}")
        return read_framework(candidate)
    known = available_frameworks(extra_dir)
    if name_or_path not in known:
        names = ", ".join(known) or "none"
        raise NotFoundError(f"no competency framework named {name_or_path!r} "
                            f"(available: {names})")
    return read_framework(known[name_or_path])
