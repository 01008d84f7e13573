"""Read every file of an import, whatever the format; refused files become `file:line` problems."""

from __future__ import annotations

from collections.abc import Callable

from examsite.interchange.aiken import parse_aiken
from examsite.interchange.gift import parse_gift
from examsite.interchange.model import FORMATS, ParseResult
from examsite.interchange.qti import parse_qti
from examsite.interchange.safety import InputFile, RefusedFile, check_size, decode_text, is_zip
from examsite.interchange.tabular import parse_csv, parse_xlsx

PARSERS: dict[str, Callable[[InputFile], ParseResult]] = {
    "gift": lambda f: parse_gift(decode_text(f), f.name),
    "aiken": lambda f: parse_aiken(decode_text(f), f.name),
    "qti": parse_qti,
    "csv": parse_csv,
    "xlsx": parse_xlsx,
}
assert set(PARSERS) == set(FORMATS)


def parse_files(files: list[InputFile], fmt: str, size_limit: int | None = None) -> ParseResult:
    """All files parsed in full (never stopping at the first problem), so every problem is listed."""
    result = ParseResult()
    for file in files:
        try:
            check_size(file, *(size_limit,) if size_limit else ())
            if fmt in ("gift", "aiken", "csv") and is_zip(file.data):
                raise RefusedFile(file.name, f"a zip file, not {fmt.upper()} text")
            if fmt == "xlsx" and not is_zip(file.data):
                raise RefusedFile(
                    file.name, "not an XLSX workbook (save the sheet as .xlsx, or import it as CSV)"
                )
            result.extend(PARSERS[fmt](file))
        except RefusedFile as refused:
            result.error(refused.file, refused.line, refused.message)
    return result
