"""Reading workflow files: YAML with line numbers, resolved by name or path, hashed exactly.

YAML aliases are refused (an alias bomb expands a few bytes into gigabytes), as are files
over 1 MB. The content hash is of the file's bytes, so a review pins exactly what was read.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Final

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.resolver import Resolver

from bvflow.domain.definition import Definition, parse_definition
from bvflow.errors import DefinitionError, NotFoundError, Problem
from bvflow.files import read_text_input
from bvflow.resources import workflow_dirs

MAX_BYTES: Final = 1_000_000
# Deeper than any real workflow needs; PyYAML's composer recurses once per level.
MAX_DEPTH: Final = 32
SUFFIXES: Final = (".yaml", ".yml")


class LineDict(dict[str, Any]):
    """A mapping that remembers the line of itself and of each key (1-based)."""

    line: int | None = None
    key_lines: dict[str, int]


class _Guards:
    """Composition with the guards (no aliases, bounded depth) and line-numbered mappings,
    over whichever parser reads the events."""

    depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        mark = self.peek_event().start_mark  # type: ignore[attr-defined]
        if self.check_event(yaml.AliasEvent):  # type: ignore[attr-defined]
            raise yaml.MarkedYAMLError(
                "YAML aliases are not allowed in workflow files", problem_mark=mark
            )
        if self.depth >= MAX_DEPTH:
            raise yaml.MarkedYAMLError(
                f"nested more than {MAX_DEPTH} levels deep", problem_mark=mark
            )
        self.depth += 1
        try:
            return Composer.compose_node(self, parent, index)  # type: ignore[arg-type]
        finally:
            self.depth -= 1

    def construct_mapping(self, node: Any, deep: bool = False) -> LineDict:
        result = LineDict()
        result.line = node.start_mark.line + 1
        result.key_lines = {}
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)  # type: ignore[attr-defined]
            if not isinstance(key, str):
                raise yaml.MarkedYAMLError("keys must be text", problem_mark=key_node.start_mark)
            if key in result:
                raise yaml.MarkedYAMLError(
                    f"duplicate key {key!r}", problem_mark=key_node.start_mark
                )
            result[key] = self.construct_object(value_node, deep=True)  # type: ignore[attr-defined]
            result.key_lines[key] = key_node.start_mark.line + 1
        return result


class _Loader(_Guards, yaml.SafeLoader):  # type: ignore[misc]
    """The pure-Python loader (where PyYAML was built without libyaml)."""


_LOADER: type[Any] = _Loader
if getattr(yaml, "__with_libyaml__", False):
    from yaml.cyaml import CParser  # type: ignore[attr-defined]

    class _CLoader(_Guards, Composer, CParser, SafeConstructor, Resolver):  # type: ignore[misc]
        """libyaml scans and parses (several times faster; every command that reads a
        review parses its pinned workflow); composition, with the guards, stays in Python,
        so the C composer never sees an alias or a deep document."""

        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            Composer.__init__(self)
            SafeConstructor.__init__(self)
            Resolver.__init__(self)

    _LOADER = _CLoader

_MAPPING: Final = yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG
_Loader.add_constructor(_MAPPING, _Guards.construct_mapping)  # type: ignore[type-var]
_LOADER.add_constructor(_MAPPING, _Guards.construct_mapping)


@dataclass(frozen=True)
class WorkflowFile:
    """A parsed definition with the exact text it came from."""

    definition: Definition
    source: str
    source_name: str
    digest: str


def digest_of(source: str) -> str:
    return hashlib.sha256(source.encode("utf-8")).hexdigest()


def _load(source: str) -> Any:
    """The YAML data, read fast; what is wrong with a file, in the pure-Python loader's words
    (libyaml words some problems differently, and a message should not depend on the build)."""
    try:
        return yaml.load(source, Loader=_LOADER)  # noqa: S506 - safe constructor, guarded
    except yaml.YAMLError:
        if _LOADER is _Loader:
            raise
    return yaml.load(source, Loader=_Loader)  # noqa: S506 - safe constructor, guarded


def parse_yaml(source: str, source_name: str) -> Any:
    """The YAML data of a definition file (mappings with their lines), or DefinitionError."""
    try:
        return _load(source)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        message = " ".join(str(part) for part in (exc.context, exc.problem) if part)
        raise DefinitionError(source_name, [Problem(f"not valid YAML: {message}", line)]) from exc
    except yaml.YAMLError as exc:
        raise DefinitionError(source_name, [Problem(f"not valid YAML: {exc}")]) from exc


def parse_source(source: str, source_name: str, file_stem: str | None = None) -> Definition:
    """Parse YAML text into a validated definition (every problem reported at once).

    With ``file_stem``, the definition's ``name:`` must equal it, as a workflow folder
    requires: validating a file then says exactly what using it would say.
    """
    data = parse_yaml(source, source_name)
    name_problem = name_problem_of(data, file_stem)
    try:
        definition = parse_definition(data, source_name)
    except DefinitionError as exc:
        if name_problem is None:
            raise
        raise DefinitionError(source_name, [*exc.problems, name_problem]) from exc
    if name_problem is not None:
        raise DefinitionError(source_name, [name_problem])
    return definition


def name_problem_of(data: object, file_stem: str | None) -> Problem | None:
    """A problem if a definition's ``name:`` is not its file's name."""
    if file_stem is None or not isinstance(data, LineDict):
        return None
    name = data.get("name")
    if not isinstance(name, str) or name == file_stem:
        return None
    return Problem(
        f"name {name!r} does not match the file name {file_stem!r}; rename one of them",
        data.key_lines.get("name", 1),
    )


@lru_cache(maxsize=64)
def definition_from_source(
    source: str, source_name: str, file_stem: str | None = None
) -> Definition:
    """Cached parse, for pinned definitions read back from the database."""
    return parse_source(source, source_name, file_stem)


def read_path(path: Path) -> WorkflowFile:
    """Read and validate a workflow file; its ``name:`` must be its file name."""
    source = read_text_input(path, "workflow file", MAX_BYTES)
    where = str(path.resolve())
    definition = definition_from_source(source, where, path.stem)
    return WorkflowFile(definition, source, where, digest_of(source))


def available(extra_dir: Path | None = None) -> dict[str, Path]:
    """Workflow name (file stem) to path; a council's own folder shadows the bundled one."""
    found: dict[str, Path] = {}
    for folder in reversed(workflow_dirs(extra_dir)):
        if folder.is_dir():
            for path in sorted(folder.iterdir()):
                if path.suffix in SUFFIXES:
                    found[path.stem] = path
    return dict(sorted(found.items()))


def resolve(name_or_path: str, extra_dir: Path | None = None) -> WorkflowFile:
    """A workflow by name (searched in the folders) or by path to a file."""
    candidate = Path(name_or_path)
    if candidate.suffix in SUFFIXES or candidate.parent != Path("."):
        if not candidate.is_file():
            raise NotFoundError(f"no workflow file at {candidate}")
        return read_path(candidate)
    known = available(extra_dir)
    if name_or_path not in known:
        names = ", ".join(known) or "none"
        raise NotFoundError(f"no workflow named {name_or_path!r} (available: {names})")
    return read_path(known[name_or_path])
