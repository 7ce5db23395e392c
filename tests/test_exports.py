"""Every CSV bvflow writes is safe to open in a spreadsheet (CSV injection, OWASP).

A cell a spreadsheet would read as a formula starts with ``=``, ``+``, ``-``, ``@``, a tab
or a carriage return. User text that starts so is written with a leading ``'``. Each export
is read back with the csv module and every cell is checked, not only one column of one file.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import Cli

from bvflow.exports import BOM, cell, to_csv

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
HOSTILE = ['=HYPERLINK("http://evil")', "+1+1", "-2+3", "@SUM(A1:A9)"]


@pytest.mark.parametrize("start", FORMULA_STARTS, ids=["eq", "plus", "minus", "at", "tab", "cr"])
def test_each_formula_start_is_neutralised(start: str) -> None:
    value = f"{start}cmd|' /C calc'!A0"
    assert cell(value) == "'" + value
    text = to_csv([{"a": value, "b": "plain", "c": -5, "d": {"k": "=x"}}], ["a", "b", "c", "d"])
    assert text.endswith("\r\n")
    assert text.startswith(BOM)  # so that spreadsheets read it as UTF-8
    row = next(csv.DictReader(io.StringIO(text.removeprefix(BOM), newline="")))
    assert row["a"] == "'" + value
    assert row["b"] == "plain"
    assert row["c"] == "-5"  # a number is a number, not user text
    assert row["d"] == '{"k": "=x"}'  # structures are JSON, starting with {


def _cells(text: str) -> list[str]:
    rows = csv.reader(io.StringIO(text.removeprefix(BOM), newline=""))
    return [value for row in rows for value in row]


def _unsafe(text: str) -> list[str]:
    return [value for value in _cells(text)
            if value.startswith(FORMULA_STARTS) and not value.lstrip("-").replace(".", "")
            .isdigit()]


@pytest.fixture
def hostile_review(initialised: Cli, new_review: Callable[..., str], tmp_path: Path) -> str:
    """A review whose every user-text field that reaches a CSV starts like a formula."""
    ref = new_review(HOSTILE[0], "--workflow", "best-value")
    initialised.ok("evidence", "add", ref, "--kind", "scope_statement", "--title", HOSTILE[1])
    initialised.ok("pi", "add", ref, "BV82a", "--name", HOSTILE[2], "--unit", HOSTILE[3])
    initialised.ok("action", "add", ref, "--title", HOSTILE[1], "--owner",
                   "sam@exampleshire.gov.uk", "--due", "2027-12-01", "--priority", HOSTILE[3])
    initialised.ok("review", "suspend", ref, "--reason", HOSTILE[2], actor=HOSTILE[0])
    return ref


def test_every_csv_export_neutralises_formulas(initialised: Cli, hostile_review: str,
                                               tmp_path: Path) -> None:
    ref = hostile_review
    exports = {
        "review list": initialised.ok("review", "list", "--csv").stdout,
        "audit log": initialised.ok("audit", "log", "--csv").stdout,
        "pi list": initialised.ok("pi", "list", ref, "--csv").stdout,
        "action list": initialised.ok("action", "list", ref, "--csv").stdout,
        "report programme": initialised.ok("report", "programme", "--format", "csv").stdout,
    }
    pack = tmp_path / "pack.zip"
    initialised.ok("report", "inspection", ref, "-o", str(pack))
    with zipfile.ZipFile(pack) as archive:
        for name in ("evidence-index.csv", "audit-trail.csv"):
            exports[f"inspection {name}"] = archive.read(name).decode("utf-8")
    for name, text in exports.items():
        assert _unsafe(text) == [], name
    hostile_seen = {name: [h for h in HOSTILE if f"'{h}" in "\n".join(_cells(text))]
                    for name, text in exports.items()}
    # Each export really carried hostile text (so the check above was not vacuous).
    assert all(hostile_seen[name] for name in exports), hostile_seen
