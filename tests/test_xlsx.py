"""xlsx exports: ``--format xlsx`` wherever CSV is offered, read back with openpyxl.

Each export is opened as a spreadsheet would open it and compared with the CSV of the same
command cell for cell, as values: dates are date cells, numbers are numbers, and text a
spreadsheet would run as a formula is a text cell (never a formula element in the sheet's
XML). Writing is checked as a user meets it: to a file, to a pipe, refused on a terminal,
and refused cleanly (one line, nothing left behind, the database untouched) when the file
cannot be written.
"""

from __future__ import annotations

import csv
import io
import os
import pty
import select
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import openpyxl
import pytest
from conftest import Cli, snapshot
from openpyxl.cell.cell import Cell
from openpyxl.worksheet.worksheet import Worksheet

from bvflow.domain.calendar import LONDON
from bvflow.exports import BOM, FORMULA_STARTS, MAX_CELL, MAX_WIDTH, REPLACEMENT, to_xlsx

FORMULA = '=HYPERLINK("http://evil.example","click")'
WELSH = "Gwasanaethau Cymdeithasol — Côr “Caerdydd” ‘ni’"
REFUSED_ON_TERMINAL = "Error: xlsx is binary: give --output FILE or redirect stdout\n"


def _book(data: bytes) -> Worksheet:
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    assert isinstance(sheet, Worksheet)
    return sheet


