"""The public postings API: listings and postings in both languages, the
form definition, caching, CORS and JSON errors."""

from __future__ import annotations

import os
from datetime import UTC, datetime

import pytest
import schemathesis

from portal.content import Kind, current_index
from portal.domain import limits
from tests.conftest import LANGUAGES, shared_path

OPEN_KEYS = {"accessibility-specialist", "head-product-management", "senior-python-developer"}
TITLES = {
    "en": "Senior Python Developer",
    "fr": "Développeuse principale ou développeur principal Python",
}
PAGES = {
    "en": "http://localhost/en/jobs/senior-python-developer/",
    "fr": "http://localhost/fr/emplois/developpeuse-ou-developpeur-python-principal/",
}
APPLY = {"en": PAGES["en"] + "apply", "fr": PAGES["fr"] + "postuler"}


def api(client, url: str, status: int = 200, **kwargs):
    """GET an API URL and return its JSON, checking the status and that it is JSON."""
    response = client.get(url, **kwargs)
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/json"
    return response.get_json()


def assert_error(data: dict, status: int, code: str) -> None:
    assert data["status"] == status
    assert data["code"] == code
    assert set(data["message"]) == set(LANGUAGES)
    assert data["message"]["en"] != data["message"]["fr"], "the French message is translated"


# Listing -------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGUAGES)
def test_listing_shows_the_open_postings_in_the_requested_language(client, lang):
    data = api(client, f"/api/v1/postings?lang={lang}")
    assert data["lang"] == lang
    assert data["count"] == len(data["postings"]) == len(OPEN_KEYS)
    assert {posting["key"] for posting in data["postings"]} == OPEN_KEYS, "no draft, no hidden posting"
    python = next(posting for posting in data["postings"] if posting["key"] == "senior-python-developer")
    assert python["lang"] == lang
    assert python["title"] == TITLES[lang]
    assert python["url"] == PAGES[lang]
    assert python["urls"] == PAGES
    assert python["applyUrl"] == APPLY[lang]
    assert python["closingDate"] == "2027-02-15T17:00:00-05:00"
    assert python["open"] is True
    assert "body" not in python, "the body only on request"


def test_listing_is_in_english_unless_asked(client):
    assert api(client, "/api/v1/postings")["lang"] == "en"


@pytest.mark.parametrize(
    ("lang", "query", "expected"),
    [
        ("fr", "q=developpeur", ["senior-python-developer"]),
        ("en", "where=remote", ["accessibility-specialist"]),
        ("en", "employment=term", ["head-product-management"]),
        ("fr", "language=bilingual-imperative", ["senior-python-developer"]),
        ("en", "classification=pm-06", ["head-product-management"]),
        (
            "en",
            "sort=closing",
            ["senior-python-developer", "head-product-management", "accessibility-specialist"],
        ),
    ],
)
def test_listing_takes_the_jobs_page_filters(client, lang, query, expected):
    data = api(client, f"/api/v1/postings?lang={lang}&{query}")
    assert [posting["key"] for posting in data["postings"]] == expected
    name, value = query.split("=")
    assert data["query"] == {name: value.upper() if name == "classification" else value}


def test_listing_offers_the_filter_values_of_what_it_found(client):
    data = api(client, "/api/v1/postings?employment=term")
    assert data["filters"] == {
        "classification": ["PM-06"],
        "where": ["ON"],
        "employment": ["term"],
        "language": ["bilingual-non-imperative"],
    }


def test_empty_filters_are_ignored_like_the_pages_form_sends_them(client):
    data = api(client, "/api/v1/postings?q=&where=&employment=&language=&closing=&sort=")
    assert data["count"] == len(OPEN_KEYS)


@pytest.mark.parametrize(
    "query",
    [
        "employment=permanent",
        "employment=TERM",
        "where=Ottawa",
        "closing=1",
        "sort=title",
        "include=everything",
        "classification=IT3",
    ],
)
def test_a_filter_value_the_api_does_not_know_is_refused(client, query):
    data = api(client, f"/api/v1/postings?{query}", status=400)
    assert_error(data, 400, "invalid_parameter")
    name = query.split("=")[0]
    assert f" {name} " in data["message"]["en"] and f" {name} " in data["message"]["fr"]


