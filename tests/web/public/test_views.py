"""The public site in both languages: pages, toggle, closed postings, caching."""

from datetime import date
from urllib.parse import urlsplit

import pytest
from babel.dates import format_date

from tests.conftest import FIXTURES

JOBS = {"en": "/en/jobs/", "fr": "/fr/emplois/"}
BLOG = {"en": "/en/blog/", "fr": "/fr/blogue/"}
HEAD_OF_PRODUCT = {
    "en": "/en/jobs/head-of-product-management/",
    "fr": "/fr/emplois/chef-de-la-gestion-de-produits/",
}
PM_STORY = {
    "en": "/en/blog/what-does-a-product-manager-do/",
    "fr": "/fr/blogue/que-fait-une-gestionnaire-de-produits/",
}
OTHER = {"en": "fr", "fr": "en"}


def test_language_choice_offers_both_languages_side_by_side(client, page):
    result = page(client.get("/"))
    choices = {a["hreflang"]: a["href"] for a in result.soup.select(".language-choice a.button")}
    assert choices == {"en": "/en/", "fr": "/fr/"}
    sections = {s["lang"]: s.get_text(" ", strip=True) for s in result.soup.select("section[lang]")}
    assert "Northern Digital Service" in sections["en"]
    assert "Service numérique du Nord" in sections["fr"]
    assert "Parcourez nos offres d’emploi" in sections["fr"]
    assert result.soup.select_one("h1 span[lang=fr]").get_text() == "Carrières"


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_home_shows_open_jobs_and_latest_stories(client, page, lang):
    result = page(client.get(f"/{lang}/"), lang=lang)
    assert result.h1 == {"en": "Work with us", "fr": "Travaillez avec nous"}[lang]
    assert HEAD_OF_PRODUCT[lang] in result.links()
    stories = result.soup.select("#latest-stories ~ ul .card__title a")
    assert len(stories) == 3, "the three newest stories"
    assert PM_STORY[lang] not in [a["href"] for a in stories], "the oldest of four is left out"
    assert result.toggle() == {OTHER[lang]: f"/{OTHER[lang]}/"}


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_jobs_lists_only_open_listed_postings(client, page, lang):
    result = page(client.get(JOBS[lang]), lang=lang)
    titles = [a.get_text(strip=True) for a in result.soup.select(".card__title a")]
    expected = {
        "en": [
            "Accessibility Specialist",
            "Head of Product Management",
            "Senior Python Developer",
        ],
        "fr": [
            "Cheffe ou chef de la gestion de produits",
            "Développeuse principale ou développeur principal Python",
            "Spécialiste de l’accessibilité",
        ],
    }[lang]
    assert sorted(titles) == sorted(expected)
    assert {"en": "3 jobs are open", "fr": "3 emplois sont ouverts"}[lang] in result.text
    for card in result.soup.select(".card"):
        assert card.p.get_text(strip=True), "each posting shows its description"
    assert result.toggle() == {OTHER[lang]: JOBS[OTHER[lang]]}


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_posting_page_has_body_apply_and_toggle_to_its_translation(client, page, lang):
    result = page(client.get(HEAD_OF_PRODUCT[lang]), lang=lang)
    assert (
        result.h1
        == {"en": "Head of Product Management", "fr": "Cheffe ou chef de la gestion de produits"}[lang]
    )
    assert result.soup.select(".prose h2"), "the Markdown body is rendered"
    assert result.soup.select_one(".lead").get_text(strip=True)
    assert result.toggle() == {OTHER[lang]: HEAD_OF_PRODUCT[OTHER[lang]]}
    assert result.alternates() == {code: "http://localhost" + url for code, url in HEAD_OF_PRODUCT.items()}
    assert "closed" not in result.text.lower() or lang == "fr"
    assert result.soup.select_one(".notice--closed") is None


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_closed_posting_is_readable_with_notice_and_410(client, page, lang):
    url = {"en": "/en/jobs/service-designer/", "fr": "/fr/emplois/conceptrice-ou-concepteur-de-services/"}[
        lang
    ]
    result = page(client.get(url), status=410, lang=lang)
    notice = result.soup.select_one(".notice--closed")
    assert {"en": "This job is closed.", "fr": "La période de candidature est terminée."}[
        lang
    ] in notice.get_text()
    assert notice.find("a")["href"] == JOBS[lang]
    assert result.soup.select_one(".apply-action") is None
    assert result.soup.select(".prose p"), "the closed posting stays readable"


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_hidden_posting_is_reachable_but_not_listed_and_has_no_form(client, page, lang):
    url = {"en": "/en/jobs/talent-pool-developers/", "fr": "/fr/emplois/bassin-de-talents-developpement/"}[
        lang
    ]
    result = page(client.get(url), lang=lang)
    assert result.soup.select_one(".apply-action") is None
    assert url not in page(client.get(JOBS[lang])).links()


