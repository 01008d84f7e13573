"""Exam-day load benchmark (issue 10): `make bench` runs `python -m bench.run`.

Modules: `run` orchestrates; `instance` builds the scratch database, banks, trainees and tokens;
`server` starts gunicorn as `make run` does; `locustfile` is the load (exam, floor, saturation);
`loadrun` drives locust headless and reads back what it measured; `verify` checks every
acknowledged save in the database; `floor` is the minimal durable-upsert app; `reports_bench`
times the pass-rate report over a million attempts; `summary` prints and writes docs/benchmarks.md.
"""
