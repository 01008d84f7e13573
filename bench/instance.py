"""The scratch instance: a temporary directory and database, `flask setup`, trainees and tokens.

Nothing here touches `instance/` or the database `make run` uses: the environment of every
subprocess points DATABASE_URL and EXAMSITE_INSTANCE_PATH at the scratch copies.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bench.server import ROOT, tool

TRAINEE_PASSWORD = "bench trainee password"  # noqa: S105 - scratch accounts, thrown away after the run


class BenchSetupError(RuntimeError):
    pass


@dataclass
class Scratch:
    """Where this run keeps everything; removed at the end unless --keep."""

    directory: Path
    database_url: str
    backend: str  # "sqlite" or "postgresql"
    notes: list[str] = field(default_factory=list)

    @classmethod
    def create(cls, postgres_url: str | None) -> Scratch:
        directory = Path(tempfile.mkdtemp(prefix="examsite-bench-"))
        if postgres_url:
            recreate_postgres_database(postgres_url)
            return cls(directory, postgres_url, "postgresql")
        return cls(directory, f"sqlite:///{directory / 'examsite.sqlite3'}", "sqlite")

    def env(self, **extra: str) -> dict[str, str]:
        env = {
            **os.environ,
            "DATABASE_URL": self.database_url,
            "EXAMSITE_INSTANCE_PATH": str(self.directory / "instance"),
            "SIGNING_KEY_PATH": str(self.directory / "instance" / "credential-signing-key.pem"),
            "FLASK_APP": "wsgi",
            "ACCESS_LOG": "/dev/null",
            "PYTHONUNBUFFERED": "1",
        }
        env.update(extra)
        return env

    def cleanup(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)


def recreate_postgres_database(url: str) -> None:
    """Drop and create the scratch database named in BENCH_DATABASE_URL (a name with 'bench' only)."""
    target = make_url(url)
    name = target.database or ""
    if "bench" not in name:
        raise BenchSetupError(
            f"refusing to drop database {name!r}: BENCH_DATABASE_URL must name a "
            "scratch database whose name contains 'bench'"
        )
    last_error: Exception | None = None
    for maintenance in ("postgres", "template1"):
        engine = create_engine(target.set(database=maintenance), isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            return
        except Exception as exc:  # noqa: BLE001 - try the next maintenance database
            last_error = exc
        finally:
            engine.dispose()
    raise BenchSetupError(f"cannot recreate PostgreSQL database {name!r}: {last_error}")


def flask(
    scratch: Scratch, *args: str, env: dict[str, str] | None = None, check: bool = True
) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [tool("flask"), "--app", "wsgi", *args],
        cwd=ROOT,
        env=env or scratch.env(),
        capture_output=True,
        text=True,
        timeout=900,
    )
    with (scratch.directory / "setup.log").open("a") as log:
        log.write(f"$ flask {' '.join(args)}  -> {result.returncode}\n{result.stdout}\n{result.stderr}\n")
    if check and result.returncode != 0:
        raise BenchSetupError(
            f"`flask {' '.join(args)}` failed ({result.returncode}):\n"
            f"{_last_lines(result.stderr or result.stdout)}"
        )
    return result


def _last_lines(output: str, n: int = 8) -> str:
    lines = [line for line in output.splitlines() if line.strip() and not line.startswith("  ")]
    return "\n".join(lines[-n:])


# ---- flask setup -------------------------------------------------------------------------------


def set_up(scratch: Scratch, role: str) -> dict:
    """`flask setup` with the real banks, then the role's exam open to retakes (the saturation
    rounds start the same trainees' attempts again). Returns what was done, for the report."""
    flask(scratch, "setup")
    flask(scratch, "exams", "configure", role, "--retake-days", "0", "--attempts-per-year", "100")
    return {"banks": "question_banks/ (real)", "setup": "flask setup"}


# ---- trainees and tokens, inserted in bulk ----------------------------------------------------


