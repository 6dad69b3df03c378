"""schema.org JobPosting data on posting pages, as search engines read it."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from bs4 import BeautifulSoup

from portal import create_app
from portal.content import Document, Kind, current_index
from portal.content.jobfacts import EmploymentType, JobFacts, Salary, SalaryPeriod
from portal.plumbing.config import ConfigurationError
from portal.plumbing.http import SECURITY_HEADERS
from portal.web.public.structured_data import job_posting
from tests.conftest import shared_path

SENIOR_PYTHON = {
    "en": "/en/jobs/senior-python-developer/",
    "fr": "/fr/emplois/developpeuse-ou-developpeur-python-principal/",
}
ACCESSIBILITY = {
    "en": "/en/jobs/accessibility-specialist/",
    "fr": "/fr/emplois/specialiste-de-l-accessibilite/",
}
CLOSED = {"en": "/en/jobs/service-designer/", "fr": "/fr/emplois/conceptrice-ou-concepteur-de-services/"}
HIDDEN = {"en": "/en/jobs/talent-pool-developers/", "fr": "/fr/emplois/bassin-de-talents-developpement/"}
ORGANISATION = {"en": "Northern Digital Service", "fr": "Service numérique du Nord"}
#: Google's required properties, then those it recommends that every posting here can give.
REQUIRED = ("title", "description", "datePosted", "hiringOrganization")
RECOMMENDED = ("identifier", "directApply")


def json_ld(response) -> list[dict]:
    """Return every JSON-LD object of a page."""
    soup = BeautifulSoup(response.get_data(as_text=True), "lxml")
    return [json.loads(script.string) for script in soup.find_all("script", type="application/ld+json")]


def robots_meta(response) -> str | None:
    tag = BeautifulSoup(response.get_data(as_text=True), "lxml").find("meta", attrs={"name": "robots"})
    return tag["content"] if tag else None


def assert_valid_job_posting(data: dict, url: str, organisation: str) -> None:
    """Check what Google's job search requires and recommends of a JobPosting."""
    assert data["@context"] == "https://schema.org" and data["@type"] == "JobPosting"
    for name in REQUIRED + RECOMMENDED:
        assert data.get(name) not in (None, "", []), f"{url}: no {name}"
    assert "<" in data["description"], "the description is the body's HTML"
    datetime.fromisoformat(data["datePosted"])
    assert data["hiringOrganization"]["@type"] == "Organization"
    assert data["hiringOrganization"]["name"] == organisation
    assert data["hiringOrganization"]["sameAs"].startswith("http")
    assert data["url"] == url
    if data.get("jobLocationType") == "TELECOMMUTE":
        assert data["applicantLocationRequirements"] == {"@type": "Country", "name": "Canada"}
    else:
        places = data["jobLocation"]
        assert places, f"{url}: neither a place of work nor remote"
        for place in places:
            address = place["address"]
            assert address["@type"] == "PostalAddress" and address["addressCountry"] == "CA"
            assert address["addressLocality"] and len(address["addressRegion"]) == 2
    assert data["identifier"]["@type"] == "PropertyValue"
    assert isinstance(data["directApply"], bool)
    if "validThrough" in data:
        assert datetime.fromisoformat(data["validThrough"]).tzinfo is not None


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_open_posting_has_a_complete_job_posting_in_its_language(client, lang):
    response = client.get(SENIOR_PYTHON[lang])
    [data] = json_ld(response)
    assert_valid_job_posting(data, "http://localhost" + SENIOR_PYTHON[lang], ORGANISATION[lang])
    assert (
        data["title"]
        == {"en": "Senior Python Developer", "fr": "Développeuse principale ou développeur principal Python"}[
            lang
        ]
    )
    assert data["validThrough"] == "2027-02-15T17:00:00-05:00"
    assert data["employmentType"] == ["FULL_TIME"]
    assert data["baseSalary"] == {
        "@type": "MonetaryAmount",
        "currency": "CAD",
        "value": {"@type": "QuantitativeValue", "minValue": 88000, "maxValue": 110000, "unitText": "YEAR"},
    }
    assert data["identifier"] == {
        "@type": "PropertyValue",
        "name": ORGANISATION[lang],
        "value": "senior-python-developer",
    }
    assert data["directApply"] is True
    cities = [
        (place["address"]["addressLocality"], place["address"]["addressRegion"])
        for place in data["jobLocation"]
    ]
    assert cities == [("Ottawa", "ON"), ("Whitehorse", "YT")]
    assert "jobLocationType" not in data, "hybrid work is not telecommuting"
    assert robots_meta(response) is None


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_remote_posting_is_telecommute_within_canada(client, lang):
    [data] = json_ld(client.get(ACCESSIBILITY[lang]))
    assert_valid_job_posting(data, "http://localhost" + ACCESSIBILITY[lang], ORGANISATION[lang])
    assert data["jobLocationType"] == "TELECOMMUTE"
    assert data["applicantLocationRequirements"] == {"@type": "Country", "name": "Canada"}


