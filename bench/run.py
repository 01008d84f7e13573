"""`make bench`: an exam day against gunicorn on 127.0.0.1, the floor, and the reports.

    make bench                                   # 300 trainees, SQLite
    make bench BENCH_ARGS=--quick                # 30 trainees, 20 s: a smoke run
    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/examsite_bench make bench

Phases: set-up (scratch database, `flask setup`, trainees with passwords and tokens in bulk); the
exam day as users go (trainees arrive over the start window, all from 127.0.0.1 like a lab behind
NAT, log in through the form, start and save with the session cookie and the CSRF header, and all
submit within the submit window); the floor paced like the exam day; saturation in rounds, each
examsite's session-path saves, then its token-path saves (the API shortcut, for comparison), then
the floor's upserts back to back, so that the ratios compare loads run under the same machine
conditions; the verification of every acknowledged save; the reports over a million generated
attempts. Prints a summary and writes docs/benchmarks.md (quick runs: bench-results/).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import math
import os
import shlex
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from bench import loadrun
from bench.instance import TRAINEE_PASSWORD as PASSWORD
from bench.server import ROOT, Gunicorn


def say(message: str = "") -> None:
    print(message, flush=True)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="make bench BENCH_ARGS=…", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="30 trainees, 20 s steady state, 50k report rows"
    )
    parser.add_argument("--trainees", type=int, help="trainees in the exam day (default 300)")
    parser.add_argument(
        "--duration", type=float, help="seconds of answering after the last arrival (default 120)"
    )
    parser.add_argument("--role", default="implementation-manager", help="the role whose exam is taken")
    parser.add_argument(
        "--start-window",
        type=float,
        help="seconds over which trainees arrive, log in and start (default 60, quick 10)",
    )
    parser.add_argument("--submit-window", type=float, default=10, help="seconds over which all submit")
    parser.add_argument(
        "--think",
        type=float,
        nargs=2,
        default=(3, 7),
        metavar=("MIN", "MAX"),
        help="seconds a trainee reads before answering (uniform)",
    )
    parser.add_argument("--saturation-users", type=int, help="closed-loop savers (default 32)")
    parser.add_argument(
        "--saturation-seconds", type=float, help="seconds of each saturation round (default 20)"
    )
    parser.add_argument(
        "--saturation-rounds",
        type=int,
        help="rounds of saturation, examsite then the floor in each (default 3, quick 1)",
    )
    parser.add_argument("--report-attempts", type=int, help="generated attempts (default 1,000,000)")
    parser.add_argument("--skip-floor", action="store_true")
    parser.add_argument("--skip-saturation", action="store_true")
    parser.add_argument(
        "--skip-token-path",
        action="store_true",
        help="saturation rounds without the token-path saves (the shortcut measured beside)",
    )
    parser.add_argument(
        "--server-env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="an environment variable for examsite's gunicorn (repeatable; written in the report)",
    )
    parser.add_argument("--skip-reports", action="store_true")
    parser.add_argument("--skip-skills", action="store_true", help="leave out the skills-gap view")
    parser.add_argument(
        "--skills-attempts", type=int, help="attempts for the skills-gap view (default 100,000, quick 10,000)"
    )
    parser.add_argument(
        "--skip-item-analysis",
        action="store_true",
        help="skip the item analysis over simulated attempts (bench/item_analysis_bench.py)",
    )
    parser.add_argument(
        "--item-analysis-attempts", type=int, help="simulated attempts to analyse (default 10,000)"
    )
    parser.add_argument(
        "--wait-quiet",
        type=float,
        help="wait up to this many seconds for other processes to leave the CPUs (default 600, quick 0)",
    )
    parser.add_argument("--seed", type=int, default=10)
    parser.add_argument(
        "--out",
        help="markdown to write (default docs/benchmarks.md; quick runs bench-results/quick-BACKEND.md)",
    )
    parser.add_argument(
        "--profile", action="store_true", help="py-spy the workers (wall time) in the exam day and saturation"
    )
    parser.add_argument("--profile-cpu", action="store_true", help="the same, CPU time only")
    parser.add_argument("--keep", action="store_true", help="keep the scratch directory and database")
    args = parser.parse_args(argv)
    quick = args.quick
    args.trainees = args.trainees or (30 if quick else 300)
    args.duration = args.duration if args.duration is not None else (20 if quick else 120)
    if args.start_window is None:
        args.start_window = 10 if quick else 60
    for item in args.server_env:
        if "=" not in item:
            parser.error(f"--server-env {item!r}: give NAME=VALUE")
    args.saturation_users = args.saturation_users or (16 if quick else 32)
    args.saturation_seconds = args.saturation_seconds or (6 if quick else 20)
    args.saturation_rounds = args.saturation_rounds or (1 if quick else 3)
    args.report_attempts = args.report_attempts or (50_000 if quick else 1_000_000)
    args.skills_attempts = args.skills_attempts or (10_000 if quick else 100_000)
    if args.wait_quiet is None:
        args.wait_quiet = 0 if quick else 600
    args.argv = list(sys.argv[1:] if argv is None else argv)
    return args


class CpuSampler:
    """System CPU and the server's own CPU seconds while a load runs (two cores, shared with locust)."""

    def __init__(self, server: Gunicorn | None = None):
        self.server = server
        self.samples: list[float] = []
        self._stop = threading.Event()

    def _server_cpu(self) -> float:
        import psutil

        if self.server is None or self.server.process is None:
            return 0.0
        total = 0.0
        try:
            master = psutil.Process(self.server.process.pid)
            for proc in [master, *master.children(recursive=True)]:
                times = proc.cpu_times()
                total += times.user + times.system
        except psutil.Error:
            pass
        return total

    def __enter__(self) -> CpuSampler:
        import psutil

        psutil.cpu_percent(interval=None)
        self.started = time.monotonic()
        self.server_cpu_start = self._server_cpu()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        return self

    def _run(self) -> None:
        import psutil

        while not self._stop.wait(1.0):
            self.samples.append(psutil.cpu_percent(interval=None))

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self.thread.join(timeout=3)
        self.elapsed = time.monotonic() - self.started
        self.server_cpu = self._server_cpu() - self.server_cpu_start

    def as_dict(self) -> dict:
        samples = self.samples or [0.0]
        return {
            "system_cpu_mean": sum(samples) / len(samples),
            "system_cpu_max": max(samples),
            "server_cpu_seconds": self.server_cpu,
            "elapsed": self.elapsed,
            "server_cores_used": self.server_cpu / self.elapsed if self.elapsed else 0.0,
        }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    postgres_url = os.environ.get("BENCH_DATABASE_URL") or None
    from bench import instance

    scratch = instance.Scratch.create(postgres_url)
    os.environ["DATABASE_URL"] = scratch.database_url
    os.environ["EXAMSITE_INSTANCE_PATH"] = str(scratch.directory / "instance")
    results: dict = {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "backend": scratch.backend,
        "args": vars(args).copy(),
    }
    say(
        f"examsite bench: {scratch.backend}, {args.trainees} trainees, {args.duration:g} s steady state, "
        f"scratch {scratch.directory}"
    )
    try:
        run_all(args, scratch, results)
    except KeyboardInterrupt:
        say("interrupted")
        return 130
    finally:
        results["notes"] = scratch.notes
        if args.keep:
            say(f"kept {scratch.directory}")
        else:
            scratch.cleanup()
    from bench import summary

    summary.environment(results)
    say()
    say(summary.console(results))
    out = (
        Path(args.out)
        if args.out
        else (
            ROOT / "bench-results" / f"quick-{scratch.backend}.md"
            if args.quick
            else ROOT / "docs" / "benchmarks.md"
        )
    )
    summary.write_markdown(results, out)
    raw = ROOT / "bench-results" / f"{results['started_at'].replace(':', '')}-{scratch.backend}.json"
    raw.parent.mkdir(exist_ok=True)
    raw.write_text(json.dumps(results, indent=1, default=str))
    say(f"wrote {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out} and {raw.relative_to(ROOT)}")
    return 0


