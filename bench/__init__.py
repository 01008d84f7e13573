"""Exam-day load benchmark (issues 10 and 17): `make bench` runs `python -m bench.run`.

Modules: `run` orchestrates; `instance` builds the scratch database, runs `flask setup`, inserts
trainees with passwords and tokens; `server` starts gunicorn as `make run` does; `locustfile` is
the load (the exam day on the user's path, the floor, saturation of the session path, the token
shortcut and the floor); `pages` reads the CSRF tokens a browser reads; `loadrun` drives locust
headless and reads back what it measured; `verify` checks every acknowledged save in the
database; `floor` is the minimal durable-upsert app; `reports_data` and `reports_bench` generate a
million attempts and time the app's report and CSV export; `save_cost` measures one save's cost
in-process, session path against token path; `profile` wraps py-spy; `summary` prints and writes
docs/benchmarks.md. Only public names of the app are used.
"""