@pytest.mark.parametrize("lang", ["en", "fr"])
@pytest.mark.parametrize("urls", [CLOSED, HIDDEN], ids=["closed", "hidden"])
def test_closed_or_hidden_posting_has_no_job_posting_and_is_not_indexed(client, lang, urls):
    response = client.get(urls[lang])
    assert response.status_code in (200, 410)
    assert json_ld(response) == []
    assert robots_meta(response) == "noindex"


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_json_ld_leaves_the_content_security_policy_as_it_was(client, lang):
    response = client.get(SENIOR_PYTHON[lang])
    assert response.headers["Content-Security-Policy"] == SECURITY_HEADERS["Content-Security-Policy"]
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]


def write_posting(content_tree, lang: str, slug: str, front_matter: str, body: str = "The work.") -> None:
    content_tree(f"{lang}/jobs/{slug}.md", f"---\nlayout: job-posting\n{front_matter}\n---\n{body}\n")


def test_text_cannot_close_the_script_element(make_app, content_tree):
    title = "Developer </script><script>alert(1)</script> & <b>friends</b>"
    write_posting(content_tree, "en", "role", f"title: '{title}'\ntranslationKey: role")
    write_posting(content_tree, "fr", "poste", "title: Poste\ntranslationKey: role")
    response = make_app(PORTAL_CONTENT_DIR=str(content_tree.root)).test_client().get("/en/jobs/role/")
    html = response.get_data(as_text=True)
    assert "<script>alert(1)" not in html
    script = html[html.index('<script type="application/ld+json">') :]
    script = script[: script.index("</script>")]
    assert "<" not in script.partition(">")[2] and "&" not in script.partition(">")[2]
    [data] = json_ld(response)
    assert data["title"] == title


def test_posting_without_a_place_uses_the_configured_default(make_app, content_tree):
    write_posting(content_tree, "en", "role", "title: Role\ntranslationKey: role")
    write_posting(content_tree, "fr", "poste", "title: Poste\ntranslationKey: role\nformHidden: true")
    client = make_app(PORTAL_CONTENT_DIR=str(content_tree.root)).test_client()
    [data] = json_ld(client.get("/en/jobs/role/"))
    assert data["jobLocation"][0]["address"]["addressLocality"] == "Ottawa"
    assert data["jobLocation"][0]["address"]["addressRegion"] == "ON"
    assert data["directApply"] is True
    [french] = json_ld(client.get("/fr/emplois/poste/"))
    assert french["directApply"] is False, "the form takes no applications"

    client = make_app(
        PORTAL_CONTENT_DIR=str(content_tree.root), PORTAL_DEFAULT_JOB_LOCATION="Moncton, NB; Iqaluit, NU"
    ).test_client()
    [data] = json_ld(client.get("/en/jobs/role/"))
    assert [place["address"]["addressRegion"] for place in data["jobLocation"]] == ["NB", "NU"]


def test_a_default_location_that_is_no_place_is_refused_at_start():
    with pytest.raises(ConfigurationError, match="PORTAL_DEFAULT_JOB_LOCATION"):
        create_app({"TESTING": True, "PORTAL_DEFAULT_JOB_LOCATION": "Ottawa"})


def test_posting_date_is_the_front_matter_date_when_given(make_app, content_tree):
    write_posting(content_tree, "en", "role", "title: Role\ntranslationKey: role\ndate: 2026-05-04")
    write_posting(content_tree, "fr", "poste", "title: Poste\ntranslationKey: role")
    client = make_app(PORTAL_CONTENT_DIR=str(content_tree.root)).test_client()
    [data] = json_ld(client.get("/en/jobs/role/"))
    assert data["datePosted"] == "2026-05-04T00:00:00-04:00"
    [french] = json_ld(client.get("/fr/emplois/poste/"))
    posted = datetime.fromisoformat(french["datePosted"])
    assert abs((datetime.now(UTC) - posted).total_seconds()) < 3600, "no date: when the file last changed"