@pytest.mark.parametrize(
    "url", ["/api/v1/postings?lang=de", "/api/v1/postings/senior-python-developer?lang=EN"]
)
def test_an_unknown_language_is_refused(client, url):
    data = api(client, url, status=400)
    assert_error(data, 400, "unknown_language")
    assert "en, fr" in data["message"]["fr"]


# One posting ---------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGUAGES)
def test_posting_gives_its_facts_as_data_and_in_words(client, lang):
    data = api(client, f"/api/v1/postings/senior-python-developer?lang={lang}")
    assert data["title"] == TITLES[lang]
    assert data["facts"]["salary"] == {
        "minimum": 88000,
        "maximum": 110000,
        "currency": "CAD",
        "period": "year",
    }
    assert [location["province"] for location in data["facts"]["locations"]] == ["ON", "YT"]
    assert data["facts"]["remote"] == "hybrid"
    assert data["facts"]["languageRequirement"] == "bilingual-imperative"
    assert data["facts"]["languageLevels"] == "BBB/BBB"
    words = {fact["key"]: fact for fact in data["factsInWords"]}
    expected = {
        "en": ("Salary", "$88,000 to $110,000 a year", "Ottawa, Ontario"),
        "fr": ("Salaire", "De 88\u00a0000\u00a0$ à 110\u00a0000\u00a0$ par année", "Ottawa (Ontario)"),
    }[lang]
    assert (words["salary"]["label"], words["salary"]["text"]) == expected[:2]
    assert data["facts"]["locations"][0]["text"] == expected[2]
    assert words["language"]["text"].endswith("(BBB/BBB)")
    assert words["language"]["explanation"] and words["language"]["linkUrl"].startswith(
        "https://www.canada.ca/"
    )


@pytest.mark.parametrize("lang", LANGUAGES)
def test_posting_gives_its_application_form_in_the_requested_language(client, app, lang):
    form = api(client, f"/api/v1/postings/senior-python-developer?lang={lang}")["form"]
    fields = {field["name"]: field for field in form["fields"]}
    assert "website" not in fields and "submission_token" not in fields, "no honeypot, no token"
    assert fields["full_name"]["required"] is True
    assert fields["full_name"]["maxLength"] == limits.FULL_NAME
    assert fields["full_name"]["label"] == {"en": "Full name", "fr": "Nom complet"}[lang]
    assert fields["email"]["type"] == "email" and fields["email"]["maxLength"] == limits.EMAIL
    assert fields["phone"]["required"] is False
    assert fields["about"]["maxWords"] == limits.ABOUT_WORDS
    assert [choice["id"] for choice in fields["preferred_language"]["choices"]] == list(LANGUAGES)
    assert fields["privacy_acknowledged"] == fields["privacy_acknowledged"] | {
        "type": "checkbox",
        "required": True,
    }
    assert fields["equity_woman"]["group"]["id"] == "equity"
    assert form["resume"]["extensions"] == ["pdf", "docx", "odt", "txt"]
    assert form["resume"]["maxBytes"] == app.config["PORTAL_MAX_RESUME_BYTES"]
    assert form["resume"]["maxSize"] == {"en": "5\u00a0MB", "fr": "5\u00a0Mo"}[lang]
    questions = {question["id"]: question for question in form["questions"]}
    assert list(questions) == ["python-production", "work-arrangement"]
    assert [choice["label"] for choice in questions["python-production"]["choices"]] == {
        "en": ["Yes", "No"],
        "fr": ["Oui", "Non"],
    }[lang]
    arrangement = questions["work-arrangement"]
    assert arrangement["type"] == "choice" and arrangement["required"] is True
    assert (
        arrangement["label"]
        == {
            "en": "Which way of working would suit you best?",
            "fr": "Quel mode de travail vous conviendrait le mieux?",
        }[lang]
    )
    assert arrangement["choices"][0] == {
        "id": "remote",
        "label": {
            "en": "Fully remote, from anywhere in Canada",
            "fr": "Entièrement en télétravail, de partout au Canada",
        }[lang],
    }


