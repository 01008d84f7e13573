"""Pretest recommendations: each rule and its reason, on hand-made analysis rows."""

from __future__ import annotations

from examsite.instructors.pretest import ACTIVATE, REVISE, WAIT, advise, pretest_advice


def row(external_id="P-1", n=120, p=0.6, r=0.35, flags=(), scored=False, version=1):
    return {
        "external_id": external_id,
        "item_version_id": version,
        "scored": scored,
        "responses": n,
        "facility": p,
        "discrimination": r,
        "flags": [{"code": c, "reason": f"{c} reason."} for c in flags],
    }


def test_in_range_is_activated_with_its_figures():
    a = advise(row())
    assert a.decision == ACTIVATE
    assert a.as_dict()["reason"] == (
        "120 responses; facility 0.60 and discrimination 0.35 are in range, "
        "and no distractor is dead or out-draws the key."
    )


def test_too_few_responses_waits_whatever_the_figures():
    a = advise(row(n=49, p=0.1, r=-0.3, flags=["possible_miskey"]))
    assert a.decision == WAIT and "Only 49 responses so far; wait for 50" in a.reasons[0]
    assert advise(row(n=50)).decision == ACTIVATE  # the boundary counts


def test_each_problem_is_named():
    assert advise(row(p=0.29)).reasons == ("Facility 0.29 is outside 0.30–0.90.",)
    assert advise(row(p=0.91)).decision == REVISE
    assert advise(row(p=0.30)).decision == ACTIVATE and advise(row(p=0.90)).decision == ACTIVATE
    assert advise(row(r=0.19)).reasons == ("Discrimination 0.19 is below 0.20.",)
    assert advise(row(r=None)).reasons == ("Discrimination undefined is below 0.20.",)
    assert advise(row(r=0.20)).decision == ACTIVATE
    miskey = advise(row(flags=["possible_miskey", "very_easy"]))
    assert miskey.decision == REVISE and miskey.reasons == ("possible_miskey reason.",)
    both = advise(row(p=0.95, r=0.05, flags=["dead_distractor"]))
    assert both.reasons == (
        "dead_distractor reason.",
        "Facility 0.95 is outside 0.30–0.90.",
        "Discrimination 0.05 is below 0.20.",
    )


def test_only_pretest_rows_and_activations_first():
    rows = [
        row("S-1", scored=True),
        row("P-3", n=10, version=3),
        row("P-2", p=0.99, version=2),
        row("P-1", version=1),
    ]
    advice = pretest_advice(rows)
    assert [(a.external_id, a.decision) for a in advice] == [
        ("P-1", ACTIVATE),
        ("P-2", REVISE),
        ("P-3", WAIT),
    ]
