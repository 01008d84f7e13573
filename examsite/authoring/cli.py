"""`flask users assign EMAIL --category SLUG`: let an instructor author in a category's bank."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from examsite.accounts.cli import users_cli
from examsite.accounts.models import User, normalize_email
from examsite.audit.services import record
from examsite.authoring.access import AuthoringError, assign
from examsite.catalog.models import Category
from examsite.database import require_database, unit_of_work
from examsite.extensions import db


@users_cli.command("assign")
@click.argument("email")
@click.option("--category", "slug", required=True, help="Category slug, e.g. permanent-staff.")
@with_appcontext
def assign_command(email: str, slug: str) -> None:
    """Let an instructor author and review items in a category's bank."""
    require_database()
    user = db.session.scalar(select(User).where(User.email == normalize_email(email)))
    if user is None:
        raise click.ClickException(f"no user with e-mail {normalize_email(email)}")
    category = db.session.scalar(select(Category).where(Category.slug == slug))
    if category is None:
        slugs = ", ".join(db.session.scalars(select(Category.slug).order_by(Category.position)))
        raise click.ClickException(f"no category {slug!r}; use one of: {slugs}")
    try:
        with unit_of_work():
            added = assign(user, category)
            if added:
                record("user.assign", user, category=category.slug)
    except AuthoringError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(f"{user.email} {'may now author' if added else 'already authors'} in {category.slug}")
