"""Error pages under a language are errors, not pages missing their
translation; the bilingual error page gives both languages one heading."""

import pytest

from tests.conftest import LANGUAGES

HOME = {"en": "/en/", "fr": "/fr/"}
OTHER = {"en": "fr", "fr": "en"}
NOT_FOUND = {"en": "We couldn’t find that page", "fr": "Nous ne trouvons pas cette page"}


def request_error(client, lang: str, code: int):
    """GET a missing page (404) or POST to a listing that only reads (405)."""
    if code == 404:
        return client.get(f"/{lang}/nothing-here/")
    return client.post({"en": "/en/jobs/", "fr": "/fr/emplois/"}[lang])


@pytest.mark.parametrize("code", [404, 405])
@pytest.mark.parametrize("lang", LANGUAGES)
def test_error_pages_have_no_only_in_one_language_notice(client, page, lang, code):
    result = page(request_error(client, lang, code), status=code, lang=lang)
    assert result.soup.select(".notice") == []
    assert "only" not in result.text and "seulement" not in result.text
    other = OTHER[lang]
    assert other in result.toggle(), "the toggle still leads to the other language"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_missing_page_toggle_leads_to_the_other_home(client, page, lang):
    result = page(client.get(f"/{lang}/nothing-here/"), status=404, lang=lang)
    assert result.toggle() == {OTHER[lang]: HOME[OTHER[lang]]}


def test_bilingual_404_has_one_heading_holding_both_languages(client, page):
    result = page(client.get("/nothing-here"), status=404)
    (heading,) = result.soup.find_all("h1")
    assert {span["lang"]: span.get_text() for span in heading.find_all("span")} == NOT_FOUND
    assert result.soup.find_all(["h2", "h3"]) == [], "no language is a subheading of the other"
    sections = {section["lang"] for section in result.soup.select("section.error")}
    assert sections == set(LANGUAGES)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_page_truly_in_one_language_keeps_its_notice(make_app, content_tree, page, lang):
    content_tree(
        f"{lang}/jobs/alone.md",
        """
        ---
        layout: job-posting
        title: Alone
        ---
        Body.
        """,
    )
    client = make_app(PORTAL_CONTENT_DIR=str(content_tree.root)).test_client()
    url = {"en": "/en/jobs/alone/", "fr": "/fr/emplois/alone/"}[lang]
    result = page(client.get(url), lang=lang)
    assert len(result.soup.select(".notice--info")) == 1
