"""Generate a large history of closed attempts quickly, for the report benchmark.

Realistic shape: 15 institutions with 8 cohorts each; trainees take one to a dozen attempts over
36 months, retaking a role after a fail and moving on to another role after a pass; scores are
normal around a per-role mean, so pass rates differ by role; about 7% of attempts expired.
SQLite gets executemany in large transactions; PostgreSQL gets COPY.
"""

from __future__ import annotations

import io
import random
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from types import SimpleNamespace

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from examsite.delivery.history import GROUP_KEYS

ATTEMPT_COLUMNS = (
    "user_id",
    "role_id",
    "status",
    "started_at",
    "deadline",
    "grace_seconds",
    "minutes",
    "time_multiplier",
    "passing_percent",
    "institution_id",
    "cohort_id",
    "sequence",
    "closed_at",
    "raw_score",
    "scored_items",
    "score_percent",
    "passed",
    "domain_results",
    "closed_month",
    *GROUP_KEYS,
)
USER_COLUMNS = (
    "email",
    "name",
    "password_hash",
    "role",
    "active",
    "must_change_password",
    "cohort_id",
    "created_at",
)
ROLE_WEIGHTS = (5, 3, 4, 6, 3, 4, 2, 5, 3, 2, 2, 1)
MONTHS = 36
DAY = 86_400


def generate(database_url: str, attempts: int, seed: int = 10, say=print, results=None) -> dict:
    """Insert `attempts` closed attempts (and their trainees, institutions, cohorts).

    `results(rng, role_id, score)` -> (correct, scored items, domain_results JSON text) says how
    an attempt scoring `score` percent splits over domains; by default five made-up domains of
    25 items per role (the pass-rate reports never read them; bench/skills_bench.py gives the
    real blueprints' domains)."""
    started = time.perf_counter()
    backend = make_url(database_url).get_backend_name()
    engine = create_engine(database_url)
    with engine.begin() as conn:
        categories = dict(conn.execute(text("SELECT id, category_id FROM roles ORDER BY id")).all())
        roles = list(categories)
        password_hash = (
            conn.execute(text("SELECT password_hash FROM users WHERE role = 'trainee' LIMIT 1")).scalar()
            or "x"
        )
        now = datetime.now(UTC)
        cohorts = []
        for i in range(15):
            institution_id = conn.execute(
                text("INSERT INTO institutions (name, created_at) VALUES (:n, :t) RETURNING id"),
                {"n": f"Report College {i + 1}", "t": _db_time(now, backend)},
            ).scalar_one()
            for c in range(8):
                cohort_id = conn.execute(
                    text(
                        "INSERT INTO cohorts (institution_id, name, created_at) VALUES (:i, :n, :t) "
                        "RETURNING id"
                    ),
                    {"i": institution_id, "n": f"Cohort {2023 + c % 4}-{c + 1}", "t": _db_time(now, backend)},
                ).scalar_one()
                cohorts.append((institution_id, cohort_id))
        first_user = (conn.execute(text("SELECT COALESCE(MAX(id), 0) FROM users")).scalar_one()) + 1
    engine.dispose()
    rng = random.Random(seed)
    users, rows, closes = _history(
        rng, attempts, roles, cohorts, first_user, password_hash, int(now.timestamp()), backend, results
    )
    rows = _with_links(rows, closes, categories, backend)
    say(
        f"  generated {attempts:,} attempts for {len(users):,} trainees in memory "
        f"({time.perf_counter() - started:.1f} s); inserting…"
    )
    if backend == "postgresql":
        _copy_postgres(database_url, users, rows)
    else:
        _insert_sqlite(database_url, users, rows)
    engine = create_engine(database_url)
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    engine.dispose()
    return {
        "attempts": attempts,
        "trainees": len(users),
        "cohorts": len(cohorts),
        "seconds": time.perf_counter() - started,
    }


