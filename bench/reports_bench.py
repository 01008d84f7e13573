"""Reports over a million attempts: time the pass-rate query, measure the streamed CSV's memory.

    python -m bench.reports_bench --database-url URL [--attempts N]   (run by bench.run too)

What is timed is the app's own: `examsite.reports.queries.pass_rates` and the streaming
`examsite.reports.formatters.csv_stream`.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

from sqlalchemy import text

from bench.server import ROOT, tool

GROUPINGS = ("role", "month", "cohort")


SOURCE = "examsite.reports.queries.pass_rates; examsite.reports.formatters.csv_stream"


# ---- timing, in this process ------------------------------------------------------------------


def time_reports(database_url: str, repeats: int = 3) -> dict:
    os.environ["DATABASE_URL"] = database_url
    from examsite import create_app
    from examsite.reports.queries import pass_rates

    app = create_app(overrides={"SQLALCHEMY_DATABASE_URI": database_url})
    timings = {}
    with app.app_context():
        for by in GROUPINGS:
            runs, rows = [], []
            for _ in range(repeats):
                started = time.perf_counter()
                rows = pass_rates(by=by)
                runs.append(time.perf_counter() - started)
            timings[by] = {
                "first": runs[0],
                "median": statistics.median(runs),
                "best": min(runs),
                "groups": len(rows),
            }
        from examsite.extensions import db

        db.session.remove()
        db.engine.dispose()
    return {"source": SOURCE, "by": timings}


# ---- the streamed export, in a child process whose peak memory is measured ----------------------

EXPORT_SQL = """
    SELECT a.id, u.email, u.name, r.slug, i.name, h.name, a.sequence, a.status, a.started_at,
           a.closed_at, a.score_percent, a.passed, a.passing_percent
    FROM attempts a JOIN users u ON u.id = a.user_id JOIN roles r ON r.id = a.role_id
    LEFT JOIN institutions i ON i.id = a.institution_id LEFT JOIN cohorts h ON h.id = a.cohort_id
    WHERE a.status <> 'in_progress' ORDER BY a.id"""
EXPORT_HEADER = [
    "attempt",
    "email",
    "name",
    "role",
    "institution",
    "cohort",
    "sequence",
    "status",
    "started_at",
    "closed_at",
    "score_percent",
    "passed",
    "passing_percent",
]


def export_csv(database_url: str, out_path: str) -> dict:
    """Stream every closed attempt through the CSV formatter into `out_path` (child process side)."""
    import resource

    from examsite import create_app
    from examsite.reports.formatters import csv_stream
    from examsite.reports.queries import pass_rates

    app = create_app(overrides={"SQLALCHEMY_DATABASE_URI": database_url})
    started = time.perf_counter()
    count = size = 0
    with app.app_context():
        from examsite.extensions import db

        with db.engine.connect() as conn:
            result = conn.execution_options(stream_results=True, yield_per=2000).execute(text(EXPORT_SQL))

            def rows():
                nonlocal count
                for row in result:
                    count += 1
                    yield tuple(row)

            with open(out_path, "w", newline="") as out:
                for chunk in csv_stream(EXPORT_HEADER, rows()):
                    out.write(chunk)
                    size += len(chunk)
        # The pass-rate report as CSV too (a handful of rows), through the same formatter.
        report = pass_rates(by="cohort")
        header = list(report[0].keys()) if report else []
        report_bytes = sum(len(chunk) for chunk in csv_stream(header, (tuple(r.values()) for r in report)))
    peak_kb = _high_water_kb() or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "rows": count,
        "bytes": size,
        "report_csv_bytes": report_bytes,
        "seconds": time.perf_counter() - started,
        "max_rss_mb": peak_kb / 1024,
        "source": SOURCE,
    }


def _high_water_kb() -> int | None:
    """VmHWM of this process image. (ru_maxrss is no good here: Linux carries it over fork and
    exec, so a child would report the parent's peak, e.g. the generator's million rows.)"""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return None


def measure_export(database_url: str, out_path: str, env: dict[str, str]) -> dict:
    """Run the export in a child, polling its RSS with psutil; the child reports getrusage too."""
    import psutil

    child = subprocess.Popen(
        [
            tool("python"),
            "-m",
            "bench.reports_bench",
            "--export-only",
            "--database-url",
            database_url,
            "--out",
            out_path,
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    peak = {"rss": 0}

    def poll() -> None:
        try:
            process = psutil.Process(child.pid)
            while child.poll() is None:
                peak["rss"] = max(peak["rss"], process.memory_info().rss)
                time.sleep(0.05)
        except psutil.Error:
            pass

    watcher = threading.Thread(target=poll, daemon=True)
    watcher.start()
    stdout, stderr = child.communicate(timeout=1800)
    watcher.join(timeout=5)
    if child.returncode != 0:
        raise RuntimeError(f"the CSV export failed:\n{stderr[-2000:]}")
    result = json.loads(stdout.strip().splitlines()[-1])
    result["polled_peak_rss_mb"] = peak["rss"] / 1024 / 1024
    return result


def run(database_url: str, attempts: int, workdir, env: dict[str, str], say=print) -> dict:
    from bench.reports_data import generate

    say(f"Reports: generating {attempts:,} closed attempts…")
    generated = generate(database_url, attempts, say=say)
    say(f"  inserted in {generated['seconds']:.1f} s; timing the pass-rate report…")
    timings = time_reports(database_url)
    for by, t in timings["by"].items():
        say(f"  by {by:<7} first {t['first']:.3f} s, median {t['median']:.3f} s ({t['groups']} groups)")
    say("  streaming the CSV export of every attempt in a child process…")
    export = measure_export(database_url, str(workdir / "export.csv"), env)
    say(
        f"  {export['rows']:,} rows, {export['bytes'] / 1e6:.0f} MB of CSV in {export['seconds']:.1f} s; "
        f"peak RSS {export['max_rss_mb']:.0f} MB"
    )
    with contextlib.suppress(OSError):
        os.remove(workdir / "export.csv")
    return {"generated": generated, "timings": timings, "export": export}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--attempts", type=int, default=1_000_000)
    parser.add_argument("--out", default=os.devnull, help="where the export writes its CSV")
    parser.add_argument("--export-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.export_only:
        print(json.dumps(export_csv(args.database_url, args.out)))
        return 0
    import tempfile

    with tempfile.TemporaryDirectory(prefix="examsite-reports-") as workdir:
        result = run(
            args.database_url, args.attempts, Path(workdir), {**os.environ, "DATABASE_URL": args.database_url}
        )
    print(json.dumps(result, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
