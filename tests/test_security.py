"""Protections shared by every form: rate limits counted across servers, security headers."""

import os
import uuid

import pytest

REDIS_URL = os.environ.get("PORTAL_TEST_REDIS_URL", "")
FORM = "/en/jobs/head-of-product-management/apply"


@pytest.mark.skipif(not REDIS_URL, reason="set PORTAL_TEST_REDIS_URL to test rate limits in Redis")
def test_two_servers_share_one_rate_limit_through_redis(make_app, database_url, application_form):
    """Each app has its own limiter; only the Redis storage is shared."""
    settings = dict(DATABASE_URL=database_url, RATELIMIT_ENABLED=True,
                    PORTAL_RATELIMIT_STORAGE_URI=REDIS_URL, PORTAL_APPLY_RATE_LIMIT="3 per minute",
                    RATELIMIT_KEY_PREFIX=f"portal-test-{uuid.uuid4().hex}")
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
    app = make_app(DATABASE_URL=database_url, RATELIMIT_ENABLED=True, PORTAL_APPLY_RATE_LIMIT="1 per minute",
                   PORTAL_PROXY_HOPS=1)
    client = app.test_client()
    for address in ("203.0.113.7", "203.0.113.8"):
        response = client.post(FORM, data=application_form(client, FORM),
                               headers={"X-Forwarded-For": address})
        assert response.status_code == 303, address