def run_all(args: argparse.Namespace, scratch, results: dict) -> None:
    from bench import instance, verify

    started = time.perf_counter()
    say("Set-up: flask setup on the scratch database…")
    results["setup"] = instance.set_up(scratch, args.role)
    exam_phase = loadrun.Phase(
        "exam",
        args.trainees,
        args.start_window,
        args.duration,
        args.submit_window,
        think_min=args.think[0],
        think_max=args.think[1],
        seed=args.seed,
    )
    instance.ensure_minutes(scratch, args.role, math.ceil(exam_phase.expected_seconds() / 60) + 15)
    results["exam_settings"] = instance.exam_settings(scratch, args.role)
    results["app"] = instance.app_settings(scratch)
    accounts = instance.create_trainees(scratch, args.trainees, "trainee")
    accounts_path = instance.write_accounts(scratch.directory / "accounts.json", accounts)
    sat_accounts = (
        [] if args.skip_saturation else instance.create_trainees(scratch, args.saturation_users, "saturating")
    )
    sat_path = instance.write_accounts(scratch.directory / "saturation-accounts.json", sat_accounts)
    results["setup"]["seconds"] = time.perf_counter() - started
    say(
        f"  {results['setup']['setup']}; banks: {results['setup']['banks']}; {args.role}: "
        f"{results['exam_settings']['form_items']} items; {args.trainees} trainees with passwords and "
        f"tokens ({results['setup']['seconds']:.1f} s)"
    )

    say(
        f"Exam day: {args.trainees} trainees arrive within {args.start_window:g} s, log in through the "
        f"form and start, answer until {args.duration:g} s after the last arrival, submit within "
        f"{args.submit_window:g} s…"
    )
    busy = wait_until_quiet(args.wait_quiet)
    results["busy_before_exam"] = busy
    if busy > 0.25:
        scratch.notes.append(
            f"Other processes were using {busy:.0%} of the machine just before the exam day: "
            "the figures are pessimistic (see the CPU section)."
        )
        say(f"  ! the machine is busy ({busy:.0%} CPU used by other processes); figures will suffer")
    log = scratch.directory / "gunicorn.log"
    floor_log = scratch.directory / "gunicorn-floor.log"
    floor_url = None
    saturation = token_sat = floor_paced = floor_sat = None
    with contextlib.ExitStack() as servers:
        server_env = scratch.env(**dict(item.split("=", 1) for item in args.server_env))
        server = servers.enter_context(Gunicorn("wsgi:app", server_env, log))
        with profiled(args, server, f"{scratch.backend}-exam"), CpuSampler(server) as cpu:
            exam = loadrun.run(
                exam_phase, server.url, scratch.directory, accounts_path, args.role, password=PASSWORD
            )
        results["exam"] = _load_dict(exam, cpu.as_dict())
        say(_routes_line(exam))
        floor_server = None
        if not args.skip_floor:
            floor_url, floor_server, floor_paced = run_floor(
                args, scratch, results, servers, floor_log, exam_phase
            )
        if not args.skip_saturation:
            saturation, token_sat, floor_sat = run_saturation(
                args, scratch, results, server, floor_server, sat_path
            )
        results["server_log_errors"] = _log_errors(log)
    acks = exam.acks + (saturation.acks if saturation else []) + (token_sat.acks if token_sat else [])
    checked = verify.check_responses(scratch.database_url, acks)
    results["verification"] = checked.__dict__
    say(
        f"Verification: {checked.acknowledged_saves} acknowledged saves, {checked.items_checked} items, "
        f"lost answers: {checked.lost}, flag mismatches: {checked.flag_mismatches}, "
        f"reloads that disagreed: {len(exam.mismatches)}"
    )
    results["durability"] = _durability(scratch)
    if floor_paced is not None:
        from bench import floor

        results["floor_log_errors"] = _log_errors(floor_log)
        floor_acks = floor_paced.acks + (floor_sat.acks if floor_sat else [])
        results["floor_verification"] = verify.check_floor(floor_url, floor.TABLE_NAME, floor_acks).__dict__

    if not args.skip_item_analysis:
        # Before the reports: their million generated attempts would join the role's analysis.
        from bench import item_analysis_bench

        results["item_analysis"] = item_analysis_bench.run(
            scratch.database_url,
            scratch.env(),
            args.role,
            args.item_analysis_attempts or (1_000 if args.quick else 10_000),
            seed=args.seed,
            say=say,
        )

    if not args.skip_reports:
        from bench import reports_bench

        results["reports"] = reports_bench.run(
            scratch.database_url, args.report_attempts, scratch.directory, scratch.env(), say=say
        )
    if not args.skip_skills:
        from bench import skills_bench

        postgres = skills_bench.scratch_url(scratch.database_url if scratch.backend == "postgresql" else None)
        results["skills"] = skills_bench.run(postgres, args.skills_attempts, say=say)


