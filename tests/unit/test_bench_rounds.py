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


# ---- what the trainees read from the pages, and how the figures are put together ---------------

LOGIN_PAGE = """<html><head><meta name="csrf-token" content="IjFhYiI.meta&amp;x"></head><body>
<form method="post"><input id="csrf_token" name="csrf_token" type="hidden" value="IjFhYiI.form&amp;y">
<input name="email"></form></body></html>"""


def test_the_csrf_tokens_come_from_the_form_and_the_meta_tag():
    from bench.pages import form_csrf, meta_csrf

    assert form_csrf(LOGIN_PAGE) == "IjFhYiI.form&y"
    assert meta_csrf(LOGIN_PAGE) == "IjFhYiI.meta&x"
    assert form_csrf("<input name='email'>") is None
    assert meta_csrf('<meta name="csrf-token" content="">') is None


def test_callgrind_total_reads_the_summary_line():
    from bench.save_cost import callgrind_total

    assert callgrind_total("events: Ir\nsummary: 123456\n") == 123456
    assert callgrind_total("events: Ir\ntotals: 99\n") == 99
    with pytest.raises(ValueError):
        callgrind_total("events: Ir\n")


def _route(route, p99, rps=1.0, failures=0):
    return {
        "route": route,
        "p50": 1,
        "p95": p99,
        "p99": p99,
        "max": p99,
        "rps": rps,
        "count": 10,
        "failures": failures,
    }


def test_targets_judge_the_session_path_and_show_the_shortcut_beside_it():
    from bench.summary import targets, throughput_ratio

    results = {
        "backend": "sqlite",
        "args": {"trainees": 300, "submit_window": 10},
        "verification": {"lost": 0},
        "exam": {
            "routes": {
                "login": _route("login", 1200),
                "start": _route("start", 400),
                "save": _route("save", 90),
                "submit": _route("submit", 1500),
            }
        },
        "saturation": {"routes": {"s": _route("save (saturation, session)", 50, rps=700)}},
        "saturation_token": {"routes": {"t": _route("save (saturation, token shortcut)", 50, rps=850)}},
        "floor_saturation": {"routes": {"f": _route("floor save (saturation)", 50, rps=1000, failures=2)}},
    }
    for load in ("saturation", "saturation_token", "floor_saturation"):
        results[load]["routes"] = {r["route"]: r for r in results[load]["routes"].values()}
    assert throughput_ratio(results) == pytest.approx(0.7)
    assert throughput_ratio(results, "saturation_token") == pytest.approx(0.85)
    met = {
        what.split(" ")[0] + " " + what.split(" ")[1]: ok for what, _target, _measured, ok in targets(results)
    }
    assert met["errors, all"] is False  # the floor's two failures count
    assert met["login p99"] is False and met["start p99"] is True
    assert met["save p99"] is True and met["submit p99,"] is True
    assert met["session-path saves"] is False  # 70% < 80%
    assert met["token-path saves"] is None  # shown, not judged


def test_item_analysis_is_judged_on_its_median_and_written_down():
    from bench.summary import targets

    analysis = {
        "role": "implementation-manager",
        "source": "item_analysis(...)",
        "runs": [6.1, 4.2, 4.4],
        "first": 6.1,
        "median": 4.4,
        "attempts": 10_000,
        "responses": 1_300_000,
        "item_versions": 262,
        "form_items": 125,
        "simulate_seconds": 200,
        "command_seconds": 5.9,
        "target_seconds": 5.0,
    }
    results = {"backend": "sqlite", "args": {"trainees": 0, "submit_window": 10}, "item_analysis": analysis}
    row = next(r for r in targets(results) if r[0].startswith("item analysis"))
    assert row == (
        "item analysis, 10,000 attempts, 1,300,000 responses (--recalculate, median)",
        "≤ 5 s",
        "4.40 s",
        True,
    )
    assert (
        next(
            r
            for r in targets({**results, "item_analysis": {**analysis, "median": 5.2}})
            if r[0].startswith("item analysis")
        )[3]
        is False
    )