def _sheet_xml(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return archive.read("xl/worksheets/sheet1.xml").decode("utf-8")


# --- to_xlsx itself ------------------------------------------------------------------------


@pytest.mark.parametrize("start", FORMULA_STARTS, ids=["eq", "plus", "minus", "at", "tab", "cr"])
def test_formula_like_text_is_a_text_cell_with_a_quote_prefix(start: str) -> None:
    value = f"{start}cmd|' /C calc'!A0"
    data = to_xlsx([{"a": value, "b": -5}], ["a", "b"], "Sheet")
    text, number = _book(data)["A2"], _book(data)["B2"]
    if start == "\r":  # a cell's line break is LF, and a text starting with one runs nothing
        assert (text.value, text.data_type, text.quotePrefix) == ("\n" + value[1:], "s", False)
    else:
        assert (text.value, text.data_type, text.quotePrefix) == (value, "s", True)
    assert (number.value, number.data_type, number.quotePrefix) == (-5, "n", False)
    assert "<f>" not in _sheet_xml(data)  # no formula anywhere in the sheet


def test_values_keep_their_types_and_uk_date_formats() -> None:
    row = {"day": date(2027, 1, 4), "at": datetime(2027, 7, 1, 12, 0, tzinfo=UTC),
           "n": 3, "x": 31.5, "yes": True, "none": None, "targets": {"2027-28": 40.0},
           "list": ["b", "a"], "iso": "2027-12-01", "text": "2027-12-01", "nan": float("nan")}
    sheet = _book(to_xlsx([row], list(row), "Types", dates=("iso",)))
    cells = dict(zip(row, sheet[2], strict=True))
    assert cells["day"].value == datetime(2027, 1, 4)
    assert cells["day"].number_format == "dd/mm/yyyy"
    # Excel has no time zones: an instant is written as London wall time (BST here).
    assert cells["at"].value == datetime(2027, 7, 1, 13, 0)
    assert cells["at"].number_format == "dd/mm/yyyy hh:mm:ss"
    assert cells["iso"].is_date
    assert cells["iso"].value == datetime(2027, 12, 1)
    assert (cells["text"].value, cells["text"].data_type) == ("2027-12-01", "s")  # not named
    assert [cells[k].value for k in ("n", "x", "yes", "none")] == [3, 31.5, True, None]
    assert cells["targets"].value == '{"2027-28": 40.0}'  # structures are JSON, as in the CSV
    assert cells["list"].value == '["b", "a"]'
    assert cells["nan"].value == "nan"  # a number Excel cannot hold is shown, not written


def test_header_is_bold_frozen_filtered_and_columns_fit() -> None:
    rows = [{"ref": "BV-2027-001", "title": "x" * 500, "due": date(2027, 1, 4)}]
    data = to_xlsx(rows, ["ref", "title", "due"], "Reviews")
    sheet = _book(data)
    assert [c.value for c in sheet[1]] == ["ref", "title", "due"]
    assert all(c.font.b for c in sheet[1])
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:C2"
    widths = {k: sheet.column_dimensions[k].width for k in "ABC"}
    assert widths == {"A": len("BV-2027-001") + 3, "B": MAX_WIDTH, "C": len("dd/mm/yyyy") + 3}
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert (book.properties.creator, book.properties.title) == ("bvflow", "Reviews")
    empty = _book(to_xlsx([], ["ref", "title"], "Nothing yet"))
    assert empty.auto_filter.ref == "A1:B1"
    assert empty.max_row == 1


def test_characters_xml_cannot_hold_are_replaced_not_raised() -> None:
    """openpyxl raises IllegalCharacterError for C0 controls; a bell must not crash."""
    title = "Bell \x07 review [draft]: a/b?*"
    data = to_xlsx([{"title": "Ring \x07 \x00 \x1b[31m \ufffe", "ok": "tab\tand\r\nline\r"}],
                   ["title", "ok"], title)
    book = openpyxl.load_workbook(io.BytesIO(data))
    sheet = book.active
    assert sheet is not None
    assert sheet["A2"].value == f"Ring {REPLACEMENT} {REPLACEMENT} {REPLACEMENT}[31m {REPLACEMENT}"
    assert sheet["B2"].value == "tab\tand\nline\n"  # tab and LF are legal; CR becomes LF
    assert sheet.title == "Bell review draft a b"  # at most 31, none of \ / ? * [ ] :
    assert book.properties.title == f"Bell {REPLACEMENT} review [draft]: a/b?*"


def test_text_longer_than_a_cell_holds_is_cut_and_says_so() -> None:
    sheet = _book(to_xlsx([{"payload": "y" * (MAX_CELL + 10)}], ["payload"], "Long"))
    value = sheet["A2"].value
    assert isinstance(value, str)
    assert len(value) <= MAX_CELL
    assert value.endswith("(50 more characters)")


# --- the commands --------------------------------------------------------------------------


@pytest.fixture
def ref(initialised: Cli, new_review: Callable[..., str]) -> str:
    """Two reviews, one titled like a formula, one in Welsh with curly quotes; indicators,
    an action and a suspension, so every export has formula-like and non-ASCII text."""
    first = new_review(FORMULA)
    new_review(WELSH)
    initialised.ok("pi", "add", first, "BV82a", "--name", WELSH, "--unit", "+1",
                   "--baseline", "31.5", "--baseline-period", "2025-26", "--target",
                   "2027-28=40")
    initialised.ok("action", "add", first, "--title", FORMULA, "--owner",
                   "sam@exampleshire.gov.uk", "--due", "2027-12-01", "--priority", WELSH)
    initialised.ok("review", "suspend", first, "--reason", WELSH, actor="@SUM(A1:A9)")
    return first


# Each export: its command, how it asks for CSV, its date columns, its number columns.
EXPORTS = {
    "review list": (["review", "list"], ["--csv"], {"entered_on", "target_date"},
                    {"clear_working_days", "version"}),
    "audit log": (["audit", "log"], ["--csv"], {"at"}, {"seq"}),
    "pi list": (["pi", "list", "{ref}"], ["--csv"], set(), {"baseline_value", "comparators"}),
    "action list": (["action", "list", "{ref}"], ["--csv"], {"due"}, {"id"}),
    "report programme": (["report", "programme"], ["--format", "csv"],
                         {"created_on", "due_on"}, set()),
}
LIST_COMMANDS = [name for name in EXPORTS if name != "report programme"]


def _args(name: str, ref: str) -> list[str]:
    return [a.format(ref=ref) for a in EXPORTS[name][0]]


def _same(got: Cell, text: str) -> bool:
    """Whether a workbook cell holds the value the CSV wrote as ``text``."""
    value = got.value
    if value is None:
        return text == ""
    if isinstance(value, bool):
        return text == str(value)
    if isinstance(value, datetime):
        if got.number_format == "dd/mm/yyyy":
            return text == value.date().isoformat()
        # An instant: the CSV's is in UTC with its offset, the workbook's in London time.
        instant = datetime.fromisoformat(text)
        return abs(instant - value.replace(tzinfo=LONDON)) < timedelta(milliseconds=1)
    if isinstance(value, int | float):
        return float(text) == value
    return text == ("'" + value if got.quotePrefix else value)


@pytest.mark.parametrize("name", list(EXPORTS), ids=list(EXPORTS))
def test_each_export_matches_its_csv_cell_for_cell(initialised: Cli, ref: str, name: str,
                                                    tmp_path: Path) -> None:
    command, as_csv, dates, numbers = EXPORTS[name]
    before = snapshot(initialised.db)
    out = tmp_path / "export.xlsx"
    result = initialised.ok(*_args(name, ref), "--format", "xlsx", "--output", str(out))
    assert (result.stdout, result.stderr) == ("", f"wrote {out}\n")
    assert snapshot(initialised.db) == before  # an export changes nothing
    text = initialised.ok(*_args(name, ref), *as_csv).stdout
    expected = list(csv.reader(io.StringIO(text.removeprefix(BOM), newline="")))
    sheet = _book(out.read_bytes())
    got = list(sheet.iter_rows())
    assert [c.value for c in got[0]] == expected[0]
    assert len(got) == len(expected) > 1
    header = expected[0]
    for cells, row in zip(got[1:], expected[1:], strict=True):
        assert all(_same(c, t) for c, t in zip(cells, row, strict=True)), (
            [c.value for c in cells], row)
        by_name = dict(zip(header, cells, strict=True))
        assert all(by_name[d].is_date for d in dates if by_name[d].value is not None), row
        assert all(by_name[n].data_type == "n" for n in numbers if by_name[n].value is not None)
    strings = [c for row in got[1:] for c in row if isinstance(c.value, str)]
    formulas = [c for c in strings if c.value.startswith(FORMULA_STARTS)]
    assert formulas, "the export should carry formula-like text"
    assert all(c.data_type == "s" and c.quotePrefix for c in formulas)
    assert "<f>" not in _sheet_xml(out.read_bytes())
    assert any(WELSH in str(c.value) for row in got for c in row)
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == sheet.dimensions


def test_the_formula_title_is_a_string_cell_in_review_list(initialised: Cli, ref: str,
                                                           tmp_path: Path) -> None:
    out = tmp_path / "reviews.xlsx"
    initialised.ok("review", "list", "--format", "xlsx", "-o", str(out))
    sheet = _book(out.read_bytes())
    titles = {row[0].value: row[1] for row in sheet.iter_rows(min_row=2)}
    assert titles[ref].value == FORMULA
    assert titles[ref].data_type == "s"
    assert [c.value for c in titles.values()] == [FORMULA, WELSH]
    assert sheet["G2"].value == datetime(2027, 1, 4)  # entered_on, a date cell
    assert sheet["G2"].number_format == "dd/mm/yyyy"


def test_audit_times_are_london_date_cells(initialised: Cli, ref: str, tmp_path: Path) -> None:
    out = tmp_path / "trail.xlsx"
    initialised.ok("audit", "log", "--review", ref, "--format", "xlsx", "-o", str(out))
    sheet = _book(out.read_bytes())
    assert sheet["B1"].value == "at"
    assert sheet["B2"].value == datetime(2027, 1, 4, 9, 30)  # START, London time
    assert sheet["B2"].number_format == "dd/mm/yyyy hh:mm:ss"


@pytest.mark.parametrize("name", list(EXPORTS), ids=list(EXPORTS))
def test_xlsx_goes_to_stdout_when_it_is_not_a_terminal(initialised: Cli, ref: str,
                                                      name: str) -> None:
    result = initialised.ok(*_args(name, ref), "--format", "xlsx")
    assert result.stdout_bytes.startswith(b"PK\x03\x04")
    assert _book(result.stdout_bytes).max_row > 1


@pytest.mark.parametrize("fmt", ["csv", "json", "text"])
def test_output_writes_what_stdout_would_show(initialised: Cli, ref: str, tmp_path: Path,
                                              fmt: str) -> None:
    for name in LIST_COMMANDS:
        out = tmp_path / f"{name}.{fmt}"
        shown = initialised.ok(*_args(name, ref), "--format", fmt).stdout_bytes
        initialised.ok(*_args(name, ref), "--format", fmt, "-o", str(out))
        assert out.read_bytes() == shown, name


def test_the_old_flags_still_work(initialised: Cli, ref: str) -> None:
    for name in LIST_COMMANDS:
        for flag, fmt in (("--csv", "csv"), ("--json", "json")):
            old = initialised.ok(*_args(name, ref), flag).stdout
            assert old == initialised.ok(*_args(name, ref), "--format", fmt).stdout, name
            # A flag and --format naming the same format do not conflict.
            assert old == initialised.ok(*_args(name, ref), flag, "--format", fmt).stdout


def _on_a_terminal(args: list[str], cwd: Path) -> tuple[int, bytes, str]:
    """Run bvflow with stdout on a pseudo-terminal: exit code, what reached it, stderr."""
    leader, follower = pty.openpty()
    try:
        done = subprocess.run([sys.executable, "-m", "bvflow", *args], stdout=follower,
                              stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
                              cwd=cwd, timeout=120, check=False)
        shown = b""
        while select.select([leader], [], [], 0.2)[0]:
            shown += os.read(leader, 65536)
    finally:
        os.close(leader)
        os.close(follower)
    return done.returncode, shown, done.stderr


@pytest.mark.slow
@pytest.mark.parametrize("name", ["review list", "report programme"])
def test_xlsx_is_refused_on_a_terminal(initialised: Cli, ref: str, tmp_path: Path,
                                       name: str) -> None:
    code, shown, stderr = _on_a_terminal(
        ["--db", str(initialised.db), *_args(name, ref), "--format", "xlsx"], tmp_path)
    assert (code, shown, stderr) == (1, b"", REFUSED_ON_TERMINAL)
    # With --output the terminal is no obstacle.
    out = tmp_path / "on-terminal.xlsx"
    code, shown, stderr = _on_a_terminal(
        ["--db", str(initialised.db), *_args(name, ref), "--format", "xlsx", "-o", str(out)],
        tmp_path)
    assert (code, stderr) == (0, f"wrote {out}\n")
    assert _book(out.read_bytes()).max_row > 1


def _libreoffice(tmp_path: Path, book: Path, target: str) -> Path:
    """``book`` converted by LibreOffice Calc (headless, its own profile); the new file."""
    office = shutil.which("soffice") or shutil.which("libreoffice")
    if office is None:
        if os.environ.get("CI"):
            pytest.fail("LibreOffice is missing; .ci/run installs libreoffice-calc-nogui")
        pytest.skip("LibreOffice is not installed here (CI installs and runs it)")
    folder = tmp_path / target.split(":")[0]
    subprocess.run([office, f"-env:UserInstallation={(tmp_path / 'lo-profile').as_uri()}",
                    "--headless", "--convert-to", target, "--outdir", str(folder), str(book)],
                   capture_output=True, timeout=180, check=True)
    (made,) = folder.iterdir()
    return made


OFFICE = {"table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
          "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
          "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0"}


@pytest.mark.slow
def test_libreoffice_reads_formulas_as_text_and_dates_as_dates(initialised: Cli, ref: str,
                                                               tmp_path: Path) -> None:
    book = tmp_path / "reviews.xlsx"
    initialised.ok("review", "list", "--format", "xlsx", "-o", str(book))
    with zipfile.ZipFile(_libreoffice(tmp_path, book, "ods")) as ods:
        content = ElementTree.fromstring(ods.read("content.xml"))
    cells = {}
    for cell in content.iter(f"{{{OFFICE['table']}}}table-cell"):
        shown = "".join(cell.itertext())
        cells[shown] = (cell.get(f"{{{OFFICE['office']}}}value-type"),
                        cell.get(f"{{{OFFICE['office']}}}date-value"),
                        cell.get(f"{{{OFFICE['table']}}}formula"))
    assert cells[FORMULA] == ("string", None, None)  # text, not a formula
    assert cells[WELSH] == ("string", None, None)
    assert cells["04/01/2027"] == ("date", "2027-01-04", None)  # shown the UK way
    # As shown on screen: the formula's text, the dates day first.
    shown = _libreoffice(tmp_path, book, 'csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,'
                         'true,true').read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(shown)))
    assert rows[1][1] == FORMULA
    assert rows[1][6] == "04/01/2027"
    assert rows[2][1] == WELSH