def posting_with(facts: JobFacts) -> Document:
    return Document(
        kind=Kind.POSTING,
        lang="en",
        slug="role",
        source="role.md",
        title="Role",
        description="",
        body_html="<p>The work.</p>",
        translation_key="role",
        facts=facts,
    )


@pytest.mark.parametrize(
    ("employment", "expected"),
    [
        (EmploymentType.INDETERMINATE, ["FULL_TIME"]),
        (EmploymentType.TERM, ["FULL_TIME", "TEMPORARY"]),
        (EmploymentType.CASUAL, ["TEMPORARY"]),
        (EmploymentType.STUDENT, ["INTERN"]),
        (EmploymentType.SECONDMENT, ["OTHER"]),
    ],
)
def test_employment_types_map_to_google_values(employment, expected):
    data = job_posting(
        posting_with(JobFacts(employment_type=employment)),
        url="https://jobs.example/en/jobs/role/",
        site_url="https://jobs.example/",
        organisation="NDS",
        posted=datetime(2026, 1, 5, tzinfo=UTC),
        direct_apply=True,
    )
    assert data["employmentType"] == expected


@pytest.mark.parametrize("period", list(SalaryPeriod))
def test_salary_period_is_the_unit_and_cents_are_kept(period):
    salary = Salary(Decimal("25.50"), Decimal("31"), "CAD", period)
    data = job_posting(
        posting_with(JobFacts(salary=salary)),
        url="https://jobs.example/en/jobs/role/",
        site_url="https://jobs.example/",
        organisation="NDS",
        posted=datetime(2026, 1, 5, tzinfo=UTC),
        direct_apply=True,
    )
    assert data["baseSalary"]["value"] == {
        "@type": "QuantitativeValue",
        "minValue": 25.5,
        "maxValue": 31,
        "unitText": period.value.upper(),
    }
    assert "jobLocation" not in data, "no place, no default given"


# The real CDS corpus ---------------------------------------------------------

CORPUS_ROOTS = ("digital-canada-ca/content", "digital-canada-ca-website/content")


@pytest.fixture(scope="module")
def corpus_client(tmp_path_factory, compiled_catalogs):
    roots = [str(shared_path("corpus", "cds-site", *root.split("/"))) for root in CORPUS_ROOTS]
    database = tmp_path_factory.mktemp("corpus-ld") / "test.sqlite3"
    app = create_app(
        {
            "TESTING": True,
            "PORTAL_CONTENT_RELOAD_INTERVAL": -1,
            "DATABASE_URL": f"sqlite:///{database}",
            "PORTAL_CONTENT_DIR": os.pathsep.join(roots),
        }
    )
    return app, app.test_client()


@pytest.mark.corpus
def test_every_corpus_posting_has_valid_job_posting_data_when_listed(corpus_client):
    app, client = corpus_client
    with app.app_context():
        index = current_index()
        postings = [
            doc for (kind, _, _), doc in index.documents.items() if kind is Kind.POSTING and doc.published
        ]
    now = datetime.now(UTC)
    listed = [doc for doc in postings if doc.is_listed(now)]
    assert len(listed) >= 4, "the corpus has open postings in both languages"
    assert {doc.lang for doc in listed} == {"en", "fr"}
    failures = []
    for document in postings:
        prefix = {"en": "/en/jobs/", "fr": "/fr/emplois/"}[document.lang]
        url = f"{prefix}{document.slug}/"
        response = client.get(url)
        found = json_ld(response)
        try:
            if document.is_listed(now):
                assert len(found) == 1, f"{url}: {len(found)} JSON-LD blocks"
                canonical = BeautifulSoup(response.get_data(as_text=True), "lxml").find(
                    "link", rel="canonical"
                )
                assert_valid_job_posting(
                    found[0], canonical["href"], app.config["PORTAL_ORGANISATION_NAME"][document.lang]
                )
                assert found[0]["jobLocation"], "CDS postings name no place: the default is given"
                assert found[0]["identifier"]["value"] == document.posting_key
            else:
                assert found == [], f"{url}: a closed or hidden posting has JSON-LD"
                assert robots_meta(response) == "noindex", f"{url}: not noindex"
        except AssertionError as error:
            failures.append(str(error))
    assert not failures, "\n".join(failures)
