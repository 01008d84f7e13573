"""The skills-gap view over 100,000 attempts: its query path timed through the public function and
through the HTTP route (issue 27: ≤ 1 s on PostgreSQL, ≤ 2 s on SQLite).

    python -m bench.skills_bench [--attempts 100000] [--keep]        # a scratch SQLite database
    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/examsite_bench \\
        python -m bench.skills_bench                                 # PostgreSQL (recreated)

`make bench` runs it after the reports, on its own scratch database (`--skip-skills` leaves it
out, `--skills-attempts N` changes the size). Set-up: `flask setup` with the real banks, then the
attempts in bulk (bench/reports_data.py: COPY on PostgreSQL, executemany on SQLite), each split
over its role's real blueprint domains, so trainees who take several roles meet the same core
domains again. Timed: `examsite.skills.gap.gap_rows` in-process (one cohort against all trainees,
one institution, every cohort), then `GET /reports/skills?show=cohort-ID` and
`GET /api/v1/reports/skills-gap?by=cohort&group=ID` against gunicorn, logged in through the form as
an instructor (the user's path).
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import random
import re
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections import defaultdict
from datetime import UTC, datetime

from sqlalchemy import create_engine, text

from bench import instance
from bench.server import ROOT, Gunicorn, tool

SOURCE = "examsite.skills.gap.gap_rows (services.skills_gap_rows, queries.gap_sums)"
PASSWORD = "bench skills password"
REPEATS = 3


def _blueprints(database_url: str) -> dict[int, list[tuple[str, str, int]]]:
    """role id -> [(domain code, name, items)] from the real blueprints."""
    engine = create_engine(database_url)
    found: dict[int, list[tuple[str, str, int]]] = defaultdict(list)
    with engine.connect() as conn:
        for role_id, code, name, items in conn.execute(
            text(
                "SELECT b.role_id, d.code, d.name, bd.items FROM blueprints b "
                "JOIN blueprint_domains bd ON bd.blueprint_id = b.id JOIN domains d ON d.id = bd.domain_id "
                "ORDER BY b.role_id, bd.position"
            )
        ):
            found[role_id].append((code, name, items))
    engine.dispose()
    return found


def _results(blueprints):
    """The generator's hook: an attempt's score split over its role's domains, with noise."""

    def results(rng: random.Random, role: int, score: float):
        domains = blueprints.get(role) or [("core-unknown", "Unknown", 60)]
        parts, correct, total = [], 0, 0
        for code, name, items in domains:
            share = min(1.0, max(0.0, score / 100 + rng.gauss(0, 0.15)))
            right = round(items * share)
            correct += right
            total += items
            parts.append({"code": code, "name": name, "correct": right, "total": items})
        return correct, total, json.dumps(parts)

    return results


EVIDENCE_COLUMNS = (
    "attempt_id",
    "domain_id",
    "user_id",
    "institution_id",
    "cohort_id",
    "closed_at",
    "closed_day",
    "weight",
    "correct",
    "total",
)


def fill_evidence(database_url: str) -> dict:
    """skills_evidence for the generated attempts, as scoring writes it (store_evidence), in bulk:
    the attempts' stored domain results read back, then executemany (SQLite) or COPY."""
    from sqlalchemy.engine import make_url

    from bench.reports_data import _tsv_chunks
    from examsite.skills.evidence import day_number, recency_factor

    started = time.perf_counter()
    backend = make_url(database_url).get_backend_name()
    engine = create_engine(database_url)
    with engine.connect() as conn:
        domains = dict(conn.execute(text("SELECT code, id FROM domains")).all())
        attempts = conn.execute(
            text(
                "SELECT id, user_id, institution_id, cohort_id, closed_at, domain_results FROM attempts "
                "WHERE status IN ('submitted', 'expired') ORDER BY id"
            )
        ).fetchall()
    engine.dispose()
    rows = []
    for attempt_id, user_id, institution_id, cohort_id, closed_at, results in attempts:
        if isinstance(results, str):
            results = json.loads(results)
        if isinstance(closed_at, str):
            closed_at = datetime.fromisoformat(closed_at)
        closed_at = closed_at if closed_at.tzinfo else closed_at.replace(tzinfo=UTC)
        stamp = (
            closed_at.replace(tzinfo=None).isoformat(" ") if backend == "sqlite" else closed_at.isoformat()
        )
        day = day_number(closed_at)
        factor = recency_factor(day)
        for d in results:
            if d["total"] > 0 and d["code"] in domains:
                rows.append(
                    (attempt_id, domains[d["code"]], user_id, institution_id, cohort_id, stamp, day, factor)
                    + (d["correct"], d["total"])
                )
    if backend == "postgresql":
        import psycopg

        dsn = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(dsn) as conn, conn.cursor() as cur:
            with cur.copy(f"COPY skills_evidence ({', '.join(EVIDENCE_COLUMNS)}) FROM STDIN") as copy:
                for chunk in _tsv_chunks(rows):
                    copy.write(chunk)
            conn.commit()
            cur.execute("ANALYZE skills_evidence")
            conn.commit()
    else:
        import sqlite3

        conn = sqlite3.connect(make_url(database_url).database, isolation_level=None)
        try:
            conn.execute("PRAGMA synchronous=OFF")  # loading is not what is measured
            conn.execute("BEGIN")
            conn.executemany(
                f"INSERT INTO skills_evidence ({', '.join(EVIDENCE_COLUMNS)}) "
                f"VALUES ({', '.join('?' * len(EVIDENCE_COLUMNS))})",
                rows,
            )
            conn.execute("COMMIT")
            conn.execute("ANALYZE")
        finally:
            conn.close()
    return {"rows": len(rows), "seconds": time.perf_counter() - started}