def run_floor(
    args, scratch, results: dict, servers: contextlib.ExitStack, log: Path, exam_phase: loadrun.Phase
):
    """Start the floor's server (kept up for the saturation rounds) and load it like the exam day."""
    from bench import floor

    url = (
        scratch.database_url
        if scratch.backend == "postgresql"
        else f"sqlite:///{scratch.directory / 'floor.sqlite3'}"
    )
    floor.create_table(url)
    results["busy_before_floor"] = wait_until_quiet(min(args.wait_quiet, 180))
    say(
        f"Floor: one durable upsert per request, {args.trainees} trainees paced like the exam day "
        f"for {args.duration:g} s…"
    )
    server = servers.enter_context(
        Gunicorn("bench.floor:create_floor_app()", scratch.env(DATABASE_URL=url), log)
    )
    paced = dataclasses.replace(exam_phase, mode="floor", submit_window=0)  # the same pacing
    with CpuSampler(server) as cpu:
        floor_paced = loadrun.run(paced, server.url, scratch.directory)
    results["floor"] = _load_dict(floor_paced, cpu.as_dict())
    say(_routes_line(floor_paced))
    return url, server, floor_paced


def run_saturation(args, scratch, results: dict, server: Gunicorn, floor_server, sat_path: Path):
    """Closed-loop saves in rounds: examsite's session path, its token path (the shortcut), then
    the floor right after, in each round.

    The machine's speed drifts over minutes (a shared host); a ratio of two loads run minutes
    apart carries that drift, while the parts of one round see nearly the same machine.
    Returns the session path's, the token path's and the floor's rounds merged into one load each
    (None for a part not run)."""
    rounds = args.saturation_rounds
    paths = ["session"] if args.skip_token_path else ["session", "token"]
    say(
        f"Saturation: {rounds} round(s) of {args.saturation_users} closed-loop savers for "
        f"{args.saturation_seconds:g} s: examsite's {' then '.join(paths)} path, then the floor…"
    )
    loads: dict[str, list[loadrun.LoadResult]] = {key: [] for key in (*paths, "floor")}
    usage: dict[str, list[dict]] = {key: [] for key in loads}
    per_round: list[dict] = []
    # Session-path savers log in through the form first (a password check each): a wider window.
    session_phase = loadrun.Phase(
        "saturate",
        args.saturation_users,
        start_window=max(3.0, args.saturation_users * 0.3),
        saturate=args.saturation_seconds,
        seed=args.seed,
    )
    phases = {
        "session": session_phase,
        "token": dataclasses.replace(session_phase, start_window=3, auth="token"),
        "floor": dataclasses.replace(session_phase, start_window=3, mode="floor-saturate"),
    }
    for number in range(1, rounds + 1):
        row: dict = {"round": number, "errors": 0}
        for key in loads:
            if key == "floor" and floor_server is None:
                continue
            target = floor_server if key == "floor" else server
            first = number == 1 and key == "session"  # py-spy (--profile) samples the first round
            name = f"{scratch.backend}-saturation"
            spy = profiled(args, server, name) if first else contextlib.nullcontext()
            with spy, CpuSampler(target) as cpu:
                load = loadrun.run(
                    phases[key],
                    target.url,
                    scratch.directory,
                    None if key == "floor" else sat_path,
                    args.role,
                    tag=f"-{key}-{number}",
                    password=PASSWORD,
                )
            loads[key].append(load)
            usage[key].append(cpu.as_dict())
            row[f"{key}_rps"] = _rps(load, SATURATED_SAVE[key])
            row["errors"] += load.total_failures
        if row.get("floor_rps"):
            row["ratio"] = row["session_rps"] / row["floor_rps"]
            if "token_rps" in row:
                row["token_ratio"] = row["token_rps"] / row["floor_rps"]
        per_round.append(row)
        say(_round_line(row))
    merged = {key: loadrun.merge(parts) if parts else None for key, parts in loads.items()}
    names = {"session": "saturation", "token": "saturation_token", "floor": "floor_saturation"}
    for key, result_key in names.items():
        if merged.get(key) is not None:
            results[result_key] = _load_dict(merged[key], _merge_cpu(usage[key]))
            say(_routes_line(merged[key]))
    results["saturation_rounds"] = per_round
    return merged["session"], merged.get("token"), merged.get("floor")


