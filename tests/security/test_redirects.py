"""Open redirects: no redirect of the portal ever leaves the site, whatever
``next`` or the path holds (OWASP ASVS 5.1.5).

The first five ``next`` values are also in tests/web/staff/test_access.py
(test_next_redirects_only_to_this_site); these are the tricky spellings.
"""

from __future__ import annotations

from urllib.parse import quote, urlsplit

import pytest

from tests.conftest import STAFF_PASSWORD, sign_in

DASHBOARD = {"en": "/en/staff/", "fr": "/fr/personnel/"}
HOSTILE_NEXT = [
    "//evil.example",
    "///evil.example",
    "////evil.example/",
    "\\\\evil.example",
    "\\/evil.example",
    "/\\evil.example",
    "/\\/evil.example",
    "/%5Cevil.example",
    "/%2F/evil.example",
    "%2F%2Fevil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    " //evil.example",
    "https:evil.example",
    "https:/evil.example",
    "HTTPS://evil.example",
    "http://localhost@evil.example",
    "//localhost@evil.example",
    "/@evil.example",
    "javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "evil.example",
]


def assert_on_this_site(location: str) -> None:
    parts = urlsplit(location)
    assert parts.netloc in ("", "localhost"), location
    assert parts.scheme in ("", "http", "https"), location
    assert location.startswith("/") or parts.netloc == "localhost", location
    assert not location.startswith(("//", "/\\")), location
    assert "\\" not in location and "\t" not in location and "\n" not in location, location


@pytest.mark.parametrize("lang", ["en", "fr"])
@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_sign_in_never_sends_anyone_elsewhere(db_app, staff, target, lang):
    # Sent as a browser would: percent-encoded once in the query string.
    response = sign_in(
        db_app.test_client(), staff.assigned, STAFF_PASSWORD, lang=lang, next_url=quote(target)
    )
    assert response.status_code == 302
    location = response.headers["Location"]
    assert_on_this_site(location)
    # Either the dashboard, or a path of this site that merely names evil.example.
    assert location == DASHBOARD[lang] or (target.startswith("/") and not target.startswith("//"))


def test_a_path_on_this_site_is_kept_with_its_query(db_app, staff):
    target = "/en/staff/postings/head-product-management/?status=received&sort=oldest"
    response = sign_in(db_app.test_client(), staff.assigned, STAFF_PASSWORD, next_url=quote(target))
    assert response.headers["Location"] == target


@pytest.mark.parametrize(
    "path",
    [
        "//evil.example",
        "//evil.example/",
        "//evil.example/en/jobs",
        "/%2F%2Fevil.example/",
        "/%5Cevil.example/",
        "/en//evil.example",
        "/en/jobs//evil.example/",
        "/en/jobs/%2F%2Fevil.example",
        "/en/jobs/head-of-product-management",
        "/en/emplois/chef-de-la-gestion-de-produits/",
        "/fr/jobs/head-of-product-management/apply",
        "/en/staff",
        "/en/staff/applications/1",
    ],
)
def test_no_redirect_of_the_public_site_leaves_it(client, path):
    response = client.get(path)
    assert response.status_code < 500
    if 300 <= response.status_code < 400:
        assert_on_this_site(response.headers["Location"])
