"""The figures against issue 10's targets: printed, and written to docs/benchmarks.md.

docs/benchmarks.md keeps one section per database (between markers), so a PostgreSQL run
replaces the PostgreSQL figures and leaves the SQLite ones as they were.
"""

from __future__ import annotations

import os
import platform
import re
import runpy
import sys
from pathlib import Path

from bench.server import ROOT

LOADS = {
    "exam": "exam day (user path)",
    "saturation": "saturation, session path",
    "saturation_token": "saturation, token shortcut",
    "floor": "floor, paced",
    "floor_saturation": "floor, saturated",
}
HEADER = """# Benchmarks: an exam day on this machine

Written by `make bench` (bench/run.py); issue 17 defines the load and the targets (issue 10 the
reports'). Each database has its own section below, replaced by the next run on that database.
Quick smoke runs (`BENCH_ARGS=--quick`) write to `bench-results/` instead.

What a run does: a scratch instance and database; `flask setup` with the real `question_banks/`;
N trainees with passwords (hashed by the app) and API tokens inserted in bulk; gunicorn started as
`make run` starts it (`gunicorn -c gunicorn.conf.py wsgi:app`) on 127.0.0.1; locust (headless,
FastHttpUser) on the same machine, so every trainee comes from one address, as a lab behind NAT.
The exam day is the user's path: trainees arrive over the start window; each opens the login page,
posts the login form (session cookie), loads the page it lands on (the CSRF token in its meta tag),
starts with the session cookie and `X-CSRFToken`, then navigates to an item (the item page), reads
for 3–7 s and saves (`PUT /api/v1/attempts/{id}/responses/{item}` with the cookie and the CSRF
header, as the exam page does), sometimes changes the answer (20%), flags (10%) and reloads the
attempt (8%), and all submit within the submit window. The floor is the same gunicorn config and
engine settings serving a single-row upsert (bench/floor.py), paced like the exam day. Then
closed-loop saves measure the ceiling in rounds: examsite's session-path saves, its token-path
saves (a bearer token: the API shortcut no browser uses, kept for comparison), then the floor's,
in each round, so that the ratios see the same machine. Every acknowledged save is checked in the
database. Reports: a million generated closed attempts, the pass-rate query timed in-process, and
a streamed CSV export of all attempts in a child process whose peak RSS is read.

Latencies are client-side wall clock (ms) measured by locust on the same two cores as the server.
Throughput vs floor = saturated session-path save throughput of examsite / saturated throughput of
the floor, each over all its rounds.
"""


def environment(results: dict) -> None:
    """Machine and settings, added to the results."""
    import psutil

    from bench.run import command_line

    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    conf = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    results["machine"] = {
        "nproc": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "cpu": model or platform.processor(),
        "kernel": platform.release(),
        "python": sys.version.split()[0],
    }
    results["gunicorn"] = {
        k: conf.get(k) for k in ("workers", "worker_class", "threads", "keepalive", "timeout", "preload_app")
    }
    from argparse import Namespace

    results["command"] = command_line(Namespace(**results["args"]))


def _route(results: dict, load: str, route: str) -> dict | None:
    return (results.get(load) or {}).get("routes", {}).get(route)