def create_trainees(scratch: Scratch, count: int, prefix: str = "trainee") -> list[dict]:
    """Insert `count` trainees in three cohorts, each with TRAINEE_PASSWORD (hashed once, by the
    app's own `User.set_password`, so a login never has to upgrade the hash) and an API token.

    Returns [{"email", "token"}] in trainee order. Rows go in with executemany in one transaction.
    """
    from datetime import UTC, datetime

    from examsite import create_app
    from examsite.accounts.models import ApiToken, User
    from examsite.programs.models import Cohort, Institution

    with create_app(overrides={"SQLALCHEMY_DATABASE_URI": scratch.database_url}).app_context():
        hashed = User()
        hashed.set_password(TRAINEE_PASSWORD)
    engine = _engine(scratch)
    now = datetime.now(UTC)
    accounts = [
        {"email": f"{prefix}{i:05d}@bench.example.org", "token": "exs_" + secrets.token_urlsafe(32)}
        for i in range(count)
    ]
    with engine.begin() as conn:
        institution_id = conn.execute(
            Institution.__table__.insert()
            .values(name=f"Bench College {prefix} {secrets.token_hex(3)}", created_at=now)
            .returning(Institution.__table__.c.id)
        ).scalar_one()
        cohort_ids = [
            conn.execute(
                Cohort.__table__.insert()
                .values(institution_id=institution_id, name=f"{prefix} cohort {n}", created_at=now)
                .returning(Cohort.__table__.c.id)
            ).scalar_one()
            for n in range(1, 4)
        ]
        conn.execute(
            User.__table__.insert(),
            [
                {
                    "email": account["email"],
                    "name": f"Bench {prefix.title()} {i}",
                    "password_hash": hashed.password_hash,
                    "role": "trainee",
                    "active": True,
                    "must_change_password": False,
                    "cohort_id": cohort_ids[i % 3],
                    "created_at": now,
                }
                for i, account in enumerate(accounts)
            ],
        )
        users = dict(
            conn.execute(
                text("SELECT email, id FROM users WHERE email LIKE :pattern"),
                {"pattern": f"{prefix}%@bench.example.org"},
            ).all()
        )
        conn.execute(
            ApiToken.__table__.insert(),
            [
                {
                    "user_id": users[account["email"]],
                    "token_hash": ApiToken.hash(account["token"]),
                    "created_at": now,
                }
                for account in accounts
            ],
        )
    engine.dispose()
    return accounts


def write_accounts(path: Path, accounts: list[dict]) -> Path:
    path.write_text(json.dumps(accounts))
    return path


def ensure_minutes(scratch: Scratch, role: str, needed_minutes: int) -> None:
    """Make sure the exam lasts longer than the benchmark, so no save meets the deadline."""
    engine = _engine(scratch)
    with engine.connect() as conn:
        minutes = conn.execute(
            text("SELECT e.minutes FROM exam_settings e JOIN roles r ON r.id = e.role_id WHERE r.slug = :s"),
            {"s": role},
        ).scalar_one()
    engine.dispose()
    if minutes < needed_minutes:
        flask(scratch, "exams", "configure", role, "--minutes", str(needed_minutes))


def exam_settings(scratch: Scratch, role: str) -> dict:
    engine = _engine(scratch)
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT e.form_items, e.pretest_items, e.minutes, e.passing_percent FROM exam_settings e "
                "JOIN roles r ON r.id = e.role_id WHERE r.slug = :s"
            ),
            {"s": role},
        ).one()
    engine.dispose()
    return {
        "form_items": row[0],
        "pretest_items": row[1],
        "minutes": row[2],
        "passing_percent": float(row[3]),
    }


def _engine(scratch: Scratch):
    return create_engine(scratch.database_url)


def app_settings(scratch: Scratch) -> dict:
    """The settings of the app as it runs on the scratch database (as `create_app` resolves them)."""
    from examsite import create_app

    app = create_app(overrides={"SQLALCHEMY_DATABASE_URI": scratch.database_url})
    options = app.config["SQLALCHEMY_ENGINE_OPTIONS"]
    return {
        "save group commit": "on" if app.config["SAVE_GROUP_COMMIT"] else "off",
        "pool size per worker": options.get("pool_size"),
        "pool pre-ping": "on" if options.get("pool_pre_ping") else "off",
    }
