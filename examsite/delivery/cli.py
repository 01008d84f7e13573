"""`flask attempts close-expired` (safe to run from cron)."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from examsite.database import require_database
from examsite.delivery.services import close_expired


@click.group("attempts", help="Exam attempts.")
def attempts_cli() -> None:
    pass


@attempts_cli.command("close-expired")
@with_appcontext
def close_expired_command() -> None:
    """Score every attempt whose deadline plus grace has passed (each closed in its own unit of
    work, see close_attempt)."""
    require_database()
    closed = close_expired()
    click.echo(f"closed {closed} expired attempt(s)")
