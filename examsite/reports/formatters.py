"""Report rows as CSV, XLSX or JSON. Formatters take columns and rows (mappings) and know nothing
of where the rows came from.

Spreadsheet safety: a text cell that starts with =, +, -, @, a tab or a carriage return could be
run as a formula by a spreadsheet, so it gets a leading apostrophe (OWASP "CSV injection").
Numbers are written as numbers and left alone.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils import get_column_letter

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
Column = tuple[str, str]  # (key, title)


def neutralise(value):
    """Make a text cell inert in a spreadsheet; anything else is returned unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(neutralise(value))


def csv_stream(header: Sequence[str], rows: Iterable[Sequence], rows_per_chunk: int = 500) -> Iterator[str]:
    """CSV text in chunks: the header at once, then every `rows_per_chunk` rows.

    Only one chunk is ever held, so a response or file can stream any number of rows in flat memory.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def drain() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow([_cell_text(name) for name in header])
    yield drain()
    pending = 0
    for row in rows:
        writer.writerow([_cell_text(value) for value in row])
        pending += 1
        if pending == rows_per_chunk:
            yield drain()
            pending = 0
    if pending:
        yield drain()


def csv_lines(columns: Sequence[Column], rows: Iterable[Mapping]) -> Iterator[str]:
    """Rows given as mappings, in the order and with the header keys of `columns`."""
    keys = [key for key, _ in columns]
    return csv_stream(keys, ([row.get(key) for key in keys] for row in rows))


def xlsx_bytes(
    columns: Sequence[Column],
    rows: Iterable[Mapping],
    *,
    sheet_title: str = "Report",
    about: Sequence[tuple[str, str]] = (),
) -> bytes:
    """An .xlsx workbook: the rows on the first sheet (titles as header), `about` on a second."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_sheet_name(sheet_title))
    for index, (key, title) in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = (
            40 if key == "group" else max(12, len(title) + 2)
        )
    sheet.freeze_panes = "A2"
    sheet.append([title for _, title in columns])
    for row in rows:
        sheet.append([_xlsx_value(row.get(key)) for key, _ in columns])
    if about:
        notes = workbook.create_sheet("About")
        notes.column_dimensions["A"].width = 24
        notes.column_dimensions["B"].width = 60
        for name, value in about:
            notes.append([_xlsx_value(name), _xlsx_value(value)])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _xlsx_value(value):
    if isinstance(value, str):
        return neutralise(ILLEGAL_CHARACTERS_RE.sub("", value))
    return value


def _sheet_name(title: str) -> str:
    return "".join(c for c in title if c not in "[]:*?/\\")[:31] or "Report"


def json_text(document: Mapping) -> str:
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
