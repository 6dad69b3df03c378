"""Hardened defaults, probed from outside: security headers by exact value,
host names, cookies, and caches that never keep what belongs to one browser."""

from __future__ import annotations

import shutil

import pytest

from portal import create_app
from tests.conftest import STAFF_PASSWORD, sign_in

JOBS = "/en/jobs/"
FORM = "/en/jobs/head-of-product-management/apply"
EXPECTED_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' https: data:; style-src 'self'; "
        "script-src 'self'; object-src 'none'; frame-ancestors 'none'; "
        "base-uri 'none'; form-action 'self'"
    ),
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": (
        "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
        "microphone=(), payment=(), usb=(), interest-cohort=()"
    ),
}


@pytest.mark.parametrize("url", [JOBS, FORM, "/", "/en/staff/sign-in", "/healthz", "/en/no-such-page/"])
def test_every_response_carries_the_security_headers(client, url):
    response = client.get(url)
    for name, value in EXPECTED_HEADERS.items():
        assert response.headers.get(name) == value, name
    assert "Strict-Transport-Security" not in response.headers, "never over plain HTTP"


def test_hsts_over_https(client):
    response = client.get(JOBS, base_url="https://localhost")
    assert response.headers["Strict-Transport-Security"] == "max-age=63072000; includeSubDomains"


@pytest.mark.parametrize("host", ["evil.example", "localhost.evil.example", "careers.example.ca"])
def test_an_unknown_host_name_is_refused(client, host):
    response = client.get(JOBS, headers={"Host": host})
    assert response.status_code == 400
    assert host.encode() not in response.data


def test_configured_host_names_are_served_and_links_use_them(make_app):
    client = make_app(PORTAL_TRUSTED_HOSTS="careers.example.ca, carrieres.example.ca").test_client()
    response = client.get(JOBS, headers={"Host": "careers.example.ca"})
    assert response.status_code == 200
    assert b'href="http://careers.example.ca/fr/emplois/"' in response.data
    assert client.get(JOBS, headers={"Host": "localhost"}).status_code == 400


def test_a_forwarded_host_behind_a_proxy_is_checked_too(make_app):
    client = make_app(PORTAL_PROXY_HOPS=1, PORTAL_TRUSTED_HOSTS=["careers.example.ca"]).test_client()
    ok = client.get(JOBS, headers={"Host": "careers.example.ca", "X-Forwarded-Host": "careers.example.ca"})
    assert ok.status_code == 200
    forged = client.get(JOBS, headers={"Host": "careers.example.ca", "X-Forwarded-Host": "evil.example"})
    assert forged.status_code == 400
    assert b"evil.example" not in forged.data


def test_cookies_are_secure_host_only_by_default_outside_debug(monkeypatch, tmp_path, sqlite_template):
    shutil.copy(sqlite_template, tmp_path / "x.sqlite3")
    monkeypatch.setenv("SECRET_KEY", "k" * 64)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'x.sqlite3'}")
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    app = create_app()
    cookie = app.test_client().get("/en/staff/sign-in", base_url="https://localhost").headers["Set-Cookie"]
    assert cookie.startswith("__Host-session=")
    assert "; Secure" in cookie and "; HttpOnly" in cookie and "; Path=/" in cookie
    assert "SameSite=Lax" in cookie and "Domain" not in cookie


def test_secure_cookies_can_be_turned_off_for_plain_http(monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY", "k" * 64)
    monkeypatch.setenv("PORTAL_SECURE_COOKIES", "false")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'x.sqlite3'}")
    app = create_app()
    assert app.config["SESSION_COOKIE_SECURE"] is False
    assert app.config["SESSION_COOKIE_NAME"] == "session"


def test_a_signed_in_staff_member_gets_public_pages_without_their_session(staff):
    client = staff.client(staff.admin)
    assert client.get("/en/staff/").status_code == 200
    response = client.get(JOBS)
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    assert response.headers["Cache-Control"] == "public, max-age=60"


def test_whatever_sets_a_cookie_is_never_publicly_cached(db_app):
    client = db_app.test_client()
    response = client.get("/en/staff/sign-in")
    assert "Set-Cookie" in response.headers
    cache = response.headers["Cache-Control"]
    assert "private" in cache and "no-store" in cache and "public" not in cache
    assert "Cookie" in response.headers["Vary"]


def test_a_refused_submission_says_when_to_come_back(make_app, database_url, application_form):
    client = make_app(
        DATABASE_URL=database_url, RATELIMIT_ENABLED=True, PORTAL_APPLY_RATE_LIMIT="1 per minute"
    )
    client = client.test_client()
    assert client.post(FORM, data=application_form(client, FORM)).status_code == 303
    refused = client.post(FORM, data=application_form(client, FORM))
    assert refused.status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= 60


def test_a_signed_in_staff_member_cannot_be_signed_in_by_a_fixed_cookie_name_elsewhere(db_app, staff):
    """Signing in replaces the session (no fixation), whatever cookie came before."""
    client = db_app.test_client()
    client.get("/en/staff/sign-in")
    before = client.get_cookie("session").value
    assert sign_in(client, staff.admin, STAFF_PASSWORD).status_code == 302
    assert client.get_cookie("session").value != before
