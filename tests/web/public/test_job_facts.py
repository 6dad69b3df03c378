"""Job facts as candidates see them: on the posting page and on its card, in both languages."""

import shutil
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import FIXTURES, shared_path

NBSP = "\u00a0"
TORONTO = ZoneInfo("America/Toronto")
POSTINGS = {
    "en": "/en/jobs/senior-python-developer/",
    "fr": "/fr/emplois/developpeuse-ou-developpeur-python-principal/",
}
EXPECTED = {
    "en": {
        "Classification": "IT-03",
        "Salary": "$88,000 to $110,000 a year",
        "Type of employment": "Indeterminate (permanent)",
        "Location": "Ottawa, Ontario; Whitehorse, Yukon",
        "Remote work": "Hybrid: some days on site, the others remote",
        "Language requirements": "Bilingual imperative (BBB/BBB)",
    },
    "fr": {
        "Classification": "IT-03",
        "Salaire": f"De 88{NBSP}000{NBSP}$ à 110{NBSP}000{NBSP}$ par année",
        "Type d’emploi": "Durée indéterminée (emploi permanent)",
        "Lieu de travail": "Ottawa (Ontario); Whitehorse (Yukon)",
        "Télétravail": f"Hybride{NBSP}: certains jours sur place, les autres en télétravail",
        "Exigences linguistiques": "Bilingue impératif (BBB/BBB)",
    },
}


def facts_of(result, selector="dl.details"):
    """Return a facts list's values by label, without their explanations."""
    found = {}
    for div in result.soup.select(f"{selector} > div"):
        value = div.dd.find(string=True, recursive=False) or ""
        found[div.dt.get_text(strip=True)] = value.strip()
    return found


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_posting_page_states_its_facts_in_plain_words(client, page, lang):
    result = page(client.get(POSTINGS[lang]), 200, lang)
    assert facts_of(result) == EXPECTED[lang]


@pytest.mark.parametrize(
    ("lang", "explanation", "link"),
    [
        ("en", "You must meet the second-language levels", "https://www.canada.ca/en/"),
        (
            "fr",
            "Vous devez satisfaire aux niveaux de compétence en langue seconde",
            "https://www.canada.ca/fr/",
        ),
    ],
)
def test_the_language_requirement_is_explained_with_a_link_in_the_page_language(
    client, page, lang, explanation, link
):
    result = page(client.get(POSTINGS[lang]), 200, lang)
    requirement = result.soup.select("dl.details > div")[-1]
    assert explanation in requirement.get_text()
    assert requirement.find("a")["href"].startswith(link)


@pytest.mark.parametrize(
    ("url", "lang", "shown"),
    [
        ("/en/jobs/", "en", ["IT-03", "$88,000 to $110,000 a year", "Bilingual imperative (BBB/BBB)"]),
        ("/fr/emplois/", "fr", ["IT-03", f"De 88{NBSP}000{NBSP}$", "Bilingue impératif (BBB/BBB)"]),
    ],
)
def test_listing_cards_show_the_facts_a_candidate_decides_on(client, page, url, lang, shown):
    result = page(client.get(url), 200, lang)
    card = next(card for card in result.soup.select("li.card") if "IT-03" in card.get_text())
    text = card.select_one("dl.card__facts").get_text(" ")
    for words in shown:
        assert words in text
    assert {"en": "Closes", "fr": "Date limite"}[lang] in text


@pytest.fixture
def closing_soon(make_app, content_tree):
    """An app with a posting closing in three days and one closing in a month, hourly paid."""
    today = datetime.now(TORONTO).date()
    for slug, days in (("soon", 3), ("later", 30)):
        for lang, folder in (("en", "jobs"), ("fr", "emplois")):
            content_tree(
                f"{lang}/{folder}/{slug}.md",
                f"""
                ---
                layout: job-posting
                title: {slug.title()} {lang}
                translationKey: {slug}
                closingDate: {today + timedelta(days=days)}
                salary:
                  min: 25.5
                  max: 31
                  period: hour
                ---
                Body.
                """,
            )
    return make_app(PORTAL_CONTENT_DIR=str(content_tree.root)).test_client()


@pytest.mark.parametrize(
    ("url", "lang", "notice", "salary"),
    [
        ("/en/jobs/", "en", "Closes in 3 days", "$25.50 to $31 an hour"),
        ("/fr/emplois/", "fr", "Prend fin dans 3 jours", f"De 25,50{NBSP}$ à 31{NBSP}$ l’heure"),
    ],
)
def test_a_posting_in_its_last_week_says_when_it_closes(closing_soon, page, url, lang, notice, salary):
    result = page(closing_soon.get(url), 200, lang)
    cards = {card.h2.get_text(strip=True): card for card in result.soup.select("li.card")}
    soon = next(card for title, card in cards.items() if title.startswith("Soon"))
    later = next(card for title, card in cards.items() if title.startswith("Later"))
    assert soon.select_one(".soon").get_text(strip=True) == notice
    assert later.select_one(".soon") is None
    assert salary in soon.get_text()


@pytest.mark.parametrize(
    ("url", "lang", "expected"),
    [
        (
            "/en/jobs/with-details/",
            "en",
            {
                "Classification": "EC-05",
                "Salary": "$80,000 - $90,000",
                "Type of employment": "Indeterminate",
                "Language requirements": "English essential",
            },
        ),
        (
            "/fr/emplois/avec-details/",
            "fr",
            {
                "Classification": "EC-05",
                "Salaire": f"80{NBSP}000{NBSP}$ - 90{NBSP}000{NBSP}$",
                "Type d’emploi": "Durée indéterminée",
                "Exigences linguistiques": "Anglais essentiel",
            },
        ),
    ],
)
def test_facts_written_as_prose_are_shown_as_written(make_app, page, url, lang, expected):
    client = make_app(PORTAL_CONTENT_DIR=str(FIXTURES / "content")).test_client()
    result = page(client.get(url), 200, lang)
    assert facts_of(result) == expected


@pytest.mark.corpus
def test_a_real_cds_posting_with_prose_facts_keeps_working(make_app, page, tmp_path):
    source = shared_path(
        "corpus",
        "cds-site",
        "oddities",
        "digital-canada-ca-website",
        "content",
        "en",
        "careers",
        "positions",
        "administrative-officer---internal-operations---878766da-0bed-4884-b61b-994597a90f0f.md",
    )
    target = tmp_path / "content" / "en" / "careers" / "positions" / source.name
    target.parent.mkdir(parents=True)
    shutil.copy(source, target)
    app = make_app(PORTAL_CONTENT_DIR=str(tmp_path / "content"))
    result = page(app.test_client().get(f"/en/jobs/{source.stem}/"), 200, "en")
    assert facts_of(result) == {
        "Classification": "AS-02",
        "Salary": "$66,995 - $72,183",
        "Type of employment": "Indeterminate",
        "Language requirements": "English essential",
    }
    check = app.test_cli_runner().invoke(args=["content", "check"])
    assert "job facts: classification, compensation, term, languageRequirement" in check.output
