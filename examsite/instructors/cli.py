"""`flask stats items` (item analysis) and `flask stats simulate` (marked, simulated attempts)."""

from __future__ import annotations

import json
import os

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from examsite.catalog.models import Category
from examsite.catalog.services import get_role
from examsite.database import require_database, unit_of_work
from examsite.extensions import db
from examsite.instructors.item_analysis import Scope, item_analysis, report
from examsite.instructors.simulation import SimulationError, simulate
from examsite.reports.queries import ReportError, parse_filters


@click.group("stats", help="Item analysis and simulated attempts.")
def stats_cli() -> None:
    pass


def scope_from(slug: str | None, start: str | None, end: str | None, category: str | None = None) -> Scope:
    if (slug is None) == (category is None):
        raise click.UsageError("give a ROLE or --category SLUG (one of them)")
    subject: dict = {}
    if slug is not None:
        subject["role"] = get_role(slug)
        if subject["role"] is None:
            raise click.BadParameter(f"no role {slug!r}", param_hint="ROLE")
    else:
        subject["role"] = None
        subject["category"] = db.session.scalar(select(Category).where(Category.slug == category))
        if subject["category"] is None:
            raise click.BadParameter(f"no category {category!r}", param_hint="--category")
    try:
        filters = parse_filters({"from": start, "to": end})
    except ReportError as exc:
        raise click.BadParameter("; ".join(f"--{k} {v}" for k, v in exc.errors.items())) from exc
    return Scope(start=filters.start, end=filters.end, **subject)


@stats_cli.command("items")
@click.argument("role", required=False)
@click.option("--category", metavar="SLUG", help="Analyse every role of a category instead of one role.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.option("--from", "start", metavar="DATE", help="First day (UTC) of closed attempts, included.")
@click.option("--to", "end", metavar="DATE", help="Day (UTC) at which the range ends, not included.")
@click.option("--recalculate", is_flag=True, help="Compute from the stored responses, not the cache.")
@with_appcontext
def items_command(
    role: str | None,
    category: str | None,
    as_json: bool,
    start: str | None,
    end: str | None,
    recalculate: bool,
) -> None:
    """Item analysis of a role's exam (or a category's): facility, discrimination, options, flags."""
    require_database()
    scope = scope_from(role, start, end, category)
    result = report(item_analysis(scope, recalculate=recalculate))
    if as_json:
        click.echo(json.dumps(result, indent=2))
        return
    click.echo(f"{result['attempts']} closed attempt(s); calculated {result['calculated_at']}")
    for item in result["items"]:
        flags = ", ".join(f["code"] for f in item["flags"]) or "-"
        click.echo(
            f"{item['external_id']:<12} {'scored' if item['scored'] else 'pretest':<8} "
            f"n={item['responses']:<6} p={_num(item['facility'])} r={_num(item['discrimination'])} {flags}"
        )


def _num(value) -> str:
    return "-" if value is None else f"{value:.2f}"


@stats_cli.command("simulate")
@click.argument("role")
@click.option("--attempts", type=click.IntRange(min=1), required=True, help="How many attempts to write.")
@click.option("--seed", type=int, default=None, help="Seed, for the same attempts every run.")
@click.option("--plant-miskey", type=click.IntRange(min=0), default=0, help="Items to miskey.")
@click.option(
    "--plant-dead-distractor",
    type=click.IntRange(min=0),
    default=0,
    help="Items with a distractor nobody picks.",
)
@with_appcontext
def simulate_command(
    role: str, attempts: int, seed: int | None, plant_miskey: int, plant_dead_distractor: int
) -> None:
    """Write simulated, marked attempts (never in reports or certificates); print the planted items."""
    if os.environ.get("EXAMSITE_ENV", "development") == "production":
        raise click.ClickException("refusing to write simulated attempts into a production database")
    require_database()
    found = get_role(role)
    if found is None:
        raise click.BadParameter(f"no role {role!r}", param_hint="ROLE")
    try:
        with unit_of_work():
            plan = simulate(found, attempts, seed, plant_miskey, plant_dead_distractor)
    except SimulationError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"wrote {attempts} simulated attempt(s) at {found.slug}", err=True)
    click.echo(json.dumps({"miskey": plan.miskey, "dead_distractor": plan.dead_distractor}))
