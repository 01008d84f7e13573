"""`flask certificates revoke CODE --reason TEXT` and `flask certificates rotate-key`."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from examsite.certificates import keys, signing
from examsite.certificates.services import CertificateError, find_certificate, revoke
from examsite.database import require_database, unit_of_work


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
        with unit_of_work():
            revoke(certificate, reason, actor=None)
    except CertificateError as exc:
        raise click.ClickException(str(exc)) from exc
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
