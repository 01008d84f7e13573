"""Where the server's request time goes: py-spy on the gunicorn workers while a load runs.

    make bench BENCH_ARGS="--profile"            # writes bench-results/profile-*.txt

py-spy samples every thread of every worker as collapsed stacks. With --profile (wall time) waiting
is included (--idle): where a request's latency goes, lock waits too. With --profile-cpu only
the thread holding the GIL counts (--gil): where the workers' Python time goes. Only stacks inside
a Flask request count, so idle gthread threads do not drown the figures.
"""

from __future__ import annotations

import re
import signal
import subprocess
from collections import Counter
from pathlib import Path

from bench.server import tool

REQUEST_FRAME = "full_dispatch_request"
_FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^:()]+)(?::\d+)?\)$")


class PySpy:
    """`py-spy record` on a gunicorn master and its workers for the duration of a `with` block."""

    def __init__(self, pid: int | None, out: Path, rate: int = 50, idle: bool = True):
        self.pid, self.out, self.rate, self.idle = pid, out, rate, idle
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> PySpy:
        if self.pid is None:
            return self
        self.process = subprocess.Popen(
            [
                tool("py-spy"),
                "record",
                "--pid",
                str(self.pid),
                "--subprocesses",
                # wall time: every thread, waiting too; CPU: only the thread holding the GIL,
                # which is where Python runs (a thread waiting for the GIL is not using CPU)
                *(["--idle"] if self.idle else ["--gil"]),
                "--nonblocking",
                "--rate",
                str(self.rate),
                "--format",
                "raw",
                "--output",
                str(self.out),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        return self

    def __exit__(self, *exc) -> None:
        if self.process is None:
            return
        self.process.send_signal(signal.SIGINT)  # py-spy writes its output on Ctrl-C
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


def _short(frame: str) -> str:
    match = _FRAME.match(frame.strip())
    if not match:
        return frame.strip()
    path = match["file"]
    for marker in ("site-packages/", "/work/main/", "lib/python3"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    return f"{match['func']} ({path})"


def summarize(raw: Path, top: int = 30) -> str:
    """Inclusive and self shares of request time, per function, from py-spy's collapsed stacks."""
    inclusive: Counter = Counter()
    own: Counter = Counter()
    total = 0
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit() or REQUEST_FRAME not in stack:
            continue
        samples = int(count)
        frames = [_short(f) for f in stack.split(";")]
        start = next(i for i, f in enumerate(frames) if REQUEST_FRAME in f)
        frames = frames[start:]
        total += samples
        for frame in set(frames):
            inclusive[frame] += samples
        own[frames[-1]] += samples
    if not total:
        return "no request samples"
    lines = [f"{total} samples inside requests", "", "inclusive (app and database frames):"]
    keep = (
        "examsite/",
        "sqlalchemy/",
        "flask_login",
        "jinja2",
        "markdown",
        "sqlite3",
        "psycopg",
        "argon2",
        "templating",
        "json",
    )
    shown = 0
    for frame, samples in inclusive.most_common():
        if any(k in frame for k in keep):
            lines.append(f"  {100 * samples / total:5.1f}%  {frame}")
            shown += 1
            if shown >= top:
                break
    lines += ["", "self (where the time is actually spent):"]
    for frame, samples in own.most_common(top):
        lines.append(f"  {100 * samples / total:5.1f}%  {frame}")
    return "\n".join(lines)
