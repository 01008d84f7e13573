"""examsite: competency exams for the twelve ONC health IT workforce roles."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from flask import Flask

from config import CONFIGS, INSTANCE_DIR

ROOT = Path(__file__).resolve().parent.parent


def create_app(config_class: type | None = None, overrides: dict | None = None) -> Flask:
    """Build the app: configuration, extensions, blueprints, CLI, error handlers."""
    app = Flask(
        __name__,
        instance_path=str(INSTANCE_DIR),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    if config_class is None:
        config_class = CONFIGS[os.environ.get("EXAMSITE_ENV", "development")]
    app.config.from_object(config_class)
    if overrides:
        app.config.update(overrides)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    from examsite.secret_key import configure_secret_key

    configure_secret_key(app)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("examsite").setLevel(logging.INFO)

    from examsite import database, i18n, inputs, security, templating
    from examsite.errors import register_error_handlers

    database.init_app(app)
    security.init_app(app)
    templating.init_app(app)
    i18n.init_app(app)
    inputs.init_app(app)
    from examsite.api import one_statement_saves

    app.before_request(one_statement_saves)  # first of all request hooks (see its docstring)
    register_blueprints(app)
    register_cli(app)
    register_error_handlers(app)
    return app


def register_blueprints(app: Flask) -> None:
    from examsite.accounts.views import bp as accounts_bp
    from examsite.admin.views import bp as admin_bp
    from examsite.api import bp as api_bp
    from examsite.authoring.views import bp as authoring_bp
    from examsite.authoring.views import media_bp
    from examsite.catalog.views import bp as catalog_bp
    from examsite.certificates.views import bp as certificates_bp
    from examsite.delivery.views import bp as delivery_bp
    from examsite.health import bp as health_bp
    from examsite.instructors.views import bp as instructors_bp
    from examsite.interchange.views import bp as interchange_bp
    from examsite.lti import framing
    from examsite.lti.admin import bp as lti_admin_bp
    from examsite.lti.views import bp as lti_bp
    from examsite.reports.views import bp as reports_bp
    from examsite.skills.views import bp as skills_bp
    from examsite.standards.views import bp as standards_bp

    for bp in (
        catalog_bp,
        accounts_bp,
        delivery_bp,
        certificates_bp,
        admin_bp,
        reports_bp,
        instructors_bp,
        authoring_bp,
        media_bp,
        skills_bp,
        standards_bp,
    ):
        app.register_blueprint(bp)
    app.register_blueprint(interchange_bp)
    app.register_blueprint(lti_bp)
    app.register_blueprint(lti_admin_bp)
    framing.init_app(app)  # LTI sessions' cookies work inside the LMS's iframe
    app.register_blueprint(api_bp, url_prefix="/api/v1")
    app.register_blueprint(health_bp)


def register_cli(app: Flask) -> None:
    from examsite.accounts.cli import users_cli
    from examsite.authoring import cli as authoring_cli  # noqa: F401  (adds `users assign`)
    from examsite.banks.cli import banks_cli
    from examsite.catalog.cli import exams_cli, setup_command
    from examsite.certificates.cli import certificates_cli
    from examsite.delivery.cli import attempts_cli
    from examsite.instructors.cli import stats_cli
    from examsite.interchange.cli import import_external
    from examsite.lti.cli import lti_cli
    from examsite.mail.cli import mail_cli
    from examsite.reports.cli import reports_cli
    from examsite.skills.cli import institution_command, skills_command

    reports_cli.add_command(skills_command)  # `flask reports skills`: skills builds on reports' formatters
    users_cli.add_command(institution_command)  # `flask users institution`: who sees whose profile
    banks_cli.add_command(import_external)  # `flask banks import-external`: interchange builds on banks

    for group in (
        users_cli,
        banks_cli,
        exams_cli,
        attempts_cli,
        reports_cli,
        certificates_cli,
        mail_cli,
        stats_cli,
        lti_cli,
    ):
        app.cli.add_command(group)
    app.cli.add_command(setup_command)
