"""`flask banks import|lint|stats|export`."""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from examsite.banks import interchange  # noqa: F401  (registers gift and qti21)
from examsite.banks.export import EXPORTERS
from examsite.banks.importer import BankImportError, import_banks, load_and_check
from examsite.database import require_database


def _paths(paths: tuple[str, ...]) -> list[str]:
    return list(paths) or [current_app.config["QUESTION_BANKS_PATH"]]


@click.group("banks", help="Question banks: import, lint, stats, export.")
def banks_cli() -> None:
    pass


@banks_cli.command("lint")
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
@click.option("--quiet", is_flag=True, help="Print errors only, not warnings.")
@with_appcontext
def lint(paths: tuple[str, ...], quiet: bool) -> None:
    """Check bank files; print file:line: message per problem; exit 1 on any error."""
    _, _, problems = load_and_check(_paths(paths))
    errors = [p for p in problems if p.severity == "error"]
    for problem in problems:
        if problem.severity == "error" or not quiet:
            click.echo(str(problem))
    warnings = len(problems) - len(errors)
    click.echo(f"{len(errors)} error(s), {warnings} warning(s)", err=True)
    if errors:
        raise SystemExit(1)


@banks_cli.command("import")
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
@click.option("--theirs", is_flag=True, help="Items edited in the workspace: the files' version wins.")
@click.option("--ours", is_flag=True, help="Items edited in the workspace: keep the web's edit.")
@with_appcontext
def import_command(paths: tuple[str, ...], theirs: bool, ours: bool) -> None:
    """Import bank files, all or nothing; unchanged files change nothing.

    An item edited in the workspace since its import, whose file now differs, stops the import
    with one line per conflict, unless --theirs or --ours says which side wins.
    """
    if theirs and ours:
        raise click.UsageError("choose --theirs or --ours, not both")
    require_database()
    on_conflict = "theirs" if theirs else "ours" if ours else "refuse"
    try:
        summary = import_banks(_paths(paths), progress=True, on_conflict=on_conflict)
    except BankImportError as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        raise click.ClickException(str(exc)) from exc
    click.echo(summary.describe())
    if summary.warnings:
        click.echo(f"{len(summary.warnings)} warning(s); run `flask banks lint` to see them")


@banks_cli.command("stats")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@with_appcontext
def stats(as_json: bool) -> None:
    """Per role: eligible active items per domain, form length, time limit, passing standard."""
    from examsite.banks.queries import bank_stats

    require_database()
    data = bank_stats()
    if as_json:
        click.echo(json.dumps(data, indent=2))
        return
    for role in data["roles"]:
        short = [d for d in role["domains"] if d["available"] < d["required"]]
        status = "OK" if role["domains"] and not short else "SHORT" if short else "NO BLUEPRINT"
        click.echo(
            f"{role['slug']}: {role['form_items']} items + {role['pretest_items']} pretest, "
            f"{role['minutes']} min, pass {role['passing_percent']:g}%, "
            f"{role['eligible_items']} eligible [{status}]"
        )
        for d in role["domains"]:
            mark = "" if d["available"] >= d["required"] else "   <-- short"
            click.echo(f"    {d['available']:>4} / {d['required']:<3} {d['name']}{mark}")
    click.echo(f"total items: {data['total_items']}")


@banks_cli.command("export")
@click.option("--format", "fmt", type=click.Choice(sorted(EXPORTERS)), required=True)
@click.option("--out", "out", type=click.Path(), required=True, help="Output folder.")
@click.option("--category", help="Only this bank (core or a category slug).")
@with_appcontext
def export(fmt: str, out: str, category: str | None) -> None:
    """Export the banks as files."""
    require_database()
    written = EXPORTERS[fmt](Path(out), category)
    click.echo(f"wrote {len(written)} file(s) to {out}")


@banks_cli.command("review-sheet")
@click.option("--bank", "banks", multiple=True, help="Only this bank (repeatable).")
@click.option("--domain", "domains", multiple=True, help="Only this domain (repeatable).")
@click.option("--out", type=click.Path(), required=True, help="Markdown file to write.")
@with_appcontext
def review_sheet_command(banks: tuple[str, ...], domains: tuple[str, ...], out: str) -> None:
    """Write a keyless answer sheet for a blind reviewer."""
    from examsite.banks.loader import load_tree
    from examsite.banks.review import review_sheet

    tree = load_tree(Path(current_app.config["QUESTION_BANKS_PATH"]))
    Path(out).write_text(review_sheet(tree, set(banks) or None, set(domains) or None))
    click.echo(f"wrote {out}")


@banks_cli.command("review-check")
@click.argument("answers", type=click.Path(exists=True))
@with_appcontext
def review_check_command(answers: str) -> None:
    """Compare a reviewer's answers with the keys; list every disagreement; exit 1 if any."""
    from examsite.banks.loader import load_tree
    from examsite.banks.review import check_answers

    tree = load_tree(Path(current_app.config["QUESTION_BANKS_PATH"]))
    agreed, disagreements, _ = check_answers(tree, Path(answers))
    for d in disagreements:
        click.echo(str(d))
    click.echo(f"{len(agreed)} agreed, {len(disagreements)} disagreed")
    if disagreements:
        raise SystemExit(1)