def targets(results: dict) -> list[tuple[str, str, str, bool | None]]:
    """(what, target, measured, met) rows: issue 17's for the exam day and saturation, issue 10's
    for the reports."""
    rows = []
    backend = results["backend"]
    errors = sum(
        r["failures"] for load in LOADS for r in (results.get(load) or {}).get("routes", {}).values()
    )
    lost = (results.get("verification") or {}).get("lost")
    rows.append(("errors, all phases", "0", str(errors), errors == 0))
    rows.append(("lost answers", "0", str(lost), lost == 0 if lost is not None else None))
    n = results["args"]["trainees"]
    for route, limit, label in (
        ("login", 1000, f"login p99 (form post), {n} trainees from one address"),
        ("start", 500, "start p99 (session cookie)"),
        ("save", 100, "save p99 (session path), whole run, logins included"),
        ("submit", 2000, f"submit p99, all within {results['args']['submit_window']:g} s"),
    ):
        stats = _route(results, "exam", route)
        if stats:
            rows.append((label, f"≤ {limit:,} ms", f"{stats['p99']:,.0f} ms", stats["p99"] <= limit))
    ratio = throughput_ratio(results)
    if ratio is not None:
        rows.append(("session-path saves vs floor (saturated)", "≥ 80%", f"{ratio:.0%}", ratio >= 0.8))
    token = throughput_ratio(results, "saturation_token")
    if token is not None:
        rows.append(("token-path saves vs floor (saturated; the shortcut)", "—", f"{token:.0%}", None))
    reports = results.get("reports")
    if reports:
        limit = 1.0 if backend == "postgresql" else 2.0
        worst = max(t["median"] for t in reports["timings"]["by"].values())
        attempts = reports["generated"]["attempts"]
        rows.append(
            (
                f"pass-rate report, {attempts:,} attempts (slowest grouping, median)",
                f"≤ {limit:g} s",
                f"{worst:.2f} s",
                worst <= limit,
            )
        )
        peak = max(reports["export"]["max_rss_mb"], reports["export"].get("polled_peak_rss_mb", 0))
        rows.append(
            (
                f"CSV export of {reports['export']['rows']:,} attempts, peak RSS",
                "< 200 MB",
                f"{peak:.0f} MB",
                peak < 200,
            )
        )
    skills = results.get("skills")
    if skills:
        limit = skills["limit_seconds"]
        function = skills["function"]["timings"]["one cohort vs all trainees"]["median"]
        route = skills["http"]["GET /reports/skills (page)"]["median"]
        attempts = skills["generated"]["attempts"]
        for label, value in (("gap_rows", function), ("GET /reports/skills", route)):
            rows.append(
                (
                    f"skills gap of one cohort vs all trainees, {attempts:,} attempts ({label}, median)",
                    f"≤ {limit:g} s",
                    f"{value:.2f} s",
                    value <= limit,
                )
            )
    analysis = results.get("item_analysis")
    if analysis:
        rows.append(
            (
                f"item analysis, {analysis['attempts']:,} attempts, {analysis['responses']:,} responses "
                "(--recalculate, median)",
                f"≤ {analysis['target_seconds']:g} s",
                f"{analysis['median']:.2f} s",
                analysis["median"] <= analysis["target_seconds"],
            )
        )
    return rows


SATURATED_ROUTE = {
    "saturation": "save (saturation, session)",
    "saturation_token": "save (saturation, token shortcut)",
}


def throughput_ratio(results: dict, load: str = "saturation") -> float | None:
    """Saturated saves of examsite (session path by default) / saturated upserts of the floor."""
    ours = _route(results, load, SATURATED_ROUTE[load])
    floor = _route(results, "floor_saturation", "floor save (saturation)")
    if not ours or not floor or not floor["rps"]:
        return None
    return ours["rps"] / floor["rps"]


def _mark(met: bool | None) -> str:
    return "—" if met is None else ("yes" if met else "**NO**")


def console(results: dict) -> str:
    lines = [f"=== examsite bench ({results['backend']}) ==="]
    for what, target, measured, met in targets(results):
        flag = "  " if met is None else ("ok" if met else "MISSED")
        lines.append(f"{flag:>6}  {what:<62} {measured:>10}   target {target}")
    lines.append("")
    lines.append(f"{'route':<26}{'count':>7}{'p50':>8}{'p95':>8}{'p99':>8}{'max':>8}{'req/s':>8}{'err':>5}")
    for load in LOADS:
        for stats in (results.get(load) or {}).get("routes", {}).values():
            lines.append(
                f"{stats['route']:<26}{stats['count']:>7}{stats['p50']:>8.0f}{stats['p95']:>8.0f}"
                f"{stats['p99']:>8.0f}{stats['max']:>8.0f}{stats['rps']:>8.1f}{stats['failures']:>5}"
            )
    rounds = _rounds_text(results)
    if rounds:
        lines.append(f"saturation rounds (session path, token shortcut / floor per s): {rounds}")
    for note in results.get("notes", []):
        lines.append(f"note: {note}")
    return "\n".join(lines)


def _rounds_text(results: dict) -> str:
    parts = []
    for row in results.get("saturation_rounds") or []:
        text = f"{row['session_rps']:.0f}"
        if "token_rps" in row:
            text += f", {row['token_rps']:.0f}"
        if row.get("ratio") is not None:
            text += f" / {row['floor_rps']:.0f} = {row['ratio']:.0%}"
            if "token_ratio" in row:
                text += f", {row['token_ratio']:.0%}"
        parts.append(text)
    return "; ".join(parts)


