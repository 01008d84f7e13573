"""LTI roles: who counts as staff (never a trainee) and who as a learner."""

from __future__ import annotations

import pytest

from examsite.lti.messages import staff_or_learner

LIS = "http://purl.imsglobal.org/vocab/lis/v2/"


@pytest.mark.parametrize(
    ("roles", "kind"),
    [
        ([LIS + "membership#Learner"], "learner"),
        ([LIS + "membership#Instructor"], "staff"),
        ([LIS + "membership#Learner", LIS + "membership#Instructor"], "staff"),
        ([LIS + "membership/Instructor#TeachingAssistant"], "staff"),
        ([LIS + "membership#Administrator"], "staff"),
        ([LIS + "institution/person#Administrator", LIS + "membership#Learner"], "staff"),
        ([LIS + "system/person#Administrator"], "staff"),
        (["Instructor"], "staff"),
        (["Learner"], "learner"),
        ([LIS + "institution/person#Student"], "learner"),
        ([LIS + "membership#Mentor"], None),
        ([LIS + "membership/Learner#NonCreditLearner"], "learner"),
        ([], None),
        ([None, 3], None),
    ],
)
def test_staff_or_learner(roles, kind):
    assert staff_or_learner(roles) == kind


@pytest.mark.parametrize(
    ("lineitem", "scores"),
    [
        ("https://lms.example/lineitems/7", "https://lms.example/lineitems/7/scores"),
        ("https://lms.example/lineitems/7/", "https://lms.example/lineitems/7/scores"),
        (
            "https://lms.example/mod/lti/services.php/2/lineitems/5/lineitem?type_id=1",
            "https://lms.example/mod/lti/services.php/2/lineitems/5/lineitem/scores?type_id=1",
        ),
    ],
)
def test_scores_url_keeps_the_line_items_query(lineitem, scores):
    from examsite.lti.scores import scores_url

    assert scores_url(lineitem) == scores


def test_score_body_is_what_ags_asks_for():
    from datetime import UTC, datetime
    from decimal import Decimal

    from examsite.lti.models import LtiScore
    from examsite.lti.scores import score_body

    row = LtiScore(
        sub="u-1",
        score_given=Decimal("83.33"),
        score_maximum=Decimal("100"),
        scored_at=datetime(2026, 11, 23, 9, 30, 5, 120000, tzinfo=UTC),
    )
    assert score_body(row) == {
        "userId": "u-1",
        "scoreGiven": 83.33,
        "scoreMaximum": 100.0,
        "activityProgress": "Completed",
        "gradingProgress": "FullyGraded",
        "timestamp": "2026-11-23T09:30:05.120Z",
    }


NOW = 1_800_000_000


def claims(**changes):
    base = {
        "iss": "https://lms.example",
        "aud": ["client-1"],
        "azp": "client-1",
        "sub": "u-1",
        "iat": NOW,
        "exp": NOW + 60,
        "nonce": "n-1",
        "https://purl.imsglobal.org/spec/lti/claim/message_type": "LtiResourceLinkRequest",
        "https://purl.imsglobal.org/spec/lti/claim/version": "1.3.0",
        "https://purl.imsglobal.org/spec/lti/claim/deployment_id": "d-1",
        "https://purl.imsglobal.org/spec/lti/claim/roles": [LIS + "membership#Learner"],
        "https://purl.imsglobal.org/spec/lti/claim/resource_link": {"id": "r-1"},
        "https://purl.imsglobal.org/spec/lti/claim/custom": {"role": "trainer"},
        "given_name": "Ana",
        "family_name": "Diaz",
        "email": "Ana@Example.org",
    }
    base.update(changes)
    return base


def check(values):
    from examsite.lti.messages import check_claims

    return check_claims(
        values,
        issuer="https://lms.example",
        client_id="client-1",
        deployment_ids={"d-1"},
        nonce="n-1",
        now=NOW,
    )


def test_a_good_launch_reads_its_claims():
    launch = check(claims())
    assert (launch.sub, launch.kind, launch.name, launch.email) == (
        "u-1",
        "learner",
        "Ana Diaz",
        "ana@example.org",
    )
    assert launch.custom == {"role": "trainer"} and launch.resource_link_id == "r-1"
    assert launch.lineitem_url is None and not launch.score_allowed


@pytest.mark.parametrize(
    "changes",
    [
        {"aud": "client-1", "azp": None},  # a single audience needs no azp
        {"exp": NOW - 30},  # within the minute of clock difference tolerated
    ],
)
def test_tolerated_variations(changes):
    values = {k: v for k, v in claims(**changes).items() if v is not None}
    assert check(values).sub == "u-1"


def test_an_old_token_with_a_far_expiry_is_refused():
    from examsite.lti.messages import LaunchError

    with pytest.raises(LaunchError, match="not plausible"):
        check(claims(iat=NOW - 3600, exp=NOW + 3600))
