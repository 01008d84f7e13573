"""`flask mail send-outbox`: deliver what is due (for cron; safe to run on several machines)."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from examsite.database import require_database
from examsite.mail.outbox import send_due


@click.group("mail", help="Outgoing e-mail.")
def mail_cli() -> None:
    pass


@mail_cli.command("send-outbox")
@with_appcontext
def send_outbox() -> None:
    """Send every due message once; failures are retried later with growing delays."""
    require_database()
    if not current_app.config.get("MAIL_SERVER"):
        raise click.ClickException("MAIL_SERVER is not set; messages stay in the outbox")
    sent, failed = send_due()
    click.echo(f"{sent} sent, {failed} failed (kept for a retry)")
    if failed:
        raise SystemExit(1)
