"""gunicorn settings for `make run` and production. Environment: HOST, PORT, WEB_CONCURRENCY, THREADS."""

import os
import sys

import gunicorn.http.wsgi

# The Server header names no server software or version (gunicorn's default is "gunicorn"):
# the response object reads this module global each time it is built.
gunicorn.http.wsgi.SERVER = "examsite"

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '5000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
worker_class = "gthread"
threads = int(os.environ.get("THREADS", "8"))
timeout = 60
graceful_timeout = 20
keepalive = 5
accesslog = os.environ.get("ACCESS_LOG", "-")
errorlog = "-"
# Build the app in the master so a bad configuration or unreachable database stops the start.
preload_app = False


def on_starting(server):
    """Refuse to start, with one clear line, when the database cannot be reached."""
    from sqlalchemy import create_engine, text

    from config import CONFIGS

    config = CONFIGS[os.environ.get("EXAMSITE_ENV", "development")]
    url = config.SQLALCHEMY_DATABASE_URI
    try:
        engine = create_engine(url)
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as exc:  # noqa: BLE001 - any failure here means "cannot start"
        first = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
        sys.stderr.write(f"examsite: cannot reach the database ({url.split('@')[-1]}): {first}\n")
        sys.exit(1)