def _history(
    rng: random.Random,
    total: int,
    roles: list[int],
    cohorts: list[tuple[int, int]],
    first_user: int,
    password_hash: str,
    now: int,
    backend: str,
    results=None,
):
    role_mean = {r: 64 + (i * 7) % 15 for i, r in enumerate(roles)}
    weights = ROLE_WEIGHTS[: len(roles)]
    templates = {r: _domain_template(i) for i, r in enumerate(roles)}
    if results is None:

        def results(rng, role, score):
            correct = round(score * 1.25)
            return correct, 125, templates[role] % _split(rng, correct)

    stamp = _sqlite_time if backend == "sqlite" else _pg_time
    created = stamp(now - MONTHS * 31 * DAY)
    users: list[tuple] = []
    rows: list[tuple] = []
    closes: list[int] = []
    user_id = first_user
    while len(rows) < total:
        institution_id, cohort_id = rng.choice(cohorts)
        users.append(
            (
                f"r{user_id}@reports.example.org",
                f"Report Trainee {user_id}",
                password_hash,
                "trainee",
                True,
                False,
                cohort_id,
                created,
            )
        )
        role = rng.choices(roles, weights)[0]
        sequence = 1
        moment = now - rng.randrange(MONTHS * 30 * DAY)
        for _ in range(min(12, 1 + int(rng.expovariate(1 / 2.8)))):
            if len(rows) >= total or moment >= now:
                break
            score = max(0.0, min(100.0, rng.gauss(role_mean[role], 12)))
            expired = rng.random() < 0.07
            if expired:
                score = max(0.0, score - 15)
            correct, items, domains = results(rng, role, score)
            percent = round(correct * 100 / items, 2)
            passed = percent >= 70
            minutes_used = rng.randrange(35, 180)
            rows.append(
                (
                    user_id,
                    role,
                    "expired" if expired else "submitted",
                    stamp(moment),
                    stamp(moment + 180 * 60),
                    60,
                    180,
                    1,
                    70,
                    institution_id,
                    cohort_id,
                    sequence,
                    stamp(moment + minutes_used * 60),
                    correct,
                    items,
                    percent,
                    passed,
                    domains,
                )
            )
            closes.append(moment + minutes_used * 60)
            moment += rng.randrange(30, 150) * DAY
            if passed:
                role = rng.choices(roles, weights)[0]
                sequence = 1 + sum(1 for r in rows[-12:] if r[0] == user_id and r[1] == role)
            else:
                sequence += 1
        user_id += 1
    return users, rows, closes


def _with_links(rows: list[tuple], closes: list[int], categories: dict, backend: str) -> list[tuple]:
    """Each attempt with its closing month and its links to the same trainee's previous closed
    attempts, as closing it in the app sets them (examsite.delivery.history's group keys). A
    trainee's attempts are generated together, in the order they closed."""
    stamp = _sqlite_time if backend == "sqlite" else _pg_time
    out: list[tuple] = []
    last: dict = {}
    user = None
    for row, closed in zip(rows, closes, strict=True):
        if row[0] != user:
            user, last = row[0], {name: {} for name in GROUP_KEYS}
        moment = time.gmtime(closed)
        facts = SimpleNamespace(
            closed_month=moment.tm_year * 100 + moment.tm_mon,
            role_id=row[1],
            category_id=categories[row[1]],
            institution_id=row[9],
            cohort_id=row[10],
            passing_percent=row[8],
        )
        links = []
        for name, key in GROUP_KEYS.items():
            group = key(facts)
            previous = last[name].get(group)
            links.append(None if previous is None else stamp(previous))
            last[name][group] = closed
        out.append((*row, facts.closed_month, *links))
    return out


def _domain_template(index: int) -> str:
    parts = [
        f'{{"name": "Domain {index + 1}.{d + 1}", "code": "d{index + 1}-{d + 1}", '
        f'"correct": %d, "total": 25}}'
        for d in range(5)
    ]
    return "[" + ", ".join(parts) + "]"


def _split(rng: random.Random, correct: int) -> tuple[int, ...]:
    parts = [min(25, correct // 5)] * 5
    left = correct - sum(parts)
    for i in range(5):
        add = min(25 - parts[i], left)
        parts[i] += add
        left -= add
    rng.shuffle(parts)
    return tuple(parts)


def _sqlite_time(epoch: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S.000000", time.gmtime(epoch))


def _pg_time(epoch: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S+00", time.gmtime(epoch))


def _db_time(moment: datetime, backend: str):
    return _sqlite_time(int(moment.timestamp())) if backend == "sqlite" else moment


def _insert_sqlite(database_url: str, users: list[tuple], rows: list[tuple]) -> None:
    import sqlite3

    path = make_url(database_url).database
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        # Loading is not what is measured: no fsync per transaction while generating.
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("BEGIN")
        conn.executemany(
            f"INSERT INTO users ({', '.join(USER_COLUMNS)}) VALUES ({', '.join('?' * len(USER_COLUMNS))})",
            users,
        )
        conn.execute("COMMIT")
        statement = (
            f"INSERT INTO attempts ({', '.join(ATTEMPT_COLUMNS)}) VALUES "
            f"({', '.join('?' * len(ATTEMPT_COLUMNS))})"
        )
        for start in range(0, len(rows), 100_000):
            conn.execute("BEGIN")
            conn.executemany(statement, rows[start : start + 100_000])
            conn.execute("COMMIT")
    finally:
        conn.close()


def _copy_postgres(database_url: str, users: list[tuple], rows: list[tuple]) -> None:
    import psycopg

    dsn = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn) as conn, conn.cursor() as cur:
        for table, columns, data in (("users", USER_COLUMNS, users), ("attempts", ATTEMPT_COLUMNS, rows)):
            with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for chunk in _tsv_chunks(data):
                    copy.write(chunk)
        conn.commit()


def _tsv_chunks(rows: list[tuple], size: int = 20_000) -> Iterator[str]:
    def cell(value) -> str:
        if value is None:
            return "\\N"
        if value is True:
            return "t"
        if value is False:
            return "f"
        return str(value)

    for start in range(0, len(rows), size):
        buffer = io.StringIO()
        for row in rows[start : start + size]:
            buffer.write("\t".join(cell(v) for v in row))
            buffer.write("\n")
        yield buffer.getvalue()