@pytest.mark.parametrize("url", ["/en/jobs/data-analyst/", "/fr/emplois/analyste-de-donnees/"])
def test_draft_posting_is_not_found(client, url):
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_posting_details_have_translated_labels(client, page, lang):
    url = {
        "en": "/en/jobs/senior-python-developer/",
        "fr": "/fr/emplois/developpeuse-ou-developpeur-python-principal/",
    }[lang]
    result = page(client.get(url), lang=lang)
    details = {
        div.dt.get_text(strip=True): div.dd.get_text(strip=True)
        for div in result.soup.select("dl.details div")
    }
    assert details[{"en": "Classification", "fr": "Classification"}[lang]] == "IT-03"
    assert {"en": "Salary", "fr": "Salaire"}[lang] in details
    assert {"en": "Language requirements", "fr": "Exigences linguistiques"}[lang] in details


def test_unpaired_posting_toggles_to_the_listing_with_a_notice(make_app, content_tree, page):
    content_tree(
        "en/jobs/english-only.md",
        """
        ---
        layout: job-posting
        title: Policy Advisor
        translationKey: policy-advisor
        ---
        Only written in English so far.
        """,
    )
    content_tree(
        "fr/emplois/autre.md", "---\nlayout: job-posting\ntitle: Autre\ntranslationKey: autre\n---\n"
    )
    client = make_app(PORTAL_CONTENT_DIR=str(content_tree.root)).test_client()
    result = page(client.get("/en/jobs/english-only/"), lang="en")
    assert result.toggle() == {"fr": "/fr/emplois/"}
    notice = result.soup.select_one(".notice--info")
    assert "available in English only" in notice.get_text()
    assert "Cette page est offerte en anglais seulement" in notice.select_one("[lang=fr]").get_text()
    assert set(result.alternates()) == {"en"}


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_blog_lists_stories_newest_first(client, page, lang):
    result = page(client.get(BLOG[lang]), lang=lang)
    dates = [t["datetime"] for t in result.soup.select(".card time")]
    assert len(dates) == 4
    assert dates == sorted(dates, reverse=True)
    assert result.toggle() == {OTHER[lang]: BLOG[OTHER[lang]]}


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_story_shows_author_localised_date_image_and_toggle(client, page, lang):
    result = page(client.get(PM_STORY[lang]), lang=lang)
    meta = result.soup.select_one(".meta").get_text(" ", strip=True)
    published = format_date(date(2025, 7, 23), "long", locale={"en": "en_CA", "fr": "fr_CA"}[lang])
    assert published in meta
    assert {"en": "By ", "fr": "Par "}[lang] in meta
    image = result.soup.select_one(".story-image img")
    assert image["src"] == "/static/img/content/product-team.svg"
    assert len(image["alt"]) > 20
    assert result.toggle() == {OTHER[lang]: PM_STORY[OTHER[lang]]}


def test_story_body_keeps_figure_details_and_table(client, page):
    result = page(client.get("/en/blog/building-accessible-forms/"))
    prose = result.soup.select_one(".prose")
    assert prose.find("figure").find("img")["alt"]
    assert prose.find("details").find("summary")
    assert prose.find("table").find("thead")
    tags = [t.get_text() for t in result.soup.select(".tags .tag")]
    assert tags == ["Accessibility", "Forms"]


