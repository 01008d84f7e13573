from examsite.catalog.data import CATEGORIES, ROLE_SLUGS


def test_home_lists_twelve_roles_in_three_categories(client):
    html = client.get("/").get_data(as_text=True)
    for category in CATEGORIES:
        assert category["name"] in html
    for slug in ROLE_SLUGS:
        assert f'href="/roles/{slug}"' in html
    assert len(ROLE_SLUGS) == 12


def test_role_page_states_exam_format(client):
    response = client.get("/roles/trainer")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Trainer" in html and "180 minutes" in html and "Passing standard" in html
    assert "Wait 90 days" in html


def test_unknown_role_is_friendly_404(client):
    response = client.get("/roles/astronaut")
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)


def test_api_roles(client):
    data = client.get("/api/v1/roles").get_json()
    assert [r["slug"] for r in data["roles"]] == ROLE_SLUGS
    trainer = next(r for r in data["roles"] if r["slug"] == "trainer")
    assert trainer["category"] == "permanent-staff"
    assert trainer["track"] == "community college"
    assert trainer["exam"] == {
        "items": 125,
        "pretest_items": 0,
        "minutes": 180,
        "passing_percent": 70.0,
        "retake_days": 90,
        "attempts_per_year": 3,
    }


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json()["database"] == "ok"


def test_security_headers(client):
    response = client.get("/")
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