def section(results: dict) -> str:
    backend = results["backend"]
    title = "SQLite" if backend == "sqlite" else "PostgreSQL"
    m, g, a = results["machine"], results["gunicorn"], results["args"]
    out = [
        f"## {title}",
        "",
        f"Run {results['started_at']} with `{results['command']}`",
        "",
        f"- Machine: {m['nproc']} CPUs ({m['cpu']}), {m['memory_gb']} GB RAM, Linux {m['kernel']}, "
        f"Python {m['python']}; locust runs on the same CPUs.",
        f"- gunicorn (gunicorn.conf.py): {g['workers']} workers × {g['threads']} threads "
        f"({g['worker_class']}), keep-alive {g['keepalive']} s, timeout {g['timeout']} s.",
        "- App: " + ", ".join(f"{k} {v}" for k, v in (results.get("app") or {}).items()) + ".",
        *([f"- examsite's server environment: `{' '.join(a['server_env'])}`."] * bool(a.get("server_env"))),
        "- Database: " + ", ".join(f"{k} {v}" for k, v in (results.get("durability") or {}).items()) + ".",
        f"- Exam: role `{results['args']['role']}`, {results['exam_settings']['form_items']} items per "
        f"form; set-up: {results['setup']['setup']}; banks: {results['setup']['banks']}.",
        f"- Load: {a['trainees']} trainees from 127.0.0.1 arriving over {a['start_window']:g} s, "
        f"answering (reading {a['think'][0]:g}–{a['think'][1]:g} s) until {a['duration']:g} s after the "
        f"last arrival, submitting within {a['submit_window']:g} s; saturation "
        f"{a['saturation_users']} users, {a.get('saturation_rounds', 1)} round(s) × "
        f"{a['saturation_seconds']:g} s for each path and the floor.",
        "",
        "### Against the targets",
        "",
        "| what | target | measured | met |",
        "|---|---|---|---|",
    ]
    for what, target, measured, met in targets(results):
        out.append(f"| {what} | {target} | {measured} | {_mark(met)} |")
    out += [
        "",
        "### Per route (ms, client side)",
        "",
        "| load | route | requests | p50 | p95 | p99 | max | req/s | errors |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    labels = LOADS
    for load, label in labels.items():
        for s in (results.get(load) or {}).get("routes", {}).values():
            out.append(
                f"| {label} | {s['route']} | {s['count']} | {s['p50']:.0f} | {s['p95']:.0f} | "
                f"{s['p99']:.0f} | {s['max']:.0f} | {s['rps']:.1f} | {s['failures']} |"
            )
    out += ["", "### CPU while loaded", ""]
    for load, label in labels.items():
        cpu = (results.get(load) or {}).get("cpu")
        if cpu:
            out.append(
                f"- {label} ({cpu['elapsed']:.0f} s): machine {cpu['system_cpu_mean']:.0f}% mean, "
                f"{cpu['system_cpu_max']:.0f}% max; cores used by gunicorn {cpu['server_cores_used']:.2f}, "
                f"by locust {cpu.get('locust_cores_used', 0):.2f}, by other processes "
                f"{cpu.get('other_cores_used', 0):.2f}."
            )
    verification = results.get("verification") or {}
    out += [
        "",
        "### Durability check",
        "",
        f"- {verification.get('acknowledged_saves', 0)} saves acknowledged (200) over "
        f"{verification.get('items_checked', 0)} items; lost answers (stored choices differ from the last "
        f"acknowledged value, or missing): **{verification.get('lost')}**; flag mismatches: "
        f"{verification.get('flag_mismatches')}; reloads that showed another value than the last "
        f"acknowledged one: {(results.get('exam') or {}).get('mismatch_count', 0)}.",
    ]
    floor_v = results.get("floor_verification")
    if floor_v:
        out.append(f"- Floor: {floor_v['acknowledged_saves']} acknowledged upserts, lost: {floor_v['lost']}.")
    out += ["", "### Errors and retries", ""]
    for load, label in LOADS.items():
        data = results.get(load) or {}
        if not data:
            continue
        kinds: dict[str, int] = {}
        for error in data.get("errors", []):
            key = f"{error['route']} → {error['status'] or 'no reply'}: {error['body'][:90].strip()}"
            kinds[key] = kinds.get(key, 0) + 1
        failures = sum(r["failures"] for r in data.get("routes", {}).values())
        out.append(
            f"- {label}: {failures} failed requests; {data.get('reconnects', 0)} requests retried once "
            "after the server closed an idle keep-alive connection (as browsers do)."
        )
        out += [f"  - `{k}` (×{n} in the first 40 failures)" for k, n in kinds.items()]
    ratio = throughput_ratio(results)
    ours, floor = _route(results, "exam", "save"), _route(results, "floor", "floor save")
    if ratio is not None or (ours and floor):
        out += ["", "### Save vs floor", ""]
        if ours and floor:
            out.append(
                f"- Paced like the exam day: examsite save (session path) p50/p99 "
                f"{ours['p50']:.0f}/{ours['p99']:.0f} ms at {ours['rps']:.1f}/s; floor "
                f"{floor['p50']:.0f}/{floor['p99']:.0f} ms at {floor['rps']:.1f}/s."
            )
        if ratio is not None:
            a = _route(results, "saturation", SATURATED_ROUTE["saturation"])
            b = _route(results, "floor_saturation", "floor save (saturation)")
            rounds = results.get("saturation_rounds") or []
            out.append(
                f"- Saturated ({results['args']['saturation_users']} closed-loop users, "
                f"{len(rounds) or 1} round(s) of {results['args']['saturation_seconds']:g} s): "
                f"examsite's session path {a['rps']:.0f} saves/s, floor {b['rps']:.0f} upserts/s: "
                f"**{ratio:.0%}** of the floor."
            )
            token = throughput_ratio(results, "saturation_token")
            if token is not None:
                t = _route(results, "saturation_token", SATURATED_ROUTE["saturation_token"])
                out.append(
                    f"- The token shortcut beside it (bearer token, no cookie, no CSRF): "
                    f"{t['rps']:.0f} saves/s, {token:.0%} of the floor."
                )
            out.append(
                "- Rounds (session path, token shortcut / floor per s): " + _rounds_text(results) + "."
            )
    reports = results.get("reports")
    if reports:
        gen, export = reports["generated"], reports["export"]
        out += [
            "",
            "### Reports",
            "",
            f"- {gen['attempts']:,} closed attempts for {gen['trainees']:,} trainees in {gen['cohorts']} "
            f"cohorts, generated in {gen['seconds']:.0f} s.",
            f"- Implementation timed: {reports['timings']['source']}.",
        ]
        for by, t in reports["timings"]["by"].items():
            out.append(
                f"- Pass rates by {by}: first run {t['first']:.2f} s, median of 3 {t['median']:.2f} s "
                f"({t['groups']} groups)."
            )
        out.append(
            f"- Streamed CSV of every attempt: {export['rows']:,} rows, {export['bytes'] / 1e6:.0f} MB in "
            f"{export['seconds']:.0f} s; peak RSS of the process {export['max_rss_mb']:.0f} MB "
            f"(VmHWM), {export.get('polled_peak_rss_mb', 0):.0f} MB (psutil polling)."
        )
    skills = results.get("skills")
    if skills:
        gen, evidence = skills["generated"], skills["evidence"]
        out += [
            "",
            "### Skills gap",
            "",
            f"- Its own scratch database: {gen['attempts']:,} closed attempts for {gen['trainees']:,} "
            f"trainees in {gen['cohorts']} cohorts over the real blueprints' domains, "
            f"{evidence['rows']:,} evidence rows.",
            f"- Implementation timed: {skills['function']['source']}; then the page and the API "
            "through gunicorn, logged in through the form as an instructor.",
        ]
        for label, t in {**skills["function"]["timings"], **skills["http"]}.items():
            out.append(f"- {label}: first {t['first']:.2f} s, median of 3 {t['median']:.2f} s.")
    analysis = results.get("item_analysis")
    if analysis:
        runs = ", ".join(f"{r:.2f}" for r in analysis["runs"])
        out += [
            "",
            "### Item analysis",
            "",
            f"- {analysis['attempts']:,} closed attempts at `{analysis['role']}` "
            f"({analysis['form_items']} scored items a form, plus pretest), "
            f"{analysis['responses']:,} item responses over "
            f"{analysis['item_versions']} item versions; simulated by `flask stats simulate` in "
            f"{analysis['simulate_seconds']:.0f} s.",
            f"- Implementation timed: {analysis['source']}.",
            f"- Runs: {runs} s (median {analysis['median']:.2f} s; CPU of the timing process, median "
            f"{analysis.get('cpu_median', 0):.2f} s); `flask stats items ROLE --recalculate "
            f"--json` end to end {analysis['command_seconds']:.2f} s.",
        ]
    problems = results.get("server_log_errors") or []
    notes = results.get("notes") or []
    if notes or problems:
        out += ["", "### Notes", ""]
        out += [f"- {n}" for n in notes]
        out += [f"- gunicorn log: `{p}`" for p in problems[:10]]
    return "\n".join(out) + "\n"


def write_markdown(results: dict, path: Path) -> None:
    backend = results["backend"]
    start, end = f"<!-- bench:{backend}:start -->", f"<!-- bench:{backend}:end -->"
    block = f"{start}\n{section(results)}{end}\n"
    existing = path.read_text() if path.exists() else HEADER
    if start in existing and end in existing:
        text = re.sub(
            re.escape(start) + r".*?" + re.escape(end) + r"\n?", lambda _m: block, existing, flags=re.DOTALL
        )
    else:
        text = existing.rstrip("\n") + "\n\n" + block
    if not text.startswith("# Benchmarks"):
        text = HEADER + "\n" + text
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