def test_unsafe_content_never_reaches_the_page(make_app, page):
    client = make_app(PORTAL_CONTENT_DIR=str(FIXTURES / "content")).test_client()
    html = client.get("/en/jobs/unsafe/").get_data(as_text=True)
    assert "<script>alert" not in html
    assert "onclick" not in html and "onerror" not in html
    assert 'href="javascript' not in html
    assert "Kept caption" in html and "Kept cell" in html


@pytest.mark.parametrize(
    ("url", "target"),
    [
        ("/en/jobs/Head-Of-Product-Management/", "/en/jobs/head-of-product-management/"),
        ("/fr/emplois/head-of-product-management/", "/fr/emplois/chef-de-la-gestion-de-produits/"),
        ("/en/jobs/chef-de-la-gestion-de-produits/", "/en/jobs/head-of-product-management/"),
        ("/en/blog/que-fait-une-gestionnaire-de-produits/", "/en/blog/what-does-a-product-manager-do/"),
    ],
)
def test_wrong_case_or_wrong_language_slug_redirects_permanently(client, url, target):
    response = client.get(url)
    assert response.status_code == 301
    assert response.headers["Location"] == target


def test_missing_trailing_slash_redirects(client):
    response = client.get("/en/jobs")
    assert response.status_code in (301, 308)
    assert response.headers["Location"].endswith("/en/jobs/")


def test_non_ascii_slug_is_served_encoded_and_raw(make_app, page):
    client = make_app(PORTAL_CONTENT_DIR=str(FIXTURES / "content")).test_client()
    encoded = "/fr/blogue/c%E2%80%99est-dat%C3%A9-sans-fuseau/"
    result = page(client.get(encoded), lang="fr")
    assert result.h1 == "C’est daté sans fuseau"
    assert result.toggle() == {"en": "/en/blog/dated-naive/"}
    english = page(client.get("/en/blog/dated-naive/"))
    assert english.toggle() == {"fr": encoded}


def test_posting_answers_304_to_a_matching_etag(client):
    first = client.get(HEAD_OF_PRODUCT["en"])
    etag = first.headers["ETag"]
    assert "public" in first.headers["Cache-Control"] and "max-age" in first.headers["Cache-Control"]
    second = client.get(HEAD_OF_PRODUCT["en"], headers={"If-None-Match": etag})
    assert second.status_code == 304
    assert second.data == b""
    assert second.headers["ETag"] == etag
    other = client.get(HEAD_OF_PRODUCT["fr"], headers={"If-None-Match": etag})
    assert other.status_code == 200


def test_etag_changes_when_content_changes(make_app, content_tree):
    path = content_tree("en/jobs/role.md", "---\nlayout: job-posting\ntitle: One\n---\nBody\n")
    client = make_app(
        PORTAL_CONTENT_DIR=str(content_tree.root), PORTAL_CONTENT_RELOAD_INTERVAL=0
    ).test_client()
    etag = client.get("/en/jobs/role/").headers["ETag"]
    path.write_text("---\nlayout: job-posting\ntitle: Two\n---\nBody\n")
    import os
    import time

    os.utime(path, ns=(time.time_ns(), time.time_ns() + 1_000_000))
    response = client.get("/en/jobs/role/", headers={"If-None-Match": etag})
    assert response.status_code == 200
    assert b"Two" in response.data


def test_security_headers(client):
    response = client.get("/en/")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_pages_need_no_javascript(client):
    for url in ["/", "/en/", *JOBS.values(), *BLOG.values(), *HEAD_OF_PRODUCT.values()]:
        html = client.get(url).data
        # JSON-LD for search engines is data, never run.
        assert html.count(b"<script") == html.count(b'<script type="application/ld+json">')


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_navigation_marks_the_current_page(client, page, lang):
    result = page(client.get(JOBS[lang]))
    current = result.soup.select_one(".site-nav a[aria-current=page]")
    assert current["href"] == JOBS[lang]


