"""CSV and XLSX: one question per row under a header row (layout in question_banks/README.md).

Columns (header names, any order, case-insensitive): `stem`, options `a` to `f` (at least two),
`key` (`b`, or `a,c` for multiple response), and optional `type` (`single`|`multiple`, inferred
from the key), `domain`, `level`, `rationale`, `tags` (separated by `;`), `status` (`pretest`).
"""

from __future__ import annotations

import csv
import io
import re

from openpyxl import Workbook, load_workbook

from examsite.interchange.model import OPTION_IDS, ParsedItem, ParseResult
from examsite.interchange.safety import InputFile, RefusedFile, decode_text, unzip

COLUMNS = ["type", "domain", "level", "stem", *OPTION_IDS, "key", "rationale", "tags", "status"]
REQUIRED = {"stem", "a", "b", "key"}
EXAMPLE = {
    "type": "single",
    "domain": "",
    "level": "application",
    "stem": "A clinic's go-live is in two weeks. Which step comes first?",
    "a": "Train the super-users",
    "b": "Confirm the cut-over plan with the vendor",
    "c": "Order new printers",
    "d": "Archive the paper charts",
    "key": "b",
    "rationale": "The cut-over plan sets every other date.",
    "tags": "go-live;planning",
}


def parse_csv(file: InputFile) -> ParseResult:
    text = decode_text(file)
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    rows, last = [], 0
    try:
        for values in reader:
            rows.append((last + 1, values))
            last = reader.line_num
    except csv.Error as exc:
        raise RefusedFile(file.name, f"not readable as CSV: {exc}", last + 1) from exc
    return _parse_rows(rows, file.name)


def parse_xlsx(file: InputFile) -> ParseResult:
    unzip(file)  # sizes, paths and bombs checked before openpyxl expands anything
    try:
        workbook = load_workbook(io.BytesIO(file.data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged workbook
        raise RefusedFile(file.name, f"not a readable XLSX workbook ({type(exc).__name__})") from exc
    sheet = workbook.worksheets[0]
    rows = [
        (number, ["" if v is None else str(v) for v in values])
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1)
    ]
    workbook.close()
    return _parse_rows(rows, file.name)


def _parse_rows(rows: list[tuple[int, list[str]]], file: str) -> ParseResult:
    result = ParseResult()
    rows = [(n, v) for n, v in rows if any(cell.strip() for cell in v)]
    if not rows:
        result.error(file, 1, "the file is empty: a header row and one question per row expected")
        return result
    header_line, header = rows[0]
    names = [h.strip().lower() for h in header]
    unknown = [h for h in names if h and h not in COLUMNS]
    missing = sorted(REQUIRED - set(names))
    if unknown or missing:
        parts = ([f"unknown column(s) {', '.join(unknown)}"] if unknown else []) + (
            [f"missing column(s) {', '.join(missing)}"] if missing else []
        )
        result.error(file, header_line, "; ".join(parts) + f" (columns: {', '.join(COLUMNS)})")
        return result
    for line, values in rows[1:]:
        row = {name: (values[i].strip() if i < len(values) else "") for i, name in enumerate(names) if name}
        _parse_row(row, line, file, result)
    return result


def _parse_row(row: dict[str, str], line: int, file: str, result: ParseResult) -> None:
    options = [(oid, row.get(oid, "")) for oid in OPTION_IDS]
    present = [(oid, text) for oid, text in options if text]
    gaps = [oid for oid, text in options[: len(present)] if not text]
    if gaps:
        result.error(file, line, f"option column(s) {', '.join(gaps)} empty before a later option")
        return
    if not row.get("stem"):
        result.error(file, line, "the stem is empty")
        return
    if len(present) < 2:
        result.error(file, line, f"a question needs at least 2 options, not {len(present)}")
        return
    keys = [k for k in re.split(r"[,;\s]+", row.get("key", "").lower()) if k]
    ids = [oid for oid, _ in present]
    bad = [k for k in keys if k not in ids]
    if not keys or bad:
        result.error(file, line, f"key {row.get('key')!r} must name option(s) among {', '.join(ids)}")
        return
    kind = row.get("type", "").lower() or ("multiple" if len(keys) > 1 else "single")
    if kind not in ("single", "multiple"):
        result.error(file, line, f"type {kind!r} must be single or multiple")
        return
    if kind == "single" and len(keys) != 1:
        result.error(file, line, f"a single item has one key, not {len(keys)}")
        return
    status = row.get("status", "").lower()
    if status not in ("", "pretest", "draft"):
        result.error(file, line, f"status {status!r}: imports arrive as drafts; only 'pretest' may be marked")
        return
    result.items.append(
        ParsedItem(
            file=file,
            line=line,
            type=kind,
            stem=row["stem"],
            options=present,
            keys=sorted(set(keys)),
            rationale=row.get("rationale", ""),
            domain=row.get("domain") or None,
            level=row.get("level", "").lower() or None,
            status="pretest" if status == "pretest" else None,
            tags=[t.strip() for t in row.get("tags", "").split(";") if t.strip()],
        )
    )


def template_csv() -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    writer.writerow([EXAMPLE.get(c, "") for c in COLUMNS])
    return out.getvalue()


def template_xlsx() -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "questions"
    sheet.append(COLUMNS)
    sheet.append([EXAMPLE.get(c, "") for c in COLUMNS])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
