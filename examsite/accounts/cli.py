"""`flask users create` and `flask users token`."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from examsite.accounts.models import USER_ROLES, User, normalize_email
from examsite.accounts.services import AccountError, create_user, issue_token
from examsite.database import require_database
from examsite.extensions import db


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


@users_cli.command("token")
@click.argument("email")
@with_appcontext
def token(email: str) -> None:
    """Print a new personal API token (shown once; only its hash is stored)."""
    require_database()
    user = db.session.scalar(select(User).where(User.email == normalize_email(email)))
    if user is None:
        raise click.ClickException(f"no user with e-mail {normalize_email(email)}")
    value = issue_token(user)
    db.session.commit()
    click.echo(value)
