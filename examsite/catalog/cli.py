"""`flask exams configure` and `flask setup` (what `make run` calls before serving)."""

from __future__ import annotations

import os
import secrets

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import func, select

from examsite.catalog.services import (
    NEVER,
    ExamChanges,
    SettingsError,
    configure_exam,
    ensure_catalog,
    get_role,
)
from examsite.database import require_database
from examsite.extensions import db


@click.group("exams", help="Role exam settings.")
def exams_cli() -> None:
    pass


@exams_cli.command("configure")
@click.argument("role_slug")
@click.option("--items", type=int, help="Scored items per form.")
@click.option("--minutes", type=int, help="Time limit before accommodations.")
@click.option("--passing-percent", type=str, help="Passing standard, percent of scored items.")
@click.option("--retake-days", type=int, help="Days to wait after an attempt.")
@click.option("--attempts-per-year", type=int, help="Attempts allowed in any 365 days.")
@click.option("--grace-seconds", type=int, help="Seconds after the deadline that saves still count.")
@click.option(
    "--validity-months",
    type=str,
    help="Calendar months a certificate stays valid; 'never' for certificates that do not expire.",
)
@click.option(
    "--renewal-ce-hours",
    type=int,
    help="Continuing-education hours that renew a certificate without the exam; 0: by exam only.",
)
@with_appcontext
def configure(
    role_slug,
    items,
    minutes,
    passing_percent,
    retake_days,
    attempts_per_year,
    grace_seconds,
    validity_months,
    renewal_ce_hours,
) -> None:
    """Change a role's exam settings."""
    require_database()
    role = get_role(role_slug)
    if role is None:
        raise click.ClickException(f"unknown role {role_slug!r}; see GET /api/v1/roles for the slugs")
    if validity_months is not None:
        if validity_months.strip().lower() == NEVER:
            validity_months = NEVER
        elif validity_months.strip().isdigit():
            validity_months = int(validity_months)
        else:
            raise click.BadParameter("a number of months or 'never'", param_hint="--validity-months")
    try:
        applied = configure_exam(
            role,
            ExamChanges(
                items,
                minutes,
                passing_percent,
                retake_days,
                attempts_per_year,
                grace_seconds,
                validity_months,
                renewal_ce_hours,
            ),
        )
    except SettingsError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    exam = role.exam
    click.echo(
        f"{role.slug}: {exam.form_items} items, {exam.minutes} minutes, passing {exam.passing_percent}%, "
        f"retake after {exam.retake_days} days, {exam.attempts_per_year} attempts per 365 days, "
        + (
            "certificates never expire"
            if exam.validity_months is None
            else f"certificates valid {exam.validity_months} months"
        )
        + (f", renewable with {exam.renewal_ce_hours} CE hours" if exam.renewal_ce_hours else "")
        + ("" if applied else " (no change)")
    )


@click.command("setup")
@click.option("--no-banks", is_flag=True, help="Skip importing question_banks/.")
@with_appcontext
def setup_command(no_banks: bool) -> None:
    """Migrate, load the catalog and banks, and create a first administrator if none exists."""
    from flask_migrate import upgrade

    from examsite.accounts.models import User
    from examsite.accounts.services import one_time_password_expiry
    from examsite.banks.importer import import_banks

    require_database()
    upgrade()
    ensure_catalog()
    db.session.commit()
    if not no_banks:
        # `make run` on every start: the workspace's edits of bundled items are kept (and named);
        # `flask banks import` is where an operator chooses otherwise.
        summary = import_banks([current_app.config["QUESTION_BANKS_PATH"]], progress=True, on_conflict="ours")
        click.echo(summary.describe())
    admins = db.session.scalar(select(func.count()).select_from(User).where(User.role == "admin"))
    if not admins:
        email = os.environ.get("ADMIN_EMAIL", "admin@example.org").lower()
        password = secrets.token_urlsafe(12)
        admin = User(
            email=email,
            name="Administrator",
            role="admin",
            must_change_password=True,
            password_expires_at=one_time_password_expiry(),
        )
        admin.set_password(password)
        db.session.add(admin)
        db.session.commit()
        click.echo("")
        click.echo(f"First administrator: {email}")
        click.echo(f"One-time password:   {password}   (you will be asked to change it)")
        click.echo("")
