"""Exports for spreadsheets: CSV text and xlsx workbooks from the same rows and field list.

User text a spreadsheet would read as a formula (CSV/formula injection) is neutralised in
both: CSV prefixes it with ``'``; a workbook keeps the text as typed in a text cell with
Excel's own quote prefix, so it is never a formula, even when the cell is edited.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Final

from bvflow.domain.calendar import LONDON
from bvflow.errors import InputError

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")


def formula_like(value: Any) -> bool:
    """Whether a spreadsheet would take this text for a formula (or a DDE command)."""
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def cell(value: Any) -> Any:
    """A value safe to open in a spreadsheet; structures become JSON."""
    if formula_like(value):
        return "'" + value
    if isinstance(value, dict | list | tuple):
        return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    return value


BOM: Final = "\ufeff"


def to_csv(rows: Iterable[Mapping[str, Any]], fields: Sequence[str]) -> str:
    """The rows' ``fields`` as CSV with a header line, starting with a byte order mark.

    The mark is how LibreOffice and Excel know the file is UTF-8: without it they guess a
    Windows code page, and an em dash or a curly quote in a title comes out garbled.
    """
    buffer = io.StringIO()
    buffer.write(BOM)
    # CRLF (RFC 4180): a field holding either CR or LF is then quoted, so no value can break
    # a row, and spreadsheets read the line endings they expect.
    writer = csv.DictWriter(buffer, fieldnames=list(fields), lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({name: cell(row.get(name)) for name in fields})
    return buffer.getvalue()


# Characters XML 1.0 cannot hold (openpyxl refuses the C0 controls with IllegalCharacterError;
# lone surrogates and U+FFFE/U+FFFF would make a file Excel will not open).
NOT_XML: Final = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
REPLACEMENT: Final = "\ufffd"
MAX_CELL: Final = 32_767  # Excel's limit on the characters of one cell
MAX_ROWS: Final = 1_048_576  # Excel's rows per sheet, the header included
MAX_WIDTH: Final = 60
DATE_FORMAT: Final = "dd/mm/yyyy"
DATETIME_FORMAT: Final = "dd/mm/yyyy hh:mm:ss"
SHEET_TITLE: Final = re.compile(r"[\\/?*\[\]:]")


def xml_text(text: str) -> str:
    """Text with every character XML cannot hold replaced by U+FFFD, cut to a cell's limit.

    A line break in a cell is LF; a CR would be read back as LF anyway (XML end-of-line
    handling), so CRLF and CR become LF here, where it is visible.
    """
    text = NOT_XML.sub(REPLACEMENT, text.replace("\r\n", "\n").replace("\r", "\n"))
    if len(text) > MAX_CELL:
        more = f"… ({len(text) - MAX_CELL + 40} more characters)"
        text = text[: MAX_CELL - 40] + more
    return text


def sheet_name(title: str) -> str:
    """A worksheet name Excel accepts: 31 characters, none of \\ / ? * [ ] :."""
    name = " ".join(SHEET_TITLE.sub(" ", NOT_XML.sub(" ", title)).split()).strip("'")
    return name[:31].strip() or "Sheet"


def xlsx_value(value: Any) -> tuple[Any, str | None]:
    """What a cell holds, and its number format: dates as dates (an aware time as London
    wall time, since Excel has no time zones), numbers as numbers, the rest as text."""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(LONDON).replace(tzinfo=None)
        return value, DATETIME_FORMAT
    if isinstance(value, date):
        return value, DATE_FORMAT
    if isinstance(value, bool | int) or (isinstance(value, float) and math.isfinite(value)):
        return value, None
    if value is None:
        return None, None
    shown = value if isinstance(value, str) else cell(value)
    return xml_text(shown if isinstance(shown, str) else str(shown)), None


def to_xlsx(
    rows: Iterable[Mapping[str, Any]],
    fields: Sequence[str],
    sheet_title: str,
    *,
    dates: Collection[str] = (),
) -> bytes:
    """The rows' ``fields`` as an xlsx workbook of one sheet: a bold, frozen header row with a
    filter, columns fitted to their content, real dates and numbers, text kept as text.

    Values that are dates or datetimes become date cells, and so do the ISO texts (as the
    JSON and CSV exports carry them) of the fields named in ``dates``.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = sheet_name(sheet_title)
    book.properties.creator = "bvflow"
    book.properties.title = xml_text(sheet_title)
    sheet.append(list(fields))
    for header in sheet[1]:
        header.font = Font(bold=True)
    count = 0
    for count, row in enumerate(rows, start=2):
        if count > MAX_ROWS:
            raise InputError(
                f"more than {MAX_ROWS - 1:,} rows, more than a spreadsheet holds; "
                "narrow the selection or use --format csv"
            )
        for column, name in enumerate(fields, start=1):
            value = row.get(name)
            _put(sheet, count, column, _iso(value) if name in dates else value)
    _finish(sheet, len(fields), max(count, 1))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _iso(value: Any) -> Any:
    """An ISO date or date-time text as a date or datetime; anything else as it is."""
    if not isinstance(value, str):
        return value
    try:
        return date.fromisoformat(value) if len(value) == 10 else datetime.fromisoformat(value)
    except ValueError:
        return value


def _put(sheet: Worksheet, row: int, column: int, raw: Any) -> None:
    value, number_format = xlsx_value(raw)
    target = sheet.cell(row=row, column=column)
    target.value = value
    if number_format is not None:
        target.number_format = number_format
    elif isinstance(value, str):
        # openpyxl makes any text starting with "=" a formula: this cell is text, always.
        target.data_type = "s"
        target.quotePrefix = formula_like(value)


def _finish(sheet: Worksheet, columns: int, last_row: int) -> None:
    """Freeze the header, filter the data, fit each column to its longest line (capped)."""
    from openpyxl.utils import get_column_letter

    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(columns)}{last_row}"
    for index, column in enumerate(sheet.iter_cols(max_col=columns, max_row=last_row), 1):
        longest = max(_width(c.value) for c in column)
        # The filter's drop-down button sits over the header's last characters.
        sheet.column_dimensions[get_column_letter(index)].width = min(longest + 3, MAX_WIDTH)


def _width(value: Any) -> int:
    if isinstance(value, datetime):
        return len(DATETIME_FORMAT)
    if isinstance(value, date):
        return len(DATE_FORMAT)
    if value is None:
        return 0
    return max(len(line) for line in str(value).splitlines() or [""])