SATURATED_SAVE = {
    "session": "save (saturation, session)",
    "token": "save (saturation, token shortcut)",
    "floor": "floor save (saturation)",
}


def _rps(load: loadrun.LoadResult, route: str) -> float:
    stats = load.routes.get(route)
    return stats.rps if stats else 0.0


def _round_line(row: dict) -> str:
    line = f"  round {row['round']}: session path {row['session_rps']:.0f} saves/s"
    if "token_rps" in row:
        line += f", token shortcut {row['token_rps']:.0f}/s"
    if row.get("floor_rps"):
        line += f", floor {row['floor_rps']:.0f} upserts/s: session path {row['ratio']:.0%} of the floor"
        if "token_ratio" in row:
            line += f" (token shortcut {row['token_ratio']:.0%})"
    return line


def _merge_cpu(usages: list[dict]) -> dict:
    elapsed = sum(u["elapsed"] for u in usages)
    server_cpu = sum(u["server_cpu_seconds"] for u in usages)
    weighted = sum(u["system_cpu_mean"] * u["elapsed"] for u in usages)
    return {
        "system_cpu_mean": weighted / elapsed if elapsed else 0.0,
        "system_cpu_max": max(u["system_cpu_max"] for u in usages),
        "server_cpu_seconds": server_cpu,
        "elapsed": elapsed,
        "server_cores_used": server_cpu / elapsed if elapsed else 0.0,
    }


