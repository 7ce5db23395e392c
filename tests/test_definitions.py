"""Workflow definitions: validation lists every problem with its line; the machine and diagram."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import Cli

from bvflow.domain.definition import parse_definition
from bvflow.domain.machine import fire, machine_for
from bvflow.errors import DefinitionError, RefusedError
from bvflow.resources import data_dir
from bvflow.workflow_files import read_path

ROOT = Path(__file__).resolve().parent.parent

BROKEN = """\
name: broken
title: Broken
version: 1
colour: blue
stages:
  - name: challenge
    min_working_days: -1
    target_working_days: 2.5
    requires:
      - evidence: scope_statement
      - telepathy: yes
  - name: challenge
    next: challenge
  - name: compare
    next: nowhere
  - name: closed
    final: true
  - name: after_the_end
"""


def test_every_problem_is_listed_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(BROKEN)
    with pytest.raises(DefinitionError) as caught:
        read_path(path)
    lines = {p.line for p in caught.value.problems}
    messages = " | ".join(p.message for p in caught.value.problems)
    assert {4, 7, 8, 11, 12, 13, 15, 18} <= lines, messages
    assert "unknown key 'colour'" in messages
    assert "min_working_days must be between 0 and 2000, not -1" in messages
    assert "target_working_days must be a whole number of working days, not 2.5" in messages
    assert "unknown requirement kind 'telepathy'" in messages
    assert "stage challenge: duplicate stage name" in messages
    assert "next names unknown stage 'nowhere'" in messages
    assert "stage after_the_end: unreachable" in messages


def test_validate_command_prints_file_and_line(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(BROKEN)
    result = cli("workflow", "validate", str(path))
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert f"{path}:4: workflow: unknown key 'colour'" in lines[0]
    assert lines[-1].startswith(f"Error: {path} is not valid: ")
    assert result.stdout == ""


def test_validate_accepts_the_bundled_workflow(cli: Cli) -> None:
    bundled = data_dir("workflows") / "best-value.yaml"
    result = cli.ok("workflow", "validate", str(bundled))
    assert result.stdout.startswith(f"{bundled}: valid (best-value, 7 stages, digest ")


def test_backwards_next_is_a_cycle() -> None:
    data = {"name": "loop", "title": "Loop", "stages": [
        {"name": "a"}, {"name": "b", "next": "a"}, {"name": "c", "final": True}]}
    with pytest.raises(DefinitionError, match="that would make a cycle"):
        parse_definition(data)


def test_yaml_aliases_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "bomb.yaml"
    path.write_text("a: &a [x, x, x]\nb: &b [*a, *a, *a]\nname: bomb\n")
    with pytest.raises(DefinitionError, match="aliases are not allowed") as caught:
        read_path(path)
    assert caught.value.problems[0].line == 2


def test_workflow_show_and_diagram(cli: Cli) -> None:
    shown = cli.ok("workflow", "show", "best-value").stdout
    assert "challenge: Challenge - at least 10 clear working days, due within 30; then " \
           "compare" in shown
    assert "requires evidence: baseline_profile" in shown
    diagram = cli.ok("workflow", "diagram", "best-value").stdout
    assert diagram.startswith("stateDiagram-v2\n")
    assert "    challenge --> compare: advance (10 clear working days)" in diagram
    assert "    consult --> challenge: return" in diagram
    assert "    monitor --> closed: advance (60 clear working days)" in diagram
    listed = cli.ok("workflow", "list").stdout
    assert listed.splitlines()[1].startswith("best-value")


def test_machine_is_built_once_per_definition() -> None:
    definition = read_path(data_dir("workflows") / "best-value.yaml").definition
    assert machine_for(definition) is machine_for(definition)
    assert fire(definition, "BV", "report", "return_to_compare") == "compare"
    with pytest.raises(RefusedError, match="can only return to a stage before challenge"):
        fire(definition, "BV", "challenge", "return_to_compare")
    with pytest.raises(RefusedError, match="no such transition"):
        fire(definition, "BV", "challenge", "return_to_nowhere")


def test_a_workflow_found_by_name_must_be_called_that(cli: Cli, tmp_path: Path) -> None:
    folder = tmp_path / "wf"
    folder.mkdir()
    (folder / "our-review.yaml").write_text(
        (data_dir("workflows") / "best-value.yaml").read_text())
    result = cli("--workflows", str(folder), "workflow", "show", "our-review")
    assert result.exit_code == 1
    assert "name 'best-value' does not match the file name 'our-review'" in result.stderr
    # Validating the file by path says the same as using it by name (issue 10, defect 10).
    by_path = cli("workflow", "validate", str(folder / "our-review.yaml"))
    assert by_path.exit_code == 1
    assert "name 'best-value' does not match the file name 'our-review'" in by_path.stderr


def test_problems_come_in_line_order_and_description_is_checked() -> None:
    data = {"name": "x", "title": "X", "description": ["not", "text"],
            "stages": [{"name": "a", "requires": [{"telepathy": "x"}]}, {"name": "z",
                                                                       "final": True}]}
    with pytest.raises(DefinitionError) as caught:
        parse_definition(data)
    messages = [p.message for p in caught.value.problems]
    assert "workflow: description must be non-empty text" in messages
    assert any("the timetable comes from min_working_days" in m
               for m in messages)


def _with_lines(node: object) -> object:
    if isinstance(node, dict):
        return (getattr(node, "line", None), getattr(node, "key_lines", None),
                {k: _with_lines(v) for k, v in node.items()})
    if isinstance(node, list):
        return [_with_lines(v) for v in node]
    return node


@pytest.mark.parametrize("source", [
    *(p.read_text() for p in sorted((ROOT / "workflows").glob("*.yaml"))),
    (ROOT / "benchmarks" / "quick.yaml").read_text(),
    "name: x\nstages:\n  - {name: a, title: A}\n  - name: b\n    final: true\n",
    "a: 'quoted'\nb: \"double\\u00e9\"\nc: |\n  block\n  text\nd: >\n  folded\n"
    "e: [1, 2.5, true, null]\n",
])
def test_the_fast_loader_reads_what_the_pure_python_loader_reads(source: str) -> None:
    """libyaml parses pinned workflows (every command that reads a review parses one); the
    data and every line number must be what the pure-Python loader gives."""
    import yaml

    from bvflow.workflow_files import _LOADER, _Loader

    assert _LOADER is not _Loader, "PyYAML here was built with libyaml"
    fast = yaml.load(source, Loader=_LOADER)  # noqa: S506 - the guarded safe loaders
    slow = yaml.load(source, Loader=_Loader)  # noqa: S506
    assert _with_lines(fast) == _with_lines(slow)


@pytest.mark.parametrize("source", [
    "a: &x 1\nb: *x\n", "a: " + "[" * 40 + "]" * 40, "a: 1\na: 2\n", "1: x\n", "a: [\n",
    "a: !!python/object:os.system x\n", "\tname: x\n",
])
def test_a_bad_file_is_described_in_the_same_words_whatever_the_build(
        source: str, tmp_path: Path) -> None:
    import yaml

    from bvflow.workflow_files import _Loader, parse_source

    with pytest.raises(yaml.YAMLError) as slow:
        yaml.load(source, Loader=_Loader)  # noqa: S506
    with pytest.raises(DefinitionError) as found:
        parse_source(source, "bad.yaml")
    (problem,) = found.value.problems
    error = slow.value
    assert isinstance(error, yaml.MarkedYAMLError)
    words = " ".join(str(part) for part in (error.context, error.problem) if part)
    assert problem.message == f"not valid YAML: {words}"
    mark = error.problem_mark or error.context_mark
    assert mark is not None
    assert problem.line == mark.line + 1
