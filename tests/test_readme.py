"""The README's first two commands are what CI runs, so they stay true on a fresh machine."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    block = re.search(r"```sh\n(.*?)```", text, re.S)
    assert block is not None
    return [line for line in block.group(1).splitlines() if line.strip()]


def test_readme_starts_with_install_and_demo_then_tests() -> None:
    first, second = readme_commands()[:2]
    assert first.endswith("bvflow demo")
    assert "pytest" in second


def test_ci_runs_exactly_the_readme_commands() -> None:
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    for command in readme_commands()[:2]:
        assert f"{command} || exit 1" in ci, command
