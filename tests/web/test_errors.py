"""Error pages speak the language of the URL, or both when it has none."""

import pytest

from portal import create_app


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
    assert sections["en"].h1.get_text() == "We couldn’t find that page"
    assert sections["fr"].h2.get_text() == "Nous ne trouvons pas cette page"
    assert "Nous ne trouvons pas cette page" in result.soup.title.get_text()


def test_405_is_a_page_too(client, page):
    result = page(client.post("/fr/emplois/"), status=405, lang="fr")
    assert result.h1 == "Cette action n’est pas possible ici"


@pytest.mark.parametrize(
    ("url", "lang", "heading"),
    [
        ("/en/explode", "en", "Something went wrong on our side"),
        ("/fr/explode", "fr", "Un problème est survenu de notre côté"),
    ],
)
def test_500_in_the_language_of_the_url(tmp_path, page, url, lang, heading):
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path}/x.db"})
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.route("/<lang_code>/explode")
    def explode(lang_code):
        raise RuntimeError("boom")

    result = page(app.test_client().get(url), status=500, lang=lang)
    assert result.h1 == heading
    assert "boom" not in result.text


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
