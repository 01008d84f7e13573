"""`flask reports skills`: the skills-gap report (registered on the reports group), and
`flask users institution`: which institution a staff member works for (on the users group)."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from examsite.accounts.models import User, normalize_email
from examsite.database import begin_write, require_database
from examsite.extensions import db
from examsite.programs.models import Institution
from examsite.reports.formatters import csv_lines, json_text, xlsx_bytes
from examsite.reports.queries import ReportError, parse_filters
from examsite.skills.access import AccessError, set_staff_institution
from examsite.skills.rules import ADVANCED_MIN_ITEMS, MIN_ITEMS
from examsite.skills.services import ALL_TRAINEES, SKILLS_COLUMNS, skills_gap_rows
from examsite.timeutil import isoformat, utcnow


def _notes(by: str, start, end) -> list[tuple[str, str]]:
    return [
        ("Report", f"Skills gap by {by}: per domain, the share of trainees at each level"),
        (
            "Closed between",
            f"{isoformat(start) or 'the beginning'} (included) and "
            f"{isoformat(end) or 'now'} (not included), UTC",
        ),
        ("Compared with", f"the rows '{ALL_TRAINEES}': every trainee with attempts in the range"),
        (
            "Levels",
            f"Wilson lower bound on the share correct (recent attempts weigh more); not shown under "
            f"{MIN_ITEMS} items, advanced needs {ADVANCED_MIN_ITEMS}. See examsite/skills/rules.py.",
        ),
        ("Generated", isoformat(utcnow())),
    ]


@click.command("skills")
@click.option("--by", type=click.Choice(["cohort", "institution"]), default="cohort", show_default=True)
@click.option("--from", "start", metavar="DATE", help="First day (UTC) of closed attempts, included.")
@click.option("--to", "end", metavar="DATE", help="Day (UTC) at which the range ends, not included.")
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx", "json"]), default="csv", show_default=True)
@click.option("--out", default="-", metavar="FILE", help="Write here instead of standard output.")
@with_appcontext
def skills_command(by: str, start: str | None, end: str | None, fmt: str, out: str) -> None:
    """Skills gap: per group and domain, the share of trainees at each proficiency level."""
    require_database()
    try:
        filters = parse_filters({"by": by, "from": start, "to": end})
    except ReportError as exc:
        raise click.BadParameter("; ".join(f"--{k} {v}" for k, v in exc.errors.items())) from exc
    rows = skills_gap_rows(by, filters.start, filters.end)
    if fmt == "xlsx" and out == "-" and click.get_binary_stream("stdout").isatty():
        raise click.UsageError("an XLSX file is binary: give --out FILE")
    with click.open_file(out, "wb") as stream:
        if fmt == "xlsx":
            stream.write(
                xlsx_bytes(
                    SKILLS_COLUMNS,
                    rows,
                    sheet_title="Skills gap",
                    about=_notes(by, filters.start, filters.end),
                )
            )
        elif fmt == "json":
            document = {
                "by": by,
                "from": isoformat(filters.start),
                "to": isoformat(filters.end),
                "rows": rows,
            }
            stream.write(json_text(document).encode())
        else:
            for line in csv_lines(SKILLS_COLUMNS, rows):
                stream.write(line.encode())
    if out != "-":
        click.echo(f"wrote {len(rows)} rows to {out}", err=True)


@click.command("institution")
@click.argument("email")
@click.option("--institution", "name", required=True, help="The institution's name.")
@click.option("--remove", is_flag=True, help="End it: they no longer work for that institution.")
@with_appcontext
def institution_command(email: str, name: str, remove: bool) -> None:
    """Say which institution an instructor or administrator works for (several allowed).

    Staff see individual skills profiles only of trainees in their institutions' cohorts.
    """
    require_database()
    user = db.session.scalar(select(User).where(User.email == normalize_email(email)))
    if user is None:
        raise click.ClickException(f"no user with e-mail {normalize_email(email)}")
    institution = db.session.scalar(select(Institution).where(Institution.name == name.strip()))
    if institution is None:
        raise click.ClickException(f"no institution named {name.strip()!r}")
    begin_write()
    try:
        changed = set_staff_institution(user, institution, remove=remove)
    except AccessError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    if remove:
        click.echo(f"{user.email} {'no longer works' if changed else 'did not work'} for {institution.name}")
    else:
        click.echo(f"{user.email} {'now works' if changed else 'already works'} for {institution.name}")
