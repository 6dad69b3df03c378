"""What a page's <head> tells search engines, link previews and feed readers."""

from __future__ import annotations

import re

import pytest
from bs4 import BeautifulSoup

SITE = "http://localhost"
OTHER = {"en": "fr", "fr": "en"}
LOCALE = {"en": "en_CA", "fr": "fr_CA"}
ORGANISATION = {"en": "Northern Digital Service", "fr": "Service numérique du Nord"}
JOBS_FEED = {"en": "/en/jobs/feed.xml", "fr": "/fr/emplois/feed.xml"}
BLOG_FEED = {"en": "/en/blog/feed.xml", "fr": "/fr/blogue/feed.xml"}
#: Each public page in both languages, with the feeds it links to.
PAGES = {
    "home": ({"en": "/en/", "fr": "/fr/"}, ("jobs", "blog")),
    "jobs": ({"en": "/en/jobs/", "fr": "/fr/emplois/"}, ("jobs",)),
    "posting": (
        {"en": "/en/jobs/head-of-product-management/", "fr": "/fr/emplois/chef-de-la-gestion-de-produits/"},
        ("jobs",),
    ),
    "blog": ({"en": "/en/blog/", "fr": "/fr/blogue/"}, ("blog",)),
    "story": (
        {
            "en": "/en/blog/what-does-a-product-manager-do/",
            "fr": "/fr/blogue/que-fait-une-gestionnaire-de-produits/",
        },
        ("blog",),
    ),
}


def meta(result, name: str) -> str | None:
    """Return a <meta property=...> or <meta name=...> value."""
    tag = result.soup.find("meta", attrs={"property": name}) or result.soup.find("meta", attrs={"name": name})
    return tag["content"] if tag else None


def feeds(result) -> dict[str, str]:
    return {
        link["href"]: link["title"]
        for link in result.soup.find_all("link", rel="alternate", type="application/atom+xml")
    }


@pytest.mark.parametrize("lang", ["en", "fr"])
@pytest.mark.parametrize("name", list(PAGES))
def test_public_page_head_has_canonical_hreflang_and_open_graph(client, page, name, lang):
    urls, feed_kinds = PAGES[name]
    result = page(client.get(urls[lang]), lang=lang)
    canonical = result.soup.find("link", rel="canonical")["href"]
    assert canonical == SITE + urls[lang]
    hreflang = {link["hreflang"]: link["href"] for link in result.soup.find_all("link", hreflang=True)}
    assert hreflang == {"en": SITE + urls["en"], "fr": SITE + urls["fr"], "x-default": SITE + "/"}
    assert meta(result, "og:url") == canonical
    assert meta(result, "og:title") == result.h1
    assert meta(result, "og:site_name") == ORGANISATION[lang]
    assert meta(result, "og:locale") == LOCALE[lang]
    assert meta(result, "og:locale:alternate") == LOCALE[OTHER[lang]]
    assert meta(result, "og:type") == ("article" if name == "story" else "website")
    assert meta(result, "twitter:card") in ("summary", "summary_large_image")
    description = meta(result, "description")
    assert meta(result, "og:description") == description
    if name in ("posting", "story"):
        assert description, "documents describe themselves"
    expected = {SITE + {"jobs": JOBS_FEED, "blog": BLOG_FEED}[kind][lang] for kind in feed_kinds}
    assert set(feeds(result)) == expected
    for href, title in feeds(result).items():
        assert title.endswith(f" – {ORGANISATION[lang]}")
        assert client.get(href.removeprefix(SITE)).mimetype == "application/atom+xml"


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_story_with_an_image_shares_it_with_its_alt_text(client, page, lang):
    result = page(client.get(PAGES["story"][0][lang]), lang=lang)
    image = result.soup.select_one(".story-image img")
    assert meta(result, "og:image") == SITE + image["src"]
    assert meta(result, "og:image:alt") == image["alt"]
    assert meta(result, "twitter:card") == "summary_large_image"
    assert meta(result, "twitter:image:alt") == image["alt"]


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_listing_canonical_drops_the_query_string(client, page, lang):
    url = PAGES["jobs"][0][lang]
    result = page(client.get(url + "?q=python&sort=closing"), lang=lang)
    assert result.soup.find("link", rel="canonical")["href"] == SITE + url
    assert meta(result, "og:url") == SITE + url


def test_language_choice_is_the_x_default_of_the_home_pages(client, page):
    result = page(client.get("/"))
    hreflang = {link["hreflang"]: link["href"] for link in result.soup.find_all("link", hreflang=True)}
    assert hreflang == {"en": SITE + "/en/", "fr": SITE + "/fr/", "x-default": SITE + "/"}
    assert result.soup.find("link", rel="canonical")["href"] == SITE + "/"
    assert meta(result, "og:title") == "Careers / Carrières"


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/en/staff/sign-in", 200),
        ("/fr/personnel/connexion", 200),
        ("/en/jobs/head-of-product-management/apply", 200),
        ("/fr/emplois/nothing-here/", 404),
        ("/nothing-here", 404),
    ],
)
def test_forms_staff_and_error_pages_carry_no_sharing_metadata(client, url, status):
    response = client.get(url)
    assert response.status_code == status
    head = BeautifulSoup(response.get_data(as_text=True), "lxml").head
    assert head.find("link", rel="canonical") is None
    assert head.find("meta", property=re.compile("^og:")) is None
    assert head.find("meta", attrs={"name": re.compile("^twitter:")}) is None
    assert head.find("link", hreflang="x-default") is None
    assert head.find("link", type="application/atom+xml") is None


def test_page_in_one_language_has_no_x_default(make_app, content_tree, page):
    content_tree(
        "en/jobs/alone.md", "---\nlayout: job-posting\ntitle: Alone\ntranslationKey: alone\n---\nBody\n"
    )
    content_tree(
        "fr/emplois/autre.md", "---\nlayout: job-posting\ntitle: Autre\ntranslationKey: autre\n---\n"
    )
    result = page(make_app(PORTAL_CONTENT_DIR=str(content_tree.root)).test_client().get("/en/jobs/alone/"))
    hreflang = {link["hreflang"] for link in result.soup.find_all("link", hreflang=True)}
    assert hreflang == {"en"}
    assert meta(result, "og:locale:alternate") is None
    assert result.soup.find("link", rel="canonical")["href"] == SITE + "/en/jobs/alone/"
