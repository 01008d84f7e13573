"""Item analysis over 10,000 attempts of 130 items (1.3M responses), timed with --recalculate.

    python -m bench.item_analysis_bench                                  # a scratch SQLite database
    python -m bench.item_analysis_bench --postgres postgresql+psycopg://…/examsite_bench_items
    (`make bench` runs it too, on its scratch database, unless --skip-item-analysis)

Set-up (not timed against the target): `flask setup` with the real `question_banks/` (forms of
125 scored + 5 pretest items), then `flask stats simulate ROLE --attempts N --seed S`. Timed:
`examsite.instructors.item_analysis.item_analysis(Scope(role), recalculate=True)` in this process,
several times (the first run and the median), which is what `flask stats items ROLE
--recalculate` and the page's Recalculate button do; and the command itself end to end (wall
clock, Python start and app creation included). Target (issue 21): ≤ 5 s.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

from bench.server import ROOT, tool

SOURCE = "examsite.instructors.item_analysis.item_analysis(Scope(role), recalculate=True)"
TARGET_SECONDS = 5.0


def _flask(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [tool("flask"), "--app", "wsgi", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=3600,
    )
    if result.returncode != 0:
        raise RuntimeError(f"flask {' '.join(args)} failed:\n{result.stderr[-2000:]}")
    return result


def time_analysis(database_url: str, role_slug: str, repeats: int = 3) -> dict:
    from examsite import create_app

    app = create_app(overrides={"SQLALCHEMY_DATABASE_URI": database_url})
    runs, cpu_runs = [], []
    with app.app_context():
        from examsite.catalog.services import get_role
        from examsite.extensions import db
        from examsite.instructors.item_analysis import Scope, item_analysis

        role = get_role(role_slug)
        payload: dict = {}
        for _ in range(repeats):
            started, cpu = time.perf_counter(), time.process_time()
            entry = item_analysis(Scope(role), recalculate=True)
            db.session.commit()
            runs.append(time.perf_counter() - started)
            cpu_runs.append(time.process_time() - cpu)
            payload = entry.payload
        responses = sum(i["responses"] for i in payload["items"])
        db.session.remove()
        db.engine.dispose()
    return {
        "source": SOURCE,
        "runs": runs,
        "first": runs[0],
        "median": statistics.median(runs),
        "best": min(runs),
        # this process's CPU: all of the work on SQLite (in-process), the Python part on PostgreSQL
        "cpu_runs": cpu_runs,
        "cpu_median": statistics.median(cpu_runs),
        "attempts": payload["attempts"],
        "item_versions": len(payload["items"]),
        "responses": responses,
        "form_items": payload["forms"]["all"]["items"],
    }


def run(database_url: str, env: dict[str, str], role: str, attempts: int, seed: int = 21, say=print) -> dict:
    """Simulate the attempts into the (set-up) database at `database_url`, then time the analysis."""
    env = {**env, "DATABASE_URL": database_url}
    say(f"Item analysis: simulating {attempts:,} attempts at {role} (flask stats simulate)…")
    started = time.perf_counter()
    _flask(env, "stats", "simulate", role, "--attempts", str(attempts), "--seed", str(seed))
    simulated = time.perf_counter() - started
    say(f"  written in {simulated:.0f} s; timing the analysis with --recalculate…")
    timed = time_analysis(database_url, role)
    started = time.perf_counter()
    out = _flask(env, "stats", "items", role, "--recalculate", "--json")
    command = time.perf_counter() - started
    printed = json.loads(out.stdout)
    say(
        f"  {timed['attempts']:,} attempts, {timed['responses']:,} responses, {timed['item_versions']} item "
        f"versions: first {timed['first']:.2f} s, median {timed['median']:.2f} s (CPU of this process "
        f"{timed['cpu_median']:.2f} s); the command end to end "
        f"{command:.2f} s (target ≤ {TARGET_SECONDS:g} s)"
    )
    return {
        **timed,
        "role": role,
        "simulate_seconds": simulated,
        "command_seconds": command,
        "command_attempts": printed["attempts"],
        "target_seconds": TARGET_SECONDS,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--postgres", metavar="URL", help="a scratch PostgreSQL database ('bench' in its name)"
    )
    parser.add_argument("--role", default="implementation-manager")
    parser.add_argument("--attempts", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=21)
    parser.add_argument("--keep", action="store_true", help="keep the scratch directory")
    args = parser.parse_args(argv)
    from bench import instance

    scratch = instance.Scratch.create(args.postgres)
    os.environ.update(scratch.env())  # this process's app (the timed calls) on the scratch database
    try:
        print(f"scratch {scratch.directory} ({scratch.backend}); flask setup…", flush=True)
        _flask(scratch.env(), "setup")
        result = run(scratch.database_url, scratch.env(), args.role, args.attempts, args.seed)
        result["backend"] = scratch.backend
    finally:
        if not args.keep:
            scratch.cleanup()
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    os.environ.setdefault("EXAMSITE_ENV", "development")
    sys.exit(main())
