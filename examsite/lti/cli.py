"""`flask lti register | send-scores | rotate-key`."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from examsite.database import begin_write, require_database
from examsite.extensions import db
from examsite.lti import keys
from examsite.lti.platforms import Registration, RegistrationError, register
from examsite.lti.scores import send_due


@click.group("lti", help="LTI 1.3: LMS platforms, grade passback, the tool's key.")
def lti_cli() -> None:
    pass


@lti_cli.command("register")
@click.option(
    "--issuer", required=True, help="the platform's issuer (iss), e.g. https://canvas.instructure.com"
)
@click.option("--client-id", required=True, help="the client id the platform gave examsite")
@click.option("--auth-login-url", required=True, help="the platform's OIDC authorization endpoint")
@click.option("--auth-token-url", required=True, help="the platform's OAuth2 access-token endpoint")
@click.option("--key-set-url", required=True, help="the platform's public key set (JWKS)")
@click.option("--deployment-id", required=True, help="the deployment id (run again to add another)")
@click.option(
    "--institution", default=None, help="institution (by name) whose accounts and cohorts launches make"
)
@click.option("--allow-http", is_flag=True, help="accept http:// URLs (a local test LMS only)")
@with_appcontext
def register_command(
    issuer, client_id, auth_login_url, auth_token_url, key_set_url, deployment_id, institution, allow_http
) -> None:
    """Register an LMS platform (or add a deployment to one)."""
    require_database()
    begin_write()
    try:
        platform, created = register(
            Registration(
                issuer, client_id, auth_login_url, auth_token_url, key_set_url, deployment_id, institution
            ),
            allow_http=allow_http,
        )
    except RegistrationError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    done = "registered" if created else "updated"
    click.echo(f"{done} platform {platform.id}: {platform.issuer} {platform.client_id}")


@lti_cli.command("send-scores")
@with_appcontext
def send_scores() -> None:
    """Post every due score to its LMS once; failures are retried later (for cron)."""
    require_database()
    sent, failed = send_due()
    click.echo(f"{sent} sent, {failed} failed (kept for a retry)")
    if failed:
        raise SystemExit(1)


@lti_cli.command("rotate-key")
@with_appcontext
def rotate_key() -> None:
    """Make a new tool key; the old one stays published for LTI_RETIRED_KEY_DAYS."""
    click.echo(f"new key {keys.rotate()}")