class profiled:
    """py-spy during one load when --profile; prints the summary and keeps it in bench-results/."""

    def __init__(self, args, server: Gunicorn, name: str):
        from bench.profile import PySpy

        self.name = f"{name}-{'cpu' if args.profile_cpu else 'wall'}"
        self.out = ROOT / "bench-results" / f"profile-{self.name}.txt"
        wanted = (args.profile or args.profile_cpu) and server.process
        self.spy = PySpy(server.process.pid if wanted else None, self.out, idle=not args.profile_cpu)

    def __enter__(self):
        self.out.parent.mkdir(exist_ok=True)
        return self.spy.__enter__()

    def __exit__(self, *exc) -> None:
        self.spy.__exit__(*exc)
        if self.spy.pid is not None and self.out.exists():
            from bench.profile import summarize

            text = summarize(self.out)
            summary_path = self.out.with_name(f"profile-{self.name}-summary.txt")
            summary_path.write_text(text + "\n")
            say(f"  profile ({self.name}): {summary_path.relative_to(ROOT)}")
            say("\n".join("    " + line for line in text.splitlines()[:45]))


def _load_dict(load: loadrun.LoadResult, usage: dict) -> dict:
    """What the summary keeps of a load, with the CPU used while it ran (CpuSampler.as_dict)."""
    usage = dict(usage)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    elapsed = usage["elapsed"]
    usage["locust_cores_used"] = load.locust_cpu_seconds / elapsed if elapsed else 0.0
    usage["other_cores_used"] = max(
        0.0, usage["system_cpu_mean"] / 100 * cores - usage["server_cores_used"] - usage["locust_cores_used"]
    )
    return {
        "users": load.users,
        "routes": {k: v.as_dict() for k, v in load.routes.items()},
        "errors": load.errors,
        "mismatches": load.mismatches[:20],
        "mismatch_count": len(load.mismatches),
        "reconnects": len(load.reconnects),
        "reconnect_samples": load.reconnects[:5],
        "acks": len(load.acks),
        "finished_users": load.finished_users,
        "plan": load.plan,
        "locust_exit": load.locust_exit,
        "cpu": usage,
    }


