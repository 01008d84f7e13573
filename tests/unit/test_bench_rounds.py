"""The benchmark's saturation rounds merged into one load: every request counted, and each
route's rate taken over the time the rounds ran, not the pauses between them."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import loadrun


def _load(records, acks=(), locust_exit=0):
    return loadrun.LoadResult(
        mode="saturate",
        users=2,
        routes=loadrun.route_stats(records),
        acks=list(acks),
        errors=[],
        mismatches=[],
        plan={},
        finished_users=2,
        locust_exit=locust_exit,
        log=Path("locust.log"),
        locust_cpu_seconds=1.5,
        records=records,
    )


def test_merged_rounds_rate_leaves_out_the_time_between_rounds():
    # round 1: 10 saves in 1 s (t=0 .. 1); round 2, a minute later: 30 saves in 1 s
    first = [["save", 0.1 * i, 0.0, True, 200] for i in range(10)] + [["save", 1.0, 0.0, True, 200]]
    second = [["save", 60 + i / 30, 0.0, True, 200] for i in range(30)] + [["save", 61.0, 0.0, True, 200]]
    merged = loadrun.merge([_load(first, acks=[(1, 1)]), _load(second, acks=[(1, 2)], locust_exit=-9)])
    save = merged.routes["save"]
    assert save.count == 42
    assert save.window == pytest.approx(2.0)
    assert save.rps == pytest.approx(21.0)  # 42 requests in 2 s of load, not in 61 s
    assert merged.acks == [(1, 1), (1, 2)]
    assert merged.locust_cpu_seconds == pytest.approx(3.0)
    assert merged.locust_exit == -9  # a round that failed shows


def test_merged_percentiles_and_failures_come_from_every_round():
    first = [["save", float(i), float(ms), True, 200] for i, ms in enumerate([10, 20, 30, 40, 50])]
    second = [["save", 100.0 + i, float(ms), ms != 500, 500] for i, ms in enumerate([60, 70, 80, 90, 500])]
    save = loadrun.merge([_load(first), _load(second)]).routes["save"]
    assert (save.p50, save.max, save.failures) == (50.0, 500.0, 1)


def test_a_single_load_keeps_its_own_window():
    records = [["save", 5.0, 0.0, True, 200], ["save", 9.0, 1000.0, True, 200]]
    assert loadrun.route_stats(records)["save"].window == pytest.approx(5.0)
