"""`flask reports pass-rates`."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from examsite.database import require_database
from examsite.reports.formatters import csv_lines, json_text, xlsx_bytes
from examsite.reports.queries import (
    ATTEMPT_SCOPES,
    COLUMNS,
    GROUPINGS,
    ReportError,
    parse_filters,
    pass_rate_rows,
    report_notes,
)


@click.group("reports", help="Reports.")
def reports_cli() -> None:
    pass


@reports_cli.command("pass-rates")
@click.option(
    "--by",
    type=click.Choice(list(GROUPINGS)),
    default="role",
    show_default=True,
    help="Group the attempts by this.",
)
@click.option("--from", "start", metavar="DATE", help="First day (UTC) of closed attempts, included.")
@click.option("--to", "end", metavar="DATE", help="Day (UTC) at which the range ends, not included.")
@click.option(
    "--attempts",
    type=click.Choice(list(ATTEMPT_SCOPES)),
    default="all",
    show_default=True,
    help="Every attempt, or each trainee's first attempt at an exam.",
)
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx", "json"]), default="csv", show_default=True)
@click.option("--out", default="-", metavar="FILE", help="Write here instead of standard output.")
@with_appcontext
def pass_rates_command(
    by: str, start: str | None, end: str | None, attempts: str, fmt: str, out: str
) -> None:
    """Pass rates of closed attempts: attempts, candidates, passed, pass rate, mean and SD of scores."""
    require_database()
    try:
        filters = parse_filters({"by": by, "from": start, "to": end, "attempts": attempts})
    except ReportError as exc:
        raise click.BadParameter("; ".join(f"--{k} {v}" for k, v in exc.errors.items())) from exc
    rows = [row.as_dict() for row in pass_rate_rows(filters)]
    if fmt == "xlsx" and out == "-" and click.get_binary_stream("stdout").isatty():
        raise click.UsageError("an XLSX file is binary: give --out FILE")
    with click.open_file(out, "wb") as stream:  # bytes, so CSV keeps its CRLF line ends everywhere
        if fmt == "xlsx":
            stream.write(xlsx_bytes(COLUMNS, rows, sheet_title="Pass rates", about=report_notes(filters)))
        elif fmt == "json":
            stream.write(json_text({**filters.as_dict(), "rows": rows}).encode())
        else:
            for line in csv_lines(COLUMNS, rows):
                stream.write(line.encode())
    if out != "-":
        click.echo(f"wrote {len(rows)} rows to {out}", err=True)