@pytest.mark.parametrize("lang", LANGUAGES)
def test_posting_form_gives_its_merit_criteria_essential_first(client, lang):
    form = api(client, f"/api/v1/postings/senior-python-developer?lang={lang}")["form"]
    assert [(criterion["id"], criterion["kind"]) for criterion in form["criteria"]] == [
        ("degree", "essential"),
        ("python-services", "essential"),
        ("mentoring", "asset"),
    ]
    assert form["criteria"][2]["label"].startswith(
        {"en": "Experience mentoring developers", "fr": "Expérience du mentorat"}[lang]
    )


def test_an_essential_question_gives_the_answer_that_meets_it(client):
    form = api(client, "/api/v1/postings/head-product-management")["form"]
    required = {question["id"]: question["requiredAnswer"] for question in form["questions"]}
    assert required["clearance"] == "yes"
    assert [key for key, answer in required.items() if answer is None] == [
        key for key in required if key != "clearance"
    ]


def test_a_posting_without_criteria_gives_an_empty_list(client):
    assert api(client, "/api/v1/postings/head-product-management")["form"]["criteria"] == []


def test_form_names_are_the_ones_the_form_page_posts(client, application_form):
    """A client that fills the fields the API names fills the real form."""
    form = api(client, "/api/v1/postings/head-product-management")["form"]
    names = {field["name"] for field in form["fields"]} | {question["name"] for question in form["questions"]}
    sent = set(application_form(client, "/en/jobs/head-of-product-management/apply"))
    assert names >= sent - {"csrf_token", "submission_token"}
    text = next(question for question in form["questions"] if question["type"] == "text")
    assert text["maxLength"] == limits.TEXT_ANSWER and text["choices"] == []


@pytest.mark.parametrize("lang", LANGUAGES)
def test_body_is_given_only_on_request(client, lang):
    url = f"/api/v1/postings/senior-python-developer?lang={lang}"
    assert "body" not in api(client, url)
    body = api(client, url + "&include=body")["body"]
    assert {"en": "<h2>What you will do</h2>", "fr": "<h2>Ce que vous ferez</h2>"}[lang] in body
    listed = api(client, f"/api/v1/postings?lang={lang}&include=body")["postings"]
    assert all(posting["body"].startswith("<") for posting in listed)


def test_a_posting_hidden_from_the_listing_is_still_served_without_its_form(client):
    data = api(client, "/api/v1/postings/talent-pool-developers?lang=fr")
    assert data["acceptsApplications"] is False
    assert data["applyUrl"] is None and data["form"] is None


@pytest.mark.parametrize("key", ["no-such-posting", "data-analyst"])
def test_an_unknown_or_draft_posting_is_404(client, key):
    assert_error(api(client, f"/api/v1/postings/{key}", status=404), 404, "unknown_posting")


@pytest.fixture
def edge_client(make_app, content_tree):
    """A portal with a closed posting and one published in English only."""
    content_tree(
        "en/jobs/closed.md",
        """
        ---
        layout: job-posting
        title: Closed job
        translationKey: closed-job
        closingDate: 2020-01-31
        ---
        Gone.
        """,
    )
    content_tree(
        "fr/jobs/fermee.md",
        """
        ---
        layout: job-posting
        title: Offre fermée
        translationKey: closed-job
        closingDate: 2020-01-31
        ---
        Terminé.
        """,
    )
    content_tree(
        "en/jobs/english-only.md",
        """
        ---
        layout: job-posting
        title: English only
        translationKey: english-only
        ---
        Only in English.
        """,
    )
    return make_app(PORTAL_CONTENT_DIR=str(content_tree.root)).test_client()


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_closed_posting_is_gone(edge_client, lang):
    assert_error(api(edge_client, f"/api/v1/postings/closed-job?lang={lang}", status=410), 410, "gone")
    assert api(edge_client, f"/api/v1/postings?lang={lang}")["count"] == (1 if lang == "en" else 0)


def test_a_posting_missing_in_the_language_names_the_languages_it_is_in(edge_client):
    data = api(edge_client, "/api/v1/postings/english-only?lang=fr", status=404)
    assert_error(data, 404, "not_in_language")
    assert data["languages"] == ["en"]
    english = api(edge_client, "/api/v1/postings/english-only")
    assert list(english["urls"]) == ["en"]


