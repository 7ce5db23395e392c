"""CSV text for exports: spreadsheet formulas in user text are neutralised (CSV injection)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any


def cell(value: Any) -> Any:
    """A value safe to open in a spreadsheet; structures become JSON."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    if isinstance(value, dict | list | tuple):
        return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    return value


def to_csv(rows: Iterable[Mapping[str, Any]], fields: Sequence[str]) -> str:
    """The rows' ``fields`` as CSV with a header line."""
    buffer = io.StringIO()
    # CRLF (RFC 4180): a field holding either CR or LF is then quoted, so no value can break
    # a row, and spreadsheets read the line endings they expect.
    writer = csv.DictWriter(buffer, fieldnames=list(fields), lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({name: cell(row.get(name)) for name in fields})
    return buffer.getvalue()
