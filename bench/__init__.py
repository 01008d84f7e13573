"""Exam-day load benchmark (issue 10): `make bench` runs `python -m bench.run`.

Modules: `run` orchestrates; `instance` builds the scratch database, runs `flask setup`, inserts
trainees and tokens (`banks` is its fallback bank while the real banks are mid-edit); `server`
starts gunicorn as `make run` does; `locustfile` is the load (exam day, floor, saturation);
`loadrun` drives locust headless and reads back what it measured; `verify` checks every
acknowledged save in the database; `floor` is the minimal durable-upsert app; `reports_data` and
`reports_bench` generate a million attempts and time the report and the CSV export; `profile`
wraps py-spy; `summary` prints and writes docs/benchmarks.md.
"""
