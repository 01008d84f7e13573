"""A real server for tests: gunicorn started as `make run` starts it, on a scratch database."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import psutil
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    def __init__(self, database_url: str, workdir: Path, port: int | None = None):
        self.database_url = database_url
        self.workdir = workdir
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "EXAMSITE_ENV": "development",
            "SECRET_KEY": "browser-tests",
            "EXAMSITE_INSTANCE_PATH": str(workdir / "instance"),
            "QUESTION_BANKS_PATH": str(ROOT / "tests" / "fixtures" / "banks" / "valid"),
            "PUBLIC_BASE_URL": self.url,
            "HOST": "127.0.0.1",
            "PORT": str(self.port),
            "WEB_CONCURRENCY": "2",
            "ACCESS_LOG": "/dev/null",
            "RATELIMIT_ENABLED": "0",
        }
        self.process = None

    def flask(self, *args: str, input: str | None = None) -> str:
        result = subprocess.run(
            [sys.executable, "-m", "flask", "--app", "wsgi", *args],
            cwd=ROOT,
            env=self.env,
            input=input,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    def start(self, setup: bool = True) -> None:
        if setup:
            self.flask("setup")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=self.log_file(),
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(
            "gunicorn did not start: " + (self.workdir / f"gunicorn-{self.port}.log").read_text()[-2000:]
        )

    def log_file(self):
        """gunicorn's stderr, kept open for the server's life (one file per port)."""
        return open(self.workdir / f"gunicorn-{self.port}.log", "a")  # noqa: SIM115

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)

    def kill9(self) -> None:
        """Power-cut the server: SIGKILL the gunicorn master and every worker at once."""
        master = psutil.Process(self.process.pid)
        victims = [*master.children(recursive=True), master]
        for proc in victims:
            with contextlib.suppress(ProcessLookupError):
                os.kill(proc.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        psutil.wait_procs(victims, timeout=10)

    def restart(self) -> None:
        self.start(setup=False)

    def token(self, email: str) -> str:
        return self.flask("users", "token", email).strip()

    def create_user(self, role: str = "trainee", name: str | None = None) -> str:
        email = f"{role}-{uuid.uuid4().hex[:8]}@example.org"
        self.flask(
            "users",
            "create",
            email,
            "--name",
            name or f"Browser {role.title()}",
            "--role",
            role,
            "--password-stdin",
            input=PASSWORD + "\n",
        )
        return email

    def sql(self, statement: str, **params):
        engine = create_engine(self.database_url)
        try:
            with engine.begin() as conn:
                result = conn.execute(text(statement), params)
                return result.fetchall() if result.returns_rows else None
        finally:
            engine.dispose()


def scratch_postgres(base_url: str) -> tuple[str, callable]:
    """Create an empty database next to TEST_DATABASE_URL; return its URL and a dropper."""
    name = f"examsite_live_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return base_url.rsplit("/", 1)[0] + "/" + name, drop


def postgres_url_or_skip() -> str:
    """TEST_DATABASE_URL, or skip (fail under REQUIRE_POSTGRES=1) when it is not set."""
    import pytest

    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        if os.environ.get("REQUIRE_POSTGRES") == "1":
            pytest.fail("REQUIRE_POSTGRES=1 but TEST_DATABASE_URL is not set")
        pytest.skip("PostgreSQL tests need TEST_DATABASE_URL")
    return url


@contextlib.contextmanager
def empty_database(backend: str, tmp_path: Path):
    """An empty database of the backend: a new SQLite file, or a scratch PostgreSQL database."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.sqlite3'}"
        return
    url, drop = scratch_postgres(postgres_url_or_skip())
    try:
        yield url
    finally:
        drop()
