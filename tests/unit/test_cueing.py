"""Lint warnings for items of one pool that cue each other (examsite/banks/cueing.py)."""

from examsite.banks.cueing import Comparable, bigrams, find_cues, overlap

APIPA = (
    "A new workstation at a clinic shows the IP address 169.254.23.10 and cannot reach any network "
    "resource. Other workstations on the same network work normally. What does this address indicate?"
)
APIPA_AGAIN = (
    "A clinic workstation shows the IP address 169.254.23.7 and cannot reach any network resource. "
    "What is the most likely cause?"
)
UNRELATED = (
    "A clinic must choose how long to keep audit logs of access to its EHR. Which source sets the "
    "minimum period the clinic must follow for its documentation?"
)


def item(id_, stem, keys=("x",), pools=("role-a",), scenario=None):
    return Comparable(id=id_, pools=frozenset(pools), stem=stem, keys=tuple(keys), scenario=scenario)


def test_two_stems_on_one_fact_are_reported():
    cues = find_cues([item("A", APIPA), item("B", APIPA_AGAIN), item("C", UNRELATED)])
    assert [(c.kind, c.first, c.second) for c in cues] == [("near_duplicate", "A", "B")]
    assert "A" in cues[0].message() and "B" in cues[0].message()


def test_items_in_different_pools_or_one_scenario_set_are_not_compared():
    assert find_cues([item("A", APIPA, pools=["r1"]), item("B", APIPA_AGAIN, pools=["r2"])]) == []
    assert find_cues([item("A", APIPA, scenario="S1"), item("B", APIPA_AGAIN, scenario="S1")]) == []


def test_a_stem_that_words_another_items_key_is_reported():
    key = "United States Core Data for Interoperability data classes and elements"
    asking = item("Q", "Which standard lists the data classes a system must support for exchange?", [key])
    giving = item(
        "G",
        "A developer asks what the United States Core Data for Interoperability data classes and "
        "elements cover. Which answer is correct?",
    )
    cues = find_cues([asking, giving])
    assert [(c.kind, c.first, c.second) for c in cues] == [("key_in_stem", "Q", "G")]


def test_short_keys_and_stems_are_not_compared():
    assert (
        find_cues([item("A", "Which rule applies?", ["HIPAA"]), item("B", "Which rule applies here?")]) == []
    )


def test_overlap_is_relative_to_the_shorter_text():
    short, long_ = (
        bigrams("dhcp server lease expired"),
        bigrams("the dhcp server lease expired yesterday morning"),
    )
    assert overlap(short, long_) == 1.0
    assert overlap(frozenset(), long_) == 0.0
