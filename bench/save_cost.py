"""What one answer save costs the server, in-process: the session path against the token path.

    python -m bench.save_cost [--database-url URL] [--saves 300] [--callgrind] [--profile]

A scratch database gets `flask setup` and one trainee (`flask users create`, `flask users token`).
Then, through Flask's test client: the trainee logs in through the form (GET /login for the CSRF
token, POST it), reads the CSRF token from a page's `<meta name="csrf-token">`, starts an attempt
with the session cookie, and saves `--saves` answers each way:
- session (the browser's path): the session cookie and `X-CSRFToken`;
- token (the shortcut): `Authorization: Bearer`.

It prints CPU microseconds per save (process time: noisy on a shared machine). `--callgrind` runs
the saves under valgrind's callgrind, once with --saves and once with none, and prints the
difference per save in instructions: repeatable to a fraction of a percent, whatever else the
machine is doing. `--profile` prints cProfile's top functions for each path.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.pages import form_csrf, meta_csrf
from bench.server import ROOT, tool

EMAIL = "cost-trainee@bench.example.org"
PASSWORD = "bench trainee password"  # noqa: S105 - a scratch account


def prepare(database_url: str, directory: Path) -> dict[str, str]:
    """`flask setup` and one trainee with a token; returns the environment to run the app in."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "EXAMSITE_INSTANCE_PATH": str(directory / "instance"),
        "SIGNING_KEY_PATH": str(directory / "instance" / "key.pem"),
        "FLASK_APP": "wsgi",
    }

    def flask(*args: str, stdin: str | None = None) -> str:
        done = subprocess.run(
            [tool("flask"), "--app", "wsgi", *args],
            cwd=ROOT,
            env=env,
            input=stdin,
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout

    flask("setup")
    flask("users", "create", EMAIL, "--name", "Cost", "--role", "trainee", "--password-stdin", stdin=PASSWORD)
    env["BENCH_COST_TOKEN"] = flask("users", "token", EMAIL).strip().split()[-1]
    return env


def run_saves(saves: int, paths: list[str], role: str, profile: bool) -> dict:
    """In this process (the app from the environment): log in, start, then `saves` saves per path."""
    from examsite import create_app

    app = create_app()
    client = app.test_client()
    login_page = client.get("/login").get_data(as_text=True)
    reply = client.post(
        "/login", data={"email": EMAIL, "password": PASSWORD, "csrf_token": form_csrf(login_page) or ""}
    )
    if reply.status_code != 302:
        raise RuntimeError(f"form login failed: {reply.status_code}")
    token = meta_csrf(client.get("/").get_data(as_text=True))
    session_headers = {"X-CSRFToken": token or "", "Accept": "application/json"}
    started = client.post("/api/v1/attempts", json={"role": role}, headers=session_headers)
    if started.status_code not in (200, 201):
        raise RuntimeError(f"start failed: {started.status_code} {started.get_data(as_text=True)[:200]}")
    attempt = started.get_json()
    items = attempt["items"]
    bearer = {"Authorization": f"Bearer {os.environ['BENCH_COST_TOKEN']}", "Accept": "application/json"}
    token_client = app.test_client()  # no cookie
    out: dict = {}
    for path in paths:  # warm up: the worker's caches (the attempt's form, compiled statements)
        send, headers = (client, session_headers) if path == "session" else (token_client, bearer)
        first = items[0]
        body = {"choices": [first["options"][0]["id"]], "flagged": False}
        for _ in range(10):
            send.put(f"/api/v1/attempts/{attempt['id']}/responses/{first['id']}", json=body, headers=headers)
    for path in paths:
        send = client if path == "session" else token_client
        headers = session_headers if path == "session" else bearer
        requests = [
            (
                f"/api/v1/attempts/{attempt['id']}/responses/{items[n % len(items)]['id']}",
                {"choices": [items[n % len(items)]["options"][n % 2]["id"]], "flagged": False},
            )
            for n in range(saves)
        ]
        profiler = None
        if profile:
            import cProfile

            profiler = cProfile.Profile()
            profiler.enable()
        cpu = time.process_time()
        for url, body in requests:
            reply = send.put(url, json=body, headers=headers)
            if reply.status_code != 200:
                raise RuntimeError(f"{path} save: {reply.status_code} {reply.get_data(as_text=True)[:200]}")
        cpu = time.process_time() - cpu
        if profiler is not None:
            import io
            import pstats

            profiler.disable()
            text = io.StringIO()
            order = os.environ.get("BENCH_COST_SORT", "cumulative")
            top = int(os.environ.get("BENCH_COST_TOP", "35"))
            pstats.Stats(profiler, stream=text).sort_stats(order).print_stats(top)
            out[f"{path}_profile"] = text.getvalue()
        out[path] = cpu / saves * 1e6 if saves else 0.0
    return out


def _callgrind(saves: int, paths: list[str], role: str) -> int:
    """The instructions a child process running the saves takes, counted by callgrind."""
    command = [tool("python"), "-m", "bench.save_cost", "--child", "--saves", str(saves), "--role", role]
    command += ["--paths", ",".join(paths)]
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "callgrind.out"
        subprocess.run(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", *command],
            cwd=ROOT,
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        return callgrind_total(out.read_text(errors="replace"))


def callgrind_total(text: str) -> int:
    """The instructions a callgrind output file counted (its `summary:` or `totals:` line)."""
    for key in ("summary:", "totals:"):
        for line in text.splitlines():
            if line.startswith(key):
                return int(line.split()[1])
    raise ValueError("no summary in the callgrind output")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="a scratch PostgreSQL database ('bench' in its name)")
    parser.add_argument("--saves", type=int, default=300)
    parser.add_argument("--role", default="implementation-manager")
    parser.add_argument("--paths", default="session,token", help="session, token or both (comma-separated)")
    parser.add_argument("--callgrind", action="store_true", help="instructions per save under callgrind")
    parser.add_argument("--profile", action="store_true", help="cProfile's top functions per path")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    paths = [p for p in args.paths.split(",") if p]
    if args.child:
        print(json.dumps(run_saves(args.saves, paths, args.role, profile=False)))
        return 0
    from bench.instance import recreate_postgres_database

    with tempfile.TemporaryDirectory(prefix="examsite-save-cost-") as tmp:
        directory = Path(tmp)
        url = args.database_url or f"sqlite:///{directory / 'examsite.sqlite3'}"
        if args.database_url:
            recreate_postgres_database(url)
        os.environ.update(prepare(url, directory))
        if args.callgrind:
            for path in paths:
                with_saves = _callgrind(args.saves, [path], args.role)
                without = _callgrind(0, [path], args.role)
                per_save = (with_saves - without) / args.saves
                print(f"{path}: {per_save / 1e6:.2f} million instructions per save (callgrind)")
        else:
            result = run_saves(args.saves, paths, args.role, profile=args.profile)
            for path in paths:
                if args.profile:
                    print(result[f"{path}_profile"])
                print(f"{path}: {result[path]:.0f} µs CPU per save (process time, {args.saves} saves)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
