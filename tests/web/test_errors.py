"""Error pages speak the language of the URL, or both when it has none."""

import json
import re

import pytest


@pytest.mark.parametrize(
    ("url", "lang", "heading"),
    [
        ("/en/jobs/no-such-job/", "en", "We couldn’t find that page"),
        ("/fr/emplois/aucun-emploi/", "fr", "Nous ne trouvons pas cette page"),
        ("/fr/nulle-part", "fr", "Nous ne trouvons pas cette page"),
    ],
)
def test_404_in_the_language_of_the_url(client, page, url, lang, heading):
    result = page(client.get(url), status=404, lang=lang)
    assert result.h1 == heading
    assert {"en": "Error 404", "fr": "Erreur 404"}[lang] in result.text
    assert f"/{lang}/" in result.links()


def test_404_without_a_language_is_bilingual(client, page):
    result = page(client.get("/nowhere"), status=404)
    sections = {s["lang"]: s for s in result.soup.select("section.error")}
    assert set(sections) == {"en", "fr"}
    headings = {span["lang"]: span.get_text() for span in result.soup.h1.find_all("span")}
    assert headings == {"en": "We couldn’t find that page", "fr": "Nous ne trouvons pas cette page"}
    assert "Nous ne trouvons pas cette page" in result.soup.title.get_text()


def test_405_is_a_page_too(client, page):
    result = page(client.post("/fr/emplois/"), status=405, lang="fr")
    assert result.h1 == "Cette action n’est pas possible ici"


@pytest.mark.parametrize(
    ("url", "lang", "other", "heading"),
    [
        ("/en/explode", "en", "fr", "Something went wrong on our side"),
        ("/fr/explode", "fr", "en", "Un problème est survenu de notre côté"),
    ],
)
def test_500_in_both_languages_with_the_logged_reference(make_app, page, caplog, url, lang, other, heading):
    app = make_app()
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.route("/en/explode")
    @app.route("/fr/explode")
    def explode():
        raise RuntimeError("boom")

    response = app.test_client().get(url)
    result = page(response, status=500, lang=lang)
    assert result.h1.startswith(heading), "the URL's language first, both in one heading"
    assert "boom" not in result.text
    reference = response.headers["X-Request-Id"]
    assert re.fullmatch(r"[0-9a-f]{16}", reference)
    sections = result.soup.select("section.error")
    assert [section["lang"] for section in sections] == [lang, other]
    assert all(reference in section.select_one(".error__reference").get_text() for section in sections)
    logged = [record for record in caplog.records if record.levelname == "ERROR"]
    assert len(logged) == 1 and f"(request {reference})" in logged[0].getMessage()


def test_each_request_is_logged_once_without_its_query_string(client, caplog):
    caplog.set_level("INFO", "portal.request")
    response = client.get("/en/jobs/?q=ada.tremblay@example.ca")
    (line,) = [json.loads(r.getMessage()) for r in caplog.records if r.name == "portal.request"]
    assert line == {
        "request_id": response.headers["X-Request-Id"],
        "method": "GET",
        "path": "/en/jobs/",
        "endpoint": "public.jobs",
        "status": 200,
        "ms": line["ms"],
    }
    assert "ada" not in caplog.text


def test_old_alias_redirects_to_the_page(make_app, content_tree):
    content_tree(
        "en/jobs/new-name.md",
        """
        ---
        layout: job-posting
        title: New name
        aliases: ['/old-name/', '/work-with-us/old-name']
        ---
    """,
    )
    client = make_app(PORTAL_CONTENT_DIR=str(content_tree.root)).test_client()
    for old in ("/old-name/", "/old-name", "/work-with-us/old-name/"):
        response = client.get(old)
        assert response.status_code == 301, old
        assert response.headers["Location"] == "/en/jobs/new-name/"
