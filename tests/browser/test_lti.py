"""Launching examsite from a simulated LMS in Chromium: inside the course page's iframe, then
the exam taken there and its score posted; and, from a course page on another site (whose iframe
gets no examsite cookies), the "open in a new window" page and the launch completed in it."""

from __future__ import annotations

import json
import re
import urllib.request

import pytest
from playwright.sync_api import expect

from tests.support.lti_platform import LEARNER, LTI, Platform, User

ROLE = "implementation-manager"


@pytest.fixture
def lms(live_server):
    def tool_jwks():
        with urllib.request.urlopen(live_server.url + "/lti/jwks.json", timeout=10) as reply:
            return json.loads(reply.read())

    platform = Platform(tool_base=live_server.url, tool_jwks=tool_jwks)
    platform.context_id = "course-" + live_server.url.rsplit(":", 1)[1]
    platform.start()
    live_server.flask(*platform.register_args())
    platform.extra_claims = {LTI + "custom": {"role": ROLE}}
    yield platform
    platform.stop()


def test_launch_in_the_lms_iframe_take_the_exam_and_the_score_is_posted(lms, live_server, page, check_a11y):
    sub = "browser-" + live_server.url.rsplit(":", 1)[1]
    lms.current_user = User(sub, "Iris Frame", None, [LEARNER])
    page.goto(lms.base_url + "/course")
    tool = page.frame_locator("#tool")
    expect(tool.get_by_role("link", name="Start this exam")).to_be_visible()
    expect(tool.get_by_text("Account (Iris Frame)")).to_be_visible()
    tool.get_by_role("link", name="Start this exam").click()
    tool.get_by_role("button", name="Start the exam now").click()
    tool.get_by_role("button", name="Review all answers").click()
    tool.get_by_role("button", name="Submit the exam for scoring").click()
    tool.get_by_role("button", name="Submit anyway").click()  # nothing answered: the dialog asks
    expect(tool.locator("#outcome")).to_have_text(re.compile(r"^(Passed|Not passed)"))
    assert len(lms.scores) == 1
    score = lms.scores[0]
    assert score["userId"] == sub and score["scoreMaximum"] == 100
    assert score["activityProgress"] == "Completed" and score["gradingProgress"] == "FullyGraded"
    frame = next(f for f in page.frames if f.url.startswith(live_server.url))
    check_a11y(frame, "result inside the LMS frame")


def test_blocked_cookies_in_a_cross_site_frame_offer_a_new_window(lms, live_server, page, check_a11y):
    sub = "cross-" + live_server.url.rsplit(":", 1)[1]
    lms.current_user = User(sub, "Olu Window", None, [LEARNER])
    # the course page on another site (localhost, not 127.0.0.1): examsite is a third party in it,
    # and its sign-in cookie (SameSite=Lax over plain HTTP) is neither kept nor sent there
    page.goto(lms.base_url.replace("127.0.0.1", "localhost") + "/course")
    tool = page.frame_locator("#tool")
    expect(tool.get_by_role("heading", name="Open examsite in a new window")).to_be_visible()
    frame = next(f for f in page.frames if f.url.startswith(live_server.url))
    check_a11y(frame, "open in a new window")
    with page.expect_popup() as opened:
        tool.get_by_role("link", name="Open the exam in a new window").click()
    window = opened.value
    expect(window.get_by_role("link", name="Start this exam")).to_be_visible()
    assert window.url == f"{live_server.url}/roles/{ROLE}"
    expect(window.get_by_text("Account (Olu Window)")).to_be_visible()
