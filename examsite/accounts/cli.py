"""`flask users create`, and personal API tokens: `token`, `tokens`, `revoke-token`."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from examsite.accounts.models import (
    TOKEN_DEFAULT_DAYS,
    TOKEN_MAX_DAYS,
    TOKEN_SCOPES,
    USER_ROLES,
    ApiToken,
    User,
    normalize_email,
)
from examsite.accounts.services import AccountError, create_user, issue_token, revoke_token, tokens_of
from examsite.database import begin_write, require_database
from examsite.extensions import db
from examsite.timeutil import isoformat, utcnow


@click.group("users", help="User accounts.")
def users_cli() -> None:
    pass


@users_cli.command("create")
@click.argument("email")
@click.option("--name", required=True, help="Display name (printed on certificates).")
@click.option("--role", "role", type=click.Choice(USER_ROLES), default="trainee", show_default=True)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@with_appcontext
def create(email: str, name: str, role: str, password_stdin: bool) -> None:
    """Create a user; without --password-stdin they must be given a password another way."""
    require_database()
    password = None
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise click.ClickException("no password on standard input")
    try:
        user = create_user(email, name, password, role)
    except AccountError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"created {user.role} {user.email} (id {user.id})")


def _user_by_email(email: str) -> User:
    user = db.session.scalar(select(User).where(User.email == normalize_email(email)))
    if user is None:
        raise click.ClickException(f"no user with e-mail {normalize_email(email)}")
    return user


@users_cli.command("token")
@click.argument("email")
@click.option("--name", default="API token", show_default=True, help="A label to recognise it by.")
@click.option(
    "--scope", type=click.Choice(sorted(TOKEN_SCOPES)), help="Narrow it (default: all the user may do)."
)
@click.option(
    "--expires-days",
    type=click.IntRange(1, TOKEN_MAX_DAYS),
    default=TOKEN_DEFAULT_DAYS,
    show_default=True,
    help="Days until it stops working.",
)
@with_appcontext
def token(email: str, name: str, scope: str | None, expires_days: int) -> None:
    """Print a new personal API token for /api/v1 (shown once; only its hash is stored)."""
    require_database()
    user = _user_by_email(email)
    try:
        value = issue_token(user, name=name, scope=scope, days=expires_days)
    except AccountError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(value)


@users_cli.command("tokens")
@click.argument("email")
@with_appcontext
def tokens(email: str) -> None:
    """List a user's API tokens: id, status, name, scope, created, expires, last used."""
    require_database()
    now = utcnow()
    rows = tokens_of(_user_by_email(email))
    if not rows:
        click.echo("no tokens")
    for row in rows:
        click.echo(
            "\t".join(
                [
                    str(row.id),
                    row.status(now),
                    row.name,
                    row.scope or "all",
                    f"created {isoformat(row.created_at)}",
                    f"expires {isoformat(row.expires_at) or 'never'}",
                    f"last used {isoformat(row.last_used_at) or 'never'}",
                ]
            )
        )


@users_cli.command("revoke-token")
@click.argument("token_id", type=click.IntRange(1, 2**63 - 1))
@with_appcontext
def revoke_token_command(token_id: int) -> None:
    """Revoke an API token by its id (from `flask users tokens`); it stops working at once."""
    require_database()
    row = db.session.get(ApiToken, token_id)
    if row is None:
        raise click.ClickException(f"no API token with id {token_id}")
    if not revoke_token(row):
        raise click.ClickException(f"API token {token_id} was already revoked")
    db.session.commit()
    click.echo(f"revoked token {token_id} ({row.name}) of {row.user.email}")


@users_cli.command("scope")
@click.argument("email")
@click.option("--institution", help="Name of the only institution this administrator sees.")
@click.option("--program-wide", is_flag=True, help="See every institution (the default).")
@with_appcontext
def scope(email: str, institution: str | None, program_wide: bool) -> None:
    """Limit an administrator's certificate pages to one institution's trainees, or lift the limit."""
    # Function-local: programs sits above accounts (its models refer to users).
    from examsite.audit.services import record
    from examsite.programs.models import Institution, InstitutionAdministrator

    require_database()
    if bool(institution) == program_wide:
        raise click.ClickException("give either --institution NAME or --program-wide")
    user = _user_by_email(email)
    if user.role != "admin":
        raise click.ClickException(f"{user.email} is not an administrator")
    target = None
    if institution:
        target = db.session.scalar(select(Institution).where(Institution.name == institution.strip()))
        if target is None:
            raise click.ClickException(f"no institution named {institution!r}")
    begin_write()
    row = db.session.get(InstitutionAdministrator, user.id)
    if target is None and row is not None:
        db.session.delete(row)
    elif target is not None and row is None:
        db.session.add(InstitutionAdministrator(user_id=user.id, institution_id=target.id))
    elif target is not None:
        row.institution_id = target.id
    record("user.scope", user, institution=target.name if target else "program-wide")
    db.session.commit()
    click.echo(f"{user.email}: {target.name if target else 'program-wide'}")