# --- bad input -----------------------------------------------------------------------------


def _refused(cli: Cli, args: list[str], code: int = 1) -> str:
    before = snapshot(cli.db)
    result = cli(*args)
    assert result.exit_code == code, (result.stdout, result.stderr)
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith("Error: ")
    assert "Traceback" not in result.output
    assert snapshot(cli.db) == before
    return result.stderr


@pytest.mark.parametrize("name", list(EXPORTS), ids=list(EXPORTS))
def test_an_output_in_a_missing_folder_is_refused(initialised: Cli, ref: str, tmp_path: Path,
                                                  name: str) -> None:
    out = tmp_path / "no-such-folder" / "export.xlsx"
    stderr = _refused(initialised, [*_args(name, ref), "--format", "xlsx", "-o", str(out)])
    assert stderr == f"Error: cannot write {out}: folder {out.parent} does not exist\n"
    assert not out.parent.exists()


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p.mkdir(), "is a directory"),
        (lambda p: p.write_bytes(b"old"), "already exists; add --force to replace it"),
        (lambda p: p.symlink_to(p.parent / "elsewhere.xlsx"), "is a symbolic link"),
    ],
    ids=["directory", "existing-file", "symlink"],
)
@pytest.mark.parametrize("name", LIST_COMMANDS, ids=LIST_COMMANDS)
def test_an_output_that_is_not_a_new_file_is_refused(
        initialised: Cli, ref: str, tmp_path: Path, name: str,
        make: Callable[[Path], Any], message: str) -> None:
    out = tmp_path / "export.xlsx"
    make(out)
    stderr = _refused(initialised, [*_args(name, ref), "--format", "xlsx", "-o", str(out)])
    assert message in stderr
    assert not (tmp_path / "elsewhere.xlsx").exists()
    if out.is_file():
        assert out.read_bytes() == b"old"


