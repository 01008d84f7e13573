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


# ---- flask setup, with the fallbacks a half-written bank needs --------------------------------


def set_up(scratch: Scratch, role: str, say) -> dict:
    """`flask setup` with the real banks; fall back step by step until `role` can be assembled.

    Returns what was done, for the report: which banks, whether the role's form was shortened.
    """
    banks_path = str(ROOT / "question_banks")
    outcome = {"banks": "question_banks/ (real)", "form_items_override": None, "setup": "flask setup"}
    result = flask(scratch, "setup", check=False)
    if result.returncode != 0:
        reason = _last_lines(result.stderr or result.stdout, 2)
        say(f"  ! `flask setup` failed: {reason}")
        scratch.notes.append(
            f"`flask setup` failed ({reason.splitlines()[-1][:160]}); the bench ran "
            "its steps one by one (`flask db upgrade`, `flask banks import`)."
        )
        outcome["setup"] = "flask db upgrade + flask banks import (flask setup failed)"
        flask(scratch, "db", "upgrade")
        imported = flask(scratch, "banks", "import", banks_path, check=False)
        if imported.returncode != 0:
            say(f"  ! real banks do not import: {_last_lines(imported.stderr, 1)}")
            banks_path = _fallback_banks(scratch, role, say)
            outcome["banks"] = "question_banks/ minus files with lint errors, generated blueprint"
            flask(scratch, "banks", "import", banks_path)
    if not _can_assemble(scratch, role):
        say(f"  ! {role}: the form cannot be assembled; `flask exams configure {role} --items 40`")
        flask(scratch, "exams", "configure", role, "--items", "40")
        outcome["form_items_override"] = 40
        scratch.notes.append(
            f"{role}'s exam could not be assembled from the banks as they are; the "
            f"bench shortened it with `flask exams configure {role} --items 40`."
        )
        if not _can_assemble(scratch, role):
            banks_path = _fallback_banks(scratch, role, say)
            outcome["banks"] = "question_banks/ minus files with lint errors, generated blueprint"
            flask(scratch, "banks", "import", banks_path)
            flask(scratch, "exams", "configure", role, "--items", "40")
            if not _can_assemble(scratch, role):
                raise BenchSetupError(f"{role}'s exam cannot be assembled even from the fallback bank")
    flask(scratch, "exams", "configure", role, "--retake-days", "0", "--attempts-per-year", "100")
    return outcome


def _fallback_banks(scratch: Scratch, role: str, say) -> str:
    from bench.banks import sanitized_copy

    path, removed = sanitized_copy(ROOT / "question_banks", scratch.directory / "banks", role)
    say(
        f"  ! fallback bank: real items minus {len(removed)} file(s) with errors, "
        f"and a generated blueprint for {role}"
    )
    scratch.notes.append(
        f"The real banks did not import (lint errors; they are being written). The bench imported a "
        f"copy without the {len(removed)} file(s) that had errors ({', '.join(removed[:6])}"
        f"{'…' if len(removed) > 6 else ''}) and with a generated blueprint for {role}."
    )
    return str(path)


def _can_assemble(scratch: Scratch, role: str) -> bool:
    code = (
        "import random, sys\n"
        "from examsite import create_app\n"
        "from examsite.banks.queries import blueprint_quotas, eligible_pool\n"
        "from examsite.catalog.services import get_role\n"
        "from examsite.delivery.assembly import assemble\n"
        "app = create_app()\n"
        "with app.app_context():\n"
        f"    role = get_role({role!r})\n"
        "    quotas = blueprint_quotas(role) if role else {}\n"
        "    ok = bool(quotas) and sum(quotas.values()) > 0\n"
        "    for seed in range(5):\n"
        "        if not ok: break\n"
        "        try:\n"
        "            ok = bool(assemble(eligible_pool(role), quotas, role.exam.pretest_items, set(),"
        " random.Random(seed)))\n"
        "        except Exception as exc:\n"
        "            print(exc); ok = False\n"
        "    sys.exit(0 if ok else 3)\n"
    )
    result = subprocess.run(
        [tool("python"), "-c", code], cwd=ROOT, env=scratch.env(), capture_output=True, text=True, timeout=300
    )
    return result.returncode == 0


# ---- trainees and tokens, inserted in bulk ----------------------------------------------------


def create_trainees(scratch: Scratch, count: int, prefix: str = "trainee") -> list[str]:
    """Insert `count` trainees (one argon2 hash, reused) in three cohorts, each with an API token.

    Returns the tokens in trainee order. Rows go in with executemany in one transaction.
    """
    import hashlib
    from datetime import UTC, datetime

    from argon2 import PasswordHasher

    from examsite.accounts.models import ApiToken, User
    from examsite.programs.models import Cohort, Institution

    engine = _engine(scratch)
    password_hash = PasswordHasher().hash(TRAINEE_PASSWORD)
    now = datetime.now(UTC)
    tokens = ["exs_" + secrets.token_urlsafe(32) for _ in range(count)]
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
                    "email": f"{prefix}{i:05d}@bench.example.org",
                    "name": f"Bench {prefix.title()} {i}",
                    "password_hash": password_hash,
                    "role": "trainee",
                    "active": True,
                    "must_change_password": False,
                    "cohort_id": cohort_ids[i % 3],
                    "created_at": now,
                }
                for i in range(count)
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
                    "user_id": users[f"{prefix}{i:05d}@bench.example.org"],
                    "token_hash": hashlib.sha256(token.encode()).hexdigest(),
                    "created_at": now,
                }
                for i, token in enumerate(tokens)
            ],
        )
    engine.dispose()
    return tokens


def write_tokens(path: Path, tokens: list[str]) -> Path:
    path.write_text(json.dumps(tokens))
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
