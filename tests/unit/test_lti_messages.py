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