def _routes_line(load: loadrun.LoadResult) -> str:
    parts = [
        f"{r.route}: {r.count} req, p50 {r.p50:.0f} / p95 {r.p95:.0f} / p99 {r.p99:.0f} ms, "
        f"{r.rps:.1f}/s, {r.failures} err"
        for r in load.routes.values()
    ]
    return "\n".join("  " + p for p in parts) or "  (no requests)"


def wait_until_quiet(limit: float, threshold: float = 0.2) -> float:
    """Wait (up to `limit` s) until other processes leave the CPUs alone; returns the last busy share.

    The machine may be shared (someone's test suite); a load measured beside it says little.
    """
    import psutil

    deadline = time.monotonic() + limit
    busy = psutil.cpu_percent(interval=3) / 100
    if busy > threshold and limit > 0:
        say(f"  waiting for a quiet machine (other processes use {busy:.0%} CPU)…")
    while busy > threshold and time.monotonic() < deadline:
        busy = psutil.cpu_percent(interval=5) / 100
    return busy


def _log_errors(log: Path) -> list[str]:
    try:
        lines = log.read_text(errors="replace").splitlines()
    except OSError:
        return []
    keys = ("Traceback", "ERROR", "CRITICAL", "WORKER TIMEOUT", "database is locked")
    return [line[:300] for line in lines if any(k in line for k in keys)][:30]


def _durability(scratch) -> dict:
    from sqlalchemy import create_engine, text

    from config import Config

    engine = create_engine(scratch.database_url)
    out: dict = {}
    with engine.connect() as conn:
        if scratch.backend == "sqlite":
            out["journal_mode"] = conn.execute(text("PRAGMA journal_mode")).scalar()
            out["synchronous (app setting)"] = Config.SQLITE_SYNCHRONOUS
            out["busy_timeout_ms (app setting)"] = Config.SQLITE_BUSY_TIMEOUT_MS
            out["sqlite_version"] = conn.execute(text("SELECT sqlite_version()")).scalar()
        else:
            for name in (
                "synchronous_commit",
                "fsync",
                "full_page_writes",
                "wal_sync_method",
                "max_connections",
                "shared_buffers",
                "server_version",
            ):
                out[name] = conn.execute(text(f"SHOW {name}")).scalar()
    engine.dispose()
    return out


def command_line(args: argparse.Namespace) -> str:
    line = "make bench" + (f" BENCH_ARGS={shlex.quote(shlex.join(args.argv))}" if args.argv else "")
    url = os.environ.get("BENCH_DATABASE_URL")
    if url:
        from sqlalchemy.engine import make_url

        line = f"BENCH_DATABASE_URL={make_url(url).render_as_string(hide_password=True)} {line}"
    return line


if __name__ == "__main__":
    sys.exit(main())
