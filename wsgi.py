"""Entry point for gunicorn and the flask CLI: builds the app, nothing else."""

from examsite import create_app

app = create_app()
