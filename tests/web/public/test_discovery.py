"""The sitemap, robots.txt and Atom feeds, as crawlers and feed readers read them."""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime, timedelta

import lxml.etree
import pytest
from flask import url_for

from portal import create_app
from portal.content import Kind, current_index
from portal.web.documents import DOCUMENT_ENDPOINTS
from portal.web.public import discovery
from tests.conftest import shared_path

NS = {
    "sm": "http://www.sitemaps.org/schemas/sitemap/0.9",
    "xhtml": "http://www.w3.org/1999/xhtml",
    "atom": "http://www.w3.org/2005/Atom",
}
SITE = "http://localhost"
JOBS = {"en": "/en/jobs/", "fr": "/fr/emplois/"}
BLOG = {"en": "/en/blog/", "fr": "/fr/blogue/"}
JOBS_FEED = {"en": "/en/jobs/feed.xml", "fr": "/fr/emplois/feed.xml"}
BLOG_FEED = {"en": "/en/blog/feed.xml", "fr": "/fr/blogue/feed.xml"}
OPEN_POSTINGS = {
    "en": {
        "/en/jobs/accessibility-specialist/",
        "/en/jobs/head-of-product-management/",
        "/en/jobs/senior-python-developer/",
    },
    "fr": {
        "/fr/emplois/specialiste-de-l-accessibilite/",
        "/fr/emplois/chef-de-la-gestion-de-produits/",
        "/fr/emplois/developpeuse-ou-developpeur-python-principal/",
    },
}
NOT_LISTED = (
    "/en/jobs/service-designer/",  # closed
    "/fr/emplois/conceptrice-ou-concepteur-de-services/",
    "/en/jobs/talent-pool-developers/",  # hidden from listings
    "/fr/emplois/bassin-de-talents-developpement/",
    "/en/jobs/data-analyst/",  # draft
)


def sitemap_entries(xml: bytes) -> dict[str, dict]:
    """Return each sitemap URL with its lastmod and hreflang alternates."""
    root = lxml.etree.fromstring(xml)
    assert root.tag == f"{{{NS['sm']}}}urlset"
    entries = {}
    for url in root.findall("sm:url", NS):
        loc = url.findtext("sm:loc", namespaces=NS)
        assert loc not in entries, f"{loc} listed twice"
        entries[loc] = {
            "lastmod": url.findtext("sm:lastmod", namespaces=NS),
            "alternates": {
                link.get("hreflang"): link.get("href")
                for link in url.findall("xhtml:link", NS)
                if link.get("rel") == "alternate"
            },
        }
    return entries


def test_sitemap_lists_every_public_page_in_both_languages_with_their_versions(client):
    response = client.get("/sitemap.xml")
    assert response.status_code == 200 and response.mimetype == "application/xml"
    entries = sitemap_entries(response.data)
    expected = {SITE + "/"} | {
        SITE + path for lang in ("en", "fr") for path in (f"/{lang}/", JOBS[lang], BLOG[lang])
    }
    expected |= {SITE + path for urls in OPEN_POSTINGS.values() for path in urls}
    expected |= {SITE + "/en/blog/what-does-a-product-manager-do/", SITE + "/fr/blogue/notre-premiere-annee/"}
    assert expected <= set(entries)
    assert len([loc for loc in entries if "/blog" in loc]) == 2 + 8, (
        "two listings and four stories a language"
    )
    for path in NOT_LISTED:
        assert SITE + path not in entries
    for loc, entry in entries.items():
        alternates = entry["alternates"]
        assert set(alternates) == {"en", "fr", "x-default"}, loc
        assert loc in alternates.values(), f"{loc} does not list itself"
        assert alternates["x-default"] == SITE + "/"
        for code, other in alternates.items():
            if code != "x-default":
                assert entries[other]["alternates"] == alternates, f"{loc} and {other} disagree"
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", entry["lastmod"]), loc


def test_sitemap_lastmod_of_a_story_is_its_date(client):
    entries = sitemap_entries(client.get("/sitemap.xml").data)
    assert entries[SITE + "/en/blog/what-does-a-product-manager-do/"]["lastmod"] == "2025-07-23T13:00:00Z"
    newest_story = "2026-03-02T14:30:00Z"
    assert entries[SITE + "/fr/blogue/"]["lastmod"] == newest_story


