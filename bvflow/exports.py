"""CSV text for exports: spreadsheet formulas in user text are neutralised (CSV injection)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final


def cell(value: Any) -> Any:
    """A value safe to open in a spreadsheet; structures become JSON."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
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
