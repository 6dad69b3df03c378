"""Public pages rendered once and served from memory, never a visitor's own."""

from flask import session, template_rendered

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
