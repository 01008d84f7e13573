"""Run bench/locustfile.py headless in its own process and summarise what it measured."""

from __future__ import annotations

import json
import math
import os
import resource
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from bench.server import ROOT, tool

USER_CLASSES = {
    "exam": "ExamTrainee",
    "floor": "FloorTrainee",
    "saturate": "SaturatingTrainee",
    "floor-saturate": "SaturatingFloor",
}


@dataclass
class Phase:
    """Timing of one load: the knobs the locustfile reads from its environment."""

    mode: str
    users: int
    start_window: float = 8
    steady: float = 120
    submit_window: float = 8
    saturate: float = 20
    think_min: float = 3
    think_max: float = 7
    seed: int = 10
    #: how trainees authenticate: "session" (the login form, the browser's path) or "token"
    #: (a bearer token: the API shortcut)
    auth: str = "session"

    @property
    def spawn_rate(self) -> float:
        return max(20.0, self.users / 3)

    def expected_seconds(self) -> float:
        lead = self.users / self.spawn_rate + 2 + self.start_window + 2
        if self.mode in ("saturate", "floor-saturate"):
            return lead + self.saturate
        return lead + self.steady + self.submit_window


@dataclass
class RouteStats:
    route: str
    count: int
    failures: int
    p50: float
    p95: float
    p99: float
    max: float
    rps: float
    window: float

    def as_dict(self) -> dict:
        return self.__dict__.copy()


@dataclass
class LoadResult:
    mode: str
    users: int
    routes: dict[str, RouteStats]
    acks: list[tuple]
    errors: list[dict]
    mismatches: list[dict]
    plan: dict[str, float]
    finished_users: int
    locust_exit: int
    log: Path
    locust_cpu_seconds: float = 0.0
    reconnects: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    records: list[list] = field(default_factory=list)

    @property
    def total_failures(self) -> int:
        return sum(r.failures for r in self.routes.values())


def percentile(sorted_values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    if not sorted_values:
        return float("nan")
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def route_stats(records: list[list], rounds: list[list[list]] | None = None) -> dict[str, RouteStats]:
    """Count, failures, percentiles and rate per route. Given `rounds` (the same records split
    by the load that made them), a route's window is the sum of its windows in each round, so
    the rate leaves out the pauses between rounds."""
    by_route: dict[str, list[list]] = {}
    for record in records:
        by_route.setdefault(record[0], []).append(record)
    out = {}
    for route, rows in by_route.items():
        times = sorted(r[2] for r in rows)
        window = sum(_window([r for r in part if r[0] == route]) for part in (rounds or [rows]))
        window = max(window, 1e-3)
        out[route] = RouteStats(
            route=route,
            count=len(rows),
            failures=sum(1 for r in rows if not r[3]),
            p50=percentile(times, 0.50),
            p95=percentile(times, 0.95),
            p99=percentile(times, 0.99),
            max=times[-1],
            rps=len(rows) / window,
            window=window,
        )
    return out


def _window(rows: list[list]) -> float:
    if not rows:
        return 0.0
    first = min(r[1] for r in rows)
    last = max(r[1] + r[2] / 1000 for r in rows)
    return last - first


def merge(loads: list[LoadResult]) -> LoadResult:
    """Several runs of one phase (saturation rounds) as one load: all their requests, with each
    route's rate over the time the rounds ran."""
    first = loads[0]
    records = [r for load in loads for r in load.records]
    return LoadResult(
        mode=first.mode,
        users=first.users,
        routes=route_stats(records, [load.records for load in loads]),
        acks=[a for load in loads for a in load.acks],
        errors=[e for load in loads for e in load.errors],
        mismatches=[m for load in loads for m in load.mismatches],
        plan=first.plan,
        finished_users=min(load.finished_users for load in loads),
        locust_exit=max((load.locust_exit for load in loads), key=abs),
        log=first.log,
        locust_cpu_seconds=sum(load.locust_cpu_seconds for load in loads),
        reconnects=[c for load in loads for c in load.reconnects],
        notes=[n for load in loads for n in load.notes],
        records=records,
    )


def run(
    phase: Phase,
    host: str,
    workdir: Path,
    accounts: Path | None = None,
    role: str | None = None,
    tag: str = "",
    password: str = "",
) -> LoadResult:
    results = workdir / f"locust-{phase.mode}{tag}.json"
    log = workdir / f"locust-{phase.mode}{tag}.log"
    env = {
        "BENCH_MODE": phase.mode,
        "BENCH_USERS": str(phase.users),
        "BENCH_SPAWN_RATE": str(phase.spawn_rate),
        "BENCH_START_WINDOW": str(phase.start_window),
        "BENCH_STEADY": str(phase.steady),
        "BENCH_SUBMIT_WINDOW": str(phase.submit_window),
        "BENCH_SATURATE": str(phase.saturate),
        "BENCH_THINK_MIN": str(phase.think_min),
        "BENCH_THINK_MAX": str(phase.think_max),
        "BENCH_SEED": str(phase.seed),
        "BENCH_RESULTS": str(results),
        "BENCH_AUTH": phase.auth,
        "BENCH_PASSWORD": password,
        "PYTHONPATH": str(ROOT),  # the locustfile imports bench.pages
    }
    if accounts is not None:
        env["BENCH_ACCOUNTS"] = str(accounts)
    if role:
        env["BENCH_ROLE"] = role
    # A hard bound on the run: the plan plus a margin for the slowest replies.
    # (Saturation waits for every user's login and start before it saves: up to 120 s more.)
    run_time = math.ceil(phase.expected_seconds() + (180 if "saturate" in phase.mode else 60))
    command = [
        tool("locust"),
        "-f",
        str(ROOT / "bench" / "locustfile.py"),
        USER_CLASSES[phase.mode],
        "--headless",
        "--host",
        host,
        "-u",
        str(phase.users),
        "-r",
        f"{phase.spawn_rate:g}",
        "--run-time",
        f"{run_time}s",
        "--stop-timeout",
        "30",
        "--only-summary",
        "--loglevel",
        "WARNING",
        "--exit-code-on-error",
        "0",
    ]
    if not host.startswith("http://127.0.0.1:"):
        raise ValueError("the benchmark only targets 127.0.0.1")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with log.open("w") as out:
        completed = subprocess.run(
            command,
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=out,
            stderr=subprocess.STDOUT,
            timeout=run_time + 120,
        )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    locust_cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    if not results.exists():
        raise RuntimeError(f"locust ({phase.mode}) wrote no results; see {log}")
    data = json.loads(results.read_text())
    return LoadResult(
        mode=phase.mode,
        users=phase.users,
        routes=route_stats(data["records"]),
        acks=[tuple(a) for a in data["acks"]],
        errors=data["errors"],
        mismatches=data["mismatches"],
        plan=data["plan"],
        finished_users=data["finished_users"],
        locust_exit=completed.returncode,
        log=log,
        locust_cpu_seconds=locust_cpu,
        reconnects=data.get("reconnects", []),
        records=data["records"],
    )
