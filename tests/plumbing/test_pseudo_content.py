"""The pseudo-locale shows the English postings and stories without a
folder of its own, so TRANSLATING.md's walk-through works as written."""

import pytest

from tests.conftest import LANGUAGES, shared_path

PSEUDO = "qps"


@pytest.fixture
def pseudo_client(make_app):
    return make_app(PORTAL_PSEUDO_LANGUAGE=PSEUDO).test_client()


def listed_titles(result) -> list[str]:
    return [a.get_text(strip=True) for a in result.soup.select(".card__title a")]


def test_pseudo_jobs_list_the_english_postings_as_written(pseudo_client, page):
    english = listed_titles(page(pseudo_client.get("/en/jobs/"), lang="en"))
    result = page(pseudo_client.get(f"/{PSEUDO}/jobs/"), lang=PSEUDO)
    assert result.h1 == "[Öþéñ ĵöƀš]"
    assert listed_titles(result) == english and len(english) >= 3
    assert all(
        href.startswith(f"/{PSEUDO}/jobs/")
        for href in (a["href"] for a in result.soup.select(".card__title a"))
    )


def test_pseudo_posting_and_story_pages_are_served(pseudo_client, page):
    posting = page(pseudo_client.get(f"/{PSEUDO}/jobs/head-of-product-management/"), lang=PSEUDO)
    assert posting.h1 == "Head of Product Management"
    assert posting.soup.select(".notice--info") == [], "it is not a page missing its translation"
    assert posting.toggle()["fr"] == "/fr/emplois/chef-de-la-gestion-de-produits/"
    assert page(pseudo_client.get(f"/{PSEUDO}/blog/"), lang=PSEUDO).soup.select(".card")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_real_pages_toggle_to_the_pseudo_locale_without_a_notice(pseudo_client, page, lang):
    url = {"en": "/en/jobs/head-of-product-management/", "fr": "/fr/emplois/chef-de-la-gestion-de-produits/"}
    result = page(pseudo_client.get(url[lang]), lang=lang)
    assert result.toggle()[PSEUDO] == f"/{PSEUDO}/jobs/head-of-product-management/"
    assert result.soup.select(".notice--info") == []


def test_content_check_stays_clean_with_the_pseudo_locale(make_app):
    app = make_app(PORTAL_PSEUDO_LANGUAGE=PSEUDO)
    result = app.test_cli_runner().invoke(args=["content", "check", "--strict"])
    assert result.exit_code == 0, result.output
    assert "qps" not in result.output


@pytest.mark.corpus
def test_pseudo_locale_over_the_corpus_lists_its_open_postings(make_app, page):
    root = shared_path("corpus", "cds-site", "digital-canada-ca", "content")
    client = make_app(PORTAL_PSEUDO_LANGUAGE=PSEUDO, PORTAL_CONTENT_DIR=str(root)).test_client()
    english = listed_titles(page(client.get("/en/jobs/"), lang="en"))
    assert english and listed_titles(page(client.get(f"/{PSEUDO}/jobs/"), lang=PSEUDO)) == english


def test_translations_report_ignores_the_pseudo_locale(make_app):
    app = make_app(PORTAL_PSEUDO_LANGUAGE=PSEUDO)
    result = app.test_cli_runner().invoke(args=["content", "translations", "--json"])
    assert PSEUDO not in result.stdout
    assert '"untranslated": 0' in result.stdout
