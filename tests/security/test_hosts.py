"""Host header attacks: an untrusted Host or X-Forwarded-Host gets a plain
400 on every kind of page, and no link, redirect or email ever names another
host (password-reset poisoning, cache poisoning).

The basic refusals are in tests/security/test_headers.py
(test_an_unknown_host_name_is_refused,
test_a_forwarded_host_behind_a_proxy_is_checked_too); these add the tricky
spellings and every kind of response.
"""

from __future__ import annotations

import pytest

from tests.conftest import lent

JOBS = "/en/jobs/"
HOSTILE_HOSTS = [
    "evil.example",
    "evil.example:80",
    "localhost.evil.example",
    "localhost@evil.example",
    "evil.example#localhost",
    "127.0.0.1.evil.example",
    "careers.example.ca.evil.example",
    "xn--80ak6aa92e.example",
    "localhost,evil.example",
    "localhost evil.example",
]
#: A page, a redirect, a 404, a form, a staff page and a method not allowed.
URLS = [
    JOBS,
    "/",
    "/en/jobs/head-of-product-management",
    "/en/no-such-page/",
    "/en/jobs/head-of-product-management/apply",
    "/en/staff/",
    "/en/staff/sign-in",
]


@pytest.fixture
def careers(shared_apps):
    """A portal that answers to careers.example.ca only (built once, lent to each test)."""
    app = shared_apps("careers", "sqlite", PORTAL_TRUSTED_HOSTS="careers.example.ca", PORTAL_PROXY_HOPS=1)
    with lent(app):
        yield app


@pytest.mark.parametrize("url", URLS)
@pytest.mark.parametrize("host", HOSTILE_HOSTS)
def test_any_other_host_gets_a_plain_400_on_every_kind_of_page(careers, host, url):
    response = careers.test_client().get(url, headers={"Host": host})
    assert response.status_code == 400
    assert "Location" not in response.headers
    assert b"evil" not in response.data and b"xn--" not in response.data


@pytest.mark.parametrize("host", HOSTILE_HOSTS)
def test_a_forged_forwarded_host_is_refused_behind_a_proxy(careers, host):
    response = careers.test_client().get(
        JOBS, headers={"Host": "careers.example.ca", "X-Forwarded-Host": host}
    )
    assert response.status_code == 400


def test_without_a_proxy_a_forwarded_host_is_ignored(make_app):
    client = make_app(PORTAL_TRUSTED_HOSTS="careers.example.ca").test_client()
    response = client.get(JOBS, headers={"Host": "careers.example.ca", "X-Forwarded-Host": "evil.example"})
    assert response.status_code == 200
    assert b"evil.example" not in response.data
    redirect = client.get(
        "/en/jobs/head-of-product-management",
        headers={"Host": "careers.example.ca", "X-Forwarded-Host": "evil.example"},
    )
    assert "evil.example" not in redirect.headers.get("Location", "")


def test_links_to_the_site_name_the_trusted_host_only(careers, page):
    result = page(careers.test_client().get(JOBS, headers={"Host": "careers.example.ca"}), lang="en")
    alternates = list(result.alternates().values())
    assert alternates and all(url.startswith("http://careers.example.ca/") for url in alternates)
    for url in result.links():
        assert "localhost" not in url and "evil.example" not in url, url
