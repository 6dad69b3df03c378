"""Public pages rendered once and served from memory, never a visitor's own."""

from flask import session, template_rendered
from sqlalchemy import event

from portal.plumbing.db import db
from portal.plumbing.http import RenderedPages, respond_cached


def rendered_templates(app):
    """Return the list that collects the names of the templates ``app`` renders."""
    names = []
    template_rendered.connect(
        lambda sender, template, context, **extra: names.append(template.name), app, weak=False
    )
    return names


def test_a_public_page_is_rendered_once_then_served_from_memory(make_app):
    app = make_app()
    names = rendered_templates(app)
    client = app.test_client()
    first = client.get("/fr/emplois/")
    second = client.get("/fr/emplois/")
    assert names.count("public/jobs.html") == 1
    assert first.data == second.data and first.headers["ETag"] == second.headers["ETag"]
    client.get("/fr/emplois/?q=python")
    assert names.count("public/jobs.html") == 2, "another search is another page"


def test_each_host_gets_its_own_absolute_urls(make_app):
    app = make_app(PORTAL_TRUSTED_HOSTS=["careers.example.ca", "carrieres.example.ca"])
    client = app.test_client()
    english = client.get("/en/jobs/", base_url="https://careers.example.ca")
    french = client.get("/en/jobs/", base_url="https://carrieres.example.ca")
    assert b'href="https://careers.example.ca/en/jobs/"' in english.data
    assert b'href="https://carrieres.example.ca/en/jobs/"' in french.data


def test_a_response_that_touches_the_session_is_never_kept(make_app):
    app = make_app()
    calls = []

    def personal():
        calls.append(1)
        session["seen"] = len(calls)
        return f"visit {len(calls)}"

    app.add_url_rule("/personal", "personal", lambda: respond_cached(personal, validator=()))
    client = app.test_client()
    assert client.get("/personal").data == b"visit 1"
    assert client.get("/personal").data == b"visit 2"


def test_the_least_recently_used_page_is_forgotten_first():
    pages = RenderedPages(capacity=2)
    pages.put(("a", "h"), "A")
    pages.put(("b", "h"), "B")
    assert pages.get(("a", "h")) == "A"
    pages.put(("c", "h"), "C")
    assert pages.get(("b", "h")) is None
    assert pages.get(("a", "h")) == "A" and pages.get(("c", "h")) == "C"
    nothing = RenderedPages(capacity=0)
    nothing.put(("a", "h"), "A")
    assert nothing.get(("a", "h")) is None


def test_a_not_found_page_is_rendered_once_per_language(make_app):
    app = make_app()
    names = rendered_templates(app)
    client = app.test_client()
    first = client.get("/fr/nulle-part/")
    second = client.get("/fr/ailleurs/encore")
    assert first.status_code == second.status_code == 404
    assert first.data == second.data and b"Nous ne trouvons pas cette page" in first.data
    assert names.count("errors/error.html") == 1
    english = client.get("/en/nowhere/")
    assert english.status_code == 404 and "We couldn’t find that page".encode() in english.data
    assert names.count("errors/error.html") == 2


def test_a_server_error_page_is_rendered_each_time_with_its_own_reference(make_app):
    app = make_app()
    app.testing = False  # let the error reach the error page instead of the test

    def broken():
        raise RuntimeError("boom")

    app.add_url_rule("/en/broken", "broken", broken)
    client = app.test_client()
    first, second = client.get("/en/broken"), client.get("/en/broken")
    assert first.status_code == second.status_code == 500
    assert first.headers["X-Request-Id"] != second.headers["X-Request-Id"]
    assert first.headers["X-Request-Id"].encode() in first.data
    assert second.headers["X-Request-Id"].encode() in second.data


def test_a_page_served_from_memory_opens_no_database_session(make_app):
    app = make_app()
    client = app.test_client()
    client.get("/en/jobs/")
    opened = []
    with app.app_context():
        engine = db.engine
    event.listen(engine, "checkout", lambda *args: opened.append(1))
    assert client.get("/en/jobs/").status_code == 200
    assert opened == []


def test_a_public_page_does_not_vary_on_the_visitors_cookie(make_app):
    """A shared cache (nginx, a CDN) keeps one copy of a public page, even for
    visitors whose browser holds a session cookie from a form."""
    app = make_app()
    client = app.test_client()
    form = client.get("/en/jobs/head-of-product-management/apply")
    assert "Set-Cookie" in form.headers and "no-store" in form.headers["Cache-Control"]
    page = client.get("/en/jobs/")
    assert page.status_code == 200 and "public" in page.headers["Cache-Control"]
    assert "Cookie" not in page.headers.get("Vary", "")
    assert "Set-Cookie" not in page.headers


def test_a_page_that_writes_the_session_stays_private_and_varies_on_the_cookie(make_app):
    app = make_app()

    def personal():
        session["seen"] = True
        return "yours"

    app.add_url_rule("/mine", "mine", lambda: respond_cached(personal, validator=()))
    response = app.test_client().get("/mine")
    assert "private" in response.headers["Cache-Control"] and "no-store" in response.headers["Cache-Control"]
    assert "Cookie" in response.headers["Vary"]
