"""Protections shared by every form: rate limits counted across servers, security headers."""

import os
import uuid

import pytest
from sqlalchemy import select

from portal.plumbing.db import db
from tests.conftest import form_tokens_csrf

REDIS_URL = os.environ.get("PORTAL_TEST_REDIS_URL", "")
FORM = "/en/jobs/head-of-product-management/apply"


@pytest.mark.skipif(not REDIS_URL, reason="set PORTAL_TEST_REDIS_URL to test rate limits in Redis")
def test_two_servers_share_one_rate_limit_through_redis(make_app, database_url, application_form):
    """Each app has its own limiter; only the Redis storage is shared."""
    settings = dict(
        DATABASE_URL=database_url,
        RATELIMIT_ENABLED=True,
        PORTAL_RATELIMIT_STORAGE_URI=REDIS_URL,
        PORTAL_APPLY_RATE_LIMIT="3 per minute",
        RATELIMIT_KEY_PREFIX=f"portal-test-{uuid.uuid4().hex}",
    )
    first_server, second_server = make_app(**settings), make_app(**settings)
    statuses = []
    for server in (first_server, second_server, first_server, second_server):
        client = server.test_client()
        statuses.append(client.post(FORM, data=application_form(client, FORM)).status_code)
    assert statuses == [303, 303, 303, 429]
    assert first_server.extensions["portal.limiter"] is not second_server.extensions["portal.limiter"]


def test_apps_in_one_process_count_separately_in_memory(make_app, database_url, application_form):
    settings = dict(DATABASE_URL=database_url, RATELIMIT_ENABLED=True, PORTAL_APPLY_RATE_LIMIT="1 per minute")
    first_server, second_server = make_app(**settings), make_app(**settings)
    for server in (first_server, second_server):
        client = server.test_client()
        assert client.post(FORM, data=application_form(client, FORM)).status_code == 303


def test_memory_rate_limit_by_default(make_app, database_url, application_form, page):
    app = make_app(DATABASE_URL=database_url, RATELIMIT_ENABLED=True, PORTAL_APPLY_RATE_LIMIT="1 per minute")
    client = app.test_client()
    assert app.config["RATELIMIT_STORAGE_URI"] == "memory://"
    assert client.post(FORM, data=application_form(client, FORM)).status_code == 303
    refused = client.post(FORM, data=application_form(client, FORM))
    assert page(refused, status=429, lang="en").h1 == "Too many attempts"


def test_client_address_comes_from_the_trusted_proxy_only(make_app, database_url, application_form):
    app = make_app(
        DATABASE_URL=database_url,
        RATELIMIT_ENABLED=True,
        PORTAL_APPLY_RATE_LIMIT="1 per minute",
        PORTAL_PROXY_HOPS=1,
    )
    client = app.test_client()
    for address in ("203.0.113.7", "203.0.113.8"):
        response = client.post(
            FORM, data=application_form(client, FORM), headers={"X-Forwarded-For": address}
        )
        assert response.status_code == 303, address


HUGE = 10**30


def test_tampered_numbers_in_staff_urls_find_nothing(staff, submitted):
    client = staff.client(staff.admin)
    for url in (
        f"/en/staff/applications/{HUGE}/",
        f"/en/staff/applications/{HUGE}/resume",
        f"/en/staff/accounts/{HUGE}",
    ):
        assert client.get(url).status_code == 404, url
    for query in (f"page={HUGE}", f"application={HUGE}", "actor=a%00b", "since=2026-02-30"):
        assert client.get(f"/en/staff/audit/?{query}").status_code == 200, query
    search = client.get("/en/staff/postings/head-product-management/?q=a%00b&submitted_from=x")
    assert search.status_code == 200


def test_tampered_bulk_selection_changes_nothing(staff, submitted, db_app):
    from portal.domain.models import Application

    client = staff.client(staff.admin)
    page = client.get("/en/staff/postings/head-product-management/").get_data(as_text=True)
    response = client.post(
        "/en/staff/postings/head-product-management/status",
        data={"csrf_token": form_tokens_csrf(page), "status": "screening", "selected": [str(HUGE), "x"]},
    )
    assert response.status_code == 302
    with db_app.app_context():
        assert {a.status for a in db.session.scalars(select(Application))} == {"received"}


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("full_name", "Ada\x00 Tremblay", None),
        ("about", "Hello\x00", None),
        ("link_1", "http://[::1", "Enter a link that starts with https:// or http://"),
    ],
)
def test_tampered_application_text_never_fails(db_app, application_form, field, value, message):
    from portal.domain.models import Application

    client = db_app.test_client()
    response = client.post(FORM, data=application_form(client, FORM, **{field: value}))
    if message is None:
        assert response.status_code == 303
        with db_app.app_context():
            stored = db.session.scalars(select(Application)).one()
            assert "\x00" not in getattr(stored, field)
    else:
        assert response.status_code == 200
        assert message in response.get_data(as_text=True)