def _timed(call) -> dict:
    runs, value = [], None
    for _ in range(REPEATS):
        started = time.perf_counter()
        value = call()
        runs.append(time.perf_counter() - started)
    return {"first": runs[0], "median": statistics.median(runs), "best": min(runs), "value": value}


def time_function(database_url: str) -> dict:
    os.environ["DATABASE_URL"] = database_url
    from examsite import create_app
    from examsite.extensions import db
    from examsite.skills.gap import GapFilters, gap_rows

    app = create_app(overrides={"SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        cohort, institution = db.session.execute(
            text(
                "SELECT cohort_id, institution_id FROM attempts WHERE cohort_id IS NOT NULL "
                "GROUP BY cohort_id, institution_id ORDER BY COUNT(*) DESC LIMIT 1"
            )
        ).one()
        counts = db.session.execute(
            text("SELECT COUNT(*), COUNT(DISTINCT user_id) FROM attempts WHERE status <> 'in_progress'")
        ).one()
        timings = {}
        for label, filters in (
            ("one cohort vs all trainees", GapFilters("cohort", cohort)),
            ("one institution vs all trainees", GapFilters("institution", institution)),
            ("every cohort", GapFilters("cohort")),
        ):
            result = _timed(lambda filters=filters: len(gap_rows(filters)))
            result["rows"] = result.pop("value")
            timings[label] = result
        db.session.remove()
        db.engine.dispose()
    return {
        "source": SOURCE,
        "cohort": cohort,
        "attempts": counts[0],
        "trainees": counts[1],
        "timings": timings,
    }


def _login(base: str, email: str) -> urllib.request.OpenerDirector:
    """Log in through the form, as a browser does: the session cookie in a jar."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    page = opener.open(base + "/login", timeout=30).read().decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or re.search(
        r'name="csrf-token" content="([^"]+)"', page
    )
    form = urllib.parse.urlencode({"email": email, "password": PASSWORD, "csrf_token": token.group(1)})
    opener.open(base + "/login", data=form.encode(), timeout=30).read()
    return opener


def time_http(scratch: instance.Scratch, cohort: int) -> dict:
    email = "skills-bench-instructor@example.org"
    subprocess.run(
        [tool("flask"), "--app", "wsgi", "users", "create", email, "--name", "Bench Instructor"]
        + ["--role", "instructor", "--password-stdin"],
        cwd=ROOT,
        env=scratch.env(),
        input=PASSWORD + "\n",
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    routes = {
        "GET /reports/skills (page)": f"/reports/skills?show=cohort-{cohort}",
        "GET /api/v1/reports/skills-gap (JSON)": f"/api/v1/reports/skills-gap?by=cohort&group={cohort}",
    }
    timings = {}
    with Gunicorn("wsgi:app", scratch.env(), scratch.directory / "gunicorn-skills.log") as server:
        opener = _login(server.url, email)
        for label, path in routes.items():

            def get(path=path):
                with opener.open(server.url + path, timeout=120) as response:
                    body = response.read()
                    if response.status != 200:
                        raise RuntimeError(f"{path}: {response.status}")
                    return len(body)

            result = _timed(get)
            result["bytes"] = result.pop("value")
            timings[label] = result
    return timings


def run(postgres_url: str | None, attempts: int, say=print, keep: bool = False) -> dict:
    """A scratch instance of its own (so the figures are over `attempts`, nothing else)."""
    from bench.reports_data import generate

    scratch = instance.Scratch.create(postgres_url)
    try:
        say(f"Skills gap: flask setup on a scratch {scratch.backend} database…")
        instance.flask(scratch, "setup")
        blueprints = _blueprints(scratch.database_url)
        say(f"  generating {attempts:,} closed attempts over the real blueprints' domains…")
        generated = generate(scratch.database_url, attempts, say=say, results=_results(blueprints))
        say(f"  inserted in {generated['seconds']:.1f} s; their skills evidence…")
        evidence = fill_evidence(scratch.database_url)
        say(f"  {evidence['rows']:,} evidence rows in {evidence['seconds']:.1f} s; timing gap_rows…")
        function = time_function(scratch.database_url)
        for label, t in function["timings"].items():
            say(f"  {label:<32} first {t['first']:.3f} s, median {t['median']:.3f} s ({t['rows']} rows)")
        say("  timing the page and the API route through gunicorn (form login as an instructor)…")
        http_timings = time_http(scratch, function["cohort"])
        for label, t in http_timings.items():
            say(f"  {label:<38} first {t['first']:.3f} s, median {t['median']:.3f} s")
        return {
            "backend": scratch.backend,
            "generated": generated,
            "evidence": evidence,
            "function": function,
            "http": http_timings,
            "limit_seconds": 1.0 if scratch.backend == "postgresql" else 2.0,
        }
    finally:
        if keep:
            say(f"  kept {scratch.directory}")
        else:
            scratch.cleanup()


def scratch_url(bench_url: str | None) -> str | None:
    """bench.run's PostgreSQL database with `_skills` appended (recreated; 'bench' stays in its name)."""
    if not bench_url:
        return None
    from sqlalchemy.engine import make_url

    url = make_url(bench_url)
    return url.set(database=f"{url.database}_skills").render_as_string(hide_password=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--attempts", type=int, default=100_000)
    parser.add_argument("--keep", action="store_true", help="keep the scratch directory")
    args = parser.parse_args(argv)
    result = run(os.environ.get("BENCH_DATABASE_URL") or None, args.attempts, keep=args.keep)
    print(json.dumps(result, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
