"""`flask banks import-external FILE... --format ... --category SLUG [--domain CODE] [--dry-run]`."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from examsite.banks.models import LEVELS
from examsite.database import require_database, unit_of_work
from examsite.interchange.mapping import ImportPlan
from examsite.interchange.model import FORMATS
from examsite.interchange.safety import InputFile
from examsite.interchange.services import ImportRefused, apply_import, prepare_import


@click.command("import-external")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(FORMATS), required=True)
@click.option("--category", required=True, help="The bank the drafts go to (core or a category slug).")
@click.option("--domain", help="Domain for questions whose file names none.")
@click.option(
    "--level", type=click.Choice(LEVELS), help="Level for questions whose file names none (default recall)."
)
@click.option("--author", default="import", show_default=True, help="Recorded as the drafts' author.")
@click.option("--dry-run", is_flag=True, help="Check and list everything; write nothing.")
@with_appcontext
def import_external(files, fmt, category, domain, level, author, dry_run) -> None:
    """Bring questions from other systems in as drafts for review; all or nothing."""
    require_database()
    inputs = [InputFile(Path(f).name, Path(f).read_bytes()) for f in files]
    plan = prepare_import(inputs, fmt, category, domain, level)
    _report(plan)
    if plan.errors:
        raise click.ClickException(f"{len(plan.errors)} error(s); nothing was imported")
    if dry_run:
        click.echo(f"dry run: {plan.describe()}; nothing written")
        return
    try:
        with unit_of_work():
            added = apply_import(plan, author)
    except ImportRefused as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"imported {len(added)} draft(s) into {category} for review: {plan.describe()}")


def _report(plan: ImportPlan) -> None:
    for problem in plan.problems:
        click.echo(f"{problem.file}:{problem.line}: {problem.message}", err=True)
    for skipped in plan.skipped:
        click.echo(str(skipped))
    for planned in plan.items:
        where = planned.parsed.where
        if planned.duplicate_of:
            click.echo(f"{where}: already in the bank as {planned.duplicate_of}; left as it is")
            continue
        for line in planned.notes + planned.choices:
            click.echo(f"{where}: {planned.external_id}: {line}")
