"""The workspace's pure parts: shape checks, lint messages per field, word diffs, image sniffing."""

from __future__ import annotations

import pytest

from examsite.authoring.access import AuthoringError
from examsite.authoring.content import lint_draft, parse_item
from examsite.authoring.diff import word_diff
from examsite.authoring.images import sniff
from examsite.banks.loader import DomainSpec

DOMAINS = {
    "mas-workflow-redesign": DomainSpec(
        "mas-workflow-redesign", "Workflow", [10, 12], "mobile-adoption-support", "", 0, 0
    ),
    "core-privacy-security": DomainSpec("core-privacy-security", "Privacy", [5], "core", "", 0, 0),
}
ITEM = {
    "domain": "mas-workflow-redesign",
    "type": "multiple",
    "level": "analysis",
    "stem": "Which steps come first? Choose two.",
    "options": [{"id": o, "text": f"Step {o}"} for o in "abcd"],
    "key": ["b", "a"],
    "rationale": "Because.",
    "tags": [" Go-Live ", "go-live"],
}


def test_parse_normalizes_and_defaults():
    draft = parse_item(ITEM, "mobile-adoption-support", DOMAINS)
    assert draft.keys == ["a", "b"]
    assert draft.tags == ["go-live"]
    assert draft.components == [10, 12]  # the domain's, when the author gives none
    assert lint_draft(draft, "MAS-0100", DOMAINS) == []


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"domain": "core-privacy-security"}, "domain"),
        ({"key": ["z"]}, "key"),
        ({"key": ["a", "a"]}, "key"),
        ({"options": [{"id": "a", "text": "x"}, {"id": "a", "text": "y"}]}, "options"),
        ({"options": [{"id": "a", "text": "Same"}, {"id": "b", "text": "SAME!"}]}, "options"),
        ({"level": "expert"}, "level"),
        ({"rationale": 5}, "rationale"),
        ({"tags": ["<script>"]}, "tags"),
        ({"components": ["ten"]}, "components"),
    ],
)
def test_parse_refuses_bad_shapes_with_the_field(change, field):
    with pytest.raises(AuthoringError) as refused:
        parse_item({**ITEM, **change}, "mobile-adoption-support", DOMAINS)
    assert refused.value.status == 422 and refused.value.extra["field"] == field


def test_lint_messages_are_the_files_and_name_their_field():
    draft = parse_item(
        {**ITEM, "stem": "Choose three. Which step is not first?", "rationale": ""},
        "mobile-adoption-support",
        DOMAINS,
    )
    problems = {(p.field, p.message) for p in lint_draft(draft, "MAS-0100", DOMAINS)}
    assert problems == {
        ("stem", "MAS-0100: the stem says choose 3 but the item has 2 keys"),
        ("stem", "MAS-0100: negative stem: write NOT in capitals"),
        ("rationale", "MAS-0100: a rationale is required"),
    }


def test_word_diff_marks_removed_and_added_words():
    assert word_diff("map the current workflow", "map the future workflow") == (
        ("same", "map the"),
        ("removed", "current"),
        ("added", "future"),
        ("same", "workflow"),
    )


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (b"\x89PNG\r\n\x1a\nrest", "image/png"),
        (b"\xff\xd8\xff\xe0rest", "image/jpeg"),
        (b"GIF89arest", "image/gif"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "image/webp"),
        (b"<svg onload=alert(1)>", None),
        (b"%PDF-1.7", None),
    ],
)
def test_images_are_typed_by_their_bytes(data, kind):
    assert sniff(data) == kind