def test_sitemap_becomes_an_index_past_the_url_limit(client, monkeypatch):
    whole = sitemap_entries(client.get("/sitemap.xml").data)
    assert client.get("/sitemap-1.xml").status_code == 404, "no parts while one file is enough"
    monkeypatch.setattr(discovery, "MAX_SITEMAP_URLS", 5)
    response = client.get("/sitemap.xml")
    root = lxml.etree.fromstring(response.data)
    assert root.tag == f"{{{NS['sm']}}}sitemapindex"
    parts = [loc.text for loc in root.findall("sm:sitemap/sm:loc", NS)]
    assert len(parts) == -(-len(whole) // 5)
    combined = {}
    for part in parts:
        assert part.startswith(SITE + "/sitemap-")
        entries = sitemap_entries(client.get(part.removeprefix(SITE)).data)
        assert len(entries) <= 5
        combined |= entries
    assert combined == whole
    assert client.get(f"/sitemap-{len(parts) + 1}.xml").status_code == 404


def test_a_posting_leaves_the_sitemap_and_feed_when_it_closes(make_app, content_tree, monkeypatch):
    closing = datetime.now(UTC) + timedelta(days=1)
    for lang, slug in (("en", "role"), ("fr", "poste")):
        content_tree(
            f"{lang}/jobs/{slug}.md",
            f"---\nlayout: job-posting\ntitle: T\ntranslationKey: role\n"
            f"closingDate: '{closing.isoformat()}'\n---\nB\n",
        )
    client = make_app(PORTAL_CONTENT_DIR=str(content_tree.root)).test_client()
    assert SITE + "/en/jobs/role/" in sitemap_entries(client.get("/sitemap.xml").data)
    assert b"/en/jobs/role/" in client.get(JOBS_FEED["en"]).data

    class Later(datetime):
        @classmethod
        def now(cls, tz=None):
            return closing + timedelta(seconds=1)

    monkeypatch.setattr(discovery, "datetime", Later)
    assert SITE + "/en/jobs/role/" not in sitemap_entries(client.get("/sitemap.xml").data)
    assert b"/en/jobs/role/" not in client.get(JOBS_FEED["en"]).data


def test_robots_txt_points_at_the_sitemap_and_keeps_staff_and_forms_out(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    lines = response.get_data(as_text=True).splitlines()
    assert "Sitemap: http://localhost/sitemap.xml" in lines
    disallowed = [line.removeprefix("Disallow: ") for line in lines if line.startswith("Disallow: ")]

    def blocked(path: str) -> bool:
        return any(re.match(re.escape(rule).replace(r"\*", ".*"), path) for rule in disallowed)

    for path in (
        "/en/staff/",
        "/fr/personnel/connexion",
        "/en/staff/applications/3/",
        "/en/jobs/head-of-product-management/apply",
        "/fr/emplois/chef-de-la-gestion-de-produits/postuler",
        "/en/applications/ABC-123/",
    ):
        assert blocked(path), path
    for path in (
        "/",
        "/en/",
        "/fr/emplois/",
        "/en/jobs/head-of-product-management/",
        "/sitemap.xml",
        "/api/v1/postings",
    ):
        assert not blocked(path), path


def atom(response) -> lxml.etree._Element:
    assert response.status_code == 200
    assert response.mimetype == "application/atom+xml"
    return lxml.etree.fromstring(response.data)


def assert_valid_atom(feed, self_url: str) -> list:
    """Check the elements RFC 4287 requires of a feed and of its entries."""
    assert feed.tag == f"{{{NS['atom']}}}feed"
    for name in ("id", "title", "updated"):
        assert feed.findtext(f"atom:{name}", namespaces=NS), name
    datetime.fromisoformat(feed.findtext("atom:updated", namespaces=NS))
    assert feed.find("atom:link[@rel='self']", NS).get("href") == self_url
    assert feed.find("atom:author/atom:name", NS) is not None or all(
        entry.find("atom:author/atom:name", NS) is not None for entry in feed.findall("atom:entry", NS)
    )
    entries = feed.findall("atom:entry", NS)
    ids = [entry.findtext("atom:id", namespaces=NS) for entry in entries]
    assert len(set(ids)) == len(ids), "entry ids are unique"
    for entry in entries:
        for name in ("id", "title", "updated"):
            assert entry.findtext(f"atom:{name}", namespaces=NS), name
        assert entry.find("atom:link[@rel='alternate']", NS).get("href").startswith(SITE)
        assert entry.find("atom:content", NS).get("type") == "html"
    return entries


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_jobs_feed_has_the_open_postings(client, lang):
    feed = atom(client.get(JOBS_FEED[lang]))
    entries = assert_valid_atom(feed, SITE + JOBS_FEED[lang])
    links = {entry.find("atom:link[@rel='alternate']", NS).get("href") for entry in entries}
    assert links == {SITE + path for path in OPEN_POSTINGS[lang]}
    title = feed.findtext("atom:title", namespaces=NS)
    assert (
        title
        == {
            "en": "Open jobs – Northern Digital Service",
            "fr": "Emplois ouverts – Service numérique du Nord",
        }[lang]
    )
    assert feed.get("{http://www.w3.org/XML/1998/namespace}lang") == lang
    body = entries[0].findtext("atom:content", namespaces=NS)
    assert "<p>" in body and "<script" not in body


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_blog_feed_has_the_stories_newest_first_with_authors(client, lang):
    entries = assert_valid_atom(atom(client.get(BLOG_FEED[lang])), SITE + BLOG_FEED[lang])
    assert len(entries) == 4
    published = [entry.findtext("atom:published", namespaces=NS) for entry in entries]
    assert published == sorted(published, reverse=True)
    assert all(entry.findtext("atom:author/atom:name", namespaces=NS) for entry in entries)
    assert all(entry.findtext("atom:summary", namespaces=NS) for entry in entries)


@pytest.mark.parametrize("url", ["/sitemap.xml", "/robots.txt", JOBS_FEED["fr"], BLOG_FEED["en"]])
def test_feeds_and_sitemap_are_cached_like_pages(client, url):
    first = client.get(url)
    assert first.headers["ETag"]
    assert first.cache_control.public and first.cache_control.max_age == 60
    again = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and not again.data


def test_a_feed_is_built_once_per_content_version(make_app, monkeypatch):
    client = make_app().test_client()
    built = []
    real = discovery.atom_feed
    monkeypatch.setattr(discovery, "atom_feed", lambda *args: built.append(args[1]) or real(*args))
    first = client.get(JOBS_FEED["en"]).data
    assert client.get(JOBS_FEED["en"]).data == first
    assert client.get(JOBS_FEED["fr"]).data != first
    client.get(JOBS_FEED["fr"])
    assert built == ["en", "fr"], "each language's feed is built once"


def test_feed_entry_ids_come_from_the_translation_key_so_a_new_slug_keeps_them(client):
    entries = atom(client.get(JOBS_FEED["en"])).findall("atom:entry", NS)
    ids = {entry.findtext("atom:id", namespaces=NS) for entry in entries}
    assert "tag:localhost,2025:jobs/en/head-product-management" in ids, "built from the translationKey"


# The real CDS corpus ---------------------------------------------------------

CORPUS_ROOTS = ("digital-canada-ca/content", "digital-canada-ca-website/content")


@pytest.fixture(scope="module")
def corpus_app(tmp_path_factory, compiled_catalogs):
    roots = [str(shared_path("corpus", "cds-site", *root.split("/"))) for root in CORPUS_ROOTS]
    database = tmp_path_factory.mktemp("corpus-discovery") / "test.sqlite3"
    return create_app(
        {
            "TESTING": True,
            "PORTAL_CONTENT_RELOAD_INTERVAL": -1,
            "DATABASE_URL": f"sqlite:///{database}",
            "PORTAL_CONTENT_DIR": os.pathsep.join(roots),
        }
    )


@pytest.mark.corpus
def test_corpus_sitemap_lists_exactly_the_listed_documents(corpus_app):
    client = corpus_app.test_client()
    entries = sitemap_entries(client.get("/sitemap.xml").data)
    now = datetime.now(UTC)
    with corpus_app.test_request_context():
        index = current_index()
        listed = {
            url_for(DOCUMENT_ENDPOINTS[kind], slug=doc.slug, lang_code=lang, _external=True)
            for kind in Kind
            for lang in ("en", "fr")
            for doc in index.listed(kind, lang, now)
        }
        not_listed = {
            url_for(DOCUMENT_ENDPOINTS[doc.kind], slug=doc.slug, lang_code=doc.lang, _external=True)
            for doc in index.documents.values()
            if not doc.is_listed(now)
        }
    assert len(listed) > 50
    assert listed <= set(entries)
    assert not (not_listed & set(entries)), "closed, hidden and draft documents stay out"
    for loc, entry in entries.items():
        if entry["alternates"]:
            assert loc in entry["alternates"].values() and "x-default" in entry["alternates"]
            for other in entry["alternates"].values():
                assert other in entries, f"{loc}: its version {other} is not listed"


@pytest.mark.corpus
@pytest.mark.parametrize("lang", ["en", "fr"])
def test_corpus_feeds_are_valid_atom(corpus_app, lang):
    client = corpus_app.test_client()
    jobs = assert_valid_atom(atom(client.get(JOBS_FEED[lang])), SITE + JOBS_FEED[lang])
    stories = assert_valid_atom(atom(client.get(BLOG_FEED[lang])), SITE + BLOG_FEED[lang])
    with corpus_app.test_request_context():
        listed_stories = current_index().listed(Kind.STORY, lang, datetime.now(UTC))
    assert len(stories) == min(len(listed_stories), discovery.FEED_ENTRIES) > 0
    with corpus_app.test_request_context():
        open_now = {
            url_for("public.posting", slug=doc.slug, lang_code=lang, _external=True)
            for doc in current_index().listed(Kind.POSTING, lang, datetime.now(UTC))
        }
    assert 0 < len(open_now) <= discovery.FEED_ENTRIES
    assert {entry.find("atom:link", NS).get("href") for entry in jobs} == open_now
