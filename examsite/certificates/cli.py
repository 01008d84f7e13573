"""`flask certificates revoke CODE --reason TEXT`, `rotate-key`, `send-reminders`, `record-ce`."""

from __future__ import annotations

from datetime import date

import click
from flask import current_app
from flask.cli import with_appcontext

from examsite.certificates import keys, signing
from examsite.certificates.services import CertificateError, find_certificate, revoke
from examsite.database import require_database
from examsite.extensions import db


@click.group("certificates", help="Certificates.")
def certificates_cli() -> None:
    pass


@certificates_cli.command("revoke")
@click.argument("code")
@click.option("--reason", required=True, help="Why it is revoked (shown on verification).")
@with_appcontext
def revoke_command(code: str, reason: str) -> None:
    """Revoke a certificate; it stays on record and verifies as revoked."""
    require_database()
    certificate = find_certificate(code)
    if certificate is None:
        raise click.ClickException(f"no certificate with code {code!r}")
    try:
        revoke(certificate, reason, actor=None)
    except CertificateError as exc:
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"revoked {certificate.code}: {reason}")


@certificates_cli.command("rotate-key")
@with_appcontext
def rotate_key_command() -> None:
    """Retire the credential signing key and make a new one (CREDENTIAL_ALGORITHM).

    Credentials signed before keep verifying: the retired key stays in the published key set and
    at its kid URL. Restart the app servers so every worker signs with the new key.
    """
    key = signing.rotate()
    click.echo(f"new {keys.algorithm_of(key)} signing key {keys.thumbprint(key)}; restart the app servers")


@certificates_cli.command("send-reminders")
@with_appcontext
def send_reminders_command() -> None:
    """Queue the expiry reminders due (60 and 30 days before), each once; for cron, daily.

    The mail leaves through the outbox: at once when MAIL_SERVER is set, and otherwise (or when
    the server is down) from `flask mail send-outbox`.
    """
    from examsite.certificates.expiry import queue_reminders
    from examsite.mail.outbox import send_due

    require_database()
    messages, recorded = queue_reminders()
    click.echo(f"{len(messages)} reminders queued ({recorded} recorded)")
    if messages and current_app.config.get("MAIL_SERVER"):
        sent, failed = send_due(ids=messages)
        click.echo(f"{sent} sent, {failed} kept in the outbox for a retry")


@certificates_cli.command("record-ce")
@click.argument("code")
@click.option("--hours", required=True, help="Hours of continuing education, e.g. 2 or 1.5.")
@click.option("--activity", required=True, help="What the holder did (course, conference...).")
@click.option("--date", "completed_on", required=True, type=click.DateTime(["%Y-%m-%d"]), help="YYYY-MM-DD")
@with_appcontext
def record_ce_command(code: str, hours: str, activity: str, completed_on) -> None:
    """Record continuing-education credits; renews the certificate once they reach the exam's hours."""
    from examsite.certificates.renewal import ce_hours, format_hours, record_ce

    require_database()
    certificate = find_certificate(code)
    if certificate is None:
        raise click.ClickException(f"no certificate with code {code!r}")
    try:
        _, renewal = record_ce(
            certificate, hours, activity, date.fromordinal(completed_on.toordinal()), actor=None
        )
    except CertificateError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    if renewal is not None:
        until = renewal.expires_at.date().isoformat() if renewal.expires_at else "no expiry"
        click.echo(f"renewed {certificate.code} as {renewal.code} (valid until {until})")
    else:
        click.echo(
            f"{certificate.code}: {format_hours(ce_hours(certificate))} of "
            f"{certificate.role.exam.renewal_ce_hours} hours recorded"
        )