def test_force_replaces_an_existing_output(initialised: Cli, ref: str, tmp_path: Path) -> None:
    out = tmp_path / "reviews.xlsx"
    out.write_bytes(b"old")
    initialised.ok("review", "list", "--format", "xlsx", "-o", str(out), "--force")
    assert _book(out.read_bytes()).max_row == 3


def test_a_write_that_fails_midway_leaves_nothing_behind(
        initialised: Cli, ref: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def full(*_: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full)
    out = tmp_path / "out" / "reviews.xlsx"
    out.parent.mkdir()
    stderr = _refused(initialised, ["review", "list", "--format", "xlsx", "-o", str(out)])
    assert stderr == f"Error: cannot write {out}: No space left on device\n"
    assert list(out.parent.iterdir()) == []  # neither the file nor its temporary twin


@pytest.mark.parametrize(
    ("given", "message"),
    [
        (["--csv", "--format", "xlsx"], "--csv and --format xlsx ask for different formats"),
        (["--json", "--format", "csv"], "--json and --format csv ask for different formats"),
        (["--json", "--csv"], "--json and --csv ask for different formats"),
    ],
    ids=["csv-xlsx", "json-csv", "json-and-csv"],
)
@pytest.mark.parametrize("name", LIST_COMMANDS, ids=LIST_COMMANDS)
def test_two_formats_are_a_usage_error(initialised: Cli, ref: str, tmp_path: Path, name: str,
                                       given: list[str], message: str) -> None:
    out = tmp_path / "export.xlsx"
    stderr = _refused(initialised, [*_args(name, ref), *given, "-o", str(out)], code=2)
    assert stderr == f"Error: {message}; give one\n"
    assert not out.exists()


def test_listing_as_csv_does_not_import_openpyxl(initialised: Cli, ref: str,
                                                 tmp_path: Path) -> None:
    code = ("import sys\nfrom bvflow.cli import main\n"
            f"try:\n    main({['--db', str(initialised.db), 'review', 'list', '--csv']!r})\n"
            "except SystemExit as e:\n    assert not e.code, e.code\n"
            "print('LOADED', 'openpyxl' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=tmp_path).stdout
    assert out.splitlines()[-1] == "LOADED False"