# HTTP ----------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/api/v1/postings?lang=fr", "/api/v1/postings/head-product-management"])
def test_responses_carry_an_etag_and_answer_304_when_it_matches(client, app, url):
    response = client.get(url)
    etag = response.headers["ETag"]
    assert response.cache_control.public
    assert response.cache_control.max_age == app.config["PORTAL_PAGE_MAX_AGE"]
    assert "Set-Cookie" not in response.headers, "no session for the API"
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["Access-Control-Allow-Origin"] == "*"
    head = client.head(url)
    assert head.status_code == 200 and head.data == b"" and head.headers["ETag"] == etag
    other = client.get(url + ("&" if "?" in url else "?") + "include=body")
    assert other.headers["ETag"] != etag, "another query, another version"


def test_any_origin_may_read_the_api(client):
    response = client.get("/api/v1/postings", headers={"Origin": "https://ats.example"})
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "ETag" in response.headers["Access-Control-Expose-Headers"]
    assert response.headers["Cross-Origin-Resource-Policy"] == "cross-origin"


def test_a_cors_preflight_is_answered(client):
    response = client.options(
        "/api/v1/postings/senior-python-developer",
        headers={
            "Origin": "https://ats.example",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "if-none-match",
        },
    )
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "GET" in response.headers["Access-Control-Allow-Methods"]
    assert "If-None-Match" in response.headers["Access-Control-Allow-Headers"]
    assert "Set-Cookie" not in response.headers


def test_errors_under_the_api_are_json_not_the_sites_pages(client):
    assert_error(api(client, "/api/v1/nothing-here", status=404), 404, "not_found")
    assert_error(api(client, "/api/v2/postings", status=404), 404, "not_found")
    response = client.post("/api/v1/postings")
    assert response.status_code == 405 and response.mimetype == "application/json"
    assert_error(response.get_json(), 405, "method_not_allowed")
    assert "GET" in response.headers["Allow"]
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert client.get("/en/nothing-here").mimetype == "text/html", "the site keeps its pages"


def test_a_server_error_is_json_with_its_reference(app, client, monkeypatch):
    def broken(*args):
        raise RuntimeError("a bug")

    monkeypatch.setattr("portal.web.api.views.search_postings", broken)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    data = api(client, "/api/v1/postings", status=500)
    assert_error(data, 500, "server_error")
    assert len(data["reference"]) >= 8, "the id the logs carry"


# The real corpus -----------------------------------------------------------

CORPUS_ROOTS = ("digital-canada-ca/content", "digital-canada-ca-website/content")


@pytest.mark.corpus
def test_every_open_corpus_posting_is_as_described_with_its_translations(make_app):
    roots = [str(shared_path("corpus", "cds-site", *root.split("/"))) for root in CORPUS_ROOTS]
    app = make_app(PORTAL_CONTENT_DIR=os.pathsep.join(roots))
    client = app.test_client()
    described = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    now = datetime.now(UTC)
    with app.app_context():
        index = current_index()
        expected = {
            lang: {
                doc.posting_key: set(index.translations_of(doc))
                for doc in index.listed(Kind.POSTING, lang, now)
            }
            for lang in LANGUAGES
        }
    assert all(expected.values()), "the corpus has open postings in both languages"
    failures = []
    for lang in LANGUAGES:
        response = client.get(f"/api/v1/postings?lang={lang}&include=body")
        described["/api/v1/postings"]["GET"].validate_response(response)
        listed = response.get_json()["postings"]
        assert {posting["key"] for posting in listed} == set(expected[lang])
        for posting in listed:
            response = client.get(f"/api/v1/postings/{posting['key']}?lang={lang}&include=body")
            described["/api/v1/postings/{key}"]["GET"].validate_response(response)
            single = response.get_json()
            problems = []
            if single != posting:
                problems.append("the posting differs from its listing entry")
            if set(posting["urls"]) != expected[lang][posting["key"]]:
                problems.append(f"urls {sorted(posting['urls'])}")
            if "<" in posting["description"]:
                problems.append("markup in the description")
            if posting["acceptsApplications"] and not posting["form"]["fields"]:
                problems.append("no form")
            if problems:
                failures.append(f"{lang} {posting['key']}: {', '.join(problems)}")
    assert not failures, "\n".join(failures)