def test_broken_file_beside_good_ones_leaves_them_served(make_app, content_tree, page):
    content_tree(
        "en/jobs/good.md", "---\nlayout: job-posting\ntitle: Good\ntranslationKey: good\n---\nFine\n"
    )
    content_tree(
        "fr/emplois/bon.md", "---\nlayout: job-posting\ntitle: Bon\ntranslationKey: good\n---\nBien\n"
    )
    content_tree("en/jobs/broken.md", "---\ntitle: 'it's broken'\n---\n")
    content_tree("en/jobs/empty.md", "")
    client = make_app(PORTAL_CONTENT_DIR=str(content_tree.root)).test_client()
    assert page(client.get("/en/jobs/good/")).h1 == "Good"
    assert page(client.get("/fr/emplois/bon/")).toggle() == {"en": "/en/jobs/good/"}
    assert client.get("/en/jobs/broken/").status_code == 404
    assert [a.get_text() for a in page(client.get("/en/jobs/")).soup.select(".card__title a")] == ["Good"]


def test_content_dir_from_the_environment(monkeypatch, make_app, content_tree, page):
    content_tree("en/jobs/from-env.md", "---\nlayout: job-posting\ntitle: From env\n---\n")
    monkeypatch.setenv("PORTAL_CONTENT_DIR", str(content_tree.root))
    from portal import create_app

    client = create_app({"TESTING": True}).test_client()
    assert page(client.get("/en/jobs/from-env/")).h1 == "From env"


NBSP = "\u00a0"


@pytest.fixture
def salaried(make_app, content_tree):
    """An app serving one posting in both languages, its salary written as a
    plain range, closing at 5 p.m."""
    for path, title in (("en/jobs/analyst.md", "Analyst"), ("fr/emplois/analyste.md", "Analyste")):
        content_tree(
            path,
            f"""
            ---
            layout: job-posting
            title: {title}
            translationKey: analyst
            closingDate: 2099-02-15T17:00:00-05:00
            classification: EC-05
            compensation: 88000-110000
            ---
            Body.
            """,
        )
    return make_app(PORTAL_CONTENT_DIR=str(content_tree.root)).test_client()


@pytest.mark.parametrize(
    ("url", "lang", "salary", "deadline"),
    [
        (
            "/en/jobs/analyst/",
            "en",
            f"$88,000{NBSP}– $110,000",
            f"Apply by February{NBSP}15,{NBSP}2099 at 5:00\u202fp.m. (Eastern Time)",
        ),
        (
            "/fr/emplois/analyste/",
            "fr",
            f"88{NBSP}000{NBSP}${NBSP}– 110{NBSP}000{NBSP}$",
            f"15{NBSP}février{NBSP}2099 à 17{NBSP}h (heure de l’Est)",
        ),
    ],
)
def test_salary_and_deadline_never_break_across_lines(salaried, page, url, lang, salary, deadline):
    result = page(salaried.get(url), 200, lang)
    details = {div.dt.get_text(): div.dd.get_text() for div in result.soup.select("dl.details div")}
    assert details[{"en": "Salary", "fr": "Salaire"}[lang]] == salary
    assert details["Classification"] == "EC-05"
    assert deadline in result.soup.select_one(".deadline").get_text()


#: Outside sites whose pages exist in both official languages: the language
#: is the first segment of the path.
BILINGUAL_SITES = {"www.priv.gc.ca", "priv.gc.ca", "www.canada.ca", "canada.ca"}


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_links_to_outside_sites_go_to_pages_in_the_page_language(client, page, lang):
    """Every public page type, and the form with its privacy notice: a link to
    a bilingual government site opens its page in the reader's language."""
    urls = [
        f"/{lang}/",
        JOBS[lang],
        HEAD_OF_PRODUCT[lang],
        BLOG[lang],
        PM_STORY[lang],
        {
            "en": "/en/jobs/head-of-product-management/apply",
            "fr": "/fr/emplois/chef-de-la-gestion-de-produits/postuler",
        }[lang],
    ]
    outside = []
    for url in urls:
        for href in page(client.get(url), 200, lang).links():
            parts = urlsplit(href)
            if parts.netloc:
                outside.append((url, parts))
    government = [(url, parts) for url, parts in outside if parts.netloc in BILINGUAL_SITES]
    assert government, "the privacy notice links to the Privacy Commissioner"
    for url, parts in government:
        assert parts.path.split("/")[1] == lang, f"{url} links to {parts.geturl()}"
